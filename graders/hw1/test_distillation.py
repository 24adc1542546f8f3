"""Graders for HW1-Q3, knowledge distillation (module hw1/distillation).

soft_loss and distillation_loss are graded with marked spies in place of the
items they call (see distillation_probes), so each mistake costs points on
its own item only; computing those items inline is accepted too. The checks
that differentiate through the student's code run in the worker.

Exact values are checked on worked examples whose expected values are stored
below as numbers (the reference solution's, computed ahead, both inline and
through the spies); on drawn inputs the graders check properties, comparing
the student's functions with themselves. distillation_loss is graded in
test_distillation_loss.py, what every item keeps whatever its inputs' dtype,
device and layout in test_distillation_layout.py.
"""
from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call_keeping_inputs, check, describe, graded, show
from graders.hw1 import distillation_support as support
from graders.hw1 import distillation_probes as probes

MODULE = "hw1/distillation"


# --------------------------------------------------------------------------
# soft_targets


@graded("soft_targets", points=1)
def test_soft_targets_worked_example(impl):
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    for temperature, want in ((1.0, [0.665, 0.245, 0.090]), (2.0, [0.506, 0.307, 0.186])):
        out = call_keeping_inputs("soft_targets", impl, logits, temperature, names=("logits",))
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
    out = call_keeping_inputs("soft_targets", impl, logits, temperature, names=("logits",))
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
        call_keeping_inputs("soft_targets", impl, z, t, names=("logits",))
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


@graded("soft_targets", points=0.5)
def test_soft_targets_flatter_when_hotter(impl):
    logits = torch.tensor([[3.0, 1.0, 0.0, -2.0]])
    entropies = []
    for temperature in (0.5, 1.0, 4.0, 20.0):
        p = support.tensor_call("soft_targets", impl, logits, temperature, names=("logits",)).double()
        entropies.append(-(p * p.clamp_min(1e-300).log()).sum().item())
    check(
        all(a < b for a, b in zip(entropies, entropies[1:])),
        "a higher temperature must give a flatter (higher-entropy) distribution.",
        f"logits {logits.tolist()}, T = 0.5, 1, 4, 20 → entropies {[round(e, 4) for e in entropies]}",
    )


@graded("soft_targets", points=0.5)
def test_soft_targets_stable_for_large_logits(impl):
    # The module's contract (stated in the handout's notebook), graded on its own.
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    out = support.tensor_call("soft_targets", impl, big, 1.0, names=("logits",))
    check(
        bool(torch.isfinite(out).all()) and abs(out.double().sum().item() - 1) < 1e-5,
        "soft_targets must stay finite for large logits (softmax(z) equals softmax(z − max z), "
        "whose exponentials cannot overflow): a distribution that sums to 1.",
        f"logits {big.tolist()}, T=1 → {show(out)}",
    )


# --------------------------------------------------------------------------
# soft_loss


# The reference's values of soft_loss, stored: "inline" is T² · KL(softmax(t/T) ‖
# softmax(s/T)), "spied" the value of a soft_loss that takes the teacher's
# distribution from the graders' spy for soft_targets (distillation_probes:
# softmax(t/T + 0.25 · class index)). Both count as right. The handout names
# the soft term "KL / cross-entropy", so T² times the cross-entropy with the
# soft targets (the KL plus the teacher's entropy) counts as right here too,
# inline or spied; the module's choice of the KL, 0 when the distributions
# agree, is graded on its own (test_soft_loss_zero_only_when_equal).
WORKED_STUDENT = [[0.0, 0.0]]
WORKED_TEACHER = [[math.log(3.0), 0.0]]  # probabilities (0.75, 0.25) at T = 1
WORKED_SOFT = {  # T: (KL inline, KL spied, cross-entropy inline or spied: ln 2 · T² for a uniform student)
    1.0: (0.13081204002675678, 0.08251688146059569, 0.6931471805599453),  # 0.75 ln 1.5 + 0.25 ln 0.5
    2.0: (0.1453631365382757, 0.044295449793092245, 2.7725887222397816),
}
EXTREME_STUDENT = [[10.0, -200.0, 0.0]]
EXTREME_TEACHER = [[0.0, -200.0, 10.0]]
# T = 1: (KL inline, KL spied, cross-entropy inline, cross-entropy spied)
EXTREME_SOFT = (9.999092042625952, 9.999453381161139, 9.999591420212193, 9.99977004198807)
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


def _soft_expected(wants: tuple[float, ...]) -> str:
    """'expected 0.1308 (the KL computed inline; also accepted: …)' for a stored soft_loss value."""
    others = ", ".join(f"{w:.6g}" for w in wants[1:])
    return (f"expected {wants[0]:.6g} (the KL computed inline; also accepted: {others}, the values through "
            "the graders' marked stand-in for soft_targets and of the cross-entropy with the soft targets)")


