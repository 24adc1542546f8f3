"""Hostile submissions: each loses points only on what it breaks, with a
stated reason; none gains a point; nothing it starts outlives its grading
or reaches the next submission. See tests/adversarial/cases.py.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator

import pytest

from dlkit.judge.sandbox import ROOT, Limits, bwrap_available
from tests.adversarial.cases import CASES, MARK, Case

MODULE = "hw1/dropout"
LIMITS = Limits(memory_bytes=3 * 2**29, pids=128)
TEST_LIMIT = 15.0
pytestmark = pytest.mark.slow


def _base(case: Case) -> str:
    folder = "solutions" if case.base == "solution" else "assignments"
    return (ROOT / folder / f"{MODULE}.py").read_text(encoding="utf-8")


def _grade(case: Case, root: Path) -> dict[str, Any]:
    from dlkit.grading.runner import grade

    target = root / f"{MODULE}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_base(case) + "\n\n" + case.code, encoding="utf-8")
    start = time.monotonic()
    results = grade([MODULE], root, test_limit=TEST_LIMIT, limits=LIMITS, hidden=True)  # as instructors grade
    return {"json": results.to_json(), "seconds": time.monotonic() - start}


def _planted() -> list[str]:
    """Files of the installed package that hold what write_installed_package writes."""
    return [str(p) for folder in ("dlkit", "graders", "solutions", "assignments")
            for p in (ROOT / folder).rglob("*.py") if b"# planted" in p.read_bytes() and p.name != "cases.py"]


def _marked_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if MARK in cmdline and "pytest" not in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


RUNNABLE = [c for c in CASES if not c.needs_sandbox or bwrap_available()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("adversarial")
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {c.name: pool.submit(_grade, c, root / c.name) for c in RUNNABLE}
        out = {name: f.result() for name, f in futures.items()}
        # The next submissions, after every hostile one: the reference and the stubs.
        for base in ("solution", "stub"):
            out[f"next_{base}"] = pool.submit(_grade, Case(f"next_{base}", base, ""), root / f"next_{base}").result()
    out["_planted"] = {"json": {}, "seconds": 0.0, "files": _planted()}
    table = ["case | score | reason | seconds"]
    for name, r in out.items():
        if name.startswith("_"):
            continue
        failures = [t["message"].splitlines()[0] for i in r["json"]["items"] for t in i["tests"] if not t["passed"]]
        reason = (r["json"]["errors"] or failures or [""])[0][:90]
        table.append(f"{name} | {r['json']['score']:g}/{r['json']['max_score']:g} | {reason} | {r['seconds']:.1f}")
    (root / "table.txt").write_text("\n".join(table) + "\n", encoding="utf-8")
    print("\n" + "\n".join(table))
    yield out


def _full_points() -> dict[str, float]:
    from dlkit.grading.runner import grade

    return {i.item: i.max_score for i in grade([MODULE], "solutions", collect_only=True, hidden=True).items}


FULL = _full_points()  # both layers: apply_dropout_mask 1, drop_rate_from_mask 2, … dropout_forward 4


@pytest.mark.parametrize("case", RUNNABLE, ids=lambda c: c.name)
def test_hostile_submission(graded: dict[str, dict[str, Any]], case: Case) -> None:
    result = graded[case.name]["json"]
    scores = {i["item"]: i["score"] for i in result["items"]}
    messages = {i["item"]: " | ".join(t["message"] for t in i["tests"] if not t["passed"]) for i in result["items"]}
    base_total = sum(FULL.values()) if case.base == "solution" else 0
    assert result["score"] <= base_total, f"{case.name} gained points: {scores}"
    assert graded[case.name]["seconds"] < 240, "grading a hostile submission must stay bounded"
    for item, full in FULL.items():
        want = case.expect.get(item, case.expect.get("*", "full" if case.base == "solution" else "0"))
        got = scores.get(item, 0.0)
        if want == "full":
            assert got == full, f"{case.name}: {item} should keep its {full} points, got {got}: {messages.get(item)}"
        elif want == "0":
            assert got == 0, f"{case.name}: {item} should score 0, got {got}"
    if case.reason:
        text = " | ".join(messages.values()) + " | ".join(result.get("errors", []))
        assert case.reason in text, f"{case.name}: expected the reason {case.reason!r} in: {text[:500]}"


def test_next_submissions_unaffected(graded: dict[str, dict[str, Any]]) -> None:
    assert graded["next_solution"]["json"]["score"] == sum(FULL.values())
    assert graded["next_stub"]["json"]["score"] == 0


def test_nothing_outlives_grading(graded: dict[str, dict[str, Any]]) -> None:
    time.sleep(0.5)
    assert _marked_processes() == []
    assert graded["_planted"]["files"] == [], "a submission changed the installed package"
    leftover = [p for p in Path("/sys/fs/cgroup").glob("*/dlkit-*")] + list(Path("/sys/fs/cgroup").glob("dlkit-*"))
    mine = [p for p in leftover if p.name.split("-")[1] in {str(os.getpid())}]
    assert mine == []
