"""Helpers shared by the aging-evolution graders (hw7/nas_evolution), in the
judge: the handout's search space, score tables for the spy tickets, and the
replay of a search from the order of its fitness calls."""
from __future__ import annotations

import random
from collections import deque
from typing import Any

from dlkit.grading.checks import check, fail, show
from graders.hw7 import nas_evolution_probes as probes

# The search space of the handout (HW7-Q6's limits, made discrete); the
# module states the same SPACE, and every architecture must keep to it.
SPACE: dict[str, tuple[Any, ...]] = {
    "n_conv": (1, 2, 3, 4),
    "filters": (8, 16, 32, 64),
    "kernel_size": (3, 5),
    "pool": (False, True),
    "n_hidden": (0, 1, 2),
    "neurons": (16, 32, 64),
    "dropout": (0.0, 0.25, 0.5),
    "optimizer": ("Adam", "RMSprop", "SGD"),
    "lr": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2),
}


def outside_space(arch: Any) -> str | None:
    """Why `arch` is not an architecture of SPACE, or None when it is one."""
    if not isinstance(arch, dict):
        return f"{arch} (expected a dict)"
    missing = [k for k in SPACE if k not in arch]
    extra = [k for k in arch if k not in SPACE]
    if missing or extra:
        return f"keys missing: {missing}, unknown keys: {extra}"
    for key, choices in SPACE.items():
        if not any(arch[key] == c and isinstance(arch[key], bool) == isinstance(c, bool) for c in choices):
            return f"{key}={arch[key]!r}, not one of {list(choices)}"
    return None


def scores(n: int, seed: int, best: int | None = None) -> list[float]:
    """n distinct scores in (0, 0.9) drawn from `seed`; ticket `best`, if given, scores 1."""
    rng = random.Random(seed)
    table = rng.sample(range(1, 900_000), n)
    out = [t / 1_000_000 for t in table]
    if best is not None:
        out[best] = 1.0
    return out


def trace(impl: Any, population_size: int, sample_size: int, cycles: int, seed: int,
          table: list[float], global_seed: int = 0) -> dict[str, Any]:
    return impl.run(probes.evolution_trace, population_size, sample_size, cycles, seed, table, global_seed)


def call_text(population_size: int, sample_size: int, cycles: int, seed: int) -> str:
    return (f"aging_evolution(fitness, population_size={population_size}, sample_size={sample_size}, "
            f"cycles={cycles}, rng=random.Random({seed})), with the graders' stand-ins for "
            "random_architecture and mutate (tickets numbered in order)")


def replay(result: dict[str, Any], population_size: int, cycles: int, table: list[float], given_: str) -> list[dict[str, Any]]:
    """Check the order of the fitness calls and the history against aging
    evolution's bookkeeping; return, for every cycle, the population it drew
    from (ticket ids, oldest first), its parent and their scores."""
    if result["error"] is not None:
        fail("aging_evolution must not raise for valid arguments.", given_, f"raised {result['error'][0]}: {result['error'][1]}")
    calls = result["calls"]
    ids = [c.get("id") if isinstance(c, dict) else None for c in calls]
    check(
        all(isinstance(c, dict) and c.get("spy") in ("random", "child") for c in calls),
        "aging_evolution must score exactly what random_architecture and mutate return (the graders replace "
        "both with stand-ins whose results are numbered tickets).",
        given_, f"fitness was called with {show(calls[:3])}",
    )
    want = population_size + cycles
    check(
        len(calls) == want and len(set(ids)) == len(ids),
        f"fitness must be called exactly once per architecture: {population_size} initial ones plus one child "
        f"per cycle, {want} calls in all.",
        given_, f"{len(calls)} calls, tickets {show(ids, 200)}",
    )
    initial = calls[:population_size]
    check(
        all(c["spy"] == "random" for c in initial) and all(c["spy"] == "child" for c in calls[population_size:]),
        "aging_evolution must first score population_size architectures from random_architecture, then one "
        "child from mutate per cycle.",
        given_, f"the calls were {show([c['spy'] for c in calls], 200)}",
    )
    history = result["history"]
    expected = [(c, table[c["id"]]) for c in calls]
    check(
        history is not None and len(history) == want
        and all(isinstance(h, (tuple, list)) and len(h) == 2 and h[0] == c and h[1] == s
            for h, (c, s) in zip(history, expected)),
        "aging_evolution must return the history: a list of (architecture, fitness) pairs, every architecture "
        "in the order it was scored, the initial population first.",
        given_,
        f"got {show(history, 200) if history is not None else 'a ' + result.get('history_type', '?')}",
        f"expected {show(expected[:3], 200)} … ({want} pairs)",
    )
    population = deque(ids[:population_size])
    cycles_seen: list[dict[str, Any]] = []
    for k, child in enumerate(calls[population_size:]):
        parent = child["parent"]
        check(
            parent in population,
            "each child must come from a parent that is alive: after every cycle the OLDEST member is removed "
            "(aging), not the worst, and the sample is drawn from the living population only.",
            given_,
            f"cycle {k}: parent #{parent}, but the population was {list(population)} (oldest first)",
        )
        cycles_seen.append({"population": list(population), "parent": parent})
        population.append(child["id"])
        population.popleft()
    return cycles_seen
