"""Tolerances, messages and strategies for the knowledge-distillation graders.

soft_loss and distillation_loss are graded with marked spies in place of the
items they call (see distillation_probes), so an item's value is either the
one computed inline or the one built from a spy's output. The public graders
compare the student's functions with values stored as data and with
themselves; nothing here computes an item's value.
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import alone_values, describe, fail
from graders.hw1 import distillation_probes as probes
# The same checks of layouts and inputs as for the dropout items.
from graders.hw1.dropout_support import calls_text, on_layouts, tensor_call  # noqa: F401
from graders.strategies import layouts


def tolerance(dtype: torch.dtype, temperature: float = 1.0) -> float:
    """Absolute tolerance: rounding of float32 (or float64) log-probabilities,
    magnified by the T² factor."""
    return (1e-9 if dtype == torch.float64 else 2e-5) * max(1.0, temperature**2)


def close(got: torch.Tensor, want: torch.Tensor, temperature: float = 1.0) -> bool:
    """got (the student's dtype) ≈ want (float64), within tolerance()."""
    rtol = 1e-7 if got.dtype == torch.float64 else 1e-4
    return torch.allclose(got.detach().double().cpu(), want.double(), atol=tolerance(got.dtype, temperature), rtol=rtol)


def close_to_any(got: Any, wants: list[Any], temperature: float = 1.0) -> bool:
    """got ≈ one of `wants` (tensors or numbers), within tolerance()."""
    return isinstance(got, torch.Tensor) and any(
        close(got, torch.as_tensor(want, dtype=torch.float64), temperature) for want in wants)


def same_value(a: Any, b: Any, dtype: torch.dtype, temperature: float = 1.0, slack: float = 1.0) -> bool:
    """Two of the student's own results agree: within `slack` times the
    rounding of `dtype` (magnified by T², as tolerance()), absolute or relative."""
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape):
        return False
    rtol = 1e-7 if dtype == torch.float64 else 1e-4
    return torch.allclose(a.detach().double().cpu(), b.detach().double().cpu(),
                          atol=slack * tolerance(dtype, temperature), rtol=slack * rtol)


def expected_text(wants: list[Any]) -> str:
    """'expected 0.1234 (computed inline) or 3.21 (through the marked stand-in)'."""
    first, *rest = (f"{float(w):.6g}" for w in wants)
    return f"expected {first}" + "".join(f" or {r}" for r in rest) + (
        " (the first computed inline, the others from the graders' marked stand-ins for the items it calls)"
        if rest else "")


def alone(impl: Any, fn_name: str, *calls: tuple) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls`, with the spies in place of
    the items it calls: one round trip to the worker for them all."""
    return alone_values(impl, probes.values, fn_name, list(calls))


# --------------------------------------------------------------------------
# inputs

temperatures = st.sampled_from([0.5, 1.0, 2.0, 3.0, 5.0, 10.0])
alphas = st.sampled_from([0.0, 0.1, 0.5, 0.7, 0.9, 1.0])
float_dtypes = st.sampled_from([torch.float32, torch.float64])

# soft_targets' inputs in both layers: leading dimensions, classes, T, dtype, seed.
soft_target_inputs = given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.integers(1, 8),
    temperatures,
    float_dtypes,
    st.integers(0, 2**16),
)


def drawn_logits(lead: list[int], classes: int, dtype: torch.dtype, seed: int) -> tuple[torch.Tensor, torch.Generator]:
    """(*lead, classes) logits of scale 3 in `dtype`, and the generator that drew them."""
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(*lead, classes, generator=gen, dtype=torch.float64) * 3).to(dtype), gen


@st.composite
def logit_pairs(draw: st.DrawFn, scale: float = 3.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(student, teacher, labels): (B, C) logits of one drawn dtype and (B,) int64 labels."""
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(2, 8))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    student = (torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale).to(dtype)
    teacher = (torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale).to(dtype)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    return student, teacher, labels


# A batch of one first (what hypothesis shrinks to), then layouts a transpose
# can break: the leading dimensions of a 3-D or 4-D tensor cannot be merged
# with .view once the last two are transposed.
score_shapes = st.sampled_from([(1, 3), (3, 4), (2, 3, 4), (2, 2, 3, 5)])


@st.composite
def placed_scores(draw: st.DrawFn) -> tuple[torch.Tensor, bool]:
    """(logits, strided): (..., C) logits of a drawn dtype on the grading
    device (CUDA when present), and whether the item is also to be called
    with them laid out non-contiguously."""
    shape, dtype, strided = draw(score_shapes), draw(float_dtypes), draw(layouts)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    logits = (torch.randn(shape, generator=gen, dtype=torch.float64) * 3).to(dtype)
    return logits.to(default_device()), strided


@st.composite
def placed_batches(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
    """(student, teacher, labels, strided): (B, C) logits of a drawn dtype and
    (B,) int64 labels on the grading device, B = 1 among the batches, and
    whether the item is also to be called with them laid out non-contiguously."""
    batch, classes = draw(st.sampled_from([1, 3, 2])), draw(st.sampled_from([3, 2, 5]))
    dtype, strided = draw(float_dtypes), draw(layouts)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    student, teacher = ((torch.randn(batch, classes, generator=gen, dtype=torch.float64) * 3).to(dtype)
                        for _ in range(2))
    labels = torch.randint(0, classes, (batch,), generator=gen)
    device = default_device()
    return student.to(device), teacher.to(device), labels.to(device), strided


def inputs_text(strided: bool, **named: Any) -> str:
    """'student_logits: float64 (2, 3), temperature=2.0 (then …)': the inputs as a message shows them."""
    parts = [f"{k}: {describe(v)}" if isinstance(v, torch.Tensor) else f"{k}={v}" for k, v in named.items()]
    return ", ".join(parts) + (" (then the same values non-contiguous)" if strided else "")


def teacher_task(device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x, teacher_logits, labels) on `device`: 32 examples of 5 features, the
    logits of a fixed linear teacher over 4 classes, and its predicted classes."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(32, 5, generator=gen)
    teacher = x @ torch.randn(5, 4, generator=gen) * 2
    return x.to(device), teacher.to(device), teacher.argmax(1).to(device)


def given_text(student: torch.Tensor, teacher: torch.Tensor, temperature: float, **more: Any) -> str:
    """The smallest input, as the student reads it in a message."""
    extra = "".join(f", {k}={v if not isinstance(v, torch.Tensor) else v.tolist()}" for k, v in more.items())
    return (
        f"student_logits {student.tolist()}, teacher_logits {teacher.tolist()} "
        f"({str(student.dtype).removeprefix('torch.')}), temperature={temperature}{extra}"
    )


def is_scalar_of(value: Any, dtype: torch.dtype) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype == dtype
