"""The notebook entry point: an autograder cell grades one item of the
notebook's own code and ends with the points earned, which nbgrader records
as partial credit.

The kernel is the student's, so nothing is judged in it: the cell hands the
code of the cells run so far to a fresh judge process, which grades it as it
grades a module, with the submission in a sandboxed worker. The kernel only
prints what the judge decided (see the README for what that still leaves
open: the kernel itself can lie about what it prints).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

GRADER_MARK = "grade_notebook("
JUDGE_SECONDS = 600


def notebook_cells(namespace: Mapping[str, Any]) -> list[str]:
    """The code of the cells the kernel ran, in order, without autograder
    cells and IPython's magics (which mean nothing outside a kernel)."""
    history = namespace.get("In") or namespace.get("_ih") or []
    cells = []
    for source in list(history):
        if not isinstance(source, str) or not source.strip() or GRADER_MARK in source:
            continue
        lines = [line for line in source.splitlines() if not line.lstrip().startswith("get_ipython()")]
        cells.append("\n".join(lines))
    return cells


def write_cells(root: Path, module: str, cells: list[str]) -> Path:
    """Lay the cells out as a submission: ROOT/hw7/conditional_gan.cells.json."""
    path = root / f"{module}.cells.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cells), encoding="utf-8")
    return root


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
    with tempfile.TemporaryDirectory(prefix="dlkit-notebook-") as scratch:
        root = write_cells(Path(scratch) / "submission", module, notebook_cells(namespace))
        out = Path(scratch) / "result.json"
        cmd = [sys.executable, "-s", "-m", "dlkit.grading.notebook", module, item, str(root), str(out)]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=JUDGE_SECONDS, cwd=scratch, env=dict(os.environ, PYTHONWARNINGS="ignore"))
            result = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            print(f"{item}: could not be graded ({type(exc).__name__}: {exc})")
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


def main(argv: list[str] | None = None) -> int:
    """The judge process of one autograder cell."""
    parser = argparse.ArgumentParser(prog="python -m dlkit.grading.notebook")
    for name in ("module", "item", "root", "out"):
        parser.add_argument(name)
    args = parser.parse_args(argv)
    from dlkit.grading.runner import grade as run_graders

    results = run_graders([args.module], args.root, items=[args.item])
    Path(args.out).write_text(json.dumps(results.to_json()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
