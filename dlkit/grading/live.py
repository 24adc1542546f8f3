"""Grading progress while `dlkit check` runs: one live line on a terminal,
one plain line per finished item otherwise (a log, a CI job)."""
from __future__ import annotations

import sys
from typing import Any, TextIO

from dlkit.grading.results import Results


class CheckProgress:
    """A listener for the grading records (see dlkit.grading.runner.grade).

    Args:
        stream: where to write; stderr by default, so that the scoreboard on
            stdout stays clean when it is redirected.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        # Held now: grading redirects sys.stderr while it runs.
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.tests: dict[str, dict[str, Any]] = {}
        self.left: dict[tuple[str, str], int] = {}
        self.outcomes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.done = 0
        self.shown = False

    def __call__(self, record: dict[str, Any]) -> None:
        if record.get("event") == "collected":
            self.tests = {t["nodeid"]: t for t in record.get("tests", [])}
            for t in self.tests.values():
                key = (t["module"], t["item"])
                self.left[key] = self.left.get(key, 0) + 1
            return
        test = self.tests.get(record.get("nodeid", "")) if record.get("event") == "result" else None
        if test is None:
            return
        key = (test["module"], test["item"])
        self.done += 1
        self.left[key] -= 1
        self.outcomes.setdefault(key, []).append(record)
        if self.live:
            self._write(f"\r\x1b[K[{self.done}/{len(self.tests)}] {key[0]} · {key[1]}")
            self.shown = True
        elif self.left[key] == 0:
            # Scored as the scoreboard scores it (secondary tests included).
            tests = [t for t in self.tests.values() if (t["module"], t["item"]) == key]
            item = Results.from_records(tests, self.outcomes[key]).items[0]
            got, of = item.score, item.max_score
            self._write(f"graded {key[0]}::{key[1]}: {got:g}/{of:g}\n")

    def close(self) -> None:
        """Clear the live line before the scoreboard is printed."""
        if self.live and self.shown:
            self._write("\r\x1b[K")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
