"""Grader code that runs in the worker, next to the submission (hw1/optimizers).

The update rules read and clear ``param.grad`` and `forward` must carry
autograd, none of which crosses the channel, so every check that steps a
rule or backpropagates runs here and returns evidence as plain data
(parameter values, loss histories, which gradients arrived, which state
each call got); the judge checks it.

`train` is graded apart from the other items, with stand-ins that are
deliberately not the handout's: `leaky_forward` (a leaky ReLU where the
network has a ReLU) and `MarkedRule` (a damped, recording step that is none
of the four rules). The judge may instead send its own network and rules as
callbacks (`Linearised`, `JudgedRule` carry them to train). Nothing here
imports hypothesis or the grading checks.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
import torch.nn.functional as F

from dlkit.isolation import substituted
from dlkit.judge import in_worker

LABEL_WEIGHTS = (1.0, -2.0, 0.5, 1.5)
THRESHOLD = 0.1
PARAM_NAMES = ("W1", "b1", "W2", "b2")
# The seed of the data and parameters the rules are trained on, unlike
# train's (the handout's defaults, seed 0).
RULE_SEED = 1


def leaf(value: torch.Tensor) -> torch.Tensor:
    return value.detach().clone().requires_grad_()


def same_layout_copy(t: torch.Tensor) -> torch.Tensor:
    """A copy of `t` with its strides, contiguous or not (clone() makes a
    strided slice contiguous)."""
    copy = torch.empty_strided(t.size(), t.stride(), dtype=t.dtype, device=t.device)
    return copy.copy_(t)


# --------------------------------------------------------------------------
# the handout's data and initial parameters (given code, not graded)


def make_data(n_samples: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, len(LABEL_WEIGHTS), generator=gen)
    return x, x @ torch.tensor(LABEL_WEIGHTS)[:, None]


def make_params(n_inputs: int = len(LABEL_WEIGHTS), seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    w1 = torch.randn(n_inputs, 3, generator=gen) / math.sqrt(n_inputs)
    w2 = torch.randn(3, 1, generator=gen) / math.sqrt(3)
    return [p.requires_grad_() for p in (w1, torch.zeros(3), w2, torch.zeros(1))]


# --------------------------------------------------------------------------
# stand-ins for train: deliberately not the handout's network and rules


LEAK = 0.5  # the slope of leaky_forward's hidden units below zero


def leaky_forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """A stand-in network: a leaky ReLU of slope LEAK on the hidden layer,
    where the handout's network has a ReLU."""
    w1, b1, w2, b2 = params
    return F.leaky_relu(x @ w1 + b1, LEAK) @ w2 + b2


