"""Graders for HW7-Q1/Q2, aging evolution (module hw7/nas_evolution).

random_architecture and mutate are graded on many draws from seeded
random.Random objects (built in the worker): every value inside the
handout's limits, every choice reachable, exactly one change per mutation,
the rng passed in the only source of randomness. aging_evolution runs with
marked spies in place of both (numbered tickets, see nas_evolution_probes)
and a fitness table the graders chose; the judge rebuilds every cycle's
population from the order of the fitness calls. Nothing here holds an
answer: no search result is stored, only the rules it must obey.
"""
from __future__ import annotations

from collections import Counter

from dlkit.grading.checks import check, fail, graded, show
from graders.hw7 import nas_evolution_probes as probes
from graders.hw7 import nas_evolution_support as support

MODULE = "hw7/nas_evolution"
BASE = {"n_conv": 2, "filters": 16, "kernel_size": 3, "pool": True, "n_hidden": 1, "neurons": 32,
        "dropout": 0.25, "optimizer": "Adam", "lr": 1e-3}


# --------------------------------------------------------------------------
# random_architecture


@graded("random_architecture", points=1.5)
def test_random_architecture_within_limits(impl):
    archs = impl.run(probes.architecture_draws, 0, 400, 0)["archs"]
    for i, arch in enumerate(archs):
        why = support.outside_space(arch)
        check(why is None, "random_architecture must return a dict with one value for every key of SPACE, each "
              "one of that key's choices.", f"draw {i} with random.Random(0): {show(arch)}", why or "")
    for key, choices in support.SPACE.items():
        seen = Counter(a[key] for a in archs)
        check(
            set(seen) == set(choices),
            f"random_architecture must be able to draw every choice of {key!r}.",
            f"400 draws with random.Random(0): {dict(seen)}, choices {list(choices)}",
        )


@graded("random_architecture", points=1)
def test_random_architecture_uses_the_rng(impl):
    first = impl.run(probes.architecture_draws, 5, 20, 0)["archs"]
    again = impl.run(probes.architecture_draws, 5, 20, 99)["archs"]
    other = impl.run(probes.architecture_draws, 6, 20, 0)["archs"]
    check(
        first == again,
        "random_architecture must draw from the rng it is given, never from the global random module: the "
        "same seed must give the same architectures, whatever random.seed was called with.",
        f"20 draws with random.Random(5): {show(first[:2])} … after random.seed(0), {show(again[:2])} … "
        "after random.seed(99)",
    )
    check(first != other, "random_architecture must use its rng: another seed must give other architectures.",
          f"random.Random(5) and random.Random(6) gave the same 20 architectures: {show(first[:2])} …")


# --------------------------------------------------------------------------
# mutate


@graded("mutate", points=1.5)
def test_mutate_changes_exactly_one(impl):
    result = impl.run(probes.mutation_draws, BASE, 0, 300, 0)
    changed: Counter = Counter()
    for i, child in enumerate(result["children"]):
        why = support.outside_space(child)
        check(why is None, "mutate must return an architecture: every key of SPACE, each value one of its choices.",
              f"mutate({show(BASE)}) → {show(child)}", why or "")
        diff = [k for k in support.SPACE if child[k] != BASE[k]]
        check(
            len(diff) == 1,
            "mutate must change exactly one hyperparameter (to a value different from the parent's).",
            f"mutate({show(BASE)}) with random.Random(0), call {i} → {show(child)}: changed {diff or 'nothing'}",
        )
        changed[diff[0]] += 1
    check(
        set(changed) == set(support.SPACE),
        "mutate must be able to change every hyperparameter of SPACE.",
        f"300 mutations of {show(BASE)}: changed {dict(changed)}",
    )
    reached = {k: {c[k] for c in result["children"]} for k in support.SPACE}
    for key, choices in support.SPACE.items():
        check(
            reached[key] == set(choices),
            f"every choice of {key!r} must be reachable by a mutation.",
            f"300 mutations of {show(BASE)}: {key} took {sorted(map(repr, reached[key]))}, choices {list(choices)}",
        )


