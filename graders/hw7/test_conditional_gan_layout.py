"""Graders for HW7-Q8 (module hw7/conditional_gan): the tensor items on the
inputs real code gets besides the handout's examples: float32 and float64
noise, non-contiguous inputs (a slice, a transpose), a batch of one, tensors
on the GPU when there is one, and inputs left as they were given.

The documented dtype is what is checked, no more: the one-hot's dtype is
left open (F.one_hot's int64 and a .float() of it both serve), and
combine_vectors must return a floating-point tensor (torch.cat's promotion
and a .float() of both inputs both serve).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call_keeping_inputs, check, describe, fail, graded, show
from dlkit.judge.client import WorkerFailed
from graders.strategies import float_dtypes, layouts, noncontiguous

MODULE = "hw7/conditional_gan"


def _shown(t: torch.Tensor) -> str:
    return f"{describe(t)}{'' if t.is_contiguous() else ' (non-contiguous)'} on {t.device}"


def _call(fn: str, impl, args: tuple, names: tuple[str, ...], given_: str, rule: str) -> object:
    """call_keeping_inputs, with an exception of the student's code reported
    with its input's layout and device (what this test varies)."""
    try:
        return call_keeping_inputs(fn, impl, *args, names=names)
    except (AssertionError, NotImplementedError, WorkerFailed):
        raise
    except Exception as exc:
        fail(rule, f"{given_} raised {type(exc).__name__}: {str(exc)[:300]}")


def _on_device(fn: str, out: object, like: torch.Tensor, given_: str) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        fail(f"{fn} must return a tensor.", f"{given_} → {describe(out)}")
    check(
        out.device == like.device,
        f"{fn} must return its result on its inputs' device ({like.device}): create any new tensor "
        "there (device=x.device), never on a fixed device.",
        f"{given_} → {describe(out)} on {out.device}",
    )
    return out


def _strided(t: torch.Tensor) -> torch.Tensor:
    """t in a non-contiguous layout where it can have one (a tensor of one
    element, or one whose strides torch still calls contiguous, stays as it is)."""
    out = noncontiguous(t)
    return t if out.is_contiguous() else out


@st.composite
def one_hot_cases(draw: st.DrawFn) -> tuple[torch.Tensor, int]:
    """(labels, n_classes): a batch of labels (N,) or (N, M), N = 1 included,
    contiguous or not, on the graders' device."""
    k = draw(st.integers(1, 10))
    shape = draw(st.sampled_from([(1,), (1, 1), (1, 3), (3,), (4, 2), (2, 5)]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    labels = torch.randint(0, k, shape, generator=gen)
    if draw(layouts):
        labels = _strided(labels)
    return labels.to(default_device()), k


@graded("get_one_hot_labels", points=1, secondary=True)
@given(one_hot_cases())
def test_one_hot_any_layout_and_device(impl, case):
    labels, k = case
    given_ = f"labels {_shown(labels)} = {show(labels)}, n_classes={k}"
    out = _call("get_one_hot_labels", impl, (labels, k), ("labels", "n_classes"), given_,
                "get_one_hot_labels must accept labels of any memory layout (non-contiguous ones too, as a "
                "slice or a transpose gives), a batch of one, on any device.")
    out = _on_device("get_one_hot_labels", out, labels, given_)
    # Properties only (a public grader holds no answer): the shape, a single 1 per vector, at the label.
    values = out.double()
    check(
        tuple(out.shape) == (*labels.shape, k)
        and bool(((values == 0) | (values == 1)).all()) and bool((values.sum(-1) == 1).all())
        and bool((values.argmax(-1) == labels).all()),
        "get_one_hot_labels must give one one-hot vector per label (a single 1, at the label's index), "
        "shape labels.shape + (n_classes,), for any batch (one label too) and any memory layout of labels.",
        given_,
        f"got {show(out)}",
    )


@st.composite
def combine_cases(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(noise or images, one-hot labels or label maps): float32 or float64
    x, int64 or float y, N = 1 included, each contiguous or not, on the
    graders' device."""
    n = draw(st.sampled_from([1, 1, 2, 3]))
    a, b = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    rest = draw(st.sampled_from([(), (3, 3), (2, 4)]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    # Any numeric values are in the domain (noise, images): spread wider than N(0, 1).
    x = (4 * torch.randn(n, a, *rest, generator=gen)).to(draw(float_dtypes))
    y = F.one_hot(torch.randint(0, b, (n,), generator=gen), b)
    if rest:
        y = y[:, :, None, None].expand(n, b, *rest).contiguous()
    y = y.to(draw(st.sampled_from([torch.int64, torch.float32, torch.float64])))
    if draw(layouts):
        x = _strided(x)
    if draw(layouts):
        y = _strided(y)
    device = default_device()
    return x.to(device), y.to(device)


@graded("combine_vectors", points=1, secondary=True)
@given(combine_cases())
def test_combine_any_dtype_layout_and_device(impl, pair):
    x, y = pair
    given_ = f"x: {_shown(x)}, y: {_shown(y)}"
    out = _call("combine_vectors", impl, (x, y), ("x", "y"), given_,
                "combine_vectors must accept float32 and float64 noise, inputs of any memory layout "
                "(non-contiguous ones too, as a slice or a transpose gives), a batch of one, on any device.")
    out = _on_device("combine_vectors", out, x, given_)
    check(
        out.dtype.is_floating_point,
        "combine_vectors must return a floating-point tensor, whatever the input dtypes.",
        f"{given_} → {describe(out)}",
    )
    want = (x.shape[0], x.shape[1] + y.shape[1], *x.shape[2:])
    check(
        tuple(out.shape) == want,
        "combine_vectors must concatenate along dimension 1, for any batch (one example too) and any "
        "memory layout: (N, a, ...) + (N, b, ...) → (N, a + b, ...).",
        f"{given_} → expected {want}, got {tuple(out.shape)}",
    )
    a = x.shape[1]
    # float32 is enough precision for the noise (a .float() of float64 noise is fine).
    close = torch.allclose(out[:, :a].double(), x.double(), rtol=1e-6, atol=1e-6) and torch.equal(
        out[:, a:].double(), y.double())
    check(close, "combine_vectors must keep the values: x's entries first, then y's.", given_)
