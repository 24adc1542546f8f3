"""Running grader modules against an implementation.

The judge (pytest, hypothesis, the graders' checks, the scoring) runs in
this process and never imports the submission: the graders' ``impl`` is a
proxy to the submission's sandboxed worker (dlkit.judge), which is started
before collection so that it imports torch while the judge collects. A
crash, hang or exit of the worker costs the test that was running; the next
test gets a fresh worker.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from dlkit.grading.results import Results

if TYPE_CHECKING:  # the judge imports torch: not needed to list modules
    from dlkit.judge import Submission
    from dlkit.judge.sandbox import Limits

GRADERS_ROOT = Path(__file__).resolve().parents[2] / "graders"
# The instructor-only layer: absent from the student release.
HIDDEN_ROOT = GRADERS_ROOT.parent / "instructor"
INI = Path(__file__).with_name("grading.ini")


_MODULE_LINE = re.compile(r"""^MODULE\s*=\s*["']([\w/]+)["']""", re.MULTILINE)


def _module_of(path: Path, root: Path) -> str:
    """The graded module a grader file declares (its MODULE constant); a file
    without one grades the module of its name (test_dropout.py: hw1/dropout)."""
    found = _MODULE_LINE.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else f"{path.parent.relative_to(root).as_posix()}/{path.stem.removeprefix('test_')}"


def _files_by_module(root: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for path in sorted(root.glob("*/test_*.py")):
        files.setdefault(_module_of(path, root), []).append(path)
    return files


def grader_modules() -> list[str]:
    """Every graded module, e.g. ['hw7/conditional_gan'], in a stable order."""
    return sorted(_files_by_module(GRADERS_ROOT))


def grader_files(module: str) -> list[Path]:
    """The public grader files of a module: every graders/<hw>/test_*.py whose
    MODULE is `module` (hw7/word2vec: test_word2vec_text.py, _model, _training)."""
    return _files_by_module(GRADERS_ROOT).get(module, [])


def hidden_files(module: str) -> list[Path]:
    """The instructor-only grader files of a module (there may be none)."""
    return _files_by_module(HIDDEN_ROOT).get(module, []) if HIDDEN_ROOT.is_dir() else []


def item_order(module: str) -> list[str]:
    """The module's functions and classes in the order the handout's stub
    file defines them: the scoreboard's order of items."""
    import ast

    stub = GRADERS_ROOT.parent / "assignments" / f"{module}.py"
    if not stub.is_file():
        return []
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def solutions_available() -> bool:
    """Whether this installation has the reference solutions (absent from the student release)."""
    return (GRADERS_ROOT.parent / "solutions" / "__init__.py").is_file()


def hidden_available() -> bool:
    """Whether this installation has the instructor-only graders."""
    return (HIDDEN_ROOT / "__init__.py").is_file()


def pytest_args(modules: list[str], items: list[str] | None = None, hidden: bool = False) -> list[str]:
    args = ["-c", str(INI), "--rootdir", str(INI.parent), "-p", "dlkit.grading.plugin", "-q"]
    # Each folder's files are read once, not once per module.
    public = _files_by_module(GRADERS_ROOT)
    args += [str(f) for m in modules for f in public.get(m, [])]
    if hidden and HIDDEN_ROOT.is_dir():
        instructor = _files_by_module(HIDDEN_ROOT)
        args += [str(f) for m in modules for f in instructor.get(m, [])]
    for item in items or []:
        args += ["--dlkit-item", item]
    return args


@contextlib.contextmanager
def _grading_environment() -> Iterator[None]:
    """No third-party pytest plugins, and hypothesis writes nowhere."""
    saved = {k: os.environ.get(k) for k in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "HYPOTHESIS_STORAGE_DIRECTORY")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "dlkit-hypothesis"))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def grade(
    modules: list[str],
    impl: str | Path,
    items: list[str] | None = None,
    collect_only: bool = False,
    sandbox: str = "auto",
    test_limit: float | None = None,
    limits: Limits | None = None,
    submission: Submission | None = None,
    hidden: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> Results:
    """Grade `impl` (a package name or a submission directory) with the
    graders of `modules`, here; the submission itself runs only in its
    sandboxed worker. pytest's own output is swallowed (it is not for
    students). `submission`: a running worker to grade with (its root must
    be `impl`), left running afterwards. `hidden`: also run the
    instructor-only graders (their tests are marked "hidden" in the results).
    `progress`: called with each record as grading goes ({"event": "collected",
    "tests": [...]}, then {"event": "result", "nodeid", "passed", ...} per test).

    Raises:
        FileNotFoundError: `hidden` is set and this installation has no
            instructor-only graders (a student release).
    """
    import pytest

    if hidden and not hidden_available():
        raise FileNotFoundError(f"hidden graders: {HIDDEN_ROOT} not found (a student release has none)")

    from dlkit.grading.plugin import DEFAULT_TEST_LIMIT, ImplSource, Recorder

    source = ImplSource(str(impl), sandbox=sandbox, test_limit=test_limit or DEFAULT_TEST_LIMIT, limits=limits,
                        submission=submission)
    if not collect_only:
        source.prestart()
    recorder = Recorder(listener=progress)
    args = pytest_args(modules, items, hidden) + (["--collect-only"] if collect_only else [])
    sink = io.StringIO()
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the judge's tensors are tiny too
    try:
        with _grading_environment(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(args + ["--capture=sys"], plugins=[source, recorder])
    finally:
        torch.set_num_threads(threads)
        source.close()
    results = Results.from_records(recorder.collected, recorder.results.values(), recorder.collection_errors)
    modules_order = {m: n for n, m in enumerate(modules)}
    orders = {m: {name: n for n, name in enumerate(item_order(m))} for m in modules}
    results.items.sort(key=lambda i: (modules_order.get(i.module, len(modules)),
                                      orders.get(i.module, {}).get(i.item, 10**6)))
    submission = source.submission
    results.sandbox = submission.mode if submission is not None else sandbox
    results.restarts = list(submission.restarts) if submission is not None else []
    return results
