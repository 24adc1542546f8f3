"""Hypothesis strategies shared by every grader.

Sizes stay small: graders run dozens of times a day on students' laptops,
and the smallest counterexample is what the student reads.
"""
from __future__ import annotations

import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from dlkit.judge.codec import noncontiguous  # noqa: F401  (re-exported for graders)

# Derandomised, databaseless, bounded runs: the same submission gets the same
# score every time, and nothing is written. Loaded when the graders package is
# imported — before any @given test is decorated, since hypothesis fixes a
# test's settings then — and only in processes that grade.
GRADING_PROFILE = "dlkit-grading"
settings.register_profile(
    GRADING_PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(GRADING_PROFILE)

INT_DTYPES = (torch.int64, torch.int32, torch.uint8)
FLOAT_DTYPES = (torch.float32, torch.float64)

batch_sizes = st.integers(min_value=1, max_value=5)
float_dtypes = st.sampled_from(FLOAT_DTYPES)
# Whether a drawn input is laid out non-contiguously (a transposed or strided view).
layouts = st.booleans()
n_classes = st.integers(min_value=1, max_value=12)
small_dims = st.integers(min_value=1, max_value=6)


@st.composite
def label_tensors(draw: st.DrawFn, max_dims: int = 3) -> tuple[torch.Tensor, int]:
    """(labels, n_classes): an int64 tensor of 0..max_dims dimensions with
    entries in [0, n_classes)."""
    k = draw(n_classes)
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=max_dims))
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, k, tuple(shape), generator=gen), k


@st.composite
def tensors(draw: st.DrawFn, shape: tuple[int, ...], dtypes=INT_DTYPES + FLOAT_DTYPES) -> torch.Tensor:
    """A tensor of the given shape and a drawn dtype, with small distinct-ish values."""
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    values = torch.randint(0, 100, shape, generator=gen)
    if dtype.is_floating_point:
        return (values.to(dtype) - 50) / 7
    return values.to(dtype)


@st.composite
def paired_tensors(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) with equal sizes except dimension 1: vectors (N, a), (N, b) or
    image maps (N, C, H, W), (N, K, H, W), of independently drawn dtypes."""
    n = draw(batch_sizes)
    a, b = draw(small_dims), draw(small_dims)
    rest = tuple(draw(st.sampled_from([(), (3,), (2, 3), (4, 4)])))
    return draw(tensors((n, a, *rest))), draw(tensors((n, b, *rest)))
