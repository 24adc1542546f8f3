"""Graders for HW1-Q4, a two-layer network and hand-written optimisers
(module hw1/optimizers).

Each update rule is compared with torch.optim (SGD, SGD with momentum,
RMSprop, Adam) on the same parameter and gradients, within the tolerances of
optim_support.TOLERANCE. `train` is graded with the graders' own forward
pass and stand-in rules, so a broken rule costs points on its own item only.
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, describe, graded, show
from graders.hw1 import optim_support as support
from graders.hw1 import optimizers_probes as probes

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


@graded("forward", points=1)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**16))
def test_forward_matches_formula(impl, n, d, h, seed):
    gen = torch.Generator().manual_seed(seed)
    params = [support.leaf(torch.randn(s, generator=gen)) for s in ((d, h), (h,), (h, 1), (1,))]
    x = torch.randn(n, d, generator=gen)
    support.rule_of(impl, "forward")
    # The gradients are taken in the worker: autograd does not cross the channel.
    out, missing = impl.run(probes.forward_gradients, params, x)
    given_ = f"x (N={n}, D={d}), H={h} hidden units (seed {seed})"
    check(
        isinstance(out, torch.Tensor) and tuple(out.shape) == (n, 1),
        "forward must return a tensor of shape (N, 1).",
        f"{given_} → {describe(out)}",
    )
    want = support.forward(params, x)
    check(
        torch.allclose(out, want, rtol=1e-5, atol=1e-6),
        "forward(params, x) must be relu(x @ W1 + b1) @ W2 + b2: ReLU on the hidden layer only.",
        given_,
        f"expected {show(want.detach())}, got {show(out)}",
    )
    check(not missing, "the output must be differentiable with respect to every parameter.",
          f"{given_}: no gradient reaches {', '.join(missing)}")


# --------------------------------------------------------------------------
# sgd_step


@graded("sgd_step", points=1)
def test_sgd_worked_example(impl):
    case = support.worked_case([[1.0, -2.0, 0.5], [0.5, 0.5, 0.0]], 0.1)
    support.compare(impl, "sgd_step", case, {}, "p ← p − lr · g")


@graded("sgd_step", points=2)
@given(support.cases())
def test_sgd_matches_torch(impl, case):
    support.compare(impl, "sgd_step", case, {}, "p ← p − lr · g")


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
    case = support.worked_case([[1.0, -2.0, 0.5], [1.0, -2.0, 0.5], [0.0, 1.0, -1.0]], 0.1)
    support.compare(impl, "momentum_step", case, {}, "with the default beta=0.9 (v ← βv + g, p ← p − lr · v)")


@graded("momentum_step", points=2)
@given(support.cases(), st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_momentum_matches_torch(impl, case, beta):
    support.compare(impl, "momentum_step", case, {"beta": beta}, "v ← βv + g, p ← p − lr · v")


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
    # Gradients of 1e-4 make √s about 1e-5, so ε = 1e-8 inside the root would change the step.
    case = support.worked_case([[1e-4, -2e-4, 0.0], [1e-4, 1e-4, 3e-4]], 0.01)
    support.compare(impl, "rmsprop_step", case, {},
            "with the defaults alpha=0.99, eps=1e-8 (s ← αs + (1 − α)g², p ← p − lr · g / (√s + ε))")


@graded("rmsprop_step", points=2)
@given(support.cases(), st.sampled_from([0.5, 0.9, 0.99]), st.sampled_from([1e-8, 1e-6, 1e-3, 0.1]))
def test_rmsprop_matches_torch(impl, case, alpha, eps):
    support.compare(impl, "rmsprop_step", case, {"alpha": alpha, "eps": eps},
            "s ← αs + (1 − α)g², p ← p − lr · g / (√s + ε)")


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
    case = support.worked_case([[1e-3, -2e-3, 0.0], [1e-3, 1e-3, 3e-3], [-1e-3, 0.0, 1e-3]], 0.01)
    support.compare(impl, "adam_step", case, {},
            "with the defaults betas=(0.9, 0.999), eps=1e-8 and bias correction by 1 − β^t")


@graded("adam_step", points=2)
@given(
    support.cases(),
    st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.99), (0.8, 0.5)]),
    st.sampled_from([1e-8, 1e-6, 1e-3, 0.1]),
)
def test_adam_matches_torch(impl, case, betas, eps):
    support.compare(impl, "adam_step", case, {"betas": betas, "eps": eps},
            "with bias correction: p ← p − lr · m̂ / (√v̂ + ε)")


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


def run_train(impl: Any, rule: str, lr: float, **kwargs: Any) -> tuple[list[float], list]:
    """train with the stand-in rule `rule` ('sgd', 'momentum' or 'recorder')
    and the graders' forward, in the worker: (history, recorded calls)."""
    support.rule_of(impl, "train")
    seen = impl.run(probes.train_run, rule, lr, kwargs)
    history = seen["history"]
    check(
        support.finite_floats(history) and len(history) > 0,
        "train must return the loss history: a non-empty list of finite Python floats (loss.item()).",
        f"got {type(history).__name__} {show(history, 120)}",
    )
    return history, seen["calls"]


