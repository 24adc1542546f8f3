"""The two grading layers: which tests are instructor-only, and their seed."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import instructor
from dlkit.grading.plugin import is_hidden, seed_of
from dlkit.grading.runner import grade, grader_modules, hidden_files


def _item(module: str) -> SimpleNamespace:
    return SimpleNamespace(module=SimpleNamespace(__name__=module), nodeid=f"{module.replace('.', '/')}.py::test_x")


def test_hidden_tests_get_their_own_grading_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    public, hidden = _item("graders.hw1.test_dropout"), _item("instructor.hw1.test_dropout")
    assert not is_hidden(public) and is_hidden(hidden)
    assert seed_of(public) == 0
    first = seed_of(hidden)
    assert first != 0 and seed_of(_item("instructor.hw1.test_other")) != first
    monkeypatch.setattr(instructor, "GRADING_SEED", instructor.GRADING_SEED + 1)
    assert seed_of(hidden) != first  # the seed is the instructors' to change


@pytest.mark.parametrize("module", grader_modules())
def test_every_module_has_both_layers(module: str) -> None:
    assert hidden_files(module), f"{module} has no instructor-only graders"
    public = grade([module], "solutions", collect_only=True)
    both = grade([module], "solutions", collect_only=True, hidden=True)
    assert not public.errors and not both.errors, public.errors + both.errors
    assert {t.visibility for i in public.items for t in i.tests} == {"visible"}
    assert {t.visibility for i in both.items for t in i.tests} == {"visible", "hidden"}
    # Each item keeps public tests: the students' feedback.
    assert {i.item for i in public.items} == {i.item for i in both.items}


def test_grader_files_are_named_after_their_module() -> None:
    # CONTRIBUTING.md: every piece of a module carries its name, so a module's
    # files sort together and a maintainer finds them all by one glob.
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    modules = grader_modules()
    stray = []
    for layer in ("graders", "instructor"):
        for path in sorted((root / layer).glob("*/*.py")):
            if path.name == "__init__.py" or path.parent.name not in {m.split("/")[0] for m in modules}:
                continue
            stem = path.stem.removeprefix("test_")
            if not any(m.split("/")[0] == path.parent.name
                       and (stem == m.split("/")[1] or stem.startswith(m.split("/")[1] + "_")) for m in modules):
                stray.append(str(path.relative_to(root)))
    assert not stray, f"files not named after a module (<m>_*.py or test_<m>*.py): {stray}"


@pytest.mark.parametrize("assignment", sorted({m.split("/")[0] for m in grader_modules()}))
def test_test_names_are_unique_within_an_assignment(assignment: str) -> None:
    # The grading run's node ids carry no file name (the grader files lie
    # outside its rootdir), so two tests of one name in one assignment would
    # share an outcome: one module's failure would be scored on the other.
    import ast
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = Counter(
        node.name
        for layer in ("graders", "instructor")
        for path in sorted((root / layer / assignment).glob("test_*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
    )
    assert not [n for n, c in names.items() if c > 1], [n for n, c in names.items() if c > 1]
