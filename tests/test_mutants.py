"""The graders of hw7/conditional_gan, proven on variants of the reference.

Each mutant (one realistic mistake) must lose points on its own item and keep
full marks on every other item, with a failure message written for the
student; each alternative (correct, written differently) must keep every
point. A variant is graded once, all items together, exactly as a
submission would be.
"""
from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator

import pytest
import torch

from dlkit.grading.results import Results
from dlkit.grading.runner import run_in_process
from tests.variants import (
    Variant,
    grade_variant,
    load_variants,
    solution_regions,
    solution_source,
    start_worker,
    variant_module_name,
)

MODULE = "hw7/conditional_gan"
MUTANTS = load_variants("mutants", MODULE)
ALTERNATIVES = load_variants("alternatives", MODULE)


class Grades:
    """Results of the variants this session runs, graded in worker processes.

    Grading is CPU-bound and each run takes seconds, so the selected variants
    are all submitted up front and graded in parallel; a test waits only for
    its own variant.
    """

    def __init__(self, variants: list[Variant], root: Path, workers: int) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=get_context("spawn"), initializer=start_worker
        )
        self._futures: dict[Variant, Future[Results]] = {
            v: self._pool.submit(grade_variant, v, root / v.name) for v in variants
        }

    def __getitem__(self, variant: Variant) -> Results:
        return self._futures[variant].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def grades(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Grades]:
    """Grades of the variants whose tests were selected, so `-k name` grades one."""
    selected: list[Variant] = []
    for item in request.session.items:
        variant = getattr(item, "callspec", None) and item.callspec.params.get("variant")
        if (
            isinstance(variant, Variant)
            and item.module is request.module
            and "grades" in getattr(item, "fixturenames", ())
            and variant not in selected
            and runnable(variant)
        ):
            selected.append(variant)
    workers = max(1, min(len(selected), os.cpu_count() or 1, 4))
    graded = Grades(selected, tmp_path_factory.mktemp("variants"), workers)
    try:
        yield graded
    finally:
        graded.close()


def scoreboard(results: Results) -> str:
    """Per item: score / max and the first failure, for whoever reads a failed test."""
    lines = []
    for i in results.items:
        lines.append(f"  {i.item}: {i.score:g}/{i.max_score:g}")
        if i.first_failure:
            lines.append("      " + i.first_failure.replace("\n", "\n      "))
    lines += [f"  grading error: {e}" for e in results.errors]
    return "\n".join(lines)


def runnable(variant: Variant) -> bool:
    return not variant.requires_cuda or torch.cuda.is_available()


def applicable(variant: Variant) -> None:
    if not runnable(variant):
        pytest.skip("the graders check devices only when a GPU is present")


@pytest.mark.parametrize("variant", MUTANTS, ids=str)
def test_mutant_loses_points_on_its_item_only(variant: Variant, grades: Grades) -> None:
    applicable(variant)
    results = grades[variant]
    by_item = {i.item: i for i in results.items}
    context = f"mutant {variant.name} ({variant.why})\n{scoreboard(results)}"
    assert not results.errors, f"the graders could not run:\n{context}"
    assert variant.item in by_item, f"no grader tests for item {variant.item}:\n{context}"
    own = by_item[variant.item]
    assert own.score < own.max_score, (
        f"the graders missed the mistake in {variant.item}:\n{context}"
    )
    collateral = [i.item for i in results.items if i.item != variant.item and i.score < i.max_score]
    assert not collateral, f"points lost on other items too ({', '.join(collateral)}):\n{context}"
    message = own.first_failure
    assert message.strip() and "Traceback" not in message and message != "not run", (
        f"the student reads no explanation for {variant.item}:\n{context}"
    )


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=str)
def test_alternative_keeps_every_point(variant: Variant, grades: Grades) -> None:
    applicable(variant)
    results = grades[variant]
    failing = [
        f"  {i.item} · {t.name} (−{t.points:g}): " + t.message.replace("\n", "\n    ")
        for i in results.items
        for t in i.tests
        if not t.passed
    ]
    failing += [f"  grading error: {e}" for e in results.errors]
    assert results.full_marks and not failing, (
        f"correct alternative {variant.name} ({variant.why}) lost points:\n" + "\n".join(failing)
    )


def test_every_item_has_a_mutant() -> None:
    collected = run_in_process([MODULE], "solutions", collect_only=True)
    assert not collected.errors, collected.errors
    items = {i.item for i in collected.items}
    assert items, f"no graded items collected for {MODULE}"
    proven = {v.item for v in MUTANTS if not v.requires_cuda}
    unproven = sorted(items - proven)
    assert not unproven, (
        f"items of {MODULE} without a mutant (their graders are unproven): {', '.join(unproven)}; "
        f"add some to tests/mutants/{variant_module_name(MODULE)}.py"
    )
    unknown = sorted({v.item for v in MUTANTS + ALTERNATIVES} - items)
    assert not unknown, f"variants name items that are not graded: {', '.join(unknown)}"


@pytest.mark.parametrize("variant", MUTANTS + ALTERNATIVES, ids=str)
def test_edit_lies_in_its_items_solution_region(variant: Variant) -> None:
    source = solution_source(variant.module)
    assert source.count(variant.old) == 1, (
        f"{variant.name}: the text to replace must occur exactly once in {variant.module}, "
        f"found {source.count(variant.old)} times:\n{variant.old}"
    )
    start = source.index(variant.old)
    end = start + len(variant.old)
    regions = solution_regions(source)
    inside = [item for item, spans in regions.items() for a, b in spans if a <= start and end <= b]
    assert inside == [variant.item], (
        f"{variant.name} declares item {variant.item}, but its edit lies in the solution region of "
        f"{inside or 'no item'}"
    )


def test_variant_names_are_unique() -> None:
    names = [v.name for v in MUTANTS + ALTERNATIVES]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
