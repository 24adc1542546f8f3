"""Graders for HW7-Q5, the CycleGAN generator loss (module hw7/cyclegan_loss):
the three terms, adversarial_loss, cycle_loss and identity_loss.
generator_ab_loss is graded in test_cyclegan_loss_generator.py.

Exact values are checked on the handout's worked examples (stored below as
numbers); on drawn inputs the graders check properties, comparing the
student's functions with themselves: a loss against "real" is 0 only at the
target, an L1 scales with the images' scale, a batch's loss is the mean of
its parts', the gradient is the one of the value returned.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.hw7 import cyclegan_loss_probes as probes
from graders.hw7 import cyclegan_loss_support as support

MODULE = "hw7/cyclegan_loss"

WORKED_SCORES = [[0.0, 2.0]]
WORKED_ADVERSARIAL = {"lsgan": 1.0, "bce": 0.4100319}  # mean((d − 1)²); mean(softplus(−d))
WORKED_REAL, WORKED_RECONSTRUCTED, WORKED_L1 = [[1.0, 2.0]], [[0.0, 4.0]], 1.5
FEW = settings(max_examples=15)


# --------------------------------------------------------------------------
# adversarial_loss


@graded("adversarial_loss", points=1)
def test_adversarial_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        d = torch.tensor(WORKED_SCORES, dtype=dtype)
        for kind, want in WORKED_ADVERSARIAL.items():
            (out,) = support.alone(impl, "adversarial_loss", (d, kind))
            check(
                support.is_scalar_of(out, dtype) and support.close(out, want, torch.float32),
                f"adversarial_loss({WORKED_SCORES}, {kind!r}) must be {want:.6g}: "
                + ("mean((d − 1)²), the least-squares loss against the label 1 (real)." if kind == "lsgan" else
                   "mean(softplus(−d)), the binary cross-entropy of the logits d against the label 1 (real)."),
                f"disc_output {describe(d)} → {show(out)} ({describe(out)})",
            )


@graded("adversarial_loss", points=1)
@FEW
@given(support.scores())
def test_adversarial_properties(impl, d):
    dtype = d.dtype
    half = d.shape[0]
    both = torch.cat([d, d.flip(0) * 0.5 - 1])
    lsgan, at_one, mirrored, doubled, bce, bce_neg, bce_up = support.alone(
        impl, "adversarial_loss",
        (d, "lsgan"), (torch.ones_like(d), "lsgan"), (2 - d, "lsgan"), (both, "lsgan"),
        (d, "bce"), (-d, "bce"), (d + 1, "bce"),
    )
    given_ = f"disc_output {show(d)} ({describe(d)})"
    check(
        support.is_scalar_of(lsgan, dtype) and support.is_scalar_of(bce, dtype),
        "adversarial_loss must return a 0-dim tensor of the scores' dtype.",
        f"{given_} → {describe(lsgan)} (lsgan), {describe(bce)} (bce)",
    )
    check(
        support.close(at_one, 0.0, dtype) and float(lsgan) >= 0,
        "the lsgan loss must be 0 when every score is 1 (the label of real images), and never negative.",
        f"all ones → {show(at_one)}; {given_} → {show(lsgan)}",
    )
    check(
        support.close(mirrored, float(lsgan), dtype),
        "the lsgan loss is a squared distance to 1: scores 1 + e and 1 − e must give the same loss.",
        f"{given_} → {show(lsgan)}; 2 − d → {show(mirrored)}",
    )
    (second,) = support.alone(impl, "adversarial_loss", (both[half:], "lsgan"))
    want = 0.5 * (float(lsgan) + float(second))
    check(
        support.close(doubled, want, dtype),
        "adversarial_loss must be a mean over the scores: the loss of two equal-sized batches together "
        "is the mean of their losses.",
        f"{given_} → {show(lsgan)}; another {describe(d)} → {show(second)}; both together → {show(doubled)}, "
        f"expected {want:.6g}",
    )
    gap = -float(d.double().mean())
    check(
        support.close(float(bce) - float(bce_neg), gap, dtype, slack=10),
        "the bce loss against the label 1 is mean(softplus(−d)), so loss(d) − loss(−d) = −mean(d): "
        "scores must be logits, and the label must be 1 (real), not 0.",
        f"{given_} → {show(bce)}; −d → {show(bce_neg)}; difference {float(bce) - float(bce_neg):.6g}, "
        f"expected {gap:.6g}",
    )
    check(
        float(bce_up) < float(bce),
        "the bce loss must fall when the discriminator scores the fakes as more real (higher logits).",
        f"{given_} → {show(bce)}; d + 1 → {show(bce_up)}",
    )


@graded("adversarial_loss", points=0.5)
def test_adversarial_gradient(impl):
    d = support.drawn((3, 1, 2, 2), torch.float64, 3, scale=2.0)
    _gradient_matches_value(impl, "adversarial_loss", [(d, kind) for kind in probes.KINDS], "disc_output")


@graded("adversarial_loss", points=0.5)
def test_adversarial_bad_kind(impl):
    for kind in ("wgan", "LSGAN", ""):
        try:
            support.alone(impl, "adversarial_loss", (torch.zeros(2, 1), kind))
        except ValueError as exc:
            check("adversarial" in str(exc), "the ValueError for a bad adversarial must name the argument.",
                  f"adversarial={kind!r} → {exc!r}")
        else:
            fail('adversarial_loss must raise ValueError for an adversarial other than "lsgan" or "bce".',
                 f"adversarial={kind!r} raised nothing")


@graded("adversarial_loss", points=0.5, secondary=True)
@FEW
@given(support.scores(), support.kinds)
def test_adversarial_keeps_inputs(impl, d, kind):
    out = call_keeping_inputs("adversarial_loss", impl, d, kind, names=("disc_output",))
    check_like("adversarial_loss", out, d, f"disc_output: {describe(d)}, adversarial={kind!r}", shape=())


# --------------------------------------------------------------------------
# cycle_loss and identity_loss: both the mean absolute error of two batches


def _l1_worked_example(impl, fn: str) -> None:
    for dtype in (torch.float32, torch.float64):
        real, other = torch.tensor(WORKED_REAL, dtype=dtype), torch.tensor(WORKED_RECONSTRUCTED, dtype=dtype)
        (out,) = support.alone(impl, fn, (real, other))
        check(
            support.is_scalar_of(out, dtype) and support.close(out, WORKED_L1, dtype),
            f"{fn}({WORKED_REAL}, {WORKED_RECONSTRUCTED}) must be the mean absolute error "
            f"(|1 − 0| + |2 − 4|) / 2 = {WORKED_L1}, a 0-dim tensor of the images' dtype.",
            f"{describe(real)} images → {show(out)} ({describe(out)})",
        )


def _l1_properties(impl, fn: str, real: torch.Tensor, other: torch.Tensor, k: float) -> None:
    dtype = real.dtype
    joined = torch.cat([real, other])
    out, same, swapped, scaled, shifted, together, second = support.alone(
        impl, fn, (real, other), (real, real), (other, real), (k * real, k * other), (real + 3, other + 3),
        (joined, torch.cat([other, real.flip(0)])), (other, real.flip(0)),
    )
    given_ = f"{describe(real)} images {show(real, 120)} and {show(other, 120)}"
    check(support.is_scalar_of(out, dtype), f"{fn} must return a 0-dim tensor of the images' dtype.",
          f"{given_} → {describe(out)}")
    check(support.close(same, 0.0, dtype), f"{fn} must be 0 when both batches are equal (a perfect round trip).",
          f"{describe(real)} images, twice the same → {show(same)}")
    check(float(out) >= 0 and support.close(swapped, float(out), dtype),
          f"{fn} is a distance: never negative and the same with its arguments swapped.",
          f"{given_} → {show(out)}; swapped → {show(swapped)}")
    check(support.close(shifted, float(out), dtype, slack=10),
          f"{fn} depends on the difference of the images only: adding 3 to both must not change it.",
          f"{given_} → {show(out)}; both + 3 → {show(shifted)}")
    want = abs(k) * float(out)
    check(support.close(scaled, want, dtype, slack=10),
          f"{fn} is the mean ABSOLUTE error (L1): multiplying both batches by {k:g} multiplies it by {abs(k):g} "
          "(a squared error would grow by the square).",
          f"{given_} → {show(out)}; both × {k:g} → {show(scaled)}, expected {want:.6g}")
    want = 0.5 * (float(out) + float(second))
    check(support.close(together, want, dtype, slack=10),
          f"{fn} must be a mean over every element of the batch: two equal-sized batches together give "
          "the mean of their losses (a sum would give their sum).",
          f"{given_} → {show(out)}; the second pair → {show(second)}; both together → {show(together)}, "
          f"expected {want:.6g}")


def _gradient_matches_value(impl, fn: str, calls: list[tuple], what: str) -> None:
    results = impl.run(probes.gradients, fn, calls)
    for args, result in zip(calls, results):
        given_ = f"{what} {show(args[0])} (float64)" + (f", {args[1]!r}" if isinstance(args[1], str) else "")
        check(
            result["grads"] is not None and result["grads"][0] is not None,
            f"{fn} must return a 0-dim tensor that gradients flow through (torch operations only: "
            "NumPy, .item() or float() cut the graph).",
            f"{given_} → {result['what']}",
        )
        d = args[0]
        h, direction = 1e-6, support.drawn(tuple(d.shape), torch.float64, 11)
        plus, minus = support.alone(impl, fn, (d + h * direction, *args[1:]), (d - h * direction, *args[1:]))
        slope = (float(plus) - float(minus)) / (2 * h)
        grad = result["grads"][0]
        along = float((grad * direction).sum())
        check(
            abs(slope - along) <= 1e-4 * (1 + abs(slope)),
            f"the gradient of {fn} must be the one of the value it returns (a detached or constant part "
            "changes one but not the other).",
            f"{given_}: the slope of the value along a random direction is {slope:.6g}, the gradient gives "
            f"{along:.6g}",
        )


def _l1_gradient(impl, fn: str) -> None:
    real, other = support.drawn((2, 2, 3, 3), torch.float64, 5), support.drawn((2, 2, 3, 3), torch.float64, 6)
    (result,) = impl.run(probes.gradients, fn, [(real, other)])
    check(
        result["grads"] is not None and all(g is not None for g in result["grads"]),
        f"{fn} must return a 0-dim tensor that gradients flow through to both arguments (torch "
        "operations only: NumPy, .item() or float() cut the graph).",
        f"{describe(real)} images → {result['what']}",
    )
    g_real, g_other = result["grads"]
    inner = float((g_other * (other - real)).sum())
    check(
        abs(inner - result["value"]) <= 1e-9 * (1 + result["value"]) and torch.allclose(g_real, -g_other),
        f"{fn} is an L1 of the difference: its gradient w.r.t. the second batch, dotted with the "
        "difference, gives the loss back (twice the loss for a squared error), and the gradient w.r.t. "
        "the first batch is its negative.",
        f"{describe(real)} images: loss {result['value']:.6g}, gradient · difference {inner:.6g}",
    )


@graded("cycle_loss", points=1)
def test_cycle_worked_example(impl):
    _l1_worked_example(impl, "cycle_loss")


@graded("cycle_loss", points=1)
@FEW
@given(support.image_pairs(), st.sampled_from([2.0, -3.0, 0.5]))
def test_cycle_properties(impl, pair, k):
    _l1_properties(impl, "cycle_loss", *pair, k)


@graded("cycle_loss", points=0.5)
def test_cycle_gradient(impl):
    _l1_gradient(impl, "cycle_loss")


@graded("cycle_loss", points=0.5, secondary=True)
@FEW
@given(support.image_pairs())
def test_cycle_keeps_inputs(impl, pair):
    out = call_keeping_inputs("cycle_loss", impl, *pair, names=("real", "reconstructed"))
    check_like("cycle_loss", out, pair[0], f"real, reconstructed: {describe(pair[0])}", shape=())


@graded("identity_loss", points=1)
def test_identity_worked_example(impl):
    _l1_worked_example(impl, "identity_loss")


@graded("identity_loss", points=1)
@FEW
@given(support.image_pairs(), st.sampled_from([2.0, -3.0, 0.5]))
def test_identity_properties(impl, pair, k):
    _l1_properties(impl, "identity_loss", *pair, k)


@graded("identity_loss", points=0.5)
def test_identity_gradient(impl):
    _l1_gradient(impl, "identity_loss")


@graded("identity_loss", points=0.5, secondary=True)
@FEW
@given(support.image_pairs())
def test_identity_keeps_inputs(impl, pair):
    out = call_keeping_inputs("identity_loss", impl, *pair, names=("real", "same"))
    check_like("identity_loss", out, pair[0], f"real, same: {describe(pair[0])}", shape=())
