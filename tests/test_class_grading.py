"""`dlkit grade` over a small class end to end: every form of entry, the
result files, determinism, resuming, a real Dask cluster and the Gradescope
autograder giving the same grades as the local run."""
from __future__ import annotations

import csv
import io
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dlkit.cli import main
from tests.helpers import ROOT, read_json, run_cli

pytestmark = pytest.mark.slow

MODULE = "hw1/dropout"
SOLUTION = (ROOT / "solutions" / "hw1" / "dropout.py").read_text(encoding="utf-8")
STUB = (ROOT / "assignments" / "hw1" / "dropout.py").read_text(encoding="utf-8")
# inverted dropout without its 1 / (1 - p) scale: a common slip, one item wrong.
MUTANT = SOLUTION.replace("* mask.to(activations.dtype) / (1 - p)", "* mask.to(activations.dtype)")
NOTEBOOK = (ROOT / "course" / "source" / "hw1" / "dropout.ipynb").read_bytes()
ZOE = "Zoë O'Neil"
GRADESCOPE_TOP = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
GRADESCOPE_TEST = {"name", "score", "max_score", "status", "output", "visibility", "tags", "number"}


def make_class(root: Path) -> Path:
    files: dict[str, bytes | str] = {
        "alice/hw1/dropout.py": SOLUTION,          # mirrors assignments/
        "bob/dropout.py": STUB,                    # a flat upload, untouched stub
        "carol/hw1/dropout.ipynb": NOTEBOOK,       # the solved notebook
        "crash/dropout.py": "import os\nos._exit(3)\n",
        "garbage/dropout.ipynb": "this is not json",
        "twofiles/dropout.py": SOLUTION,
        "twofiles/dropout.ipynb": NOTEBOOK,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    (root / "empty").mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("upload/hw1/dropout.py", MUTANT)
        zf.writestr("../escaped.py", "print('out')")
    (root / f"{ZOE}.zip").write_bytes(buffer.getvalue())
    return root


def without_timings(path: Path) -> Any:
    data = read_json(path)
    data.pop("execution_time", None)
    data.pop("seconds", None)
    return data


def outputs(out: Path) -> dict[str, Any]:
    """Every result file, timings aside."""
    found: dict[str, Any] = {"grades.csv": (out / "grades.csv").read_text(encoding="utf-8")}
    for sub in ("results", "records"):
        found.update({f"{sub}/{p.name}": without_timings(p) for p in sorted((out / sub).glob("*.json"))})
    found.update({f"feedback/{p.name}": p.read_text(encoding="utf-8") for p in sorted((out / "feedback").glob("*.md"))})
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("class")
    klass = make_class(base / "submissions")
    out = base / "out"
    proc = run_cli("grade", str(klass), "--module", MODULE, "--out", str(out), "--jobs", "2", "--timeout", "20")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))}
    return {"base": base, "klass": klass, "out": out, "proc": proc, "rows": rows}


def test_every_entry_has_a_row_with_its_status(graded: dict[str, Any]) -> None:
    rows = graded["rows"]
    assert sorted(rows) == sorted(["alice", "bob", "carol", "crash", "empty", "garbage", "twofiles", ZOE])
    full = float(rows["alice"]["max_score"])
    assert full > 0 and float(rows["alice"]["score"]) == full
    assert float(rows["carol"]["score"]) == full, "the solved notebook is graded from its code cells"
    assert 0 < float(rows[ZOE]["score"]) < full
    assert float(rows[ZOE][f"{MODULE}::inverted_dropout"]) < float(rows["alice"][f"{MODULE}::inverted_dropout"])
    assert float(rows[ZOE][f"{MODULE}::apply_dropout_mask"]) == float(rows["alice"][f"{MODULE}::apply_dropout_mask"])
    for student in ("bob", "crash", "garbage", "twofiles"):
        assert rows[student]["status"] == "graded" and float(rows[student]["score"]) == 0, student
    assert rows["empty"]["status"] == "error" and "empty submission" in rows["empty"]["reason"]
    assert float(rows["alice"][MODULE]) == full
    # The progress lines (not a terminal) name each student as it finishes.
    assert graded["proc"].stderr.count("] ") >= 8 and "[8/8]" in graded["proc"].stderr


def test_gradescope_results_format(graded: dict[str, Any]) -> None:
    for path in (graded["out"] / "results").glob("*.json"):
        result = read_json(path)
        assert set(result) == GRADESCOPE_TOP, path.name
        assert all(set(t) == GRADESCOPE_TEST for t in result["tests"]), path.name
        assert result["score"] == pytest.approx(sum(t["score"] for t in result["tests"]))
        assert {t["status"] for t in result["tests"]} <= {"passed", "failed"}
        assert {t["visibility"] for t in result["tests"]} <= {"visible", "after_published"}
    alice = read_json(graded["out"] / "results" / "alice.json")
    assert {t["visibility"] for t in alice["tests"]} == {"visible", "after_published"}, "both layers ran"
    assert all(t["tags"][0] == MODULE and t["status"] == "passed" for t in alice["tests"])
    bob = read_json(graded["out"] / "results" / "bob.json")
    assert all("not implemented yet" in t["output"] for t in bob["tests"])


