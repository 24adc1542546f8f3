"""Realistic wrong answers to HW7-Q1/Q2 (hw7/nas_evolution), one mistake each.

aging_evolution is graded with stand-ins for random_architecture and mutate,
so a broken draw or mutation costs points once, where it is written."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/nas_evolution"

_RANDOM = "return {name: rng.choice(choices) for name, choices in SPACE.items()}"
_MUTATE = "child[name] = rng.choice([c for c in SPACE[name] if c != arch[name]])"
_SAMPLE = "sample = rng.sample(list(population), sample_size)"
_PARENT = "parent = max(sample, key=lambda m: m[1])"

MUTANTS: list[Variant] = [
    # ---------------------------------------------------- random_architecture
    Variant(
        MODULE, "random_global_module", "random_architecture",
        "draws from the global random module: the seed passed in does not repeat the search.",
        old=_RANDOM,
        new="return {name: random.choice(choices) for name, choices in SPACE.items()}",
    ),
    Variant(
        MODULE, "random_lr_continuous_too_high", "random_architecture",
        "draws the learning rate log-uniformly up to 0.1, beyond the handout's limit of 0.01.",
        old=_RANDOM,
        new="arch = {name: rng.choice(choices) for name, choices in SPACE.items()}\n"
        "    arch[\"lr\"] = 10 ** rng.uniform(-4, -1)\n    return arch",
    ),
    Variant(
        MODULE, "random_never_last_choice", "random_architecture",
        "an off-by-one in an index draw: the last choice of every key (4 conv layers, 64 filters) never comes up.",
        old=_RANDOM,
        new="return {name: choices[rng.randrange(len(choices) - 1) if len(choices) > 1 else 0]\n"
        "            for name, choices in SPACE.items()}",
    ),
    Variant(
        MODULE, "random_first_choice_favoured", "random_architecture",
        "draws each index from a triangle (min of two draws), so small networks come up far more often.",
        old=_RANDOM,
        new="return {name: choices[min(rng.randrange(len(choices)), rng.randrange(len(choices)))]\n"
        "            for name, choices in SPACE.items()}",
    ),
    # ---------------------------------------------------------------- mutate
    Variant(
        MODULE, "mutate_may_keep_value", "mutate",
        "draws the new value among all the choices, so a mutation sometimes changes nothing.",
        old=_MUTATE,
        new="child[name] = rng.choice(SPACE[name])",
    ),
    Variant(
        MODULE, "mutate_in_place", "mutate",
        "changes the parent itself instead of a copy: the population's member changes under it.",
        old="child = dict(arch)",
        new="child = arch",
    ),
    Variant(
        MODULE, "mutate_never_last_key", "mutate",
        "an off-by-one over the keys: the learning rate is never mutated.",
        old="name = rng.choice(list(SPACE))",
        new="name = rng.choice(list(SPACE)[:-1])",
    ),
    Variant(
        MODULE, "mutate_two_keys", "mutate",
        "re-draws a whole random architecture for half the keys: several hyperparameters change at once.",
        old=_MUTATE,
        new=_MUTATE + "\n    other = rng.choice(list(SPACE))\n"
        "    child[other] = rng.choice([c for c in SPACE[other] if c != arch[other]])",
    ),
    Variant(
        MODULE, "mutate_global_random", "mutate",
        "picks the key with the global random module.",
        old="name = rng.choice(list(SPACE))",
        new="name = random.choice(list(SPACE))",
    ),
    # ------------------------------------------------------- aging_evolution
    Variant(
        MODULE, "evolution_kills_the_worst", "aging_evolution",
        "removes the worst member instead of the oldest: the non-regularised evolution the paper compares "
        "against, where one lucky score lives forever.",
        old="population.popleft()",
        new="population.remove(min(population, key=lambda m: m[1]))",
    ),
    Variant(
        MODULE, "evolution_sample_with_replacement", "aging_evolution",
        "rng.choices draws with replacement: a sample of two can be the worst member twice.",
        old=_SAMPLE,
        new="sample = rng.choices(list(population), k=sample_size)",
    ),
    Variant(
        MODULE, "evolution_best_of_population", "aging_evolution",
        "ignores the sample and always takes the best of the whole population.",
        old=_PARENT,
        new="parent = max(population, key=lambda m: m[1])",
    ),
    Variant(
        MODULE, "evolution_parent_minimises", "aging_evolution",
        "takes the lowest score, as if fitness were a loss.",
        old=_PARENT,
        new="parent = min(sample, key=lambda m: m[1])",
    ),
    Variant(
        MODULE, "evolution_history_children_only", "aging_evolution",
        "returns only the children, not the initial population.",
        old="        population.append(member)\n        history.append(member)\n    for _",
        new="        population.append(member)\n    for _",
    ),
    Variant(
        MODULE, "evolution_rescores_parent", "aging_evolution",
        "scores the parent again before mutating it (another expensive training run per cycle).",
        old=_PARENT,
        new=_PARENT + "\n        fitness(parent[0])",
    ),
    Variant(
        MODULE, "evolution_global_sample", "aging_evolution",
        "samples with the global random module.",
        old=_SAMPLE,
        new="sample = random.sample(list(population), sample_size)",
    ),
    Variant(
        MODULE, "evolution_no_argument_check", "aging_evolution",
        "no check of sample_size: rng.sample raises its own ValueError, which does not name the argument.",
        old="""    if not 1 <= sample_size <= population_size:
        raise ValueError(f"sample_size must be between 1 and population_size={population_size}, got {sample_size}")
""",
        new="",
    ),
]
