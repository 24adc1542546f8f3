"""Inputs and helpers shared by the dropout graders (hw1/dropout), in the judge."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import GradingFailure, call_keeping_inputs, check, describe, fail, show
from dlkit.isolation import substituted
from dlkit.judge import WorkerFailed
from graders.hw1 import dropout_probes as probes
from graders.strategies import float_dtypes, layouts, noncontiguous

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)
rates = st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])
# A batch of one first (what hypothesis shrinks to), then layouts a transpose
# can break: 2-D and 3-D shapes whose last two sizes exceed 1.
layout_shapes = st.sampled_from([(1, 4), (1,), (3, 1), (2, 3), (4, 4), (1, 3, 2), (2, 3, 4)])


@st.composite
def activations_and_masks(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, mask): a float32 or float64 tensor of a drawn shape and a 0/1 mask of its shape and dtype."""
    shape = draw(shapes)
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(shape, generator=gen, dtype=dtype)
    mask = (torch.rand(shape, generator=gen) < 0.6).to(dtype)
    return x, mask


@st.composite
def placed_inputs(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """(x, mask, strided): x float32 or float64 on the grading device (CUDA
    when present), a 0/1 mask of its shape, dtype and device, and whether the
    item is also to be called with them laid out non-contiguously."""
    shape, dtype, strided = draw(layout_shapes), draw(float_dtypes), draw(layouts)
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(shape, generator=gen, dtype=dtype).to(default_device())
    mask = (torch.rand(shape, generator=gen) < 0.6).to(dtype).to(x.device)
    return x, mask, strided


def inputs_text(strided: bool, **named: Any) -> str:
    """'x: float64 (2, 3), p=0.5 (then non-contiguous)': the inputs as a message shows them."""
    parts = [f"{k}: {describe(v)}" if isinstance(v, torch.Tensor) and k != "mask" else
             f"{k} {show(v)}" if isinstance(v, torch.Tensor) else f"{k}={v}" for k, v in named.items()]
    return ", ".join(parts) + (" (then the same values non-contiguous)" if strided else "")


def calls_text(what: str, strided: bool) -> tuple[str, str]:
    """How a message names the contiguous call and the non-contiguous one."""
    plain = what.removesuffix(" (then the same values non-contiguous)")
    return plain, (f"{plain}, non-contiguous" if strided else plain)


def tensor_call(fn_name: str, impl: Any, *args: Any, names: tuple[str, ...] = ("activations", "mask")) -> torch.Tensor:
    """impl.fn_name(*args), failing if it changed a tensor it was given or
    returned something other than a tensor."""
    out = call_keeping_inputs(fn_name, impl, *args, names=names)
    if not isinstance(out, torch.Tensor):
        fail(f"{fn_name} must return a torch.Tensor, got {describe(out)}.")
    return out


def on_layouts(
    fn_name: str, impl: Any, args: tuple, names: tuple[str, ...], strided: bool, what: str
) -> tuple[Any, Any]:
    """(result for `args`, result for the same values with every tensor laid
    out non-contiguously): the second call is made only when `strided`, else
    the first result is returned twice. Neither call may change its inputs;
    a non-contiguous call that raises where the contiguous one did not fails
    with that property."""
    plain = call_keeping_inputs(fn_name, impl, *args, names=names)
    if not strided:
        return plain, plain
    # A one-element tensor is contiguous whatever its strides (and the channel
    # cannot carry one with a stride other than 1), so it is sent as it is.
    laid = tuple(noncontiguous(a) if isinstance(a, torch.Tensor) and a.numel() > 1 else a for a in args)
    try:
        out = call_keeping_inputs(fn_name, impl, *laid, names=names)
    except (GradingFailure, NotImplementedError, WorkerFailed):
        raise
    except Exception as exc:  # the student's code raised on a layout it accepted contiguous
        kind = getattr(exc, "remote_type", type(exc).__name__)
        fail(
            f"{fn_name} must accept non-contiguous tensors (a transposed or sliced view) as it accepts "
            "contiguous ones.",
            what,
            f"contiguous: no error; the same values non-contiguous: {kind}: {exc}",
        )
    return plain, out


def forward(impl: Any, *args: Any, **kwargs: Any) -> Any:
    """impl.dropout_forward(*args, **kwargs) with the spy in place of
    inverted_dropout, failing if it changed x."""
    with substituted(impl, "dropout_forward", {"inverted_dropout": probes.spy_inverted}):
        return call_keeping_inputs("dropout_forward", impl, *args, names=("x",), **kwargs)


def pair(out: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """dropout_forward's result, failing unless it is (output, mask)."""
    check(
        isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out),
        "dropout_forward must return (output, mask).",
        f"{what} → {type(out).__name__}",
    )
    return out
