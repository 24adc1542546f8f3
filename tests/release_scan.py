"""The release scan: no function or class a student receives earns an item's points.

For every graded item, every top-level function and class of the built
student release whose signature fits the item is bound to the item's name in
a submission and graded with both layers (public and instructor-only), as a
student pasting it would be graded:

* the candidate is taken with its own module (its same-module helpers come
  with it): dlkit and graders modules are imported from the installation the
  worker sees, the release's stub modules are copied into the submission;
* the item's arguments are bound to the item's own signature (the stub's),
  defaults applied, and passed to the candidate by position, as many as it
  takes; floating tensor outputs are cast back to the input's dtype when the
  tensor arguments share one floating dtype (mixed inputs have no single
  dtype to go back to); a class bound to a class item is subclassed with
  an ``__init__`` mapping the item's arguments the same way;
* "fits": the candidate needs no more positional arguments than the item
  has, and takes at least as many as the item requires (a class item takes
  classes only; a function item functions or classes).

Left out, with the reasons: ``dlkit.judge`` (the worker's own channel:
calling it from the submission breaks the connection the grading runs on,
which costs the submission every test, never gains one), and the graders'
own test functions (``test_*`` in ``graders``): a test function returns
nothing (tests/test_release_scan.py holds every one of them to that), so
bound as an item it can only fail, while any code in it that could compute
an answer lives in the helpers it calls, which are candidates. Leaving them
out saves about a third of the scan.

All of one module's candidates are graded in one pytest session: before each
test the worker's module rebinds the item to the candidate (``_scan_select``),
then the test runs (pytest's own ``runtestprotocol``). An item's tests run
from the most valuable down and stop as soon as the outcome is settled:
failed points above half the item's (it earns less than half: the property
asserted) or earned points at half or more (a leak). Shrinking is off: the
first failing example settles a test.
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXCLUDED_PACKAGES = ("dlkit.judge",)
SCAN_TEST_LIMIT = 8.0


@dataclass(frozen=True)
class Candidate:
    """A top-level function or class of the release: `module`.`name`."""

    module: str
    name: str
    is_class: bool

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class Verdict:
    """What one candidate earned on one item (settled early: see the module doc)."""

    item: str
    candidate: str
    earned: float
    failed: float
    total: float
    note: str = ""
    seconds: float = 0.0

    @property
    def leaks(self) -> bool:
        return self.earned >= self.total / 2


def is_test_function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a grader file's top-level function is a pytest test (test_*)."""
    return node.name.startswith("test_")


