"""Strategies, tolerances and messages for the StyleGAN style-module graders
(hw7/style_modules), judge side.

The classes' evidence comes from the procedures of style_modules_probes;
the checks here read it. Nothing here computes an item's value: the public
graders compare the student's code with values stored as data and with
itself (invariances, batch independence, the statistics AdaIN must leave).
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import check, describe, fail

float_dtypes = st.sampled_from([torch.float32, torch.float64])


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def close(a: Any, b: Any, dtype: torch.dtype, slack: float = 1.0) -> bool:
    """Two tensors agree within the rounding of `dtype` (times `slack`)."""
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape):
        return False
    tol = 1e-9 if dtype == torch.float64 else 2e-5
    return torch.allclose(a.detach().double().cpu(), b.detach().double().cpu(), atol=slack * tol, rtol=slack * tol)


def leaky(h: torch.Tensor, slope: float, times: int) -> torch.Tensor:
    """LeakyReLU(slope) applied `times` times (the activations of a network
    whose fully connected layers the probe set to the identity)."""
    for _ in range(times):
        h = torch.where(h >= 0, h, slope * h)
    return h


# --------------------------------------------------------------------------
# inputs


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@st.composite
def latents(draw: st.DrawFn) -> torch.Tensor:
    """(N, D) latents of a drawn dtype whose rows have root mean squares
    from 0.1 to 100 (far above eps = 1e-8)."""
    n, d = draw(st.integers(2, 5)), draw(st.integers(1, 8))
    dtype, gen = draw(float_dtypes), seeded(draw(st.integers(0, 2**16)))
    rms = torch.logspace(-1, 2, n, dtype=torch.float64)[torch.randperm(n, generator=gen)][:, None]
    r = torch.randn(n, d, generator=gen, dtype=torch.float64)
    return (r / r.square().mean(1, keepdim=True).sqrt() * rms).to(dtype)


@st.composite
def feature_maps(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, scale, bias): (N, C, H, W) maps whose channels have different
    means (about ±5) and spreads (0.5 to 4) from sample to sample, and (N, C)
    styles (scales 0.5 to 3, some negative biases), one drawn dtype."""
    n, c = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    h, w = draw(st.sampled_from([(2, 2), (3, 4), (4, 4), (5, 3)]))
    dtype, gen = draw(float_dtypes), seeded(draw(st.integers(0, 2**16)))
    spread = torch.rand(n, c, 1, 1, generator=gen, dtype=torch.float64) * 3.5 + 0.5
    centre = torch.randn(n, c, 1, 1, generator=gen, dtype=torch.float64) * 5
    r = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64)
    r = (r - r.mean((2, 3), keepdim=True)) / r.std((2, 3), unbiased=False, keepdim=True)
    x = r * spread + centre  # each channel's population std is exactly its spread
    scale = torch.rand(n, c, generator=gen, dtype=torch.float64) * 2.5 + 0.5
    bias = torch.randn(n, c, generator=gen, dtype=torch.float64) * 2
    return x.to(dtype), scale.to(dtype), bias.to(dtype)


@st.composite
def mixing_cases(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """(w1, w2, n_layers, crossover): two different (N, w_dim) latents of one
    dtype, 1 to 10 layers, a crossover in [0, n_layers]."""
    n, d = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    n_layers = draw(st.integers(1, 10))
    crossover = draw(st.integers(0, n_layers))
    dtype, gen = draw(float_dtypes), seeded(draw(st.integers(0, 2**16)))
    w1 = torch.randn(n, d, generator=gen, dtype=torch.float64).to(dtype)
    w2 = (torch.randn(n, d, generator=gen, dtype=torch.float64) + 10).to(dtype)
    return w1, w2, n_layers, crossover


# --------------------------------------------------------------------------
# the classes' evidence


def module_evidence(evidence: dict[str, Any], name: str) -> dict[str, Any]:
    """The evidence of a procedure that built the student's `name`, failing
    with a sentence when there is no such class or it is not an nn.Module."""
    if evidence.get("missing"):
        fail(f"{name} is missing: define a class with exactly that name.")
    if not evidence.get("module"):
        fail(f"{name} must be an nn.Module subclass; {name}(...) gave a {evidence.get('type')}.")
    return evidence


def check_gradients(report: dict[str, list[str]] | None, name: str, what: str) -> None:
    check(report is not None, f"the output of {name} must be differentiable with respect to its parameters.", what)
    assert report is not None
    check(not report["missing"], f"gradient must reach every parameter of {name}.", what,
          f"no gradient for: {', '.join(report['missing'])}")
    check(not report["nonfinite"], f"the gradients of {name}'s parameters must be finite.", what,
          f"NaN or inf in: {', '.join(report['nonfinite'])}")


def style_pair(out: Any, what: str, n: int, channels: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """StyleAffine's returned (scale, bias), checked to be two (N, channels) tensors of w's dtype."""
    if not isinstance(out, list):
        fail("StyleAffine's forward must return a pair (scale, bias) of tensors.", f"{what} → {out}")
    scale, bias = out
    for part, value in (("scale", scale), ("bias", bias)):
        check(tuple(value.shape) == (n, channels),
              f"StyleAffine's {part} must have shape (N, channels) = ({n}, {channels}): one value per "
              "sample and per channel.", f"{what} → {part} {describe(value)}")
        check(value.dtype == dtype, f"StyleAffine's {part} must have w's dtype ({dtype_name(dtype)}).",
              f"{what} → {part} {describe(value)}")
    return scale, bias
