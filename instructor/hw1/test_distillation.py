"""Hidden graders for HW1-Q3, knowledge distillation (module hw1/distillation):
each item against the reference formulas on drawn inputs.

Like the public graders, soft_loss and distillation_loss run with the marked
spies in place of the items they call, so a value computed inline and one
built from a spy's output both count as right, as do the choices the module
narrows in public tests of their own (see distillation_oracle).
"""
from __future__ import annotations

import torch
from hypothesis import given

from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw1 import distillation_support as support
from instructor.hw1 import distillation_oracle as oracle

MODULE = "hw1/distillation"


@graded("soft_targets", points=0.5)
@support.soft_target_inputs
def test_soft_targets_matches_reference(impl, lead, classes, temperature, dtype, seed):
    logits, _ = support.drawn_logits(lead, classes, dtype, seed)
    out = call_keeping_inputs("soft_targets", impl, logits, temperature, names=("logits",))
    given_ = f"logits {show(logits)} ({describe(logits)}), T={temperature}"
    want = oracle.softened(logits, temperature)
    check_like("soft_targets", out, logits, given_)
    check(
        support.close(out, want),
        "soft_targets must be softmax(logits / T): divide by the temperature, then softmax over the classes.",
        given_,
        f"expected {show(want)}",
        f"got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )


@graded("soft_loss", points=1)
@given(support.logit_pairs(), support.temperatures)
def test_soft_loss_matches_reference(impl, logits, temperature):
    student, teacher, _ = logits
    (out,) = support.alone(impl, "soft_loss", (student, teacher, temperature))
    given_ = support.given_text(student, teacher, temperature)
    wants = oracle.soft_candidates(student, teacher, temperature)
    check_like("soft_loss", out, student, given_, shape=())
    check(
        support.close_to_any(out, wants, temperature),
        "soft_loss must be T² · KL(softmax(teacher/T) ‖ softmax(student/T)), summed over the classes "
        "and averaged over the batch.",
        given_,
        f"{support.expected_text(wants[:1])}, got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )


@graded("distillation_loss", points=1)
@given(support.logit_pairs(), support.temperatures, support.alphas)
def test_distillation_matches_reference(impl, logits, temperature, alpha):
    student, teacher, labels = logits
    given_ = support.given_text(student, teacher, temperature, labels=labels, alpha=alpha)
    (out,) = support.alone(impl, "distillation_loss", (student, teacher, labels, temperature, alpha))
    wants = oracle.loss_candidates(student, teacher, labels, temperature, alpha)
    check_like("distillation_loss", out, student, given_, shape=())
    check(
        support.close_to_any(out, wants, temperature),
        "distillation_loss must be alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) "
        "+ (1 − alpha) · CE(student, labels), both averaged over the batch.",
        given_,
        f"{support.expected_text(wants[:1])}, got {show(out) if isinstance(out, torch.Tensor) else describe(out)}",
    )
