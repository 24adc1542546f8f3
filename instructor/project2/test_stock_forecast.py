"""Hidden graders for P2-Q1, stock price forecasting (module
project2/stock_forecast): each item against the reference formulas on drawn
inputs (instructor/project2/stock_forecast_oracle)."""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, describe, graded, show
from graders.project2 import stock_forecast_probes as probes
from graders.project2 import stock_forecast_support as support
from instructor.project2 import stock_forecast_oracle as oracle

MODULE = "project2/stock_forecast"


@graded("make_windows", points=0.5)
@settings(max_examples=20)
@given(support.window_cases())
def test_windows_match_reference(impl, case):
    series, seq_length, horizon = case
    out = call("make_windows", impl, series, seq_length, horizon)
    want_x, want_y = oracle.windows(series, seq_length, horizon)
    check(
        isinstance(out, (tuple, list)) and len(out) == 2 and support.same(out[0], want_x) and support.same(out[1], want_y),
        "make_windows must return x[i] = series[i : i + seq_length] and y[i] = series[i + seq_length + horizon − 1].",
        f"series {show(series)}, seq_length={seq_length}, horizon={horizon}",
        f"expected x {show(want_x)}, y {show(want_y)}; got {show(out)}",
    )


@graded("train_val_test_split", points=0.5)
@settings(max_examples=20)
@given(support.split_cases())
def test_split_matches_reference(impl, case):
    series, val, test = case
    out = support.triple(call("train_val_test_split", impl, series, val, test), "train_val_test_split")
    want = oracle.split_sizes(series.shape[0], val, test)
    got = tuple(p.shape[0] for p in out)
    check(got == want and torch.equal(torch.cat(list(out)), series),
          "train_val_test_split must cut the series into contiguous parts of the handout's sizes.",
          f"T={series.shape[0]}, val_fraction={val}, test_fraction={test}: expected {want}, got {got}")


@graded("mape_loss", points=0.5)
@settings(max_examples=20)
@given(st.integers(1, 6), st.integers(0, 1000), st.sampled_from([1e-7, 0.1, 1.0]))
def test_mape_matches_reference(impl, n, seed, eps):
    gen = torch.Generator().manual_seed(seed)
    target = torch.randn(n, generator=gen, dtype=torch.float64)
    target[0] = 0.0 if n > 1 else target[0]
    pred = torch.randn(n, generator=gen, dtype=torch.float64)
    out = call("mape_loss", impl, pred, target, eps)
    want = oracle.mape(pred, target, eps)
    check(isinstance(out, torch.Tensor) and abs(float(out) - want) <= 1e-9 * max(1.0, want),
          "mape_loss must be mean |A − F| / max(|A|, eps).",
          f"pred {show(pred)}, target {show(target)}, eps={eps}: expected {want:.9g}, got {describe(out) if not isinstance(out, torch.Tensor) else float(out)}")


@graded("EarlyStopping", points=1)
@settings(max_examples=20)
@given(st.integers(1, 4), st.lists(st.sampled_from([0.5, 0.7, 0.8, 0.9, 1.0, 1.2]), min_size=1, max_size=12))
def test_stopping_matches_reference(impl, patience, losses):
    out = impl.run(probes.stopper_run, patience, losses)
    returns, epochs, bests = oracle.early_stopping(patience, losses)
    check(out["returns"] == returns and out["best_epoch"] == epochs and out["best"] == bests,
          "EarlyStopping.step must stop after `patience` epochs without a strictly lower loss.",
          f"patience {patience}, losses {losses}",
          f"expected returns {returns}, best_epoch {epochs}; got {out['returns']}, {out['best_epoch']}")


@graded("RecurrentRegressor", points=1)
@settings(max_examples=6)
@given(st.sampled_from(["rnn", "gru", "lstm"]), st.integers(1, 3), st.integers(1, 3), st.integers(2, 6),
       st.integers(0, 100))
def test_model_matches_reference(impl, cell, f, outputs, hidden, seed):
    kwargs = {"n_features": f, "n_outputs": outputs, "cell": cell, "hidden": hidden, "dropout": 0.3}
    gen = torch.Generator().manual_seed(seed)
    batch = torch.randn(3, 7, f, generator=gen)
    result = impl.run(probes.model_evidence, kwargs, seed, [batch], None, True)
    check(result["module"] is None, "RecurrentRegressor must build an nn.Module.", f"got {result['module']}")
    reference = oracle.regressor_with(result["params"], f, outputs, cell, hidden)
    check(reference is not None,
          "RecurrentRegressor's parameters must be the reference network's, in its order (recurrent layer, "
          "Linear 256, Linear 128, Linear n_outputs).",
          f"RecurrentRegressor(**{kwargs}): parameter shapes {[tuple(p.shape) for p in result['params']]}")
    with torch.no_grad():
        want = reference(batch)
    got = result["outputs"][0]
    check(isinstance(got, torch.Tensor) and torch.allclose(got, want, atol=1e-5),
          "RecurrentRegressor's eval-mode forward must be recurrent layer → last step → Linear → ReLU → Dropout → "
          "Linear → ReLU → Linear.",
          f"RecurrentRegressor(**{kwargs}) on {describe(batch)}: expected {show(want)}, got {show(got)}")
