"""References and cases for the hand-written optimiser graders (the judge's side).

The references are torch.optim itself, run on a copy of the parameter with
the same gradients. The student's rules read and clear param.grad, which
does not cross to the worker, so they are stepped there by the procedures
of optimizers_probes (which also holds the graders' network and the
stand-in rules `train` is graded with); what comes back is compared here.
The checks shared by the four rules (compare with torch.optim, the
in-place contract, per-parameter state, training the network) come last.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, check, fail, show
from graders.hw1 import optimizers_probes as probes
from graders.hw1.optimizers_probes import (  # noqa: F401  (the graders' network, shared with the worker)
    LABEL_WEIGHTS, THRESHOLD, forward, leaf, make_data, make_params, reference_training,
)

# Tolerances of every comparison with torch.optim, by dtype: float64 leaves
# room only for a different order of the same operations, which is what
# tells ε inside the square root from ε outside it on small gradients.
TOLERANCE = {torch.float64: dict(rtol=1e-9, atol=1e-12), torch.float32: dict(rtol=1e-5, atol=1e-6)}


def _warm_up() -> None:
    # torch.optim's first step imports lazily for about a second; pay it once
    # here, at collection, rather than inside whichever test runs first.
    p = torch.zeros(1, requires_grad=True)
    for cls in (torch.optim.SGD, torch.optim.RMSprop, torch.optim.Adam):
        p.grad = torch.ones(1)
        cls([p], lr=0.1).step()


_warm_up()


# --------------------------------------------------------------------------
# cases for the update rules


@dataclass(repr=False)
class Case:
    """One parameter and the gradients of a few steps."""

    start: torch.Tensor  # the parameter's initial value
    grads: list[torch.Tensor]
    lr: float

    def __repr__(self) -> str:  # what hypothesis prints as the smallest failing input
        return self.describe()

    def describe(self) -> str:
        dtype = str(self.start.dtype).removeprefix("torch.")
        scale = max(g.abs().max().item() for g in self.grads)
        return (
            f"a {dtype} parameter of shape {tuple(self.start.shape)}, lr={self.lr:g}, "
            f"{len(self.grads)} step{'s' if len(self.grads) != 1 else ''} with gradients up to "
            f"{scale:.3g} in size"
        )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A parameter of 0 to 3 dimensions, float32 or float64, and 1 to 5
    gradients of a drawn scale (tiny ones included: they show where ε
    goes), about a fifth of their entries exactly zero."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from([torch.float64, torch.float32]))
    steps = draw(st.integers(1, 5))
    scale = draw(st.sampled_from([1e-4, 1e-2, 1.0, 10.0]))
    lr = draw(st.sampled_from([1e-3, 0.01, 0.1, 0.5]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    device = default_device()
    start = torch.randn(shape, generator=gen, dtype=dtype).to(device)
    grads = []
    for _ in range(steps):
        g = torch.randn(shape, generator=gen, dtype=dtype) * scale
        g[torch.rand(shape, generator=gen) < 0.2] = 0.0
        grads.append(g.to(device))
    return Case(start, grads, lr)


def run_rule(impl: Any, name: str, case: Case, **hyper: Any) -> list[torch.Tensor]:
    """Step a fresh leaf with the student's rule through the case's gradients,
    one state dict for it (in the worker); the value after each step."""
    return impl.run(probes.rule_values, name, case.start, case.grads, case.lr, hyper)


def run_torch(optimizer: str, case: Case, **options: Any) -> list[torch.Tensor]:
    """The same steps with torch.optim (single-tensor code path, like a hand loop)."""
    param = leaf(case.start)
    cls = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}[optimizer]
    opt = cls([param], lr=case.lr, foreach=False, **options)
    values = []
    for g in case.grads:
        param.grad = g.clone()
        opt.step()
        values.append(param.detach().clone())
    return values


def first_difference(got: list[torch.Tensor], want: list[torch.Tensor]) -> tuple[int, float] | None:
    """(step, largest difference) of the first step that differs beyond the tolerance, or None."""
    for step, (a, b) in enumerate(zip(got, want), start=1):
        if a.shape != b.shape or a.dtype != b.dtype or not torch.allclose(a, b, **TOLERANCE[b.dtype]):
            diff = (a.double() - b.double()).abs().max().item() if a.shape == b.shape else math.inf
            return step, diff
    return None


def finite_floats(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, float) and math.isfinite(v) for v in values)


# --------------------------------------------------------------------------
# checks shared by the four update rules

# rule name → (torch.optim class, its options matching the rule's defaults, stated for students)
DEFAULTS = {
    "sgd_step": ("SGD", {}, ""),
    "momentum_step": ("SGD", {"momentum": 0.9}, "beta=0.9"),
    "rmsprop_step": ("RMSprop", {}, "alpha=0.99, eps=1e-8"),
    "adam_step": ("Adam", {}, "betas=(0.9, 0.999), eps=1e-8"),
}
HYPER = {  # rule keyword → torch.optim keyword
    "beta": "momentum", "alpha": "alpha", "eps": "eps", "betas": "betas",
}


def rule_of(impl: Any, name: str) -> None:
    """Fails with the missing / not-a-function sentence unless impl has the rule."""
    if not callable(getattr(impl, name, None)):
        call(name, impl)


def compare(impl: Any, name: str, case: Case, hyper: dict[str, Any], what: str) -> None:
    """The rule's values after each step must match torch.optim's."""
    optimizer, options, _ = DEFAULTS[name]
    options = dict(options, **{HYPER[k]: v for k, v in hyper.items()})
    rule_of(impl, name)
    got = run_rule(impl, name, case, **hyper)
    want = run_torch(optimizer, case, **options)
    where = first_difference(got, want)
    if where is not None:
        step, diff = where
        settings = ", ".join(f"{k}={v}" for k, v in hyper.items()) or "default hyperparameters"
        fail(
            f"{name} must give the same parameter values as torch.optim.{optimizer}"
            f"({', '.join(f'{k}={v}' for k, v in options.items())}) at every step, {what}.",
            f"{case.describe()}, {settings}",
            f"step {step}: expected {show(want[step - 1])}",
            f"got {show(got[step - 1])} (largest difference {diff:.3g}; "
            f"tolerance {TOLERANCE[case.start.dtype]})",
        )


def worked_case(grads: list[list[float]], lr: float) -> Case:
    start = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    return Case(start, [torch.tensor(g, dtype=torch.float64) for g in grads], lr)


def check_contract(impl: Any, name: str) -> None:
    """In place, still a leaf that requires grad, gradient cleared, state filled."""
    rule_of(impl, name)
    before = torch.tensor([1.0, -2.0, 3.0])
    seen = impl.run(probes.rule_contract, name)  # one step of lr=0.1 with the gradient [0.5, 0.5, -0.5]
    check(
        not torch.equal(seen["after"], before),
        f"{name} must update the parameter it receives in place (e.g. `param -= ...` inside "
        "torch.no_grad()), not return or rebind a new tensor.",
        f"param {before.tolist()}, grad [0.5, 0.5, -0.5], lr=0.1 → param unchanged",
    )
    check(
        seen["is_leaf"] and seen["requires_grad"],
        f"{name} must leave the parameter a leaf tensor that requires grad: update it under "
        "torch.no_grad() so autograd does not record the update.",
        f"after the step: is_leaf={seen['is_leaf']}, requires_grad={seen['requires_grad']}",
    )
    grad = seen["grad"]
    check(
        grad is None or not bool(grad.any()),
        f"{name} must clear the gradient after the update (`param.grad = None`): backward() adds "
        "to .grad, so a gradient left there is counted again at the next step.",
        f"after the step param.grad is {show(grad)}",
    )
    if name != "sgd_step":
        check(
            seen["state_is_dict"] and seen["state_len"] > 0,
            f"{name} must keep its running quantities in the state dict it receives (the caller "
            "gives each parameter its own dict, empty at first).",
            f"after the first step the state dict is {seen['state']}",
        )


def check_per_parameter(impl: Any, name: str) -> None:
    """Two parameters stepped alternately, each with its own state, end as if stepped alone."""
    rule_of(impl, name)
    gen = torch.Generator().manual_seed(1)
    cases = [
        (torch.randn(3, generator=gen, dtype=torch.float64),
         [torch.randn(3, generator=gen, dtype=torch.float64) for _ in range(3)]),
        (torch.randn(2, 2, generator=gen, dtype=torch.float64),
         [torch.randn(2, 2, generator=gen, dtype=torch.float64) * 5 for _ in range(3)]),
    ]
    alone, together = impl.run(probes.rule_alternating, name, cases, 0.1)
    for which, (got, want) in enumerate(zip(together, alone)):
        check(
            torch.allclose(got, want, **TOLERANCE[torch.float64]),
            f"{name} must keep everything it remembers in the state dict of the parameter it "
            "updates: two parameters stepped alternately, each with its own dict, must end exactly "
            "as if each had been stepped alone (no global variables, no state shared between "
            "parameters).",
            "parameters of shapes (3,) and (2, 2), 3 alternating steps, lr=0.1, default hyperparameters",
            f"parameter {which + 1}: expected {show(want)}, got {show(got)}",
        )


def check_trains_network(impl: Any, name: str) -> None:
    rule_of(impl, name)
    history = impl.run(probes.rule_training, name, 1e-2)
    check(
        finite_floats(history) and len(history) > 0 and history[-1] < THRESHOLD,
        f"training the handout's network (4 inputs → 3 ReLU → 1, MSE) with {name} at lr=1e-2 must "
        f"bring the loss below {THRESHOLD} within 1000 steps.",
        f"after {len(history)} steps the loss is {history[-1]:.4g} (it started at {history[0]:.4g})"
        if finite_floats(history) and history else f"the losses were {show(history)}",
    )
