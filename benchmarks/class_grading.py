"""Grading a class of notebooks: nbgrader, otter-grader and ``dlkit grade``, same submissions.

20 hw1/dropout notebooks made from the nbgrader source (8 correct, 8 with
realistic slips, 4 broken) in a temporary nbgrader course, graded once by
``nbgrader autograde``, ``otter run`` (one per submission), and ``dlkit grade
--jobs 1`` and ``--jobs 2``; only the grading commands are timed. Reported:
submissions/minute, per core used, the other processes' CPU share meanwhile,
and every student's grades side by side (protocol: benchmarks/README.md).

    python benchmarks/class_grading.py [--n 20] [--quick] [--json FILE] [--tools nbgrader,otter,dlkit1,dlkit2]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Callable

import nbformat

from dlkit import nbgrader_course as nbc

MODULE, ASSIGNMENT, NOTEBOOK = "hw1/dropout", "hw1", "dropout"
TOOLS = ("nbgrader", "otter", "dlkit1", "dlkit2")
CORES = {"nbgrader": 1, "otter": 1, "dlkit1": 1, "dlkit2": 2}
BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float | None:
    """CPU seconds all processes of the machine have spent busy so far (Linux only)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / TICK


def _processes() -> dict[tuple[int, int], tuple[int, float]]:
    """(pid, start tick) → (parent pid, CPU seconds so far) of every live process."""
    found = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:  # not a process, or gone already
            continue
        fields = data[data.rindex(b")") + 2:].split()  # after "pid (comm) "
        found[(int(name), int(fields[19]))] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return found


