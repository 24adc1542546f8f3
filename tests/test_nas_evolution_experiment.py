"""The hw7 architecture-search experiment: the CNN an architecture describes,
the cached proxy fitness, the three searches with the same budget, the
figure, the summary and the exit statuses."""
from __future__ import annotations

import json
import random

import torch

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.nas_evolution import (
    FIGURE, SEARCHES, SUMMARY, best_so_far, build_cnn, digits, proxy_fitness, run_searches,
)
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["hw7/nas_evolution"] == "dlkit.experiments.nas_evolution"


def test_every_architecture_builds() -> None:
    solutions = impl_loader.load_module("hw7/nas_evolution", "solutions")
    rng = random.Random(0)
    for _ in range(30):
        arch = solutions.random_architecture(rng)
        model = build_cnn(arch)
        assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10), arch
        linear = [m for m in model if isinstance(m, torch.nn.Linear)]
        assert len(linear) == arch["n_hidden"] + 1


def test_fitness_is_cached_and_deterministic() -> None:
    data = digits(200)
    assert len(data["train"][1]) == 200 and len(data["val"][1]) == 360
    arch = {"n_conv": 1, "filters": 8, "kernel_size": 3, "pool": True, "n_hidden": 0, "neurons": 16,
            "dropout": 0.0, "optimizer": "Adam", "lr": 1e-2}
    first, second = proxy_fitness(data, 1), proxy_fitness(data, 1)
    score = first(arch)
    assert 0.2 < score <= 1 and second(dict(arch)) == score == first(arch)


def test_searches_share_the_budget() -> None:
    solutions = impl_loader.load_module("hw7/nas_evolution", "solutions")
    result = run_searches(solutions, evaluations=6, epochs=1, population_size=3, sample_size=2,
                          train_examples=100)
    assert list(result) == list(SEARCHES)
    for run in result.values():
        assert len(run["scores"]) == 6 and run["best_val"] == max(run["scores"])
        assert 0 <= run["test"] <= 1
    # Aging evolution and random search start from the same random architectures.
    assert result["aging evolution"]["scores"][:3] == result["random search"]["scores"][:3]
    assert best_so_far([0.1, 0.3, 0.2, 0.5]) == [0.1, 0.3, 0.3, 0.5]


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw7/nas_evolution", [
        "--impl", "solutions", "--evaluations", "3", "--epochs", "1", "--population-size", "2",
        "--sample-size", "1", "--train-examples", "50", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert (tmp_path / FIGURE).read_bytes()[:8] == PNG_SIGNATURE
    assert set(json.loads((tmp_path / SUMMARY).read_text())) == set(SEARCHES)


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw7/nas_evolution", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / FIGURE).exists()
    assert run_experiment("hw7/nas_evolution", ["--sample-size", "5", "--population-size", "3"]) == 2
    assert "--sample-size" in capsys.readouterr().err
    assert run_experiment("hw7/nas_evolution", ["--evaluations", "0"]) == 2
