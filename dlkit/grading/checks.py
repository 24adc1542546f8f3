"""What grader tests are written with: the item/points decorator and checks
whose failure messages are sentences for the student."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])


class GradingFailure(AssertionError):
    """A property of the student's code does not hold; the message says which."""


def graded(item: str, points: float, time_limit: float | None = None, secondary: bool = False) -> Callable[[F], F]:
    """Mark a grader test as worth `points` towards the assignment item `item`;
    `time_limit` (seconds) replaces the default limit of one test.
    `secondary`: the points count only when the item's other tests pass too —
    for properties that any shape-keeping function has (the input's dtype
    kept, its inputs unchanged), which are worth nothing on wrong values."""

    def mark(fn: F) -> F:
        fn = pytest.mark.item(item)(pytest.mark.points(points)(fn))
        if secondary:
            fn = pytest.mark.secondary(fn)
        return pytest.mark.time_limit(time_limit)(fn) if time_limit else fn

    return mark


def check(condition: object, message: str, *details: str) -> None:
    """Fail the test with `message` (and indented `details`) unless `condition` holds."""
    if not condition:
        fail(message, *details)


def fail(message: str, *details: str) -> None:
    """Fail the test with a sentence for the student and indented details."""
    raise GradingFailure("\n  ".join((message, *details)))


def describe(value: Any) -> str:
    """A short description of a value for messages: 'int64 (2, 3)' for tensors."""
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        where = "" if value.device.type == "cpu" else f" on {value.device}"
        return f"{dtype} {tuple(value.shape)}{where}"
    if isinstance(value, (list, tuple)):
        text = repr(value)
        if len(value) > 8 or len(text) > 80:
            return f"a {type(value).__name__} of length {len(value)}, not a tensor"
        return f"a {type(value).__name__} {text}"
    remote = getattr(value, "remote_type_name", None)
    if isinstance(remote, str):  # an object that stayed in the worker
        return f"a {remote} (your own class, not a torch.Tensor)"
    return repr(value)


def show(value: Any, limit: int = 300) -> str:
    """The value itself, shortened for a message (tensors as nested lists)."""
    import torch

    if isinstance(value, torch.Tensor):
        text = f"{value.tolist()}" if value.numel() <= 64 else describe(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call(fn_name: str, impl: Any, *args: Any, **kwargs: Any) -> Any:
    """Call impl.fn_name(*args, **kwargs), failing with a clear sentence if it
    is missing or not callable (a renamed function, a stray assignment)."""
    fn = getattr(impl, fn_name, None)
    if fn is None:
        fail(f"{fn_name} is missing: define a function with exactly that name.")
    if not callable(fn):
        fail(f"{fn_name} must be a function; got {type(fn).__name__}.")
    return fn(*args, **kwargs)


def call_for_tensor(fn_name: str, impl: Any, *args: Any, **kwargs: Any) -> Any:
    """call(), for an item that returns a tensor: anything else fails first, by
    its type ("apply_dropout_mask must return a torch.Tensor, got a list …"),
    so the student is not left comparing values that look right."""
    import torch

    out = call(fn_name, impl, *args, **kwargs)
    if not isinstance(out, torch.Tensor):
        fail(f"{fn_name} must return a torch.Tensor, got {describe(out)}.")
    return out


def _tensors_in(value: Any, path: str) -> list[tuple[str, Any]]:
    import torch

    if isinstance(value, torch.Tensor):
        return [(path, value)]
    if isinstance(value, (list, tuple)):
        return [pair for i, v in enumerate(value) for pair in _tensors_in(v, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _tensors_in(v, f"{path}[{k!r}]")]
    return []


def call_keeping_inputs(fn_name: str, impl: Any, *args: Any, names: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """call(), failing if the student's function changed a tensor it was given
    (an in-place ``x[mask == 0] = 0`` or ``x.mul_(…)`` on the caller's data).
    `names` are the positional arguments' names, for the message."""
    import torch

    given = [(names[i] if i < len(names) else f"argument {i + 1}", a) for i, a in enumerate(args)]
    given += list(kwargs.items())
    before = [(name, t, t.detach().clone()) for n, a in given for name, t in _tensors_in(a, n)]
    out = call(fn_name, impl, *args, **kwargs)
    for name, t, kept in before:
        same = t.shape == kept.shape and bool(torch.equal(t.detach(), kept) or (
            t.is_floating_point() and torch.equal(t.detach().isnan(), kept.isnan())
            and torch.equal(t.detach().nan_to_num(), kept.nan_to_num())))
        check(same, f"{fn_name} must not change its input {name} in place: the caller's tensor must be left "
              "as it was, and the result be a new tensor.",
              f"{name} before: {show(kept)}", f"{name} after: {show(t)}")
    return out


def check_like(fn_name: str, out: Any, like: Any, what: str, *, dtype: Any = "same", shape: Any = "same") -> None:
    """Fail unless `out` is a tensor on `like`'s device, of `like`'s dtype (or
    `dtype`) and shape (or `shape`; None skips it). `what` describes the call."""
    import torch

    if not isinstance(out, torch.Tensor):
        fail(f"{fn_name} must return a torch.Tensor, got {describe(out)}.", what)
    want_dtype = like.dtype if dtype == "same" else dtype
    check(out.dtype == want_dtype,
          f"{fn_name} must return {str(want_dtype).removeprefix('torch.')}"
          + (" for a " + str(like.dtype).removeprefix("torch.") + " input: the result keeps the input's dtype"
             if dtype == "same" else "") + ".",
          f"{what} → {describe(out)}")
    check(out.device == like.device,
          f"{fn_name} must return its result on the input's device ({like.device}).",
          f"{what} → {describe(out)}")
    want_shape = tuple(like.shape) if shape == "same" else (None if shape is None else tuple(shape))
    if want_shape is not None:
        check(tuple(out.shape) == want_shape, f"{fn_name} must return a tensor of shape {want_shape}.",
              f"{what} → {describe(out)}")


def alone_values(impl: Any, values_probe: Callable[..., Any], fn_name: str, calls: list[tuple]) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls` through `values_probe`,
    an in_worker procedure (impl, fn_name, calls) → {"values": [...]} or
    {"missing": "missing" | type name} that puts the module's spies in place
    of the items fn_name calls: one round trip to the worker for them all."""
    result = impl.run(values_probe, fn_name, calls)
    if "missing" in result:
        if result["missing"] == "missing":
            fail(f"{fn_name} is missing: define a function with exactly that name.")
        fail(f"{fn_name} must be a function; got {result['missing']}.")
    return result["values"]
