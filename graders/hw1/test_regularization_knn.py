"""Graders for HW1-Q2, the bias–variance trade-off of k-NN (module
hw1/regularization): knn_predict and bias_variance.

bias_variance is graded with the marked spy of regularization_probes in
place of knn_predict (the mean of all the training targets plus a slope in x,
not a nearest-neighbour prediction): the judge sees the training sets it was
given and recomputes bias² and variance of the spy's predictions, so a
mistake in knn_predict costs points on knn_predict only.

Exact values are checked on the handout's worked examples, stored below as
numbers; on drawn inputs the graders check properties, comparing the
student's function with itself.
"""
from __future__ import annotations

import re

import torch
from hypothesis import given

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.hw1 import regularization_probes as probes
from graders.hw1 import regularization_support as support

MODULE = "hw1/regularization"

# The handout's examples, with the predictions stored.
LINE_X, LINE_Y = [[0.0], [1.0], [3.0], [6.0]], [0.0, 2.0, 4.0, 8.0]
WORKED_LINE = {  # k: predictions at 0.9 and 4
    1: [2.0, 4.0],
    2: [1.0, 6.0],
    3: [2.0, 14 / 3],
    4: [3.5, 3.5],
}
PLANE_X, PLANE_Y = [[3.0, 0.0], [2.0, 2.0]], [1.0, 5.0]
WORKED_PLANE = 5.0  # k = 1 at the origin: (2, 2) is nearer than (3, 0) in Euclidean distance


def _knn(impl, *calls: tuple) -> list[torch.Tensor]:
    outs = support.alone(impl, "knn_predict", *calls)
    for out, (train_x, train_y, x, k) in zip(outs, calls):
        if not (isinstance(out, torch.Tensor) and out.shape == (x.shape[0],)):
            fail("knn_predict must return a tensor of shape (M,): one prediction per query.",
                 f"train_x: {describe(train_x)}, x: {describe(x)}, k={k} → {describe(out)}")
    return [out.double().cpu() for out in outs]


def _case_text(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor, k: int) -> str:
    return f"train_x {show(train_x)}, train_y {show(train_y)}, x {show(x)} ({str(x.dtype).removeprefix('torch.')}), k={k}"


def _close(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype) -> bool:
    tol = 1e-9 if dtype == torch.float64 else 1e-5
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=tol, rtol=tol)


# --------------------------------------------------------------------------
# knn_predict


@graded("knn_predict", points=1.5)
def test_knn_worked_examples(impl):
    train_x, train_y, x = torch.tensor(LINE_X), torch.tensor(LINE_Y), torch.tensor([[0.9], [4.0]])
    outs = _knn(impl, *[(train_x, train_y, x, k) for k in WORKED_LINE])
    for (k, want), out in zip(WORKED_LINE.items(), outs):
        check(
            torch.allclose(out, torch.tensor(want, dtype=torch.float64), atol=1e-5),
            f"knn_predict predicts the mean target of the k nearest training points: on the handout's line "
            f"with k = {k}, {[round(w, 4) for w in want]} at 0.9 and 4.",
            f"{_case_text(train_x, train_y, x, k)} → {show(out)}",
        )
    plane_x, plane_y, origin = torch.tensor(PLANE_X), torch.tensor(PLANE_Y), torch.zeros(1, 2)
    (out,) = _knn(impl, (plane_x, plane_y, origin, 1))
    check(
        abs(out.item() - WORKED_PLANE) < 1e-5,
        "the distance is Euclidean: (2, 2) is nearer the origin than (3, 0) (2.83 against 3), so k = 1 predicts "
        f"its target {WORKED_PLANE:g}.",
        f"{_case_text(plane_x, plane_y, origin, 1)} → {show(out)}",
    )


