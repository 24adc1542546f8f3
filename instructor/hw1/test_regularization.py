"""Hidden graders for HW1-Q2, L1/L2 penalties and k-NN bias–variance (module
hw1/regularization): each item against the reference formulas on drawn inputs.

Like the public graders, fit_linear runs with the marked spies in place of
the penalties (their gradients are right, so the fit is the same), and
bias_variance with a stand-in for knn_predict: here a correct k-NN from the
oracle, run in the judge, whose predictions the test records.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, describe, graded, show
from dlkit.isolation import substituted
from graders.hw1 import regularization_probes as probes
from graders.hw1 import regularization_support as support
from instructor.hw1 import regularization_oracle as oracle

MODULE = "hw1/regularization"


def _penalty_matches(impl, fn: str, params: list[torch.Tensor]) -> None:
    dtype = params[0].dtype
    given_ = f"params {[show(p) for p in params]} ({str(dtype).removeprefix('torch.')})"
    want = (oracle.l1 if fn == "l1_penalty" else oracle.l2)(params)
    entry = impl.run(probes.penalty_gradients, fn, params, "list")
    check(
        entry["value"] is not None and support.same_number(entry["value"], want, dtype),
        f"{fn} must be " + ("Σ |w|" if fn == "l1_penalty" else "Σ w²") + " over every entry of every tensor.",
        f"{given_} → {entry['what']}" + ("" if entry["value"] is None else f" {entry['value']:.6g}"),
        f"expected {want:.6g}",
    )
    grad = oracle.l1_grad if fn == "l1_penalty" else oracle.l2_grad
    grads = entry["grads"] or []
    check(
        len(grads) == len(params) and all(g is not None and torch.allclose(g.double().cpu(), grad(p), atol=1e-5)
                                          for g, p in zip(grads, params)),
        f"the gradient of {fn} is " + ("sign(w)" if fn == "l1_penalty" else "2w") + ".",
        f"{given_} → gradients {[show(g) if g is not None else 'none' for g in grads]}",
    )


@graded("l1_penalty", points=0.5)
@given(support.parameter_lists())
def test_l1_matches_reference(impl, params):
    _penalty_matches(impl, "l1_penalty", params)


@graded("l2_penalty", points=0.5)
@given(support.parameter_lists())
def test_l2_matches_reference(impl, params):
    _penalty_matches(impl, "l2_penalty", params)


@graded("fit_linear", points=1)
@settings(max_examples=5)
@given(support.regression_problems(), st.sampled_from(["l1", "l2"]), st.sampled_from([0.05, 0.3, 1.0]))
def test_fit_matches_reference(impl, problem, penalty, strength):
    x, y = problem
    (out,) = support.alone(impl, "fit_linear", (x, y, penalty, strength, 500, 0.1))
    w, b = support.fitted(out, "fit_linear")
    want_w, want_b = (oracle.lasso if penalty == "l1" else oracle.ridge)(x, y, strength)
    check(
        torch.allclose(w, want_w, atol=1e-5) and abs(b.item() - want_b.item()) < 1e-5,
        "fit_linear must minimise the mean squared error + strength · penalty(w), the bias unpenalised.",
        f"x {show(x)}, y {show(y)}, penalty {penalty!r}, strength {strength}, 500 steps of lr 0.1",
        f"expected w = {support.shown(want_w)}, b = {want_b.item():.6g}; got w = {support.shown(w)}, b = {b.item():.6g}",
    )


@graded("knn_predict", points=1)
@given(support.knn_cases(), st.integers(1, 8))
def test_knn_matches_reference(impl, case, k):
    train_x, train_y, x = case
    k = min(k, train_x.shape[0])
    (out,) = support.alone(impl, "knn_predict", (train_x, train_y, x, k))
    want = oracle.knn(train_x, train_y, x, k)
    tol = 1e-9 if x.dtype == torch.float64 else 1e-5
    check(
        isinstance(out, torch.Tensor) and out.shape == want.shape
        and torch.allclose(out.double().cpu(), want, atol=tol, rtol=tol),
        "knn_predict must predict the mean target of the k nearest training points in Euclidean distance.",
        f"train_x {show(train_x)}, train_y {show(train_y)}, x {show(x)}, k={k}",
        f"expected {show(want)}, got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )


@graded("bias_variance", points=1)
@settings(max_examples=4)
@given(st.sampled_from([1, 4, 20]), st.integers(0, 100))
def test_bias_variance_matches_reference(impl, k, seed):
    tables: list[torch.Tensor] = []
    grids: list[torch.Tensor] = []

    def recording_knn(train_x, train_y, x, kk):
        out = oracle.knn(train_x, train_y, x, kk)
        tables.append(out)
        grids.append(x.double()[:, 0])
        return out.to(train_y.dtype)

    with substituted(impl, "bias_variance", {"knn_predict": recording_knn}):
        out = support.result_dict(impl.bias_variance(k, 12, 20, 0.3, seed), "bias_variance")
    what = f"bias_variance(k={k}, n_sets=12, n_train=20, noise=0.3, seed={seed}) with a correct k-NN"
    check(len(tables) == 12, "bias_variance must call knn_predict once per training set.",
          f"{what}: {len(tables)} calls")
    bias2, var_n, var_n1 = support.decomposition(torch.stack(tables), grids[0])
    check(
        abs(out["bias2"] - bias2) < 1e-6 and min(abs(out["variance"] - var_n), abs(out["variance"] - var_n1)) < 1e-6
        and abs(out["noise"] - 0.09) < 1e-9,
        "bias_variance must return bias² = mean over the grid of (mean over the sets − f)², the variance over "
        "the sets averaged over the grid, and noise².",
        f"{what} → {out}",
        f"expected bias² {bias2:.6g}, variance {var_n:.6g} (or {var_n1:.6g}), noise 0.09",
    )
