"""Correct answers to HW7-Q1/Q2 (hw7/nas_evolution) written differently from
the reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/nas_evolution"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "random_by_index", "random_architecture", "draws an index per key with rng.randrange, in a loop.",
        """\
    arch = {}
    for name in SPACE:
        choices = SPACE[name]
        arch[name] = choices[rng.randrange(len(choices))]
    return arch
""",
    ),
    rewrite(
        "mutate_rejection", "mutate",
        "copies with copy.deepcopy, picks the key by index and re-draws until the value differs.",
        """\
    import copy

    child = copy.deepcopy(arch)
    names = list(SPACE)
    name = names[rng.randrange(len(names))]
    value = arch[name]
    while value == arch[name]:
        value = rng.choice(SPACE[name])
    child[name] = value
    return child
""",
    ),
    rewrite(
        "mutate_offset", "mutate",
        "moves the value's index by a random non-zero offset around the list of choices.",
        """\
    name = rng.choice(list(SPACE))
    choices = SPACE[name]
    here = choices.index(arch[name])
    shift = rng.randrange(1, len(choices))
    return {**arch, name: choices[(here + shift) % len(choices)]}
""",
    ),
    rewrite(
        "evolution_list_and_indices", "aging_evolution",
        "keeps the population in a plain list (pop(0) for the oldest), samples indices and breaks ties by age.",
        """\
    for value, name, low in ((population_size, "population_size", 1), (cycles, "cycles", 0)):
        if value < low:
            raise ValueError(f"{name}={value}: expected at least {low}")
    if sample_size < 1 or sample_size > population_size:
        raise ValueError(f"sample_size={sample_size}: expected 1 to {population_size}")
    history = []
    for _ in range(population_size):
        arch = random_architecture(rng)
        history.append((arch, fitness(arch)))
    population = list(history)
    for _ in range(cycles):
        chosen = rng.sample(range(len(population)), sample_size)
        best = max(chosen, key=lambda i: (population[i][1], -i))
        child = mutate(population[best][0], rng)
        pair = (child, fitness(child))
        history.append(pair)
        population.pop(0)
        population.append(pair)
    return history
""",
    ),
]
