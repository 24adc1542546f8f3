"""Inputs, tolerances and helpers shared by the regularization graders
(hw1/regularization), in the judge.

fit_linear is graded with the marked spies of regularization_probes in place
of the penalties and bias_variance with the marked spy in place of
knn_predict, so a mistake in those costs points on them only. Nothing here
computes an item's value: the judge-side formulas are the spies' (to
recompute what bias_variance must make of the spy's predictions) and the
definitions of bias² and variance applied to predictions the student's code
made.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import alone_values, describe, fail
from graders.hw1 import regularization_probes as probes

PENALTIES = ("l1_penalty", "l2_penalty")
GRID_POINTS = 50


def alone(impl: Any, fn_name: str, *calls: tuple) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls`, with the spies in place of
    the items it calls: one round trip to the worker for them all."""
    return alone_values(impl, probes.values, fn_name, list(calls))


def fitted(out: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """fit_linear's result as (w, b) tensors, failing unless it is that."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)):
        fail("fit_linear must return a pair (w, b) of tensors.", f"{what} → {describe(out)}")
    w, b = out
    if w.dim() != 1 or b.numel() != 1:
        fail("fit_linear must return w of shape (D,) and b with one element (0-dim).",
             f"{what} → w {describe(w)}, b {describe(b)}")
    return w.detach().double().cpu(), b.detach().double().cpu().reshape(())


def shown(t: torch.Tensor, digits: int = 4) -> str:
    """A tensor's values rounded for a message."""
    values = t.tolist()
    if isinstance(values, float):
        return f"{values:.{digits}g}"
    return "[" + ", ".join(f"{v:.{digits}g}" for v in values) + "]"


# --------------------------------------------------------------------------
# penalties


@st.composite
def parameter_lists(draw: st.DrawFn) -> list[torch.Tensor]:
    """One to three float tensors of drawn shapes (0 to 2 dimensions) and one drawn dtype."""
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    shapes = draw(st.lists(st.lists(st.integers(1, 4), min_size=0, max_size=2).map(tuple), min_size=1, max_size=3))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    return [(torch.randn(shape, generator=gen, dtype=torch.float64) * 2).to(dtype) for shape in shapes]


def penalty_tolerance(dtype: torch.dtype) -> float:
    return 1e-9 if dtype == torch.float64 else 1e-4


def same_number(a: float, b: float, dtype: torch.dtype) -> bool:
    tol = penalty_tolerance(dtype)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------
# fit_linear


def design(n: int, d: int, seed: int, scales: list[float] | None = None) -> torch.Tensor:
    """(n, d) float64 inputs with centred columns, uncorrelated, of mean square
    scales[j]² (1 by default): a well-conditioned problem gradient descent
    solves to rounding in a few hundred steps of lr 0.1."""
    gen = torch.Generator().manual_seed(seed)
    raw = torch.randn(n, d, generator=gen, dtype=torch.float64)
    raw = raw - raw.mean(0)
    q, _ = torch.linalg.qr(raw)
    scale = torch.tensor(scales if scales is not None else [1.0] * d, dtype=torch.float64)
    return q * math.sqrt(n) * scale


@st.composite
def regression_problems(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) float64: 6 to 12 examples of 1 to 3 uncorrelated centred features
    of mean squares in [0.25, 2.25], targets a linear function plus noise."""
    n, d = draw(st.integers(6, 12)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    scales = [draw(st.sampled_from([0.5, 0.8, 1.0, 1.5])) for _ in range(d)]
    x = design(n, d, seed, scales)
    gen = torch.Generator().manual_seed(seed + 1)
    y = x @ torch.randn(d, generator=gen, dtype=torch.float64) + 2 * torch.randn((), generator=gen, dtype=torch.float64)
    return x, y + 0.5 * torch.randn(n, generator=gen, dtype=torch.float64)


def sparse_problem(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) float64: 40 examples of 5 uncorrelated centred features; only the
    first two matter, y = 2 x₀ − 3 x₁ + 1 + small noise."""
    x = design(40, 5, seed)
    gen = torch.Generator().manual_seed(seed + 100)
    return x, 2 * x[:, 0] - 3 * x[:, 1] + 1 + 0.1 * torch.randn(40, generator=gen, dtype=torch.float64)


# --------------------------------------------------------------------------
# knn_predict


@st.composite
def knn_cases(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train_x, train_y, x): 1 to 8 distinct training points and 1 to 4 queries
    in 1 to 3 dimensions (continuous draws: no two distances tie), float32 or
    float64."""
    n, m, d = draw(st.integers(1, 8)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    train_x = torch.rand(n, d, generator=gen, dtype=torch.float64) * 4
    train_y = torch.randn(n, generator=gen, dtype=torch.float64) * 3
    x = torch.rand(m, d, generator=gen, dtype=torch.float64) * 4
    return train_x.to(dtype), train_y.to(dtype), x.to(dtype)


def truth(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sin(2πx), the synthetic problem's known function, in float64."""
    return torch.sin(2 * math.pi * x.double())


def decomposition(table: torch.Tensor, grid: torch.Tensor) -> tuple[float, float, float]:
    """(bias², variance over the sets dividing by their number, the same
    dividing by one less) of an (n_sets, M) table of predictions on the (M,)
    grid, averaged over the grid: the definitions, applied to predictions."""
    table = table.double()
    bias2 = ((table.mean(0) - truth(grid)) ** 2).mean().item()
    return bias2, table.var(0, unbiased=False).mean().item(), table.var(0, unbiased=True).mean().item()


def resampled_sets(n_sets: int, n_train: int, noise: float, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """n_sets training sets of the synthetic problem, drawn in the judge."""
    gen = torch.Generator().manual_seed(seed)
    sets = []
    for _ in range(n_sets):
        x = torch.rand(n_train, 1, generator=gen, dtype=torch.float64)
        sets.append((x, truth(x[:, 0]) + noise * torch.randn(n_train, generator=gen, dtype=torch.float64)))
    return sets


def result_dict(out: Any, what: str) -> dict[str, float]:
    """bias_variance's result, failing unless it is a dict of three floats."""
    keys = ("bias2", "variance", "noise")
    if not (isinstance(out, dict) and all(k in out for k in keys)):
        fail('bias_variance must return a dict with the keys "bias2", "variance" and "noise".',
             f"{what} → {describe(out) if not isinstance(out, dict) else sorted(map(str, out))}")
    if not all(isinstance(out[k], (float, int)) and not isinstance(out[k], bool) for k in keys):
        fail("bias_variance must return Python floats (use float(...) on a 0-dim tensor).",
             f"{what} → " + ", ".join(f"{k}: {type(out[k]).__name__}" for k in keys))
    return {k: float(out[k]) for k in keys}