@graded("mutate", points=1)
def test_mutate_leaves_the_parent_and_uses_the_rng(impl):
    result = impl.run(probes.mutation_draws, BASE, 3, 20, 0)
    check(
        result["changed_at"] is None,
        "mutate must return a new dict and leave its argument unchanged: the parent stays in the population.",
        f"mutate({show(BASE)}, rng) changed the parent in place (call {result['changed_at']})",
    )
    again = impl.run(probes.mutation_draws, BASE, 3, 20, 42)
    other = impl.run(probes.mutation_draws, BASE, 4, 20, 0)
    check(
        result["children"] == again["children"],
        "mutate must draw from the rng it is given, never from the global random module.",
        f"20 mutations with random.Random(3) after random.seed(0) and after random.seed(42) differ: "
        f"{show(result['children'][:1])} … and {show(again['children'][:1])} …",
    )
    check(result["children"] != other["children"], "mutate must use its rng: another seed, other children.",
          f"random.Random(3) and random.Random(4) gave the same 20 children: {show(result['children'][:1])} …")


# --------------------------------------------------------------------------
# aging_evolution


@graded("aging_evolution", points=1.5)
def test_aging_evolution_history(impl):
    p, s, cycles, seed = 5, 2, 25, 1
    table = support.scores(p + cycles, 7)
    support.replay(support.trace(impl, p, s, cycles, seed, table), p, cycles, table,
                   support.call_text(p, s, cycles, seed))
    (p, s, cycles) = (3, 3, 0)
    support.replay(support.trace(impl, p, s, cycles, seed, table), p, cycles, table,
                   support.call_text(p, s, cycles, seed))


@graded("aging_evolution", points=1.5)
def test_aging_evolution_oldest_dies(impl):
    # Ticket 2 of the initial population scores best of all: with the whole
    # population sampled it is every parent while it lives, and it must die
    # after its turn like any other.
    p, cycles, seed = 6, 20, 3
    table = support.scores(p + cycles, 11, best=2)
    given_ = support.call_text(p, p, cycles, seed) + "; ticket #2 scores best of all"
    for k, cycle in enumerate(support.replay(support.trace(impl, p, p, cycles, seed, table), p, cycles, table, given_)):
        living = cycle["population"]
        best = max(living, key=lambda t: table[t])
        check(
            cycle["parent"] == best,
            "with sample_size = population_size every member is in the sample, so the parent must be the best "
            "LIVING member; the oldest dies each cycle, whatever its score (aging, not survival of the best).",
            given_,
            f"cycle {k}: the population (oldest first) was {living} with scores "
            f"{[round(table[t], 3) for t in living]}; parent #{cycle['parent']}, expected #{best}",
        )


@graded("aging_evolution", points=1)
def test_aging_evolution_samples(impl):
    p, s, cycles, seed = 8, 1, 60, 5
    table = support.scores(p + cycles, 13)
    given_ = support.call_text(p, s, cycles, seed)
    seen = support.replay(support.trace(impl, p, s, cycles, seed, table), p, cycles, table, given_)
    worst_parents = sum(c["parent"] == min(c["population"], key=lambda t: table[t]) for c in seen)
    check(
        worst_parents > 0,
        "the parent must be the best of a random SAMPLE of sample_size members, not of the whole population: "
        "with sample_size=1 any living member, the worst too, can be the parent.",
        given_, f"in {cycles} cycles the worst living member was never the parent",
    )
    again = support.trace(impl, p, s, cycles, seed, table, global_seed=77)
    other = support.trace(impl, p, s, cycles, seed + 1, table)
    first = support.trace(impl, p, s, cycles, seed, table)
    check(
        again["calls"] == first["calls"],
        "aging_evolution must draw its samples from the rng it is given (rng.sample), never from the global "
        "random module: the same seed must repeat the search.",
        given_, "the search changed when random.seed was called with another value",
    )
    check(again["calls"] != other["calls"], "aging_evolution must use its rng: another seed, another search.",
          given_, f"random.Random({seed}) and random.Random({seed + 1}) gave the same search")


@graded("aging_evolution", points=1)
def test_aging_evolution_bad_arguments(impl):
    table = support.scores(40, 0)
    for name, (p, s, cycles) in (("population_size", (0, 1, 5)), ("sample_size", (4, 0, 5)),
                                 ("sample_size", (4, 5, 5)), ("cycles", (4, 2, -1))):
        result = support.trace(impl, p, s, cycles, 0, table)
        error = result["error"]
        call = f"population_size={p}, sample_size={s}, cycles={cycles}"
        if error is None or error[0] != "ValueError":
            fail("aging_evolution must raise ValueError for population_size < 1, a sample_size outside "
                 "[1, population_size] or cycles < 0, naming the argument.",
                 f"{call} → " + (f"{error[0]}: {error[1]}" if error else "nothing raised"))
        check(name in error[1], f"the ValueError for a bad {name} must name it.", f"{call} → {error[1]!r}")
        check(not result["calls"], "aging_evolution must check its arguments before training anything.",
              f"{call}: fitness was called {len(result['calls'])} times before the ValueError")
