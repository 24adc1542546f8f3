"""Running a student's function with other objects in place of the names it
looks up.

Graders grade an item that calls other items (a loss that calls
combine_vectors, a trainer that calls the vocabulary) with plain stand-ins
for those, so one mistake costs points on its own item only; experiments
wrap what a student's function calls (the objective a study runs). The
stand-ins go into the function's own globals — a module's or a notebook's —
and are taken out again afterwards.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Mapping


@contextlib.contextmanager
def substituted(impl: Any, fn_name: str, stand_ins: Mapping[str, Any]) -> Iterator[None]:
    """Run impl.`fn_name` with `stand_ins` in place of the names it looks up.

    For a submission in its worker (a dlkit.judge.RemoteModule) the swap
    happens there: a stand-in marked in_worker travels by name, any other
    runs here in the judge, called back with plain data."""
    if hasattr(type(impl), "substitute"):
        token = impl.substitute(fn_name, dict(stand_ins))
        try:
            yield
        finally:
            impl.restore(token)
        return
    namespace: dict[str, Any] | None = getattr(getattr(impl, fn_name, None), "__globals__", None)
    if namespace is None:
        yield
        return
    saved = {name: namespace[name] for name in stand_ins if name in namespace}
    namespace.update(stand_ins)
    try:
        yield
    finally:
        for name in stand_ins:
            if name in saved:
                namespace[name] = saved[name]
            else:
                namespace.pop(name, None)
