"""The `dlkit check` contract that instructors' scripts rely on: targets,
--impl, --json and exit codes 0 / 1 / 2; and a submission that misbehaves
loses only what it breaks, with a reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from dlkit.grading.runner import grader_modules
from tests.helpers import ROOT, read_json, run_cli

SOLUTION = (ROOT / "solutions" / "hw7" / "conditional_gan.py").read_text(encoding="utf-8")
ITEMS = [
    "get_one_hot_labels", "combine_vectors", "get_input_dimensions", "make_gen_block",
    "get_noise", "make_disc_block", "get_criterion", "get_disc_loss", "get_gen_loss",
]


def check_shape(report: dict) -> None:
    assert set(report) == {"score", "max_score", "sandbox", "worker_restarts", "errors", "items"}
    assert report["sandbox"] in ("bwrap", "none")
    assert isinstance(report["score"], float) and isinstance(report["max_score"], float)
    for item in report["items"]:
        assert set(item) == {"module", "item", "score", "max_score", "tests"}
        assert isinstance(item["score"], float) and isinstance(item["max_score"], float)
        for test in item["tests"]:
            assert set(test) == {"name", "passed", "points", "message", "visibility"}
            assert isinstance(test["passed"], bool) and isinstance(test["points"], float)
            assert isinstance(test["name"], str) and isinstance(test["message"], str)
            assert test["visibility"] in ("visible", "hidden")
    assert report["score"] == sum(i["score"] for i in report["items"])
    assert report["max_score"] == sum(i["max_score"] for i in report["items"])


def test_solutions_get_full_marks(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = run_cli("check", "--impl", "solutions", "--hidden", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = read_json(out)
    check_shape(report)
    # Both layers ran, each test marked with its own; every item keeps public tests.
    layers = {t["visibility"] for i in report["items"] for t in i["tests"]}
    assert layers == {"visible", "hidden"}, layers
    assert all(any(t["visibility"] == "visible" for t in i["tests"]) for i in report["items"])
    assert "instructor-only" in proc.stdout
    assert {i["module"] for i in report["items"]} == set(grader_modules())
    assert sorted(i["item"] for i in report["items"] if i["module"] == "hw7/conditional_gan") == sorted(ITEMS)
    assert report["score"] == report["max_score"] > 0
    assert "total" in proc.stdout and "get_disc_loss" in proc.stdout


def test_stubs_score_zero_with_not_implemented(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = run_cli("check", "hw7", "--json", str(out))  # --impl assignments is the default
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = read_json(out)
    check_shape(report)
    assert report["score"] == 0 and report["max_score"] > 0
    for item in report["items"]:
        for test in item["tests"]:
            assert test["visibility"] == "visible"  # students' check: the public layer only
            assert test["message"].startswith(f"{item['item']}: not implemented yet"), test
            assert "Traceback" not in test["message"]


def test_single_item_target(submission, tmp_path: Path) -> None:
    broken = SOLUTION.replace("return torch.cat((x.float(), y.float()), dim=1)", "return torch.cat((x, y), dim=1)")
    out = tmp_path / "r.json"
    proc = run_cli("check", "hw7/conditional_gan::combine_vectors", "--impl", str(submission(broken)), "--json", str(out))
    assert proc.returncode == 1
    report = read_json(out)
    assert [i["item"] for i in report["items"]] == ["combine_vectors"]
    item = report["items"][0]
    assert 0 <= item["score"] < item["max_score"]
    assert "floating-point" in proc.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["check", "hw9"], "unknown target 'hw9'"),
        (["check", "hw7/conditional_gan::no_such_item"], "unknown item 'no_such_item'"),
        (["check", "--impl", "/no/such/dir"], "--impl"),
        (["check", "--bogus"], "unrecognized arguments"),
        (["run", "hw9/nothing"], "hw9/nothing"),
    ],
)
def test_usage_errors_exit_2(args: list[str], words: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr


def _scores(out: Path) -> dict[str, dict]:
    return {i["item"]: i for i in read_json(out)["items"]}


def test_missing_file_and_import_error(submission, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "r.json"
    assert run_cli("check", "hw7/conditional_gan", "--impl", str(empty), "--json", str(out)).returncode == 1
    for item in _scores(out).values():
        assert item["score"] == 0
        assert all(t["message"].startswith("file missing") for t in item["tests"])

    proc = run_cli("check", "hw7/conditional_gan", "--impl", str(submission(SOLUTION + "\ndef broken(:\n")), "--json", str(out))
    assert proc.returncode == 1
    for item in _scores(out).values():
        assert item["score"] == 0
        assert "SyntaxError" in item["tests"][0]["message"]


def test_a_crashing_or_hanging_submission_loses_only_what_it_breaks(submission, tmp_path: Path) -> None:
    crash = SOLUTION.replace(
        "    return nn.BCEWithLogitsLoss()\n",
        "    import os\n    os._exit(3)\n",
    )
    out = tmp_path / "r.json"
    proc = run_cli("check", "hw7/conditional_gan", "--impl", str(submission(crash)), "--json", str(out))
    assert proc.returncode == 1
    items = _scores(out)
    # The crash costs the item that crashed, with the reason; the worker is
    # restarted and every other item keeps its points.
    assert items["get_criterion"]["score"] == 0
    assert "ended the process (exit status 3" in items["get_criterion"]["tests"][0]["message"]
    for name in ("get_one_hot_labels", "make_disc_block", "get_disc_loss"):
        assert items[name]["score"] == items[name]["max_score"], name

    hang = SOLUTION.replace("    return torch.randn(n_samples, z_dim, device=device)\n", "    while True:\n        pass\n")
    proc = run_cli("check", "hw7/conditional_gan", "--impl", str(submission(hang)), "--json", str(out), "--timeout", "20")
    assert proc.returncode == 1
    items = _scores(out)
    assert items["get_noise"]["score"] == 0
    assert "time limit" in items["get_noise"]["tests"][0]["message"]
    for name in ("combine_vectors", "make_disc_block"):
        assert items[name]["score"] == items[name]["max_score"], name


def test_table_rows_and_rules() -> None:
    from dlkit.grading.results import Results

    collected = [
        {"nodeid": "a", "name": "t1", "module": "hw1/x", "item": "short", "points": 2.0},
        {"nodeid": "b", "name": "t2", "module": "hw1/x", "item": "longer_item", "points": 1.0},
    ]
    outcomes = [
        {"nodeid": "a", "passed": True, "message": ""},
        {"nodeid": "b", "passed": False, "message": "a property that fails, said in a long sentence\nand details"},
    ]
    lines = Results.from_records(collected, outcomes).table().splitlines()
    assert lines[0].split() == ["module", "item", "points", "max", "first", "failing", "property"]
    rules = [n for n, line in enumerate(lines) if set(line) == {"-"}]
    assert rules == [1, len(lines) - 2]
    # Each rule spans the widest row, failure text included (its first line only).
    assert all(len(lines[n]) == max(len(line) for line in lines) for n in rules)
    assert lines[3].endswith("a property that fails, said in a long sentence")
    assert lines[-1].split() == ["total", "2", "3"]


def test_a_missing_function_fails_at_once_with_that_sentence_alone(tmp_path: Path) -> None:
    from dlkit.grading.runner import grade

    (tmp_path / "hw1").mkdir()
    (tmp_path / "hw1" / "dropout.py").write_text("import torch\n", encoding="utf-8")
    results = grade(["hw1/dropout"], tmp_path)
    for item in results.items:
        assert {t.message for t in item.tests} == {f"{item.item} is missing: define a function with exactly that name."}


def test_a_secondary_test_counts_only_once_the_items_other_tests_pass() -> None:
    from dlkit.grading.results import Results

    collected = [
        {"nodeid": "a", "name": "values", "module": "hw1/x", "item": "f", "points": 2.0},
        {"nodeid": "b", "name": "keeps_dtype", "module": "hw1/x", "item": "f", "points": 0.5, "secondary": True},
        {"nodeid": "c", "name": "values", "module": "hw1/x", "item": "g", "points": 2.0},
        {"nodeid": "d", "name": "keeps_dtype", "module": "hw1/x", "item": "g", "points": 0.5, "secondary": True},
    ]
    outcomes = [{"nodeid": "a", "passed": False, "message": "f must add."}, {"nodeid": "b", "passed": True, "message": ""},
                {"nodeid": "c", "passed": True, "message": ""}, {"nodeid": "d", "passed": True, "message": ""}]
    f, g = Results.from_records(collected, outcomes).items
    assert f.score == 0 and f.first_failure == "f must add."
    assert "counts once the item's other tests pass" in f.tests[1].message
    assert g.score == 2.5
