"""Graders for HW1-Q3, knowledge distillation (module hw1/distillation).

soft_loss and distillation_loss are graded with marked spies in place of the
items they call (see distillation_probes), so each mistake costs points on
its own item only; computing those items inline is accepted too. The checks
that differentiate through the student's code run in the worker.
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


@graded("soft_targets", points=1)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.integers(1, 8),
    support.temperatures,
    support.float_dtypes,
    st.integers(0, 2**16),
)
def test_soft_targets_properties(impl, lead, classes, temperature, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(*lead, classes, generator=gen, dtype=torch.float64) * 3).to(dtype)
    out = call("soft_targets", impl, logits, temperature)
    given_ = f"logits {show(logits)} ({describe(logits)}), T={temperature}"
    check(
        isinstance(out, torch.Tensor) and out.shape == logits.shape and out.dtype == dtype,
        "soft_targets must return a tensor of the logits' shape and dtype (float32 or float64).",
        f"{given_} → {describe(out)}",
    )
    check(
        support.close(out.sum(-1), torch.ones(lead, dtype=torch.float64)),
        "soft_targets must give a distribution over the classes (the last dimension): each row sums to 1.",
        given_,
        f"row sums {show(out.sum(-1))}",
    )
    want = support.softened(logits, temperature)
    check(
        support.close(out, want),
        "soft_targets must be softmax(logits / T): divide by the temperature, then softmax over the classes.",
        given_,
        f"expected {show(want)}",
        f"got {show(out)}",
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


@graded("soft_loss", points=1)
def test_soft_loss_worked_example(impl):
    student = torch.tensor([[0.0, 0.0]])
    teacher = torch.tensor([[math.log(3.0), 0.0]])
    # At T = 1: teacher (0.75, 0.25), student (0.5, 0.5); KL = 0.75 ln 1.5 + 0.25 ln 0.5.
    want = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    out, at_two = support.alone(impl, "soft_loss", (student, teacher, 1.0), (student, teacher, 2.0))
    spied = support.soft_through_spy(student, teacher, 1.0).item()
    check(
        isinstance(out, torch.Tensor) and out.dim() == 0
        and min(abs(out.item() - want), abs(out.item() - spied)) < 1e-5,
        f"soft_loss must be KL(teacher ‖ student) = Σ p_t (log p_t − log p_s): "
        f"for teacher probabilities (0.75, 0.25) and student (0.5, 0.5) at T=1 that is {want:.5f}, "
        "a 0-dim tensor.",
        f"{support.given_text(student, teacher, 1.0)} → {show(out)}",
        support.expected_text([torch.tensor(want), torch.tensor(spied)]),
    )
    wants_two = support.soft_candidates(student, teacher, 2.0)
    want_two = wants_two[0].item()
    check(
        isinstance(at_two, torch.Tensor) and any(abs(at_two.item() - w.item()) < 1e-5 for w in wants_two),
        f"soft_loss at T=2 must be T² · KL of the distributions softened by T (both of them): {want_two:.5f}.",
        f"{support.given_text(student, teacher, 2.0)} → {show(at_two)}",
        support.expected_text(wants_two),
    )


@graded("soft_loss", points=2)
@given(support.logit_pairs(), support.temperatures)
def test_soft_loss_formula(impl, logits, temperature):
    student, teacher, _ = logits
    (out,) = support.alone(impl, "soft_loss", (student, teacher, temperature))
    given_ = support.given_text(student, teacher, temperature)
    check(
        support.is_scalar_of(out, student.dtype),
        "soft_loss must return a 0-dim tensor of the logits' dtype (float32 or float64).",
        f"{given_} → {describe(out)}",
    )
    wants = support.soft_candidates(student, teacher, temperature)
    check(
        support.close_to_any(out, wants, temperature),
        "soft_loss must be T² · KL(softmax(teacher/T) ‖ softmax(student/T)), summed over the classes "
        "and averaged over the batch (reduction 'batchmean'; 'mean' also divides by the classes).",
        given_,
        f"{support.expected_text(wants)}, got {show(out)}",
    )


@graded("soft_loss", points=1)
@given(support.logit_pairs(), support.temperatures, st.floats(-50, 50))
def test_soft_loss_zero_only_when_equal(impl, logits, temperature, shift):
    student, teacher, _ = logits
    given_ = support.given_text(student, teacher, temperature)
    same, shifted, out = support.alone(
        impl, "soft_loss",
        (teacher, teacher, temperature), (teacher + shift, teacher, temperature), (student, teacher, temperature),
    )
    tol = support.tolerance(student.dtype, temperature)
    # Through the spy for soft_targets the teacher's distribution is marked, so
    # student = teacher gives the spy's (recomputed) KL there instead of 0.
    rtol = 1e-7 if student.dtype == torch.float64 else 1e-4
    spied = support.soft_through_spy(teacher, teacher, temperature).item()

    def zero(value, slack: float) -> bool:
        v = float(value)
        return abs(v) < slack * tol or abs(v - spied) < slack * tol + rtol * abs(spied)

    check(
        zero(same, 1),
        "soft_loss must be 0 when the student's logits equal the teacher's.",
        f"{given_}, student = teacher → {show(same)}",
        f"(through the graders' marked stand-in for soft_targets: {spied:.6g})",
    )
    check(
        zero(shifted, 5),
        "softmax ignores a constant added to every logit of a row, so soft_loss must be 0 when the "
        "student's logits are the teacher's plus a constant.",
        f"{given_}, student = teacher + {shift} → {show(shifted)}",
        f"(through the graders' marked stand-in for soft_targets: {spied:.6g})",
    )
    check(
        float(out) >= -tol,
        "soft_loss must never be negative: a KL divergence is ≥ 0.",
        f"{given_} → {show(out)}",
    )
    inline, through_spy = support.soft_candidates(student, teacher, temperature)
    spy_path = abs(float(out) - through_spy.item()) < abs(float(out) - inline.item())
    if (through_spy if spy_path else inline).item() / temperature**2 > 1e-3:
        check(
            float(out) > 0,
            "soft_loss must be positive when the softened distributions differ.",
            f"{given_} → {show(out)}",
        )


def _gradient(fn, student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    x = student.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(x, teacher, temperature), x)
    return grad


@graded("soft_loss", points=1)
@settings(max_examples=10)  # two backward passes each; ten draws of the seed are plenty
@given(st.integers(2, 10), st.integers(0, 2**16))
def test_soft_loss_gradient_scale(impl, classes, seed):
    gen = torch.Generator().manual_seed(seed)
    student = torch.randn(8, classes, generator=gen, dtype=torch.float64) * 0.5
    teacher = torch.randn(8, classes, generator=gen, dtype=torch.float64) * 0.5
    temperatures = (1.0, 4.0)
    # The backward passes run in the worker, next to the student's code.
    results = impl.run(probes.soft_loss_gradients, student, teacher, list(temperatures))
    for temperature, result in zip(temperatures, results):
        check(
            result["grad"] is not None,
            "soft_loss must be differentiable with respect to the student's logits.",
            f"student (8, {classes}) float64 requiring grad, T={temperature} → {result['what']}",
        )
    grads = [result["grad"] for result in results]
    # The expected gradients, computed inline or through the spy for soft_targets:
    # compare with the path whose gradients point the same way as the student's.
    paths = {
        "inline": [_gradient(support.expected_soft, student, teacher, t) for t in temperatures],
        "through the marked stand-in for soft_targets": [
            _gradient(support.soft_through_spy, student, teacher, t) for t in temperatures
        ],
    }

    def agreement(wants: list[torch.Tensor]) -> float:
        return sum(F.cosine_similarity(g.flatten(), w.flatten(), dim=0).item() for g, w in zip(grads, wants))

    path = max(paths, key=lambda name: agreement(paths[name]))
    norms = [g.norm().item() for g in grads]
    wanted = [w.norm().item() for w in paths[path]]
    ratio = norms[0] / max(norms[1], 1e-300)
    want_ratio = wanted[0] / max(wanted[1], 1e-300)
    check(
        0.5 <= ratio / want_ratio <= 2,
        "the T² factor keeps the soft term's gradient comparable across temperatures: the gradient "
        "norm w.r.t. the student's logits at T=1 and T=4 must agree within a factor 2 "
        "(without T² it shrinks about 16-fold, with T instead of T² about 4-fold).",
        f"8 × {classes} logits of std 0.5 (seed {seed}): norm {norms[0]:.4g} at T=1, "
        f"{norms[1]:.4g} at T=4, ratio {ratio:.3g}; expected ratio {want_ratio:.3g} ({path})",
    )


@graded("soft_loss", points=1)
def test_soft_loss_extreme_logits(impl):
    # Class 1's probability underflows to 0 for both (float32); 0 · log 0 counts as 0 in a KL.
    student = torch.tensor([[10.0, -200.0, 0.0]])
    teacher = torch.tensor([[0.0, -200.0, 10.0]])
    (out,) = support.alone(impl, "soft_loss", (student, teacher, 1.0))
    wants = [w.item() for w in support.soft_candidates(student, teacher, 1.0)]
    want = wants[0]
    check(
        isinstance(out, torch.Tensor) and math.isfinite(float(out)) and any(abs(float(out) - w) < 1e-3 for w in wants),
        f"soft_loss must stay finite when a class probability underflows to 0 (the KL here is {want:.4f}): "
        "compute the student's log-probabilities with F.log_softmax, not torch.log(softmax(...)), "
        "which gives log 0 = -inf and 0 · (-inf) = NaN.",
        f"{support.given_text(student, teacher, 1.0)} → {show(out)}",
    )


# --------------------------------------------------------------------------
# distillation_loss


@graded("distillation_loss", points=1)
@given(support.logit_pairs(), support.temperatures)
def test_distillation_alpha_ends(impl, logits, temperature):
    student, teacher, labels = logits
    given_ = support.given_text(student, teacher, temperature, labels=labels)
    hard, soft = support.alone(
        impl, "distillation_loss",
        (student, teacher, labels, temperature, 0.0), (student, teacher, labels, temperature, 1.0),
    )
    want_hard = F.cross_entropy(student.double(), labels)
    check(
        isinstance(hard, torch.Tensor) and support.close(hard, want_hard),
        "at alpha=0 distillation_loss must be the plain cross-entropy of the student's raw logits "
        "(not divided by T) with the labels, averaged over the batch.",
        f"{given_}, alpha=0",
        f"expected {want_hard.item():.6g}, got {show(hard)}",
    )
    wants_soft = support.loss_candidates(student, teacher, labels, temperature, 1.0)
    check(
        support.close_to_any(soft, wants_soft, temperature),
        "at alpha=1 distillation_loss must be the soft term T² · KL alone (alpha weighs the soft term).",
        f"{given_}, alpha=1",
        f"{support.expected_text(wants_soft)}, got {show(soft)}",
    )


@graded("distillation_loss", points=2)
@given(support.logit_pairs(), support.temperatures, support.alphas)
def test_distillation_formula(impl, logits, temperature, alpha):
    student, teacher, labels = logits
    given_ = support.given_text(student, teacher, temperature, labels=labels, alpha=alpha)
    (out,) = support.alone(impl, "distillation_loss", (student, teacher, labels, temperature, alpha))
    check(
        support.is_scalar_of(out, student.dtype),
        "distillation_loss must return a 0-dim tensor of the logits' dtype (float32 or float64).",
        f"{given_} → {describe(out)}",
    )
    wants = support.loss_candidates(student, teacher, labels, temperature, alpha)
    check(
        support.close_to_any(out, wants, temperature),
        "distillation_loss must be alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) "
        "+ (1 − alpha) · CE(student, labels), both averaged over the batch.",
        given_,
        f"{support.expected_text(wants)}, got {show(out)}",
    )
    check(float(out) >= 0, "distillation_loss must never be negative.", f"{given_} → {show(out)}")


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
    # soft_targets when distillation_loss took it from there.
    targets = [torch.log_softmax(teacher / temperature, dim=-1), torch.log(probes.spy_targets_64(teacher, temperature))]

    def kl(log_p: torch.Tensor, logits: torch.Tensor) -> float:
        log_q = torch.log_softmax(logits / temperature, dim=-1)
        return (log_p.exp() * (log_p - log_q)).sum(-1).mean().item()

    before, after = kl(targets[0], start), kl(targets[0], student)
    moved = any(kl(t, student) < 0.1 * kl(t, start) for t in targets)
    check(
        moved and losses[-1] < losses[0],
        "training a student on distillation_loss must move it toward the teacher: the KL divergence "
        "to the teacher's softened distribution must fall at least ten-fold.",
        f"linear student, 32 examples, 4 classes, T={temperature:g}, alpha={alpha}, {steps} steps of lr {lr} "
        f"on {device}: KL {before:.4f} → {after:.4f}, loss {losses[0]:.4f} → {losses[-1]:.4f}",
    )
