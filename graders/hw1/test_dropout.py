"""Graders for HW1-Q1c, dropout by hand (module hw1/dropout).

dropout_forward is graded with a spy in place of inverted_dropout (its
output is marked, see dropout_probes), so a mistake in the scaling costs
points on inverted_dropout only; computing inverted dropout inline is
accepted too.
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail, graded, show
from dlkit.isolation import substituted
from graders.hw1 import dropout_probes as probes

MODULE = "hw1/dropout"

# The handout's example: a 4×4 layer output and a mask with eight zeros.
OUTPUT = torch.arange(1.0, 17.0).view(4, 4)
MASK = torch.tensor([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=torch.float32)
BAD_RATES = (-0.1, 1.5)

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)
rates = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])


@st.composite
def activations_and_masks(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    shape = draw(shapes)
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 1000)))
    x = torch.randn(shape, generator=gen, dtype=dtype)
    mask = (torch.rand(shape, generator=gen) < 0.6).to(dtype)
    return x, mask


def _rejects_bad_rate(impl, fn: str, *args) -> None:
    for p in BAD_RATES:
        try:
            call(fn, impl, *args, p)
        except ValueError as exc:
            check("p" in str(exc), f"{fn}'s ValueError must name the argument p.", f"p={p}: {exc!r}")
        else:
            fail(f"{fn} must raise ValueError when p is outside [0, 1].", f"p={p} was accepted")


# --------------------------------------------------------------------------
# apply_dropout_mask and drop_rate_from_mask


@graded("apply_dropout_mask", points=1)
@given(activations_and_masks())
def test_apply_mask(impl, case):
    x, mask = case
    out = call("apply_dropout_mask", impl, x, mask)
    check(
        isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == x.dtype,
        "apply_dropout_mask must return a tensor of the activations' shape and dtype.",
        f"x: {describe(x)} → {describe(out)}",
    )
    check(
        torch.equal(out, x * mask),
        "the training output of classic dropout is activations ⊙ mask (no scaling).",
        f"x: {describe(x)}, mask {show(mask)}",
    )


@graded("drop_rate_from_mask", points=1)
def test_drop_rate_worked_example(impl):
    rate = call("drop_rate_from_mask", impl, MASK)
    check(
        isinstance(rate, float) and rate == 0.5,
        "drop_rate_from_mask of the handout's mask (8 zeros of 16) must be the float 0.5.",
        f"got {show(rate)}",
    )


@graded("drop_rate_from_mask", points=1)
@given(activations_and_masks())
def test_drop_rate_properties(impl, case):
    _, mask = case
    rate = call("drop_rate_from_mask", impl, mask)
    want = (mask == 0).sum().item() / mask.numel()
    check(
        isinstance(rate, float) and abs(rate - want) < 1e-6,
        "the drop rate is the fraction of zero entries in the mask, as a float.",
        f"mask {show(mask)} → expected {want}, got {show(rate)}",
    )


# --------------------------------------------------------------------------
# classic_test_output


@graded("classic_test_output", points=1)
@given(activations_and_masks(), rates)
def test_classic_test_output(impl, case, p):
    x, _ = case
    out = call("classic_test_output", impl, x, p)
    check(
        isinstance(out, torch.Tensor) and out.dtype == x.dtype and torch.allclose(out, x * (1 - p)),
        "classic dropout at test time scales every unit by 1 − p.",
        f"x: {describe(x)}, p={p} → {describe(out) if isinstance(out, torch.Tensor) else show(out)}",
    )


@graded("classic_test_output", points=1)
def test_classic_worked_example(impl):
    out = call("classic_test_output", impl, OUTPUT, 0.5)
    check(
        isinstance(out, torch.Tensor) and torch.allclose(out, OUTPUT * 0.5),
        "the handout's test output (p = 0.5) is the layer output × 0.5.",
        f"got {show(out)}",
    )


@graded("classic_test_output", points=1)
def test_classic_rejects_bad_rate(impl):
    _rejects_bad_rate(impl, "classic_test_output", OUTPUT)


# --------------------------------------------------------------------------
# inverted_dropout


@graded("inverted_dropout", points=1)
def test_inverted_worked_example(impl):
    out = call("inverted_dropout", impl, OUTPUT, MASK, 0.5)
    check(
        isinstance(out, torch.Tensor) and torch.allclose(out, OUTPUT * MASK * 2),
        "inverted_dropout of the handout's example (p = 0.5) doubles the kept units and zeros the rest.",
        f"got {show(out)}",
    )


@graded("inverted_dropout", points=1)
@given(activations_and_masks(), rates)
def test_inverted_properties(impl, case, p):
    x, mask = case
    device = default_device()
    x, mask = x.to(device), mask.to(device)
    out = call("inverted_dropout", impl, x, mask, p)
    given_ = f"x: {describe(x)}, mask {show(mask)}, p={p}"
    check(
        isinstance(out, torch.Tensor) and out.shape == x.shape and out.dtype == x.dtype and out.device == x.device,
        "inverted_dropout must keep the activations' shape, dtype and device.",
        f"{given_} → {describe(out) if isinstance(out, torch.Tensor) else show(out)}",
    )
    check(bool(torch.isfinite(out).all()), "inverted_dropout must never give NaN or inf (p = 1 gives zeros).", given_)
    want = torch.zeros_like(x) if p == 1 else x * mask / (1 - p)
    check(
        torch.allclose(out, want),
        "inverted dropout at training time is activations ⊙ mask / (1 − p), and all zeros when p = 1.",
        given_,
    )


@graded("inverted_dropout", points=1)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_inverted_edge_rates(impl, dtype):
    x, mask = OUTPUT.to(dtype), MASK.to(dtype)
    every = call("inverted_dropout", impl, x, torch.ones_like(x), 0.0)
    check(
        torch.equal(every, x),
        "with p = 0 and nothing dropped, inverted_dropout is the identity.",
        f"x: {describe(x)} → {show(every)}",
    )
    none = call("inverted_dropout", impl, x, torch.zeros_like(x), 1.0)
    check(
        bool(torch.isfinite(none).all()) and bool((none == 0).all()),
        "with p = 1 every unit is dropped: inverted_dropout returns zeros, never NaN or inf "
        "(1 − p = 0 must not be divided by).",
        f"x: {describe(x)}, mask all zeros → {show(none)}",
    )
    half = call("inverted_dropout", impl, x, mask, 1.0)
    check(
        bool(torch.isfinite(half).all()) and bool((half == 0).all()),
        "with p = 1 the output is all zeros whatever the mask.",
        f"x: {describe(x)}, the handout's mask → {show(half)}",
    )


@graded("inverted_dropout", points=1)
def test_inverted_rejects_bad_rate(impl):
    _rejects_bad_rate(impl, "inverted_dropout", OUTPUT, MASK)


# --------------------------------------------------------------------------
# dropout_forward


def _forward(impl, *args, **kwargs):
    with substituted(impl, "dropout_forward", {"inverted_dropout": probes.spy_inverted}):
        return call("dropout_forward", impl, *args, **kwargs)


def _pair(out, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    check(
        isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out),
        "dropout_forward must return (output, mask).",
        f"{what} → {type(out).__name__}",
    )
    return out


@graded("dropout_forward", points=1)
@given(shapes, rates, st.integers(0, 1000))
def test_forward_modes(impl, shape, p, seed):
    device = default_device()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)
    out, mask = _pair(_forward(impl, x, p, False), f"dropout_forward(x, {p}, training=False)")
    check(
        torch.equal(out, x) and torch.equal(mask, torch.ones_like(x)),
        "when not training, dropout_forward returns x unchanged and an all-ones mask.",
        f"x: {describe(x)}, p={p}",
    )
    gen = torch.Generator().manual_seed(seed)
    out, mask = _pair(_forward(impl, x, p, True, gen), f"dropout_forward(x, {p}, training=True)")
    given_ = f"x: {describe(x)}, p={p}, training=True"
    check(
        mask.shape == x.shape and mask.dtype == x.dtype and mask.device == x.device,
        "the mask must have x's shape, dtype and device.",
        f"{given_} → mask {describe(mask)}",
    )
    check(bool(((mask == 0) | (mask == 1)).all()), "the mask must hold only zeros and ones.", f"{given_} → {show(mask)}")
    check(
        out.shape == x.shape and bool(torch.isfinite(out).all()),
        "the training output must have x's shape and no NaN or inf (p = 1 gives zeros).",
        given_,
    )
    if p == 0:
        check(torch.equal(mask, torch.ones_like(x)), "with p = 0 every unit is kept.", given_)
    through_spy = torch.allclose(out, probes.spy_inverted(x, mask, p))
    inline = bool((out == 0).all()) if p == 1 else torch.allclose(out, x * mask / (1 - p))
    check(
        through_spy or inline,
        "the training output must be inverted_dropout(x, mask, p) with the returned mask "
        "(all zeros when p = 1).",
        given_,
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


@graded("dropout_forward", points=1)
def test_forward_generator_and_bad_rate(impl):
    x = torch.randn(50)
    first = _pair(_forward(impl, x, 0.5, True, torch.Generator().manual_seed(7)), "dropout_forward")[1]
    again = _pair(_forward(impl, x, 0.5, True, torch.Generator().manual_seed(7)), "dropout_forward")[1]
    check(
        torch.equal(first, again),
        "dropout_forward must draw its mask from `generator` when one is given: the same seed, the same mask.",
    )
    for p in BAD_RATES:
        try:
            _forward(impl, x, p, True)
        except ValueError as exc:
            check("p" in str(exc), "dropout_forward's ValueError must name the argument p.", f"p={p}: {exc!r}")
        else:
            fail("dropout_forward must raise ValueError when p is outside [0, 1].", f"p={p} was accepted")
