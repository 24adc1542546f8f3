"""Grader code that runs in the worker, next to the submission (hw7/nas_evolution).

A random.Random and a fitness function cannot cross to the judge, so every
check runs here as a procedure that builds them from plain data (a seed, a
table of scores) and returns what happened as plain data.

aging_evolution is graded with marked spies in place of the items it calls:
spy architectures are not architectures but tickets {"spy": …, "id": n,
"parent": m} (a serial number, and for a child its parent's), and the
fitness of ticket n is scores[n] from a table the judge chose. From the
order of the fitness calls the judge rebuilds the population of every
cycle. None of the spies is an answer: they draw nothing and know no
hyperparameter.
"""
from __future__ import annotations

import random
from typing import Any

from dlkit.isolation import substituted
from dlkit.judge import in_worker


def _plain(value: Any) -> Any:
    """A dict of plain values as it is, anything else by its type's name."""
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
                for k, v in value.items()}
    return f"a {type(value).__name__}, not a dict"


@in_worker
def architecture_draws(impl: Any, seed: int, n: int, global_seed: int) -> dict[str, Any]:
    """n calls of random_architecture(random.Random(seed)), the global random
    module seeded with global_seed first: the architectures, as plain dicts."""
    random.seed(global_seed)
    rng = random.Random(seed)
    return {"archs": [_plain(impl.random_architecture(rng)) for _ in range(n)]}


@in_worker
def mutation_draws(impl: Any, arch: dict[str, Any], seed: int, n: int, global_seed: int) -> dict[str, Any]:
    """n calls of mutate(arch, random.Random(seed)) on one dict: the children,
    and the first call after which `arch` was no longer what it was."""
    random.seed(global_seed)
    rng = random.Random(seed)
    given = dict(arch)
    children, changed_at = [], None
    for i in range(n):
        children.append(_plain(impl.mutate(given, rng)))
        if changed_at is None and given != arch:
            changed_at, given = i, dict(arch)
    return {"children": children, "changed_at": changed_at}


@in_worker
def evolution_trace(
    impl: Any, population_size: int, sample_size: int, cycles: int, seed: int, scores: list[float],
    global_seed: int = 0,
) -> dict[str, Any]:
    """aging_evolution(fitness, P, S, cycles, random.Random(seed)) with the
    spies in place of random_architecture and mutate: the tickets fitness
    was called with, in order, and the history returned (or what it raised)."""
    serial = iter(range(10**9))
    calls: list[Any] = []

    def spy_random_architecture(rng: Any) -> dict[str, Any]:
        return {"spy": "random", "id": next(serial), "parent": None}

    def spy_mutate(arch: Any, rng: Any) -> dict[str, Any]:
        parent = arch.get("id") if isinstance(arch, dict) else None
        return {"spy": "child", "id": next(serial), "parent": parent}

    def fitness(arch: Any) -> float:
        calls.append(_plain(arch))
        ticket = arch.get("id") if isinstance(arch, dict) else None
        return scores[ticket] if isinstance(ticket, int) and 0 <= ticket < len(scores) else float("nan")

    random.seed(global_seed)
    spies = {"random_architecture": spy_random_architecture, "mutate": spy_mutate}
    out: dict[str, Any] = {"calls": calls, "error": None, "history": None}
    with substituted(impl, "aging_evolution", spies):
        try:
            history = impl.aging_evolution(fitness, population_size, sample_size, cycles, random.Random(seed))
        except NotImplementedError:
            raise  # a stub: reported as such
        except Exception as exc:  # noqa: BLE001 - reported to the judge as evidence
            out["error"] = (type(exc).__name__, str(exc))
            return out
    if isinstance(history, (list, tuple)):
        out["history"] = [
            (_plain(entry[0]), entry[1] if isinstance(entry[1], (int, float)) else repr(entry[1]))
            if isinstance(entry, (list, tuple)) and len(entry) == 2 else repr(entry)[:80]
            for entry in history
        ]
    else:
        out["history_type"] = type(history).__name__
    return out