@graded("knn_predict", points=1)
@given(support.knn_cases())
def test_knn_k1_recovers_training_targets(impl, case):
    train_x, train_y, _ = case
    (out,) = _knn(impl, (train_x, train_y, train_x, 1))
    check(
        _close(out, train_y.double(), train_x.dtype),
        "with k = 1 every training point is its own nearest neighbour: predicting at the training points must "
        "give back their targets (zero training error).",
        f"{_case_text(train_x, train_y, train_x, 1)} → {show(out)}",
    )


@graded("knn_predict", points=1)
@given(support.knn_cases())
def test_knn_all_points_give_the_mean(impl, case):
    train_x, train_y, x = case
    n = train_x.shape[0]
    (out,) = _knn(impl, (train_x, train_y, x, n))
    mean = train_y.double().mean()
    check(
        _close(out, mean.expand(x.shape[0]), train_x.dtype),
        "with k = N (every training point a neighbour) every prediction is the mean of all the targets.",
        f"{_case_text(train_x, train_y, x, n)} → {show(out)}, mean of the targets {mean.item():.6g}",
    )


@graded("knn_predict", points=1)
@given(support.knn_cases())
def test_knn_permutation_and_batch_invariance(impl, case):
    train_x, train_y, x = case
    n, m = train_x.shape[0], x.shape[0]
    k = max(1, (n + 1) // 2)
    order, queries = torch.arange(n).flip(0).roll(1), torch.arange(m).flip(0)
    base, shuffled, reordered, *singles = _knn(
        impl, (train_x, train_y, x, k), (train_x[order], train_y[order], x, k), (train_x, train_y, x[queries], k),
        *[(train_x, train_y, x[i:i + 1], k) for i in range(m)])
    given_ = _case_text(train_x, train_y, x, k)
    check(
        _close(shuffled, base, x.dtype),
        "the order of the training points must not matter: shuffling train_x and train_y together must give "
        "the same predictions.",
        f"{given_} → {show(base)}; training points in the order {order.tolist()} → {show(shuffled)}",
    )
    check(
        _close(reordered, base[queries], x.dtype) and _close(torch.cat(singles), base, x.dtype),
        "each query's prediction depends on that query only: reordering the queries reorders the predictions, "
        "and predicting them one at a time gives the same values.",
        f"{given_} → {show(base)}; queries reversed → {show(reordered)}; one at a time → {show(torch.cat(singles))}",
    )


@graded("knn_predict", points=1)
def test_knn_bias_and_variance_trade_off(impl):
    sets = support.resampled_sets(n_sets=30, n_train=40, noise=0.3, seed=11)
    grid = torch.linspace(0.05, 0.95, 19, dtype=torch.float64)[:, None]
    ks = (1, 8, 40)
    outs = _knn(impl, *[(tx, ty, grid, k) for k in ks for tx, ty in sets])
    parts = {}
    for i, k in enumerate(ks):
        table = torch.stack(outs[i * len(sets):(i + 1) * len(sets)])
        parts[k] = support.decomposition(table, grid[:, 0])
    bias2 = [parts[k][0] for k in ks]
    variance = [parts[k][1] for k in ks]
    check(
        variance[0] > variance[1] > variance[2] and bias2[0] < bias2[1] < bias2[2],
        "as k grows, k-NN averages over more points: over resampled training sets the variance of its "
        "predictions must fall and their bias² rise.",
        "30 training sets of 40 points, y = sin(2πx) + N(0, 0.3²), 19 queries in [0.05, 0.95]: "
        + "; ".join(f"k={k}: bias² {b:.4f}, variance {v:.4f}" for k, b, v in zip(ks, bias2, variance)),
    )


@graded("knn_predict", points=0.5)
def test_knn_bad_k(impl):
    train_x, train_y, x = torch.tensor(LINE_X), torch.tensor(LINE_Y), torch.tensor([[0.9]])
    for k in (0, -1, 5):
        try:
            support.alone(impl, "knn_predict", (train_x, train_y, x, k))
        except ValueError as exc:
            check(re.search(r"\bk\b", str(exc)) is not None, "knn_predict's ValueError for a bad k must name k.", f"k={k} → {exc!r}")
        else:
            fail("knn_predict must raise ValueError when k < 1 or k > the number of training points, naming k.",
                 f"4 training points, k={k} raised nothing")


@graded("knn_predict", points=0.5, secondary=True)
def test_knn_keeps_dtype_device_and_inputs(impl):
    device = default_device()
    for dtype in (torch.float32, torch.float64):
        train_x = torch.tensor(LINE_X, dtype=dtype, device=device)
        train_y = torch.tensor(LINE_Y, dtype=dtype, device=device)
        x = torch.tensor([[0.9], [4.0], [2.0]], dtype=dtype, device=device)
        what = f"train_x: {describe(train_x)}, train_y: {describe(train_y)}, x: {describe(x)}, k=2"
        out = call_keeping_inputs("knn_predict", impl, train_x, train_y, x, 2, names=("train_x", "train_y", "x"))
        check_like("knn_predict", out, train_y, what, shape=(3,))


# --------------------------------------------------------------------------
# bias_variance


def _traced(impl, *args):
    return impl.run(probes.traced_bias_variance, tuple(args))


def _args_text(k, n_sets, n_train, noise, seed) -> str:
    return f"bias_variance(k={k}, n_sets={n_sets}, n_train={n_train}, noise={noise}, seed={seed})"


def _calls_checked(trace: dict, n_sets: int, n_train: int, k: int, what: str) -> list[tuple]:
    calls = trace["calls"]
    check(
        len(calls) == n_sets,
        "bias_variance must call knn_predict once per training set (predicting the whole grid at once).",
        f"{what}: knn_predict was called {len(calls)} times",
    )
    for train_x, train_y, x, k_given in calls:
        check(
            isinstance(train_x, torch.Tensor) and tuple(train_x.shape) == (n_train, 1)
            and isinstance(train_y, torch.Tensor) and tuple(train_y.shape) == (n_train,),
            "each training set must hold n_train points: train_x of shape (n_train, 1), train_y of shape (n_train,).",
            f"{what}: knn_predict got train_x {describe(train_x)}, train_y {describe(train_y)}",
        )
        check(
            isinstance(x, torch.Tensor) and tuple(x.shape) == (support.GRID_POINTS, 1)
            and torch.allclose(x.double().cpu(), torch.linspace(0, 1, support.GRID_POINTS, dtype=torch.float64)[:, None]),
            "the predictions are made on the fixed grid torch.linspace(0, 1, 50)[:, None].",
            f"{what}: knn_predict got x {describe(x)}",
        )
        check(k_given == k, "bias_variance must pass its k on to knn_predict.", f"{what}: knn_predict got k={k_given}")
    return calls


@graded("bias_variance", points=2)
def test_bias_variance_decomposes_the_predictions(impl):
    for args in ((3, 10, 15, 0.3, 1), (1, 20, 8, 0.5, 2)):
        k, n_sets, n_train, noise, seed = args
        what = _args_text(*args)
        trace = _traced(impl, *args)
        out = support.result_dict(trace["result"], what)
        calls = _calls_checked(trace, n_sets, n_train, k, what)
        grid = calls[0][2].double().cpu()[:, 0]
        table = torch.stack([probes.spy_knn_64(tx.cpu(), ty.cpu(), x.cpu(), kk) for tx, ty, x, kk in calls])
        bias2, var_n, var_n1 = support.decomposition(table, grid)
        check(
            abs(out["bias2"] - bias2) < 1e-6 * max(1.0, bias2),
            "bias² is, at each grid point, the squared gap between the mean prediction over the training sets "
            "and f(x) = sin(2πx), averaged over the grid (not the mean of the squared errors, which adds the "
            "variance).",
            f"{what}, with the graders' stand-in for knn_predict (mean of the targets + 0.5 + 0.1 · k · x): "
            f"bias² {out['bias2']:.6g}, expected {bias2:.6g} from the predictions it returned",
        )
        check(
            min(abs(out["variance"] - var_n), abs(out["variance"] - var_n1)) < 1e-6 * max(1.0, var_n1),
            "the variance is, at each grid point, the variance of the predictions over the training sets "
            "(not over the grid), averaged over the grid.",
            f"{what}, with the graders' stand-in for knn_predict: variance {out['variance']:.6g}, expected "
            f"{var_n:.6g} (dividing by n_sets) or {var_n1:.6g} (by n_sets − 1)",
        )


@graded("bias_variance", points=0.5)
def test_bias_variance_noise_term(impl):
    for noise in (0.3, 0.5):
        args = (2, 4, 10, noise, 0)
        out = support.result_dict(_traced(impl, *args)["result"], _args_text(*args))
        check(
            abs(out["noise"] - noise**2) < 1e-9,
            "the noise term is the variance of the targets' noise, noise² (not noise).",
            f"{_args_text(*args)} → noise {out['noise']:.6g}",
        )


@graded("bias_variance", points=1)
def test_bias_variance_resamples_the_problem(impl):
    args = (5, 50, 40, 0.3, 3)
    what = _args_text(*args)
    calls = _calls_checked(_traced(impl, *args), 50, 40, 5, what)
    xs = torch.stack([c[0].double().cpu()[:, 0] for c in calls])
    ys = torch.stack([c[1].double().cpu() for c in calls])
    distinct = len({tuple(row.tolist()) for row in xs})
    check(
        distinct == len(calls),
        "each training set must be drawn anew: the n_sets sets knn_predict receives must all differ.",
        f"{what}: {distinct} different training sets among {len(calls)}",
    )
    check(
        xs.min().item() >= 0 and xs.max().item() <= 1 and abs(xs.mean().item() - 0.5) < 0.03,
        "the training inputs are drawn uniformly on [0, 1].",
        f"{what}: inputs from {xs.min().item():.3g} to {xs.max().item():.3g}, mean {xs.mean().item():.3g}",
    )
    residual = ys - support.truth(xs)
    check(
        abs(residual.mean().item()) < 0.03 and abs(residual.std().item() - 0.3) < 0.03,
        "the training targets are f(x) = sin(2πx) plus Gaussian noise of standard deviation `noise`.",
        f"{what}: targets − sin(2πx) have mean {residual.mean().item():.3g} and standard deviation "
        f"{residual.std().item():.3g} over the {residual.numel()} training points",
    )


@graded("bias_variance", points=0.5)
def test_bias_variance_seeded(impl):
    first, again, other = (_traced(impl, 3, 5, 10, 0.3, seed) for seed in (4, 4, 5))
    xs = [torch.cat([c[0].double().cpu() for c in t["calls"]]) if t["calls"] else torch.zeros(0)
          for t in (first, again, other)]
    check(
        first["result"] == again["result"] and torch.equal(xs[0], xs[1]) and not torch.equal(xs[0], xs[2]),
        "bias_variance must draw its training sets from a generator seeded with `seed`: the same seed gives "
        "the same sets and result, another seed other sets.",
        f"{_args_text(3, 5, 10, 0.3, 4)} twice → {'the same' if torch.equal(xs[0], xs[1]) else 'different'} sets; "
        f"seeds 4 and 5 → {'the same' if torch.equal(xs[0], xs[2]) else 'different'} sets",
    )


@graded("bias_variance", points=0.5)
def test_bias_variance_bad_arguments(impl):
    for name, n_sets, noise in (("n_sets", 1, 0.3), ("n_sets", 0, 0.3), ("noise", 5, -0.1)):
        args = (2, n_sets, 10, noise, 0)
        try:
            _traced(impl, *args)
        except ValueError as exc:
            check(name in str(exc), f"bias_variance's ValueError for a bad {name} must name it.",
                  f"{_args_text(*args)} → {exc!r}")
        else:
            fail("bias_variance must raise ValueError when n_sets < 2 (a variance needs two sets) or noise < 0, "
                 "naming the argument.", f"{_args_text(*args)} raised nothing")
