"""Instructor-only graders for HW1-Q5 (module hw1/fashion_mlp): the checks
that need an oracle.

train_epoch against a replay of the epoch the definition asks for, and
evaluate against the known answers of the graders' classifier, on generated
cases (the public layer has fixed ones, stored)."""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, fail, graded
from graders.hw1 import fashion_mlp_probes as probes
from graders.hw1 import fashion_mlp_support as support
from instructor.hw1 import fashion_mlp_oracle as oracle

MODULE = "hw1/fashion_mlp"
# Each example trains a network: few examples keep the file fast.
FEW = settings(max_examples=10)

TRAIN_SHAPES = [(20, 8), (9, 4), (6, 6), (13, 6), (16, 5)]


@graded("train_epoch", points=1)
@FEW
@given(st.integers(0, 10_000), st.sampled_from(TRAIN_SHAPES))
def test_train_epoch_steps_replayed(impl, seed, shape):
    n, batch_size = shape
    _, steps, _ = support.train_case(impl, n, batch_size, seed)
    want = oracle.replay_case(n, batch_size, seed)
    given_ = f"{n} examples in batches of {batch_size} (seed {seed})"
    check(
        len(steps) == len(want["grads"]),
        "train_epoch must take one optimiser step per batch.",
        f"{given_}: {len(want['grads'])} batches, {len(steps)} steps",
    )
    def near(got: list, expected: list) -> bool:
        return len(got) == len(expected) and all(
            g is not None and torch.allclose(g.cpu(), e, atol=1e-6, rtol=1e-4) for g, e in zip(got, expected))

    for k, (got, expected) in enumerate(zip(steps, want["grads"])):
        if near(got, expected):
            continue
        # Named only when observed: the gradients are the sum of this batch's and the earlier ones'.
        running = [sum(step[i] for step in want["grads"][: k + 1]) for i in range(len(expected))]
        summed = k > 0 and near(got, running)
        fail(
            support.STEP_RULE,
            f"{given_}: wrong gradients at the step of batch {k + 1}"
            + (f"; they are the sum of batches 1 to {k + 1}'s gradients: they were not cleared "
               "between batches" if summed else ""),
        )


@graded("train_epoch", points=0.5)
@FEW
@given(st.integers(0, 10_000), st.sampled_from(TRAIN_SHAPES))
def test_train_epoch_means_replayed(impl, seed, shape):
    n, batch_size = shape
    _, _, out = support.train_case(impl, n, batch_size, seed)
    want = oracle.replay_case(n, batch_size, seed)
    support.check_means("train_epoch", out, want, support.TRAIN_MEANS_RULE,
                        f"{n} examples in batches of {batch_size} (sizes {want['sizes']}, seed {seed})")


@st.composite
def eval_cases(draw: st.DrawFn) -> tuple[list[int], list[bool], int]:
    """Batch sizes (full batches, then a smaller last one), which batches the
    classifier gets right, and a seed for the labels."""
    size = draw(st.integers(2, 6))
    batches = draw(st.integers(2, 4))
    last = draw(st.integers(1, size - 1))
    right = draw(st.lists(st.booleans(), min_size=batches, max_size=batches))
    return [size] * (batches - 1) + [last], right, draw(st.integers(0, 10_000))


@graded("evaluate", points=1)
@FEW
@given(eval_cases())
def test_evaluate_over_the_whole_loader_replayed(impl, case):
    sizes, right, seed = case
    images, labels = probes.known_case(sizes, right, seed)
    want = oracle.expected_eval(images, labels, sizes)
    support.present(impl, "evaluate")
    out = impl.run(probes.evaluate_run, sizes, right, seed, sizes[0], False)["out"]
    support.check_means("evaluate", out, want, support.EVAL_RULE,
                        f"{sum(sizes)} examples in batches of sizes {sizes}, batches right: {right} (seed {seed})")
