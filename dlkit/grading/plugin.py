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
import time
import unittest
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from dlkit.grading.messages import explain
from dlkit.impl import ImplError, impl_root, validate
from dlkit.judge import RemoteError, RemoteModule, Submission, WorkerFailed
from dlkit.judge.sandbox import Limits

DEFAULT_TEST_LIMIT = 60.0

class ImplSource:
    """Where grader modules get their implementation from: the sandboxed
    worker of one submission (a package name or a directory). Register an
    instance as a plugin to override ``--impl``. Nothing of the submission is
    imported here: graders receive :class:`~dlkit.judge.RemoteModule` proxies."""

    def __init__(self, impl: str | Path, sandbox: str = "auto", test_limit: float = DEFAULT_TEST_LIMIT,
                 limits: Limits | None = None, submission: Submission | None = None) -> None:
        """`submission`: a worker to use (and leave running) instead of a new one."""
        self.impl = str(impl)
        self.limits = limits or Limits()
        self._owned = submission is None
        self.sandbox = sandbox
        self.test_limit = test_limit
        self._submission: Submission | None = submission
        self.error: str | None = None
        if submission is not None:
            submission.test_limit = test_limit

    @property
    def submission(self) -> Submission | None:
        if self._submission is None and self.error is None:
            try:
                self._submission = Submission(impl_root(self.impl), policy=self.sandbox, limits=self.limits)
                self._submission.test_limit = self.test_limit
            except ImplError as exc:
                self.error = str(exc)
        return self._submission

    def prestart(self) -> None:
        """Start the worker now, so that it imports torch while the judge collects."""
        if self.submission is not None:
            self.submission.start()

    def load(self, module: str) -> RemoteModule:
        if self.submission is None:
            raise ImplError(self.error or "no submission")
        remote = RemoteModule(self.submission, module)
        deadline = self.submission.deadline
        try:
            self.submission.deadline = None
            self.submission.ready()
            self.submission.deadline = time.monotonic() + self.test_limit
            remote.load()
        except RemoteError as exc:
            raise ImplError(import_failure(exc, module)) from None
        except WorkerFailed as exc:
            raise ImplError(f"import of {module} failed: {exc}") from None
        finally:
            self.submission.deadline = deadline
        return remote

    def close(self) -> None:
        if self._submission is not None and self._owned:
            self._submission.close()


def import_failure(exc: RemoteError, module: str) -> str:
    """'import error in hw1/dropout.py: SyntaxError: … (dropout.py, line 3)'; 'file missing: …'."""
    if exc.remote_type == "FileNotFoundError" and str(exc).startswith("file missing"):
        return str(exc)
    where = f" ({exc.where})" if exc.where else ""
    return f"import error in {module}.py: {exc.remote_type}: {exc}{where}"


class Recorder:
    """Collects the graded tests and their outcomes; optionally streams them as
    JSON lines to a file, so a grading run killed half-way still tells which
    tests finished."""

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.path = Path(path) if path else None
        self.listener = listener  # told of every record as it is made (progress on a terminal)
        self.collected: list[dict[str, Any]] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.collection_errors: list[str] = []

    def _emit(self, record: dict[str, Any]) -> None:
        if self.listener is not None:
            self.listener(record)
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
    """The grading facts of a test: its module, item, points and layer
    (visibility "visible" or "hidden"); None if ungraded."""
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
        "visibility": "hidden" if is_hidden(item) else "visible",
        "secondary": item.get_closest_marker("secondary") is not None,
    }


def is_hidden(item: pytest.Item) -> bool:
    """A test of the instructor-only layer (the top-level package instructor/)."""
    name = getattr(getattr(item, "module", None), "__name__", "")
    return name == "instructor" or name.startswith("instructor.")


