"""Hidden graders for HW7-Q4, the style modules of StyleGAN (module
hw7/style_modules): each item against the reference formulas on drawn inputs
(see style_modules_oracle). MappingNetwork runs with the public graders'
marked spy in place of pixel_norm, and is compared with the formula applied
to its own parameters; StyleAffine, whose parameters are its own, with the
affine map its answers to the unit vectors define.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw7 import style_modules_probes as probes
from graders.hw7 import style_modules_support as support
from instructor.hw7 import style_modules_oracle as oracle

MODULE = "hw7/style_modules"
FEW = settings(max_examples=8)


def _close(out, want, dtype) -> bool:
    tol = 1e-7 if dtype == torch.float64 else 1e-4
    return isinstance(out, torch.Tensor) and out.shape == want.shape and torch.allclose(
        out.detach().double().cpu(), want, rtol=tol, atol=tol)


@graded("pixel_norm", points=1)
@given(support.latents())
def test_pixel_norm_matches_reference(impl, z):
    out = call_keeping_inputs("pixel_norm", impl, z, names=("z",))
    check_like("pixel_norm", out, z, f"z: {describe(z)}")
    want = oracle.pixel_norm(z)
    check(_close(out, want, z.dtype), "pixel_norm must be z / sqrt(mean(z², dim=1) + eps).",
          f"z {show(z)} ({describe(z)}) → {show(out)}", f"expected {show(want)}")


@graded("adain", points=1)
@given(support.feature_maps())
def test_adain_matches_reference(impl, case):
    x, scale, bias = case
    out = call_keeping_inputs("adain", impl, x, scale, bias, names=("x", "style_scale", "style_bias"))
    check_like("adain", out, x, f"x: {describe(x)}")
    want = oracle.adain(x, scale, bias)
    check(_close(out, want, x.dtype),
          "adain must be style_scale · (x − μ) / sqrt(σ² + eps) + style_bias, with μ and the population σ² "
          "of each sample's each channel over H × W.",
          f"x: {describe(x)}, style_scale {show(scale)}, style_bias {show(bias)}")


@graded("style_mixing", points=1)
@given(support.mixing_cases())
def test_style_mixing_matches_reference(impl, case):
    w1, w2, n_layers, crossover = case
    out = call_keeping_inputs("style_mixing", impl, w1, w2, n_layers, crossover, names=("w1", "w2"))
    want = oracle.style_mixing(w1, w2, n_layers, crossover)
    check_like("style_mixing", out, w1, f"w1, w2: {describe(w1)}", shape=tuple(want.shape))
    check(torch.equal(out.cpu(), want),
          "style_mixing must give w1 to layers 0 … crossover − 1 and w2 to the others.",
          f"w1, w2: {describe(w1)}, n_layers={n_layers}, crossover={crossover}")


@graded("MappingNetwork", points=1)
@FEW
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**16))
def test_mapping_matches_reference(impl, z_dim, w_dim, n_layers, seed):
    z = torch.randn(3, z_dim, generator=support.seeded(seed))
    ev = support.module_evidence(impl.run(probes.mapping_parameters, z_dim, w_dim, n_layers, z), "MappingNetwork")
    what = f"MappingNetwork({z_dim}, {w_dim}, n_layers={n_layers}) as initialised, z: {describe(z)}"
    wants = oracle.mapping_candidates(ev["layers"], z)
    check(
        any(_close(ev["out"], want, torch.float32) for want in wants),
        "MappingNetwork must be pixel_norm, then n_layers × (Linear, LeakyReLU(0.2)), applied in that order.",
        f"{what} → {ev['what']} {show(ev['out'])}",
        f"expected {show(wants[0])} (with the graders' stand-in for pixel_norm)",
    )


@graded("StyleAffine", points=1)
@FEW
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**16))
def test_affine_matches_its_affine_map(impl, w_dim, channels, seed):
    basis = torch.cat([torch.zeros(1, w_dim), torch.eye(w_dim)])
    w = torch.randn(4, w_dim, generator=support.seeded(seed)) * 2
    ev = support.module_evidence(impl.run(probes.affine_evidence, w_dim, channels, [basis, w]), "StyleAffine")
    what = f"StyleAffine({w_dim}, {channels}), w: {describe(w)}"
    (sb, bb), (sw, bw) = (support.style_pair(o, what, len(x), channels, torch.float32)
                          for o, x in zip(ev["outs"], [basis, w]))
    for part, at_basis, got in (("scale", sb, sw), ("bias", bb, bw)):
        at_basis = at_basis.double()
        want = at_basis[0] + w.double() @ (at_basis[1:] - at_basis[0])
        check(torch.allclose(got.double(), want, rtol=1e-4, atol=1e-4),
              f"StyleAffine's {part} must be an affine function of each sample's w.",
              f"{what} → {part} {show(got)}, expected {show(want)}")


@graded("StyleAffine", points=1)
def test_affine_scale_about_one_at_stylegan_size(impl):
    w = torch.randn(64, 512, generator=support.seeded(3))
    ev = support.module_evidence(impl.run(probes.affine_evidence, 512, 32, [w]), "StyleAffine")
    what = "StyleAffine(512, 32) as initialised, w ~ N(0, 1) of shape (64, 512)"
    scale, _ = support.style_pair(ev["outs"][0], what, 64, 32, torch.float32)
    mean = float(scale.double().mean())
    check(abs(mean - 1) < 0.2, "at initialisation StyleAffine's scale must be about 1 on average.",
          f"{what} → mean scale {mean:.4f}")