class MarkedRule:
    """A stand-in update rule that records each call (the parameter, its
    state dict, whether that dict was empty) and takes a damped step that is
    none of the handout's rules: p ← p − lr · g · k / (10 (k + 1)), where k
    counts the calls that this state dict has seen, kept in it. A state dict
    shared between parameters, or a new one at each step, changes the losses."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any, bool]] = []

    def __call__(self, param: torch.Tensor, lr: float, state: dict) -> None:
        self.calls.append((param, state, not state))
        k = state["calls"] = state.get("calls", 0) + 1
        with torch.no_grad():
            param.sub_(param.grad * (lr * k / (10 * (k + 1))))
        param.grad = None


class Linearised:
    """forward(params, x) computed by the judge: `callback(params, x)`
    returns the output and its Jacobian with respect to each parameter
    ((N, 1, *shape)); the output carries them to autograd as a first-order
    term that is zero at the point itself, so backward() gives the judge's
    gradients."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback

    def __call__(self, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        value, jacobians = self.callback([p.detach() for p in params], x.detach())
        out = value
        for p, jac in zip(params, jacobians):
            out = out + torch.tensordot(jac, p - p.detach(), dims=p.dim())
        return out


class JudgedRule:
    """An update rule computed by the judge: `callback(value, grad, lr,
    state)` returns the parameter's new value and its new state; the
    parameter and its state dict are updated in place here, the gradient
    cleared."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        self.callback = callback

    def __call__(self, param: torch.Tensor, lr: float, state: dict) -> None:
        value, new_state = self.callback(param.detach(), param.grad, lr, dict(state))
        with torch.no_grad():
            param.copy_(value)
        state.clear()
        state.update(new_state)
        param.grad = None


# --------------------------------------------------------------------------
# procedures: the student's rules and train, run next to them


def _step(impl: Any, name: str) -> Callable[..., Any]:
    """The student's rule `name` in the (param, lr, state) shape."""
    rule = getattr(impl, name)
    if name == "sgd_step":
        return lambda param, lr, state, **hyper: rule(param, lr, **hyper)
    return lambda param, lr, state, **hyper: rule(param, lr, state, **hyper)


@in_worker
def rule_values(impl: Any, name: str, start: torch.Tensor, grads: list[torch.Tensor], lr: float,
                hyper: dict[str, Any]) -> list[torch.Tensor]:
    """Step a fresh leaf with the rule through `grads`, one state dict for it:
    the parameter's value after each step."""
    step = _step(impl, name)
    param, state, values = leaf(start), {}, []
    for g in grads:
        param.grad = same_layout_copy(g)
        step(param, lr, state, **hyper)
        values.append(param.detach().clone())
    return values


@in_worker
def rule_contract(impl: Any, name: str) -> dict[str, Any]:
    """One step on a small parameter: what became of it, its gradient and the state."""
    step = _step(impl, name)
    param = leaf(torch.tensor([1.0, -2.0, 3.0]))
    given = param.grad = torch.tensor([0.5, 0.5, -0.5])
    state: dict = {}
    step(param, 0.1, state)
    grad = param.grad
    return {
        "given_grad_after": given.detach().clone(),
        "after": param.detach().clone(),
        "is_leaf": bool(param.is_leaf), "requires_grad": bool(param.requires_grad),
        "grad": None if not isinstance(grad, torch.Tensor) else grad.detach().clone(),
        "state_is_dict": isinstance(state, dict), "state_len": len(state) if isinstance(state, dict) else 0,
        "state": repr(state)[:300],
    }


@in_worker
def rule_alternating(impl: Any, name: str, cases: list[tuple[torch.Tensor, list[torch.Tensor]]],
                     lr: float) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Each case's final value stepped alone, then with the parameters stepped
    alternately, each with its own state dict: (alone, alternating)."""
    step = _step(impl, name)
    alone = [rule_values(impl, name, start, grads, lr, {})[-1] for start, grads in cases]
    params, states = [leaf(start) for start, _ in cases], [{} for _ in cases]
    for k in range(len(cases[0][1])):
        for param, state, (_, grads) in zip(params, states, cases):
            param.grad = grads[k].clone()
            step(param, lr, state)
    return alone, [p.detach().clone() for p in params]


@in_worker
def rule_training(impl: Any, name: str, lr: float, max_steps: int = 1000) -> dict[str, Any]:
    """The student's rule on the graders' network, leaky_forward (data and
    parameters of RULE_SEED), by full-batch descent on the mean squared error
    until it is below THRESHOLD: the first and last losses and the steps taken."""
    step = _step(impl, name)
    x, y = make_data(seed=RULE_SEED)
    params, states = make_params(seed=RULE_SEED), [{} for _ in range(4)]
    first = last = math.nan
    for steps in range(max_steps + 1):
        mse = F.mse_loss(leaky_forward(params, x), y)
        last = float(mse)
        first = last if steps == 0 else first
        if last < THRESHOLD or steps == max_steps or not math.isfinite(last):
            break
        for p, g, s in zip(params, torch.autograd.grad(mse, params), states):
            p.grad = g
            step(p, lr, s)
    return {"first": first, "last": last, "steps": steps}


@in_worker
def forward_gradients(impl: Any, params: list[torch.Tensor], x: torch.Tensor) -> tuple[Any, list[str]]:
    """forward(params, x) and the parameters no gradient of its sum reaches."""
    params = [leaf(p) for p in params]
    out = impl.forward(params, x)
    if isinstance(out, torch.Tensor) and out.requires_grad:
        try:
            out.sum().backward()
        except RuntimeError:
            pass
    missing = [k for k, p in zip(PARAM_NAMES, params) if p.grad is None]
    return (out.detach() if isinstance(out, torch.Tensor) else out), missing


@in_worker
def train_run(impl: Any, lr: float, kwargs: dict[str, Any], data: Any = None, rule: Any = None,
              forward: Any = None) -> dict[str, Any]:
    """train(rule, lr, x, y, params, **kwargs) with `forward` in place of the
    student's. `data`: (x, y, initial parameters), or None for the handout's
    (seed 0); `rule`: None for a MarkedRule, else a judge callback for a
    JudgedRule; `forward`: None for leaky_forward, else a judge callback for
    Linearised. Returns the history, the calls a MarkedRule recorded as
    (parameter index, state number, state was empty) (-1: a parameter not
    among those passed), the final parameters and which of x and y train
    changed in place."""
    if data is None:
        x, y = make_data()
        params = make_params()
    else:
        x, y, start = data
        params = [leaf(p) for p in start]
    kept = {"x": x.clone(), "y": y.clone()}
    recorder = MarkedRule() if rule is None else None
    step_fn = recorder if recorder is not None else JudgedRule(rule)
    network = leaky_forward if forward is None else Linearised(forward)
    with substituted(impl, "train", {"forward": network}):
        history = impl.train(step_fn, lr, x, y, params, **kwargs)
    states: list[Any] = []
    calls = []
    for param, state, empty in recorder.calls if recorder is not None else []:
        index = next((i for i, p in enumerate(params) if p is param), -1)
        number = next((i for i, s in enumerate(states) if s is state), None)
        if number is None:
            states.append(state)
            number = len(states) - 1
        calls.append([index, number, empty])
    changed = [name for name, t in (("x", x), ("y", y)) if not torch.equal(t, kept[name])]
    return {"history": history, "calls": calls, "params": [p.detach().clone() for p in params],
            "inputs_changed": changed}