def seed_of(item: pytest.Item) -> int:
    """The torch and hypothesis seed of a graded test: 0 in the public layer
    (where hypothesis is derandomised per test), the grading seed mixed with
    the test's name in the hidden one."""
    if not is_hidden(item):
        return 0
    from instructor import GRADING_SEED

    return zlib.crc32(f"{GRADING_SEED}:{item.nodeid}".encode()) & 0x7FFFFFFF


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Test ids that read as the handout does: test_x[float64], not test_x[dtype0]."""
    text = str(val)
    if type(val).__name__ in ("dtype", "device") and text.startswith(("torch.", "cpu", "cuda")):
        return text.removeprefix("torch.")
    return None


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
    group.addoption(
        "--sandbox", default="auto", choices=("auto", "require", "none"),
        help="run the submission under bubblewrap when available (auto), always (require) or never (none)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "item(name): the assignment item a grader test grades")
    config.addinivalue_line("markers", "points(n): what the grader test is worth")
    config.addinivalue_line("markers", "time_limit(seconds): the test's own time limit in the worker")
    config.addinivalue_line("markers", "secondary: the points count only when the item's other tests pass")
    if not any(isinstance(p, ImplSource) for p in config.pluginmanager.get_plugins()):
        impl = config.getoption("--impl")
        try:
            validate(impl)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(ImplSource(impl, sandbox=config.getoption("--sandbox")), "dlkit-impl")
    report = config.getoption("--dlkit-report")
    if report:
        config.pluginmanager.register(Recorder(report), "dlkit-recorder")


class StubReached(unittest.SkipTest):
    """A stub's NotImplementedError, or a worker failure (crash, time-out,
    exit), inside a hypothesis test. Hypothesis re-raises skips at once, where
    it would shrink any other failure through dozens of inputs that cannot
    matter (and restart a crashed worker for each): an untouched stub or a
    crashing submission is graded in a fraction of the time. Reported as a
    failure, never as a skip."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


def _stop_at_stubs(inner: Any) -> Any:
    @functools.wraps(inner)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        except (NotImplementedError, WorkerFailed) as exc:
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
        if handle is not None and is_hidden(item):
            # What hypothesis's own @seed sets: it outranks derandomize.
            item.obj._hypothesis_internal_use_seed = seed_of(item)
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
    source = _source(request.config)
    try:
        return source.load(module)
    except ImplError as exc:
        pytest.fail(str(exc), pytrace=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ImplSource):
            plugin.close()


def _source(config: pytest.Config) -> ImplSource:
    return next(p for p in config.pluginmanager.get_plugins() if isinstance(p, ImplSource))


@pytest.fixture(autouse=True)
def _seeded_and_quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every graded test starts from the same state, here and in the worker,
    within its own time limit, and without warnings (a warning on stderr
    would cost a notebook cell its points)."""
    if request.node.get_closest_marker("item") is None:
        yield
        return
    import torch

    source = _source(request.config)
    submission = source.submission
    limit_mark = request.node.get_closest_marker("time_limit")
    limit = float(limit_mark.args[0]) if limit_mark else source.test_limit
    seed = seed_of(request.node)
    _reset_judge_state(torch, seed)
    if submission is not None:
        submission.test_limit = limit
        submission.deadline = time.monotonic() + limit
        if submission.process is not None:
            try:
                submission.request("reset", "starting the test", seed=seed)
            except WorkerFailed:
                pass  # reported by the test itself, which restarts the worker
    try:
        _require_item(request)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if submission is not None:
            submission.deadline = None


def _require_item(request: pytest.FixtureRequest) -> None:
    """A test of an item the submission does not define fails at once with
    that sentence alone: no property is tried, no input is shrunk."""
    if "impl" not in request.fixturenames:
        return
    name = request.node.get_closest_marker("item").args[0]
    impl = request.getfixturevalue("impl")
    try:
        present = hasattr(impl, name)
    except WorkerFailed:
        return  # the test itself meets the failure and reports it
    if not present:
        kind = "class" if name[:1].isupper() else "function"
        pytest.fail(f"{name} is missing: define a {kind} with exactly that name.", pytrace=False)


def _reset_judge_state(torch: Any, seed: int) -> None:
    torch.manual_seed(seed)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)


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
