"""Graders for HW1-Q1c, dropout by hand (module hw1/dropout).

dropout_forward is graded with a spy in place of inverted_dropout (its
output is marked, see dropout_probes), so a mistake in the scaling costs
points on inverted_dropout only; computing inverted dropout inline is
accepted too.

Exact values are checked on the handout's example, whose expected outputs
are stored below as numbers; on drawn inputs the graders check properties,
comparing the student's functions with themselves.
"""
from __future__ import annotations

import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, call_keeping_inputs, check, describe, fail, graded, show
from graders.hw1 import dropout_probes as probes
from graders.hw1 import dropout_support as support

MODULE = "hw1/dropout"

# The handout's example: a 4×4 layer output and a mask with eight zeros.
OUTPUT = torch.arange(1.0, 17.0).view(4, 4)
MASK = torch.tensor([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=torch.float32)
BAD_RATES = (-0.1, 1.5)
# The reference's outputs on the handout's example, stored.
MASKED = [[1.0, 0.0, 3.0, 0.0], [0.0, 6.0, 7.0, 0.0], [9.0, 10.0, 0.0, 0.0], [0.0, 14.0, 0.0, 16.0]]
CLASSIC = {  # p: classic_test_output(OUTPUT, p)
    0.5: [[0.5, 1.0, 1.5, 2.0], [2.5, 3.0, 3.5, 4.0], [4.5, 5.0, 5.5, 6.0], [6.5, 7.0, 7.5, 8.0]],
    0.75: [[0.25, 0.5, 0.75, 1.0], [1.25, 1.5, 1.75, 2.0], [2.25, 2.5, 2.75, 3.0], [3.25, 3.5, 3.75, 4.0]],
}
INVERTED = {  # p: inverted_dropout(OUTPUT, MASK, p)
    0.5: [[2.0, 0.0, 6.0, 0.0], [0.0, 12.0, 14.0, 0.0], [18.0, 20.0, 0.0, 0.0], [0.0, 28.0, 0.0, 32.0]],
    0.75: [[4.0, 0.0, 12.0, 0.0], [0.0, 24.0, 28.0, 0.0], [36.0, 40.0, 0.0, 0.0], [0.0, 56.0, 0.0, 64.0]],
}


def _names_p(exc: Exception) -> bool:
    """The message names the argument p (as a word: "p must ...", "p=1.5")."""
    return re.search(r"\bp\b", str(exc)) is not None


def _rejects_bad_rate(impl, fn: str, *args) -> None:
    for p in BAD_RATES:
        try:
            call(fn, impl, *args, p)
        except ValueError as exc:
            check(_names_p(exc), f"{fn}'s ValueError must name the argument p.", f"p={p}: {exc!r}")
        else:
            fail(f"{fn} must raise ValueError when p is outside [0, 1].", f"p={p} was accepted")


# --------------------------------------------------------------------------
# apply_dropout_mask and drop_rate_from_mask


def _tensor_of(out, x: torch.Tensor) -> bool:
    return isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == x.dtype


def _shown(out) -> str:
    return describe(out) if isinstance(out, torch.Tensor) else show(out)


@graded("apply_dropout_mask", points=0.5)
@given(support.activations_and_masks())
def test_apply_mask(impl, case):
    out = support.tensor_call("apply_dropout_mask", impl, OUTPUT.clone(), MASK.clone())
    check(
        isinstance(out, torch.Tensor) and torch.equal(out, torch.tensor(MASKED)),
        "the training output of classic dropout is activations ⊙ mask (no scaling): on the handout's "
        f"example {MASKED}.",
        f"got {show(out)}",
    )
    x, mask = case
    out = support.tensor_call("apply_dropout_mask", impl, x, mask)
    given_ = f"x: {describe(x)}, mask {show(mask)}"
    check(
        _tensor_of(out, x),
        "apply_dropout_mask must return a tensor of the activations' shape and dtype (float32 or float64).",
        f"{given_} → {_shown(out)}",
    )
    check(
        bool((out[mask == 0] == 0).all()),
        "apply_dropout_mask must set the dropped units (0 in the mask) to 0.",
        f"{given_} → {show(out)}",
    )
    every, other = (support.tensor_call("apply_dropout_mask", impl, x, m) for m in (torch.ones_like(mask), 1 - mask))
    check(
        isinstance(every, torch.Tensor) and torch.equal(every, x),
        "with a mask of ones nothing is dropped: apply_dropout_mask must return the activations unchanged.",
        f"x: {describe(x)} → {show(every)}",
    )
    check(
        isinstance(other, torch.Tensor) and torch.allclose(out + other, x),
        "the kept units pass unchanged (no scaling): the outputs for a mask and for its complement "
        "1 − mask must add up to the activations.",
        f"{given_}: the two outputs add up to {show(out + other) if isinstance(other, torch.Tensor) else show(other)}",
    )


@graded("drop_rate_from_mask", points=1)
def test_drop_rate_worked_example(impl):
    rate = call_keeping_inputs("drop_rate_from_mask", impl, MASK.clone(), names=("mask",))
    check(
        isinstance(rate, float) and rate == 0.5,
        "drop_rate_from_mask of the handout's mask (8 zeros of 16) must be the float 0.5.",
        f"got {show(rate)}",
    )


@graded("drop_rate_from_mask", points=0.5)
@given(support.activations_and_masks())
def test_drop_rate_properties(impl, case):
    _, mask = case
    given_ = f"mask {show(mask)}"
    rate = call_keeping_inputs("drop_rate_from_mask", impl, mask, names=("mask",))
    check(
        isinstance(rate, float) and 0 <= rate <= 1,
        "drop_rate_from_mask must return a Python float in [0, 1].",
        f"{given_} → {describe(rate) if isinstance(rate, torch.Tensor) else show(rate)} ({type(rate).__name__})",
    )
    kept, dropped = (call_keeping_inputs("drop_rate_from_mask", impl, m, names=("mask",))
                     for m in (torch.ones_like(mask), torch.zeros_like(mask)))
    check(
        kept == 0 and dropped == 1,
        "the drop rate counts the zeros: 0.0 for a mask of ones, 1.0 for a mask of zeros.",
        f"mask of ones {tuple(mask.shape)} → {show(kept)}, of zeros → {show(dropped)}",
    )
    complement = call_keeping_inputs("drop_rate_from_mask", impl, 1 - mask, names=("mask",))
    check(
        isinstance(complement, float) and abs(rate + complement - 1) < 1e-6,
        "a mask and its complement 1 − mask swap kept and dropped units: their drop rates add up to 1.",
        f"{given_} → {show(rate)}; 1 − mask → {show(complement)}",
    )
    longer = torch.cat([mask.flatten(), torch.ones(mask.numel(), dtype=mask.dtype)])
    padded = call_keeping_inputs("drop_rate_from_mask", impl, longer, names=("mask",))
    check(
        isinstance(padded, float) and abs(padded - rate / 2) < 1e-6,
        "the drop rate is a fraction of all the entries: as many kept units again halve it.",
        f"{given_} → {show(rate)}; with {mask.numel()} ones appended → {show(padded)}",
    )


# --------------------------------------------------------------------------
# classic_test_output


@graded("classic_test_output", points=0.5)
@given(support.activations_and_masks(), support.rates)
def test_classic_test_output(impl, case, p):
    x, _ = case
    out, complement, none, every = (support.tensor_call("classic_test_output", impl, x, q, names=("activations",))
                                    for q in (p, 1 - p, 0.0, 1.0))
    given_ = f"x: {describe(x)}, p={p}"
    check(
        _tensor_of(out, x),
        "classic_test_output must return a tensor of the activations' shape and dtype (float32 or float64).",
        f"{given_} → {_shown(out)}",
    )
    check(
        isinstance(none, torch.Tensor) and torch.allclose(none, x)
        and isinstance(every, torch.Tensor) and torch.allclose(every, torch.zeros_like(x)),
        "classic dropout at test time scales by the keep rate 1 − p: the output is x at p = 0 and 0 at p = 1.",
        f"x: {describe(x)} → {_shown(none)} at p=0, {_shown(every)} at p=1",
    )
    check(
        isinstance(complement, torch.Tensor) and torch.allclose(out + complement, x),
        "classic dropout at test time scales every unit by 1 − p: the outputs at p and at 1 − p "
        "must add up to x.",
        f"{given_}: outputs at {p} and {1 - p} add up to "
        f"{show(out + complement) if isinstance(complement, torch.Tensor) else show(complement)}",
    )


@graded("classic_test_output", points=1)
def test_classic_worked_example(impl):
    for p, want in CLASSIC.items():
        out = support.tensor_call("classic_test_output", impl, OUTPUT.clone(), p, names=("activations",))
        check(
            isinstance(out, torch.Tensor) and torch.allclose(out, torch.tensor(want)),
            f"the handout's test output at p = {p} is the layer output × (1 − p) = {want}.",
            f"got {show(out)}",
        )


@graded("classic_test_output", points=1)
def test_classic_rejects_bad_rate(impl):
    _rejects_bad_rate(impl, "classic_test_output", OUTPUT.clone())


# --------------------------------------------------------------------------
# inverted_dropout


@graded("inverted_dropout", points=1)
def test_inverted_worked_example(impl):
    for p, want in INVERTED.items():
        out = support.tensor_call("inverted_dropout", impl, OUTPUT.clone(), MASK.clone(), p)
        check(
            isinstance(out, torch.Tensor) and torch.allclose(out, torch.tensor(want)),
            f"inverted_dropout of the handout's example at p = {p} scales the kept units by "
            f"1 / (1 − p) = {1 / (1 - p):g} and zeros the rest: {want}.",
            f"got {show(out)}",
        )


@graded("inverted_dropout", points=0.5)
@given(support.activations_and_masks(), support.rates)
def test_inverted_properties(impl, case, p):
    x, mask = case
    device = default_device()
    x, mask = x.to(device), mask.to(device)
    q = 0.5 if p == 0.25 else 0.25
    out, other, every, at_q = (
        support.tensor_call("inverted_dropout", impl, x, m, r)
        for m, r in ((mask, p), (1 - mask, p), (torch.ones_like(mask), p), (mask, q))
    )
    given_ = f"x: {describe(x)}, mask {show(mask)}, p={p}"
    check(
        _tensor_of(out, x) and out.device == x.device,
        "inverted_dropout must keep the activations' shape, dtype and device.",
        f"{given_} → {_shown(out)}",
    )
    check(bool(torch.isfinite(out).all()), "inverted_dropout must never give NaN or inf (p = 1 gives zeros).", given_)
    check(
        bool((out[mask == 0] == 0).all()),
        "inverted_dropout must set the dropped units (0 in the mask) to 0.",
        f"{given_} → {show(out)}",
    )
    check(
        all(isinstance(t, torch.Tensor) for t in (other, every)) and torch.allclose(out + other, every),
        "inverted_dropout scales each kept unit on its own: the outputs for a mask and for its "
        "complement 1 − mask must add up to the output for a mask of ones.",
        given_,
    )
    if p < 1:
        check(
            isinstance(at_q, torch.Tensor) and torch.allclose((1 - p) * out, (1 - q) * at_q),
            "inverted dropout scales the kept units by 1 / (1 − p): the output times the keep rate "
            "1 − p must not depend on p.",
            f"{given_}: (1 − p) × output at p={p} and at p={q} differ",
        )


@graded("inverted_dropout", points=1)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_inverted_edge_rates(impl, dtype):
    x, mask = OUTPUT.to(dtype, copy=True), MASK.to(dtype, copy=True)
    every = support.tensor_call("inverted_dropout", impl, x, torch.ones_like(x), 0.0)
    check(
        torch.equal(every, x),
        "with p = 0 and nothing dropped, inverted_dropout is the identity.",
        f"x: {describe(x)} → {show(every)}",
    )
    none = support.tensor_call("inverted_dropout", impl, x, torch.zeros_like(x), 1.0)
    check(
        bool(torch.isfinite(none).all()) and bool((none == 0).all()),
        "with p = 1 every unit is dropped: inverted_dropout must return zeros, with no NaN or inf.",
        f"x: {describe(x)}, mask all zeros → {show(none)}",
    )
    half = support.tensor_call("inverted_dropout", impl, x, mask, 1.0)
    check(
        bool(torch.isfinite(half).all()) and bool((half == 0).all()),
        "with p = 1 the output is all zeros whatever the mask.",
        f"x: {describe(x)}, the handout's mask → {show(half)}",
    )


@graded("inverted_dropout", points=1)
def test_inverted_rejects_bad_rate(impl):
    _rejects_bad_rate(impl, "inverted_dropout", OUTPUT.clone(), MASK.clone())


# --------------------------------------------------------------------------
# dropout_forward


@graded("dropout_forward", points=0.5)
@given(support.shapes, support.rates, st.integers(0, 1000))
def test_forward_modes(impl, shape, p, seed):
    device = default_device()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)
    out, mask = support.pair(support.forward(impl, x, p, False), f"dropout_forward(x, {p}, training=False)")
    check(
        torch.equal(out, x) and torch.equal(mask, torch.ones_like(x)),
        "when not training, dropout_forward returns x unchanged and an all-ones mask.",
        f"x: {describe(x)}, p={p}",
    )
    # No generator: it is an extension with its own test (test_forward_generator).
    out, mask = support.pair(support.forward(impl, x, p, True), f"dropout_forward(x, {p}, training=True)")
    given_ = f"x: {describe(x)}, p={p}, training=True"
    check(
        mask.shape == x.shape and mask.dtype == x.dtype and mask.device == x.device,
        "the mask must have x's shape, dtype and device.",
        f"{given_} → mask {describe(mask)}",
    )
    check(bool(((mask == 0) | (mask == 1)).all()), "the mask must hold only zeros and ones.",
          f"{given_} → {show(mask)}")
    check(
        out.shape == x.shape and bool(torch.isfinite(out).all()),
        "the training output must have x's shape and no NaN or inf (p = 1 gives zeros).",
        given_,
    )
    if p == 0:
        check(torch.equal(mask, torch.ones_like(x)), "with p = 0 every unit is kept.", given_)
    if torch.allclose(out, probes.spy_inverted(x, mask, p)):
        return  # inverted_dropout(x, mask, p) with the returned mask: its scaling is graded there
    # Inverted dropout computed inline: the dropped units are 0 and the kept
    # ones x times one common factor (test_forward_statistics checks which).
    kept = (mask == 1) & (x.abs() > 1e-3)
    factors = out[kept] / x[kept]
    check(
        bool((out[mask == 0] == 0).all())
        and (factors.numel() == 0 or torch.allclose(factors, factors[:1].expand_as(factors), rtol=1e-4)),
        "the training output must be inverted_dropout(x, mask, p) with the returned mask: the dropped "
        "units 0 and the kept ones x scaled by 1 / (1 − p) (all zeros when p = 1).",
        given_,
        f"output {show(out)}, mask {show(mask)}",
    )