def test_reasons_reach_the_students_report(graded: dict[str, Any]) -> None:
    feedback = graded["out"] / "feedback"
    assert "is not a notebook (not valid JSON" in (feedback / "garbage.md").read_text(encoding="utf-8")
    assert "ambiguous submission: 2 files" in (feedback / "twofiles.md").read_text(encoding="utf-8")
    assert "empty submission" in (feedback / "empty.md").read_text(encoding="utf-8")
    zoe = (feedback / f"{ZOE}.md").read_text(encoding="utf-8")
    assert "points outside it" in zoe and "inverted_dropout" in zoe
    crash = read_json(graded["out"] / "records" / "crash.json")
    assert crash["crashed"] and "os._exit(3)" in crash["restarts"][0]
    assert not list(graded["base"].rglob("escaped.py")), "a ../ member was written somewhere"


def test_report_is_written(graded: dict[str, Any]) -> None:
    html = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert "Zoë O&#x27;Neil" in html and "crash" in html


def test_regrading_is_deterministic_and_dask_gives_the_same_files(graded: dict[str, Any]) -> None:
    distributed = pytest.importorskip("distributed")
    out = graded["base"] / "out-dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        proc = run_cli("grade", str(graded["klass"]), "--module", MODULE, "--out", str(out), "--timeout", "20",
                       "--scheduler", cluster.scheduler_address)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Dask cluster" in proc.stdout
    assert outputs(out) == outputs(graded["out"])


def test_resuming_skips_graded_submissions(graded: dict[str, Any]) -> None:
    out = graded["base"] / "out-resume"
    shutil.copytree(graded["out"], out)
    before = {p.name: p.read_bytes() for p in (out / "results").glob("*.json")}
    (graded["klass"] / "bob" / "dropout.py").write_text(SOLUTION, encoding="utf-8")
    try:
        proc = run_cli("grade", str(graded["klass"]), "--module", MODULE, "--out", str(out), "--timeout", "20",
                       "--nbgrader-db", str(out / "gradebook.db"))
    finally:
        (graded["klass"] / "bob" / "dropout.py").write_text(STUB, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(7 from earlier results)" in proc.stdout
    after = {p.name: p.read_bytes() for p in (out / "results").glob("*.json")}
    assert {k for k in before if before[k] != after[k]} == {"bob.json"}
    from nbgrader.api import Gradebook

    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("hw1")}
    graded_rows = {k: float(r["score"]) for k, r in rows.items() if r["status"] == "graded"}
    assert scores == pytest.approx(graded_rows) and scores["bob"] == float(rows["alice"]["score"])


def test_gradescope_autograder_gives_the_local_grade(graded: dict[str, Any]) -> None:
    target = graded["base"] / "autograder"
    assert main(["gradescope", str(target), "--module", MODULE]) == 0
    with zipfile.ZipFile(target / "autograder.zip") as zf:
        names = set(zf.namelist())
        modes = {n: zf.getinfo(n).external_attr >> 16 for n in ("setup.sh", "run_autograder")}
    assert {"setup.sh", "run_autograder", "dlkit-src/pyproject.toml"} <= names
    assert any(n.startswith("dlkit-src/instructor/") for n in names)
    assert not any(n.startswith("dlkit-src/solutions/") for n in names)
    assert all(mode & stat.S_IXUSR for mode in modes.values())
    box = graded["base"] / "gradescope-box"
    (box / "submission").mkdir(parents=True)
    (box / "submission" / "dropout.py").write_text(MUTANT, encoding="utf-8")
    env = dict(os.environ, DLKIT_AUTOGRADER_ROOT=str(box), DLKIT_PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(target / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gradescope = without_timings(box / "results" / "results.json")
    local = without_timings(graded["out"] / "results" / f"{ZOE}.json")
    # The local entry had a note about its unsafe zip member; the rest is the same.
    assert gradescope.pop("output") != local.pop("output")
    assert gradescope == local


@pytest.mark.parametrize("args, message", [
    (["grade", "/nonexistent/class"], "SUBMISSIONS: /nonexistent/class is not a folder or a .zip file"),
    (["grade", ".", "--module", "hw1/nope"], "--module: unknown module 'hw1/nope'"),
    (["grade", ".", "--assignment", "hw9"], "--assignment: unknown assignment 'hw9'"),
    (["grade", ".", "--jobs", "0"], "--jobs: expected a positive number"),
    (["gradescope", "/tmp", "--module", "hw1/nope"], "--module: unknown module"),
])
def test_usage_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_slurm_and_pbs_come_from_dask_jobqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from dlkit.classroom.engine import batch_cluster

    made: list[tuple[str, int]] = []

    def fake(kind: str) -> type:
        class Cluster:
            def scale(self, n: int) -> None:
                made.append((kind, n))
        return Cluster

    monkeypatch.setitem(sys.modules, "dask_jobqueue", types.SimpleNamespace(
        SLURMCluster=fake("slurm"), PBSCluster=fake("pbs")))
    batch_cluster("slurm", 40)
    batch_cluster("pbs", 3)
    assert made == [("slurm", 40), ("pbs", 3)]
