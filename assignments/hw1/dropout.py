# Student version of HW1-Q1c, generated from solutions/hw1/dropout.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw1/dropout`.
# %% [markdown]
# # HW1-Q1c · Dropout by hand
#
# During training, dropout multiplies a layer's output by a random **mask**
# of zeros and ones: each unit is dropped (set to 0) with probability `p`,
# the *drop rate*, and kept with probability `1 − p`.
#
# The handout gives a 4×4 layer output and a 4×4 mask with eight zeros, so
# `p = 8 / 16 = 0.5`. Two formulations keep the expected output of a unit
# the same at training and test time:
#
# * **classic** dropout multiplies by the mask at training time and scales
#   the whole output by `1 − p` at test time;
# * **inverted** dropout (what `torch.nn.Dropout` does) scales the kept
#   units by `1 / (1 − p)` at training time and leaves the output unchanged
#   at test time.
#
# Edge cases matter: `p = 0` keeps everything, and `p = 1` drops everything,
# so the output is all zeros — never NaN or inf from dividing by `1 − p = 0`.
# A drop rate outside [0, 1] is an error (`ValueError` naming `p`).
#
# Every function here returns new tensors and leaves the ones it is given
# unchanged (no in-place operations on them); it keeps their dtype (float32
# or float64) and device, and accepts any memory layout, a transposed view
# as well as a contiguous tensor.

# %%
from __future__ import annotations

import torch

# %% [markdown]
# ## Reading a given mask
#
# `apply_dropout_mask(activations, mask)` is the training-time output of
# classic dropout: the element-wise product. `drop_rate_from_mask(mask)`
# reads the drop rate off a mask: the fraction of its entries that are zero,
# as a Python float.


# %%
def apply_dropout_mask(activations: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Classic dropout at training time.

    Args:
        activations: (...) float tensor, a layer's output.
        mask: tensor of the same shape, 1 for kept and 0 for dropped units.

    Returns:
        activations ⊙ mask, with activations' shape, dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('apply_dropout_mask: not implemented yet — see HW1-Q1c')


# %%
def drop_rate_from_mask(mask: torch.Tensor) -> float:
    """The drop rate a mask implies.

    Args:
        mask: (...) tensor of zeros (dropped) and ones (kept), at least one entry.

    Returns:
        The fraction of zero entries, a float in [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('drop_rate_from_mask: not implemented yet — see HW1-Q1c')


# %% [markdown]
# ## Test time and inverted dropout
#
# `classic_test_output(activations, p)` is classic dropout at test time:
# every unit scaled by `1 − p`.
#
# `inverted_dropout(activations, mask, p)` is inverted dropout at training
# time: `activations ⊙ mask / (1 − p)`, and all zeros when `p = 1`.
#
# Both raise `ValueError` naming `p` when `p` is outside [0, 1].


# %%
def classic_test_output(activations: torch.Tensor, p: float) -> torch.Tensor:
    """Classic dropout at test time.

    Args:
        activations: (...) float tensor.
        p: drop rate in [0, 1].

    Returns:
        activations × (1 − p), same shape, dtype and device.

    Raises:
        ValueError: p is outside [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('classic_test_output: not implemented yet — see HW1-Q1c')


# %%
def inverted_dropout(activations: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout at training time.

    Args:
        activations: (...) float tensor.
        mask: same shape, 1 for kept and 0 for dropped units.
        p: drop rate in [0, 1].

    Returns:
        activations ⊙ mask / (1 − p); all zeros when p = 1. Same shape, dtype
        and device as activations.

    Raises:
        ValueError: p is outside [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('inverted_dropout: not implemented yet — see HW1-Q1c')


# %% [markdown]
# ## A dropout layer
#
# `dropout_forward(x, p, training, generator=None)` is a whole dropout layer
# in the inverted formulation. When training, it samples a keep-mask (1 =
# kept, with probability `1 − p`; same shape, dtype and device as `x`),
# drawing from `generator` when one is given, and returns
# `(inverted_dropout(x, mask, p), mask)`. When not training it returns `x`
# unchanged and an all-ones mask. The expected training output then equals
# the test output: averaged over many masks, the output approaches `x`.


# %%
def dropout_forward(
    x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A dropout layer (inverted dropout).

    Args:
        x: (...) float tensor.
        p: drop rate in [0, 1].
        training: sample a mask and scale (True) or pass x through (False).
        generator: optional random generator for the mask; without one the
            mask is drawn from torch's global generator.

    Returns:
        (output, mask): output with x's shape, dtype and device; mask of the
        same shape and dtype, 1 for kept and 0 for dropped units (all ones
        when not training).

    Raises:
        ValueError: p is outside [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('dropout_forward: not implemented yet — see HW1-Q1c')
