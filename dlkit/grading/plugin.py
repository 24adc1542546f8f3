"""The pytest plugin behind every way of grading.

It adds ``--impl`` (what is graded), provides the ``impl`` fixture to grader
modules (each names the module it grades in ``MODULE``), selects items,
turns failures into the student-facing message, and records one result per
test for the scoring side (:mod:`dlkit.grading.results`).

It is registered through the ``pytest11`` entry point, so ``pytest graders
--impl solutions`` works in an installed checkout; grading runs started by
dlkit load it explicitly with plugin autoloading off.
"""
from __future__ import annotations

import functools
import json
import os
import unittest
import warnings
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from dlkit.grading.messages import explain
from dlkit.impl import ImplError, Namespace, load_module, validate

class ImplSource:
    """Where grader modules get their implementation from: a package name, a
    directory, or a namespace (a notebook's globals). Register an instance as
    a plugin to override ``--impl``."""

    def __init__(self, impl: str | Mapping[str, Any], where: str = "your notebook") -> None:
        self.impl = impl
        self.where = where

    def load(self, module: str) -> Any:
        if isinstance(self.impl, Mapping):
            return Namespace(self.impl, self.where)
        return load_module(module, self.impl)


class Recorder:
    """Collects the graded tests and their outcomes; optionally streams them as
    JSON lines to a file, so a grading run killed half-way still tells which
    tests finished."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else None
        self.collected: list[dict[str, Any]] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[str] = []

    def _emit(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        for item in items:
            info = graded_info(item)
            if info is not None:
                self.collected.append(info)
        self._emit({"event": "collected", "tests": self.collected})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            message = str(report.longrepr)
            self.collection_errors.append(message)
            self._emit({"event": "collection_error", "message": message})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        entry = self.results.get(nodeid)
        # A skip counts as a failure: student code could otherwise call
        # pytest.skip() to dodge a test.
        failed_now = report.failed or report.skipped
        if entry is None:
            entry = self.results[nodeid] = {"nodeid": nodeid, "passed": True, "message": ""}
        if failed_now and entry["passed"]:
            entry["passed"] = False
            entry["message"] = getattr(report, "dlkit_message", "") or str(report.longrepr)
        if report.when == "teardown":
            self._emit({"event": "result", **entry})


def graded_info(item: pytest.Item) -> dict[str, Any] | None:
    """The grading facts of a test: its module, item and points (None if ungraded)."""
    item_mark = item.get_closest_marker("item")
    points_mark = item.get_closest_marker("points")
    module = getattr(getattr(item, "module", None), "MODULE", None)
    if item_mark is None or points_mark is None or module is None:
        return None
    return {
        "nodeid": item.nodeid,
        "name": item.name,
        "module": module,
        "item": item_mark.args[0],
        "points": float(points_mark.args[0]),
    }


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dlkit", "grading")
    group.addoption(
        "--impl",
        default="assignments",
        help="what to grade: 'assignments' (default), 'solutions' or a directory "
        "mirroring the assignments tree (DIR/hw7/conditional_gan.py)",
    )
    group.addoption(
        "--dlkit-item",
        action="append",
        default=[],
        metavar="ITEM",
        help="grade only this item (repeatable), e.g. combine_vectors",
    )
    group.addoption(
        "--dlkit-report", default=None, metavar="FILE", help="stream results as JSON lines"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "item(name): the assignment item a grader test grades")
    config.addinivalue_line("markers", "points(n): what the grader test is worth")
    if not any(isinstance(p, ImplSource) for p in config.pluginmanager.get_plugins()):
        impl = config.getoption("--impl")
        try:
            validate(impl)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(ImplSource(impl), "dlkit-impl")
    report = config.getoption("--dlkit-report")
    if report:
        config.pluginmanager.register(Recorder(report), "dlkit-recorder")


class StubReached(unittest.SkipTest):
    """A stub's NotImplementedError inside a hypothesis test. Hypothesis
    re-raises skips at once, where it would shrink any other failure through
    dozens of inputs that cannot matter: an untouched stub is graded in a
    fraction of the time. Reported as a failure, never as a skip."""

    def __init__(self, original: NotImplementedError) -> None:
        super().__init__(str(original))
        self.original = original


def _stop_at_stubs(inner: Any) -> Any:
    @functools.wraps(inner)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        except NotImplementedError as exc:
            raise StubReached(exc) from exc

    wrapped.dlkit_stops_at_stubs = True  # type: ignore[attr-defined]
    return wrapped


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # Hypothesis documents `inner_test` as the place for plugins to wrap;
        # a second run in one notebook kernel finds it already wrapped.
        handle = getattr(getattr(item, "obj", None), "hypothesis", None)
        inner = getattr(handle, "inner_test", None)
        if inner is not None and graded_info(item) is not None and not getattr(inner, "dlkit_stops_at_stubs", False):
            handle.inner_test = _stop_at_stubs(inner)
    wanted = set(config.getoption("--dlkit-item"))
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        info = graded_info(item)
        (keep if info is not None and info["item"] in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module")
def impl(request: pytest.FixtureRequest) -> Any:
    """The implementation of the module named by the grader module's MODULE."""
    module = getattr(request.module, "MODULE", None)
    if module is None:
        raise pytest.UsageError(f"{request.module.__name__} must set MODULE = 'hwN/name'")
    source = next(
        p for p in request.config.pluginmanager.get_plugins() if isinstance(p, ImplSource)
    )
    try:
        return source.load(module)
    except ImplError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(autouse=True)
def _seeded_and_quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every graded test starts from the same random state and without warnings
    (a warning on stderr would cost a notebook cell its points)."""
    if request.node.get_closest_marker("item") is None:
        yield
        return
    import torch

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Read before pytest's unittest support turns the skip into a Skipped.
    stub = call.excinfo.value if call.excinfo is not None and isinstance(call.excinfo.value, StubReached) else None
    report = yield
    if stub is not None:
        report.outcome = "failed"
    if report.failed and call.excinfo is not None and graded_info(item) is not None:
        message = explain(stub or call.excinfo.value)
        report.dlkit_message = message
        report.longrepr = message
    return report
