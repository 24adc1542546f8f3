"""Graders for HW1-Q4, a two-layer network and hand-written optimisers
(module hw1/optimizers).

Each update rule is checked on its worked example (values computed ahead
with torch.optim and stored), on properties every correct rule has, on its
contract (in place, gradient cleared, state per parameter) and by training a
small network. `train` is graded with the graders' own stand-in network and
rule, so a broken rule or network costs points on its own item only.
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call, call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw1 import optimizers_support as support
from graders.hw1 import optimizers_probes as probes
from graders.strategies import float_dtypes, layouts

MODULE = "hw1/optimizers"

# --------------------------------------------------------------------------
# forward


@graded("forward", points=1)
def test_forward_worked_example(impl):
    params = [
        torch.tensor([[1.0, -1.0, 0.0], [2.0, 0.0, 1.0]]),
        torch.tensor([0.0, -1.0, -1.0]),
        torch.tensor([[1.0], [2.0], [-1.0]]),
        torch.tensor([0.5]),
    ]
    x = torch.tensor([[1.0, 1.0], [-1.0, 2.0]])
    out = call("forward", impl, params, x)
    want = torch.tensor([[3.5], [2.5]])
    check(
        isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out, want),
        "forward(params, x) must be relu(x @ W1 + b1) @ W2 + b2, one output per row, shape (N, 1).",
        "W1 [[1, -1, 0], [2, 0, 1]], b1 [0, -1, -1], W2 [[1], [2], [-1]], b2 [0.5], x [[1, 1], [-1, 2]]",
        f"expected {want.tolist()}, got {show(out)}",
    )


@graded("forward", points=0.5)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**16), float_dtypes, layouts)
def test_forward_properties(impl, n, d, h, seed, dtype, strided):
    gen = torch.Generator().manual_seed(seed)
    w1, b1, w2, b2 = (torch.randn(s, generator=gen, dtype=dtype) for s in ((d, h), (h,), (h, 1), (1,)))
    x = torch.randn(n, d, generator=gen, dtype=dtype)
    if strided:  # a transposed batch or weight is as valid an input as a contiguous one
        x, w1 = support.strided(x), support.strided(w1)
    support.rule_of(impl, "forward")
    layout = [name for name, t in (("x", x), ("W1", w1)) if not t.is_contiguous()]
    given_ = (f"x {describe(x)}" + (f" ({' and '.join(layout)} non-contiguous)" if layout else "")
              + f", H={h} hidden units (seed {seed})")
    plain = call_keeping_inputs("forward", impl, [w1, b1, w2, b2], x, names=("params", "x"))
    check_like("forward", plain, x, given_, shape=(n, 1))
    # The gradients are taken in the worker: autograd does not cross the channel.
    out, missing = impl.run(probes.forward_gradients, [w1, b1, w2, b2], x)
    check(not missing, "the output must be differentiable with respect to every parameter.",
          f"{given_}: no gradient reaches {', '.join(missing)}")
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-12)
    flipped = call("forward", impl, [w1, b1, w2, b2], x.flip(0))
    first = call("forward", impl, [w1, b1, w2, b2], x[:1])
    check(
        isinstance(flipped, torch.Tensor) and flipped.shape == out.shape and torch.allclose(flipped.flip(0), out, **tol)
        and isinstance(first, torch.Tensor) and torch.allclose(first, out[:1], **tol),
        "forward must treat every row of x on its own: reordering the rows reorders the outputs, "
        "and one row alone gives the same output as within the batch.",
        given_,
    )
    flat = call("forward", impl, [w1, b1, torch.zeros_like(w2), b2], x)
    check(
        isinstance(flat, torch.Tensor) and flat.shape == out.shape and torch.allclose(flat, b2.expand(n, 1), **tol),
        "with W2 = 0 the output must be b2 on every row, whatever its sign: there is no activation "
        "on the output layer.",
        f"{given_}, b2 = {b2.tolist()}: got {show(flat)}",
    )
    units = []
    for k in range(h):
        unit = torch.zeros_like(w2)
        unit[k] = 1.0
        units.append(call("forward", impl, [w1, b1, unit, torch.zeros_like(b2)], x))
        check(
            isinstance(units[-1], torch.Tensor) and units[-1].shape == out.shape and bool((units[-1] >= 0).all()),
            "with W2 = e_k (one hidden unit) and b2 = 0 the output is that hidden unit, a ReLU: it "
            "can never be negative.",
            f"{given_}, unit {k}: got {show(units[-1])}",
        )
    combined = sum(w2[k] * units[k] for k in range(h)) + b2
    check(
        torch.allclose(combined, out, **tol),
        "the output must be linear in the output layer: W2 weighs the hidden units, and b2 is added.",
        f"{given_}: Σ W2[k] · (output with W2 = e_k, b2 = 0) + b2 = {show(combined)}, "
        f"but forward gave {show(out)}",
    )


# --------------------------------------------------------------------------
# sgd_step


@graded("sgd_step", points=1)
def test_sgd_worked_example(impl):
    support.check_worked_example(impl, "sgd_step")


@graded("sgd_step", points=1)
@given(support.cases())
def test_sgd_properties(impl, case):
    support.check_properties(impl, "sgd_step", case)


@graded("sgd_step", points=1)
def test_sgd_contract(impl):
    support.check_contract(impl, "sgd_step")


@graded("sgd_step", points=1)
def test_sgd_trains_network(impl):
    support.check_trains_network(impl, "sgd_step")


# --------------------------------------------------------------------------
# momentum_step


@graded("momentum_step", points=1)
def test_momentum_worked_example(impl):
    support.check_worked_example(impl, "momentum_step")


@graded("momentum_step", points=1)
@given(support.cases())
def test_momentum_properties(impl, case):
    support.check_properties(impl, "momentum_step", case)


@graded("momentum_step", points=1)
def test_momentum_contract(impl):
    support.check_contract(impl, "momentum_step")


@graded("momentum_step", points=1)
def test_momentum_state_per_parameter(impl):
    support.check_per_parameter(impl, "momentum_step")


@graded("momentum_step", points=1)
def test_momentum_trains_network(impl):
    support.check_trains_network(impl, "momentum_step")


# --------------------------------------------------------------------------
# rmsprop_step


@graded("rmsprop_step", points=1)
def test_rmsprop_worked_example(impl):
    support.check_worked_example(impl, "rmsprop_step")


@graded("rmsprop_step", points=1)
@given(support.cases())
def test_rmsprop_properties(impl, case):
    support.check_properties(impl, "rmsprop_step", case)


@graded("rmsprop_step", points=1)
def test_rmsprop_contract(impl):
    support.check_contract(impl, "rmsprop_step")


@graded("rmsprop_step", points=1)
def test_rmsprop_state_per_parameter(impl):
    support.check_per_parameter(impl, "rmsprop_step")


@graded("rmsprop_step", points=1)
def test_rmsprop_trains_network(impl):
    support.check_trains_network(impl, "rmsprop_step")


# --------------------------------------------------------------------------
# adam_step


@graded("adam_step", points=1)
def test_adam_worked_example(impl):
    support.check_worked_example(impl, "adam_step")


@graded("adam_step", points=1)
@given(support.cases())
def test_adam_properties(impl, case):
    support.check_properties(impl, "adam_step", case)


@graded("adam_step", points=1)
def test_adam_contract(impl):
    support.check_contract(impl, "adam_step")


@graded("adam_step", points=1)
def test_adam_state_per_parameter(impl):
    support.check_per_parameter(impl, "adam_step")


@graded("adam_step", points=1)
def test_adam_trains_network(impl):
    support.check_trains_network(impl, "adam_step")


# --------------------------------------------------------------------------
# train
#
# train runs with the graders' stand-ins, deliberately not the handout's
# network and rules: leaky_forward in place of forward, and MarkedRule, a
# damped step that records its calls (see optimizers_probes). The expected
# histories below were computed ahead with the reference train and these
# stand-ins on the handout's data and parameters (seed 0); they are stored
# as data.

# lr=0.1, the defaults (max_steps=1000, threshold=0.1): 89 losses, these at these steps.
MARKED_LOSSES = {
    0: 7.260994911193848, 1: 7.146070957183838, 2: 6.996818542480469, 5: 6.494030952453613,
    10: 5.624749660491943, 20: 3.8276515007019043, 40: 1.0829118490219116,
    87: 0.10113000869750977, 88: 0.09955378621816635,
}
MARKED_STEPS = 89
MARKED_STEPS_THRESHOLD_2 = 33  # lr=0.1, threshold=2.0
GIVEN = "the handout's data and parameters, the graders' stand-in network and rule"


def run_train(impl: Any, lr: float, **kwargs: Any) -> tuple[list[float], list]:
    """train with the stand-ins, in the worker: (history, the rule's recorded calls)."""
    support.rule_of(impl, "train")
    seen = impl.run(probes.train_run, lr, kwargs)
    history = seen["history"]
    check(
        not seen["inputs_changed"],
        "train must not change the data it is given: only the parameters are updated in place.",
        f"{GIVEN}, lr={lr}: {' and '.join(seen['inputs_changed'])} changed in place",
    )
    check(
        support.finite_floats(history) and len(history) > 0,
        "train must return the loss history: a non-empty list of finite Python floats (loss.item()).",
        f"got {type(history).__name__} {show(history, 120)}",
    )
    return history, seen["calls"]


def close(got: float, want: float) -> bool:
    return abs(got - want) <= 1e-4 * abs(want) + 1e-6


@graded("train", points=1)
def test_train_converges(impl):
    history, _ = run_train(impl, 0.1)
    given_ = f"{GIVEN}, lr=0.1"
    check(
        close(history[0], MARKED_LOSSES[0]),
        "the first entry of the history must be the mean squared error of the untrained network "
        "on all the examples.",
        f"{given_}: expected {MARKED_LOSSES[0]:.5f}, got {history[0]:.5f}",
    )
    early = [i for i, v in enumerate(history[:-1]) if v < support.THRESHOLD] + [0]
    check(
        len(early) == 1,
        f"train must stop at the first loss below the threshold {support.THRESHOLD}.",
        f"{given_}: loss {history[early[0]]:.4g} at step {early[0]}, and training went on",
    )
    far = [i for i in sorted(MARKED_LOSSES) if i < len(history) and not close(history[i], MARKED_LOSSES[i])]
    check(
        not far,
        "each step must update every parameter (W1, b1, W2 and b2) once, from the gradient of the "
        "mean squared error, with the step function it is given.",
        f"{given_}: at step {far[0]} expected loss {MARKED_LOSSES[far[0]]:.5f}, got {history[far[0]]:.5f}"
        if far else "",
    )
    check(
        len(history) == MARKED_STEPS and history[-1] < support.THRESHOLD,
        f"train must keep stepping until the loss is below {support.THRESHOLD} (at most 1000 steps); "
        f"here that takes {MARKED_STEPS} losses.",
        f"{given_}: {len(history)} losses, the last {history[-1]:.4g}",
    )


@graded("train", points=1)
def test_train_state_per_parameter(impl):
    history, calls = run_train(impl, 0.01, max_steps=5)
    steps = len(history) if history[-1] >= support.THRESHOLD else len(history) - 1
    ids = list(range(4))  # the parameters by position; -1 for one that is not among those passed
    check(
        len(calls) == 4 * steps and sorted(p for p, _, _ in calls) == sorted(ids * steps),
        "train must call step_fn once for every parameter (W1, b1, W2 and b2) at every step.",
        f"max_steps=5: {steps} steps, {len(calls)} calls, "
        f"{len({p for p, _, _ in calls} & set(ids))} of the 4 parameters updated",
    )
    state_of: dict[int, set[int]] = {}
    for p, s, _ in calls:
        state_of.setdefault(p, set()).add(s)
    owners = [next(iter(s)) for s in state_of.values()]
    check(
        all(len(s) == 1 for s in state_of.values()) and len(set(owners)) == len(owners),
        "each parameter must get its own state dict, the same one at every step: passing one "
        "parameter's state to another mixes their running averages.",
        f"max_steps=5: state dicts per parameter {[len(s) for s in state_of.values()]}, "
        f"{len(set(owners))} distinct dicts for {len(owners)} parameters",
    )
    check(
        all(empty for _, _, empty in calls[:4]),
        "the state dicts must start empty: the rule fills them at its first step.",
    )


@graded("train", points=1)
def test_train_stops_after_max_steps(impl):
    history, _ = run_train(impl, 1e-3)
    check(
        len(history) == 1000,
        "train must stop after max_steps=1000 losses when the loss never gets below the threshold.",
        f"{GIVEN}, lr=1e-3: {len(history)} losses, the last {history[-1]:.4g}",
    )
    history, _ = run_train(impl, 1e-3, max_steps=7)
    check(len(history) == 7, "train must compute exactly max_steps losses when it does not converge.",
          f"max_steps=7, lr=1e-3: {len(history)} losses")
    history, _ = run_train(impl, 0.1, threshold=2.0)
    check(len(history) == MARKED_STEPS_THRESHOLD_2 and history[-1] < 2.0,
          "train must stop at the first loss below the threshold it is given.",
          f"{GIVEN}, lr=0.1, threshold=2.0: expected {MARKED_STEPS_THRESHOLD_2} losses, got {len(history)}")
