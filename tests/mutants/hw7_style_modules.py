"""Realistic wrong answers to HW7-Q4 (hw7/style_modules), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: MappingNetwork is graded with a stand-in for pixel_norm, so a broken
pixel norm costs points once, where it is written. ASSIGNMENTS.md lists no
seed answers' mistakes for HW7-Q4; the AdaIN mistakes come first, as the
brief of the module names them.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/style_modules"

_PN = "return z / torch.sqrt(z.pow(2).mean(dim=1, keepdim=True) + eps)"
_LAYERS = "layers += [nn.Linear(z_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU(0.2)]"
_MEAN = "mean = x.mean(dim=(2, 3), keepdim=True)"
_VAR = "var = x.var(dim=(2, 3), keepdim=True, unbiased=False)"
_NORMED = "normalised = (x - mean) / torch.sqrt(var + eps)"
_STYLED = "return style_scale[:, :, None, None] * normalised + style_bias[:, :, None, None]"
_MIX = "return torch.stack([w1 if i < crossover else w2 for i in range(n_layers)])"

MUTANTS: list[Variant] = [
    # ------------------------------------------------------------------ adain
    Variant(
        MODULE,
        name="adain_batch_statistics",
        item="adain",
        why="taking the mean and variance over the batch as well (dims 0, 2, 3) is batch norm, the "
        "normalisation students know best; a batch of one hides it.",
        old=_MEAN + "\n    " + _VAR,
        new="mean = x.mean(dim=(0, 2, 3), keepdim=True)\n"
        "    var = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)",
    ),
    Variant(
        MODULE,
        name="adain_over_channels_too",
        item="adain",
        why="normalising over (C, H, W) is layer norm: every channel of a sample shares one mean and "
        "spread, so the per-channel style cannot set each channel's statistics.",
        old=_MEAN + "\n    " + _VAR,
        new="mean = x.mean(dim=(1, 2, 3), keepdim=True)\n"
        "    var = x.var(dim=(1, 2, 3), keepdim=True, unbiased=False)",
    ),
    Variant(
        MODULE,
        name="adain_divides_by_variance",
        item="adain",
        why="the formula's σ is the standard deviation; dividing by σ² + eps is a square root forgotten.",
        old=_NORMED,
        new="normalised = (x - mean) / (var + eps)",
    ),
    Variant(
        MODULE,
        name="adain_no_eps",
        item="adain",
        why="the handout's formula has no eps, and without it a constant channel divides 0 by 0.",
        old=_NORMED,
        new="normalised = (x - mean) / torch.sqrt(var)",
    ),
    Variant(
        MODULE,
        name="adain_scale_and_bias_swapped",
        item="adain",
        why="y_s and y_b look alike in the formula, and the arguments are easy to use in the wrong roles.",
        old=_STYLED,
        new="return style_bias[:, :, None, None] * normalised + style_scale[:, :, None, None]",
    ),
    Variant(
        MODULE,
        name="adain_unbiased_std",
        item="adain",
        why="torch.var and torch.std divide by n − 1 by default; instance norm uses the population "
        "variance, as nn.InstanceNorm2d does.",
        old=_VAR,
        new="var = x.var(dim=(2, 3), keepdim=True)",
    ),
    # ------------------------------------------------------------- pixel_norm
    Variant(
        MODULE,
        name="pixel_norm_over_batch",
        item="pixel_norm",
        why="dim=0 averages each feature over the batch instead of each sample over its features; a "
        "batch of one hides it.",
        old=_PN,
        new="return z / torch.sqrt(z.pow(2).mean(dim=0, keepdim=True) + eps)",
    ),
    Variant(
        MODULE,
        name="pixel_norm_l2_norm",
        item="pixel_norm",
        why="dividing by the Euclidean norm (F.normalize) gives unit length, not unit root mean square: "
        "the rows come out sqrt(D) times too small.",
        old=_PN,
        new="return z / torch.sqrt(z.pow(2).sum(dim=1, keepdim=True) + eps)",
    ),
    Variant(
        MODULE,
        name="pixel_norm_no_sqrt",
        item="pixel_norm",
        why="dividing by the mean square itself forgets the root of 'root mean square'.",
        old=_PN,
        new="return z / (z.pow(2).mean(dim=1, keepdim=True) + eps)",
    ),
    # --------------------------------------------------------- MappingNetwork
    Variant(
        MODULE,
        name="mapping_without_pixel_norm",
        item="MappingNetwork",
        why="feeding z to the layers as it is forgets the normalisation StyleGAN applies first.",
        old="return self.net(pixel_norm(z))",
        new="return self.net(z)",
    ),
    Variant(
        MODULE,
        name="mapping_relu",
        item="MappingNetwork",
        why="nn.ReLU is the activation students reach for; StyleGAN's mapping uses LeakyReLU(0.2).",
        old=_LAYERS,
        new="layers += [nn.Linear(z_dim if i == 0 else w_dim, w_dim), nn.ReLU()]",
    ),
    Variant(
        MODULE,
        name="mapping_default_slope",
        item="MappingNetwork",
        why="nn.LeakyReLU() without an argument has slope 0.01, not StyleGAN's 0.2.",
        old=_LAYERS,
        new="layers += [nn.Linear(z_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU()]",
    ),
    Variant(
        MODULE,
        name="mapping_one_layer_short",
        item="MappingNetwork",
        why="counting the first Linear(z_dim, w_dim) apart and then looping n_layers − 1 times, "
        "minus one more, gives n_layers − 1 layers.",
        old="for i in range(n_layers):",
        new="for i in range(n_layers - 1):",
    ),
    Variant(
        MODULE,
        name="mapping_no_activation_after_last",
        item="MappingNetwork",
        why="an MLP usually ends on a bare Linear; here the last layer is followed by LeakyReLU too.",
        old="self.net = nn.Sequential(*layers)",
        new="self.net = nn.Sequential(*layers[:-1])",
    ),
    # ------------------------------------------------------------ StyleAffine
    Variant(
        MODULE,
        name="affine_scale_around_zero",
        item="StyleAffine",
        why="nn.Linear's default bias is about 0, so the scale starts around 0 and wipes out the "
        "feature maps; the scale half of the bias must start at 1.",
        old="self.linear.bias[:channels].fill_(1.0)",
        new="self.linear.bias[:channels].zero_()",
    ),
    Variant(
        MODULE,
        name="affine_returns_bias_first",
        item="StyleAffine",
        why="splitting the Linear's output in the other order returns (bias, scale).",
        old="return style[:, : self.channels], style[:, self.channels :]",
        new="return style[:, self.channels :], style[:, : self.channels]",
    ),
    Variant(
        MODULE,
        name="affine_split_over_batch",
        item="StyleAffine",
        why="chunking along dimension 0 splits the batch instead of the features.",
        old="return style[:, : self.channels], style[:, self.channels :]",
        new="return style[: self.channels], style[self.channels :]",
    ),
    # ----------------------------------------------------------- style_mixing
    Variant(
        MODULE,
        name="mixing_crossover_off_by_one",
        item="style_mixing",
        why="'switch at the crossover layer' read as 'the crossover layer still takes w1'.",
        old=_MIX,
        new="return torch.stack([w1 if i <= crossover else w2 for i in range(n_layers)])",
    ),
    Variant(
        MODULE,
        name="mixing_latents_swapped",
        item="style_mixing",
        why="giving w2 to the early layers swaps coarse and fine styles.",
        old=_MIX,
        new="return torch.stack([w2 if i < crossover else w1 for i in range(n_layers)])",
    ),
    Variant(
        MODULE,
        name="mixing_concatenated",
        item="style_mixing",
        why="torch.cat joins the layers' latents along the batch, (n_layers · N, w_dim), instead of "
        "stacking them along a new dimension.",
        old=_MIX,
        new="return torch.cat([w1 if i < crossover else w2 for i in range(n_layers)])",
    ),
]
