"""What a student sees from `dlkit check`: progress while grading, a
scoreboard that fits the terminal, which files were graded, usage errors
in one style, and help that offers only what this installation can do."""
from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dlkit.grading.results import Results
from dlkit.grading.runner import item_order
from tests.helpers import ROOT, run_cli

DROPOUT = (ROOT / "solutions" / "hw1" / "dropout.py").read_text(encoding="utf-8")
STUB = (ROOT / "assignments" / "hw1" / "dropout.py").read_text(encoding="utf-8")


def _submission(tmp_path: Path, text: str, name: str = "sub") -> Path:
    root = tmp_path / name
    (root / "hw1").mkdir(parents=True)
    (root / "hw1" / "dropout.py").write_text(text, encoding="utf-8")
    return root


def _on_a_terminal(args: list[str], columns: int, cwd: Path = ROOT) -> str:
    """`dlkit ARGS` with stdout and stderr on a pseudo-terminal `columns` wide."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40"}
    proc = subprocess.Popen([sys.executable, "-m", "dlkit.cli", *args], cwd=cwd, env=env,
                            stdout=follower, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_progress_per_item_then_the_scoreboard_in_the_handouts_order(tmp_path: Path) -> None:
    proc = run_cli("check", "hw1/dropout")
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("graded ")]
    order = [i for i in item_order("hw1/dropout") if i != "main"]
    assert [line.split("::")[1].split(":")[0] for line in lines] == order, proc.stderr
    assert all(line.endswith(tuple(f": 0/{n}" for n in ("0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5")))
               or ": 0/" in line for line in lines)
    rows = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("hw1/dropout ")]
    assert rows == order
    # The stub's message names its function; the row does not say it twice.
    assert "apply_dropout_mask: not implemented" not in proc.stdout and "not implemented yet" in proc.stdout
    # Which files were graded, by path.
    assert f"--impl assignments = {ROOT / 'assignments'}" in proc.stdout.splitlines()[0]
    assert "-v" in proc.stdout.splitlines()[-1]


def test_verbose_output_does_not_point_to_verbose_output() -> None:
    proc = run_cli("check", "hw1/dropout::drop_rate_from_mask", "-v")
    assert proc.returncode == 1
    assert "✗ drop_rate_from_mask" in proc.stdout and " -v" not in proc.stdout


def test_a_terminal_gets_a_live_line_a_fitted_table_and_the_whole_first_failure(tmp_path: Path) -> None:
    broken = DROPOUT + "\n\ndef broken(:\n    pass\n"
    text = _on_a_terminal(["check", "hw1/dropout", "--impl", str(_submission(tmp_path, broken))], columns=72)
    assert "\r\x1b[K[1/" in text  # the live line, rewritten in place
    table = [line for line in text.split("\r\x1b[K")[-1].splitlines() if line.startswith(("hw1/dropout", "---"))]
    assert table and all(len(line) <= 72 for line in table), table
    assert any(line.endswith("…") for line in table)
    # Cut in the table, so said in full below it, with the location once.
    assert "First failure in full (hw1/dropout::apply_dropout_mask" in text
    full = text.split("First failure in full", 1)[1]
    assert "SyntaxError: invalid syntax (dropout.py, line" in full and "def broken(:" in full
    assert full.count("line ") == 1


def test_not_a_terminal_gets_full_rows_and_per_module_subtotals() -> None:
    collected = [
        {"nodeid": f"{m}::{i}", "name": "t", "module": m, "item": i, "points": p}
        for m, i, p in (("hw1/a", "one", 2.0), ("hw1/a", "two", 1.0), ("hw1/b", "three", 4.0))
    ]
    long = "a property that fails, said in a sentence much longer than any terminal is wide " * 2
    outcomes = [{"nodeid": "hw1/a::one", "passed": True, "message": ""},
                {"nodeid": "hw1/a::two", "passed": False, "message": long + "\ndetails"},
                {"nodeid": "hw1/b::three", "passed": True, "message": ""}]
    results = Results.from_records(collected, outcomes)
    full = results.table()
    assert long.strip() in full and not results.cut(None)
    subtotals = [line.split() for line in full.splitlines() if "subtotal" in line]
    assert subtotals == [["hw1/a", "subtotal", "2", "3"], ["hw1/b", "subtotal", "4", "4"]]
    assert full.splitlines()[-1].split() == ["total", "6", "7"]
    narrow = results.table(60)
    assert results.cut(60) and all(len(line) <= 60 for line in narrow.splitlines() if "subtotal" not in line)
    single = Results.from_records(collected[:2], outcomes[:2]).table()
    assert "subtotal" not in single


def test_a_copy_of_the_stubs_in_the_current_directory_is_what_gets_graded(tmp_path: Path) -> None:
    copy = _submission(tmp_path, DROPOUT, "my-work")
    proc = run_cli("check", "hw1/dropout", cwd=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"grading {copy}" in proc.stdout and "--impl assignments grades the installed stubs" in proc.stdout
    stub = run_cli("check", "hw1/dropout", "--impl", "assignments", cwd=copy)
    assert stub.returncode == 1 and "this directory holds a copy" not in stub.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["check", "--timeout", "0"], "--timeout: expected a positive number of seconds per test, got 0"),
        (["check", "--timeout", "-5"], "--timeout: expected a positive number of seconds per test, got -5"),
        (["check", "--json", "/nonexistent/x.json"], "--json: the folder /nonexistent does not exist"),
        (["check", "--bogus"], "unrecognized arguments: --bogus"),
        (["bogus"], "invalid choice: 'bogus'"),
        (["run"], "name an experiment, one of hw1/distillation, hw1/fashion_mlp"),
        (["run", "hw9/nothing"], "unknown experiment 'hw9/nothing'"),
        (["run", "hw1/optimizers", "--max-steps", "0"], "--max-steps"),
    ],
)
def test_usage_errors_are_one_line_in_one_style(args: list[str], words: str) -> None:
    proc = run_cli(*args, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dlkit: error: ") and words in lines[0], proc.stderr
    assert "usage:" not in proc.stderr and "Traceback" not in proc.stderr and proc.stdout == ""


def test_run_help_lists_every_experiment() -> None:
    from dlkit.experiments import EXPERIMENTS

    proc = run_cli("run", "--help")
    assert proc.returncode == 0
    assert all(f"  {name}\n" in proc.stdout for name in EXPERIMENTS)
    assert "TARGET" in proc.stdout and "OPTIONS" in proc.stdout


def test_an_experiment_on_wrong_code_shows_the_students_line_not_a_traceback(tmp_path: Path) -> None:
    source = (ROOT / "solutions" / "hw1" / "optimizers.py").read_text(encoding="utf-8")
    start = source.index("def sgd_step(")
    body = source.index("\n", source.index('"""', source.index('"""', start) + 3))
    wrong = source[:body + 1] + "    raise TypeError('sgd_step went wrong')\n" + source[body + 1:]
    root = tmp_path / "sub"
    (root / "hw1").mkdir(parents=True)
    (root / "hw1" / "optimizers.py").write_text(wrong, encoding="utf-8")
    proc = run_cli("run", "hw1/optimizers", "--impl", str(root), "--max-steps", "3", "--out", str(tmp_path / "o"))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "your code raised TypeError: sgd_step went wrong" in proc.stderr
    assert "optimizers.py, line" in proc.stderr and "raise TypeError('sgd_step went wrong')" in proc.stderr


def test_parametrised_tests_are_named_by_dtype() -> None:
    proc = run_cli("check", "hw1/dropout::inverted_dropout", "-v")
    assert "[float32]" in proc.stdout and "[dtype0]" not in proc.stdout, proc.stdout


def _parsers() -> dict[str, "argparse.ArgumentParser"]:
    import argparse
    import importlib

    from dlkit.cli import build_parser
    from dlkit.experiments import EXPERIMENTS

    top = build_parser()
    found = {"dlkit": top}
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update({f"dlkit {name}": p for name, p in action.choices.items() if p.add_help})
    for name, dotted in EXPERIMENTS.items():
        found[f"dlkit run {name}"] = importlib.import_module(dotted)._parser()
    return found


@pytest.mark.parametrize("command", sorted(_parsers()))
def test_every_argument_says_what_it_is_for(command: str) -> None:
    import argparse

    parser = _parsers()[command]
    silent = [a.dest for a in parser._actions if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert not silent, f"{command}: no help text for {silent}"


def _experiments() -> list[str]:
    from dlkit.experiments import EXPERIMENTS

    return sorted(EXPERIMENTS)


@pytest.mark.parametrize("target", _experiments())
def test_every_experiment_has_a_quick_run(target: str) -> None:
    assert "--quick" in _parsers()[f"dlkit run {target}"].format_help()


def test_every_experiment_is_timed_by_the_benchmark() -> None:
    import importlib.util

    from dlkit.experiments import EXPERIMENTS

    spec = importlib.util.spec_from_file_location("experiment_times", ROOT / "benchmarks" / "experiment_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(target for target, _ in module.EXPERIMENTS) == sorted(EXPERIMENTS)
