"""Graders for HW1-Q3, knowledge distillation (module hw1/distillation).

soft_loss and distillation_loss are graded with marked spies in place of the
items they call (see distillation_probes), so each mistake costs points on
its own item only; computing those items inline is accepted too. The checks
that differentiate through the student's code run in the worker.

Exact values are checked on worked examples whose expected values are stored
below as numbers (the reference solution's, computed ahead, both inline and
through the spies); on drawn inputs the graders check properties, comparing
the student's functions with themselves.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail, graded, show
from graders.hw1 import distill_support as support
from graders.hw1 import distillation_probes as probes

MODULE = "hw1/distillation"


# --------------------------------------------------------------------------
# soft_targets


@graded("soft_targets", points=1)
def test_soft_targets_worked_example(impl):
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    for temperature, want in ((1.0, [0.665, 0.245, 0.090]), (2.0, [0.506, 0.307, 0.186])):
        out = call("soft_targets", impl, logits, temperature)
        check(
            isinstance(out, torch.Tensor) and out.shape == (1, 3),
            "soft_targets must return a tensor of the logits' shape.",
            f"logits {logits.tolist()}, T={temperature} → {describe(out)}",
        )
        check(
            torch.allclose(out.double(), torch.tensor([want], dtype=torch.float64), atol=1e-3),
            f"soft_targets({logits.tolist()}, {temperature}) must be softmax(logits / T) ≈ {[want]}.",
            f"got {show(out)}",
        )


@graded("soft_targets", points=0.5)
@support.soft_target_inputs
def test_soft_targets_properties(impl, lead, classes, temperature, dtype, seed):
    logits, gen = support.drawn_logits(lead, classes, dtype, seed)
    shift = torch.randn(*lead, 1, generator=gen, dtype=torch.float64).to(dtype) * 5
    out = call("soft_targets", impl, logits, temperature)
    given_ = f"logits {show(logits)} ({describe(logits)}), T={temperature}"
    check(
        isinstance(out, torch.Tensor) and out.shape == logits.shape and out.dtype == dtype,
        "soft_targets must return a tensor of the logits' shape and dtype (float32 or float64).",
        f"{given_} → {describe(out)}",
    )
    check(
        bool((out >= 0).all()) and support.close(out.sum(-1), torch.ones(lead, dtype=torch.float64)),
        "soft_targets must give a distribution over the classes (the last dimension): "
        "non-negative, each row sums to 1.",
        given_,
        f"got {show(out)}, row sums {show(out.sum(-1))}",
    )
    perm = torch.randperm(classes, generator=gen)
    shifted, permuted, scaled = (
        call("soft_targets", impl, z, t)
        for z, t in ((logits + shift, temperature), (logits[..., perm], temperature), (2 * logits, 2 * temperature))
    )
    check(
        isinstance(shifted, torch.Tensor) and support.same_value(shifted, out, dtype),
        "adding a constant to every logit of a row must not change soft_targets (softmax ignores it).",
        f"{given_}, then each row + {show(shift.flatten())} → {show(shifted)} instead of {show(out)}",
    )
    check(
        isinstance(permuted, torch.Tensor) and support.same_value(permuted, out[..., perm], dtype),
        "soft_targets must treat every class alike: reordering the classes of the logits reorders "
        "the probabilities the same way.",
        f"{given_}, then the classes in the order {perm.tolist()} → {show(permuted)}, "
        f"expected {show(out[..., perm])}",
    )
    check(
        isinstance(scaled, torch.Tensor) and support.same_value(scaled, out, dtype),
        "soft_targets depends on the logits divided by the temperature only: doubling both the "
        "logits and T must not change it.",
        f"{given_}, then logits × 2 and T={2 * temperature:g} → {show(scaled)} instead of {show(out)}",
    )


@graded("soft_targets", points=1)
def test_soft_targets_flatter_and_stable(impl):
    logits = torch.tensor([[3.0, 1.0, 0.0, -2.0]])
    entropies = []
    for temperature in (0.5, 1.0, 4.0, 20.0):
        p = call("soft_targets", impl, logits, temperature).double()
        entropies.append(-(p * p.clamp_min(1e-300).log()).sum().item())
    check(
        all(a < b for a, b in zip(entropies, entropies[1:])),
        "a higher temperature must give a flatter (higher-entropy) distribution.",
        f"logits {logits.tolist()}, T = 0.5, 1, 4, 20 → entropies {[round(e, 4) for e in entropies]}",
    )
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    out = call("soft_targets", impl, big, 1.0)
    check(
        bool(torch.isfinite(out).all()) and abs(out.double().sum().item() - 1) < 1e-5,
        "soft_targets must stay finite for large logits: use torch.softmax (it subtracts the "
        "maximum before exponentiating) rather than exp(z) / sum(exp(z)).",
        f"logits {big.tolist()}, T=1 → {show(out)}",
    )


# --------------------------------------------------------------------------
# soft_loss


# The reference's values of soft_loss, stored: "inline" is T² · KL(softmax(t/T) ‖
# softmax(s/T)), "spied" the value of a soft_loss that takes the teacher's
# distribution from the graders' spy for soft_targets (distillation_probes:
# softmax(t/T + 0.25 · class index)). Both count as right.
WORKED_STUDENT = [[0.0, 0.0]]
WORKED_TEACHER = [[math.log(3.0), 0.0]]  # probabilities (0.75, 0.25) at T = 1
WORKED_SOFT = {  # T: (inline, spied)
    1.0: (0.13081204002675678, 0.08251688146059569),  # 0.75 ln 1.5 + 0.25 ln 0.5
    2.0: (0.1453631365382757, 0.044295449793092245),
}
EXTREME_STUDENT = [[10.0, -200.0, 0.0]]
EXTREME_TEACHER = [[0.0, -200.0, 10.0]]
EXTREME_SOFT = (9.999092042625952, 9.999453381161139)  # T = 1: (inline, spied)
# soft_loss(t, t, T), which is 0 inline and the spy's KL to softmax(t/T) when
# the teacher's distribution comes from the spy.
EQUAL_TEACHERS = ([[2.0, -1.0, 0.5]], [[0.0, 3.0, -2.0, 1.0], [1.5, 1.5, -0.5, 0.0]])
EQUAL_SPIED = {  # (teacher index, T): spied value of soft_loss(t, t, T)
    (0, 0.5): 0.0019175097907046593,
    (0, 1.0): 0.022002707611421188,
    (0, 3.0): 0.22584474167216637,
    (0, 10.0): 2.2182766391415587,
    (1, 0.5): 0.0022149429898463816,
    (1, 1.0): 0.024137371796075294,
    (1, 3.0): 0.3402557784688899,
    (1, 10.0): 3.8729568713929483,
}


@graded("soft_loss", points=1)
def test_soft_loss_worked_example(impl):
    student, teacher = torch.tensor(WORKED_STUDENT), torch.tensor(WORKED_TEACHER)
    at_one, at_two = support.alone(impl, "soft_loss", (student, teacher, 1.0), (student, teacher, 2.0))
    wants = WORKED_SOFT[1.0]
    check(
        isinstance(at_one, torch.Tensor) and at_one.dim() == 0
        and any(abs(float(at_one) - w) < 1e-5 for w in wants),
        f"soft_loss must be KL(teacher ‖ student) = Σ p_t (log p_t − log p_s): "
        f"for teacher probabilities (0.75, 0.25) and student (0.5, 0.5) at T=1 that is {wants[0]:.5f}, "
        "a 0-dim tensor.",
        f"{support.given_text(student, teacher, 1.0)} → {show(at_one)}",
        support.expected_text(wants),
    )
    wants = WORKED_SOFT[2.0]
    check(
        isinstance(at_two, torch.Tensor) and any(abs(float(at_two) - w) < 1e-5 for w in wants),
        f"soft_loss at T=2 must be T² · KL of the distributions softened by T (both of them): {wants[0]:.5f}.",
        f"{support.given_text(student, teacher, 2.0)} → {show(at_two)}",
        support.expected_text(wants),
    )


@graded("soft_loss", points=1)
@given(support.logit_pairs(), support.temperatures, st.floats(-20, 20), st.sampled_from([2.0, 3.0]))
def test_soft_loss_properties(impl, logits, temperature, shift, k):
    student, teacher, _ = logits
    dtype, batch = student.dtype, student.shape[0]
    given_ = support.given_text(student, teacher, temperature)
    rows = [(student[i : i + 1], teacher[i : i + 1], temperature) for i in range(batch)]
    out, student_shifted, teacher_shifted, scaled, *per_row = support.alone(
        impl, "soft_loss",
        (student, teacher, temperature),
        (student + shift, teacher, temperature),
        (student, teacher + shift, temperature),
        (k * student, k * teacher, k * temperature),
        *rows,
    )
    check(
        support.is_scalar_of(out, dtype),
        "soft_loss must return a 0-dim tensor of the logits' dtype (float32 or float64).",
        f"{given_} → {describe(out)}",
    )
    check(
        float(out) >= -support.tolerance(dtype, temperature),
        "soft_loss must never be negative: a KL divergence is ≥ 0.",
        f"{given_} → {show(out)}",
    )
    check(
        support.same_value(student_shifted, out, dtype, temperature, slack=5),
        "softmax ignores a constant added to every logit, so adding one to the student's logits "
        "must not change soft_loss.",
        f"{given_} → {show(out)}; student + {shift} → {show(student_shifted)}",
    )
    check(
        support.same_value(teacher_shifted, out, dtype, temperature, slack=5),
        "softmax ignores a constant added to every logit, so adding one to the teacher's logits "
        "must not change soft_loss.",
        f"{given_} → {show(out)}; teacher + {shift} → {show(teacher_shifted)}",
    )
    check(
        isinstance(scaled, torch.Tensor) and support.same_value(scaled, k**2 * out.detach(), dtype, k * temperature),
        f"soft_loss is T² times a KL divergence of softmax(logits / T): multiplying both logits and T "
        f"by {k:g} leaves the distributions as they are, so it must multiply soft_loss by {k:g}² = {k**2:g} "
        "(by 1 without the T² factor, by k with T instead of T²).",
        f"{given_} → {show(out)}; logits and T × {k:g} → {show(scaled)}, expected {k**2 * float(out):.6g}",
    )
    mean = torch.stack([torch.as_tensor(r).detach().double() for r in per_row]).mean()
    check(
        support.same_value(out, mean, dtype, temperature, slack=5),
        "soft_loss must be averaged over the batch (reduction 'batchmean'): the loss of a batch is "
        "the mean of the losses of its rows ('sum' adds them up).",
        f"{given_} → {show(out)}; rows alone → {[round(float(r), 6) for r in per_row]}, mean {mean.item():.6g}",
    )


@graded("soft_loss", points=1)
def test_soft_loss_zero_only_when_equal(impl):
    calls, cases = [], []
    for dtype in (torch.float32, torch.float64):
        for index, rows in enumerate(EQUAL_TEACHERS):
            teacher = torch.tensor(rows, dtype=dtype)
            shift = torch.tensor([[7.0], [-4.5]][: teacher.shape[0]], dtype=dtype)
            for temperature in (0.5, 1.0, 3.0, 10.0):
                calls += [(teacher, teacher, temperature), (teacher + shift, teacher, temperature),
                          (teacher.flip(-1), teacher, temperature)]
                cases.append((index, teacher, temperature, shift))
    values = support.alone(impl, "soft_loss", *calls)
    for (index, teacher, temperature, shift), (same, shifted, other) in zip(cases, zip(*[iter(values)] * 3)):
        tol = support.tolerance(teacher.dtype, temperature)
        spied = EQUAL_SPIED[(index, temperature)]

        def zero(value: object, slack: float) -> bool:
            if not isinstance(value, torch.Tensor) or value.numel() != 1:
                return False
            v = float(value)
            return abs(v) < slack * tol or abs(v - spied) < slack * tol + 1e-4 * spied

        given_ = support.given_text(teacher, teacher, temperature)
        check(
            zero(same, 1),
            "soft_loss must be 0 when the student's logits equal the teacher's.",
            f"{given_} → {show(same)}",
            f"(through the graders' marked stand-in for soft_targets: {spied:.6g})",
        )
        check(
            zero(shifted, 5),
            "softmax ignores a constant added to every logit of a row, so soft_loss must be 0 when the "
            "student's logits are the teacher's plus a constant.",
            f"{given_}, student = teacher + {shift.flatten().tolist()} (per row) → {show(shifted)}",
            f"(through the graders' marked stand-in for soft_targets: {spied:.6g})",
        )
        check(
            isinstance(other, torch.Tensor) and other.numel() == 1 and float(other) > 10 * tol,
            "soft_loss must be positive when the softened distributions differ.",
            f"student_logits {teacher.flip(-1).tolist()}, teacher_logits {teacher.tolist()}, "
            f"temperature={temperature} → {show(other)}",
        )


@graded("soft_loss", points=1)
@settings(max_examples=10)  # two backward passes each; ten draws of the seed are plenty
@given(st.integers(2, 10), st.integers(0, 2**16))
def test_soft_loss_gradient_scale(impl, classes, seed):
    gen = torch.Generator().manual_seed(seed)
    student = torch.randn(8, classes, generator=gen, dtype=torch.float64) * 0.5
    teacher = torch.randn(8, classes, generator=gen, dtype=torch.float64) * 0.5
    k = 4.0
    # The backward passes run in the worker, next to the student's code.
    base, scaled = impl.run(probes.soft_loss_gradients, [(student, teacher, 1.0), (k * student, k * teacher, k)])
    given_ = f"student and teacher logits 8 × {classes} of std 0.5 (seed {seed}), float64"
    for what, result in ((f"{given_}, T=1", base), (f"the same logits × {k:g}, T={k:g}", scaled)):
        check(
            result["grad"] is not None,
            "soft_loss must be differentiable with respect to the student's logits.",
            f"{what} → {result['what']}",
        )
    grad, grad_scaled = base["grad"], scaled["grad"]
    check(
        grad.shape == student.shape and bool(torch.isfinite(grad).all()),
        "the gradient of soft_loss w.r.t. the student's logits must be finite.",
        f"{given_}, T=1 → gradient {show(grad)}",
    )
    sums = grad.sum(-1)
    check(
        bool((sums.abs() <= 1e-9 * (1 + grad.abs().sum(-1))).all()),
        "adding a constant to a row of the student's logits does not change soft_loss, so the gradient "
        "of each row must sum to 0.",
        f"{given_}, T=1 → row sums of the gradient {show(sums)}",
    )
    ratio = grad_scaled.norm().item() / max(grad.norm().item(), 1e-300)
    check(
        torch.allclose(grad_scaled, k * grad, rtol=1e-6, atol=1e-12),
        "the T² factor keeps the soft term's gradient comparable across temperatures: multiplying the "
        f"logits and T by {k:g} leaves the distributions as they are, and the gradient w.r.t. the "
        f"student's logits must then be {k:g} times as large (without T² it is 1/{k:g} as large, with T "
        "instead of T² the same).",
        f"{given_}: gradient norm {grad.norm().item():.4g} at T=1, {grad_scaled.norm().item():.4g} for the "
        f"logits × {k:g} at T={k:g}: {ratio:.3g} times, expected {k:g}",
    )


@graded("soft_loss", points=1)
def test_soft_loss_extreme_logits(impl):
    # Class 1's probability underflows to 0 for both (float32); 0 · log 0 counts as 0 in a KL.
    student, teacher = torch.tensor(EXTREME_STUDENT), torch.tensor(EXTREME_TEACHER)
    (out,) = support.alone(impl, "soft_loss", (student, teacher, 1.0))
    check(
        isinstance(out, torch.Tensor) and math.isfinite(float(out))
        and any(abs(float(out) - w) < 1e-3 for w in EXTREME_SOFT),
        f"soft_loss must stay finite when a class probability underflows to 0 (the KL here is "
        f"{EXTREME_SOFT[0]:.4f}): compute the student's log-probabilities with F.log_softmax, not "
        "torch.log(softmax(...)), which gives log 0 = -inf and 0 · (-inf) = NaN.",
        f"{support.given_text(student, teacher, 1.0)} → {show(out)}",
    )


# --------------------------------------------------------------------------
# distillation_loss


# The reference's values of distillation_loss on one batch, stored: the soft
# term computed inline, taken from the graders' spy for soft_loss (the mean
# squared gap between the logits + 3), or computed inline with the teacher's
# distribution from the spy for soft_targets. All three count as right.
LOSS_STUDENT = [[1.0, -0.5, 2.0], [0.0, 0.5, -1.0]]
LOSS_TEACHER = [[2.5, 0.0, 1.0], [-1.0, 1.0, 0.5]]
LOSS_LABELS = [2, 1]
LOSS_HARD = 0.48783481859470557  # the cross-entropy of the student's logits with the labels
WORKED_LOSS = {  # (T, alpha): (inline, through spy_soft, through spy_targets)
    (1.0, 0.5): (0.46785163758755843, 2.327250742630686, 0.44901523549993677),
    (2.0, 0.3): (0.4955374565816576, 1.5914843730162938, 0.48935734612402576),
    (4.0, 0.9): (0.5244019155859964, 3.798783481859471, 0.7128175383151355),
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
            f"{support.expected_text(list(wants))}, got {show(out)}",
        )


@graded("distillation_loss", points=1)
@given(support.logit_pairs(), support.temperatures, support.alphas)
def test_distillation_alpha_weights(impl, logits, temperature, alpha):
    student, teacher, labels = logits
    dtype = student.dtype
    given_ = support.given_text(student, teacher, temperature, labels=labels)
    others = (labels + 1) % student.shape[1]
    hard, soft, soft_other_labels, between = support.alone(
        impl, "distillation_loss",
        (student, teacher, labels, temperature, 0.0), (student, teacher, labels, temperature, 1.0),
        (student, teacher, others, temperature, 1.0), (student, teacher, labels, temperature, alpha),
    )
    want_hard = F.cross_entropy(student.double(), labels)
    check(
        isinstance(hard, torch.Tensor) and support.close(hard, want_hard),
        "at alpha=0 distillation_loss must be the plain cross-entropy of the student's raw logits "
        "(not divided by T) with the labels, averaged over the batch (F.cross_entropy).",
        f"{given_}, alpha=0",
        f"expected {want_hard.item():.6g}, got {show(hard)}",
    )
    check(
        support.is_scalar_of(soft, dtype) and support.same_value(soft_other_labels, soft, dtype, temperature),
        "at alpha=1 distillation_loss must be the soft term alone (alpha weighs the soft term): "
        "the labels must not matter.",
        f"{given_}, alpha=1 → {show(soft)}; labels {others.tolist()} instead → {show(soft_other_labels)}",
    )
    check(
        float(soft) >= -support.tolerance(dtype, temperature) and float(hard) >= 0,
        "distillation_loss must never be negative.",
        f"{given_} → {show(hard)} at alpha=0, {show(soft)} at alpha=1",
    )
    want = alpha * soft.detach().double() + (1 - alpha) * hard.detach().double()
    check(
        support.is_scalar_of(between, dtype) and support.close(between, want, temperature),
        "distillation_loss must weigh its two terms by alpha and 1 − alpha: its value at alpha is "
        "alpha × its value at 1 plus (1 − alpha) × its value at 0.",
        f"{given_}, alpha={alpha} → {show(between)}; at 1: {show(soft)}, at 0: {show(hard)}, "
        f"so expected {want.item():.6g}",
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
