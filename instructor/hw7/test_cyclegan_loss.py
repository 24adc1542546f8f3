"""Hidden graders for HW7-Q5, the CycleGAN generator loss (module
hw7/cyclegan_loss): each item against the reference formulas on drawn
inputs. generator_ab_loss runs with the marked spies in place of the terms,
as in the public layer; the spies' values and the reference's both count."""
from __future__ import annotations

from hypothesis import given, settings

from dlkit.grading.checks import check, describe, graded, show
from graders.hw7 import cyclegan_loss_support as support
from instructor.hw7 import cyclegan_loss_oracle as oracle

MODULE = "hw7/cyclegan_loss"
FEW = settings(max_examples=15)


@graded("adversarial_loss", points=1)
@FEW
@given(support.scores(), support.kinds)
def test_adversarial_matches_reference(impl, d, kind):
    (out,) = support.alone(impl, "adversarial_loss", (d, kind))
    want = oracle.adversarial(d, kind)
    check(
        support.is_scalar_of(out, d.dtype) and support.close(out, want, d.dtype),
        "adversarial_loss must be mean((d − 1)²) for 'lsgan' and the mean binary cross-entropy of the "
        "logits d against the label 1 for 'bce'.",
        f"disc_output {show(d)} ({describe(d)}), adversarial={kind!r}",
        f"expected {want:.6g}, got {show(out)}",
    )


def _l1_matches(impl, fn: str, real, other) -> None:
    (out,) = support.alone(impl, fn, (real, other))
    want = oracle.l1(real, other)
    check(
        support.is_scalar_of(out, real.dtype) and support.close(out, want, real.dtype),
        f"{fn} must be the mean absolute error over every element of the two batches.",
        f"{describe(real)} images {show(real, 120)} and {show(other, 120)}",
        f"expected {want:.6g}, got {show(out)}",
    )


@graded("cycle_loss", points=1)
@FEW
@given(support.image_pairs())
def test_cycle_matches_reference(impl, pair):
    _l1_matches(impl, "cycle_loss", *pair)


@graded("identity_loss", points=1)
@FEW
@given(support.image_pairs())
def test_identity_matches_reference(impl, pair):
    _l1_matches(impl, "identity_loss", *pair)


@graded("generator_ab_loss", points=1.5)
@settings(max_examples=10)
@given(support.generator_cases())
def test_generator_matches_reference(impl, case):
    (entry,) = support.evidence(impl, [case])
    no_own = {k: [] for k in support.PARTS}
    support.check_parts(entry, case, support.candidates(case, no_own, oracle.generator_terms(case)))
