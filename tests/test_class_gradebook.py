"""Class grades into nbgrader's gradebook: fresh databases, re-runs and a
real course released by nbgrader, all read back through nbgrader itself."""
from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from dlkit import nbgrader_course as nbc
from dlkit.classroom.gradebook import db_url, write_gradebook

MODULE = "hw1/dropout"


def points_of(notebook: str) -> dict[str, float]:
    """item → points of its autograder cell in the course's source notebook."""
    source = nbformat.read(nbc.COURSE / "source" / "hw1" / f"{notebook}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"].removeprefix("test-"): float(c.metadata["nbgrader"]["points"])
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


POINTS = points_of("dropout")
ITEMS = sorted(POINTS)
# dlkit grade also runs instructor-only tests: an item is worth more than
# its cell's public points.
MAX = {item: points + 2.0 for item, points in POINTS.items()}


def record(student: str, scores: dict[str, float], status: str = "graded", module: str = MODULE,
           maxima: dict[str, float] = MAX) -> dict:
    items = [{"module": module, "item": i, "score": s, "max_score": maxima[i], "tests": []} for i, s in scores.items()]
    total = sum(scores.values())
    return {"student": student, "status": status, "reason": "" if status == "graded" else "nothing to grade",
            "notes": [], "modules": [module], "hash": "0", "seconds": 1.0, "score": total,
            "max_score": sum(maxima[i] for i in scores), "crashed": False, "restarts": [],
            "results": {"score": total, "max_score": 0.0, "sandbox": "none", "worker_restarts": [],
                        "errors": [], "items": items}}


# A student id with a space and non-ASCII letters, as entry names give them.
SCORES = {
    "alice": {i: MAX[i] for i in ITEMS},
    "José Núñez": {i: (1.0 if n % 2 else 0.0) for n, i in enumerate(ITEMS)},
    "bob": dict.fromkeys(ITEMS, 0.0),  # submitted nothing: every item at 0
}


def error_record(student: str) -> dict:
    """Nothing could be graded; such a record may still list its items at 0."""
    rec = record(student, dict.fromkeys(ITEMS, 0.0), status="error")
    rec["results"]["errors"] = ["the grader failed"]
    return rec


ERROR = error_record("carol")


def class_records(scores: dict[str, dict[str, float]] = SCORES) -> list[dict]:
    return [record(student, s) for student, s in scores.items()] + [ERROR]


def cells(gb: Gradebook, student: str, notebook: str = "dropout") -> dict[str, tuple[float | None, float]]:
    """item → (auto_score, max_score) of the student's submitted notebook."""
    sub = gb.find_submission_notebook(notebook, "hw1", student)
    return {g.name.removeprefix("test-"): (g.auto_score, g.max_score) for g in sub.grades}


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, ids included, in a fixed order."""
    with sqlite3.connect(db) as con:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The empty gradebook nbgrader creates, made once: creating one runs
    `alembic` in a subprocess (seconds)."""
    db = tmp_path_factory.mktemp("blank") / "gradebook.db"
    with pytest.MonkeyPatch.context() as mp:
        # As in a plain `dlkit` run: no venv on PATH, yet nbgrader must find `alembic`.
        mp.setenv("PATH", "/usr/bin:/bin")
        assert write_gradebook([], db) == 0
    return db


@pytest.fixture
def db(blank: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(blank, tmp_path / "gradebook.db"))


def test_fresh_db(db: Path) -> None:
    assert write_gradebook(class_records(), db) == 3
    with Gradebook(db_url(db), course_id="default") as gb:
        notebook = gb.find_notebook("dropout", "hw1")
        assert {c.name: c.max_score for c in notebook.grade_cells} == {f"test-{i}": m for i, m in MAX.items()}
        assert notebook.max_score == sum(MAX.values())
        for student, scores in SCORES.items():
            assert cells(gb, student) == {i: (scores[i], MAX[i]) for i in ITEMS}
            sub = gb.find_submission("hw1", student)
            assert (sub.score, sub.max_score) == (sum(scores.values()), sum(MAX.values()))
            assert not sub.needs_manual_grade and sub.timestamp is None
        # The error record: on the roster, no submission, nothing scored.
        assert {s.id for s in gb.students} == {*SCORES, "carol"}
        with pytest.raises(MissingEntry):
            gb.find_submission("hw1", "carol")
        # What the formgrader lists.
        listed = {d["student"]: (d["score"], d["max_score"]) for d in gb.submission_dicts("hw1")}
        assert listed == {s: (sum(v.values()), sum(MAX.values())) for s, v in SCORES.items()}

    before = dump(db)
    assert write_gradebook(class_records(), str(db)) == 3  # a path as str
    assert dump(db) == before  # idempotent, row for row
    assert write_gradebook([ERROR], db_url(db)) == 0  # a URL


