"""Grading results: from per-test records to per-item scores, and the reports
(terminal table, JSON) made from them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass
class TestResult:
    name: str
    passed: bool
    points: float
    message: str = ""
    visibility: str = "visible"  # "hidden": an instructor-only test
    secondary: bool = False  # counts only when the item's other tests pass (see checks.graded)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "points": self.points, "message": self.message,
                "visibility": self.visibility}


@dataclass
class ItemResult:
    module: str
    item: str
    tests: list[TestResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        return float(sum(t.points for t in self.tests if t.passed))

    @property
    def max_score(self) -> float:
        return float(sum(t.points for t in self.tests))

    @property
    def first_failure(self) -> str:
        return next((t.message for t in self.tests if not t.passed), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "item": self.item,
            "score": self.score,
            "max_score": self.max_score,
            "tests": [t.to_json() for t in self.tests],
        }


@dataclass
class Results:
    items: list[ItemResult]
    errors: list[str] = field(default_factory=list)
    sandbox: str = "bwrap"
    restarts: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return float(sum(i.score for i in self.items))

    @property
    def max_score(self) -> float:
        return float(sum(i.max_score for i in self.items))

    @property
    def full_marks(self) -> bool:
        return not self.errors and self.score == self.max_score

    @staticmethod
    def from_records(
        collected: Iterable[dict[str, Any]],
        outcomes: Iterable[dict[str, Any]],
        errors: Iterable[str] = (),
        unfinished_reason: str | None = None,
    ) -> "Results":
        """Join the collected tests with their outcomes; a test with no outcome
        failed for `unfinished_reason`."""
        by_id = {o["nodeid"]: o for o in outcomes}
        items: dict[tuple[str, str], ItemResult] = {}
        for test in collected:
            key = (test["module"], test["item"])
            item = items.setdefault(key, ItemResult(*key))
            outcome = by_id.get(test["nodeid"])
            if outcome is None:
                passed, message = False, unfinished_reason or "not run"
            else:
                passed, message = bool(outcome["passed"]), outcome["message"]
            item.tests.append(TestResult(test["name"], passed, float(test["points"]), message,
                                         test.get("visibility", "visible"), bool(test.get("secondary"))))
        for item in items.values():
            core_failed = any(not t.passed for t in item.tests if not t.secondary)
            for t in item.tests:
                if core_failed and t.passed and t.secondary:
                    t.passed = False
                    t.message = (f"{item.item} keeps this property, which counts once the item's other "
                                 "tests pass: see the first failure above.")
        return Results(list(items.values()), list(errors))

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score, "max_score": self.max_score, "sandbox": self.sandbox,
            "worker_restarts": self.restarts, "errors": self.errors,
            "items": [i.to_json() for i in self.items],
        }

    def first_failure(self) -> tuple[ItemResult, TestResult] | None:
        """The first failing test, in scoreboard order."""
        return next(((i, t) for i in self.items for t in i.tests if not t.passed), None)

    def table(self, width: int | None = None) -> str:
        """The scoreboard for people: one row per item, a subtotal per module
        when there are several, then the total. `width`: the terminal's width,
        to which each row's first failure is cut (with …); None: in full."""
        header = ("module", "item", "points", "max", "first failing property")
        body: list[tuple[str, ...] | None] = []  # None: a rule
        modules = list(dict.fromkeys(i.module for i in self.items))
        for module in modules:
            mine = [i for i in self.items if i.module == module]
            for i in mine:
                body.append((i.module, i.item, _num(i.score), _num(i.max_score), _headline(i)))
            if len(modules) > 1:
                body.append(("", f"{module} subtotal", _num(sum(i.score for i in mine)),
                             _num(sum(i.max_score for i in mine)), ""))
        rows = [header] + [r for r in body if r is not None]
        total = ("", "total", _num(self.score), _num(self.max_score), "")
        widths = [max(len(r[c]) for r in rows + [total]) for c in range(4)]

        def line(r: tuple[str, ...]) -> str:
            head = "  ".join(r[c].ljust(widths[c]) if c < 2 else r[c].rjust(widths[c]) for c in range(4))
            tail = r[4]
            if width is not None:
                room = max(20, width - len(head) - 3)
                tail = tail if len(tail) <= room else tail[: room - 1] + "…"
            return f"{head}  {tail}".rstrip()

        lines = [line(header)]
        ruled = [line(r) for r in body if r is not None]
        rule = "-" * min(max(len(x) for x in lines + ruled + [line(total)]), width or 10**6)
        lines.append(rule)
        for r in body:
            lines.append(line(r))
            if r is not None and r[1].endswith(" subtotal") and r is not body[-1]:
                lines.append("")
        lines += [rule, line(total)]
        lines.extend(f"error: {e.splitlines()[0] if e else e}" for e in self.errors)
        return "\n".join(lines)

    def cut(self, width: int | None) -> bool:
        """Whether table(width) shortens some row's failure."""
        return width is not None and self.table(width) != self.table()

    def explanation(self) -> str:
        """Every failing test with its whole message, for people fixing their code."""
        out = []
        for i in self.items:
            for t in i.tests:
                if not t.passed:
                    out.append(f"✗ {i.item} · {t.name} (−{_num(t.points)}):\n  {t.message}")
        return "\n".join(out)


def _headline(item: ItemResult) -> str:
    """The first line of an item's first failure, without a leading "item: "
    (a stub's message names its function, as the row already does)."""
    text = item.first_failure.splitlines()[0] if item.first_failure else ""
    return text.removeprefix(f"{item.item}: ")


def _num(x: float) -> str:
    return f"{x:g}"
