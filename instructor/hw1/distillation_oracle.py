"""Reference values for the hidden knowledge-distillation graders (hw1/distillation).

The handout's formulas in float64, and the values the items take when they
call the graders' marked spies (graders/hw1/distillation_probes) instead of
the items they build on: each of those counts as a right answer. So do the
choices the handout leaves open and the module narrows in tests of their own
(the public layer): the soft term as the cross-entropy with the soft targets
rather than the KL, and alpha weighing the hard term rather than the soft one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from graders.hw1 import distillation_probes as probes


def softened(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T) over the last dimension, in float64."""
    return torch.softmax(logits.double() / temperature, dim=-1)


def _kl(log_p: torch.Tensor, student_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(exp(log_p) ‖ softmax(student / T)) summed over classes, mean over rows, float64."""
    log_q = torch.log_softmax(student_logits.double() / temperature, dim=-1)
    return (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def soft(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """T² · KL(softmax(t/T) ‖ softmax(s/T)), batch mean, float64."""
    log_p = torch.log_softmax(teacher_logits.double() / temperature, dim=-1)
    return temperature**2 * _kl(log_p, student_logits, temperature)


def _ce(log_p: torch.Tensor, student_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Cross-entropy of softmax(student / T) with the targets exp(log_p): the KL plus their entropy."""
    log_q = torch.log_softmax(student_logits.double() / temperature, dim=-1)
    return -(log_p.exp() * log_q).sum(-1).mean()


def soft_through_spy(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """soft_loss's value when it takes the teacher's distribution from
    spy_targets: T² · KL(spy_targets(teacher, T) ‖ softmax(student / T)), float64."""
    log_p = torch.log(probes.spy_targets_64(teacher_logits, temperature))
    return temperature**2 * _kl(log_p, student_logits, temperature)


def soft_candidates(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> list[torch.Tensor]:
    """The right values of soft_loss graded with spy_targets: computed inline, or
    through the spy; the KL, or the cross-entropy with the soft targets."""
    log_p = torch.log_softmax(teacher_logits.double() / temperature, dim=-1)
    log_spy = torch.log(probes.spy_targets_64(teacher_logits, temperature))
    return [soft(student_logits, teacher_logits, temperature),
            soft_through_spy(student_logits, teacher_logits, temperature),
            temperature**2 * _ce(log_p, student_logits, temperature),
            temperature**2 * _ce(log_spy, student_logits, temperature)]


def loss_candidates(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> list[torch.Tensor]:
    """The right values of distillation_loss graded with the spies: the soft term
    inline (KL or cross-entropy), from spy_soft, or inline with the teacher's
    distribution from spy_targets; alpha weighing the soft term or the hard one."""
    hard = F.cross_entropy(student_logits.double(), labels)
    softs = [probes.spy_soft_64(student_logits, teacher_logits, temperature),
             *soft_candidates(student_logits, teacher_logits, temperature)]
    return [w * s + (1 - w) * hard for s in softs for w in (alpha, 1 - alpha)]
