"""Inputs and helpers shared by the multi-task graders (hw7/multitask), in the judge."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import fail
from graders.hw7 import multitask_probes as probes

SIZES = (12, 6, 2, 3)  # vocab_size, embed_dim, n_sentiments, n_topics
IGNORE = -100  # the handout's "no label for this task"


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(pred, target, n_classes): two (N,) int64 label vectors, 1 ≤ N ≤ 30, 1 ≤ C ≤ 6."""
    n_classes, n = draw(st.integers(1, 6)), draw(st.integers(1, 30))
    labels = st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)
    return torch.tensor(draw(labels)), torch.tensor(draw(labels)), n_classes


@st.composite
def labels_of(draw: st.DrawFn) -> tuple[torch.Tensor, int]:
    """(labels, n_classes): (N,) int64 labels, 1 ≤ N ≤ 40, 1 ≤ C ≤ 6."""
    n_classes = draw(st.integers(1, 6))
    return torch.tensor(draw(st.lists(st.integers(0, n_classes - 1), min_size=1, max_size=40))), n_classes


@st.composite
def task_batches(draw: st.DrawFn) -> dict[str, Any]:
    """Logits and labels of both tasks (in half the draws some labels are
    IGNORE), and class weights (or None) for each."""
    n, dtype = draw(st.integers(1, 6)), draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    s, t = draw(st.integers(2, 4)), draw(st.integers(2, 5))
    outputs = (torch.randn(n, s, generator=gen, dtype=torch.float64).to(dtype) * 2,
               torch.randn(n, t, generator=gen, dtype=torch.float64).to(dtype) * 2)
    targets = (torch.randint(s, (n,), generator=gen), torch.randint(t, (n,), generator=gen))
    if draw(st.booleans()):  # some examples unlabelled (IGNORE) for one task or both
        targets = tuple(torch.where(torch.rand(n, generator=gen) < 0.3, IGNORE, y) for y in targets)
    weights = tuple(
        (torch.rand(c, generator=gen, dtype=torch.float64) * 3 + 0.2).to(dtype) if draw(st.booleans()) else None
        for c in (s, t))
    return {"outputs": outputs, "targets": targets, "weights": weights}


def tokens(rows: list[list[int]], length: int) -> torch.Tensor:
    """(N, length) int64 token ids: each row padded with 0 on the right."""
    return torch.tensor([row + [0] * (length - len(row)) for row in rows])


def model_outputs(impl: Any, seed: int, batches: list[torch.Tensor], sizes: tuple = SIZES) -> list[Any]:
    result = impl.run(probes.model_outputs, sizes, seed, batches)
    if result["module"] is not None:
        fail(f"MultiTaskModel{sizes} must build an nn.Module; got {result['module']}.")
    return result["outputs"]


def is_pair_of(out: Any, n: int, sizes: tuple = SIZES) -> bool:
    return (isinstance(out, list) and len(out) == 2 and all(isinstance(o, torch.Tensor) for o in out)
            and tuple(out[0].shape) == (n, sizes[2]) and tuple(out[1].shape) == (n, sizes[3]))


def close(a: Any, b: Any, dtype: torch.dtype = torch.float32, slack: float = 1.0) -> bool:
    tol = (1e-5 if dtype == torch.float32 else 1e-10) * slack
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=tol * 10, atol=tol))
