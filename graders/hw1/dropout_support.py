"""Inputs and helpers shared by the dropout graders (hw1/dropout), in the judge."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import call, check
from dlkit.isolation import substituted
from graders.hw1 import dropout_probes as probes

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)
rates = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])


@st.composite
def activations_and_masks(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, mask): a float32 or float64 tensor of a drawn shape and a 0/1 mask of its shape and dtype."""
    shape = draw(shapes)
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(shape, generator=gen, dtype=dtype)
    mask = (torch.rand(shape, generator=gen) < 0.6).to(dtype)
    return x, mask


def forward(impl: Any, *args: Any, **kwargs: Any) -> Any:
    """impl.dropout_forward(*args, **kwargs) with the spy in place of inverted_dropout."""
    with substituted(impl, "dropout_forward", {"inverted_dropout": probes.spy_inverted}):
        return call("dropout_forward", impl, *args, **kwargs)


def pair(out: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """dropout_forward's result, failing unless it is (output, mask)."""
    check(
        isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out),
        "dropout_forward must return (output, mask).",
        f"{what} → {type(out).__name__}",
    )
    return out
