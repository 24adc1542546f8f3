"""nbgrader end to end for every assignment beyond the one tests/test_nbgrader.py
grades in detail: the solved notebooks get full marks, the released ones 0,
and no grade cell writes to stderr."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dlkit import nbgrader_course as nbc

pytestmark = pytest.mark.slow

ASSIGNMENTS = sorted(p.name for p in (nbc.COURSE / "source").iterdir() if p.is_dir() and p.name != "hw7")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solved_full_unsolved_zero(assignment: str, tmp_path: Path) -> None:
    root = nbc.make_course(tmp_path / "course", assignment)
    release = nbc.generate_assignment(root, assignment)
    names = sorted(p.stem for p in (root / "source" / assignment).glob("*.ipynb"))
    nbc.submit(root, "solved", {n: root / "source" / assignment / f"{n}.ipynb" for n in names}, assignment)
    nbc.submit(root, "unsolved", {n: release / f"{n}.ipynb" for n in names}, assignment)
    nbc.autograde(root, assignment, timeout=900)
    score, points = nbc.total_score(root, "solved", assignment)
    assert points > 0 and score == points, (score, points)
    assert nbc.total_score(root, "unsolved", assignment) == (0, points)
    for student in ("solved", "unsolved"):
        for name in names:
            notebook = root / "autograded" / student / assignment / f"{name}.ipynb"
            for cell in nbformat.read(notebook, as_version=4).cells:
                if cell.metadata.get("nbgrader", {}).get("grade"):
                    bad = [o for o in cell.outputs if o.get("name") == "stderr" or o.output_type == "error"]
                    assert not bad, (student, name, cell.metadata["nbgrader"]["grade_id"], bad)
