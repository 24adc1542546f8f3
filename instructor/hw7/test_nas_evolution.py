"""Hidden graders for HW7-Q1/Q2, aging evolution (module hw7/nas_evolution):
the draws' frequencies against the uniform choices the handout states, and
the parents' against a sample drawn without replacement."""
from __future__ import annotations

from dlkit.grading.checks import check, graded
from graders.hw7 import nas_evolution_probes as probes
from graders.hw7 import nas_evolution_support as support
from graders.hw7.test_nas_evolution import BASE
from instructor.hw7 import nas_evolution_oracle as oracle

MODULE = "hw7/nas_evolution"


@graded("random_architecture", points=1)
def test_random_architecture_uniform(impl):
    archs = impl.run(probes.architecture_draws, 21, 2000, 0)["archs"]
    for key, choices in support.SPACE.items():
        misfit = oracle.uniform_misfit((a.get(key) for a in archs), choices)
        check(misfit is None, f"random_architecture must draw {key!r} uniformly from its choices.",
              f"2000 draws with random.Random(21): {misfit}")


@graded("mutate", points=1)
def test_mutate_uniform(impl):
    children = impl.run(probes.mutation_draws, BASE, 22, 2700, 0)["children"]
    keys = [next((k for k in support.SPACE if c.get(k) != BASE[k]), None) for c in children]
    misfit = oracle.uniform_misfit(keys, tuple(support.SPACE))
    check(misfit is None, "mutate must choose the hyperparameter to change uniformly among SPACE's keys.",
          f"2700 mutations of {BASE}: {misfit}")
    lrs = [c["lr"] for c, k in zip(children, keys) if k == "lr"]
    others = tuple(v for v in support.SPACE["lr"] if v != BASE["lr"])
    misfit = oracle.uniform_misfit(lrs, others)
    check(misfit is None, "mutate must choose the new value uniformly among the other choices.",
          f"the {len(lrs)} mutations of lr from {BASE['lr']}: {misfit}")


@graded("aging_evolution", points=1.5)
def test_aging_evolution_sample_without_replacement(impl):
    p, s, cycles, seed = 5, 2, 200, 9
    table = support.scores(p + cycles, 17)
    given_ = support.call_text(p, s, cycles, seed)
    seen = support.replay(support.trace(impl, p, s, cycles, seed, table), p, cycles, table, given_)
    worst = [k for k, c in enumerate(seen) if c["parent"] == min(c["population"], key=lambda t: table[t])]
    check(not worst, "the sample must hold sample_size DISTINCT members (rng.sample): the best of two distinct "
          "members is never the worst of the population.", given_, f"the worst living member was the parent in "
          f"cycles {worst[:5]}")
    p, s = 6, 3
    table = support.scores(p + cycles, 19)
    given_ = support.call_text(p, s, cycles, seed)
    seen = support.replay(support.trace(impl, p, s, cycles, seed, table), p, cycles, table, given_)
    best = sum(c["parent"] == max(c["population"], key=lambda t: table[t]) for c in seen)
    low, high = oracle.best_in_sample_bounds(cycles, p, s)
    check(low <= best <= high, "the parent must be the best of a uniform sample of sample_size members: the best "
          "living member is the parent exactly when it is sampled, with probability sample_size / population_size.",
          given_, f"the best living member was the parent in {best} of {cycles} cycles, expected {low:.0f}–{high:.0f}")
