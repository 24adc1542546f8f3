# Student version of HW7-Q4, generated from solutions/hw7/style_modules.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw7/style_modules`.
# %% [markdown]
# # HW7-Q4 · The style modules of StyleGAN
#
# StyleGAN does not feed the latent noise `z` into the first layer of the
# generator. A **mapping network** first turns the normalised `z` into an
# intermediate latent `w`; at every layer a learned affine transform **A**
# turns `w` into a *style*, one scale and one bias per feature-map channel;
# and **AdaIN** (adaptive instance normalisation) normalises each channel of
# the feature maps and applies the style:
#
#     AdaIN(x_i, y) = y_s,i · (x_i − μ(x_i)) / σ(x_i) + y_b,i
#
# where μ and σ are the mean and standard deviation of channel i of one
# sample, over its spatial positions. **Style mixing** feeds the styles of
# one latent `w1` to the first layers and of another `w2` to the rest.
#
# You write the five pieces: `pixel_norm`, `MappingNetwork`, `StyleAffine`,
# `adain` and `style_mixing`. Every function returns new tensors and leaves
# the tensors it is given unchanged (no in-place operations on them); its
# result has the floating-point dtype (float32 or float64) and the device of
# its inputs.

# %%
from __future__ import annotations

import torch
from torch import nn

# %% [markdown]
# ## Pixel norm
#
# `pixel_norm(z, eps=1e-8)` divides each row of `z` (one latent vector per
# sample) by its root mean square over the features (dimension 1),
# `z / sqrt(mean(z², dim=1) + eps)`, so every row has unit RMS. Each sample is
# normalised on its own: never take the mean over the batch (dimension 0).
# For example `[[3, 4]]` has RMS `sqrt(12.5) = 3.5355` and becomes
# `[[0.8485, 1.1314]]`. The result has the shape and dtype of `z`.


# %%
def pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalise each latent vector to unit root mean square.

    Args:
        z: (N, D) floating-point tensor, one latent vector per row.
        eps: small constant added to the mean square (keeps a zero row finite).

    Returns:
        (N, D) tensor of z's dtype: z / sqrt(mean(z², dim=1, keepdim=True) + eps).
    """
    # YOUR CODE HERE
    raise NotImplementedError('pixel_norm: not implemented yet — see HW7-Q4')


# %% [markdown]
# ## The mapping network
#
# `MappingNetwork(z_dim, w_dim, n_layers=8)` is an `nn.Module` whose
# `forward(z)` first applies **your `pixel_norm`** to `z` (call it, do not
# rewrite it), then `n_layers` fully connected layers, **each** followed by
# `LeakyReLU` with negative slope 0.2 (the last one too):
# `nn.Linear(z_dim, w_dim)`, then `n_layers − 1` times `nn.Linear(w_dim, w_dim)`.
# StyleGAN uses 8 layers of 512 → 512. Build the layers from standard
# `torch.nn` layers (e.g. one `nn.Sequential` attribute) so the graders can
# count them. `z: (N, z_dim)` becomes `w: (N, w_dim)`.


# %%
class MappingNetwork(nn.Module):
    """z (N, z_dim) → w (N, w_dim): pixel_norm, then n_layers × (Linear, LeakyReLU(0.2)).

    Args:
        z_dim: length of the latent z.
        w_dim: length of the intermediate latent w (and width of every layer).
        n_layers: number of fully connected layers (≥ 1).
    """

    def __init__(self, z_dim: int, w_dim: int, n_layers: int = 8) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('MappingNetwork: not implemented yet — see HW7-Q4')

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (N, z_dim) float → w: (N, w_dim) of the layers' dtype."""
        # YOUR CODE HERE
        raise NotImplementedError('MappingNetwork: not implemented yet — see HW7-Q4')


