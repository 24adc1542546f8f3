"""Instructor-only graders for HW1-Q4 (module hw1/optimizers): the checks
that need an oracle.

forward against the formula and each update rule against torch.optim, on
generated cases; train replayed with the handout's network and correct
SGD and momentum rules, on generated data. The network and the rules run
here, in the judge, called back from the worker (Linearised, JudgedRule).
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, describe, fail, graded, show
from graders.hw1 import optimizers_support as support
from graders.hw1 import optimizers_probes as probes
from instructor.hw1 import optimizers_oracle as oracle

MODULE = "hw1/optimizers"

# --------------------------------------------------------------------------
# forward


@graded("forward", points=0.5)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**16),
       st.sampled_from([torch.float32, torch.float64]))
def test_forward_matches_formula(impl, n, d, h, seed, dtype):
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=gen, dtype=dtype) for s in ((d, h), (h,), (h, 1), (1,))]
    x = torch.randn(n, d, generator=gen, dtype=dtype)
    support.rule_of(impl, "forward")
    out, _ = impl.run(probes.forward_gradients, params, x)
    given_ = f"x {describe(x)}, H={h} hidden units (seed {seed})"
    want = oracle.forward(params, x)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
    check(
        isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(out.double(), want, **tol),
        "forward(params, x) must be relu(x @ W1 + b1) @ W2 + b2: ReLU on the hidden layer only.",
        given_,
        f"expected {show(want.to(dtype))}, got {show(out)}",
    )


# --------------------------------------------------------------------------
# the update rules against torch.optim


@graded("sgd_step", points=1)
@given(support.cases())
def test_sgd_matches_torch(impl, case):
    oracle.compare(impl, "sgd_step", case, {}, "p ← p − lr · g")


@graded("momentum_step", points=1)
@given(support.cases(), st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_momentum_matches_torch(impl, case, beta):
    oracle.compare(impl, "momentum_step", case, {"beta": beta}, "v ← βv + g, p ← p − lr · v")


@graded("rmsprop_step", points=1)
@given(support.cases(), st.sampled_from([0.5, 0.9, 0.99]), st.sampled_from([1e-8, 1e-6, 1e-3, 0.1]))
def test_rmsprop_matches_torch(impl, case, alpha, eps):
    oracle.compare(impl, "rmsprop_step", case, {"alpha": alpha, "eps": eps},
                   "s ← αs + (1 − α)g², p ← p − lr · g / (√s + ε)")


@graded("adam_step", points=1)
@given(
    support.cases(),
    st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.99), (0.8, 0.5)]),
    st.sampled_from([1e-8, 1e-6, 1e-3, 0.1]),
)
def test_adam_matches_torch(impl, case, betas, eps):
    oracle.compare(impl, "adam_step", case, {"betas": betas, "eps": eps},
                   "with bias correction: p ← p − lr · m̂ / (√v̂ + ε)")


# --------------------------------------------------------------------------
# train, replayed


def generated_data(n: int) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """n inputs, their targets and initial parameters as the handout draws
    them, from torch's generator (seeded for the test)."""
    x = torch.randn(n, len(probes.LABEL_WEIGHTS))
    y = x @ torch.tensor(probes.LABEL_WEIGHTS)[:, None]
    start = [torch.randn(4, 3) / 2, torch.zeros(3), torch.randn(3, 1) / 3**0.5, torch.zeros(1)]
    return x, y, start


def replayed(impl: Any, rule: str, lr: float, n: int, **kwargs: Any) -> None:
    x, y, start = generated_data(n)
    want = oracle.replay(oracle.RULES[rule], lr, x, y, start, **kwargs)
    support.rule_of(impl, "train")
    given_ = f"{n} generated examples, the handout's network and a correct {rule} rule, lr={lr}, " + (
        ", ".join(f"{k}={v}" for k, v in kwargs.items()))
    try:
        seen = impl.run(probes.train_run, lr, kwargs, (x, y, start), oracle.RULES[rule],
                        oracle.forward_and_jacobians)
    except ValueError as exc:
        if "belongs to another parameter" not in str(exc):
            raise
        # the momentum rule found another parameter's velocity in the state it was given
        fail("each parameter must get its own state dict, the same one at every step.", f"{given_}: {exc}")
    history = seen["history"]
    check(
        support.finite_floats(history),
        "train must return the loss history: a list of finite Python floats (loss.item()).",
        f"{given_}: got {show(history, 120)}",
    )
    far = [i for i, (a, b) in enumerate(zip(history, want)) if abs(a - b) > 1e-4 * abs(b) + 1e-6] + [None]
    check(
        far[0] is None and len(history) == len(want),
        "train must follow the handout's loop: the MSE before each step, then every parameter "
        "stepped once with its own state, until the loss is below the threshold or max_steps "
        "losses were computed.",
        f"{given_}: expected {len(want)} losses, got {len(history)}"
        + (f"; at step {far[0]} expected {want[far[0]]:.6f}, got {history[far[0]]:.6f}" if far[0] is not None else ""),
    )


@graded("train", points=1)
@settings(max_examples=3)  # each example is about a hundred steps, called back step by step
@given(st.sampled_from([16, 32, 64]), st.sampled_from([0.01, 0.05]))
def test_train_replays_the_loop(impl, n, lr):
    replayed(impl, "SGD", lr, n, max_steps=60)
    replayed(impl, "momentum", lr, n, max_steps=30, threshold=0.5)
