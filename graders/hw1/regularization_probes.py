"""Grader code that runs in the worker, next to the submission (hw1/regularization).

Nothing here answers an item. The stand-ins are spies with marked outputs:

* spy_l1 and spy_l2, in place of l1_penalty and l2_penalty inside
  fit_linear, add 3 to the penalty: the value is wrong (so neither is an
  answer to the penalty items), the gradient is the penalty's, so a
  fit_linear that takes its gradient by autograd fits the same model;
* spy_knn, in place of knn_predict inside bias_variance, predicts the mean of
  *all* the training targets plus a slope in x: not a nearest-neighbour
  prediction, but one whose mean and variance over the training sets the
  judge recomputes from the sets bias_variance drew.

The procedures run the checks that need autograd through the student's code,
or many calls in one round trip.
"""
from __future__ import annotations

from typing import Any

import torch

from dlkit.isolation import substituted
from dlkit.judge import in_worker
from graders.probing import describe_output

PENALTY_MARK = 3.0
KNN_OFFSET, KNN_SLOPE = 0.5, 0.1


@in_worker
def spy_l1(params: Any) -> torch.Tensor:
    """Σ |w| + 3: marked, not l1_penalty (its gradient is l1_penalty's)."""
    return sum(p.abs().sum() for p in params) + PENALTY_MARK


@in_worker
def spy_l2(params: Any) -> torch.Tensor:
    """Σ w² + 3: marked, not l2_penalty (its gradient is l2_penalty's)."""
    return sum(p.pow(2).sum() for p in params) + PENALTY_MARK


def spy_knn_64(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """spy_knn in float64 (the judge's copy of the formula)."""
    return train_y.double().mean() + KNN_OFFSET + KNN_SLOPE * k * x.double()[:, 0]


@in_worker
def spy_knn(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """mean(train_y) + 0.5 + 0.1 · k · x[:, 0] at every query: marked, not k-NN."""
    return spy_knn_64(train_x, train_y, x, k).to(train_y.dtype)


_ALONE: dict[str, dict[str, Any]] = {
    "l1_penalty": {},
    "l2_penalty": {},
    "fit_linear": {"l1_penalty": spy_l1, "l2_penalty": spy_l2},
    "knn_predict": {},
}


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


@in_worker
def values(impl: Any, fn_name: str, calls: list[tuple]) -> dict[str, Any]:
    """impl.`fn_name`(*args) for each args of `calls`, in one round trip, with
    the spies in place of the items it calls: {"values": [...]}, or
    {"missing": why}; an error a call raises reaches the judge. Each call gets its own copies of the tensors (changes in
    place are graded on their own, judge-side)."""
    fn = getattr(impl, fn_name, None)
    if fn is None or not callable(fn):
        return {"missing": "missing" if fn is None else type(fn).__name__}
    out = []
    with substituted(impl, fn_name, _ALONE[fn_name]):
        for args in calls:
            out.append(fn(*_copy(list(args))))
    return {"values": out}


@in_worker
def penalty_gradients(impl: Any, fn_name: str, tensors: list[torch.Tensor], how: str) -> dict[str, Any]:
    """fn_name(params) with `tensors` as leaves that require gradients, passed
    as a list ("list"), a generator ("generator") or the parameters of a
    module holding them ("module"): its value, what it was, and the gradient
    reaching each tensor (None where none did)."""
    leaves = [t.clone().requires_grad_(True) for t in tensors]
    if how == "module":
        holder = torch.nn.Module()
        for i, t in enumerate(leaves):
            holder.register_parameter(f"p{i}", torch.nn.Parameter(t.detach().clone()))
        leaves = list(holder.parameters())
        params: Any = holder.parameters()
    elif how == "generator":
        params = (t for t in leaves)
    else:
        params = list(leaves)
    out = getattr(impl, fn_name)(params)
    entry: dict[str, Any] = {"what": describe_output(out), "value": None, "grads": None}
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        entry["value"] = float(out.detach())
        if out.requires_grad and leaves:
            grads = torch.autograd.grad(out.reshape(()), leaves, allow_unused=True)
            entry["grads"] = [None if g is None else g.detach() for g in grads]
    return entry


@in_worker
def traced_bias_variance(impl: Any, args: tuple) -> dict[str, Any]:
    """bias_variance(*args) with a recording spy_knn in place of knn_predict:
    {"result": what it returned, "calls": [(train_x, train_y, x, k), ...]}."""
    calls: list[tuple] = []

    def recording_knn(train_x: Any, train_y: Any, x: Any, k: Any) -> torch.Tensor:
        calls.append(tuple(_copy([train_x, train_y, x, k])))
        return spy_knn(train_x, train_y, x, k)

    with substituted(impl, "bias_variance", {"knn_predict": recording_knn}):
        result = impl.bias_variance(*args)
    return {"result": result, "calls": calls}
