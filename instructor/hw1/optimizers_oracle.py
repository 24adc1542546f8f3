"""Oracles for the hand-written optimiser graders (hw1/optimizers), judge only.

The references: the network's formula (in float64 for comparisons, and in
the parameters' dtype with its Jacobians for the worker's Linearised), the
four rules as torch.optim runs them, SGD and momentum as plain functions of
(value, grad, lr, state) for the worker's JudgedRule, and train's loop
replayed with them.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from dlkit.grading.checks import fail, show
from graders.hw1 import optimizers_support as support
from graders.hw1.optimizers_support import TOLERANCE, Case, first_difference, leaf, rule_of, run_rule

# --------------------------------------------------------------------------
# the network


def forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """relu(x @ W1 + b1) @ W2 + b2, in float64."""
    w1, b1, w2, b2 = (p.detach().double() for p in params)
    return torch.relu(x.double() @ w1 + b1) @ w2 + b2


def forward_and_jacobians(params: list[torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The network's output (N, 1) in the parameters' dtype and its Jacobian
    with respect to each parameter, (N, 1, *shape)."""
    w1, b1, w2, b2 = params
    pre = x @ w1 + b1
    hidden = torch.relu(pre)
    out = hidden @ w2 + b2
    back = (pre > 0).to(pre.dtype) * w2[:, 0]  # d out / d b1, (N, H)
    n = x.shape[0]
    return out, [
        (x[:, :, None] * back[:, None, :])[:, None],  # W1: (N, 1, D, H)
        back[:, None],  # b1: (N, 1, H)
        hidden[:, None, :, None],  # W2: (N, 1, H, 1)
        torch.ones(n, 1, 1, dtype=out.dtype),  # b2: (N, 1, 1)
    ]


# --------------------------------------------------------------------------
# the rules as torch.optim runs them

def _warm_up() -> None:
    # torch.optim's first step imports lazily for about a second; pay it once
    # here, at collection, rather than inside whichever test runs first.
    p = torch.zeros(1, requires_grad=True)
    for cls in (torch.optim.SGD, torch.optim.RMSprop, torch.optim.Adam):
        p.grad = torch.ones(1)
        cls([p], lr=0.1).step()


_warm_up()

# rule name → (torch.optim class, its options matching the rule's defaults)
DEFAULTS = {
    "sgd_step": ("SGD", {}),
    "momentum_step": ("SGD", {"momentum": 0.9}),
    "rmsprop_step": ("RMSprop", {}),
    "adam_step": ("Adam", {}),
}
HYPER = {"beta": "momentum", "alpha": "alpha", "eps": "eps", "betas": "betas"}  # rule keyword → torch.optim's


def run_torch(optimizer: str, case: Case, **options: Any) -> list[torch.Tensor]:
    """The case's steps with torch.optim (single-tensor code path, like a hand loop)."""
    param = leaf(case.start)
    cls = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}[optimizer]
    opt = cls([param], lr=case.lr, foreach=False, **options)
    values = []
    for g in case.grads:
        param.grad = g.clone()
        opt.step()
        values.append(param.detach().clone())
    return values


def compare(impl: Any, name: str, case: Case, hyper: dict[str, Any], what: str) -> None:
    """The rule's values after each step must match torch.optim's."""
    optimizer, options = DEFAULTS[name]
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
            f"got {show(got[step - 1] if isinstance(got, list) and len(got) >= step else got)} "
            f"(largest difference {diff:.3g}; tolerance {TOLERANCE[case.start.dtype]})",
        )


# --------------------------------------------------------------------------
# rules for train, in JudgedRule's shape: (value, grad, lr, state) → (new value, new state)


def sgd(value: torch.Tensor, grad: torch.Tensor, lr: float, state: dict) -> tuple[torch.Tensor, dict]:
    return value - lr * grad, {}


def momentum(value: torch.Tensor, grad: torch.Tensor, lr: float, state: dict,
             beta: float = 0.9) -> tuple[torch.Tensor, dict]:
    v = state.get("v")
    if v is not None and tuple(v.shape) != tuple(value.shape):
        raise ValueError(
            f"the state dict passed with a parameter of shape {tuple(value.shape)} holds a velocity "
            f"of shape {tuple(v.shape)}: it belongs to another parameter"
        )
    v = grad.clone() if v is None else beta * v + grad
    return value - lr * v, {"v": v}


RULES: dict[str, Callable[..., tuple[torch.Tensor, dict]]] = {"SGD": sgd, "momentum": momentum}


def replay(rule: Callable[..., tuple[torch.Tensor, dict]], lr: float, x: torch.Tensor, y: torch.Tensor,
           start: list[torch.Tensor], max_steps: int = 1000, threshold: float = support.THRESHOLD) -> list[float]:
    """train's loop: the MSE before each step, stopping below threshold or after max_steps losses."""
    params = [p.detach().clone() for p in start]
    states: list[dict] = [{} for _ in params]
    history: list[float] = []
    while len(history) < max_steps:
        leaves = [leaf(p) for p in params]
        loss = ((torch.relu(x @ leaves[0] + leaves[1]) @ leaves[2] + leaves[3] - y) ** 2).mean()
        history.append(loss.item())
        if history[-1] < threshold:
            break
        grads = torch.autograd.grad(loss, leaves)
        for k, (p, g) in enumerate(zip(params, grads)):
            params[k], states[k] = rule(p, g, lr, states[k])
    return history
