"""The hw7 CycleGAN experiment: unpaired domains, training with the student's
loss, the translation grid, the loss curves, the summary and the exit statuses."""
from __future__ import annotations

import json

import torch

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.cyclegan_loss import CURVES, GRID, ROW_LABELS, SUMMARY, domains, summary, train, translation_grid
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["hw7/cyclegan_loss"] == "dlkit.experiments.cyclegan_loss"


def test_domains_are_unpaired_inversions() -> None:
    data = domains()
    a, b = data["A"], data["B"]
    assert a.shape[1:] == b.shape[1:] == data["test_A"].shape[1:] == (1, 8, 8)
    assert a.min() >= -1 and a.max() <= 1 and torch.allclose(b.mean(), -a.mean(), atol=0.05)
    # No image of B is the inversion of an image of A, nor of a held-out one.
    for other in (a, data["test_A"]):
        gaps = torch.cdist((-b).flatten(1), other.flatten(1))
        assert gaps.min() > 1e-3


def test_training_moves_towards_the_inversion() -> None:
    solutions = impl_loader.load_module("hw7/cyclegan_loss", "solutions")
    result = train(solutions, steps=60, batch_size=16)
    numbers = summary(result)
    assert numbers["final_cycle_loss"] < numbers["first_cycle_loss"]
    assert numbers["test_error_gen_AB_vs_inversion"] < numbers["error_of_no_translation"]
    assert translation_grid(result).shape == (6 * 8, 1, 8, 8) and len(ROW_LABELS) == 6
    again = summary(train(solutions, steps=60, batch_size=16))
    assert again == numbers


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw7/cyclegan_loss", [
        "--impl", "solutions", "--steps", "5", "--batch-size", "8", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    for name in (GRID, CURVES):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    assert json.loads((tmp_path / SUMMARY).read_text())["steps"] == 5


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw7/cyclegan_loss", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "generator_ab_loss is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / GRID).exists()
    assert run_experiment("hw7/cyclegan_loss", ["--lambda-cycle", "-1"]) == 2
    assert "--lambda-cycle" in capsys.readouterr().err
    assert run_experiment("hw7/cyclegan_loss", ["--lr", "0"]) == 2
