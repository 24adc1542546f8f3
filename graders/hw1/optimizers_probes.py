"""Grader code that runs in the worker, next to the submission (hw1/optimizers).

The update rules read and clear ``param.grad`` and `forward` must carry
autograd, none of which crosses the channel, so every check that steps a
rule or backpropagates runs here and returns evidence as plain data
(parameter values, loss histories, which gradients arrived); the judge
compares it with torch.optim and its own reference loop.

Also here, because both sides need them: the graders' own data, network
and training loop (the judge recomputes the expected losses with them) and
the stand-in rules `train` is graded with. Nothing here imports hypothesis
or the grading checks.
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


def leaf(value: torch.Tensor) -> torch.Tensor:
    return value.detach().clone().requires_grad_()


# --------------------------------------------------------------------------
# the network and training loop, the graders' own


def make_data(n_samples: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, len(LABEL_WEIGHTS), generator=gen)
    return x, x @ torch.tensor(LABEL_WEIGHTS)[:, None]


def make_params(n_inputs: int = len(LABEL_WEIGHTS), seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    w1 = torch.randn(n_inputs, 3, generator=gen) / math.sqrt(n_inputs)
    w2 = torch.randn(3, 1, generator=gen) / math.sqrt(3)
    return [p.requires_grad_() for p in (w1, torch.zeros(3), w2, torch.zeros(1))]


def forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    w1, b1, w2, b2 = params
    return torch.clamp(x @ w1 + b1, min=0) @ w2 + b2


def reference_training(step_fn: Callable, lr: float, max_steps: int = 1000, seed: int = 0) -> list[float]:
    """The handout's loop with the graders' own network: losses until one is
    below THRESHOLD or max_steps were computed."""
    x, y = make_data(seed=seed)
    params, states = make_params(seed=seed), [{} for _ in range(4)]
    history: list[float] = []
    while len(history) < max_steps:
        mse = F.mse_loss(forward(params, x), y)
        history.append(float(mse))
        if history[-1] < THRESHOLD:
            return history
        # The rules read param.grad; autograd.grad gives the same gradients.
        for p, g, s in zip(params, torch.autograd.grad(mse, params), states):
            p.grad = g
            step_fn(p, lr, s)
    return history


# stand-in update rules with the (param, lr, state) shape train expects


def sgd(param: torch.Tensor, lr: float, state: dict) -> None:
    with torch.no_grad():
        param.sub_(lr * param.grad)
    param.grad = None


def momentum(param: torch.Tensor, lr: float, state: dict) -> None:
    # Uses its state, so a state dict shared between parameters shows.
    with torch.no_grad():
        v = state.setdefault("v", torch.zeros_like(param))
        if v.shape != param.shape:
            raise ValueError(
                f"the state dict passed with a parameter of shape {tuple(param.shape)} holds a "
                f"velocity of shape {tuple(v.shape)}: it belongs to another parameter"
            )
        v.mul_(0.9).add_(param.grad)
        param.sub_(lr * v)
    param.grad = None


class Recorder:
    """A stand-in rule (SGD) that records which parameter and state each call gets."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any, bool]] = []  # (param, state, state was empty)

    def __call__(self, param: torch.Tensor, lr: float, state: dict) -> None:
        self.calls.append((param, state, not state))
        state["calls"] = state.get("calls", 0) + 1
        sgd(param, lr, state)


STAND_INS = {"sgd": sgd, "momentum": momentum}


# --------------------------------------------------------------------------
# procedures: the student's rules and train, run next to them


def _step(impl: Any, name: str) -> Callable[[torch.Tensor, float, dict], Any]:
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
        param.grad = g.clone()
        step(param, lr, state, **hyper)
        values.append(param.detach().clone())
    return values


@in_worker
def rule_contract(impl: Any, name: str) -> dict[str, Any]:
    """One step on a small parameter: what became of it, its gradient and the state."""
    step = _step(impl, name)
    param = leaf(torch.tensor([1.0, -2.0, 3.0]))
    param.grad = torch.tensor([0.5, 0.5, -0.5])
    state: dict = {}
    step(param, 0.1, state)
    grad = param.grad
    return {
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
def rule_training(impl: Any, name: str, lr: float) -> list[float]:
    """The graders' loop on the handout's network with the student's rule."""
    step = _step(impl, name)
    return reference_training(lambda param, lr_, state: step(param, lr_, state), lr)


@in_worker
def forward_gradients(impl: Any, params: list[torch.Tensor], x: torch.Tensor) -> tuple[Any, list[str]]:
    """forward(params, x) and the parameters no gradient of its sum reaches."""
    out = impl.forward(params, x)
    if isinstance(out, torch.Tensor) and out.requires_grad:
        try:
            out.sum().backward()
        except RuntimeError:
            pass
    missing = [k for k, p in zip(PARAM_NAMES, params) if p.grad is None]
    return (out.detach() if isinstance(out, torch.Tensor) else out), missing


@in_worker
def train_run(impl: Any, rule: str, lr: float, kwargs: dict[str, Any]) -> dict[str, Any]:
    """train(rule, lr, x, y, params, **kwargs) on the graders' data and
    network, with the graders' forward in place of the student's. `rule` is
    'sgd', 'momentum' or 'recorder' (SGD that records its calls as
    (parameter index, state number, state was empty); -1 for a parameter
    that is not one of those passed)."""
    x, y = make_data()
    params = make_params()
    recorder = Recorder()
    step_fn = recorder if rule == "recorder" else STAND_INS[rule]
    with substituted(impl, "train", {"forward": forward}):
        history = impl.train(step_fn, lr, x, y, params, **kwargs)
    states: list[Any] = []
    calls = []
    for param, state, empty in recorder.calls:
        index = next((i for i, p in enumerate(params) if p is param), -1)
        number = next((i for i, s in enumerate(states) if s is state), None)
        if number is None:
            states.append(state)
            number = len(states) - 1
        calls.append([index, number, empty])
    return {"history": history, "calls": calls}
