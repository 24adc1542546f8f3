"""Cases and checks for the hand-written optimiser graders (the judge's side).

The student's rules read and clear param.grad, which does not cross to the
worker, so they are stepped there by the procedures of optimizers_probes
(which also holds the graders' network and the stand-ins `train` is graded
with); what comes back is checked here: against worked examples whose
values were computed ahead (stored below), and against properties every
correct rule has (shapes and dtypes, no move without a gradient, how the
steps scale with the gradients, per-parameter state, training a network).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail, show
from graders.hw1 import optimizers_probes as probes
from graders.strategies import float_dtypes, layouts, noncontiguous
from graders.hw1.optimizers_probes import THRESHOLD, leaf  # noqa: F401  (shared with the worker)

# Tolerances of every comparison of parameter values, by dtype: float64
# leaves room only for a different order of the same operations, which is
# what tells ε inside the square root from ε outside it on small gradients.
TOLERANCE = {torch.float64: dict(rtol=1e-9, atol=1e-12), torch.float32: dict(rtol=1e-5, atol=1e-6)}


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

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis pretty-prints dataclasses field by field unless told otherwise,
        # which hides the layout and the scale the description states
        printer.text(self.describe())

    def describe(self) -> str:
        dtype = str(self.start.dtype).removeprefix("torch.")
        scale = max(g.abs().max().item() for g in self.grads) if self.start.numel() else 0.0
        strided = sum(not g.is_contiguous() for g in self.grads)
        return (
            f"a {dtype} parameter of shape {tuple(self.start.shape)}, lr={self.lr:g}, "
            f"{len(self.grads)} step{'s' if len(self.grads) != 1 else ''} with gradients up to "
            f"{scale:.3g} in size"
            + (f" ({strided} of them non-contiguous)" if strided else "")
        )

    def to(self, dtype: torch.dtype, scale: float = 1.0) -> "Case":
        """The same case in `dtype`, its gradients multiplied by `scale`."""
        return Case(self.start.to(dtype), [(g * scale).to(dtype) for g in self.grads], self.lr)


def strided(t: torch.Tensor) -> torch.Tensor:
    """`t` laid out non-contiguously; a tensor of one element has no layout to
    change (it is contiguous whatever its strides), so it is kept as it is."""
    return noncontiguous(t) if t.numel() > 1 else t


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A parameter of one or two dimensions (the network's are: W1 and W2
    are matrices, b1 and b2 vectors), float32 or float64, and 1 to 5
    gradients of a drawn scale (tiny ones included: they show where ε
    goes), about a fifth of their entries exactly zero, each laid out
    contiguously or not (autograd does not promise a contiguous .grad)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=2)))
    dtype = draw(float_dtypes)
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
        g = g.to(device)
        grads.append(strided(g) if draw(layouts) else g)
    return Case(start, grads, lr)


def run_rule(impl: Any, name: str, case: Case, **hyper: Any) -> list[torch.Tensor]:
    """Step a fresh leaf with the student's rule through the case's gradients,
    one state dict for it (in the worker); the value after each step."""
    return impl.run(probes.rule_values, name, case.start, case.grads, case.lr, hyper)


def first_difference(got: Any, want: list[torch.Tensor]) -> tuple[int, float] | None:
    """(step, largest difference) of the first step that differs beyond the tolerance, or None."""
    if not isinstance(got, list) or len(got) != len(want):
        return 1, math.inf
    for step, (a, b) in enumerate(zip(got, want), start=1):
        a = a.to(b.device) if isinstance(a, torch.Tensor) else a
        if (not isinstance(a, torch.Tensor) or a.shape != b.shape or a.dtype != b.dtype
                or not torch.allclose(a, b, **TOLERANCE[b.dtype])):
            same = isinstance(a, torch.Tensor) and a.shape == b.shape
            return step, (a.double() - b.double()).abs().max().item() if same and a.numel() else math.inf
    return None


def finite_floats(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, float) and math.isfinite(v) for v in values)


def rule_of(impl: Any, name: str) -> None:
    """Fails with the missing / not-a-function sentence unless impl has the rule."""
    if not callable(getattr(impl, name, None)):
        call(name, impl)


# --------------------------------------------------------------------------
# worked examples: the parameter [0.5, -1.0, 2.0] (float64) stepped through
# the gradients below with the default hyperparameters; the values after
# each step were computed ahead with torch.optim (SGD, SGD(momentum=0.9),
# RMSprop, Adam; foreach=False) and are stored here.

WORKED_START = [0.5, -1.0, 2.0]
WORKED = {
    "sgd_step": dict(
        lr=0.1,
        grads=[[1.0, -2.0, 0.5], [0.5, 0.5, 0.0]],
        values=[[0.4, -0.8, 1.95], [0.35000000000000003, -0.8500000000000001, 1.95]],
        what="p ← p − lr · g",
    ),
    "momentum_step": dict(
        lr=0.1,
        grads=[[1.0, -2.0, 0.5], [1.0, -2.0, 0.5], [0.0, 1.0, -1.0]],
        values=[
            [0.4, -0.8, 1.95],
            [0.21000000000000002, -0.42000000000000004, 1.855],
            [0.039000000000000014, -0.17800000000000005, 1.8695],
        ],
        what="with the default beta=0.9 (v ← βv + g, p ← p − lr · v)",
    ),
    # Gradients of 1e-4 make √s about 1e-5, so ε = 1e-8 inside the root would change the step.
    "rmsprop_step": dict(
        lr=0.01,
        grads=[[1e-4, -2e-4, 0.0], [1e-4, 1e-4, 3e-4]],
        values=[
            [0.40009990009990015, -0.9000499750124938, 2.0],
            [0.3292619952584109, -0.9449311482774886, 1.9000333222259247],
        ],
        what="with the defaults alpha=0.99, eps=1e-8 (s ← αs + (1 − α)g², p ← p − lr · g / (√s + ε))",
    ),
    "adam_step": dict(
        lr=0.01,
        grads=[[1e-3, -2e-3, 0.0], [1e-3, 1e-3, 3e-3], [-1e-3, 0.0, 1e-3]],
        values=[
            [0.490000099999, -0.99000004999975, 2.0],
            [0.4800001999980001, -0.9873366964502014, 1.9925586668343402],
            [0.4773802999977381, -0.9852779193679527, 1.9850809499356996],
        ],
        what="with the defaults betas=(0.9, 0.999), eps=1e-8 and bias correction by 1 − β^t",
    ),
}


def check_worked_example(impl: Any, name: str) -> None:
    """The rule's values after each step of its worked example must be the stored ones."""
    example = WORKED[name]
    f64 = dict(dtype=torch.float64)
    case = Case(torch.tensor(WORKED_START, **f64), [torch.tensor(g, **f64) for g in example["grads"]],
                example["lr"])
    want = [torch.tensor(v, **f64) for v in example["values"]]
    rule_of(impl, name)
    got = run_rule(impl, name, case)
    where = first_difference(got, want)
    if where is not None:
        step, diff = where
        fail(
            f"{name} must give the handout's values at every step, {example['what']}.",
            f"the parameter {WORKED_START} (float64), lr={example['lr']}, gradients {example['grads']}",
            f"after step {step}: expected {show(want[step - 1])}",
            f"got {show(got[step - 1] if isinstance(got, list) and len(got) >= step else got)}"
            + (f" (largest difference {diff:.3g})" if math.isfinite(diff) else ""),
        )


