"""The hw1 distillation experiment: a teacher, undistilled and distilled
students at every temperature, the figure, the summary and the exit statuses."""
from __future__ import annotations

import json

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.distillation import FIGURE, SUMMARY, run_all, summary
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["hw1/distillation"] == "dlkit.experiments.distillation"


def test_students_at_every_temperature() -> None:
    solutions = impl_loader.load_module("hw1/distillation", "solutions")
    result = run_all(solutions, temperatures=(1.0, 4.0), teacher_epochs=3, student_epochs=2, seeds=2)
    assert list(result["distilled"]) == ["T=1", "T=4"]
    assert all(len(v) == 2 for v in [result["baseline"], *result["distilled"].values()])
    # Far better than chance even this briefly: the loop trains the networks.
    assert result["teacher"] > 0.8, result
    assert result["student_parameters"] < result["teacher_parameters"] / 50
    again = run_all(solutions, temperatures=(1.0, 4.0), teacher_epochs=3, student_epochs=2, seeds=2)
    assert again == result
    assert "no distillation" in summary(result) and "T=4" in summary(result)


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw1/distillation", [
        "--impl", "solutions", "--teacher-epochs", "2", "--student-epochs", "1", "--seeds", "1",
        "--temperatures", "2", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert (tmp_path / FIGURE).read_bytes()[:8] == PNG_SIGNATURE
    assert set(json.loads((tmp_path / SUMMARY).read_text())["distilled"]) == {"T=2"}


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw1/distillation", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "distillation_loss is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / FIGURE).exists()
    assert run_experiment("hw1/distillation", ["--alpha", "2"]) == 2
    assert "--alpha" in capsys.readouterr().err
    assert run_experiment("hw1/distillation", ["--temperatures", "0"]) == 2