@graded("dropout_forward", points=1)
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_forward_statistics(impl, p):
    x = torch.linspace(-2, 2, 100)
    draws = 2000
    # One call in the worker draws them all: 2000 round trips would cost seconds.
    outputs, masks = impl.run(probes.forward_draws, x, p, draws, seed=1)
    # 200 000 mask entries: the kept fraction's standard error is at most 0.0011.
    kept = masks.mean().item()
    check(
        abs(kept - (1 - p)) < 0.01,
        "each unit must be kept with probability 1 − p (1 in the mask means kept).",
        f"p={p}: kept fraction {kept:.4f} over {draws * len(x)} units",
    )
    if torch.allclose(outputs, probes.spy_inverted(x, masks, p)):
        return  # the scaling is inverted_dropout's, graded there
    # Inverted dropout computed inline: one output has standard deviation
    # |x|·sqrt(p / (1 − p)); five standard errors of the mean of `draws`
    # outputs at the largest |x| bound the gap.
    tolerance = 5 * x.abs().max().item() * (p / (1 - p)) ** 0.5 / draws**0.5
    error = (outputs.mean(0) - x).abs().max().item()
    check(
        error < tolerance,
        "averaged over many masks, the training output must approach x (the test output).",
        f"p={p}: largest gap between the mean of {draws} outputs and x is {error:.3f} (allowed {tolerance:.3f})",
    )


@graded("dropout_forward", points=0.5)
def test_forward_generator(impl):
    x = torch.randn(50)

    def mask_for(seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        what = f"dropout_forward(x, 0.5, True, generator seeded {seed})"
        return support.pair(support.forward(impl, x, 0.5, True, gen), what)[1]

    first, again, other = mask_for(7), mask_for(7), mask_for(8)
    check(
        torch.equal(first, again) and not torch.equal(first, other),
        "dropout_forward must draw its mask from `generator` when one is given: the same seed gives the "
        "same mask, another seed another mask.",
        f"x: {describe(x)}, p=0.5: seed 7 twice → {'the same' if torch.equal(first, again) else 'different'} "
        f"masks; seeds 7 and 8 → {'the same' if torch.equal(first, other) else 'different'} masks",
    )


@graded("dropout_forward", points=0.5)
def test_forward_rejects_bad_rate(impl):
    x = torch.randn(50)
    for p in BAD_RATES:
        try:
            support.forward(impl, x, p, True)
        except ValueError as exc:
            check(_names_p(exc), "dropout_forward's ValueError must name the argument p.", f"p={p}: {exc!r}")
        else:
            fail("dropout_forward must raise ValueError when p is outside [0, 1].", f"p={p} was accepted")