# --------------------------------------------------------------------------
# properties of every correct rule, over generated cases


def check_properties(impl: Any, name: str, case: Case) -> None:
    """Shapes and dtypes, no move without a gradient, and how the steps
    scale with the gradients, each rule by its own definition."""
    rule_of(impl, name)
    got = run_rule(impl, name, case)
    shape, dtype = tuple(case.start.shape), case.start.dtype
    check(
        isinstance(got, list) and len(got) == len(case.grads)
        and all(isinstance(v, torch.Tensor) and tuple(v.shape) == shape and v.dtype == dtype for v in got),
        f"{name} must keep the parameter's shape and dtype: update it in place.",
        f"{case.describe()}: after each step "
        + (", ".join(describe(v) for v in got) if isinstance(got, list) else describe(got)),
    )
    bad = next((k for k, v in enumerate(got) if not bool(torch.isfinite(v).all())), None)
    if bad is not None:
        # Say where the non-finite values are, as observed; no guess at why.
        where = ~torch.isfinite(got[bad].cpu())
        zero_so_far = torch.stack([g.cpu() == 0 for g in case.grads[: bad + 1]]).all(dim=0)
        fail(
            f"{name} must give finite values.",
            f"{case.describe()}: after step {bad + 1} {show(got[bad])}"
            + (" (non-finite only where every gradient so far was zero)"
               if bool(zero_so_far[where].all()) else ""),
        )
    # The rest in float64, where the steps are far above the rounding of the values.
    base = case.to(torch.float64)
    values = run_rule(impl, name, base)
    start, g = base.start.cpu(), base.grads[0].cpu()
    moved = values[0].cpu() - start
    zero = g == 0
    check(
        bool((moved[zero] == 0).all()),
        f"{name}'s first step must leave a coordinate whose gradient is zero where it is: every "
        "running quantity starts at zero.",
        f"{base.describe()}: coordinates with a zero gradient moved by {show(moved[zero])}",
    )
    check(
        bool((moved[~zero] * g[~zero] < 0).all()),
        f"{name}'s first step must move every coordinate against its gradient (a descent step).",
        f"{base.describe()}: gradient {show(g)}, the parameter moved by {show(moved)}",
    )
    if name in ("sgd_step", "momentum_step"):
        doubled = run_rule(impl, name, base.to(torch.float64, scale=2.0))
        for step, (a, b) in enumerate(zip(values, doubled), start=1):
            once, twice = a.cpu() - start, b.cpu() - start
            check(
                torch.allclose(twice, 2 * once, rtol=1e-6, atol=1e-12),
                f"{name}'s steps must be proportional to the gradients: with every gradient doubled the "
                "parameter must move twice as far from where it started.",
                f"{base.describe()}: after step {step} it moved by {show(once)}, and with doubled "
                f"gradients by {show(twice)}",
            )
    if name == "momentum_step" and len(base.grads) >= 2:
        repeated = Case(base.start, [base.grads[0], base.grads[0]], base.lr)
        first, second = (v.cpu() for v in run_rule(impl, name, repeated))
        step1, step2 = first - start, second - first
        check(
            torch.allclose(step2, 1.9 * step1, rtol=1e-6, atol=1e-12),
            "momentum_step must accumulate the velocity (v ← βv + g) with the default beta=0.9: when "
            "the same gradient comes twice, the second step is 1 + β = 1.9 times the first.",
            f"{base.describe()}, its first gradient twice: first step {show(step1)}, second {show(step2)}",
        )
    if name in ("rmsprop_step", "adam_step"):
        # With ε negligible, both rules divide the gradient by a root of its own square:
        # the steps do not depend on the gradients' scale, and the first one has the
        # same size on every coordinate.
        hyper = {"eps": 1e-30}
        small = run_rule(impl, name, base, **hyper)
        large = run_rule(impl, name, base.to(torch.float64, scale=10.0), **hyper)
        where = first_difference(large, small)
        check(
            where is None,
            f"{name}'s steps must not depend on the scale of the gradients (with a negligible "
            "eps=1e-30): it divides by the root of the running average of g².",
            f"{base.describe()}, eps=1e-30: after step {where[0] if where else 0} the gradients ×10 "
            "give other values",
        )
        sizes = (small[0].cpu() - start).abs()[~zero]
        if name == "adam_step":
            check(
                torch.allclose(sizes, torch.full_like(sizes, base.lr), rtol=1e-6),
                "adam_step's first step must move every coordinate that has a gradient by lr (with a "
                "negligible eps): the bias correction makes m̂ = g and v̂ = g² at t = 1.",
                f"{base.describe()}, eps=1e-30: the first step moved them by {show(sizes)}",
            )
        elif sizes.numel():
            check(
                torch.allclose(sizes, sizes[0].expand_as(sizes), rtol=1e-6),
                "rmsprop_step's first step must move every coordinate that has a gradient by the "
                "same amount (with a negligible eps): the running average starts at zero.",
                f"{base.describe()}, eps=1e-30: the first step moved them by {show(sizes)}",
            )