@graded("train", points=2)
def test_train_converges(impl):
    history, _ = run_train(impl, "sgd", 1e-2)
    want = support.reference_training(probes.sgd, 1e-2)
    given_ = "the handout's data and network, an SGD rule, lr=1e-2"
    check(
        abs(history[0] - want[0]) <= 1e-5 * want[0],
        "the first entry of the history must be the mean squared error of the untrained network.",
        f"{given_}: expected {want[0]:.5f}, got {history[0]:.5f}",
    )
    check(
        len(history) <= 1000 and history[-1] < support.THRESHOLD,
        f"train must keep stepping until the loss is below {support.THRESHOLD} (at most 1000 steps); "
        f"with SGD at lr=1e-2 it gets there after about {len(want)} steps.",
        f"{given_}: {len(history)} losses, the last {history[-1]:.4g}",
    )
    early = [i for i, v in enumerate(history[:-1]) if v < support.THRESHOLD] + [0]
    check(
        len(early) == 1,
        f"train must stop at the first loss below the threshold {support.THRESHOLD}.",
        f"{given_}: loss {history[early[0]]:.4g} at step {early[0]}, and training went on",
    )
    n = min(len(history), len(want))
    far = [i for i in range(n) if abs(history[i] - want[i]) > 1e-3 * want[i] + 1e-6] + [0]
    check(
        len(far) == 1,
        "each step must update every parameter (W1, b1, W2 and b2) once from the gradient of the "
        "mean squared error, so the losses follow those of plain SGD.",
        f"{given_}: at step {far[0]} expected loss {want[far[0]]:.5f}, got {history[far[0]]:.5f}",
    )


@graded("train", points=1)
def test_train_state_per_parameter(impl):
    history, calls = run_train(impl, "recorder", 1e-2, max_steps=5)
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
    history, _ = run_train(impl, "momentum", 1e-2)
    want = support.reference_training(probes.momentum, 1e-2)
    check(
        len(history) == len(want) and history[-1] < support.THRESHOLD,
        "with a momentum rule, which keeps a velocity in each parameter's state, train must "
        f"converge as the handout's loop does ({len(want)} losses at lr=1e-2).",
        f"got {len(history)} losses, the last {history[-1]:.4g}",
    )


@graded("train", points=1)
def test_train_stops_after_max_steps(impl):
    history, _ = run_train(impl, "sgd", 1e-4)
    check(
        len(history) == 1000,
        "train must stop after max_steps=1000 losses when the loss never gets below the threshold.",
        f"SGD at lr=1e-4: {len(history)} losses, the last {history[-1]:.4g}",
    )
    history, _ = run_train(impl, "sgd", 1e-4, max_steps=7)
    check(len(history) == 7, "train must compute exactly max_steps losses when it does not converge.",
          f"max_steps=7, lr=1e-4: {len(history)} losses")
    history, _ = run_train(impl, "sgd", 1e-2, threshold=2.0)
    want = support.reference_training(probes.sgd, 1e-2)
    first = next(i for i, v in enumerate(want) if v < 2.0) + 1
    check(len(history) == first and history[-1] < 2.0,
          "train must stop at the first loss below the threshold it is given.",
          f"threshold=2.0, SGD at lr=1e-2: expected {first} losses, got {len(history)}")
