"""The hw7 Optuna search experiment: its command line on the offline digits,
its exit statuses, and two worker processes sharing one study through
Optuna's journal file and through a throwaway PostgreSQL server."""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest
import torch

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.optuna_search import (
    SUMMARY, instrumented, make_data, retrain_and_test, run, run_part, summarise,
)
from dlkit.experiments.optuna_storage import make_storage, shown
from tests.test_data_and_experiment import PNG_SIGNATURE

FAST = ["--image-size", "8", "--epochs", "1", "--no-progress", "--device", "cpu"]
PART_FIELDS = ("n_complete", "n_pruned", "best_value", "best_params", "test_accuracy", "importances", "elapsed")


@pytest.fixture(scope="module")
def solutions():
    return impl_loader.load_module("hw7/optuna_search", "solutions")


@pytest.fixture(scope="module")
def digits():
    return make_data("digits", image_size=8)


def test_registered():
    assert EXPERIMENTS["hw7/optuna_search"] == "dlkit.experiments.optuna_search"


def test_command_line_runs_both_parts(tmp_path, capsys):
    out = tmp_path / "runs"
    status = run_experiment("hw7/optuna_search", ["--impl", "solutions", "--n-trials", "3", "--timeout", "60",
                                                  "--out", str(out), *FAST])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    assert list(summary["parts"]) == ["b", "c"] and summary["data"] == "digits 3×8×8"
    for part, result in summary["parts"].items():
        assert all(field in result for field in PART_FIELDS), part
        assert result["n_complete"] + result["n_pruned"] + result["n_failed"] == result["n_trials"] == 3
        assert result["n_complete"] >= 2, "the seeded runs complete at least two trials here"
        assert 0.0 <= result["test_accuracy"] <= 1.0 and 0.0 <= result["best_value"] <= 1.0
        assert result["best_params"]["optimizer"] in ("Adam", "RMSprop", "SGD") and result["elapsed"] > 0
        # Three trials are too few for importances: none reported, none plotted, and the reason printed.
        assert result["importances"] is None and result["study_name"] == f"hw7-optuna-search-{part}"
        assert (out / f"history_{part}.png").read_bytes()[:8] == PNG_SIGNATURE
        assert not (out / f"importances_{part}.png").exists()
    assert summary["parts"]["b"]["best_params"] != summary["parts"]["c"]["best_params"]
    assert "test accuracy" in printed.out and "b vs c" in printed.out
    assert "importances: not reported: 3 completed trial(s)" in printed.out or "importances: not reported: 2" in printed.out


def test_the_test_split_is_read_only_by_the_retraining(solutions, digits):
    class Guarded:  # the digits with a test split that counts its reads
        reads = 0

        def __getattr__(self, name):
            return getattr(digits, name)

        def test_loader(self):
            Guarded.reads += 1
            return digits.test_loader()

    data = Guarded()
    study, elapsed = run_part(solutions, data, "c", 60, epochs=2, n_trials=3, device="cpu")
    assert Guarded.reads == 0 and elapsed > 0 and len(study.trials) == 3
    params = study.trials[0].params
    scores = retrain_and_test(solutions, data, params, epochs=1, device="cpu", seed=3)
    assert Guarded.reads == 1 and list(scores) == ["test_accuracy"] and 0.0 <= scores["test_accuracy"] <= 1.0
    # Seeded: the same retraining gives the same score.
    assert retrain_and_test(solutions, digits, params, epochs=1, device="cpu", seed=3) == scores


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")  # PartialFixedSampler
def test_configurations_too_deep_for_the_images_fail_their_trial(solutions, digits):
    # Four 2×2 poolings of 8×8 images leave nothing: build_model raises, the trial fails, the study goes on.
    sampler = optuna.samplers.PartialFixedSampler({"n_conv": 4, "pool": True}, optuna.samplers.RandomSampler(0))
    with instrumented(solutions, "me"):
        study = solutions.run_study(digits, 60, sampler=sampler, epochs=1, n_trials=2, device="cpu")
    counts = summarise(study)
    assert (counts["n_failed"], counts["best_value"], counts["workers"]) == (2, None, ["me"])
    assert all("in_shape" in t.user_attrs["infeasible"] for t in study.trials)
    assert solutions.objective.__module__ == solutions.__name__  # restored


def test_stubs_exit_1(tmp_path, capsys):
    assert run(["--impl", "assignments", "--n-trials", "1", "--out", str(tmp_path), *FAST]) == 1
    assert "not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / SUMMARY).exists()


