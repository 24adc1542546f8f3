"""Progress bars that stay out of the way: off unless asked for, so graders
and notebook autograder cells never write tqdm's output to stderr."""
from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")


def progress_bar(iterable: Iterable[T], enabled: bool = True, **kwargs: object) -> Iterable[T]:
    """`iterable` wrapped in a tqdm bar when enabled, else unchanged."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
