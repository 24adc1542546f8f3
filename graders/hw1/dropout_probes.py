"""Grader code that runs in the worker, next to the submission (hw1/dropout).

Nothing here answers an item: the stand-in for inverted_dropout is a spy
with a marked output the judge recomputes, not inverted dropout.
"""
from __future__ import annotations

from typing import Any

import torch

from dlkit.isolation import substituted
from dlkit.judge import in_worker

SPY_OFFSET = 3.0


@in_worker
def spy_inverted(activations: torch.Tensor, mask: torch.Tensor, p: float) -> torch.Tensor:
    """activations ⊙ mask + 3 + p: marked, so the judge sees it came back untouched."""
    return activations * mask + (SPY_OFFSET + p)


@in_worker
def forward_draws(impl: Any, x: torch.Tensor, p: float, draws: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """dropout_forward(x, p, True) `draws` times after seeding the global
    generator (the `generator` argument is an extension graded on its own),
    with the spy in place of inverted_dropout: (outputs, masks), each
    (draws, *x.shape)."""
    torch.manual_seed(seed)
    outputs, masks = [], []
    with substituted(impl, "dropout_forward", {"inverted_dropout": spy_inverted}):
        for _ in range(draws):
            out, mask = impl.dropout_forward(x, p, True)
            outputs.append(torch.as_tensor(out, dtype=x.dtype))
            masks.append(torch.as_tensor(mask, dtype=x.dtype))
    return torch.stack(outputs), torch.stack(masks)