def test_usage_errors_exit_2(tmp_path, capsys, monkeypatch):
    assert run(["--part", "d"]) == 2
    assert "--part" in capsys.readouterr().err
    assert run(["--impl", str(tmp_path / "missing"), *FAST]) == 2
    assert "missing" in capsys.readouterr().err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU-only machine
    assert run(["--impl", "solutions", "--device", "cuda"]) == 2
    assert "CUDA" in capsys.readouterr().err
    assert run(["--impl", "solutions", "--worker"]) == 2  # no --storage
    assert run(["--impl", "solutions", "--n-trials", "0"]) == 2
    assert run(["--impl", "solutions", "--timeout", "0"]) == 2
    assert run(["--impl", "solutions", "--data", "cifar100", "--image-size", "8"]) == 2
    assert run(["--impl", "solutions", "--storage", "nosuchdb://x/y"]) == 2
    assert run(["--impl", "solutions", "--storage", f"journal:{tmp_path / 'none' / 'j.log'}"]) == 2
    journal = f"journal:{tmp_path / 'j.log'}"
    assert run(["--impl", "solutions", "--storage", journal, "--study-name", "nothing", "--n-trials", "0"]) == 2
    assert "no study nothing-b, nothing-c" in capsys.readouterr().err
    assert run(["--impl", "solutions", "--data", "cifar100", "--root", str(tmp_path)]) == 1  # data missing
    assert "--download" in capsys.readouterr().err
    assert shown("postgresql://me:secret@host/db") == "postgresql://me:***@host/db"


def start_workers(storage: str, study: str, cwd: Path, n: int = 2) -> list[subprocess.Popen]:
    """`n` processes of `dlkit run hw7/optuna_search --worker` on one study, started together."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "dlkit.cli", "run", "hw7/optuna_search", "--impl", "solutions", "--worker",
               "--part", "b", "--storage", storage, "--study-name", study, "--n-trials", "3", *FAST]
    return [subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(n)]


def check_shared_study(storage: str, tmp_path: Path, capsys) -> None:
    """Two workers add 3 trials each to study S; a report afterwards sees them all."""
    workers = start_workers(storage, "S", tmp_path)
    for worker in workers:
        output = worker.communicate(timeout=240)[0]
        assert worker.returncode == 0, output
    study = optuna.load_study(study_name="S", storage=make_storage(storage))
    counts = summarise(study)
    assert counts["n_trials"] == 6 and counts["n_complete"] >= 1
    assert counts["workers"] == sorted(f"{socket.gethostname()}:{w.pid}" for w in workers)
    assert sorted(t.user_attrs["worker"] for t in study.trials).count(counts["workers"][0]) == 3
    # Each machine that loads the study afterwards (here: two fresh connections,
    # and a reporting run with --n-trials 0) sees the same best trial.
    for _ in range(2):
        again = optuna.load_study(study_name="S", storage=make_storage(storage))
        assert (again.best_trial.number, again.best_value) == (study.best_trial.number, study.best_value)
    out = tmp_path / "report"
    status = run(["--impl", "solutions", "--part", "b", "--storage", storage, "--study-name", "S",
                  "--n-trials", "0", "--out", str(out), *FAST])
    assert status == 0, capsys.readouterr().err
    reported = json.loads((out / SUMMARY).read_text(encoding="utf-8"))["parts"]["b"]
    assert (reported["n_trials"], reported["best_number"]) == (6, study.best_trial.number)
    assert reported["best_params"] == study.best_params and reported["best_value"] == study.best_value
    assert 0.0 <= reported["test_accuracy"] <= 1.0 and (out / "history_b.png").exists()


def test_two_workers_share_a_journal_study(tmp_path, capsys):
    check_shared_study(f"journal:{tmp_path / 'study.log'}", tmp_path, capsys)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """postgresql://postgres@127.0.0.1:PORT/optuna on a throwaway server of
    Debian's PostgreSQL binaries, run as the postgres user when we are root."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        pytest.skip("PostgreSQL server binaries missing under /usr/lib/postgresql/*/bin: install them with "
                    "`apt-get install postgresql` (Debian; .ci/run does)")
    psycopg2 = pytest.importorskip("psycopg2", reason="pip install psycopg2-binary (in the dev extra)")
    bin_dir = Path(initdb[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="dlkit-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as the postgres user")
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root with no postgres user: cannot start PostgreSQL")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def pg(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(as_user + list(command), cwd=root, capture_output=True, text=True, timeout=60)

    started = pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--no-sync")
    if started.returncode == 0:
        started = pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start",
                     "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -F")
    try:
        assert started.returncode == 0, f"PostgreSQL did not start: {started.stdout}{started.stderr}"
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CREATE DATABASE optuna")
        connection.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/optuna"
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_a_postgresql_study(postgres_url, tmp_path, capsys):
    check_shared_study(postgres_url, tmp_path, capsys)


def test_benchmark_quick_mode(tmp_path, capsys):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "optuna_pruning.py"
    spec = importlib.util.spec_from_file_location("optuna_pruning", path)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    report = tmp_path / "bench.json"
    assert benchmark.main(["--quick", "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    for part in ("b", "c"):
        (run,) = result["parts"][part]
        assert run["n_trials"] >= 1 and run["n_complete"] + run["n_pruned"] + run["n_failed"] == run["n_trials"]
        assert run["test_accuracy"] is None or 0.0 <= run["test_accuracy"] <= 1.0
    assert all(v > 0 for v in result["costs"].values())
    assert "the handout's 13 / 10 = 1.30" in capsys.readouterr().out
