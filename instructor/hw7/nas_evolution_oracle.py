"""Reference frequencies for the hidden aging-evolution graders
(hw7/nas_evolution): what uniform draws and a sample without replacement
give, with bounds of five standard deviations."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable


def uniform_misfit(values: Iterable[Any], choices: tuple[Any, ...]) -> str | None:
    """Why `values` do not look like uniform draws from `choices` (a count more
    than 5 standard deviations from n / k), or None."""
    counts, n, k = Counter(values), 0, len(choices)
    n = sum(counts.values())
    expected, sd = n / k, math.sqrt(n * (1 / k) * (1 - 1 / k))
    for c in choices:
        if abs(counts.get(c, 0) - expected) > 5 * sd:
            return f"{c!r} drawn {counts.get(c, 0)} times in {n}, expected about {expected:.0f}"
    return None


def best_in_sample_bounds(cycles: int, population_size: int, sample_size: int) -> tuple[float, float]:
    """How often the best living member is the parent: it is when it is in the
    sample, with probability S / P for a sample without replacement."""
    p = sample_size / population_size
    sd = math.sqrt(cycles * p * (1 - p))
    return cycles * p - 5 * sd, cycles * p + 5 * sd
