"""The graders, proven on variants of the reference solutions.

Every graded module with variant files (tests/mutants/, tests/alternatives/)
is covered. Each mutant (one realistic mistake) must lose points on its own
item and keep full marks on every other item, with a failure message written
for the student; each alternative (correct, written differently) must keep
every point. A variant is graded once, all items together, exactly as a
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
from dlkit.grading.runner import grade, grader_modules
from tests.variants import (
    Variant,
    grade_variant,
    load_variants,
    solution_regions,
    solution_source,
    start_worker,
    variant_module_name,
)

TESTS = Path(__file__).resolve().parent
KINDS = ("mutants", "alternatives")


def variant_files() -> dict[str, list[Path]]:
    """The declared variant files by module name (hw7_conditional_gan), both kinds."""
    files: dict[str, list[Path]] = {}
    for kind in KINDS:
        for path in sorted((TESTS / kind).glob("*.py")):
            if path.stem != "__init__":
                files.setdefault(path.stem, []).append(path)
    return files


GRADED = {variant_module_name(m): m for m in grader_modules()}
# Sorted by graded module so the test ids read module by module.
MODULES = sorted(GRADED[name] for name in variant_files() if name in GRADED)
DECLARED = {m: {kind: load_variants(kind, m) for kind in KINDS} for m in MODULES}
MUTANTS = [v for m in MODULES for v in DECLARED[m]["mutants"]]
ALTERNATIVES = [v for m in MODULES for v in DECLARED[m]["alternatives"]]


def variant_id(variant: Variant) -> str:
    """hw7_word2vec-pairs_include_target: names repeat across modules, the pair does not."""
    return f"{variant_module_name(variant.module)}-{variant.name}"


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
            v: self._pool.submit(grade_variant, v, root / variant_id(v)) for v in variants
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


@pytest.mark.parametrize("variant", MUTANTS, ids=variant_id)
def test_mutant_loses_points_on_its_item_only(variant: Variant, grades: Grades) -> None:
    applicable(variant)
    results = grades[variant]
    by_item = {i.item: i for i in results.items}
    context = f"mutant {variant.name} of {variant.module} ({variant.why})\n{scoreboard(results)}"
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


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=variant_id)
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
        f"correct alternative {variant.name} of {variant.module} ({variant.why}) lost points:\n"
        + "\n".join(failing)
    )


def test_variant_files_name_graded_modules() -> None:
    # A misnamed file would otherwise be skipped without a word.
    orphans = sorted(
        str(path.relative_to(TESTS))
        for name, paths in variant_files().items()
        if name not in GRADED
        for path in paths
    )
    assert not orphans, (
        f"variant files named after no graded module: {', '.join(orphans)}; "
        f"graded modules: {', '.join(sorted(GRADED.values()))}"
    )
    assert MODULES, "no variant files found in tests/mutants or tests/alternatives"


@pytest.mark.parametrize("module", MODULES)
def test_every_item_has_a_mutant(module: str) -> None:
    collected = grade([module], "solutions", collect_only=True)
    assert not collected.errors, collected.errors
    items = {i.item for i in collected.items}
    assert items, f"no graded items collected for {module}"
    mutants, alternatives = DECLARED[module]["mutants"], DECLARED[module]["alternatives"]
    proven = {v.item for v in mutants if not v.requires_cuda}
    unproven = sorted(items - proven)
    assert not unproven, (
        f"items of {module} without a mutant (their graders are unproven): {', '.join(unproven)}; "
        f"add some to tests/mutants/{variant_module_name(module)}.py"
    )
    unknown = sorted({v.item for v in mutants + alternatives} - items)
    assert not unknown, f"variants of {module} name items that are not graded: {', '.join(unknown)}"


@pytest.mark.parametrize("module", MODULES)
def test_variants_edit_their_files_module(module: str) -> None:
    # A variant copied from another module's file would edit, and prove, the wrong module.
    declared = DECLARED[module]["mutants"] + DECLARED[module]["alternatives"]
    strays = sorted(f"{v.name} ({v.module})" for v in declared if v.module != module)
    assert not strays, (
        f"variants declared in tests/*/{variant_module_name(module)}.py edit another module: "
        + ", ".join(strays)
    )


@pytest.mark.parametrize("variant", MUTANTS + ALTERNATIVES, ids=variant_id)
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


@pytest.mark.parametrize("module", MODULES)
def test_variant_names_are_unique(module: str) -> None:
    names = [v.name for v in DECLARED[module]["mutants"] + DECLARED[module]["alternatives"]]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
