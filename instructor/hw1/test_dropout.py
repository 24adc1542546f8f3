"""Hidden graders for HW1-Q1c, dropout by hand (module hw1/dropout): each item
against the reference formulas on drawn inputs.

dropout_forward runs with the public graders' spy in place of
inverted_dropout, as in the public layer: its output counts as right, and so
does inverted dropout computed inline. It is called without a generator (an
extension, graded on its own in the public layer).
"""
from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw1 import dropout_probes as probes
from graders.hw1 import dropout_support as support
from instructor.hw1 import dropout_oracle as oracle

MODULE = "hw1/dropout"


def _close(out, want: torch.Tensor, like: torch.Tensor) -> bool:
    """The values agree (the dtype, device and shape are checked first, by check_like)."""
    return out.shape == like.shape and torch.allclose(out.double().cpu(), want.double().cpu(), rtol=1e-5, atol=1e-6)


@graded("apply_dropout_mask", points=0.5)
@given(support.activations_and_masks())
def test_apply_mask_matches_reference(impl, case):
    x, mask = case
    out = support.tensor_call("apply_dropout_mask", impl, x, mask)
    check_like("apply_dropout_mask", out, x, f"x: {describe(x)}, mask {show(mask)}")
    check(
        _close(out, oracle.masked(x, mask), x),
        "the training output of classic dropout is activations ⊙ mask (no scaling), "
        "of the activations' shape and dtype.",
        f"x: {show(x)} ({describe(x)}), mask {show(mask)} → {show(out)}",
    )


@graded("drop_rate_from_mask", points=0.5)
@given(support.activations_and_masks())
def test_drop_rate_matches_reference(impl, case):
    _, mask = case
    rate = call_keeping_inputs("drop_rate_from_mask", impl, mask, names=("mask",))
    want = oracle.drop_rate(mask)
    check(
        isinstance(rate, float) and abs(rate - want) < 1e-6,
        "the drop rate is the fraction of zero entries in the mask, as a float.",
        f"mask {show(mask)} → expected {want}, got {show(rate)}",
    )


@graded("classic_test_output", points=0.5)
@given(support.activations_and_masks(), support.rates)
def test_classic_matches_reference(impl, case, p):
    x, _ = case
    out = support.tensor_call("classic_test_output", impl, x, p, names=("activations",))
    check_like("classic_test_output", out, x, f"x: {describe(x)}, p={p}")
    check(
        _close(out, oracle.classic_test(x, p), x),
        "classic dropout at test time scales every unit by 1 − p, keeping the activations' shape and dtype.",
        f"x: {show(x)} ({describe(x)}), p={p} → {show(out)}",
    )


@graded("inverted_dropout", points=0.5)
@given(support.activations_and_masks(), support.rates)
def test_inverted_matches_reference(impl, case, p):
    x, mask = case
    device = default_device()
    x, mask = x.to(device), mask.to(device)
    out = support.tensor_call("inverted_dropout", impl, x, mask, p)
    check_like("inverted_dropout", out, x, f"x: {describe(x)}, mask {show(mask)}, p={p}")
    check(
        _close(out, oracle.inverted(x, mask, p), x),
        "inverted dropout at training time is activations ⊙ mask / (1 − p), and all zeros when p = 1, "
        "with the activations' shape, dtype and device.",
        f"x: {show(x)} ({describe(x)}), mask {show(mask)}, p={p} → {show(out)}",
    )


@graded("dropout_forward", points=0.5)
@given(support.shapes, support.rates, st.integers(0, 2**16))
def test_forward_output_matches_reference(impl, shape, p, seed):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(default_device())
    out, mask = support.pair(support.forward(impl, x, p, True), "dropout_forward")
    given_ = f"x: {show(x)} ({describe(x)}), p={p}, training=True"
    check_like("dropout_forward", out, x, f"{given_}: the output")
    through_spy = _close(out, probes.spy_inverted(x, mask, p), x)
    check(
        through_spy or _close(out, oracle.inverted(x, mask, p), x),
        "the training output must be inverted_dropout(x, mask, p) with the returned mask "
        "(all zeros when p = 1).",
        f"{given_} → output {show(out)}, mask {show(mask)}",
    )
