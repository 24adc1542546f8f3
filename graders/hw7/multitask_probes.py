"""Grader code that runs in the worker, next to the submission (hw7/multitask).

The procedures build the student's MultiTaskModel from a seed and return
evidence as plain data: its outputs, and which parameters each head's
logits send gradients to. No item calls another, so there are no stand-ins.
"""
from __future__ import annotations

from typing import Any

import torch

from dlkit.judge import in_worker


def _data(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    if isinstance(value, (tuple, list)):
        return [_data(v) for v in value]
    return type(value).__name__


def _build(impl: Any, sizes: tuple[int, int, int, int], seed: int) -> Any:
    torch.manual_seed(seed)
    return impl.MultiTaskModel(*sizes)


@in_worker
def model_outputs(impl: Any, sizes: tuple[int, int, int, int], seed: int, batches: list[torch.Tensor]) -> dict[str, Any]:
    """MultiTaskModel(*sizes) built after torch.manual_seed(seed), in eval mode:
    its outputs for each batch of token ids, and its parameters' shapes."""
    model = _build(impl, sizes, seed)
    if not isinstance(model, torch.nn.Module):
        return {"module": type(model).__name__}
    model.train(False)
    with torch.no_grad():
        outs = [_data(model(tokens)) for tokens in batches]
    return {"module": None, "outputs": outs,
            "parameters": {n: tuple(p.shape) for n, p in model.named_parameters()}}


@in_worker
def head_gradients(impl: Any, sizes: tuple[int, int, int, int], seed: int, tokens: torch.Tensor) -> dict[str, Any]:
    """For each of the two outputs, the names of the parameters that its sum
    gives a non-zero gradient, the shapes of all parameters, and the
    gradient of the (vocab, embed) table's padding row."""
    model = _build(impl, sizes, seed)
    out: dict[str, Any] = {"parameters": {n: tuple(p.shape) for n, p in model.named_parameters()}, "heads": []}
    for index in (0, 1):
        model.zero_grad(set_to_none=True)
        outputs = model(tokens)
        if not isinstance(outputs, (tuple, list)) or len(outputs) != 2:
            return {**out, "error": f"forward returned {type(outputs).__name__}, not a pair"}
        outputs[index].sum().backward()
        out["heads"].append({
            "nonzero": [n for n, p in model.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)],
            "pad_rows": [float(p.grad[0].abs().sum()) for p in model.parameters()
                         if p.grad is not None and p.dim() == 2 and p.shape[0] == sizes[0]],
        })
    return out


@in_worker
def loss_gradient(impl: Any, outputs: tuple[torch.Tensor, torch.Tensor], targets: tuple, weights: tuple,
                  task_weights: tuple[float, float]) -> dict[str, Any]:
    """multitask_loss's value and its gradients w.r.t. both logits."""
    leaves = [o.clone().requires_grad_(True) for o in outputs]
    loss = impl.multitask_loss(tuple(leaves), targets, weights, task_weights)
    if not (isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1):
        return {"what": _data(loss) if not isinstance(loss, torch.Tensor) else f"tensor {tuple(loss.shape)}",
                "grads": None}
    grads = torch.autograd.grad(loss.reshape(()), leaves, allow_unused=True)
    return {"what": "tensor", "value": float(loss.detach()), "grads": [None if g is None else g.detach() for g in grads]}
