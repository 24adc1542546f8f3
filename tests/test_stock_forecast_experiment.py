"""The Project 2 forecasting experiment: the configurations, one training
run against the naive forecast, recurrent dropout around the student's
layer, the table, the figures and the exit statuses."""
from __future__ import annotations

import json
import math

import torch

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.stock_forecast import (
    BASE, CURVES, PREDICTIONS, SUMMARY, TABLE, VARIATIONS, configurations, train_one,
)
from dlkit.recurrent_dropout import RecurrentDropout
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["project2/stock_forecast"] == "dlkit.experiments.stock_forecast"


def test_one_factor_at_a_time() -> None:
    configs = configurations()
    assert configs[0] == BASE and len(configs) == 1 + len(VARIATIONS)
    for config in configs[1:]:
        assert sum(config[k] != BASE[k] for k in BASE) == 1
    assert {c["cell"] for c in configs} == {"rnn", "gru", "lstm"}
    assert {c["recurrent_dropout"] for c in configs} == {0.0, 0.01, 0.05, 0.2}
    grid = configurations(grid=True)
    assert grid[0] == BASE and len(grid) == 3 * 2 * 3 * 4 == len({tuple(c.values()) for c in grid})


def _sine_data(impl):
    t = torch.arange(400, dtype=torch.float32)
    series = torch.stack([10 + torch.sin(t / 8), 20 + torch.cos(t / 11)], 1)
    return impl.prepare_data(series, 30, 1, 0.1, 0.1)


def test_a_run_is_scored_in_prices_against_the_naive_forecast(monkeypatch) -> None:
    solutions = impl_loader.load_module("project2/stock_forecast", "solutions")
    data = _sine_data(solutions)
    wrapped = []
    original = solutions.RecurrentRegressor.forward

    def spy(self, x):
        wrapped.append(isinstance(self.recurrent, RecurrentDropout))
        return original(self, x)

    monkeypatch.setattr(solutions.RecurrentRegressor, "forward", spy)
    run = train_one(solutions, data, {**BASE, "recurrent_dropout": 0.05}, hidden=8, epochs=2, seed=0, device="cpu")
    assert wrapped and all(wrapped)
    assert run["parameters"] == sum(p.numel() for p in solutions.RecurrentRegressor(2, 2, "lstm", 8, 0.1).parameters())
    assert 1 <= run["epochs_run"] <= 2 and math.isfinite(run["test_rmse"])
    actual, naive = torch.tensor(run["actual"]), torch.tensor(run["naive"])
    assert 9 < float(actual[:, 0].mean()) < 11 and 19 < float(actual[:, 1].mean()) < 21  # unscaled
    assert abs(run["naive_rmse"] - float(((naive - actual) ** 2).mean().sqrt())) < 1e-6
    assert run["beats_naive"] == (run["test_rmse"] < run["naive_rmse"])


def test_command_line_on_a_users_csv(tmp_path, capsys) -> None:
    csv = tmp_path / "prices.csv"
    rows = [f"2010-{1 + d // 28:02d}-{1 + d % 28:02d},{100 + 5 * math.sin(d / 9):.3f},{50 + d / 40:.3f}"
            for d in range(336)]
    csv.write_text("Date,GOOG,AAPL\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    status = run_experiment("project2/stock_forecast", [
        "--impl", "solutions", "--csv", str(csv), "--columns", "GOOG,AAPL", "--hidden", "4", "--epochs", "1",
        "--no-progress", "--out", str(out)])
    text = capsys.readouterr().out
    assert status == 0, text
    for name in (PREDICTIONS, CURVES):
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["data"] == ["GOOG", "AAPL"] and len(summary["runs"]) == len(configurations())
    assert (out / TABLE).read_text().count("\n| ") == len(configurations()) + 1
    assert "beats naive" in text


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("project2/stock_forecast", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / PREDICTIONS).exists()
    csv = tmp_path / "short.csv"
    csv.write_text("Date,Close\n2010-01-01,1\n2010-01-02,2\n", encoding="utf-8")
    assert run_experiment("project2/stock_forecast", ["--csv", str(csv)]) == 2
    assert "at least" in capsys.readouterr().err
    assert run_experiment("project2/stock_forecast", ["--csv", str(csv), "--columns", "Adj Close"]) == 2
    assert "--csv" in capsys.readouterr().err
