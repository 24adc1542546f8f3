"""Graders for P2-Q1, stock price forecasting (module project2/stock_forecast):
windows and the chronological split (make_windows, train_val_test_split).

Worked examples are the handout's, their expected values stored below as
numbers; on drawn series the graders check properties, comparing the
student's functions with themselves.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings

from dlkit.device import default_device
from dlkit.grading.checks import call, call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.project2 import stock_forecast_support as support

MODULE = "project2/stock_forecast"
FEW = settings(max_examples=25)

# The handout's series and its windows, stored.
SERIES = [[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0], [4.0, 14.0], [5.0, 15.0]]
WORKED_WINDOWS = {  # (seq_length, horizon) → (x, y)
    (3, 1): ([[[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]], [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]],
              [[2.0, 12.0], [3.0, 13.0], [4.0, 14.0]]], [[3.0, 13.0], [4.0, 14.0], [5.0, 15.0]]),
    (3, 2): ([[[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]], [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]]],
             [[4.0, 14.0], [5.0, 15.0]]),
    (5, 1): ([[[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0], [4.0, 14.0]]], [[5.0, 15.0]]),
    (1, 1): ([[[0.0, 10.0]], [[1.0, 11.0]], [[2.0, 12.0]], [[3.0, 13.0]], [[4.0, 14.0]]],
             [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0], [4.0, 14.0], [5.0, 15.0]]),
}
# (T, val_fraction, test_fraction) → (n_train, n_val, n_test), stored.
WORKED_SPLITS = {
    (10, 0.2, 0.3): (5, 2, 3),
    (2264, 0.1, 0.1): (1812, 226, 226),
    (20, 0.1, 0.25): (13, 2, 5),
    (7, 0.15, 0.15): (5, 1, 1),
    (9, 0.0, 0.2): (7, 0, 2),
}


# --------------------------------------------------------------------------
# make_windows


def _windows(impl, series, seq_length, horizon):
    what = f"make_windows(series {describe(series)}, seq_length={seq_length}, horizon={horizon})"
    out = call_keeping_inputs("make_windows", impl, series, seq_length, horizon, names=("series",))
    x, y = support.pair(out, "make_windows", what)
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        fail("make_windows must return two tensors (x, y).", f"{what} → {describe(out)}")
    return x, y, what


@graded("make_windows", points=1.5)
def test_windows_worked_example(impl):
    series = torch.tensor(SERIES)
    for (seq_length, horizon), (want_x, want_y) in WORKED_WINDOWS.items():
        x, y, what = _windows(impl, series, seq_length, horizon)
        check(
            support.close(x, torch.tensor(want_x)),
            "x[i] must be the window series[i : i + seq_length], for every i in order: shape (N, seq_length, F) "
            "with N = T − seq_length − horizon + 1.",
            f"series {SERIES}, {what}", f"expected x {want_x}", f"got {show(x)}",
        )
        check(
            support.close(y, torch.tensor(want_y)),
            "the target of window i is series[i + seq_length + horizon − 1]: with horizon 1 the day right after "
            "the window, series[i + seq_length] (not i + seq_length + 1, which skips a day).",
            f"series {SERIES}, {what}", f"expected y {want_y}", f"got {show(y)}",
        )


@graded("make_windows", points=1)
@FEW
@given(support.window_cases())
def test_windows_properties(impl, case):
    series, seq_length, horizon = case
    x, y, what = _windows(impl, series, seq_length, horizon)
    t, f = series.shape
    n = t - seq_length - horizon + 1
    check(
        tuple(x.shape) == (n, seq_length, f) and tuple(y.shape) == (n, f),
        "make_windows must return x of shape (N, seq_length, F) and y of shape (N, F), "
        "N = T − seq_length − horizon + 1 (every window that has its target inside the series).",
        f"{what} → x {describe(x)}, y {describe(y)}; expected N = {n}",
    )
    check(torch.equal(x[0], series[:seq_length]), "the first window must be the first seq_length days.",
          f"{what}: series {show(series)} → x[0] = {show(x[0])}")
    check(
        n < 2 or torch.equal(x[1:, :-1], x[:-1, 1:]),
        "consecutive windows overlap: window i + 1 is window i moved on by one day.",
        f"{what}: series {show(series)} → x = {show(x)}",
    )
    check(
        torch.equal(y[-1], series[-1]) and torch.equal(x[-1, -1], series[t - horizon - 1]),
        "the last target must be the series' last day, and the last window end horizon days before it.",
        f"{what}: series {show(series)} → y[-1] = {show(y[-1])}, x[-1] = {show(x[-1])}",
    )
    if n >= 2:
        check(
            torch.equal(y[:-1], x[1:, -1]) if horizon == 1 else torch.equal(y[0], series[seq_length + horizon - 1]),
            "the target of a window is the day horizon days after its last day.",
            f"{what}: series {show(series)} → x = {show(x)}, y = {show(y)}",
        )


@graded("make_windows", points=0.5)
def test_windows_bad_arguments(impl):
    series = torch.tensor(SERIES)
    for name, seq_length, horizon in (("seq_length", 0, 1), ("horizon", 3, 0), ("series", 6, 1), ("series", 4, 3)):
        what = f"make_windows(series of 6 rows, seq_length={seq_length}, horizon={horizon})"
        try:
            call("make_windows", impl, series, seq_length, horizon)
        except ValueError as exc:
            check(name in str(exc), f"make_windows's ValueError must name {name}.", f"{what} → {exc!r}")
        else:
            fail("make_windows must raise ValueError for seq_length < 1 or horizon < 1 (naming it) and for a "
                 "series too short for one window (naming series).", f"{what} raised nothing")


@graded("make_windows", points=0.5, secondary=True)
def test_windows_keep_dtype_and_device(impl):
    for dtype in (torch.float32, torch.float64):
        series = torch.tensor(SERIES, dtype=dtype, device=default_device())
        x, y, what = _windows(impl, series, 3, 1)
        check_like("make_windows", x, series, f"{what}: x", shape=(3, 3, 2))
        check_like("make_windows", y, series, f"{what}: y", shape=(3, 2))


# --------------------------------------------------------------------------
# train_val_test_split


def _split(impl, series, val_fraction, test_fraction):
    what = f"train_val_test_split(series {describe(series)}, val_fraction={val_fraction}, test_fraction={test_fraction})"
    out = call_keeping_inputs("train_val_test_split", impl, series, val_fraction, test_fraction, names=("series",))
    return support.triple(out, what), what


@graded("train_val_test_split", points=1)
def test_split_worked_examples(impl):
    for (t, val, test), sizes in WORKED_SPLITS.items():
        parts, what = _split(impl, support.dated(t, 2), val, test)
        got = tuple(p.shape[0] for p in parts)
        check(
            got == sizes,
            "the parts have n_test = round(T · test_fraction), n_val = round(T · val_fraction) and the rest for "
            f"training: {sizes} rows here.",
            f"{what} → {got} rows",
        )


@graded("train_val_test_split", points=1.5)
@FEW
@given(support.split_cases())
def test_split_is_chronological(impl, case):
    series, val, test = case
    (train, valid, tested), what = _split(impl, series, val, test)
    dated = support.dated(series.shape[0], series.shape[1]).to(series.dtype)
    (d_train, d_val, d_test), _ = _split(impl, dated, val, test)
    check(
        torch.equal(torch.cat([train, valid, tested]), series),
        "the split cuts the series into three contiguous parts in time order: train, then validation, then "
        "test; put back together they give the series (no shuffling, no row lost or repeated).",
        f"{what}: series {show(series)} → train {show(train)}, val {show(valid)}, test {show(tested)}",
    )
    days = [p[:, 0].tolist() for p in (d_train, d_val, d_test)]
    check(
        all(a < b for x, y in ((days[0], days[1]), (days[1], days[2]), (days[0], days[2])) for a in x for b in y),
        "every training day must come before every validation day, and every validation day before every test "
        "day (a random split of the days leaks the future into training).",
        f"the days 0 … {series.shape[0] - 1} split into {days}",
    )
    (_, v2, t2), _ = _split(impl, series, test, val)
    check(
        valid.shape[0] == t2.shape[0] and tested.shape[0] == v2.shape[0],
        "the validation and test sizes follow the same rule: swapping the two fractions swaps the two sizes.",
        f"{what} → val {valid.shape[0]}, test {tested.shape[0]} rows; fractions swapped → val {v2.shape[0]}, "
        f"test {t2.shape[0]}",
    )


@graded("train_val_test_split", points=0.5)
def test_split_bad_fractions(impl):
    series = support.dated(10, 1)
    for name, val, test in (("val_fraction", -0.1, 0.1), ("test_fraction", 0.1, -0.2), ("fraction", 0.5, 0.5),
                            ("fraction", 0.7, 0.6)):
        what = f"train_val_test_split(10 rows, val_fraction={val}, test_fraction={test})"
        try:
            call("train_val_test_split", impl, series, val, test)
        except ValueError as exc:
            check(name in str(exc), f"train_val_test_split's ValueError must name the {name}.", f"{what} → {exc!r}")
        else:
            fail("train_val_test_split must raise ValueError for a negative fraction or fractions that leave no "
                 "training row (val_fraction + test_fraction >= 1), naming the fraction.", f"{what} raised nothing")
