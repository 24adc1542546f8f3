"""Grader code that runs in the worker, next to the submission (hw1/distillation).

Nothing here answers an item. The stand-ins are spies with marked outputs
the judge recomputes:

* spy_targets, in place of soft_targets, is a softmax of the scaled logits
  plus a fixed offset per class: a distribution, but not softmax(z / T);
* spy_soft, in place of soft_loss, is a squared error between the logits
  plus a constant: differentiable and pulling the student toward the
  teacher, but not the KL divergence.

The procedures run the checks that need autograd through the student's code.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from dlkit.isolation import substituted
from dlkit.judge import in_worker
from graders.probing import describe_output

TARGETS_MARK = 0.25  # class c gets + 0.25 · c before the softmax
SOFT_OFFSET = 3.0


def class_marks(classes: int, device: Any = "cpu") -> torch.Tensor:
    return TARGETS_MARK * torch.arange(classes, dtype=torch.float64, device=device)


def spy_targets_64(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """spy_targets in float64 (the judge's copy of the formula)."""
    z = logits.double() / temperature + class_marks(logits.shape[-1], logits.device)
    return torch.softmax(z, dim=-1)


def spy_soft_64(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """spy_soft in float64 (the judge's copy of the formula)."""
    return ((student_logits.double() - teacher_logits.double()) ** 2).mean() + SOFT_OFFSET


@in_worker
def spy_targets(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T + 0.25 · class index): marked, not soft_targets."""
    return spy_targets_64(logits, temperature).to(logits.dtype)


@in_worker
def spy_soft(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """mean squared gap between the logits + 3: marked, not soft_loss."""
    return spy_soft_64(student_logits, teacher_logits, temperature).to(student_logits.dtype)


@in_worker
def soft_loss_gradients(impl: Any, calls: list[tuple[torch.Tensor, torch.Tensor, float]]) -> list[dict[str, Any]]:
    """soft_loss(student, teacher, T) with spy_targets in place of soft_targets,
    for each (student, teacher, T) of `calls`: its value and its gradient
    w.r.t. the student's logits (None when the result is not a
    differentiable tensor)."""
    out: list[dict[str, Any]] = []
    with substituted(impl, "soft_loss", {"soft_targets": spy_targets}):
        for student, teacher, temperature in calls:
            x = student.clone().requires_grad_(True)
            loss = impl.soft_loss(x, teacher.clone(), temperature)
            entry: dict[str, Any] = {"what": describe_output(loss), "value": None, "grad": None}
            if isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1:
                entry["value"] = float(loss.detach())
                (grad,) = torch.autograd.grad(loss.reshape(()), x, allow_unused=True)
                entry["grad"] = None if grad is None else grad.detach()
            out.append(entry)
    return out


@in_worker
def train_student(
    impl: Any,
    x: torch.Tensor,
    teacher: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
    steps: int,
    lr: float,
) -> dict[str, Any]:
    """Hand-written gradient steps of a linear student on distillation_loss,
    with the spies in place of soft_targets and soft_loss. Stops at the first
    loss that is not a finite differentiable scalar; returns the losses, that
    loss's description (or None) and the final weight and bias."""
    weight = torch.zeros(x.shape[1], teacher.shape[1], device=x.device, requires_grad=True)
    bias = torch.zeros(teacher.shape[1], device=x.device, requires_grad=True)
    losses: list[float] = []
    bad = None
    with substituted(impl, "distillation_loss", {"soft_targets": spy_targets, "soft_loss": spy_soft}):
        for _ in range(steps):
            # Fresh copies each step: a change made in place to the inputs is
            # graded on its own (test_distillation_layout), not through the training.
            loss = impl.distillation_loss(x @ weight + bias, teacher.clone(), labels.clone(), temperature, alpha)
            if not (isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1
                    and math.isfinite(float(loss.detach()))):
                bad = describe_output(loss)
                break
            losses.append(float(loss.detach()))
            gw, gb = torch.autograd.grad(loss.reshape(()), (weight, bias), allow_unused=True)
            if gw is None or gb is None:
                bad = describe_output(loss) + " with no gradient reaching the student's weights"
                break
            with torch.no_grad():
                weight -= lr * gw
                bias -= lr * gb
    return {"losses": losses, "bad": bad, "weight": weight.detach(), "bias": bias.detach()}


_ALONE = {
    "soft_loss": {"soft_targets": spy_targets},
    "distillation_loss": {"soft_targets": spy_targets, "soft_loss": spy_soft},
}


@in_worker
def values(impl: Any, fn_name: str, calls: list[tuple]) -> dict[str, Any]:
    """impl.`fn_name`(*args) for each args of `calls`, in one round trip, with
    the spies in place of the items it calls: {"values": [...]}, or
    {"missing": why} when there is no such function. Each call gets its own
    copies of the tensors, so a change one call makes to its inputs cannot
    reach the next (changes in place are graded on their own, judge-side)."""
    fn = getattr(impl, fn_name, None)
    if fn is None or not callable(fn):
        return {"missing": "missing" if fn is None else type(fn).__name__}
    with substituted(impl, fn_name, _ALONE[fn_name]):
        return {"values": [fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args]) for args in calls]}
