"""Graders for HW7-Q4, the style modules of StyleGAN (module hw7/style_modules):
the functions pixel_norm, adain and style_mixing.

Per item: the handout's worked examples (expected values stored below as
numbers), then properties over drawn inputs that compare the student's
function with itself: the statistics AdaIN leaves, invariances, batch
independence, the crossover's edges. The classes are graded in
test_style_modules_networks.py.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call_for_tensor, call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw7 import style_modules_support as support

MODULE = "hw7/style_modules"
FEW = settings(max_examples=12)

# --------------------------------------------------------------------------
# pixel_norm

# The reference's values, stored: pixel_norm of each input (eps = 1e-8).
PN_WORKED = [
    ([[3.0, 4.0]], [[0.8485281370844457, 1.1313708494459276]]),
    ([[1.0, -2.0, 0.5], [-3.0, 0.0, 4.0]],
     [[0.7559289438586575, -1.511857887717315, 0.37796447192932875],
      [-1.039230483917788, 0.0, 1.3856406452237173]]),
]


@graded("pixel_norm", points=1)
def test_pixel_norm_worked_examples(impl):
    for rows, want in PN_WORKED:
        z = torch.tensor(rows, dtype=torch.float64)
        out = call_for_tensor("pixel_norm", impl, z)
        check(
            support.close(out, torch.tensor(want, dtype=torch.float64), torch.float64, slack=100),
            "pixel_norm must divide each row by its root mean square, z / sqrt(mean(z², dim=1) + eps): "
            "[[3, 4]] has RMS sqrt(12.5) = 3.5355 and becomes [[0.8485, 1.1314]].",
            f"z {rows} (float64) → {show(out)}",
            f"expected {want}",
        )
    zero = torch.zeros(2, 3)
    out = call_for_tensor("pixel_norm", impl, zero)
    check(
        bool(torch.isfinite(out).all()) and bool((out == 0).all()),
        "pixel_norm of a row of zeros must be zeros: eps inside the square root keeps the division finite.",
        f"z {zero.tolist()} → {show(out)}",
    )


@graded("pixel_norm", points=1)
@given(support.latents())
def test_pixel_norm_unit_mean_square(impl, z):
    out = call_for_tensor("pixel_norm", impl, z)
    check(tuple(out.shape) == tuple(z.shape), "pixel_norm must keep z's shape (N, D).",
          f"z: {describe(z)} → {describe(out)}")
    ms = out.double().square().mean(1)
    check(
        bool(((ms - 1).abs() < 1e-4).all()),
        "after pixel_norm every row (one sample) must have mean square 1 over its features: normalise "
        "each row by its own RMS, over dimension 1, never over the batch.",
        f"z {show(z)} ({describe(z)}) → {show(out)}",
        f"mean squares of the rows: {[round(v, 6) for v in ms.tolist()]}",
    )


@graded("pixel_norm", points=1)
@given(support.latents(), st.integers(0, 2**16))
def test_pixel_norm_scale_invariant_and_per_sample(impl, z, seed):
    dtype = z.dtype
    factors = (torch.rand(z.shape[0], 1, generator=support.seeded(seed), dtype=torch.float64) * 7.5 + 0.5).to(dtype)
    out = call_for_tensor("pixel_norm", impl, z)
    scaled = call_for_tensor("pixel_norm", impl, z * factors)
    check(
        # eps = 1e-8 in the mean square shifts a row of RMS 0.1 by 5e-7: the tolerance allows it.
        scaled.shape == out.shape and torch.allclose(scaled.double(), out.double(), rtol=1e-5, atol=1e-6),
        "pixel_norm must not depend on the size of a row: multiplying each row by its own positive "
        "factor must not change the result.",
        f"z {show(z)} ({describe(z)}) → {show(out)}",
        f"rows × {show(factors.flatten())} → {show(scaled)}",
    )
    for i in range(z.shape[0]):
        alone = call_for_tensor("pixel_norm", impl, z[i : i + 1])
        check(
            support.close(alone, out[i : i + 1], dtype, slack=10),
            "pixel_norm must normalise each sample on its own: a row alone must give what it gives in the batch.",
            f"z {show(z)} ({describe(z)}): row {i} in the batch → {show(out[i])}, alone → {show(alone)}",
        )


@graded("pixel_norm", points=0.5, secondary=True)
@FEW
@given(support.latents())
def test_pixel_norm_keeps_dtype_device_and_input(impl, z):
    z = z.to(default_device())
    out = call_keeping_inputs("pixel_norm", impl, z, names=("z",))
    check_like("pixel_norm", out, z, f"z: {describe(z)}")


# --------------------------------------------------------------------------
# adain

AD_X = [[[[0.0, 2.0], [4.0, 6.0]], [[1.0, 1.0], [1.0, 1.0]]],
        [[[-1.0, 1.0], [3.0, -3.0]], [[10.0, 0.0], [0.0, 0.0]]]]
AD_SCALE = [[2.0, 0.5], [1.0, 3.0]]
AD_BIAS = [[1.0, -1.0], [0.0, 2.0]]
# The reference's value, stored (eps = 1e-5).
AD_WANT = [[[[-1.6832788897221995, 0.10557370342593342], [1.8944262965740666, 3.6832788897221995]],
            [[-1.0, -1.0], [-1.0, -1.0]]],
           [[[-0.4472131482870333, 0.4472131482870333], [1.3416394448610998, -1.3416394448610998]],
            [[7.1961510370665405, 0.26794965431115303], [0.26794965431115303, 0.26794965431115303]]]]


@graded("adain", points=1)
def test_adain_worked_example(impl):
    x1 = torch.tensor(AD_X[0][:1], dtype=torch.float64)[None]
    s1, b1 = torch.tensor([[2.0]], dtype=torch.float64), torch.tensor([[1.0]], dtype=torch.float64)
    out = call_for_tensor("adain", impl, x1, s1, b1)
    want = torch.tensor(AD_WANT[0][:1], dtype=torch.float64)[None]
    check(
        # to the handout's 4 decimals: eps's share (about 1e-6 here) is graded with the statistics
        out.shape == want.shape and torch.allclose(out.double(), want, atol=1e-4, rtol=0),
        "adain must normalise each channel by its mean and population standard deviation over H × W, "
        "then scale and shift: the channel [[0, 2], [4, 6]] (mean 3, σ² = 5) with scale 2 and bias 1 "
        "becomes [[-1.6833, 0.1056], [1.8944, 3.6833]].",
        f"x {show(x1)}, style_scale [[2.0]], style_bias [[1.0]] (float64) → {show(out)}",
    )
    x, scale, bias = (torch.tensor(v, dtype=torch.float64) for v in (AD_X, AD_SCALE, AD_BIAS))
    out = call_for_tensor("adain", impl, x, scale, bias)
    check(
        out.shape == x.shape and torch.allclose(out.double(), torch.tensor(AD_WANT, dtype=torch.float64), atol=1e-4, rtol=0),
        "adain must use the statistics of each sample's each channel on its own, and that channel's "
        "style_scale[n, c] and style_bias[n, c] (a constant channel becomes its bias).",
        f"x {AD_X}, style_scale {AD_SCALE}, style_bias {AD_BIAS} (float64) → {show(out)}",
        f"expected {[[[[round(v, 4) for v in r] for r in c] for c in n] for n in AD_WANT]}",
    )


def _stats_text(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor) -> str:
    return f"x: {describe(x)}, style_scale {show(scale)}, style_bias {show(bias)}"


@graded("adain", points=1)
@given(support.feature_maps())
def test_adain_leaves_the_style_statistics(impl, case):
    x, scale, bias = case
    out = call_for_tensor("adain", impl, x, scale, bias)
    check(tuple(out.shape) == tuple(x.shape), "adain must keep x's shape (N, C, H, W).",
          f"{_stats_text(x, scale, bias)} → {describe(out)}")
    o = out.double()
    mean, std = o.mean((2, 3)), o.std((2, 3), unbiased=False)
    sigma = x.double().std((2, 3), unbiased=False)
    want_std = scale.double() * sigma / (sigma.square() + 1e-5).sqrt()  # σ / sqrt(σ² + eps): eps's share
    tol = 1e-4  # float32 rounding; also leaves eps's exact place to the hidden graders
    bad = ((mean - bias.double()).abs() > tol * (1 + scale.double())).nonzero().tolist()
    check(
        not bad,
        "after adain each channel of each sample must have mean style_bias[n, c]: take the mean per "
        "sample and per channel, over H × W only (not over the batch, not over the channels).",
        _stats_text(x, scale, bias),
        f"channel means of the output {show(mean)}, expected style_bias",
    )
    bad = ((std - want_std).abs() > tol * (1 + scale.double())).nonzero().tolist()
    check(
        not bad,
        "after adain each channel of each sample must have standard deviation style_scale[n, c]: divide "
        "by the standard deviation sqrt(σ² + eps) with the population variance (unbiased=False), not by "
        "the variance, and multiply by the scale.",
        _stats_text(x, scale, bias),
        f"channel standard deviations of the output {show(std)}, expected {show(want_std)}",
    )


@graded("adain", points=1)
@given(support.feature_maps(), st.integers(0, 2**16))
def test_adain_invariant_to_channel_affine_change(impl, case, seed):
    x, scale, bias = case
    gen = support.seeded(seed)
    n, c = scale.shape
    a = (torch.rand(n, c, 1, 1, generator=gen, dtype=torch.float64) * 2.5 + 0.5).to(x.dtype)
    b = (torch.randn(n, c, 1, 1, generator=gen, dtype=torch.float64) * 5).to(x.dtype)
    out = call_for_tensor("adain", impl, x, scale, bias)
    moved = call_for_tensor("adain", impl, a * x + b, scale, bias)
    same = (isinstance(moved, torch.Tensor) and moved.shape == out.shape
            and torch.allclose(moved.double(), out.double(), atol=3e-4 * (1 + float(scale.max())), rtol=1e-4))
    check(
        same,
        "adain removes each channel's own mean and spread, so multiplying a channel of one sample by "
        "a positive number and adding a constant must not change the output.",
        _stats_text(x, scale, bias) + f" → {show(out)}",
        f"x[n, c] × {show(a.flatten())} + {show(b.flatten())} → {show(moved)}",
    )


@graded("adain", points=1)
@given(support.feature_maps())
def test_adain_batch_independence(impl, case):
    x, scale, bias = case
    out = call_for_tensor("adain", impl, x, scale, bias)
    for i in range(x.shape[0]):
        alone = call_for_tensor("adain", impl, x[i : i + 1], scale[i : i + 1], bias[i : i + 1])
        check(
            support.close(alone, out[i : i + 1], x.dtype, slack=20),
            "adain must treat each sample on its own (instance normalisation, not batch normalisation): "
            "a sample alone must give what it gives in the batch.",
            _stats_text(x, scale, bias),
            f"sample {i} in the batch → {show(out[i])}, alone → {show(alone)}",
        )


@graded("adain", points=1)
def test_adain_constant_channel(impl):
    x = torch.tensor([[[[2.0, 2.0], [2.0, 2.0]], [[0.0, 1.0], [2.0, 3.0]]]])
    scale, bias = torch.tensor([[3.0, 1.0]]), torch.tensor([[0.5, -2.0]])
    out = call_for_tensor("adain", impl, x, scale, bias)
    check(
        tuple(out.shape) == (1, 2, 2, 2) and bool(torch.isfinite(out).all())
        and torch.allclose(out[0, 0], torch.full((2, 2), 0.5)),
        "a constant channel (σ = 0) must become its style_bias, not NaN: keep eps inside the square root, "
        "sqrt(σ² + eps).",
        f"x {x.tolist()}, style_scale {scale.tolist()}, style_bias {bias.tolist()} → {show(out)}",
    )


@graded("adain", points=0.5, secondary=True)
@FEW
@given(support.feature_maps())
def test_adain_keeps_dtype_device_and_inputs(impl, case):
    x, scale, bias = (t.to(default_device()) for t in case)
    out = call_keeping_inputs("adain", impl, x, scale, bias, names=("x", "style_scale", "style_bias"))
    check_like("adain", out, x, _stats_text(x, scale, bias))


# --------------------------------------------------------------------------
# style_mixing


def _layers_text(out: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor) -> str:
    names = []
    for layer in out:
        names.append("w1" if torch.equal(layer, w1) else "w2" if torch.equal(layer, w2) else "neither")
    return "[" + ", ".join(names) + "]"


def _mixing(impl, w1, w2, n_layers, crossover):
    out = call_for_tensor("style_mixing", impl, w1, w2, n_layers, crossover)
    want = (n_layers, *w1.shape)
    check(
        tuple(out.shape) == want,
        "style_mixing must return one (n_layers, N, w_dim) tensor: the latents of the layers stacked "
        "along a new first dimension.",
        f"w1, w2: {describe(w1)}, n_layers={n_layers}, crossover={crossover} → {describe(out)}, expected {want}",
    )
    return out


@graded("style_mixing", points=1)
def test_style_mixing_worked_example(impl):
    w1, w2 = torch.tensor([[1.0, 2.0]]), torch.tensor([[-1.0, 5.0]])
    out = _mixing(impl, w1, w2, 4, 1)
    check(
        torch.equal(out[0], w1) and all(torch.equal(out[i], w2) for i in (1, 2, 3)),
        "with 4 layers and crossover 1, layer 0 must get w1 and layers 1, 2, 3 must get w2.",
        f"w1 {w1.tolist()}, w2 {w2.tolist()}, n_layers=4, crossover=1 → layers {_layers_text(out, w1, w2)}",
    )


@graded("style_mixing", points=1)
@given(st.integers(1, 8))
def test_style_mixing_edges(impl, n_layers):
    w1, w2 = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[-1.0, 5.0], [0.5, 0.0]])
    for crossover, who, w in ((0, "w2", w2), (n_layers, "w1", w1)):
        out = _mixing(impl, w1, w2, n_layers, crossover)
        check(
            all(torch.equal(layer, w) for layer in out),
            f"crossover = {crossover} must give {who} to every layer (crossover is the first layer that "
            "takes w2: 0 means w2 everywhere, n_layers means w1 everywhere).",
            f"w1 {w1.tolist()}, w2 {w2.tolist()}, n_layers={n_layers}, crossover={crossover} "
            f"→ layers {_layers_text(out, w1, w2)}",
        )


@graded("style_mixing", points=1)
@given(support.mixing_cases())
def test_style_mixing_switches_once_at_crossover(impl, case):
    w1, w2, n_layers, crossover = case
    out = _mixing(impl, w1, w2, n_layers, crossover)
    text = f"w1, w2: {describe(w1)}, n_layers={n_layers}, crossover={crossover} → layers {_layers_text(out, w1, w2)}"
    check(
        all(torch.equal(out[i], w1) for i in range(crossover))
        and all(torch.equal(out[i], w2) for i in range(crossover, n_layers)),
        "layers 0 … crossover − 1 must get w1 exactly and layers crossover … n_layers − 1 must get w2 exactly.",
        text,
    )


@graded("style_mixing", points=0.5, secondary=True)
@FEW
@given(support.mixing_cases())
def test_style_mixing_keeps_dtype_device_and_inputs(impl, case):
    w1, w2, n_layers, crossover = case
    w1, w2 = w1.to(default_device()), w2.to(default_device())
    out = call_keeping_inputs("style_mixing", impl, w1, w2, n_layers, crossover, names=("w1", "w2"))
    check_like("style_mixing", out, w1, f"w1, w2: {describe(w1)}, n_layers={n_layers}, crossover={crossover}",
               shape=(n_layers, *w1.shape))
