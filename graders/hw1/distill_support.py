"""Definitions, stand-ins and strategies for the knowledge-distillation graders.

The definitions are the handout's formulas written out in float64, as plainly
as possible; the stand-ins (marked spies, see distillation_probes) let
soft_loss and distillation_loss be graded apart from the items they call.
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from dlkit.grading.checks import fail
from dlkit.isolation import substituted
from graders.hw1 import distillation_probes as probes


def softened(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T) over the last dimension, in float64."""
    return torch.softmax(logits.double() / temperature, dim=-1)


def kl_batchmean(teacher_logits: torch.Tensor, student_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(softmax(t/T) ‖ softmax(s/T)) summed over classes, mean over rows, in float64."""
    log_p = torch.log_softmax(teacher_logits.double() / temperature, dim=-1)
    log_q = torch.log_softmax(student_logits.double() / temperature, dim=-1)
    return (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def expected_soft(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """T² · KL(teacher ‖ student) at temperature T, batch mean, float64."""
    return temperature**2 * kl_batchmean(teacher_logits, student_logits, temperature)


def expected_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """alpha · T² · KL + (1 − alpha) · CE, batch means, float64."""
    hard = F.cross_entropy(student_logits.double(), labels)
    return alpha * expected_soft(student_logits, teacher_logits, temperature) + (1 - alpha) * hard


def tolerance(dtype: torch.dtype, temperature: float = 1.0) -> float:
    """Absolute tolerance: rounding of float32 (or float64) log-probabilities,
    magnified by the T² factor."""
    return (1e-9 if dtype == torch.float64 else 2e-5) * max(1.0, temperature**2)


def close(got: torch.Tensor, want: torch.Tensor, temperature: float = 1.0) -> bool:
    """got (the student's dtype) ≈ want (float64), within tolerance()."""
    rtol = 1e-7 if got.dtype == torch.float64 else 1e-4
    return torch.allclose(got.detach().double().cpu(), want.double(), atol=tolerance(got.dtype, temperature), rtol=rtol)


# --------------------------------------------------------------------------
# stand-ins for grading an item on its own: marked spies (distillation_probes),
# so an item's value is either computed inline (the handout's formula) or
# built from the spy's output, which the judge recomputes here


def soft_through_spy(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """soft_loss's value when it takes the teacher's distribution from
    spy_targets: T² · KL(spy_targets(teacher, T) ‖ softmax(student / T)), float64."""
    log_p = torch.log(probes.spy_targets_64(teacher_logits, temperature))
    log_q = torch.log_softmax(student_logits.double() / temperature, dim=-1)
    return temperature**2 * (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def soft_candidates(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> list[torch.Tensor]:
    """The right values of soft_loss graded with spy_targets: computed inline, or through the spy."""
    return [expected_soft(student_logits, teacher_logits, temperature),
            soft_through_spy(student_logits, teacher_logits, temperature)]


def loss_candidates(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> list[torch.Tensor]:
    """The right values of distillation_loss graded with the spies: the soft term
    inline, from spy_soft, or inline with the teacher's distribution from spy_targets."""
    hard = F.cross_entropy(student_logits.double(), labels)
    softs = [expected_soft(student_logits, teacher_logits, temperature),
             probes.spy_soft_64(student_logits, teacher_logits, temperature),
             soft_through_spy(student_logits, teacher_logits, temperature)]
    return [alpha * soft + (1 - alpha) * hard for soft in softs]


def close_to_any(got: Any, wants: list[torch.Tensor], temperature: float = 1.0) -> bool:
    return isinstance(got, torch.Tensor) and any(close(got, want, temperature) for want in wants)


def expected_text(wants: list[torch.Tensor]) -> str:
    """'expected 0.1234 (computed inline) or 3.21 (through the marked stand-in)'."""
    first, *rest = (f"{w.item():.6g}" for w in wants)
    return f"expected {first}" + "".join(f" or {r}" for r in rest) + (
        " (the first computed inline, the others from the graders' marked stand-ins for the items it calls)"
        if rest else "")


def alone(impl: Any, fn_name: str, *calls: tuple) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls`, with the spies in place of
    the items it calls: one round trip to the worker for them all."""
    result = impl.run(probes.values, fn_name, list(calls))
    if "missing" in result:
        if result["missing"] == "missing":
            fail(f"{fn_name} is missing: define a function with exactly that name.")
        fail(f"{fn_name} must be a function; got {result['missing']}.")
    return result["values"]


# --------------------------------------------------------------------------
# inputs

temperatures = st.sampled_from([0.5, 1.0, 2.0, 3.0, 5.0, 10.0])
alphas = st.sampled_from([0.0, 0.1, 0.5, 0.7, 0.9, 1.0])
float_dtypes = st.sampled_from([torch.float32, torch.float64])


@st.composite
def logit_pairs(draw: st.DrawFn, scale: float = 3.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(student, teacher, labels): (B, C) logits of one drawn dtype and (B,) int64 labels."""
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(2, 8))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    student = (torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale).to(dtype)
    teacher = (torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale).to(dtype)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    return student, teacher, labels


def teacher_task(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, teacher_logits, labels) on `device`: 32 examples of 5 features, the
    logits of a fixed linear teacher over 4 classes, and its predicted classes."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 5, generator=gen)
    teacher = x @ torch.randn(5, 4, generator=gen) * 2
    return x.to(device), teacher.to(device), teacher.argmax(1).to(device)


def given_text(student: torch.Tensor, teacher: torch.Tensor, temperature: float, **more: Any) -> str:
    """The smallest input, as the student reads it in a message."""
    extra = "".join(f", {k}={v if not isinstance(v, torch.Tensor) else v.tolist()}" for k, v in more.items())
    return (
        f"student_logits {student.tolist()}, teacher_logits {teacher.tolist()} "
        f"({str(student.dtype).removeprefix('torch.')}), temperature={temperature}{extra}"
    )


def is_scalar_of(value: Any, dtype: torch.dtype) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype == dtype
