"""Reference values for the hidden dropout graders (hw1/dropout): the
handout's formulas, in float64 where they compute."""
from __future__ import annotations

import torch


def masked(activations: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Classic dropout at training time: activations ⊙ mask."""
    return activations * mask


def drop_rate(mask: torch.Tensor) -> float:
    """The fraction of zero entries of `mask`."""
    return (mask == 0).sum().item() / mask.numel()


def classic_test(activations: torch.Tensor, p: float) -> torch.Tensor:
    """Classic dropout at test time: activations × (1 − p), in float64."""
    return activations.double() * (1 - p)


def inverted(activations: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout at training time: activations ⊙ mask / (1 − p), zeros at p = 1, in float64."""
    if p == 1:
        return torch.zeros_like(activations, dtype=torch.float64)
    return activations.double() * mask.double() / (1 - p)
