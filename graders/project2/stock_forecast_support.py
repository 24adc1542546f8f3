"""Inputs and helpers shared by the stock-forecast graders
(project2/stock_forecast), in the judge.

Nothing here computes an item's value: the judge-side formulas are the
marked stand-ins' (stock_forecast_probes), to recompute what prepare_data
must make of them.
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import describe, fail, show
from graders.project2 import stock_forecast_probes as probes


def dated(t: int, f: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A (t, f) series whose entry (day d, feature j) is d + 1000 · j: each
    value tells the day and the feature it comes from."""
    days = torch.arange(t, dtype=dtype)[:, None]
    return days + 1000 * torch.arange(f, dtype=dtype)[None, :]


@st.composite
def series(draw: st.DrawFn, min_rows: int = 2, max_rows: int = 24) -> torch.Tensor:
    """A (T, F) float32 or float64 series of random prices, min_rows ≤ T ≤ max_rows, 1 ≤ F ≤ 3."""
    t, f = draw(st.integers(min_rows, max_rows)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    return (torch.rand(t, f, generator=gen, dtype=torch.float64) * 100 + 1).to(dtype)


@st.composite
def window_cases(draw: st.DrawFn) -> tuple[torch.Tensor, int, int]:
    """(series, seq_length, horizon) with at least one window."""
    s = draw(series(min_rows=2, max_rows=20))
    seq_length = draw(st.integers(1, s.shape[0] - 1))
    horizon = draw(st.integers(1, s.shape[0] - seq_length))
    return s, seq_length, horizon


def not_half(t: int, fraction: float) -> bool:
    """T · fraction is not within 1e-6 of a half-integer (no rounding tie)."""
    frac = (t * fraction) % 1
    return abs(frac - 0.5) > 1e-6


@st.composite
def split_cases(draw: st.DrawFn) -> tuple[torch.Tensor, float, float]:
    """(series, val_fraction, test_fraction) with no rounding tie and a training part left."""
    s = draw(series(min_rows=3, max_rows=40))
    t = s.shape[0]
    val = draw(st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.2, 0.3]))
    test = draw(st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.2, 0.3]))
    if not (not_half(t, val) and not_half(t, test)) or t - round(t * val) - round(t * test) < 1:
        val = test = 0.1 if not_half(t, 0.1) else 0.0
    return s, val, test


def pair(out: Any, fn: str, what: str, names: str = "(x, y)") -> tuple[Any, Any]:
    """out as a pair, failing unless it is one."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        fail(f"{fn} must return a pair {names}.", f"{what} → {describe(out)}")
    return out[0], out[1]


def triple(out: Any, what: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """train_val_test_split's result as three tensors, failing unless it is that."""
    if not (isinstance(out, (tuple, list)) and len(out) == 3 and all(isinstance(p, torch.Tensor) for p in out)):
        fail("train_val_test_split must return three tensors (train, val, test).", f"{what} → {describe(out)}")
    return out[0], out[1], out[2]


def expected_prepared(series: torch.Tensor, seq_length: int, horizon: int, val_fraction: float,
                      test_fraction: float) -> tuple[dict[str, torch.Tensor], tuple, dict[str, tuple]]:
    """(parts, scaler, windows): what prepare_data must make of the series
    when the items it calls are the marked stand-ins of
    stock_forecast_probes (their formulas, in the judge)."""
    n_train, n_val, _ = probes.marked_split_sizes(series.shape[0], val_fraction, test_fraction)
    parts = {"train": series[:n_train], "val": series[n_train:n_train + n_val], "test": series[n_train + n_val:]}
    train = parts["train"]
    scaler = (train.min(dim=0).values - probes.SCALER_WIDEN, train.max(dim=0).values + probes.SCALER_WIDEN)
    windows = {name: probes.marked_windows_of(probes.marked_scale_of(part, scaler), seq_length, horizon)
               for name, part in parts.items()}
    return parts, scaler, windows


def first_arg(call: list) -> Any:
    """The first argument of a recorded call [args, kwargs], given by position or by name."""
    args, kwargs = call
    if args:
        return args[0]
    return next(iter(kwargs.values()), None)


def same(a: Any, b: torch.Tensor) -> bool:
    return isinstance(a, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a.cpu(), b.cpu()))


def close(a: Any, b: torch.Tensor, tol: float = 1e-9) -> bool:
    return (isinstance(a, torch.Tensor) and tuple(a.shape) == tuple(b.shape)
            and torch.allclose(a.double().cpu(), b.double().cpu(), atol=tol, rtol=tol))


def shown(value: Any) -> str:
    return show(value, 200)
