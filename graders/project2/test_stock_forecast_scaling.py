"""Graders for P2-Q1, stock price forecasting (module project2/stock_forecast):
scaling and the whole pipeline (fit_scaler, scale, prepare_data).

prepare_data is graded with the marked stand-ins of stock_forecast_probes in
place of the four items it calls (a split one row off, a widened scaler, a
doubled scaling, every second window): the judge sees what each was given,
so a mistake in one of them costs points on that one only, and fitting the
scaler on more than the training part costs prepare_data its points.

Worked examples are the handout's, their expected values stored below as
numbers; on drawn inputs the graders check properties, comparing the
student's functions with themselves.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.project2 import stock_forecast_probes as probes
from graders.project2 import stock_forecast_support as support

MODULE = "project2/stock_forecast"
FEW = settings(max_examples=25)

# The handout's scaler example, stored.
SCALER_TRAIN = [[1.0, 10.0], [3.0, 10.0], [2.0, 10.0]]
SCALER_LOW, SCALER_HIGH = [1.0, 10.0], [3.0, 10.0]
SCALE_IN, SCALE_OUT = [[2.0, 10.0], [5.0, 12.0]], [[0.5, 0.0], [2.0, 2.0]]
INVERSE_IN, INVERSE_OUT = [[0.5, 0.0], [1.0, 1.0]], [[2.0, 10.0], [3.0, 11.0]]


# --------------------------------------------------------------------------
# fit_scaler and scale


def _scaler(impl, train):
    what = f"fit_scaler(train {describe(train)})"
    out = call_keeping_inputs("fit_scaler", impl, train, names=("train",))
    low, high = support.pair(out, "fit_scaler", what, "(low, high)")
    if not (isinstance(low, torch.Tensor) and isinstance(high, torch.Tensor)):
        fail("fit_scaler must return two tensors (low, high).", f"{what} → {describe(out)}")
    return low, high, what


@graded("fit_scaler", points=0.5)
def test_scaler_worked_example(impl):
    low, high, what = _scaler(impl, torch.tensor(SCALER_TRAIN))
    check(
        support.close(low, torch.tensor(SCALER_LOW)) and support.close(high, torch.tensor(SCALER_HIGH)),
        "fit_scaler returns (low, high): the minimum and the maximum of each feature (column) of the training "
        f"part: {SCALER_LOW} and {SCALER_HIGH} here.",
        f"train {SCALER_TRAIN} → low {show(low)}, high {show(high)}",
    )


@graded("fit_scaler", points=0.5)
@FEW
@given(support.series(min_rows=1, max_rows=12))
def test_scaler_properties(impl, train):
    low, high, what = _scaler(impl, train)
    f = train.shape[1]
    check(tuple(low.shape) == (f,) and tuple(high.shape) == (f,),
          "fit_scaler must return low and high of shape (F,): one value per feature.",
          f"{what} → low {describe(low)}, high {describe(high)}")
    check(
        bool((train >= low).all() and (train <= high).all())
        and all(bool((train[:, j] == low[j]).any() and (train[:, j] == high[j]).any()) for j in range(f)),
        "every training value must lie in [low, high] of its feature, and each feature must reach its low and "
        "its high (the minimum and maximum of the training part, not of anything else).",
        f"{what}: train {show(train)} → low {show(low)}, high {show(high)}",
    )
    flipped = _scaler(impl, train.flip(0))
    check(support.close(flipped[0], low) and support.close(flipped[1], high),
          "the order of the training rows must not matter.", f"{what}: reversed rows → {show(flipped[:2])}")


def _scale(impl, x, scaler, inverse=False):
    what = f"scale(x {describe(x)}, scaler ({show(scaler[0])}, {show(scaler[1])}), inverse={inverse})"
    out = call_keeping_inputs("scale", impl, x, scaler, inverse, names=("x", "scaler"))
    if not isinstance(out, torch.Tensor):
        fail("scale must return a tensor.", f"{what} → {describe(out)}")
    return out, what


@graded("scale", points=1)
def test_scale_worked_example(impl):
    scaler = (torch.tensor(SCALER_LOW), torch.tensor(SCALER_HIGH))
    out, what = _scale(impl, torch.tensor(SCALE_IN), scaler)
    check(
        support.close(out, torch.tensor(SCALE_OUT), 1e-6),
        "scale maps each feature by (x − low) / (high − low), not clipped; a constant feature (high == low) "
        f"takes a span of 1, so x − low: {SCALE_OUT} here.",
        f"x {SCALE_IN}, {what} → {show(out)}",
    )
    out, what = _scale(impl, torch.tensor(INVERSE_IN), scaler, True)
    check(
        support.close(out, torch.tensor(INVERSE_OUT), 1e-6),
        f"scale(..., inverse=True) maps back, x · (high − low) + low (span 1 when constant): {INVERSE_OUT} here.",
        f"x {INVERSE_IN}, {what} → {show(out)}",
    )


@graded("scale", points=1)
@FEW
@given(support.series(min_rows=1, max_rows=6))
def test_scale_properties(impl, x):
    f = x.shape[1]
    gen = torch.Generator().manual_seed(int(x.shape[0] * 7 + f))
    low = (torch.rand(f, generator=gen, dtype=torch.float64) * 50).to(x.dtype)
    high = low + (torch.rand(f, generator=gen, dtype=torch.float64) * 50 + 1).to(x.dtype)
    scaler = (low, high)
    ends, what = _scale(impl, torch.stack([low, high, (low + high) / 2]), scaler)
    tol = 1e-9 if x.dtype == torch.float64 else 1e-5
    check(
        support.close(ends, torch.tensor([[0.0] * f, [1.0] * f, [0.5] * f]), tol),
        "scale maps each feature's low to 0, its high to 1 and the midpoint to 0.5 (min-max scaling).",
        f"{what} of [low, high, midpoint] → {show(ends)}",
    )
    scaled, what = _scale(impl, x, scaler)
    back, _ = _scale(impl, scaled, scaler, True)
    check(support.close(back, x, 1e-9 if x.dtype == torch.float64 else 1e-3),
          "scale(scale(x), inverse=True) must give x back.", f"{what}: x {show(x)} → back {show(back)}")
    windows = x[None].expand(2, -1, -1)
    both, _ = _scale(impl, windows, scaler)
    check(support.close(both, scaled[None].expand(2, -1, -1), tol),
          "scale works on any (..., F) tensor (windows (N, L, F) too), feature by feature.",
          f"{what}, x as 2 windows {describe(windows)} → {show(both)}")
    flat = (low.clone(), low.clone())
    out, what = _scale(impl, x, flat)
    check(support.close(out, x - low, tol) and bool(torch.isfinite(out).all()),
          "a constant feature (high == low) must not divide by zero: its span counts as 1, giving x − low.",
          f"{what}: x {show(x)} → {show(out)}")


@graded("scale", points=0.5, secondary=True)
def test_scale_keeps_dtype_and_device(impl):
    for dtype in (torch.float32, torch.float64):
        device = default_device()
        x = torch.tensor(SCALE_IN, dtype=dtype, device=device)
        scaler = (torch.tensor(SCALER_LOW, dtype=dtype, device=device), torch.tensor(SCALER_HIGH, dtype=dtype, device=device))
        for inverse in (False, True):
            out, what = _scale(impl, x, scaler, inverse)
            check_like("scale", out, x, what)


# --------------------------------------------------------------------------
# prepare_data


def _prepared(impl, t, f, seq_length, horizon, val, test):
    series = support.dated(t, f) + 0.5
    kwargs = {"seq_length": seq_length, "horizon": horizon, "val_fraction": val, "test_fraction": test}
    what = (f"prepare_data(series of {t} days × {f}, seq_length={seq_length}, horizon={horizon}, "
            f"val_fraction={val}, test_fraction={test}), with the graders' stand-ins for the four functions it calls")
    trace = impl.run(probes.traced_prepare, series, kwargs)
    return series, trace, what


CASES = ((40, 2, 4, 1, 0.2, 0.2), (31, 1, 3, 2, 0.25, 0.15))


@graded("prepare_data", points=1.5)
def test_prepare_fits_the_scaler_on_training_only(impl):
    for case in CASES:
        series, trace, what = _prepared(impl, *case)
        parts, scaler, _ = support.expected_prepared(series, case[2], case[3], case[4], case[5])
        calls = trace["calls"]
        check(
            len(calls["train_val_test_split"]) == 1
            and support.same(support.first_arg(calls["train_val_test_split"][0]), series),
            "prepare_data must split the series once, with train_val_test_split (before any scaling or windows).",
            f"{what}: train_val_test_split was called {len(calls['train_val_test_split'])} time(s)",
        )
        fitted = calls["fit_scaler"]
        seen = [describe(support.first_arg(c)) for c in fitted]
        check(
            len(fitted) == 1 and support.same(support.first_arg(fitted[0]), parts["train"]),
            "the scaler must be fitted on the TRAINING PART ONLY (fit_scaler(train), once): fitted on the whole "
            "series it knows in advance how high prices go in the test days, and the training part never "
            "reaches 1.",
            f"{what}: the split's training part has {parts['train'].shape[0]} rows; fit_scaler was given {seen}",
        )
        result = trace["result"]
        got = result.get("scaler") if isinstance(result, dict) else None
        check(
            isinstance(got, list) and len(got) == 2 and all(support.close(a, b) for a, b in zip(got, scaler)),
            'prepare_data must return the fitted scaler under "scaler": what fit_scaler returned.',
            f"{what} → scaler {show(got)}",
        )


@graded("prepare_data", points=1)
def test_prepare_scales_and_windows_each_part(impl):
    for case in CASES:
        series, trace, what = _prepared(impl, *case)
        _, _, windows = support.expected_prepared(series, case[2], case[3], case[4], case[5])
        result = trace["result"]
        if not isinstance(result, dict) or not all(k in result for k in ("train", "val", "test", "scaler")):
            fail('prepare_data must return a dict with the keys "train", "val", "test" and "scaler".',
                 f"{what} → {describe(result) if not isinstance(result, dict) else sorted(result)}")
        for name in ("train", "val", "test"):
            got = result[name]
            want_x, want_y = windows[name]
            check(
                isinstance(got, list) and len(got) == 2 and support.close(got[0], want_x) and support.close(got[1], want_y),
                f'prepare_data["{name}"] must be the windows (make_windows, with seq_length and horizon) of the '
                f"{name} part scaled with the fitted scaler (scale): no window may cross from one part into "
                "the next.",
                f"{what}: {name} → "
                + (f"x {describe(got[0])}, y {describe(got[1])}; first target {show(got[1][0]) if len(got[1]) else '-'}"
                   if isinstance(got, list) and len(got) == 2 and all(isinstance(t, torch.Tensor) for t in got)
                   else describe(got)),
                f"expected x {describe(want_x)}, y {describe(want_y)}; first target {show(want_y[0])} (from the "
                "stand-ins' results)",
            )
