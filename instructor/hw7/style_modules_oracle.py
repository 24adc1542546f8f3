"""Reference formulas for the hidden style-module graders (hw7/style_modules).

The handout's formulas in float64. MappingNetwork is graded with the
graders' marked spy in place of pixel_norm (graders/hw7/style_modules_probes),
so its reference takes the spy's output, or the true pixel norm for a
forward that normalises inline: both count as right.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from graders.hw7 import style_modules_probes as probes


def pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    z = z.double()
    return z / torch.sqrt(z.square().mean(dim=1, keepdim=True) + eps)


def adain(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    x = x.double()
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    return scale.double()[:, :, None, None] * (x - mean) / torch.sqrt(var + eps) + bias.double()[:, :, None, None]


def style_mixing(w1: torch.Tensor, w2: torch.Tensor, n_layers: int, crossover: int) -> torch.Tensor:
    layers = torch.arange(n_layers)[:, None, None]
    return torch.where(layers < crossover, w1[None], w2[None])


def mapping_candidates(layers: list[tuple[torch.Tensor, torch.Tensor | None]], z: torch.Tensor) -> list[torch.Tensor]:
    """The network's output from its own parameters (in module order): after
    the spy, or after the true pixel norm."""
    outs = []
    for h in (probes.spy_pixel_norm_64(z), pixel_norm(z)):
        for weight, bias in layers:
            h = F.linear(h, weight.double(), None if bias is None else bias.double())
            h = F.leaky_relu(h, 0.2)
        outs.append(h)
    return outs
