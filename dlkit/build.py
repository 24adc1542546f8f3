"""Deriving what students and nbgrader receive from the reference solutions.

For each ``solutions/<hw>/<name>.py`` (jupytext percent format):

* ``assignments/<hw>/<name>.py``: every ``### BEGIN SOLUTION`` … ``### END
  SOLUTION`` region becomes ``raise NotImplementedError("<item>: not
  implemented yet — see <question>")`` at the region's indentation;
  signatures, docstrings, type hints and the assignment text stay.
* ``course/source/<hw>/<name>.ipynb``: the nbgrader source notebook. Cells
  holding a region are solution cells; each section (a markdown cell and the
  code after it) that defines graded items ends with one autograder cell per
  item, worth that item's points as the graders declare them.

An item is a function whose body holds a region; the build refuses a module
whose items and graded items differ, so points can never silently vanish.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_QUESTION = re.compile(r"\b((?:HW|P)\d+-Q\d+[a-z]?)\b")
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(")
_CLASS = re.compile(r"^(\s*)class\s+(\w+)\b")


@dataclass
class Region:
    item: str  # the enclosing function
    start: int  # line index of BEGIN
    end: int  # line index of END
    indent: str


def question_of(text: str, source: Path) -> str:
    match = _QUESTION.search(text)
    if match is None:
        raise ValueError(f"{source}: the first heading must name the question, e.g. '# # HW7-Q8 · …'")
    return match.group(1)


def find_regions(lines: list[str], source: Path) -> list[Region]:
    regions: list[Region] = []
    begin: int | None = None
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if begin is not None:
                raise ValueError(f"{source}:{n + 1}: nested {BEGIN}")
            begin = n
        elif stripped == END:
            if begin is None:
                raise ValueError(f"{source}:{n + 1}: {END} without {BEGIN}")
            indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
            regions.append(Region(_enclosing_function(lines, begin, source), begin, n, indent))
            begin = None
    if begin is not None:
        raise ValueError(f"{source}:{begin + 1}: {BEGIN} never ended")
    return regions


def _enclosing_function(lines: list[str], at: int, source: Path) -> str:
    """The item a region belongs to: its function, or for a method its class
    (a student writes Word2Vec, not Word2Vec.forward)."""
    depth = len(lines[at]) - len(lines[at].lstrip())
    for n in range(at - 1, -1, -1):
        match = _DEF.match(lines[n])
        if match and len(match.group(1)) < depth:
            indent = len(match.group(1))
            if indent == 0:
                return match.group(2)
            for line in reversed(lines[:n]):
                cls = _CLASS.match(line)
                if cls and len(cls.group(1)) < indent:
                    return cls.group(2)
            return match.group(2)
    raise ValueError(f"{source}:{at + 1}: a solution region must sit inside a function")


def stub_text(text: str, source: Path, module: str) -> str:
    lines = text.splitlines(keepends=True)
    question = question_of(text, source)
    out: list[str] = [
        f"# Student version of {question}, generated from solutions/{module}.py by `dlkit build`.\n",
        "# Replace each `raise NotImplementedError(...)` with your code; check your work\n",
        f"# with `dlkit check {module}`.\n",
    ]
    cursor = 0
    for region in find_regions([l.rstrip("\n") for l in lines], source):
        out.extend(lines[cursor : region.start])
        message = f"{region.item}: not implemented yet — see {question}"
        out.append(f"{region.indent}# YOUR CODE HERE\n")
        out.append(f"{region.indent}raise NotImplementedError({message!r})\n")
        cursor = region.end + 1
    out.extend(lines[cursor:])
    return "".join(out)


def notebook_text(text: str, source: Path, module: str, points: dict[str, float]) -> str:
    import jupytext

    nb = jupytext.reads(text, fmt="py:percent")
    regions = find_regions(text.splitlines(), source)
    items = list(dict.fromkeys(r.item for r in regions))
    if set(items) != set(points):
        raise ValueError(
            f"{source}: the functions with solution regions {sorted(items)} differ from the items "
            f"the graders score {sorted(points)}"
        )
    cells: list[nbformat.NotebookNode] = []
    pending: list[str] = []

    def flush() -> None:
        for item in pending:
            cells.append(_autograder_cell(module, item, points[item]))
        pending.clear()

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            flush()
        cell.metadata = {}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            defined = [i for i in items if re.search(rf"^(?:def|class) {i}\b", cell.source, re.M)]
            if BEGIN in cell.source:
                cell.metadata["nbgrader"] = _nbgrader(f"solution-{defined[0]}", solution=True)
            pending.extend(defined)
        cells.append(cell)
    flush()
    for n, cell in enumerate(cells):
        cell["id"] = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell-{n}")
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(out)
    return json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _nbgrader(grade_id: str, solution: bool = False, points: float | None = None) -> dict:
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _autograder_cell(module: str, item: str, points: float) -> nbformat.NotebookNode:
    source = (
        f"# Autograder: {item} ({points:g} point{'s' if points != 1 else ''}). Run this cell to check your work.\n"
        "from dlkit.grading import grade_notebook\n"
        f"grade_notebook({module!r}, {item!r}, globals())"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = _nbgrader(f"test-{item}", points=points)
    return cell


def sources() -> list[tuple[str, Path]]:
    """(module, path) of every solution module."""
    base = ROOT / "solutions"
    return sorted(
        (p.relative_to(base).with_suffix("").as_posix(), p)
        for p in base.glob("*/*.py")
        if p.name != "__init__.py"
    )


def derived(module: str, source: Path) -> dict[Path, str]:
    """Every derived file of one solution module and its expected text."""
    from dlkit.grading.runner import grade

    text = source.read_text(encoding="utf-8")
    collected = grade([module], "solutions", collect_only=True)
    points = {i.item: i.max_score for i in collected.items}
    folder = module.split("/")[0]
    return {
        ROOT / "assignments" / f"{module}.py": stub_text(text, source, module),
        ROOT / "assignments" / folder / "__init__.py": "",
        ROOT / "course" / "source" / f"{module}.ipynb": notebook_text(text, source, module, points),
    }


def build(check: bool = False, target: str | None = None) -> list[str]:
    """Write (or with check, only compare) the derived files of every module,
    or of the modules under `target` ('hw1' or 'hw1/dropout').

    Returns:
        Paths relative to the repository that were written (or are stale).

    Raises:
        ValueError: `target` names no solution module.
    """
    chosen = sources()
    if target:
        prefix = target.strip("/").removesuffix(".py")
        chosen = [(m, p) for m, p in chosen if m == prefix or m.startswith(prefix + "/")]
        if not chosen:
            raise ValueError(f"unknown target {target!r}: no solution module under it")
    changed: list[str] = []
    for module, source in chosen:
        for path, text in derived(module, source).items():
            if path.exists() and path.read_text(encoding="utf-8") == text:
                continue
            changed.append(path.relative_to(ROOT).as_posix())
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed
