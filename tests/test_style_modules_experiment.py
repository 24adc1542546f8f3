"""The hw7 style-modules experiment: the style-based generator trained on the
solutions, the style-mixing grid, the summary and the exit statuses."""
from __future__ import annotations

import json
import math

import pytest
import torch

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.style_modules import (
    CURVES, GRID, N_LAYERS, SUMMARY, StyleGenerator, digits, mixing_grid, summary, train,
)
from tests.test_data_and_experiment import PNG_SIGNATURE


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One thread, as the command line uses on CPU: these tiny convolutions run several times
    slower split over threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def solutions():
    return impl_loader.load_module("hw7/style_modules", "solutions")


@pytest.fixture(scope="module")
def trained(solutions):
    return train(solutions, steps=20, batch_size=16)


def test_registered() -> None:
    assert EXPERIMENTS["hw7/style_modules"] == "dlkit.experiments.style_modules"


def test_digits_in_range() -> None:
    images = digits()
    assert images.shape == (1797, 1, 8, 8) and images.min() == -1 and images.max() == 1


def test_generator_styles_every_layer(solutions) -> None:
    torch.manual_seed(0)
    gen = StyleGenerator(solutions)
    ws = torch.randn(N_LAYERS, 3, 32)
    images = gen(ws)
    assert images.shape == (3, 1, 8, 8) and images.abs().max() <= 1
    # Each layer's latent changes the image: no style layer is ignored.
    for layer in range(N_LAYERS):
        other = ws.clone()
        other[layer] = torch.randn(3, 32)
        assert not torch.allclose(gen(other), images)


def test_training_is_deterministic_and_finite(solutions, trained) -> None:
    history = trained["history"]
    assert len(history["generator"]) == len(history["discriminator"]) == 20
    assert all(math.isfinite(v) for values in history.values() for v in values)
    assert train(solutions, steps=20, batch_size=16)["history"] == history


def test_mixing_grid(solutions, trained) -> None:
    n = 4
    grid = mixing_grid(solutions, trained, crossover=2, n=n)
    assert grid.shape == ((n + 1) ** 2, 1, 8, 8)
    cells = grid.reshape(n + 1, n + 1, 1, 8, 8)
    assert torch.all(cells[0, 0] == 1)  # the blank corner
    # All layers from w1: each column copies its top sample; none: each row its left one.
    w1_only = mixing_grid(solutions, trained, crossover=N_LAYERS, n=n).reshape(n + 1, n + 1, 1, 8, 8)
    assert torch.allclose(w1_only[1:, 1:], w1_only[:1, 1:].expand(n, -1, -1, -1, -1), atol=1e-6)
    w2_only = mixing_grid(solutions, trained, crossover=0, n=n).reshape(n + 1, n + 1, 1, 8, 8)
    assert torch.allclose(w2_only[1:, 1:], w2_only[1:, :1].expand(-1, n, -1, -1, -1), atol=1e-6)
    numbers = summary(trained, grid, 2)
    assert numbers["crossover"] == 2 and set(numbers["mixed_image_distance"]) == {
        "to_w1_source", "to_w2_source", "w1_to_w2_samples"}


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw7/style_modules", [
        "--impl", "solutions", "--steps", "5", "--crossover", "1", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    for name in (GRID, CURVES):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    numbers = json.loads((tmp_path / SUMMARY).read_text())
    assert numbers["steps"] == 5 and numbers["crossover"] == 1


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw7/style_modules", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "MappingNetwork is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / GRID).exists()
    for option, value in (("--crossover", str(N_LAYERS + 1)), ("--crossover", "-1"), ("--steps", "0"),
                          ("--device", "nonsense")):
        assert run_experiment("hw7/style_modules", [option, value, "--out", str(tmp_path)]) == 2
        assert option in capsys.readouterr().err
