"""Reference formulas for the hidden stock-forecast graders
(project2/stock_forecast), in float64 where it matters.

These are answers: they live in the instructor-only layer, which the release
never ships.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def windows(series: torch.Tensor, seq_length: int, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    """x[i] = series[i : i + seq_length], y[i] = series[i + seq_length + horizon - 1]."""
    n = series.shape[0] - seq_length - horizon + 1
    x = torch.stack([series[i:i + seq_length] for i in range(n)])
    y = torch.stack([series[i + seq_length + horizon - 1] for i in range(n)])
    return x, y


def split_sizes(t: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    n_test, n_val = round(t * test_fraction), round(t * val_fraction)
    return t - n_val - n_test, n_val, n_test


def mape(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> float:
    p, a = pred.double(), target.double()
    return float(((a - p).abs() / a.abs().clamp_min(eps)).mean())


def early_stopping(patience: int, losses: list[float]) -> tuple[list[bool], list[int | None], list[float]]:
    """What step returns after each loss, and best_epoch and best after it."""
    best, best_epoch, bad = math.inf, None, 0
    returns, epochs, bests = [], [], []
    for k, loss in enumerate(losses):
        if loss < best:
            best, best_epoch, bad = loss, k, 0
        else:
            bad += 1
        returns.append(bad >= patience)
        epochs.append(best_epoch)
        bests.append(best)
    return returns, epochs, bests


class Regressor(nn.Module):
    """The handout's network: recurrent layer → last step → Linear 256 → ReLU
    → Dropout → Linear 128 → ReLU → Linear n_outputs."""

    def __init__(self, n_features: int, n_outputs: int, cell: str, hidden: int, dropout: float) -> None:
        super().__init__()
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.recurrent = layer(n_features, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 256), nn.ReLU(), nn.Dropout(dropout), nn.Linear(256, 128),
                                  nn.ReLU(), nn.Linear(128, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.recurrent(x)
        return self.head(out[:, -1])


def regressor_with(params: list[torch.Tensor], n_features: int, n_outputs: int, cell: str, hidden: int) -> Regressor | None:
    """The reference network holding `params` (the student's, in order), or
    None when their shapes are not the reference's."""
    model = Regressor(n_features, n_outputs, cell, hidden, 0.0)
    mine = list(model.parameters())
    if len(mine) != len(params) or any(a.shape != b.shape for a, b in zip(mine, params)):
        return None
    with torch.no_grad():
        for a, b in zip(mine, params):
            a.copy_(b)
    return model.eval()
