"""nbgrader end to end: release the HW7 notebook, autograde four students in
one run, and read the scores back from the gradebook."""
from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from dlkit import nbgrader_course as nbc
from dlkit.build import BEGIN, END, ROOT

pytestmark = pytest.mark.slow

# The conditional GAN notebook is graded in detail; every other notebook of
# the assignment is submitted solved by "solved" and untouched by the rest.
NOTEBOOK = "conditional_gan"
NOTEBOOKS = sorted(p.stem for p in (nbc.COURSE / "source" / "hw7").glob("*.ipynb"))


def points_of(notebook: str) -> dict[str, float]:
    """item → points, as the build wrote them into the autograder cells."""
    source = nbformat.read(nbc.COURSE / "source" / "hw7" / f"{notebook}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"].removeprefix("test-"): c.metadata["nbgrader"]["points"]
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


POINTS = points_of(NOTEBOOK)
TOTAL = sum(sum(points_of(n).values()) for n in NOTEBOOKS)
SOLVED_IN_PARTIAL = ("get_one_hot_labels", "combine_vectors", "get_input_dimensions")
# Two common slips next to a correct item:
# one_hot without n_classes sizes the vectors by the largest label, which the
# worked example [[0, 2, 1]] with 3 classes cannot tell apart but generated
# labels can (1 of 2 points); concatenation without the float cast returns
# int64 for int64 inputs, which both the worked example and the properties
# check (0 of 3 points); the input dimensions are right (1 of 1).
MISTAKES = {
    "get_one_hot_labels": "return nn.functional.one_hot(labels)",
    "combine_vectors": "return torch.cat((x, y), 1)",
}
# The one-hot mistake passes the worked example only; get_input_dimensions is
# correct in that notebook, so it keeps all its points.
MISTAKE_SCORES = {"get_one_hot_labels": 1.0, "combine_vectors": 0.0, "get_input_dimensions": POINTS["get_input_dimensions"]}
CACHES = (".hypothesis", ".pytest_cache")


def solution_lines() -> set[str]:
    """The lines with code between the solution markers of the reference module."""
    lines, inside = set(), False
    for line in (ROOT / "solutions" / "hw7" / f"{NOTEBOOK}.py").read_text(encoding="utf-8").splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside and re.search(r"\w", line):  # a lone ")" proves nothing
            lines.add(line.strip())
    return lines


def grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def replace_region(source: str, body: str | None = None) -> str:
    """The cell's code with its solution region replaced by `body` (None keeps
    the solution and drops only the markers), as a student would type it."""
    out, indent, inside = [], "", False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            if body is not None:
                out.append(indent + body)
        elif line.strip() == END:
            inside = False
        elif not inside or body is None:
            out.append(line)
    return "\n".join(out)


def filled_in(
    release: nbformat.NotebookNode, source: nbformat.NotebookNode, bodies: dict[str, str | None]
) -> nbformat.NotebookNode:
    """The released notebook with the cells of `bodies`' items written by a
    student: the reference code from the source notebook (None) or a given body."""
    sources = {grade_id(c): c.source for c in source.cells if grade_id(c)}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        item = (grade_id(cell) or "").removeprefix("solution-")
        if grade_id(cell) == f"solution-{item}" and item in bodies:
            cell.source = replace_region(sources[f"solution-{item}"], bodies[item])
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = nbc.make_course(tmp_path_factory.mktemp("course"))
    # As if an instructor had run the source notebook in place: its caches
    # must not reach the students.
    for cache in CACHES:
        (root / "source" / "hw7" / cache).mkdir()
        (root / "source" / "hw7" / cache / "junk").write_text("cache")

    start = time.perf_counter()
    release_dir = nbc.generate_assignment(root)
    generate_s = time.perf_counter() - start

    source = nbformat.read(root / "source" / "hw7" / f"{NOTEBOOK}.ipynb", as_version=4)
    release = nbformat.read(release_dir / f"{NOTEBOOK}.ipynb", as_version=4)
    students = {
        "solved": source,
        "unsolved": release,
        "partial": filled_in(release, source, dict.fromkeys(SOLVED_IN_PARTIAL)),
        "mistakes": filled_in(release, source, {**MISTAKES, "get_input_dimensions": None}),
    }
    for student, notebook in students.items():
        others = {
            name: (root / "source" if student == "solved" else release_dir.parent) / "hw7" / f"{name}.ipynb"
            for name in NOTEBOOKS
            if name != NOTEBOOK
        }
        nbc.submit(root, student, {NOTEBOOK: notebook, **others})

    start = time.perf_counter()
    log = nbc.autograde(root, timeout=900)
    autograde_s = time.perf_counter() - start
    start = time.perf_counter()
    nbc.nbgrader(root, "generate_feedback", "hw7", "--force")
    feedback_s = time.perf_counter() - start
    kernels = ", ".join(f"{s} {kernel_seconds(root, s):.1f} s" for s in students)
    print(
        f"\nnbgrader generate_assignment: {generate_s:.1f} s; autograde of {len(students)} students: "
        f"{autograde_s:.1f} s (cells run: {kernels}); generate_feedback: {feedback_s:.1f} s"
    )
    return {"root": root, "release": release, "students": list(students), "log": log}


