# Student version of HW7-Q1, generated from solutions/hw7/nas_evolution.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw7/nas_evolution`.
# %% [markdown]
# # HW7-Q1/Q2 · Aging evolution for architecture search
#
# Regularised ("aging") evolution (Real et al., 2019) searches a space of
# architectures with a population that ages. Start with `population_size`
# random architectures, each trained and scored once. Then, for every cycle:
#
# 1. draw `sample_size` **distinct** members of the population at random;
# 2. the best of that sample (highest fitness) is the **parent**;
# 3. its child is a copy with **one** hyperparameter changed (a mutation);
#    score the child and add it to the population;
# 4. remove the **oldest** member of the population — not the worst. Every
#    architecture dies young, however good it was, so the search keeps
#    favouring architectures that score well *again* when they are
#    re-discovered, instead of one lucky score.
#
# The search space is the one of HW7-Q6 (at most 4 conv layers of at most 64
# filters, at most 2 hidden dense layers of at most 64 neurons, a learning
# rate of at most 0.01, Adam, RMSprop or SGD), made discrete: an architecture
# is a dict with one value for every key of `SPACE`, taken from that key's
# choices. Randomness comes from the `random.Random` passed in, never from the
# global `random` module, so a seed repeats a search exactly.

# %%
from __future__ import annotations

import random
from collections import deque
from typing import Any, Callable

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

# %% [markdown]
# ## A random architecture
#
# `random_architecture(rng)` picks every hyperparameter of `SPACE`
# independently and uniformly from its choices (`rng.choice`), and returns a
# new dict whose keys are `SPACE`'s keys.


# %%
def random_architecture(rng: random.Random) -> dict[str, Any]:
    """One architecture drawn uniformly from SPACE.

    Args:
        rng: the source of randomness (a seeded random.Random).

    Returns:
        dict with every key of SPACE, each value one of that key's choices.
    """
    # YOUR CODE HERE
    raise NotImplementedError('random_architecture: not implemented yet — see HW7-Q1')


# %% [markdown]
# ## A mutation
#
# `mutate(arch, rng)` returns a **new** dict equal to `arch` except for one
# hyperparameter, chosen uniformly among `SPACE`'s keys, whose value is
# replaced by a **different** choice, chosen uniformly among the others. The
# argument is left unchanged: the parent is still in the population. For
# example a mutation of `{"n_conv": 2, "filters": 16, …}` may give
# `{"n_conv": 2, "filters": 64, …}`, but never the same dict back.


# %%
def mutate(arch: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of `arch` with exactly one hyperparameter changed.

    Args:
        arch: an architecture (a dict with every key of SPACE); not modified.
        rng: the source of randomness.

    Returns:
        A new dict that differs from `arch` at exactly one key, whose new
        value is another of SPACE's choices for that key.
    """
    # YOUR CODE HERE
    raise NotImplementedError('mutate: not implemented yet — see HW7-Q1')


# %% [markdown]
# ## The search
#
# `aging_evolution(fitness, population_size, sample_size, cycles, rng)` runs
# the loop above and returns the **history**: every `(architecture,
# fitness)` pair in the order the architectures were scored, the initial
# population first, so `population_size + cycles` pairs. `fitness(arch)` is
# called exactly once per architecture (training a network is the expensive
# part). Use `random_architecture` and `mutate`; draw the sample with
# `rng.sample` (without replacement) from the population in age order, oldest
# first; on a tie in the sample the first one drawn wins. A `collections.deque`
# makes "add the child, remove the oldest" cheap.
#
# Check the arguments first: `population_size` ≥ 1, `1 ≤ sample_size ≤
# population_size` and `cycles` ≥ 0, else a `ValueError` that names the
# argument.


# %%
def aging_evolution(
    fitness: Callable[[dict[str, Any]], float],
    population_size: int,
    sample_size: int,
    cycles: int,
    rng: random.Random,
) -> list[tuple[dict[str, Any], float]]:
    """Regularised (aging) evolution.

    Args:
        fitness: architecture → score, higher is better; called once per architecture.
        population_size: members alive at any time (P).
        sample_size: members drawn, without replacement, to choose a parent (S, 1 ≤ S ≤ P).
        cycles: children made, each replacing the oldest member.
        rng: the source of randomness for the architectures, mutations and samples.

    Returns:
        The history: (architecture, fitness) for every architecture scored, in
        order, the P initial ones first; P + cycles pairs.

    Raises:
        ValueError: population_size < 1, sample_size outside [1, population_size]
            or cycles < 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError('aging_evolution: not implemented yet — see HW7-Q1')