# %% [markdown]
# ## The affine transform A
#
# `StyleAffine(w_dim, channels)` is an `nn.Module` whose `forward(w)` returns
# the pair `(scale, bias)`, each `(N, channels)`, an affine function of `w`
# (one `nn.Linear(w_dim, 2 · channels)` split in two halves will do). At
# initialisation the style must leave the feature maps as AdaIN normalised
# them: the scale is **around 1**, not 0. Initialise the linear layer's bias
# to 1 on the scale half and to 0 on the bias half, so that `w = 0` gives
# scale exactly 1 and bias exactly 0.


# %%
class StyleAffine(nn.Module):
    """w (N, w_dim) → (scale (N, channels), bias (N, channels)), affine in w.

    Args:
        w_dim: length of the intermediate latent w.
        channels: number of feature-map channels to style.
    """

    def __init__(self, w_dim: int, channels: int) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('StyleAffine: not implemented yet — see HW7-Q4')

    def forward(self, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """w: (N, w_dim) float → (scale, bias), each (N, channels)."""
        # YOUR CODE HERE
        raise NotImplementedError('StyleAffine: not implemented yet — see HW7-Q4')


# %% [markdown]
# ## AdaIN
#
# `adain(x, style_scale, style_bias, eps=1e-5)` normalises each channel of
# each sample of `x: (N, C, H, W)` over its `H × W` positions — the mean and
# the **population** variance (`unbiased=False`, as `nn.InstanceNorm2d`) per
# sample and per channel, never over the batch or over the channels — and
# applies the style:
# `style_scale[n, c] · (x[n, c] − μ) / sqrt(σ² + eps) + style_bias[n, c]`.
# Divide by the standard deviation, not the variance, and keep `eps` inside
# the square root: a constant channel (σ = 0) must give `style_bias`, not NaN.
# Afterwards each channel has mean `style_bias[n, c]` and standard deviation
# `style_scale[n, c]` (up to eps). For example the channel `[[0, 2], [4, 6]]`
# (mean 3, σ² = 5) with scale 2 and bias 1 becomes
# `[[-1.6833, 0.1056], [1.8944, 3.6833]]`.


# %%
def adain(
    x: torch.Tensor, style_scale: torch.Tensor, style_bias: torch.Tensor, eps: float = 1e-5
) -> torch.Tensor:
    """Adaptive instance normalisation.

    Args:
        x: (N, C, H, W) floating-point feature maps.
        style_scale: (N, C) scale of each sample's channels, x's dtype.
        style_bias: (N, C) bias of each sample's channels, x's dtype.
        eps: added to the variance before the square root.

    Returns:
        (N, C, H, W) tensor of x's dtype: each channel of each sample
        normalised over H × W, times its scale, plus its bias.
    """
    # YOUR CODE HERE
    raise NotImplementedError('adain: not implemented yet — see HW7-Q4')


# %% [markdown]
# ## Style mixing
#
# `style_mixing(w1, w2, n_layers, crossover)` returns the latent each of the
# generator's `n_layers` layers receives, as one `(n_layers, N, w_dim)`
# tensor: layers `0 … crossover − 1` take `w1`, layers `crossover …
# n_layers − 1` take `w2`. So `crossover = 0` gives `w2` everywhere and
# `crossover = n_layers` gives `w1` everywhere; with 4 layers and crossover
# 1, layer 0 gets `w1` and layers 1, 2, 3 get `w2`.


# %%
def style_mixing(w1: torch.Tensor, w2: torch.Tensor, n_layers: int, crossover: int) -> torch.Tensor:
    """Per-layer latents of a style-mixed sample.

    Args:
        w1: (N, w_dim) latents of the coarse (early-layer) styles.
        w2: (N, w_dim) latents of the remaining styles, same dtype.
        n_layers: number of styled layers.
        crossover: in [0, n_layers]; the first layer that takes w2.

    Returns:
        (n_layers, N, w_dim) tensor: entry i is w1 for i < crossover, w2 otherwise.
    """
    # YOUR CODE HERE
    raise NotImplementedError('style_mixing: not implemented yet — see HW7-Q4')
