"""Driving nbgrader on a copy of the course directory.

Instructors use it to try a release or a grading run without touching the
real course; the tests use it to grade notebooks end to end through nbgrader
itself, exactly as a course would.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable

import nbformat

COURSE = Path(__file__).resolve().parents[1] / "course"
COURSE_ID = "dlkit"


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries its output."""


def make_course(root: Path, assignment: str = "hw7", modules: Iterable[str] | None = None) -> Path:
    """Create an nbgrader course directory at `root` holding `assignment`.

    Args:
        root: the new course directory (created if missing).
        assignment: the assignment whose source notebooks are copied, e.g. 'hw7'.
        modules: notebook names to copy (e.g. ['conditional_gan']); all by default.

    Returns:
        The course directory.
    """
    root = Path(root)
    source = COURSE / "source" / assignment
    names = list(modules) if modules is not None else sorted(p.stem for p in source.glob("*.ipynb"))
    if not names:
        raise FileNotFoundError(f"no source notebooks for {assignment} in {source}")
    target = root / "source" / assignment
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
    for name in names:
        shutil.copy2(source / f"{name}.ipynb", target / f"{name}.ipynb")
    return root


def environment() -> dict[str, str]:
    """The environment nbgrader (and the grading kernels it starts) run in."""
    env = dict(os.environ)
    # The gradebook starts `alembic` by name, so this interpreter's scripts
    # must come first on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # Kernels run in the student's autograded folder, which becomes feedback;
    # hypothesis fixes where it writes when first imported, possibly by a
    # notebook cell before any dlkit grading run could redirect it.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(tempfile.gettempdir(), "dlkit-hypothesis")
    return env


def nbgrader(course: Path, *args: str, timeout: float | None = None) -> str:
    """Run `nbgrader ARGS` in `course`; its combined output, or NbgraderError."""
    cmd = [str(Path(sys.executable).parent / "nbgrader"), *args]
    try:
        proc = subprocess.run(
            cmd, cwd=course, env=environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output.decode() if isinstance(exc.output, bytes) else exc.output or ""
        raise NbgraderError(f"nbgrader {' '.join(args)} did not finish in {timeout:g} s:\n{output}") from None
    if proc.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit status {proc.returncode}):\n{proc.stdout}")
    return proc.stdout


def generate_assignment(course: Path, assignment: str = "hw7") -> Path:
    """Release `assignment`; returns release/<assignment>/."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    return Path(course) / "release" / assignment


def submit(
    course: Path, student: str, notebooks: dict[str, nbformat.NotebookNode | Path], assignment: str = "hw7"
) -> Path:
    """Place a student's notebooks (name → notebook or file) under submitted/.

    Returns:
        submitted/<student>/<assignment>/.
    """
    folder = Path(course) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, notebook in notebooks.items():
        if isinstance(notebook, Path):
            shutil.copy2(notebook, folder / f"{name}.ipynb")
        else:
            nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def autograde(course: Path, assignment: str = "hw7", timeout: float | None = None) -> str:
    """Autograde every submission of `assignment` in one run; nbgrader's log."""
    return nbgrader(course, "autograde", assignment, "--force", timeout=timeout)


def db_url(course: Path) -> str:
    """The gradebook of `course`, as SQLAlchemy names it."""
    return f"sqlite:///{(Path(course) / 'gradebook.db').resolve()}"


def cell_scores(
    course: Path, student: str, notebook: str, assignment: str = "hw7"
) -> dict[str, tuple[float | None, float]]:
    """grade_id → (automatic score, points) of one graded notebook.

    The automatic score is None where nbgrader could not grade the cell
    (e.g. the kernel died), which leaves it for manual grading.
    """
    from nbgrader.api import Gradebook

    with Gradebook(db_url(course), COURSE_ID) as gradebook:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
        return {g.name: (g.auto_score, g.max_score) for g in submitted.grades}


def total_score(course: Path, student: str, assignment: str = "hw7") -> tuple[float, float]:
    """(score, points) of a student's whole assignment."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(course), COURSE_ID) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return submission.score, submission.max_score