def returns_a_value(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether `node` itself (not a function nested in it) has `return <value>` or yields."""
    todo = list(node.body)
    while todo:
        child = todo.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(child, ast.Return) and child.value is not None:
            return True
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return True
        todo.extend(ast.iter_child_nodes(child))
    return False


def release_candidates(release_dir: Path) -> list[Candidate]:
    """Every top-level function and class defined in the release's Python files."""
    found = []
    for package in ("assignments", "graders", "dlkit"):
        for path in sorted((release_dir / package).rglob("*.py")):
            dotted = ".".join(path.relative_to(release_dir).with_suffix("").parts).removesuffix(".__init__")
            if any(dotted == p or dotted.startswith(p + ".") for p in EXCLUDED_PACKAGES):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if package == "graders" and is_test_function(node):
                        continue
                    found.append(Candidate(dotted, node.name, False))
                elif isinstance(node, ast.ClassDef):
                    found.append(Candidate(dotted, node.name, True))
    return found


def _positional(sig: inspect.Signature) -> tuple[int, float]:
    """(required, most) positional arguments a callable takes (most may be inf);
    required counts keyword-only parameters without a default too, which a
    positional call cannot fill."""
    required, most = 0, 0.0
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            most += 1
            required += p.default is p.empty
        elif p.kind == p.VAR_POSITIONAL:
            most = float("inf")
        elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
            required += 1_000  # cannot be called positionally at all
    return required, most


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def fitting(candidates: list[Candidate], stub: Any, item: str) -> list[tuple[Candidate, int]]:
    """The candidates that fit `item` of the stub module, with how many
    positional arguments each is passed."""
    target = getattr(stub, item)
    item_is_class = inspect.isclass(target)
    item_sig = _signature(target)
    assert item_sig is not None, f"{item}: no signature"
    item_required, item_most = _positional(item_sig)
    out = []
    for cand in candidates:
        if item_is_class and not cand.is_class:
            continue
        obj = getattr(importlib.import_module(cand.module), cand.name, None)
        sig = _signature(obj) if obj is not None else None
        if sig is None:
            continue
        required, most = _positional(sig)
        if required <= item_most and most >= item_required:
            out.append((cand, int(min(most, item_most))))
    return out


SCAN_CODE = """

# ---- the release scan: each item is bound, test by test, to a candidate ----
import importlib as _scan_importlib
import importlib.util as _scan_util
import inspect as _scan_inspect
import sys as _scan_sys
import types as _scan_types
from pathlib import Path as _ScanPath

import torch as _scan_torch

_SCAN_SOURCES = _ScanPath(__file__).resolve().parent / "_sources"


def _scan_module(dotted):
    copy = _SCAN_SOURCES / (dotted.replace(".", "/") + ".py")
    if not copy.is_file():
        return _scan_importlib.import_module(dotted)
    name = "_scan_" + dotted.replace(".", "_")
    if name not in _scan_sys.modules:
        spec = _scan_util.spec_from_file_location(name, copy)
        mod = _scan_util.module_from_spec(spec)
        _scan_sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return _scan_sys.modules[name]


def _scan_input_dtype(values):
    # The dtype of the tensor arguments when they all share one floating dtype.
    dtypes = {t.dtype for v in values for t in (v if isinstance(v, (list, tuple)) else [v])
              if isinstance(t, _scan_torch.Tensor)}
    return dtypes.pop() if len(dtypes) == 1 and next(iter(dtypes)).is_floating_point else None


def _scan_cast(out, dtype):
    if dtype is None:
        return out
    if isinstance(out, _scan_torch.Tensor) and out.is_floating_point():
        return out.to(dtype)
    if isinstance(out, (list, tuple)) and not hasattr(out, "_fields"):
        return type(out)(_scan_cast(o, dtype) for o in out)
    return out


def _scan_select(item, dotted, name, n_pass, cast=_scan_cast, input_dtype=_scan_input_dtype):
    # The file as a student would have it: the stub, then the candidate's
    # module pasted below it (its helpers with it), then ITEM = candidate.
    space = globals()
    for key in [k for k in space if k not in _SCAN_BASE]:
        del space[key]
    space.update(_SCAN_BASE)
    source = _scan_module(dotted)
    space.update({k: v for k, v in vars(source).items() if not (k.startswith("__") and k.endswith("__"))})
    space.update({k: v for k, v in _SCAN_BASE.items() if k.startswith(("_scan", "_SCAN"))})
    target = _SCAN_BASE[item]
    sig = _scan_inspect.signature(target)
    candidate = getattr(source, name)
    if isinstance(candidate, _scan_types.FunctionType):  # pasted: it runs in this file's globals
        rebound = _scan_types.FunctionType(candidate.__code__, space, candidate.__name__,
                                           candidate.__defaults__, candidate.__closure__)
        rebound.__kwdefaults__ = candidate.__kwdefaults__
        rebound.__dict__.update(candidate.__dict__)
        candidate = rebound
    takes = _scan_inspect.signature(candidate).parameters.values()
    by_name = {p.name for p in takes if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    any_name = any(p.kind == p.VAR_KEYWORD for p in takes)

    def arguments(args, kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        positional, named = [], {}
        for pname, p in sig.parameters.items():
            if p.kind == p.VAR_POSITIONAL:
                positional.extend(bound.arguments.get(pname, ()))
            elif p.kind == p.KEYWORD_ONLY:
                if any_name or pname in by_name:
                    named[pname] = bound.arguments[pname]
            elif p.kind != p.VAR_KEYWORD:
                positional.append(bound.arguments[pname])
        return positional[:n_pass], named

    if _scan_inspect.isclass(target):
        def __init__(self, *args, **kwargs):
            positional, named = arguments(args, kwargs)
            candidate.__init__(self, *positional, **named)
        bound_item = type(item, (candidate,), {"__init__": __init__, "__module__": __name__})
    else:
        def bound_item(*args, **kwargs):
            positional, named = arguments(args, kwargs)
            return cast(candidate(*positional, **named), input_dtype(positional + list(named.values())))
        bound_item.__name__ = item
    space[item] = bound_item
    return "bound"


_SCAN_BASE = dict(globals())
_SCAN_BASE["_SCAN_BASE"] = _SCAN_BASE
"""


def write_submission(root: Path, module: str, release_dir: Path) -> None:
    """The scan submission of `module` under `root` (a directory mirroring the
    assignments tree): the release's stub with the scan's binding code after
    it, and copies of the release's stub modules as candidate sources."""
    target = root / f"{module}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    stub = (release_dir / "assignments" / f"{module}.py").read_text(encoding="utf-8")
    target.write_text(stub + SCAN_CODE, encoding="utf-8")
    shutil.copytree(release_dir / "assignments", target.parent / "_sources" / "assignments", dirs_exist_ok=True)


@dataclass(eq=False)  # pluggy keeps plugins in a set
class ScanLoop:
    """A pytest plugin replacing the run loop: every planned candidate on its item's tests."""

    module: str
    plan: dict[str, list[tuple[Candidate, int]]]
    verdicts: list[Verdict] = field(default_factory=list)

    def pytest_runtestloop(self, session: Any) -> bool:
        from _pytest.runner import runtestprotocol
        from hypothesis import Phase, settings

        from dlkit.grading.plugin import ImplSource, graded_info
        from dlkit.judge import RemoteModule, WorkerFailed

        source = next(p for p in session.config.pluginmanager.get_plugins() if isinstance(p, ImplSource))
        tests: dict[str, list[tuple[float, Any]]] = {}
        for test in session.items:
            info = graded_info(test)
            if info is not None:
                tests.setdefault(info["item"], []).append((info["points"], test))
                handle = getattr(test.obj, "hypothesis", None)
                if handle is not None:
                    test.obj._hypothesis_internal_use_settings = settings(
                        test.obj._hypothesis_internal_use_settings,
                        phases=(Phase.explicit, Phase.reuse, Phase.generate))
        submission = source.submission
        assert submission is not None, source.error
        remote = RemoteModule(submission, self.module)
        for item, planned in self.plan.items():
            ordered = sorted(tests.get(item, []), key=lambda pt: -pt[0])
            total = sum(p for p, _ in ordered)
            for cand, n_pass in planned:
                verdict = Verdict(item, str(cand), 0.0, 0.0, total)
                started = time.monotonic()
                control = cand.module.startswith("solutions.")
                bound_in = None
                for points, test in ordered:
                    if bound_in is None or bound_in is not submission.process:  # a restarted worker forgot it
                        try:
                            remote._scan_select(item, cand.module, cand.name, n_pass)
                        except (WorkerFailed, Exception) as exc:  # noqa: BLE001 - it cannot be bound: it earns nothing
                            verdict.failed, verdict.note = total, f"not bound: {type(exc).__name__}: {str(exc)[:80]}"
                            break
                        bound_in = submission.process
                    # Module fixtures stay up between runs; another module's go first.
                    session._setupstate.teardown_exact(test)
                    reports = runtestprotocol(test, nextitem=test.parent, log=False)
                    if all(r.passed for r in reports):
                        verdict.earned += points
                    else:
                        verdict.failed += points
                        if not verdict.note:
                            failure = next(r for r in reports if not r.passed)
                            message = getattr(failure, "dlkit_message", "") or str(failure.longrepr)
                            verdict.note = f"{test.name}: {message.splitlines()[0][:120] if message else ''}"
                    if control:
                        continue  # a control runs every test: it must earn them all
                    if verdict.failed > total / 2 or verdict.earned >= total / 2:
                        break
                verdict.seconds = time.monotonic() - started
                self.verdicts.append(verdict)
        session._setupstate.teardown_exact(None)
        return True


def scan_module(module: str, release_dir: Path, work: Path, only: list[str] | None = None) -> list[Verdict]:
    """Every fitting release candidate on every item of `module`, after a
    control: the item's reference solution, copied into the submission (the
    worker cannot see solutions/), which must earn the item's points or the
    scan could not tell an answer. `only`: candidates whose str() is listed
    (for trying one)."""
    import pytest

    from dlkit.grading.plugin import ImplSource
    from dlkit.grading.runner import _grading_environment, grade, pytest_args

    stub = importlib.import_module("assignments." + module.replace("/", "."))
    candidates = release_candidates(release_dir)
    items = sorted({i.item for i in grade([module], "solutions", collect_only=True, hidden=True).items})
    if only is not None:
        candidates = [c for c in candidates if str(c) in only]
    reference = "solutions." + module.replace("/", ".")
    plan = {item: [(Candidate(reference, item, inspect.isclass(getattr(stub, item))), 1_000)]
            + fitting(candidates, stub, item) for item in items}
    root = work / module.replace("/", "_")
    write_submission(root, module, release_dir)
    copy = root / module.split("/")[0] / "_sources" / f"{reference.replace('.', '/')}.py"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "solutions" / f"{module}.py", copy)
    source = ImplSource(str(root), test_limit=SCAN_TEST_LIMIT)
    source.prestart()
    loop = ScanLoop(module, plan)
    sink = io.StringIO()
    try:
        with _grading_environment(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(pytest_args([module], hidden=True) + ["--capture=sys"], plugins=[source, loop])
    finally:
        source.close()
    return loop.verdicts
