"""Graders for HW1-Q3, knowledge distillation (module hw1/distillation): the
distillation loss, graded with the marked spies of distillation_probes in
place of soft_targets and soft_loss, so a mistake in those costs points on
them only; computing the soft term inline is accepted too.

Exact values are checked on a worked example whose expected values are
stored below as numbers (the reference solution's, computed ahead, inline and
through the spies); on drawn inputs the graders check properties, comparing
the student's function with itself.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given

from dlkit.device import default_device
from dlkit.grading.checks import check, describe, fail, graded, show
from graders.hw1 import distillation_support as support
from graders.hw1 import distillation_probes as probes

MODULE = "hw1/distillation"


# --------------------------------------------------------------------------
# distillation_loss


# The reference's values of distillation_loss on one batch, stored. The soft
# term is computed inline (the KL, or the cross-entropy with the soft targets,
# which the handout allows), taken from the graders' spy for soft_loss (the
# mean squared gap between the logits + 3), or computed inline with the
# teacher's distribution from the spy for soft_targets. Which term alpha weighs
# is the module's choice, graded on its own (test_distillation_alpha_weighs_
# the_soft_term): here alpha · soft + (1 − alpha) · hard and (1 − alpha) · soft
# + alpha · hard both count.
LOSS_STUDENT = [[1.0, -0.5, 2.0], [0.0, 0.5, -1.0]]
LOSS_TEACHER = [[2.5, 0.0, 1.0], [-1.0, 1.0, 0.5]]
LOSS_LABELS = [2, 1]
LOSS_HARD = 0.48783481859470557  # the cross-entropy of the student's logits with the labels
WORKED_LOSS = {  # (T, alpha): for each soft term (KL inline, spy_soft, KL spied, cross-entropy inline,
    # cross-entropy spied), the value with alpha weighing the soft term, then the hard term
    (1.0, 0.5): (0.46785163758755843, 0.46785163758755843, 2.327250742630686, 2.327250742630686,
                 0.4490152354999367, 0.4490152354999367, 0.8589701113624302, 0.8589701113624302,
                 0.8642291718863042, 0.8642291718863042),
    (2.0, 0.3): (0.4955374565816575, 0.5058076405642602, 1.5914843730162938, 3.0630171122450784,
                 0.48935734612402576, 0.4913873828297861, 1.6929576500761025, 3.2997880920512985,
                 1.695144150853967, 3.304889927199649),
    (4.0, 0.9): (0.5244019155859964, 0.49189782937151566, 3.798783481859471, 0.8557180034019016,
                 0.7128175383151353, 0.5128328985636421, 15.955375692382196, 2.2064504712377597,
                 15.957311943965154, 2.206665610302533),
}
# The soft term alone on that batch (alpha weighing it, alpha = 1), each way
# it may be computed, as above: (KL inline, spy_soft, KL spied, cross-entropy inline, spied).
LOSS_SOFT_ALONE = {
    1.0: (0.4478684565804112, 4.166666666666667, 0.410195652405168, 1.230105404130155, 1.2406235251779028),
}


@graded("distillation_loss", points=1)
def test_distillation_worked_example(impl):
    labels = torch.tensor(LOSS_LABELS)
    cases = [(dtype, t, a) for dtype in (torch.float32, torch.float64) for t, a in WORKED_LOSS]
    calls = [(torch.tensor(LOSS_STUDENT, dtype=dtype), torch.tensor(LOSS_TEACHER, dtype=dtype), labels, t, a)
             for dtype, t, a in cases]
    values = support.alone(impl, "distillation_loss", *calls)
    for (dtype, temperature, alpha), (student, teacher, *_), out in zip(cases, calls, values):
        given_ = support.given_text(student, teacher, temperature, labels=labels, alpha=alpha)
        check(
            support.is_scalar_of(out, dtype),
            "distillation_loss must return a 0-dim tensor of the logits' dtype (float32 or float64).",
            f"{given_} → {describe(out)}",
        )
        wants = WORKED_LOSS[(temperature, alpha)]
        check(
            support.close_to_any(out, list(wants), temperature),
            "distillation_loss must be alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) "
            f"+ (1 − alpha) · CE(student, labels), both averaged over the batch (the CE here is {LOSS_HARD:.6g}).",
            given_,
            f"{support.expected_text(list(wants[:1]))}, got {show(out)}",
        )


@graded("distillation_loss", points=1)
@given(support.logit_pairs(), support.temperatures, support.alphas)
def test_distillation_mixes_the_two_terms(impl, logits, temperature, alpha):
    student, teacher, labels = logits
    dtype = student.dtype
    given_ = support.given_text(student, teacher, temperature, labels=labels)
    others = (labels + 1) % student.shape[1]
    at_0, at_1, at_0_other, at_1_other, between = support.alone(
        impl, "distillation_loss",
        (student, teacher, labels, temperature, 0.0), (student, teacher, labels, temperature, 1.0),
        (student, teacher, others, temperature, 0.0), (student, teacher, others, temperature, 1.0),
        (student, teacher, labels, temperature, alpha),
    )
    ends = (at_0, at_1, at_0_other, at_1_other)
    check(
        all(support.is_scalar_of(v, dtype) for v in ends + (between,)),
        "distillation_loss must return a 0-dim tensor of the logits' dtype (float32 or float64).",
        f"{given_} → {', '.join(describe(v) for v in ends + (between,))} at alpha = 0, 1, 0, 1 and {alpha}",
    )
    want_hard = F.cross_entropy(student.double(), labels)
    # One end of alpha is the hard term alone, the other the soft term alone;
    # which is which is graded in test_distillation_alpha_weighs_the_soft_term.
    hard, soft, soft_other = (at_0, at_1, at_1_other) if support.close(at_0, want_hard) else (at_1, at_0, at_0_other)
    check(
        support.close(hard, want_hard),
        "at one end of alpha (0 or 1) distillation_loss must be the plain cross-entropy of the student's "
        "raw logits (temperature 1) with the labels, averaged over the batch.",
        given_,
        f"expected {want_hard.item():.6g}, got {show(at_0)} at alpha=0 and {show(at_1)} at alpha=1",
    )
    check(
        support.same_value(soft_other, soft, dtype, temperature),
        "at the other end of alpha distillation_loss must be the soft term alone: the labels must not matter.",
        f"{given_} → {show(soft)}; labels {others.tolist()} instead → {show(soft_other)}",
    )
    check(
        float(soft) >= -support.tolerance(dtype, temperature) and float(hard) >= 0,
        "distillation_loss must never be negative.",
        f"{given_} → {show(at_0)} at alpha=0, {show(at_1)} at alpha=1",
    )
    want = alpha * at_1.detach().double() + (1 - alpha) * at_0.detach().double()
    check(
        support.close(between, want, temperature),
        "distillation_loss must weigh its two terms by alpha and 1 − alpha: its value at alpha is "
        "alpha × its value at 1 plus (1 − alpha) × its value at 0.",
        f"{given_}, alpha={alpha} → {show(between)}; at 1: {show(at_1)}, at 0: {show(at_0)}, "
        f"so expected {want.item():.6g}",
    )


@graded("distillation_loss", points=0.5)
def test_distillation_alpha_weighs_the_soft_term(impl):
    # The handout adds the two terms; which one alpha weighs is this module's
    # choice (papers and libraries differ), graded here only.
    student, teacher = torch.tensor(LOSS_STUDENT), torch.tensor(LOSS_TEACHER)
    labels, others = torch.tensor(LOSS_LABELS), torch.tensor([0, 0])
    hard, soft, soft_other = support.alone(
        impl, "distillation_loss",
        (student, teacher, labels, 1.0, 0.0), (student, teacher, labels, 1.0, 1.0),
        (student, teacher, others, 1.0, 1.0),
    )
    given_ = support.given_text(student, teacher, 1.0, labels=labels)
    check(
        support.close_to_any(hard, [LOSS_HARD]) and support.close_to_any(soft, list(LOSS_SOFT_ALONE[1.0]))
        and support.same_value(soft, soft_other, torch.float32),
        "alpha weighs the soft term: distillation_loss at alpha=0 must be the cross-entropy with the labels "
        f"alone ({LOSS_HARD:.6g} here), at alpha=1 the soft term alone ({LOSS_SOFT_ALONE[1.0][0]:.6g} here, "
        "whatever the labels).",
        f"{given_} → {show(hard)} at alpha=0, {show(soft)} at alpha=1 ({show(soft_other)} with labels [0, 0])",
    )


@graded("distillation_loss", points=1)
def test_distillation_bad_arguments(impl):
    student, teacher, labels = torch.zeros(2, 3), torch.ones(2, 3), torch.tensor([0, 2])
    for name, temperature, alpha in (
        ("temperature", 0.0, 0.5),
        ("temperature", -1.0, 0.5),
        ("alpha", 2.0, -0.1),
        ("alpha", 2.0, 1.5),
    ):
        bad = f"temperature={temperature}, alpha={alpha}"
        try:
            support.alone(impl, "distillation_loss", (student, teacher, labels, temperature, alpha))
        except ValueError as exc:
            check(name in str(exc), f"the ValueError for a bad {name} must name it.", f"{bad} → {exc!r}")
        else:
            fail(
                "distillation_loss must raise ValueError for a temperature <= 0 or an alpha "
                "outside [0, 1], naming the argument.",
                f"{bad} raised nothing",
            )


@graded("distillation_loss", points=1)
def test_distillation_trains_student(impl):
    device, temperature, alpha, steps, lr = default_device(), 4.0, 0.7, 40, 0.5
    x, teacher, labels = support.teacher_task(device)
    # The gradient steps run in the worker (autograd through the student's code).
    result = impl.run(probes.train_student, x, teacher, labels, temperature, alpha, steps, lr)
    losses = result["losses"]
    check(
        result["bad"] is None,
        "distillation_loss must return a finite loss that gradients flow through to the student.",
        f"a linear student on 32 examples (device {device}), step {len(losses) + 1} → {result['bad']}",
    )
    x, teacher = x.cpu().double(), teacher.cpu().double()
    student = x @ result["weight"].cpu().double() + result["bias"].cpu().double()
    start = torch.zeros_like(student)
    # The teacher's softened distribution, or the marked one of the spy for
    # soft_targets when distillation_loss took it from there; the distance is
    # torch's own KL divergence.
    targets = [torch.log_softmax(teacher / temperature, dim=-1), torch.log(probes.spy_targets_64(teacher, temperature))]
    gaps = {
        name: [F.kl_div(torch.log_softmax(logits / temperature, dim=-1), target, reduction="batchmean",
                        log_target=True).item() for target in targets]
        for name, logits in (("before", start), ("after", student))
    }
    (before, _), (after, _) = gaps["before"], gaps["after"]
    moved = any(a < 0.1 * b for a, b in zip(gaps["after"], gaps["before"]))
    check(
        moved and losses[-1] < losses[0],
        "training a student on distillation_loss must move it toward the teacher: the KL divergence "
        "to the teacher's softened distribution must fall at least ten-fold.",
        f"linear student, 32 examples, 4 classes, T={temperature:g}, alpha={alpha}, {steps} steps of lr {lr} "
        f"on {device}: KL {before:.4f} → {after:.4f}, loss {losses[0]:.4f} → {losses[-1]:.4f}",
    )
