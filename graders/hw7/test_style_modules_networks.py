"""Graders for HW7-Q4 (module hw7/style_modules): the classes MappingNetwork
and StyleAffine.

The student's classes are built in the worker by the procedures of
style_modules_probes and come back as evidence: their fully connected
layers, outputs, gradients. MappingNetwork runs with a marked spy in place
of pixel_norm (2 · z + 1), so a fault of pixel_norm costs nothing here; a
pixel norm written inline in forward counts as right too (its values on the
probe's input are stored below). The LeakyReLU slope is read from the
behaviour: with every fully connected layer set to the identity, what is
left of the network is its activations.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import check, describe, graded, show
from graders.hw7 import style_modules_probes as probes
from graders.hw7 import style_modules_support as support

MODULE = "hw7/style_modules"
FEW = settings(max_examples=8)

# --------------------------------------------------------------------------
# MappingNetwork

PROBE_Z = [[3.0, -4.0, 1.0, -2.0], [-0.5, 2.0, -1.0, 0.25]]
# The reference's pixel_norm(PROBE_Z), stored: for a pixel norm written inline.
PROBE_Z_NORMED = [[1.0954451142800354, -1.460593485706714, 0.3651483714266785, -0.730296742853357],
                  [-0.4338609140039536, 1.7354436560158144, -0.8677218280079072, 0.2169304570019768]]


def _mapping_text(z_dim: int, w_dim: int, n_layers: int | None) -> str:
    return f"MappingNetwork({z_dim}, {w_dim}" + ("" if n_layers is None else f", n_layers={n_layers}") + ")"


@graded("MappingNetwork", points=1)
@FEW
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(1, 4))
def test_mapping_layers_and_shapes(impl, z_dim, w_dim, n_layers, batch):
    z = torch.randn(batch, z_dim, generator=support.seeded(z_dim * 100 + w_dim))
    what = _mapping_text(z_dim, w_dim, n_layers)
    ev = support.module_evidence(impl.run(probes.mapping_evidence, z_dim, w_dim, n_layers, z), "MappingNetwork")
    want = [(z_dim, w_dim)] + [(w_dim, w_dim)] * (n_layers - 1)
    check(
        ev["linears"] == want,
        f"MappingNetwork(z_dim, w_dim, n_layers) must hold exactly n_layers nn.Linear layers: "
        f"Linear(z_dim, w_dim) first, then n_layers − 1 times Linear(w_dim, w_dim).",
        f"{what}: fully connected layers (in, out) {ev['linears']}, expected {want}",
    )
    out = ev["out"]
    check(
        isinstance(out, torch.Tensor) and tuple(out.shape) == (batch, w_dim),
        "MappingNetwork's forward must turn z (N, z_dim) into w (N, w_dim).",
        f"{what} on z: {describe(z)} → {ev['what']}",
    )


@graded("MappingNetwork", points=1)
def test_mapping_default_is_eight_layers(impl):
    z = torch.randn(2, 5, generator=support.seeded(0))
    ev = support.module_evidence(impl.run(probes.mapping_evidence, 5, 3, None, z), "MappingNetwork")
    check(
        len(ev["linears"]) == 8,
        "MappingNetwork's n_layers must default to 8, as in StyleGAN.",
        f"MappingNetwork(5, 3): {len(ev['linears'])} fully connected layers {ev['linears']}",
    )


def _identity_probe(impl, n_layers: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    z = torch.tensor(PROBE_Z)
    ev = support.module_evidence(impl.run(probes.mapping_identity, 4, n_layers, z), "MappingNetwork")
    what = (f"MappingNetwork(4, 4, n_layers={n_layers}) with every Linear set to the identity (weight I, "
            f"bias 0), pixel_norm replaced by the graders' marked stand-in 2 · z + 1, z {PROBE_Z}")
    out = ev["out"]
    check(isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 4),
          "MappingNetwork's forward must turn z (N, z_dim) into w (N, w_dim).", f"{what} → {ev['what']}")
    return z, out, what


@graded("MappingNetwork", points=1)
@given(st.integers(1, 3))
def test_mapping_normalises_z_first(impl, n_layers):
    # Positive values pass any of the activations unchanged: this reads what
    # went into the first layer, whatever the activation.
    z, out, what = _identity_probe(impl, n_layers)
    spied = probes.spy_pixel_norm_64(z)
    inline = torch.tensor(PROBE_Z_NORMED, dtype=torch.float64)
    o = out.double()

    def went_in(given_in: torch.Tensor) -> bool:
        positive = given_in > 0
        return torch.allclose(o[positive], given_in[positive], rtol=1e-5, atol=1e-6)

    hint = " It looks like z went into the first layer as it is." if went_in(z.double()) else ""
    check(
        went_in(spied) or went_in(inline),
        "MappingNetwork's forward must apply pixel_norm to z first (call your pixel_norm), then the layers."
        + hint,
        f"{what} → {show(out)}",
        f"expected the positive entries of the stand-in's output {show(spied)} to come out unchanged",
    )


@graded("MappingNetwork", points=1)
@given(st.integers(1, 3))
def test_mapping_leaky_relu_after_every_layer(impl, n_layers):
    z, out, what = _identity_probe(impl, n_layers)
    spied = probes.spy_pixel_norm_64(z)
    inline = torch.tensor(PROBE_Z_NORMED, dtype=torch.float64)
    o = out.double()
    for given_in in (spied, inline, z.double()):  # z as it is: that mistake is graded on its own
        negative, positive = given_in < 0, given_in > 0
        ratio_pos = o[positive] / given_in[positive]
        if torch.allclose(ratio_pos, torch.ones_like(ratio_pos), rtol=1e-5):
            break
    else:
        given_in = spied
        negative, positive = given_in < 0, given_in > 0
    ratios = o[negative] / given_in[negative]
    want = 0.2**n_layers
    check(
        torch.allclose(o[positive], given_in[positive], rtol=1e-5, atol=1e-6),
        "with identity layers a positive input must come out unchanged: LeakyReLU keeps positive values.",
        f"{what} → {show(out)}",
        f"pixel-normed input {show(given_in)}",
    )
    check(
        torch.allclose(ratios, torch.full_like(ratios, want), rtol=1e-4, atol=1e-7),
        f"every Linear must be followed by LeakyReLU with negative slope 0.2 (the last one too): with "
        f"{n_layers} identity layer{'s' if n_layers > 1 else ''} a negative input must come out multiplied by 0.2^{n_layers} = {want:g}.",
        f"{what} → {show(out)}",
        f"negative entries multiplied by {[round(r, 6) for r in ratios.tolist()]}",
    )


@graded("MappingNetwork", points=0.5, secondary=True)
def test_mapping_gradients_and_device(impl):
    device = default_device()
    z = torch.randn(3, 4, generator=support.seeded(1)).to(device)
    ev = support.module_evidence(impl.run(probes.mapping_evidence, 4, 6, 3, z), "MappingNetwork")
    what = f"MappingNetwork(4, 6, n_layers=3) on {device}, loss mean(w²)"
    out = ev["out"]
    check(isinstance(out, torch.Tensor) and out.device.type == device.type and out.dtype == torch.float32,
          f"MappingNetwork's output must be float32 on the input's device ({device}).", f"{what} → {ev['what']}")
    support.check_gradients(ev["grads"], "MappingNetwork", what)


# --------------------------------------------------------------------------
# StyleAffine


def _affine(impl, w_dim: int, channels: int, ws: list[torch.Tensor], backward: bool = False) -> dict:
    return support.module_evidence(impl.run(probes.affine_evidence, w_dim, channels, ws, backward), "StyleAffine")


@graded("StyleAffine", points=1)
@FEW
@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 4))
def test_affine_returns_scale_and_bias(impl, w_dim, channels, batch):
    w = torch.randn(batch, w_dim, generator=support.seeded(w_dim * 10 + channels))
    ev = _affine(impl, w_dim, channels, [w])
    what = f"StyleAffine({w_dim}, {channels}) on w: {describe(w)}"
    support.style_pair(ev["outs"][0], what, batch, channels, torch.float32)


@graded("StyleAffine", points=1)
@FEW
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**16))
def test_affine_is_affine_in_w_per_sample(impl, w_dim, channels, seed):
    gen = support.seeded(seed)
    a, b = torch.randn(1, w_dim, generator=gen), torch.randn(1, w_dim, generator=gen) * 2
    t = 0.3
    batch = torch.cat([a, b])
    ev = _affine(impl, w_dim, channels, [a, b, t * a + (1 - t) * b, batch])
    what = f"StyleAffine({w_dim}, {channels}), w_a {show(a)}, w_b {show(b)}"
    (sa, ba), (sb, bb), (sm, bm), (s2, b2) = (
        support.style_pair(o, what, len(w), channels, torch.float32) for o, w in zip(ev["outs"], [a, b, a, batch]))
    for part, fa, fb, fm in (("scale", sa, sb, sm), ("bias", ba, bb, bm)):
        mixed = t * fa.double() + (1 - t) * fb.double()
        check(
            torch.allclose(fm.double(), mixed, rtol=1e-4, atol=1e-5),
            f"StyleAffine's {part} must be an affine function of w (one nn.Linear): the {part} of "
            f"{t} · w_a + {1 - t:g} · w_b must be {t} · {part}(w_a) + {1 - t:g} · {part}(w_b).",
            f"{what}: {part}(w_a) {show(fa)}, {part}(w_b) {show(fb)}, {part}(mix) {show(fm)}, "
            f"expected {show(mixed)}",
        )
    check(
        not (torch.allclose(sa, sb) and torch.allclose(ba, bb)),
        "StyleAffine's style must depend on w: two different latents must give different styles.",
        f"{what}: both give scale {show(sa)}, bias {show(ba)}",
    )
    check(
        support.close(s2, torch.cat([sa, sb]), torch.float32, slack=10)
        and support.close(b2, torch.cat([ba, bb]), torch.float32, slack=10),
        "StyleAffine must treat each sample on its own: a batch of two latents must give each one's style.",
        f"{what}: batch [w_a, w_b] → scale {show(s2)}, bias {show(b2)}; alone → scales {show(sa)}, {show(sb)}",
    )


@graded("StyleAffine", points=1)
def test_affine_scale_about_one_at_init(impl):
    checks = [
        (16, 8, torch.zeros(3, 16), "w = 0", 0.5),
        (512, 32, torch.randn(4, 512, generator=support.seeded(0)) * 0.01, "w small (std 0.01)", 0.5),
    ]
    ev = _affine(impl, 16, 8, [checks[0][2]])
    ev_big = _affine(impl, 512, 32, [checks[1][2]])
    for (w_dim, channels, w, label, tol), e in zip(checks, (ev, ev_big)):
        what = f"StyleAffine({w_dim}, {channels}) as initialised, {label}"
        scale, _ = support.style_pair(e["outs"][0], what, len(w), channels, torch.float32)
        check(
            bool(((scale - 1).abs() < tol).all()),
            "at initialisation StyleAffine's scale must be around 1, so that the style first leaves the "
            "normalised maps as they are (initialise the scale half of the Linear's bias to 1); a scale "
            "around 0 wipes the feature maps out.",
            f"{what} → scale {show(scale)}",
        )


@graded("StyleAffine", points=0.5, secondary=True)
def test_affine_gradients_and_device(impl):
    device = default_device()
    w = torch.randn(3, 5, generator=support.seeded(2)).to(device)
    ev = _affine(impl, 5, 4, [w], backward=True)
    what = f"StyleAffine(5, 4) on {device}, loss sum(scale) + sum(bias)"
    out = ev["outs"][0]
    scale, bias = support.style_pair(out, what, 3, 4, torch.float32)
    check(scale.device.type == device.type and bias.device.type == device.type,
          f"StyleAffine's scale and bias must be on the input's device ({device}).",
          f"{what} → {describe(scale)}, {describe(bias)}")
    support.check_gradients(ev["grads"], "StyleAffine", what)
