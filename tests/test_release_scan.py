"""Public graders hold no answers, proven by behaviour (tests/release_scan.py):
every function and class of the built student release that fits an item,
bound to the item's name and graded with both layers, earns less than half
of the item's points; and the scan itself can tell an answer (each item's
reference solution, bound the same way, earns every point)."""
from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator

import pytest

from dlkit.grading.runner import grader_modules
from dlkit.release import release
from tests.release_scan import ROOT, Verdict, is_test_function, returns_a_value, scan_module

MODULES = grader_modules()


def _scan_in_worker(module: str, release_dir: Path, work: Path) -> list[Verdict]:
    import torch

    torch.set_num_threads(1)
    return scan_module(module, release_dir, work)


@pytest.fixture(scope="module")
def scans(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """The scans of the selected modules, run two at a time from the start."""
    selected = sorted({item.callspec.params["module"] for item in request.session.items
                       if item.module is request.module and hasattr(item, "callspec")})
    base = tmp_path_factory.mktemp("scan")
    release_dir = release(base / "student")
    pool = ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1, len(selected))),
                               mp_context=get_context("spawn"))
    try:
        yield {m: pool.submit(_scan_in_worker, m, release_dir, base / "work") for m in selected}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_no_release_function_earns_half_an_item(module: str, scans: dict[str, Future]) -> None:
    verdicts: list[Verdict] = scans[module].result()
    controls = [v for v in verdicts if v.candidate.startswith("solutions.")]
    assert controls and all(v.earned == v.total > 0 for v in controls), (
        "the scan cannot tell an answer: a reference solution bound as a candidate lost points:\n"
        + "\n".join(f"  {v.item}: {v.earned:g}/{v.total:g} {v.note}" for v in controls if v.earned != v.total)
    )
    scanned = [v for v in verdicts if v not in controls]
    assert len(scanned) > 10 * len(controls), f"only {len(scanned)} candidates fit the items of {module}"
    leaks = [v for v in scanned if v.leaks]
    assert not leaks, "release code that earns half an item's points or more when pasted as the item:\n" + "\n".join(
        f"  {v.item} ← {v.candidate}: {v.earned:g}/{v.total:g}" for v in leaks
    )


def test_grader_tests_return_nothing() -> None:
    # The scan leaves the graders' test functions out because bound as an item
    # they return None and fail; that holds only while none returns a value.
    import ast

    offenders = []
    for path in sorted((ROOT / "graders").rglob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_test_function(node) \
                    and returns_a_value(node):
                offenders.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert not offenders, f"grader tests that return a value (the release scan skips tests): {offenders}"
