"""What class grading writes from the records: Gradescope's results.json per
student, grades.csv for the class, and the feedback a student reads."""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable

# Gradescope shows hidden (instructor-only) tests once grades are published.
GRADESCOPE_VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def _num(x: float) -> str:
    return f"{x:g}"


def gradescope_results(record: dict[str, Any]) -> dict[str, Any]:
    """The record in Gradescope's results.json format: one test per grader
    test, tagged with its module and item."""
    tests = []
    for m, module in enumerate(record["modules"], 1):
        items = [i for i in record["results"]["items"] if i["module"] == module]
        for n, item in enumerate(items, 1):
            for t, test in enumerate(item["tests"], 1):
                tests.append({
                    "name": f"{module} · {item['item']} · {test['name']}",
                    "score": test["points"] if test["passed"] else 0.0,
                    "max_score": test["points"],
                    "status": "passed" if test["passed"] else "failed",
                    "output": "" if test["passed"] else test["message"],
                    "visibility": GRADESCOPE_VISIBILITY.get(test["visibility"], "after_published"),
                    "tags": [module, item["item"]],
                    "number": f"{m}.{n}.{t}",
                })
    return {
        "score": record["score"],
        "execution_time": record["seconds"],
        "output": summary(record),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def summary(record: dict[str, Any]) -> str:
    """A few lines on the whole submission: the score, or why it was not graded, and the notes."""
    if record["status"] == "error":
        lines = [f"Not graded: {record['reason']}"]
    else:
        lines = [f"Score: {_num(record['score'])} / {_num(record['max_score'])}"]
    if record["crashed"]:
        lines.append("Your code crashed or hung the grader's worker: " + "; ".join(record["restarts"][:3]))
    lines += [f"Note: {n}" for n in record["notes"]]
    return "\n".join(lines)


def class_columns(records: Iterable[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """(modules, [(module, item)]) over the class, in grading order."""
    modules: list[str] = []
    items: list[tuple[str, str]] = []
    for record in records:
        for module in record["modules"]:
            if module not in modules:
                modules.append(module)
        for item in record["results"]["items"]:
            key = (item["module"], item["item"])
            if key not in items:
                items.append(key)
    order = {m: k for k, m in enumerate(sorted(modules))}
    items.sort(key=lambda mi: order.get(mi[0], len(order)))  # stable: item order within a module kept
    return sorted(modules), items


def grades_csv(records: list[dict[str, Any]]) -> str:
    """One row per student: status, total, each module, each item."""
    modules, items = class_columns(records)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "status", "reason", "score", "max_score", *modules,
                     *(f"{m}::{i}" for m, i in items)])
    for record in records:
        graded = record["status"] == "graded"
        by_item = {(i["module"], i["item"]): i for i in record["results"]["items"]}
        per_module = {m: sum(i["score"] for k, i in by_item.items() if k[0] == m) for m in modules}
        writer.writerow([
            record["student"], record["status"], record["reason"], _num(record["score"]), _num(record["max_score"]),
            *(_num(per_module[m]) if graded else "" for m in modules),
            *(_num(by_item[k]["score"]) if graded and k in by_item else "" for k in items),
        ])
    return out.getvalue()


def feedback_markdown(record: dict[str, Any]) -> str:
    """What the student reads: every item with its points, then each failure
    with its sentence and smallest input, hidden tests included."""
    lines = [f"# Feedback for {_md(record['student'])}", ""]
    lines += [line + "  " for line in summary(record).splitlines()]
    items = record["results"]["items"]
    if items:
        lines += ["", "| module | item | points | max |", "| --- | --- | ---: | ---: |"]
        lines += [f"| {i['module']} | {i['item']} | {_num(i['score'])} | {_num(i['max_score'])} |" for i in items]
    failing = [i for i in items if any(not t["passed"] for t in i["tests"])]
    if failing:
        lines += ["", "## What to fix", ""]
    for item in failing:
        lines += [f"### {item['module']} · {item['item']}", ""]
        by_message: dict[str, list[dict[str, Any]]] = {}
        for test in item["tests"]:
            if not test["passed"]:  # one block per distinct sentence: a stub says it once
                by_message.setdefault(test["message"], []).append(test)
        for message, tests in by_message.items():
            names = ", ".join(t["name"] + (" (instructor-only)" if t["visibility"] == "hidden" else "") for t in tests)
            lines += [f"{names} (−{_num(sum(t['points'] for t in tests))}):", "",
                      "```text", message.replace("```", "'''"), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def file_name(student: str, taken: set[str]) -> str:
    """A file name for a student id, portable to every file system: the
    characters Windows refuses become '_'; unique within `taken`."""
    name = re.sub(r'[\x00-\x1f/\\:*?"<>|]', "_", student).strip(" .") or "unnamed"
    base, n = name, 2
    while name.lower() in taken:
        name, n = f"{base}~{n}", n + 1
    taken.add(name.lower())
    return name