def kernel_seconds(root: Path, student: str) -> float:
    """How long the student's cells ran, from the timings nbclient records."""
    nb = nbformat.read(root / "autograded" / student / "hw7" / f"{NOTEBOOK}.ipynb", as_version=4)
    spans = [c.metadata["execution"] for c in nb.cells if "execution" in c.metadata]
    stamp = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return sum((stamp(e["iopub.status.idle"]) - stamp(e["iopub.execute_input"])).total_seconds() for e in spans)


def scores(course: dict, student: str, notebook: str = NOTEBOOK) -> dict[str, float | None]:
    cells = nbc.cell_scores(course["root"], student, notebook)
    want = {f"test-{i}": p for i, p in points_of(notebook).items()}
    assert {name: points for name, (_, points) in cells.items()} == want
    return {name.removeprefix("test-"): score for name, (score, _) in cells.items()}


def test_release_holds_no_solution(course: dict) -> None:
    code = [c for c in course["release"].cells if c.cell_type == "code"]
    release_lines = {line.strip() for c in code for line in c.source.splitlines()}
    leaked = solution_lines() & release_lines
    assert not leaked, f"solution lines in the release: {sorted(leaked)}"
    stubs = [c for c in code if "raise NotImplementedError()" in c.source]
    assert {grade_id(c) for c in stubs} == {f"solution-{i}" for i in POINTS}
    assert not any(BEGIN in c.source or END in c.source for c in code)


def test_solved_gets_full_marks(course: dict) -> None:
    for notebook in NOTEBOOKS:
        assert scores(course, "solved", notebook) == {i: float(p) for i, p in points_of(notebook).items()}
    assert nbc.total_score(course["root"], "solved") == (TOTAL, TOTAL)


def test_unsolved_gets_nothing(course: dict) -> None:
    for notebook in NOTEBOOKS:
        assert scores(course, "unsolved", notebook) == dict.fromkeys(points_of(notebook), 0.0)
    assert nbc.total_score(course["root"], "unsolved") == (0, TOTAL)
    for item, output in grade_cell_outputs(course, "unsolved").items():
        assert "not implemented yet" in output, item


def test_partial_gets_exactly_its_items(course: dict) -> None:
    want = {i: float(p) if i in SOLVED_IN_PARTIAL else 0.0 for i, p in POINTS.items()}
    assert scores(course, "partial") == want


def test_mistakes_get_partial_credit(course: dict) -> None:
    got = scores(course, "mistakes")
    assert got == {**dict.fromkeys(POINTS, 0.0), **MISTAKE_SCORES}
    assert 0 < got["get_one_hot_labels"] < POINTS["get_one_hot_labels"]
    outputs = grade_cell_outputs(course, "mistakes")
    assert "floating-point" in outputs["combine_vectors"]
    assert "test_one_hot_properties" in outputs["get_one_hot_labels"]


def grade_cell_outputs(course: dict, student: str) -> dict[str, str]:
    """item → the stdout of its autograder cell in the autograded notebook."""
    path = course["root"] / "autograded" / student / "hw7" / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    return {
        grade_id(c).removeprefix("test-"): "".join(o.get("text", "") for o in c.outputs)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def test_grade_cells_write_no_stderr_and_end_with_the_score(course: dict) -> None:
    for student in course["students"]:
        path = course["root"] / "autograded" / student / "hw7" / f"{NOTEBOOK}.ipynb"
        for cell in nbformat.read(path, as_version=4).cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            where = (student, grade_id(cell), cell.outputs)
            assert not [o for o in cell.outputs if o.get("name") == "stderr" or o.output_type == "error"], where
            # The score nbgrader records as partial credit is the cell's value.
            assert cell.outputs and cell.outputs[-1].output_type == "execute_result", where


def test_autograde_log_is_clean(course: dict) -> None:
    # Students edited solution cells only: no checksum warnings, no errors.
    problems = [line for line in course["log"].splitlines() if "| ERROR]" in line or "| WARNING]" in line]
    assert not problems, problems
    # Nor the library noise an instructor cannot act on (the course's nbgrader_config.py).
    for noise in ("SAWarning", "Warning:", "without encryption", "Traceback"):
        assert noise not in course["log"], noise


def test_no_caches_reach_students(course: dict) -> None:
    root: Path = course["root"]
    found = [
        p.relative_to(root).as_posix()
        for cache in CACHES
        for p in root.rglob(cache)
        if p.relative_to(root).parts[0] != "source"
    ]
    assert not found, f"caches outside source/: {found}"
    for student in course["students"]:
        for notebook in NOTEBOOKS:
            assert (root / "feedback" / student / "hw7" / f"{notebook}.html").is_file()