@graded("soft_loss", points=1)
def test_soft_loss_worked_example(impl):
    student, teacher = torch.tensor(WORKED_STUDENT), torch.tensor(WORKED_TEACHER)
    at_one, at_two = support.alone(impl, "soft_loss", (student, teacher, 1.0), (student, teacher, 2.0))
    wants = WORKED_SOFT[1.0]
    check(
        isinstance(at_one, torch.Tensor) and at_one.dim() == 0
        and any(abs(float(at_one) - w) < 1e-5 for w in wants),
        f"soft_loss must be KL(teacher ‖ student) = Σ p_t (log p_t − log p_s): "
        f"for teacher probabilities (0.75, 0.25) and student (0.5, 0.5) at T=1 that is {wants[0]:.5f} "
        f"(the cross-entropy with the soft targets, {wants[-1]:.5f}, counts too), a 0-dim tensor.",
        f"{support.given_text(student, teacher, 1.0)} → {show(at_one)}",
        _soft_expected(wants),
    )
    wants = WORKED_SOFT[2.0]
    check(
        isinstance(at_two, torch.Tensor) and any(abs(float(at_two) - w) < 1e-5 for w in wants),
        f"soft_loss at T=2 must be T² · KL of the distributions softened by T (both of them): {wants[0]:.5f}.",
        f"{support.given_text(student, teacher, 2.0)} → {show(at_two)}",
        _soft_expected(wants),
    )


@graded("soft_loss", points=0.5)
@given(support.logit_pairs(), support.temperatures, st.floats(-20, 20), st.sampled_from([2.0, 3.0]))
def test_soft_loss_properties(impl, logits, temperature, shift, k):
    student, teacher, _ = logits
    dtype = student.dtype
    given_ = support.given_text(student, teacher, temperature)
    out, student_shifted, teacher_shifted, scaled = support.alone(
        impl, "soft_loss",
        (student, teacher, temperature),
        (student + shift, teacher, temperature),
        (student, teacher + shift, temperature),
        (k * student, k * teacher, k * temperature),
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
        f"soft_loss is T² times a divergence of softmax(logits / T): multiplying both logits and T "
        f"by {k:g} leaves the distributions as they are, so it must multiply soft_loss by {k:g}² = {k**2:g}.",
        f"{given_} → {show(out)}; logits and T × {k:g} → {show(scaled)}, expected {k**2 * float(out):.6g}"
        + (f" (observed factor {float(scaled) / float(out):.4g})"
           if isinstance(scaled, torch.Tensor) and abs(float(out)) > 1e-12 else ""),
    )


@graded("soft_loss", points=0.5)
@given(support.logit_pairs(), support.temperatures)
def test_soft_loss_batch_mean(impl, logits, temperature):
    # The handout leaves the reduction open; the module's losses are batch
    # means (F.cross_entropy's default), graded here on their own.
    student, teacher, _ = logits
    dtype, batch = student.dtype, student.shape[0]
    given_ = support.given_text(student, teacher, temperature)
    rows = [(student[i : i + 1], teacher[i : i + 1], temperature) for i in range(batch)]
    out, *per_row = support.alone(impl, "soft_loss", (student, teacher, temperature), *rows)
    check(
        all(isinstance(v, torch.Tensor) and v.numel() == 1 for v in [out, *per_row]),
        "soft_loss must return a 0-dim tensor.",
        f"{given_} → {describe(out)}",
    )
    mean = torch.stack([r.detach().double().reshape(()) for r in per_row]).mean()
    check(
        support.same_value(out, mean, dtype, temperature, slack=5),
        "soft_loss must be averaged over the batch (reduction 'batchmean'): the loss of a batch is "
        "the mean of the losses of its rows.",
        f"{given_} → {show(out)}; rows alone → {[round(float(r), 6) for r in per_row]}, mean {mean.item():.6g}",
    )


@graded("soft_loss", points=1)
def test_soft_loss_zero_only_when_equal(impl):
    # The handout's soft term is "KL / cross-entropy"; the module chooses the
    # KL, which is 0 when the distributions agree: this test grades that choice.
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
        f"student's logits must then be {k:g} times as large.",
        f"{given_}: gradient norm {grad.norm().item():.4g} at T=1, {grad_scaled.norm().item():.4g} for the "
        f"logits × {k:g} at T={k:g}: {ratio:.3g} times, expected {k:g}",
    )


@graded("soft_loss", points=1)
def test_soft_loss_extreme_logits(impl):
    # Class 1's probability underflows to 0 for both (float32); 0 · log 0 counts as 0 in a KL.
    student, teacher = torch.tensor(EXTREME_STUDENT), torch.tensor(EXTREME_TEACHER)
    (out,) = support.alone(impl, "soft_loss", (student, teacher, 1.0))
    given_ = support.given_text(student, teacher, 1.0)
    check(
        isinstance(out, torch.Tensor) and out.numel() == 1 and math.isfinite(float(out)),
        "soft_loss must stay finite when a class probability underflows to 0 in float32 (0 · log 0 "
        "counts as 0 in a KL divergence).",
        f"{given_} → {show(out)}",
    )
    check(
        any(abs(float(out) - w) < 1e-4 * max(1.0, w) for w in EXTREME_SOFT),
        f"soft_loss must be the KL divergence of the softened distributions when a class probability "
        f"underflows to 0 too: {EXTREME_SOFT[0]:.4f} here.",
        f"{given_} → {show(out)}",
        _soft_expected(EXTREME_SOFT),
    )
