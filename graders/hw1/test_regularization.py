"""Graders for HW1-Q2, L1 and L2 penalties (module hw1/regularization): the
penalties and fit_linear.

fit_linear is graded with the marked spies of regularization_probes in place
of l1_penalty and l2_penalty (their values are off by 3, their gradients
right), so a mistake in a penalty costs points on that penalty only; writing
the penalty's gradient inline is accepted too.

Exact values are checked on the handout's worked examples, stored below as
numbers; on drawn inputs the graders check properties, comparing the
student's functions with themselves.
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, fail, graded, show
from dlkit.isolation import substituted
from graders.hw1 import regularization_probes as probes
from graders.hw1 import regularization_support as support

MODULE = "hw1/regularization"

# The handout's tensors and their penalties, stored.
PARAMS = [[1.0, -2.0], [[3.0], [-4.0]]]
WORKED_PENALTY = {"l1_penalty": 10.0, "l2_penalty": 30.0}
WORKED_SCALAR = {"l1_penalty": 1.5, "l2_penalty": 2.25}  # of the single 0-dim tensor -1.5
WORKED_GRADS = {  # the gradient reaching each of PARAMS
    "l1_penalty": [[1.0, -1.0], [[1.0], [-1.0]]],
    "l2_penalty": [[2.0, -4.0], [[6.0], [-8.0]]],
}
DEGREE = {"l1_penalty": 1, "l2_penalty": 2}
FORMULA = {"l1_penalty": "Σ |w|", "l2_penalty": "Σ w² (the sum of squares, no square root)"}

# fit_linear's worked example: (penalty, strength) → (w, b) after 300 steps of lr 0.1, stored.
FIT_X = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]
FIT_Y = [3.0, -1.0, 2.0, 0.0]
WORKED_FIT = {
    ("l1", 0.0): ([2.0, 1.0], 1.0),
    ("l2", 0.0): ([2.0, 1.0], 1.0),
    ("l1", 1.5): ([0.5, 0.0], 1.0),
    ("l2", 1.5): ([0.5, 0.25], 1.0),
    ("l1", 0.5): ([1.5, 0.5], 1.0),
    ("l2", 0.25): ([4 / 3, 2 / 3], 1.0),
}
STEPS, LR = 300, 0.1


# --------------------------------------------------------------------------
# the penalties


def _worked_penalty(impl, fn: str) -> None:
    params = [torch.tensor(p) for p in PARAMS]
    out = call_keeping_inputs(fn, impl, params, names=("params",))
    check(
        isinstance(out, torch.Tensor) and out.numel() == 1 and abs(float(out) - WORKED_PENALTY[fn]) < 1e-5,
        f"{fn} is {FORMULA[fn]} over every entry of every tensor: {WORKED_PENALTY[fn]:g} for the handout's "
        f"tensors {PARAMS}.",
        f"got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )
    out = call_keeping_inputs(fn, impl, [torch.tensor(-1.5)], names=("params",))
    check(
        isinstance(out, torch.Tensor) and out.numel() == 1 and abs(float(out) - WORKED_SCALAR[fn]) < 1e-6,
        f"{fn} of a single 0-dim tensor -1.5 must be {WORKED_SCALAR[fn]:g}.",
        f"got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )
    out = call_keeping_inputs(fn, impl, [], names=("params",))
    check(
        (isinstance(out, torch.Tensor) and out.numel() == 1 and float(out) == 0.0),
        f"{fn} of no tensors at all (an empty list) must be a tensor equal to 0.",
        f"got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )


def _penalty_properties(impl, fn: str, params: list[torch.Tensor]) -> None:
    dtype = params[0].dtype
    given_ = f"params {[show(p) for p in params]} ({str(dtype).removeprefix('torch.')})"
    whole, *singles = support.alone(impl, fn, (params,), *[([p],) for p in params])
    scaled_down, scaled_up, zeros = support.alone(
        impl, fn, ([-0.5 * p for p in params],), ([3.0 * p for p in params],), ([torch.zeros_like(p) for p in params],))
    outs = [whole, *singles, scaled_down, scaled_up, zeros]
    check(
        all(isinstance(o, torch.Tensor) and o.dim() == 0 and o.dtype == dtype for o in outs),
        f"{fn} must return a 0-dim tensor of the parameters' dtype (float32 or float64).",
        f"{given_} → {describe(whole)}",
    )
    value = float(whole)
    check(value >= 0 and float(zeros) == 0.0,
          f"{fn} is never negative, and 0 when every weight is 0.",
          f"{given_} → {value:.6g}; all zeros → {float(zeros):.6g}")
    total = sum(float(s) for s in singles)
    check(
        support.same_number(value, total, dtype),
        f"{fn} sums over every tensor: its value for the list is the sum of its values for each tensor alone.",
        f"{given_} → {value:.6g}; tensor by tensor {[round(float(s), 6) for s in singles]}, which add up to {total:.6g}",
    )
    q = DEGREE[fn]
    for factor, out in ((-0.5, scaled_down), (3.0, scaled_up)):
        want = abs(factor) ** q * value
        check(
            support.same_number(float(out), want, dtype),
            f"{fn} is {FORMULA[fn]}: multiplying every weight by c multiplies it by |c|"
            + ("" if q == 1 else "²") + ".",
            f"{given_} → {value:.6g}; every weight × {factor:g} → {float(out):.6g}, expected {want:.6g}",
        )


def _penalty_gradients(impl, fn: str) -> None:
    params = [torch.tensor(p) for p in PARAMS]
    for how in ("list", "generator", "module"):
        entry = impl.run(probes.penalty_gradients, fn, params, how)
        passed = {"list": "a list", "generator": "a generator", "module": "model.parameters()"}[how]
        check(
            entry["value"] is not None and abs(entry["value"] - WORKED_PENALTY[fn]) < 1e-5,
            f"{fn} must accept any iterable of tensors, such as {passed}, and return the penalty as a tensor.",
            f"the handout's tensors {PARAMS} passed as {passed} → {entry['what']}"
            + ("" if entry["value"] is None else f" of value {entry['value']:.6g}"),
        )
        grads = entry["grads"]
        check(
            grads is not None and all(g is not None for g in grads),
            f"{fn} must be differentiable: gradients must flow from its value back to every tensor "
            "(build it from torch operations on the tensors, not from .item() or .detach()).",
            f"the handout's tensors passed as {passed} → {entry['what']}"
            + ("" if grads is None else f", gradients {['none' if g is None else show(g) for g in grads]}"),
        )
        want = [torch.tensor(g) for g in WORKED_GRADS[fn]]
        check(
            all(g.shape == w.shape and torch.allclose(g.double(), w.double(), atol=1e-5) for g, w in zip(grads, want)),
            f"the gradient of {fn} is " + ("sign(w)" if fn == "l1_penalty" else "2w")
            + f": {WORKED_GRADS[fn]} for the handout's tensors.",
            f"passed as {passed}: got {[show(g) for g in grads]}",
        )


def _penalty_keeps_dtype_device(impl, fn: str) -> None:
    device = default_device()
    for dtype in (torch.float32, torch.float64):
        params = [torch.tensor(p, dtype=dtype, device=device) for p in PARAMS]
        out = call_keeping_inputs(fn, impl, params, names=("params",))
        check_like(fn, out, params[0], f"params: {[describe(p) for p in params]}", shape=())


@graded("l1_penalty", points=1)
def test_l1_worked_example(impl):
    _worked_penalty(impl, "l1_penalty")


@graded("l1_penalty", points=1)
@given(support.parameter_lists())
def test_l1_properties(impl, params):
    _penalty_properties(impl, "l1_penalty", params)


@graded("l1_penalty", points=1)
def test_l1_gradient_and_iterables(impl):
    _penalty_gradients(impl, "l1_penalty")


@graded("l1_penalty", points=0.5, secondary=True)
def test_l1_keeps_dtype_and_device(impl):
    _penalty_keeps_dtype_device(impl, "l1_penalty")


@graded("l2_penalty", points=1)
def test_l2_worked_example(impl):
    _worked_penalty(impl, "l2_penalty")


@graded("l2_penalty", points=1)
@given(support.parameter_lists())
def test_l2_properties(impl, params):
    _penalty_properties(impl, "l2_penalty", params)


@graded("l2_penalty", points=1)
def test_l2_gradient_and_iterables(impl):
    _penalty_gradients(impl, "l2_penalty")


@graded("l2_penalty", points=0.5, secondary=True)
def test_l2_keeps_dtype_and_device(impl):
    _penalty_keeps_dtype_device(impl, "l2_penalty")


# --------------------------------------------------------------------------
# fit_linear


def _fit(impl, *calls: tuple) -> list[tuple[torch.Tensor, torch.Tensor]]:
    outs = support.alone(impl, "fit_linear", *calls)
    return [support.fitted(out, f"fit_linear(x: {describe(c[0])}, y, {c[2]!r}, {c[3]}, {c[4]}, {c[5]})")
            for out, c in zip(outs, calls)]


@graded("fit_linear", points=1.5)
def test_fit_worked_example(impl):
    x, y = torch.tensor(FIT_X, dtype=torch.float64), torch.tensor(FIT_Y, dtype=torch.float64)
    cases = list(WORKED_FIT)
    results = _fit(impl, *[(x, y, p, s, STEPS, LR) for p, s in cases])
    for (penalty, strength), (w, b) in zip(cases, results):
        want_w, want_b = WORKED_FIT[(penalty, strength)]
        check(
            torch.allclose(w, torch.tensor(want_w, dtype=torch.float64), atol=1e-4) and abs(b.item() - want_b) < 1e-4,
            f"on the handout's example, fit_linear with penalty {penalty!r} and strength {strength:g} must reach "
            f"w = {shown(torch.tensor(want_w))}, b = {want_b:g}"
            + (" (least squares)" if strength == 0 else
               " (each weight moved toward 0 by the strength, stopping at 0)" if penalty == "l1" else
               " (each weight divided by 1 + 2 · strength)") + ".",
            f"x {FIT_X}, y {FIT_Y}, {STEPS} steps of lr {LR} → w = {shown(w)}, b = {b.item():.4g}",
        )


def shown(t: torch.Tensor) -> str:
    return support.shown(t)


@graded("fit_linear", points=1)
@settings(max_examples=6)
@given(support.regression_problems())
def test_fit_strength_zero_is_least_squares(impl, problem):
    x, y = problem
    given_ = f"x {show(x)}, y {show(y)} (float64), strength 0, 400 steps of lr 0.1"
    for penalty, (w, b) in zip(("l1", "l2"), _fit(impl, (x, y, "l1", 0.0, 400, LR), (x, y, "l2", 0.0, 400, LR))):
        r = x @ w + b - y
        check(
            w.shape == (x.shape[1],) and (x.T @ r).abs().max().item() < 1e-6 and abs(r.mean().item()) < 1e-6,
            "with strength 0, fit_linear must give ordinary least squares: the residuals x · w + b − y are "
            "orthogonal to every feature and average to 0 (the normal equations).",
            f"{given_}, penalty {penalty!r} → w = {shown(w)}, b = {b.item():.6g}: "
            f"xᵀ r = {shown(x.T @ r) if w.shape == (x.shape[1],) else '?'}, mean r = {r.mean().item():.3g}",
        )


@graded("fit_linear", points=0.5)
@pytest.mark.parametrize("seed", [0, 1])
def test_fit_l1_zeroes_irrelevant_weights(impl, seed):
    x, y = support.sparse_problem(seed)
    ((w, b),) = _fit(impl, (x, y, "l1", 0.5, 400, LR))
    check(
        bool((w[2:] == 0).all()) and bool((w[:2] != 0).all()),
        "the L1 penalty drives the weights of irrelevant features to exactly 0 (a proximal soft-threshold step "
        "after each gradient step, not a plain subgradient step), and keeps the relevant ones.",
        f"y = 2 x₀ − 3 x₁ + 1 + noise, 5 features, 40 examples, strength 0.5, 400 steps of lr 0.1 → w = {w.tolist()}",
    )


@graded("fit_linear", points=0.5)
@pytest.mark.parametrize("seed", [0, 1])
def test_fit_l2_shrinks_without_zeroing(impl, seed):
    x, y = support.sparse_problem(seed)
    (w0, _), (w, _) = _fit(impl, (x, y, "l2", 0.0, 400, LR), (x, y, "l2", 0.5, 400, LR))
    check(
        bool((w != 0).all()) and bool((w.abs() < w0.abs()).all()) and bool((torch.sign(w) == torch.sign(w0)).all()),
        "the L2 penalty shrinks every weight toward 0 (smaller in size than without the penalty, same sign) "
        "but makes none of them exactly 0.",
        f"y = 2 x₀ − 3 x₁ + 1 + noise, 5 features, 40 examples, 400 steps of lr 0.1: strength 0 → w = {shown(w0)}; "
        f"strength 0.5 → w = {w.tolist()}",
    )


@graded("fit_linear", points=1)
def test_fit_bias_not_penalised(impl):
    x = support.design(20, 3, seed=5)
    gen = torch.Generator().manual_seed(6)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 5 + 0.1 * torch.randn(20, generator=gen,
                                                                                        dtype=torch.float64)
    for penalty in ("l1", "l2"):
        (w, b), (w_up, b_up) = _fit(impl, (x, y, penalty, 4.0, 300, LR), (x, y + 3, penalty, 4.0, 300, LR))
        given_ = f"centred x {show(x[:3])}… (20 × 3), y = x · [1, −2, 0.5] + 5 + noise, penalty {penalty!r}, strength 4"
        check(
            abs(b.item() - y.mean().item()) < 1e-4,
            "the bias is not penalised: however strong the penalty, with centred features the bias must reach "
            "the mean of the targets.",
            f"{given_} → b = {b.item():.6g}, mean of y = {y.mean().item():.6g}",
        )
        check(
            torch.allclose(w, w_up, atol=1e-6) and abs(b_up.item() - b.item() - 3) < 1e-4,
            "adding 3 to every target must add 3 to the bias and leave the weights unchanged (the bias is not "
            "penalised).",
            f"{given_}: w = {shown(w)}, b = {b.item():.6g}; with y + 3: w = {shown(w_up)}, b = {b_up.item():.6g}",
        )


@graded("fit_linear", points=0.5)
def test_fit_bad_arguments(impl):
    x, y = torch.tensor(FIT_X), torch.tensor(FIT_Y)
    for name, penalty, strength in (("penalty", "l3", 1.0), ("penalty", "ridge", 1.0), ("strength", "l2", -1.0),
                                    ("strength", "l1", -0.5)):
        bad = f"penalty={penalty!r}, strength={strength}"
        try:
            support.alone(impl, "fit_linear", (x, y, penalty, strength, 10, LR))
        except ValueError as exc:
            check(name in str(exc), f"fit_linear's ValueError for a bad {name} must name it.", f"{bad} → {exc!r}")
        else:
            fail(f"fit_linear must raise ValueError for a penalty other than 'l1' or 'l2' and a negative strength, "
                 "naming the argument.", f"{bad} raised nothing")


@graded("fit_linear", points=0.5, secondary=True)
def test_fit_keeps_dtype_device_and_inputs(impl):
    device = default_device()
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor(FIT_X, dtype=dtype, device=device)
        y = torch.tensor(FIT_Y, dtype=dtype, device=device)
        for penalty in ("l1", "l2"):
            what = f"x: {describe(x)}, y: {describe(y)}, penalty {penalty!r}"
            with substituted(impl, "fit_linear", {"l1_penalty": probes.spy_l1, "l2_penalty": probes.spy_l2}):
                out = call_keeping_inputs("fit_linear", impl, x, y, penalty, 1.5, 20, LR, names=("x", "y"))
            check(isinstance(out, (tuple, list)) and len(out) == 2, "fit_linear must return a pair (w, b).",
                  f"{what} → {describe(out)}")
            check_like("fit_linear", out[0], x, f"{what}: w", shape=(2,))
            check_like("fit_linear", out[1], x, f"{what}: b", shape=())
