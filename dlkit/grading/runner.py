"""Running grader modules against an implementation.

Two ways: in this process (the notebook entry point, collection for the
build) and in a child process with a wall-clock limit (the CLI). The child
streams one JSON line per finished test to a file the parent reads, so a
submission that hangs or kills its interpreter loses only the tests that did
not finish.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

from dlkit.grading.results import Results

GRADERS_ROOT = Path(__file__).resolve().parents[2] / "graders"
INI = Path(__file__).with_name("grading.ini")


def grader_modules() -> list[str]:
    """Every graded module, e.g. ['hw7/conditional_gan'], in a stable order."""
    return sorted(
        f"{p.parent.relative_to(GRADERS_ROOT).as_posix()}/{p.stem.removeprefix('test_')}"
        for p in GRADERS_ROOT.glob("*/test_*.py")
    )


def grader_file(module: str) -> Path:
    """graders/hw7/test_conditional_gan.py for 'hw7/conditional_gan'."""
    folder, name = module.rsplit("/", 1)
    return GRADERS_ROOT / folder / f"test_{name}.py"


def pytest_args(modules: list[str], items: list[str] | None = None) -> list[str]:
    args = ["-c", str(INI), "--rootdir", str(INI.parent), "-p", "dlkit.grading.plugin", "-q"]
    args += [str(grader_file(m)) for m in modules]
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


def run_in_process(
    modules: list[str],
    impl: str | Mapping[str, Any],
    items: list[str] | None = None,
    collect_only: bool = False,
) -> Results:
    """Run graders here; pytest's own output is swallowed (it is not for students)."""
    import pytest

    from dlkit.grading.plugin import ImplSource, Recorder

    recorder = Recorder()
    args = pytest_args(modules, items) + (["--collect-only"] if collect_only else [])
    sink = io.StringIO()
    with _grading_environment(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main(args + ["--capture=sys"], plugins=[ImplSource(impl), recorder])
    return Results.from_records(recorder.collected, recorder.results.values(), recorder.collection_errors)


def run_subprocess(
    modules: list[str], impl: str, items: list[str] | None = None, timeout: float = 600
) -> Results:
    """Run graders in a child process in a scratch directory, within `timeout` seconds."""
    if impl not in ("assignments", "solutions"):
        impl = str(Path(impl).resolve())
    with tempfile.TemporaryDirectory(prefix="dlkit-grade-") as scratch:
        report = Path(scratch) / "report.jsonl"
        cmd = [sys.executable, "-m", "pytest", *pytest_args(modules, items), "--impl", impl, "--dlkit-report", str(report)]
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", HYPOTHESIS_STORAGE_DIRECTORY=scratch)
        # The scratch directory is the working directory: whatever student code
        # writes there is thrown away. The repository root stays importable for
        # a checkout that was not installed.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GRADERS_ROOT.parent), env.get("PYTHONPATH")]))
        reason = None
        try:
            proc = subprocess.run(
                cmd, cwd=scratch, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, text=True,
            )
            if proc.returncode not in (0, 1):
                reason = f"the grading process ended early (exit status {proc.returncode})"
                tail = proc.stdout.strip().splitlines()[-3:]
                if tail:
                    reason += ": " + " | ".join(tail)
        except subprocess.TimeoutExpired:
            reason = f"did not finish within the time limit ({timeout:g} s)"
        return Results.from_jsonl(report, unfinished_reason=reason)
