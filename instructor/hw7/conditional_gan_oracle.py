"""Reference formulas for the conditional GAN's hidden graders (hw7/conditional_gan).

Everything here runs in the judge, on evidence the worker returned: the
probe networks' parameters and outputs (conditional_gan_probes), a block's
own layers. These compute the items' answers, so they never ship.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from dlkit.grading.checks import fail
from graders.hw7.conditional_gan_support import LossCase

# --------------------------------------------------------------------------
# get_input_dimensions


def input_dimensions(z_dim: int, mnist_shape: tuple[int, int, int], n_classes: int) -> tuple[int, int]:
    return z_dim + n_classes, mnist_shape[0] + n_classes


# --------------------------------------------------------------------------
# the losses, on the probe networks of a LossCase


def _fake(evidence: dict[str, Any]) -> torch.Tensor:
    fake = evidence["gen_out"]
    if not isinstance(fake, torch.Tensor):
        fail("the generator was never called: fake images come from gen(...).")
    return fake


def _scores(case: LossCase, evidence: dict[str, Any], images: torch.Tensor) -> torch.Tensor:
    """The probe discriminator's logits for images with their label maps,
    recomputed in float64 from its parameters."""
    x = torch.cat([images.double().cpu(), case.image_one_hot().double()], 1).flatten(1)
    return F.linear(x, evidence["disc_weight"].double().cpu(), evidence["disc_bias"].double().cpu())


def disc_loss(case: LossCase, evidence: dict[str, Any]) -> torch.Tensor:
    """mean(BCE(fake scores, 0), BCE(real scores, 1)) with BCE on logits."""
    fake_term = F.softplus(_scores(case, evidence, _fake(evidence))).mean()
    real_term = F.softplus(-_scores(case, evidence, case.real)).mean()
    return (fake_term + real_term) / 2


def gen_loss(case: LossCase, evidence: dict[str, Any]) -> torch.Tensor:
    """BCE(fake scores, 1) with BCE on logits."""
    return F.softplus(-_scores(case, evidence, _fake(evidence))).mean()


# --------------------------------------------------------------------------
# the blocks, recomputed from their own layers


def _conv(x: torch.Tensor, conv: dict[str, Any]) -> torch.Tensor:
    if conv["padding_mode"] != "zeros":
        raise ValueError("only zero padding")
    if conv["transposed"]:
        return F.conv_transpose2d(x, conv["weight"], conv["bias"], conv["stride"], conv["padding"],
                                  conv["output_padding"], conv["groups"], conv["dilation"])
    return F.conv2d(x, conv["weight"], conv["bias"], conv["stride"], conv["padding"], conv["dilation"], conv["groups"])


def block_output(evidence: dict[str, Any], x: torch.Tensor, final: bool, transposed: bool) -> tuple[torch.Tensor, str]:
    """What the block of `evidence` must give for x in training mode, and the rule in words:
    ReLU(BN(ConvT(x))) or Tanh(ConvT(x)); LeakyReLU_0.2(BN(Conv(x))) or Conv(x)."""
    with torch.no_grad():
        z = _conv(x, evidence["convs"][0])
        if final:
            if transposed:
                return torch.tanh(z), "Tanh(ConvTranspose2d(x))"
            return z, "Conv2d(x) with no activation"
        bn = evidence["norms"][0]
        z = F.batch_norm(z, None, None, bn["weight"], bn["bias"], training=True, eps=bn["eps"])
        if transposed:
            return F.relu(z), "ReLU(BatchNorm2d(ConvTranspose2d(x)))"
        return F.leaky_relu(z, 0.2), "LeakyReLU(negative_slope=0.2)(BatchNorm2d(Conv2d(x)))"
