"""The notebook entry point: an autograder cell grades one item of the
notebook's own code and ends with the points earned, which nbgrader records
as partial credit.

The kernel is the student's, so nothing is judged in it: the cell hands the
code of the cells run so far to a judge process of its own (started once per
kernel from a fresh interpreter, then kept), which grades it as it grades a
module, with the submission in a sandboxed worker. The kernel only prints
what the judge decided (see the README for what that still leaves open: the
kernel itself can lie about what it prints).
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

GRADER_MARK = "grade_notebook("
JUDGE_SECONDS = 600
PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")
_JUDGE: dict[str, subprocess.Popen] = {}


def graded_code(sources: list[str]) -> list[str]:
    """The cells that are graded, in order: without autograder cells and
    IPython's magics and shell escapes (which mean nothing outside a kernel),
    whether written by the student (``%matplotlib``, ``!pip``, ``%%time``) or
    as the kernel's history holds them (``get_ipython().run_line_magic``)."""
    cells = []
    for source in sources:
        if not isinstance(source, str) or not source.strip() or GRADER_MARK in source:
            continue
        if source.lstrip().startswith("%%"):  # a cell magic: only these run their body as Python
            first, _, body = source.lstrip().partition("\n")
            if first[2:].split(" ")[0] not in PYTHON_CELL_MAGICS:
                continue
            source = body
        lines = [line for line in source.splitlines()
                 if not line.lstrip().startswith(("get_ipython()", "%", "!"))]
        if any(line.strip() for line in lines):
            cells.append("\n".join(lines))
    return cells


def notebook_cells(namespace: Mapping[str, Any]) -> list[str]:
    """The code of the cells the kernel ran, in order (see :func:`graded_code`)."""
    history = namespace.get("In") or namespace.get("_ih") or []
    return graded_code(list(history))


def write_cells(root: Path, module: str, cells: list[str]) -> Path:
    """Lay the cells out as a submission: ROOT/hw7/conditional_gan.cells.json."""
    path = root / f"{module}.cells.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cells), encoding="utf-8")
    return root


def _judge() -> subprocess.Popen:
    proc = _JUDGE.get("proc")
    if proc is None or proc.poll() is not None:
        proc = subprocess.Popen(
            [sys.executable, "-s", "-m", "dlkit.grading.notebook"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=dict(os.environ, PYTHONWARNINGS="ignore"), cwd=tempfile.gettempdir(),
        )
        _JUDGE["proc"] = proc
    return proc


def _stop_judge() -> None:
    proc = _JUDGE.pop("proc", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


atexit.register(_stop_judge)


def grade(module: str, item: str, namespace: Mapping[str, Any]) -> float:
    """Grade `item` of `module` against the code of the notebook's cells.

    Args:
        module: the graded module, e.g. 'hw7/conditional_gan'.
        item: the assignment item, e.g. 'combine_vectors'.
        namespace: the notebook's globals() (its input history is read).

    Returns:
        The points earned (between 0 and the item's points). The explanation
        is printed to stdout; nothing is ever written to stderr, since
        nbgrader scores a cell with stderr output 0.
    """
    import threading

    request = json.dumps({"module": module, "item": item, "cells": notebook_cells(namespace)})
    proc = _judge()
    answer: list[str] = []
    reader = threading.Thread(target=lambda: answer.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    try:
        proc.stdin.write(request + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        reader.start()
        reader.join(JUDGE_SECONDS)
        result = json.loads(answer[0]) if answer and answer[0] else None
    except (OSError, ValueError) as exc:
        result, reason = None, f"{type(exc).__name__}: {exc}"
    else:
        reason = "the judge did not answer" if result is None else ""
    if result is None:
        _stop_judge()
        print(f"{item}: could not be graded ({reason})")
        return 0.0
    return report(item, result)


def report(item: str, result: dict[str, Any]) -> float:
    """Print the judge's verdict on one item; return its points."""
    items = [i for i in result.get("items", []) if i.get("item") == item]
    if result.get("errors") or not items:
        reason = result["errors"][0].splitlines()[0] if result.get("errors") else "no graders found"
        print(f"{item}: could not be graded ({reason})")
        return 0.0
    entry = items[0]
    score, max_score = float(entry["score"]), float(entry["max_score"])
    mark = "✓" if score == max_score else "✗"
    unit = "point" if max_score == 1 else "points"
    print(f"{mark} {item}: {score:g} / {max_score:g} {unit}")
    for test in entry["tests"]:
        if not test["passed"]:
            message = test["message"].replace("\n", "\n      ")
            print(f"  ✗ {test['name']} (−{test['points']:g}): {message}")
    return score


def serve() -> int:
    """The judge of one kernel: one JSON request per line on stdin, one JSON
    result per line on stdout. One sandboxed worker serves every request; it
    forgets the previous cells before each."""
    import shutil

    from dlkit.grading.runner import grade as run_graders
    from dlkit.judge import Submission

    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the channel
    with tempfile.TemporaryDirectory(prefix="dlkit-notebook-") as scratch:
        root = Path(scratch) / "submission"
        root.mkdir()
        submission = Submission(root)
        submission.start()  # imports torch while the first cell's request is on its way
        try:
            for line in sys.stdin:
                try:
                    request = json.loads(line)
                    for child in root.iterdir():
                        shutil.rmtree(child) if child.is_dir() else child.unlink()
                    write_cells(root, str(request["module"]), [str(c) for c in request["cells"]])
                    submission.forget()
                    results = run_graders([request["module"]], root, items=[request["item"]], submission=submission)
                    answer = results.to_json()
                except Exception as exc:  # the judge's own failure: said, never a crash of the cell
                    answer = {"errors": [f"internal error of the grader: {type(exc).__name__}: {exc}"], "items": []}
                out.write(json.dumps(answer) + "\n")
                out.flush()
        finally:
            submission.close()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
