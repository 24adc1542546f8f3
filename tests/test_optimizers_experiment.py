"""The hw1 optimisers experiment: every rule at every learning rate, the
summary, the 2 × 2 figure and the exit statuses of its command line."""
from __future__ import annotations

import pytest

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.optimizers import FIGURE, LEARNING_RATES, run_all, summary
from tests.test_data_and_experiment import PNG_SIGNATURE


@pytest.fixture(scope="module")
def solutions():
    return impl_loader.load_module("hw1/optimizers", "solutions")


def test_registered():
    assert EXPERIMENTS["hw1/optimizers"] == "dlkit.experiments.optimizers"


def test_every_rule_at_every_rate(solutions):
    histories, failures = run_all(solutions, max_steps=50)
    assert not failures
    assert sorted(histories) == sorted(solutions.STEP_FUNCTIONS)
    for curves in histories.values():
        assert list(curves) == [f"lr={lr:g}" for lr in LEARNING_RATES]
        assert all(1 <= len(v) <= 50 and all(isinstance(x, float) for x in v) for v in curves.values())
    # The same seed gives the same curves.
    again, _ = run_all(solutions, max_steps=50)
    assert again == histories
    # RMSprop at lr 0.1 reaches the threshold within 50 steps here; a run that
    # did not is reported by its last loss instead of its steps.
    text = summary(histories, threshold=0.1)
    assert "RMSprop" in text and "steps" in text and "loss" in text


def test_stubs_are_reported_per_rule():
    stubs = impl_loader.load_module("hw1/optimizers", "assignments")
    histories, failures = run_all(stubs, max_steps=5)
    assert set(failures) == set(stubs.STEP_FUNCTIONS)
    assert all("not implemented yet" in reason for reason in failures.values())
    assert all(curves == {} for curves in histories.values())


def test_command_line(tmp_path, capsys):
    status = run_experiment("hw1/optimizers", ["--impl", "solutions", "--max-steps", "30", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "loss curves:" in out and "Adam" in out
    assert (tmp_path / FIGURE).read_bytes()[:8] == PNG_SIGNATURE


def test_command_line_failures(tmp_path, capsys):
    assert run_experiment("hw1/optimizers", ["--impl", "assignments", "--out", str(tmp_path)]) == 1
    assert "train is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / FIGURE).exists()
    assert run_experiment("hw1/optimizers", ["--max-steps", "0"]) == 2
    assert "--max-steps" in capsys.readouterr().err
    assert run_experiment("hw1/optimizers", ["--impl", str(tmp_path / "missing")]) == 2
