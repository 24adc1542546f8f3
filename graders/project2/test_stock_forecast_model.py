"""Graders for P2-Q1, stock price forecasting (module project2/stock_forecast):
the loss (mape_loss) and the model (RecurrentRegressor, built in the worker
from a seed).

The loss's worked examples are stored below as numbers; on drawn tensors it
is compared with itself (unchanged when forecasts and actual values are
scaled together or negated, 0 for a perfect forecast). The model is compared
with itself: shapes and parameter counts per cell (the handout's counts,
stored), each sample's prediction depends on its own window and on its
first and last days, dropout in train mode only, and a sine wave learned by
the graders' own training loop to a stated error.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.project2 import stock_forecast_probes as probes

MODULE = "project2/stock_forecast"
FEW = settings(max_examples=20)

# mape_loss's worked examples, stored: (pred, target, eps or None) → value.
WORKED_MAPE = [
    ([1.0, -5.0, 1.0], [2.0, -4.0, 0.5], None, 0.5833333333333334),
    ([3e-7], [0.0], None, 3.0),
    ([[1.0, 2.0], [3.0, 4.0]], [[2.0, 2.0], [2.0, 2.0]], None, 0.5),
    ([1.0], [0.25], 0.5, 1.5),
]
# RecurrentRegressor(n_features, n_outputs, cell, hidden) parameter counts, stored.
CELLS = ("rnn", "gru", "lstm")
WORKED_COUNTS = {
    (2, 2, 512): {"rnn": 428674, "gru": 957058, "lstm": 1221250},
    (2, 2, 8): {"rnn": 35554, "gru": 35746, "lstm": 35842},
    (3, 2, 6): {"rnn": 35012, "gru": 35144, "lstm": 35210},
}
SINE_STEPS, SINE_MSE = 40, 0.01  # the graders' loop: 40 full-batch Adam steps; the validation MSE must be below


# --------------------------------------------------------------------------
# mape_loss


def _mape(impl, pred, target, eps=None):
    extra = () if eps is None else (eps,)
    out = call_keeping_inputs("mape_loss", impl, pred, target, *extra, names=("pred", "target", "eps"))
    what = f"mape_loss(pred {show(pred)}, target {show(target)}" + ("" if eps is None else f", eps={eps}") + ")"
    if not (isinstance(out, torch.Tensor) and out.numel() == 1):
        fail("mape_loss must return a 0-dim tensor.", f"{what} → {describe(out)}")
    return out, what


@graded("mape_loss", points=1)
def test_mape_worked_examples(impl):
    for pred, target, eps, want in WORKED_MAPE:
        out, what = _mape(impl, torch.tensor(pred, dtype=torch.float64), torch.tensor(target, dtype=torch.float64), eps)
        check(
            abs(float(out) - want) < 1e-9 * max(1.0, want),
            "mape_loss is the mean of |A − F| / max(|A|, eps) over every entry, as a fraction (not × 100), "
            f"for forecasts F = pred and actual values A = target: {want:.6g} here.",
            f"{what} → {float(out):.6g}",
        )


@st.composite
def _loss_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    target = torch.rand(shape, generator=gen, dtype=torch.float64) * 9 + 1
    target = target * torch.where(torch.rand(shape, generator=gen) < 0.3, -1.0, 1.0).double()
    pred = target + torch.randn(shape, generator=gen, dtype=torch.float64)
    return pred.to(dtype), target.to(dtype)


@graded("mape_loss", points=1)
@FEW
@given(_loss_cases(), st.sampled_from([0.5, 3.0, 100.0]))
def test_mape_properties(impl, case, factor):
    pred, target = case
    tol = 1e-9 if pred.dtype == torch.float64 else 1e-5
    base, what = _mape(impl, pred, target)
    check(base.dim() == 0 and base.dtype == pred.dtype and float(base) >= 0,
          "mape_loss must return a non-negative 0-dim tensor of pred's dtype.", f"{what} → {describe(base)}")
    scaled, _ = _mape(impl, pred * factor, target * factor)
    negated, _ = _mape(impl, -pred, -target)
    check(
        abs(float(scaled) - float(base)) <= tol * max(1.0, float(base))
        and abs(float(negated) - float(base)) <= tol * max(1.0, float(base)),
        "MAPE is relative: multiplying forecasts and actual values by the same factor, or negating both, "
        "must not change it (divide by |A|, the actual value's size).",
        f"{what} → {float(base):.6g}; both × {factor:g} → {float(scaled):.6g}; both negated → {float(negated):.6g}",
    )
    perfect, _ = _mape(impl, target, target)
    check(float(perfect) == 0.0, "a perfect forecast (pred == target) has MAPE 0.", f"→ {float(perfect):.6g}")
    doubled, _ = _mape(impl, torch.cat([pred.reshape(-1), pred.reshape(-1)]), torch.cat([target.reshape(-1)] * 2))
    check(abs(float(doubled) - float(base)) <= tol * max(1.0, float(base)),
          "MAPE is a MEAN over the entries: the same entries twice give the same value.",
          f"{what} → {float(base):.6g}; every entry twice → {float(doubled):.6g}")


@graded("mape_loss", points=0.5)
def test_mape_gradient_and_zero_guard(impl):
    pred, target = torch.tensor([1.0, 2.0, 0.5]), torch.tensor([0.0, 4.0, 1.0])
    entry = impl.run(probes.loss_gradient, pred, target)
    grad = entry["grad"]
    check(
        grad is not None and bool(torch.isfinite(grad).all()),
        "mape_loss must be differentiable in pred, with finite gradients even where target is 0 (the "
        "denominator is clamped below by eps).",
        f"pred {pred.tolist()}, target {target.tolist()} → {entry['what']}, gradient {show(grad)}",
    )
    check(
        bool(grad[1] < 0 and grad[2] < 0),
        "the gradient must push forecasts below the actual value up: d MAPE / d F < 0 where F < A.",
        f"pred {pred.tolist()}, target {target.tolist()} → gradient {show(grad)}",
    )


@graded("mape_loss", points=0.5, secondary=True)
def test_mape_keeps_dtype_and_device(impl):
    for dtype in (torch.float32, torch.float64):
        pred = torch.tensor([1.0, 2.0], dtype=dtype, device=default_device())
        target = torch.tensor([2.0, 0.0], dtype=dtype, device=default_device())
        out, what = _mape(impl, pred, target)
        check_like("mape_loss", out, pred, what, shape=())
        check(bool(torch.isfinite(out)), "mape_loss must stay finite where the target is 0.", f"{what} → {show(out)}")


# --------------------------------------------------------------------------
# RecurrentRegressor


def _evidence(impl, kwargs, seed, batches, train_batch=None):
    result = impl.run(probes.model_evidence, kwargs, seed, batches, train_batch)
    if result["module"] is not None:
        fail(f"RecurrentRegressor(**{kwargs}) must build an nn.Module; got {result['module']}.")
    return result


def _windows(n, length, f, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, length, f, generator=gen)


@graded("RecurrentRegressor", points=1)
def test_model_shapes_per_cell(impl):
    for cell in CELLS:
        for (f, outputs, n, length) in ((2, 2, 4, 30), (3, 1, 1, 5)):
            kwargs = {"n_features": f, "n_outputs": outputs, "cell": cell, "hidden": 8, "dropout": 0.1}
            batch = _windows(n, length, f, 0)
            (out,) = _evidence(impl, kwargs, 0, [batch])["outputs"]
            check(
                isinstance(out, torch.Tensor) and tuple(out.shape) == (n, outputs) and out.dtype == torch.float32
                and bool(torch.isfinite(out).all()),
                "RecurrentRegressor's forward maps (N, L, n_features) windows to (N, n_outputs) finite float32 "
                "predictions, for every cell.",
                f"RecurrentRegressor(**{kwargs}) on windows {describe(batch)} → {describe(out)}",
            )


@graded("RecurrentRegressor", points=1.5)
def test_model_parameter_counts(impl):
    for (f, outputs, hidden), counts in WORKED_COUNTS.items():
        for cell in CELLS:
            kwargs = {"n_features": f, "n_outputs": outputs, "cell": cell, "hidden": hidden}
            got = _evidence(impl, kwargs, 0, [])["n_params"]
            check(
                got == counts[cell],
                "RecurrentRegressor is the handout's network: one recurrent layer (nn.RNN: 1 gate block, nn.GRU: "
                "3, nn.LSTM: 4, each h · (F + h) + 2h parameters) → Linear(hidden, 256) → Dropout → "
                f"Linear(256, 128) → Linear(128, n_outputs): {counts[cell]} parameters here.",
                f"RecurrentRegressor(**{kwargs}) has {got} parameters",
            )


@graded("RecurrentRegressor", points=1)
def test_model_window_dependence(impl):
    for cell in CELLS:
        kwargs = {"n_features": 2, "n_outputs": 2, "cell": cell, "hidden": 8, "dropout": 0.1}
        batch = _windows(4, 8, 2, 1)
        first, last = batch.clone(), batch.clone()
        first[0, 0] += 3.0
        last[0, -1] += 3.0
        outs = _evidence(impl, kwargs, 2, [batch, batch[2:3], batch.flip(0), first, last])["outputs"]
        base, alone, flipped, moved_first, moved_last = outs
        given_ = f"RecurrentRegressor(**{kwargs}) in eval mode, 4 windows of 8 days"
        check(
            torch.allclose(alone, base[2:3], atol=1e-5) and torch.allclose(flipped, base.flip(0), atol=1e-5),
            "each window's prediction depends on that window only (batch_first=True: x is (N, L, F)): a window "
            "alone, or the batch in another order, must give the same predictions.",
            f"{given_}: window 2 in the batch → {show(base[2])}, alone → {show(alone)}; batch reversed → "
            f"{show(flipped)}, expected {show(base.flip(0))}",
        )
        check(
            not torch.allclose(moved_last[0], base[0], atol=1e-6) and torch.allclose(moved_last[1:], base[1:], atol=1e-5),
            "the prediction comes from the recurrent layer's output at the LAST time step: changing the last "
            "day of a window must change that window's prediction (and no other).",
            f"{given_}: window 0 → {show(base[0])}; its last day + 3 → {show(moved_last[0])}",
        )
        check(
            not torch.allclose(moved_first[0], base[0], atol=1e-7),
            "the prediction must depend on every day of the window, the first one too (run the recurrent layer "
            "over the whole window).",
            f"{given_}: window 0 → {show(base[0])}; its first day + 3 → {show(moved_first[0])}",
        )


@graded("RecurrentRegressor", points=0.5)
def test_model_dropout_in_train_mode_only(impl):
    batch = _windows(6, 10, 2, 3)
    for cell in CELLS:
        kwargs = {"n_features": 2, "n_outputs": 2, "cell": cell, "hidden": 8, "dropout": 0.5}
        result = _evidence(impl, kwargs, 4, [batch], batch)
        given_ = f"RecurrentRegressor(**{kwargs}) on windows {describe(batch)}"
        check(torch.equal(result["outputs"][0], result["again"]),
              "in eval mode the model must be deterministic: two passes give the same predictions.",
              f"{given_}, eval mode: {show(result['outputs'][0])} then {show(result['again'])}")
        a, b = result["train_outputs"]
        check(not torch.equal(a, b),
              "in train mode the dropout layer (with the given rate) must be active: two passes differ.",
              f"{given_}, train mode: twice {show(a)}")
        kwargs = {**kwargs, "dropout": 0.0}
        a, b = _evidence(impl, kwargs, 4, [batch], batch)["train_outputs"]
        check(torch.equal(a, b), "with dropout=0 even train mode must be deterministic (the rate is the argument's).",
              f"RecurrentRegressor(**{kwargs}), train mode: {show(a)} then {show(b)}")


@graded("RecurrentRegressor", points=0.5)
def test_model_unknown_cell(impl):
    for cell in ("transformer", "LSTM2"):
        result = impl.run(probes.model_error, {"n_features": 2, "n_outputs": 2, "cell": cell, "hidden": 4})
        check(
            result["error"] == "ValueError" and "cell" in result["message"],
            'RecurrentRegressor must raise ValueError naming cell for a cell other than "rnn", "gru" or "lstm".',
            f"cell={cell!r} → " + ("nothing raised" if result["error"] is None else f"{result['error']}: {result['message']}"),
        )


@graded("RecurrentRegressor", points=1.5, time_limit=60)
def test_model_learns_a_sine(impl):
    device = str(default_device())
    for cell in CELLS:
        result = impl.run(probes.sine_fit, cell, SINE_STEPS, 0, device)
        check(
            result["val"] < SINE_MSE,
            f"RecurrentRegressor(1, 1, {cell!r}, hidden=16, dropout=0) must learn a sine wave: after "
            f"{SINE_STEPS} full-batch Adam steps (lr 0.01, MSE) on 180 windows of 12 days of sin(2πt / 24), "
            f"the mean squared error on the next 48 windows must be below {SINE_MSE}.",
            f"validation MSE {result['val']:.4g}; training loss {result['losses'][0]:.4g} → {result['losses'][-1]:.4g}",
        )