# --------------------------------------------------------------------------
# checks shared by the four update rules


def check_contract(impl: Any, name: str) -> None:
    """In place, still a leaf that requires grad, gradient cleared, state filled."""
    rule_of(impl, name)
    before = torch.tensor([1.0, -2.0, 3.0])
    seen = impl.run(probes.rule_contract, name)  # one step of lr=0.1 with the gradient [0.5, 0.5, -0.5]
    given = f"param {before.tolist()}, grad [0.5, 0.5, -0.5], lr=0.1"
    check(
        not torch.equal(seen["after"], before),
        f"{name} must update the parameter it receives in place (e.g. `param -= ...` inside "
        "torch.no_grad()): the caller's tensor is the one that must change.",
        f"{given} → the caller's param is unchanged",
    )
    # Zeroing it in place (param.grad.zero_()) clears it as `param.grad = None` does.
    kept = seen["given_grad_after"]
    check(
        torch.equal(kept, torch.tensor([0.5, 0.5, -0.5])) or not bool(kept.any()),
        f"{name} must not change the values of the gradient tensor it reads (other than clearing "
        "it): only the parameter and the state are updated.",
        f"{given} → that gradient tensor became {show(kept)}",
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
    seen = impl.run(probes.rule_training, name, 1e-2)
    first, last, steps = seen["first"], seen["last"], seen["steps"]
    check(
        math.isfinite(last) and last < THRESHOLD,
        f"training a small network (4 inputs → 3 leaky-ReLU units → 1, MSE, full batch) with {name} "
        f"at lr=1e-2 must bring the loss below {THRESHOLD} within 1000 steps (a correct rule needs "
        "about 20 to 100).",
        f"after {steps} steps the loss is {last:.4g} (it started at {first:.4g})",
    )
