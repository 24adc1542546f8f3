"""The build: stubs and notebooks derived from solutions/ stay in step with
them, keep everything but the solution regions, and carry the graders' points."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlkit.build import BEGIN, END, build, find_regions, notebook_text, sources, stub_text
from dlkit.grading.runner import grade
from tests.helpers import ROOT


def test_checked_in_files_are_up_to_date() -> None:
    assert build(check=True) == [], "run `dlkit build` and commit the result"


@pytest.mark.parametrize("module, source", sources(), ids=[m for m, _ in sources()])
def test_stub_keeps_everything_but_the_regions(module: str, source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    stub = stub_text(text, source, module)
    regions = find_regions(text.splitlines(), source)
    assert BEGIN not in stub and END not in stub
    assert len(re.findall(r"^\s+raise NotImplementedError\(", stub, re.M)) == len(regions)
    kept = [line for n, line in enumerate(text.splitlines())
            if not any(r.start <= n <= r.end for r in regions)]
    stub_lines = stub.splitlines()
    missing = [line for line in kept if line not in stub_lines]
    assert not missing, f"lines outside the regions were lost: {missing[:3]}"
    compile(stub, str(source), "exec")


@pytest.mark.parametrize("module, source", sources(), ids=[m for m, _ in sources()])
def test_notebook_cells_and_points(module: str, source: Path) -> None:
    nb = nbformat.read(ROOT / "course" / "source" / f"{module}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids)), "grade_id values must be unique"
    grade_cells = {m["grade_id"].removeprefix("test-"): m["points"] for m in meta if m and m["grade"]}
    graded = grade([module], "solutions", collect_only=True)
    assert grade_cells == {i.item: i.max_score for i in graded.items}
    for cell, m in zip(nb.cells, meta):
        if m and m["solution"]:
            assert BEGIN in cell.source and m["locked"] is False
        if m and m["grade"]:
            assert m["locked"] is True and "grade_notebook(" in cell.source


def test_items_must_match_the_graders() -> None:
    module, source = sources()[0]
    with pytest.raises(ValueError, match="differ from the items"):
        notebook_text(source.read_text(encoding="utf-8"), source, module, {"some_other_item": 1.0})


def test_build_check_reports_drift(tmp_path: Path) -> None:
    for part in ("dlkit", "solutions", "assignments", "graders", "course"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    stub = tmp_path / "assignments" / "hw7" / "conditional_gan.py"
    stub.write_text(stub.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    cmd = [sys.executable, "-m", "dlkit.cli", "build", "--check"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "assignments/hw7/conditional_gan.py" in proc.stdout
    fix = subprocess.run(cmd[:-1], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert fix.returncode == 0, fix.stderr
    assert subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True).returncode == 0