class Timer:
    """Wall time of a block, and the share of the machine's CPU other processes used meanwhile.

    The graders' CPU time is not all in os.times(): a sandboxed worker killed
    with its bubblewrap parent is never waited for, so its time is lost to
    us and the rest would look busy. A thread therefore samples /proc and
    counts every descendant of this process (the larger of both counts is ours).
    """

    def __enter__(self) -> "Timer":
        self.busy, self.waited = _busy_seconds(), sum(os.times()[:4])
        self.base = _processes() if os.path.isdir("/proc/self") else {}
        self.ours = {key for key in self.base if key[0] == os.getpid()}
        self.last: dict[tuple[int, int], float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        self.start = time.perf_counter()
        return self

    def _sample(self) -> None:
        while self.base:
            procs = _processes()
            pids = {pid: key for key in procs for pid in [key[0]]}
            for key in sorted(procs, key=lambda k: k[1]):  # parents start before their children
                if key not in self.ours and pids.get(procs[key][0]) in self.ours:
                    self.ours.add(key)
                if key in self.ours:
                    self.last[key] = procs[key][1]
            if self.stop.wait(0.2):
                break

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        self.stop.set()
        self.thread.join()
        busy = _busy_seconds()
        self.others = None  # fraction of all cores, None where unknown
        sampled = sum(cpu - self.base.get(key, (0, 0.0))[1] for key, cpu in self.last.items())
        self.own = own = max(sampled, sum(os.times()[:4]) - self.waited)  # CPU seconds of the tool
        if busy is not None and self.busy is not None:
            self.others = max(0.0, (busy - self.busy - own) / (self.seconds * (os.cpu_count() or 1)))


# --------------------------------------------------------------------------
# The submissions: (solution cell, old, new) edits of the source notebook.

EDITS: dict[str, list[tuple[str, str, str]]] = {
    "inverted_no_scale": [("inverted_dropout", "/ (1 - p)", "")],
    "drop_rate_counts_ones": [("drop_rate_from_mask", "(mask == 0)", "(mask == 1)")],
    "classic_scales_by_p": [("classic_test_output", "return activations * (1 - p)", "return activations * p")],
    "inverted_nan_at_p1": [("inverted_dropout", "    if p == 1:\n        return torch.zeros_like(activations)\n", "")],
    "eval_scales": [("dropout_forward", "return x, torch.ones_like(x)", "return x * (1 - p), torch.ones_like(x)")],
    "classic_unchecked": [("classic_test_output", "    if not 0 <= p <= 1:\n        raise ValueError("
                           'f"p: the drop rate must be in [0, 1], got {p}")\n', "")],
    "tensor_rate_keeps_p": [("drop_rate_from_mask", "(mask == 0).sum().item() / mask.numel()", "(mask == 0).float().mean()"),
                            ("dropout_forward", ">= p\n", "< p\n")],
    "classic_factor_in_training": [("inverted_dropout", "/ (1 - p)", "* (1 - p)"),
                                   ("apply_dropout_mask", "mask.to(activations.dtype)\n", "mask.to(activations.dtype) / mask.float().mean()\n")],
    # Broken: the notebook runs, but a whole cell or more is lost.
    "syntax_error": [("inverted_dropout", "if p == 1:", "if p == 1")],
    "raises_at_top": [("inverted_dropout", "def inverted_dropout", "print(activations.shape)  # left from debugging\n"
                       "def inverted_dropout")],
}
# Kinds in the order students get them: the first four (--quick) mix all three.
KINDS = ["correct", "inverted_no_scale", "syntax_error", "stub",
         "correct", "drop_rate_counts_ones", "correct", "classic_scales_by_p",
         "correct", "inverted_nan_at_p1", "raises_at_top", "correct",
         "eval_scales", "correct", "classic_unchecked", "empty",
         "correct", "tensor_rate_keeps_p", "correct", "classic_factor_in_training"]


def make_submission(kind: str, source: nbformat.NotebookNode, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook a student of this kind hands in."""
    if kind == "stub":
        return release
    if kind == "empty":
        return nbformat.v4.new_notebook()
    nb = nbformat.from_dict(source)  # a deep copy
    for item, old, new in EDITS.get(kind, []):
        (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"solution-{item}"]
        if old not in cell.source:
            raise AssertionError(f"{kind}: {old!r} is not in the {item} cell")
        cell.source = cell.source.replace(old, new, 1)
    return nb


def build_class(root: Path, n: int) -> list[str]:
    """An nbgrader course at `root` with `n` submissions; the student ids."""
    nbc.make_course(root, ASSIGNMENT, [NOTEBOOK])
    release_dir = nbc.generate_assignment(root, ASSIGNMENT)  # not timed
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    release = nbformat.read(release_dir / f"{NOTEBOOK}.ipynb", as_version=4)
    students = []
    for k in range(n):
        kind = KINDS[k % len(KINDS)]
        student = f"s{k + 1:02d}-{kind.replace('_', '-')}"
        nbc.submit(root, student, {NOTEBOOK: make_submission(kind, source, release)}, ASSIGNMENT)
        students.append(student)
    return students


# --------------------------------------------------------------------------
# otter: OK-format tests of the handout's worked examples, values stored.

SETUP = """>>> import torch
>>> X = torch.arange(1.0, 17.0).view(4, 4)
>>> M = torch.tensor([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=torch.float32)"""
# A ValueError naming p, as the handout asks for a drop rate outside [0, 1].
RAISES = """>>> try:
...     {call}
...     print("accepted")
... except ValueError as e:
...     print("p" in str(e))
True"""
OTTER_TESTS: dict[str, str] = {  # one test per check, so that otter's fraction counts checks
    "apply_mask_example": ">>> apply_dropout_mask(X, M).tolist() == [[1.0, 0.0, 3.0, 0.0], [0.0, 6.0, 7.0, 0.0], "
                          "[9.0, 10.0, 0.0, 0.0], [0.0, 14.0, 0.0, 16.0]]\nTrue",
    "drop_rate_example": ">>> r = drop_rate_from_mask(M)\n>>> isinstance(r, float) and r == 0.5\nTrue",
    "drop_rate_all_kept_all_dropped": ">>> drop_rate_from_mask(torch.ones(3, 3)) == 0.0 and "
                                      "drop_rate_from_mask(torch.zeros(5)) == 1.0\nTrue",
    "classic_p05": ">>> classic_test_output(X, 0.5).tolist() == [[0.5, 1.0, 1.5, 2.0], [2.5, 3.0, 3.5, 4.0], "
                   "[4.5, 5.0, 5.5, 6.0], [6.5, 7.0, 7.5, 8.0]]\nTrue",
    "classic_p075": ">>> classic_test_output(X, 0.75).tolist()[0] == [0.25, 0.5, 0.75, 1.0]\nTrue",
    "classic_bad_rate": RAISES.format(call="classic_test_output(X, 1.5)"),
    "inverted_p05": ">>> inverted_dropout(X, M, 0.5).tolist() == [[2.0, 0.0, 6.0, 0.0], [0.0, 12.0, 14.0, 0.0], "
                    "[18.0, 20.0, 0.0, 0.0], [0.0, 28.0, 0.0, 32.0]]\nTrue",
    "inverted_p1": ">>> inverted_dropout(X, M, 1.0).tolist() == [[0.0] * 4] * 4\nTrue",
    "inverted_bad_rate": RAISES.format(call="inverted_dropout(X, M, -0.1)"),
    "forward_eval": ">>> out, mask = dropout_forward(X, 0.5, training=False)\n"
                    ">>> out.tolist() == X.tolist() and mask.tolist() == [[1.0] * 4] * 4\nTrue",
    "forward_p0": ">>> out, mask = dropout_forward(X, 0.0, training=True)\n>>> out.tolist() == X.tolist()\nTrue",
}


def otter_autograder(folder: Path) -> Path:
    """Write the OK-format tests into `folder` and zip them with `otter generate`."""
    tests = (folder / "tests").resolve()
    tests.mkdir(parents=True)
    for name, case in OTTER_TESTS.items():
        test = {"name": name, "points": 1, "suites": [{
            "cases": [{"code": f"{SETUP}\n{case}", "hidden": False, "locked": False}],
            "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
        (tests / f"{name}.py").write_text(f"OK_FORMAT = True\n\ntest = {test!r}\n", encoding="utf-8")
    zip_path = (folder / "autograder.zip").resolve()
    subprocess.run([str(BIN / "otter"), "generate", "-t", str(tests), "-o", str(zip_path), "--no-config",
                    "--no-requirements", "--no-environment"], cwd=folder, check=True, capture_output=True, text=True)
    return zip_path


def otter_copy(notebook: Path, target: Path) -> None:
    """The submission without its nbgrader autograder cells: under otter its
    own tests are the grader, and the cells would start dlkit's judge."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


# --------------------------------------------------------------------------
# The tools. Each returns student → grades; the caller times it.

def run_nbgrader(root: Path, students: list[str], work: Path) -> dict[str, dict]:
    nbc.autograde(root, ASSIGNMENT, timeout=3600)
    grades = {}
    for s in students:
        try:
            score, points = nbc.total_score(root, s, ASSIGNMENT)
            grades[s] = {"nbgrader": score, "nbgrader_max": points}
        except Exception as exc:  # an ungradable notebook: say so rather than stop
            grades[s] = {"nbgrader": None, "nbgrader_error": repr(exc)}
    return grades


def run_otter(root: Path, students: list[str], work: Path) -> dict[str, dict]:
    zip_path, grades = work / "otter" / "autograder.zip", {}
    for s in students:
        nb = work / "otter" / "in" / s / f"{NOTEBOOK}.ipynb"
        out = work / "otter" / "out" / s
        out.mkdir(parents=True)
        proc = subprocess.run([str(BIN / "otter"), "run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(nb)],
                              cwd=nb.parent, env=nbc.environment(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600)
        try:
            tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
            tests = [t for t in tests if t.get("max_score")]  # "Public Tests" is a summary without a score
            passed = sum(t["score"] for t in tests)
            grades[s] = {"otter": passed / len(tests), "otter_tests": f"{passed:g}/{len(tests)}"}
        except (OSError, KeyError, ValueError, ZeroDivisionError):
            grades[s] = {"otter": None, "otter_error": (proc.stdout + proc.stderr)[-2000:]}
    return grades


def run_dlkit(root: Path, students: list[str], work: Path, jobs: int) -> dict[str, dict]:
    out, tool = work / f"dlkit{jobs}", f"dlkit{jobs}"
    proc = subprocess.run([str(BIN / "dlkit"), "grade", str(root), "--module", MODULE, "--jobs", str(jobs),
                           "--out", str(out), "--force"], env=nbc.environment(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"dlkit grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    grades = {}
    for s in students:
        record = json.loads((out / "records" / f"{s}.json").read_text(encoding="utf-8"))
        items = (record.get("results") or {}).get("items", [])  # none when the entry was not gradable
        tests = [t for item in items for t in item["tests"]]
        public = sum(t["points"] for t in tests if t["passed"] and t["visibility"] == "visible")
        total = sum(t["points"] for t in tests if t["passed"])
        grades[s] = {f"{tool}_public": public, f"{tool}_total": total, f"{tool}_status": record["status"]}
    return grades


RUNNERS: dict[str, Callable[[Path, list[str], Path], dict[str, dict]]] = {
    "nbgrader": run_nbgrader, "otter": run_otter,
    "dlkit1": partial(run_dlkit, jobs=1), "dlkit2": partial(run_dlkit, jobs=2)}


def run_benchmark(n: int, tools: list[str]) -> dict[str, Any]:
    """Build the class, grade it with each tool in turn; the measurements as a JSON-ready dict."""
    with tempfile.TemporaryDirectory(prefix="dlkit-class-bench-") as tmp:
        work = Path(tmp)
        root = work / "course"
        students = build_class(root, n)
        if "otter" in tools:  # untimed set-up, as generate_assignment is for nbgrader
            otter_autograder(work / "otter")
            for s in students:
                otter_copy(root / "submitted" / s / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                           work / "otter" / "in" / s / f"{NOTEBOOK}.ipynb")
        grades: dict[str, dict] = {s: {} for s in students}
        timings: dict[str, dict] = {}
        for tool in tools:
            with Timer() as timer:
                found = RUNNERS[tool](root, students, work)
            for s in students:
                grades[s].update(found.get(s, {}))
            rate = n / timer.seconds * 60
            timings[tool] = {"seconds": timer.seconds, "per_minute": rate, "cores": CORES[tool],
                             "per_minute_per_core": rate / CORES[tool], "others": timer.others,
                             "cpu_seconds": timer.own}
    result: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "versions": versions(), "n": n, "tools": timings, "grades": grades, "ratios": {},
    }
    if {"dlkit1", "dlkit2"} <= timings.keys():
        result["ratios"]["dlkit2/dlkit1"] = timings["dlkit2"]["per_minute"] / timings["dlkit1"]["per_minute"]
    for tool in ("dlkit1", "dlkit2"):
        if tool in timings and "nbgrader" in timings:
            result["ratios"][f"{tool} per core/nbgrader"] = (timings[tool]["per_minute_per_core"]
                                                             / timings["nbgrader"]["per_minute_per_core"])
    return result


def versions() -> dict[str, str]:
    from importlib.metadata import distributions

    wanted = {"dlkit", "nbgrader", "otter-grader", "torch"}
    found = {d.metadata["Name"].lower(): d.version for d in distributions() if d.metadata["Name"].lower() in wanted}
    return {"python": platform.python_version(), **{n: found.get(n, "absent") for n in sorted(wanted)}}


def format_report(result: dict[str, Any]) -> str:
    """The tables printed by main()."""
    v = result["versions"]
    lines = [f"class grading of {result['n']} {MODULE} notebooks, {result['date']}, {result['machine']}; "
             + ", ".join(f"{k} {x}" for k, x in v.items()),
             f"{'tool':<10} {'wall s':>8} {'subs/min':>9} {'cores':>6} {'per core':>9} {'others CPU':>11}"
             f"{'own CPU s':>11} {'busy cores':>11}"]
    for tool, t in result["tools"].items():
        others = "?" if t["others"] is None else f"{t['others']:.0%}"
        lines.append(f"{tool:<10} {t['seconds']:>8.1f} {t['per_minute']:>9.2f} {t['cores']:>6} "
                     f"{t['per_minute_per_core']:>9.2f} {others:>11}{t['cpu_seconds']:>11.1f}"
                     f"{t['cpu_seconds'] / t['seconds']:>11.2f}")
    goals = {"dlkit2/dlkit1": 1.8, "dlkit1 per core/nbgrader": 2, "dlkit2 per core/nbgrader": 2}
    for name, ratio in result["ratios"].items():
        lines.append(f"ratio {name}: {ratio:.2f} (goal ≥ {goals[name]:g})")
    columns = [c for c in ("nbgrader", "otter_tests", "dlkit1_public", "dlkit1_total", "dlkit2_public", "dlkit2_total")
               if any(c in g for g in result["grades"].values())]
    lines.append(f"{'student':<32}" + "".join(f"{c:>15}" for c in columns))
    for student, g in result["grades"].items():
        lines.append(f"{student:<32}" + "".join(f"{'—' if g.get(c) is None else format(g[c], 'g') if isinstance(g[c], float) else g[c]!s:>15}" for c in columns))
    # Where two tools run the same tests, their scores should be equal.
    for a, b in (("nbgrader", "dlkit1_public"), ("nbgrader", "dlkit2_public"), ("dlkit1_total", "dlkit2_total")):
        both = [g for g in result["grades"].values() if a in g and b in g]
        if both:
            same = sum(g[a] is not None and g[b] is not None and abs(g[a] - g[b]) < 1e-9 for g in both)
            lines.append(f"{a} = {b}: {same} of {len(both)} students")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line; prints the tables, writes JSON with --json; returns 0."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20, help="submissions (default 20)")
    p.add_argument("--quick", action="store_true", help="smoke run: 4 submissions (correct, partial, 2 broken)")
    p.add_argument("--json", metavar="FILE", help="also write the measurements as JSON")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, of {', '.join(TOOLS)} (default: all)")
    args = p.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        p.error(f"--tools: unknown {', '.join(unknown)}")
    if "otter" in tools and not (BIN / "otter").exists():
        p.error("otter-grader is not installed here (pip install otter-grader), or leave otter out of --tools")
    # nbgrader starts `alembic` by name: this interpreter's scripts first.
    os.environ["PATH"] = os.pathsep.join([str(BIN), os.environ.get("PATH", "")])
    result = run_benchmark(4 if args.quick else args.n, tools)
    print(format_report(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