def test_rerun_updates_scores_and_keeps_manual_grades(db: Path) -> None:
    write_gradebook(class_records(), db)
    item = ITEMS[0]
    with Gradebook(db_url(db), course_id="default") as gb:
        gb.find_grade(f"test-{item}", "dropout", "hw1", "bob").manual_score = 0.25
        gb.db.commit()

    regraded = {**SCORES, "bob": dict.fromkeys(ITEMS, 1.0)}
    records = class_records(regraded)
    # alice's re-run failed: her earlier grade stays.
    records[0] = error_record("alice")
    # José is now graded on a second notebook of hw1 too: his existing
    # submission gains that notebook's rows.
    opt = points_of("optimizers")
    records.append(record("José Núñez", dict.fromkeys(opt, 0.5), module="hw1/optimizers", maxima=opt))
    assert write_gradebook(records, db) == 3

    with Gradebook(db_url(db), course_id="default") as gb:
        assert cells(gb, "bob") == {i: (1.0, MAX[i]) for i in ITEMS}
        grade = gb.find_grade(f"test-{item}", "dropout", "hw1", "bob")
        assert grade.manual_score == 0.25 and grade.score == 0.25
        assert grade.needs_manual_grade  # an override is flagged for review, as nbgrader's autograde does
        assert gb.find_submission("hw1", "bob").score == 0.25 + len(ITEMS) - 1
        assert cells(gb, "alice") == {i: (MAX[i], MAX[i]) for i in ITEMS}
        assert cells(gb, "José Núñez", "optimizers") == {i: (0.5, p) for i, p in opt.items()}
        assert gb.find_submission("hw1", "José Núñez").score == sum(SCORES["José Núñez"].values()) + 0.5 * len(opt)
        # A submission written to gains the new notebook, ungraded, as
        # add_submission would have made it; one not written to is left alone.
        assert set(cells(gb, "bob", "optimizers").values()) == {(None, p) for p in opt.values()}
        with pytest.raises(MissingEntry):
            gb.find_submission_notebook("optimizers", "hw1", "alice")


@pytest.mark.slow
def test_real_course(tmp_path: Path) -> None:
    # Two of hw1's notebooks (each one more costs generate_assignment seconds):
    # the one graded and one dlkit does not grade here.
    others = ("optimizers",)
    root = nbc.make_course(tmp_path / "course", "hw1", ["dropout", *others])
    nbc.generate_assignment(root, "hw1")
    public = {n: sum(points_of(n).values()) for n in others}
    with Gradebook(nbc.db_url(root), nbc.COURSE_ID) as gb:
        released = {c.name: c.max_score for c in gb.find_notebook("dropout", "hw1").grade_cells}
    assert released == {f"test-{i}": p for i, p in POINTS.items()}  # the public points

    assert write_gradebook(class_records(), root / "gradebook.db", course_id=nbc.COURSE_ID) == 3
    with Gradebook(nbc.db_url(root), nbc.COURSE_ID) as gb:
        assert {s.student_id for s in gb.assignment_submissions("hw1")} == set(SCORES)
        notebook = gb.find_notebook("dropout", "hw1")
        # generate_assignment's cells, now worth the record's max_score
        assert {c.name: c.max_score for c in notebook.grade_cells} == {f"test-{i}": m for i, m in MAX.items()}
        assert notebook.source_cells and notebook.solution_cells
        for student, scores in SCORES.items():
            assert cells(gb, student) == {i: (scores[i], MAX[i]) for i in ITEMS}
            # Notebooks dlkit did not grade stay ungraded.
            assert {g.auto_score for n in others for g in gb.find_submission_notebook(n, "hw1", student).grades} == {None}

    grades = root / "grades.csv"
    nbc.nbgrader(root, "export", "--to", str(grades))
    with grades.open(newline="", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    total = sum(MAX.values()) + sum(public.values())
    want = {s: sum(v.values()) for s, v in SCORES.items()} | {"carol": 0.0}
    assert {s: float(r["score"]) for s, r in rows.items()} == want
    assert {float(r["max_score"]) for r in rows.values()} == {total}
    assert rows["carol"]["timestamp"] == ""
