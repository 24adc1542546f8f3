"""The README's table of assignments says what the scoreboard says: the
modules and their items in the scoreboard's order, with their public and
instructor-only points."""
from __future__ import annotations

import re

from dlkit.grading.runner import grade, grader_modules, item_order
from tests.helpers import ROOT


def _readme_rows() -> dict[str, list[tuple[str, float, float]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Assignments", 1)[1].split("\n\n", 2)[1]
    rows: dict[str, list[tuple[str, float, float]]] = {}
    for line in table.splitlines()[2:]:
        module, _, items = (cell.strip() for cell in line.strip("|").split("|"))
        found = re.findall(r"`(\w+)` \(([\d.]+)(?: \+ ([\d.]+))?\)", items)
        rows[module.strip("`")] = [(name, float(public), float(hidden or 0)) for name, public, hidden in found]
    return rows


def test_the_readme_table_matches_the_graders() -> None:
    results = grade(grader_modules(), "solutions", collect_only=True, hidden=True)
    want: dict[str, list[tuple[str, float, float]]] = {}
    for item in results.items:
        public = sum(t.points for t in item.tests if t.visibility == "visible")
        hidden = sum(t.points for t in item.tests if t.visibility == "hidden")
        want.setdefault(item.module, []).append((item.item, public, hidden))
    for module, items in want.items():
        order = item_order(module)
        items.sort(key=lambda i: order.index(i[0]) if i[0] in order else len(order))
    assert list(_readme_rows()) == grader_modules()
    assert _readme_rows() == want
