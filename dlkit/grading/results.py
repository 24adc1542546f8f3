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
                                         test.get("visibility", "visible")))
        return Results(list(items.values()), list(errors))

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score, "max_score": self.max_score, "sandbox": self.sandbox,
            "worker_restarts": self.restarts, "errors": self.errors,
            "items": [i.to_json() for i in self.items],
        }

    def table(self, width: int = 100) -> str:
        """The scoreboard for people: one row per item."""
        rows = [("module", "item", "points", "max", "first failing property")]
        for i in self.items:
            failure = i.first_failure.splitlines()[0] if i.first_failure else ""
            rows.append((i.module, i.item, _num(i.score), _num(i.max_score), failure))
        rows.append(("", "total", _num(self.score), _num(self.max_score), ""))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = []
        for r in rows:
            head = "  ".join(
                r[c].ljust(widths[c]) if c < 2 else r[c].rjust(widths[c]) for c in range(4)
            )
            room = max(20, width - len(head) - 2)
            tail = r[4] if len(r[4]) <= room else r[4][: room - 1] + "…"
            lines.append(f"{head}  {tail}".rstrip())
        rule = "-" * max(len(line) for line in lines)  # under the header and above the total
        lines[1:1] = [rule]
        lines.insert(len(lines) - 1, rule)
        lines.extend(f"error: {e.splitlines()[0] if e else e}" for e in self.errors)
        return "\n".join(lines)

    def explanation(self) -> str:
        """Every failing test with its whole message, for people fixing their code."""
        out = []
        for i in self.items:
            for t in i.tests:
                if not t.passed:
                    out.append(f"✗ {i.item} · {t.name} (−{_num(t.points)}):\n  {t.message}")
        return "\n".join(out)


def _num(x: float) -> str:
    return f"{x:g}"
