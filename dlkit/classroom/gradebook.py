"""Class grades into nbgrader's gradebook.

Instructors who run nbgrader's formgrader, ``nbgrader export`` or their own
gradebook queries keep that workflow while the grading itself happens in
``dlkit grade`` (sandboxed, with instructor-only tests). Everything goes
through nbgrader's own API, so the database stays one nbgrader can migrate
and read.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def db_url(db: str | Path) -> str:
    """SQLAlchemy's name for `db`: a URL as given, a file path as sqlite."""
    if "://" in str(db):
        return str(db)
    return f"sqlite:///{Path(db).resolve()}"


def _where(item: dict[str, Any]) -> tuple[str, str, str]:
    """(assignment, notebook, grade cell) of a record's item: 'hw1/dropout'
    and 'dropout_forward' are hw1, dropout, test-dropout_forward."""
    assignment, notebook = item["module"].split("/", 1)
    return assignment, notebook, f"test-{item['item']}"


@contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader starts `alembic` by name when it creates a gradebook; put
    this interpreter's scripts first on PATH so a `dlkit` run outside an
    activated venv works too (restored afterwards)."""
    before = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(p for p in (str(Path(sys.executable).parent), before) if p)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before


def _mirror(gb: Any, submission: Any) -> None:
    """Give `submission` the rows nbgrader's `add_submission` makes (a
    SubmittedNotebook per notebook, a Grade per grade/task cell, a Comment
    per solution/task cell) for notebooks and cells added after it was made,
    e.g. a module graded for the first time on a re-run."""
    from nbgrader.api import Comment, Grade, SubmittedNotebook

    # SQLAlchemy 2 adds nothing to the session through a backref: add each row.
    have = {sub.notebook_id: sub for sub in submission.notebooks}
    for notebook in submission.assignment.notebooks:
        sub = have.get(notebook.id)
        if sub is None:
            sub = SubmittedNotebook(notebook=notebook, assignment=submission)
            gb.db.add(sub)
        graded = {g.cell_id for g in sub.grades}
        commented = {c.cell_id for c in sub.comments}
        gb.db.add_all([Grade(cell_id=c.id, notebook=sub) for c in [*notebook.grade_cells, *notebook.task_cells]
                       if c.id not in graded])
        gb.db.add_all([Comment(cell_id=c.id, notebook=sub) for c in [*notebook.solution_cells, *notebook.task_cells]
                       if c.id not in commented])
    gb.db.flush()


def write_gradebook(records: list[dict], db: str | Path, course_id: str = "default") -> int:
    """Write the records' scores into nbgrader's gradebook (sqlite file path
    or a SQLAlchemy URL); return the number of notebooks written.

    Module "hwN/name" is nbgrader assignment "hwN", notebook "name"; item X
    is grade cell "test-X". Missing assignments, notebooks, grade cells and
    students are created, so the instructor needs no `generate_assignment`
    (no source or solution cells are made: nbgrader needs them only to
    autograde, which dlkit did).

    - A grade cell's max_score becomes the item's full max_score from the
      records (the largest one seen), also for cells `generate_assignment`
      made: the notebooks carry only the public tests' points, while dlkit
      also ran the instructor-only tests. A later `generate_assignment` or
      `autograde` resets it to the public points; write again afterwards.
    - Each item's score goes to `Grade.auto_score`; `manual_score` is never
      touched, so an instructor's override survives re-runs, and as in
      nbgrader's autograde a grade with one is flagged for review.
    - Every item of the record is written, so a module the student did not
      submit gets its zeros. Cells no item names (other notebooks of the
      assignment, say) are left as they are: dlkit did not grade them.
    - A record with status "error" was not graded: the student is added to
      the roster (`nbgrader export` then shows 0 for a missing submission)
      but no scores are written, and an earlier submission is kept as it is,
      so a failure of the grader never zeroes a real grade.
    - New submissions get no timestamp (dlkit's records have none), which
      nbgrader reads as "not late". Re-running with the same records leaves
      the same database; changed records update the scores.
    """
    from nbgrader.api import Gradebook, MissingEntry

    graded = [r for r in records if r["status"] == "graded"]
    max_scores: dict[tuple[str, str, str], float] = {}
    for record in graded:
        for item in record["results"]["items"]:
            key = _where(item)
            max_scores[key] = max(max_scores.get(key, 0.0), float(item["max_score"]))

    written = 0
    with _alembic_on_path(), Gradebook(db_url(db), course_id=course_id) as gb:
        # The whole structure first, so that add_submission mirrors all of it.
        for (assignment, notebook, cell), max_score in sorted(max_scores.items()):
            gb.update_or_create_assignment(assignment)
            gb.update_or_create_notebook(notebook, assignment)
            gb.update_or_create_grade_cell(cell, notebook, assignment, max_score=max_score, cell_type="code")
        for record in records:
            gb.update_or_create_student(record["student"])
        for record in graded:
            student = record["student"]
            by_notebook: dict[tuple[str, str], dict[str, float]] = {}
            for item in record["results"]["items"]:
                assignment, notebook, cell = _where(item)
                by_notebook.setdefault((assignment, notebook), {})[cell] = float(item["score"])
            for (assignment, notebook), scores in sorted(by_notebook.items()):
                try:
                    submission = gb.find_submission(assignment, student)
                except MissingEntry:
                    with gb.db.no_autoflush:  # else SQLAlchemy warns about the half-built submission
                        submission = gb.add_submission(assignment, student)
                _mirror(gb, submission)
                grades = {g.name: g for g in gb.find_submission_notebook(notebook, assignment, student).grades}
                for cell, score in scores.items():
                    grade = grades[cell]
                    grade.auto_score = score
                    grade.needs_manual_grade = grade.manual_score is not None
                written += 1
            gb.db.commit()
    return written
