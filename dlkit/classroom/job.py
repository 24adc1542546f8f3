"""Grading one student: the unit of work of class grading.

:func:`grade_payload` takes and returns bytes, so that the same function
serves a local process pool, a Dask cluster (no shared file system assumed)
and the Gradescope autograder: the submission travels in the request, the
record comes back in the answer. It runs the judge here and the submission in
its own fresh sandboxed worker, with the public and the instructor-only
graders and the grading seed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from dlkit.classroom.intake import Entry

ROOT = Path(__file__).resolve().parents[2]
# What decides a verdict: a change here invalidates every stored result.
VERDICT_SOURCES = ("dlkit", "graders", "instructor")
# A judge redirects this process's stdout and runs pytest: one grading at a
# time per process, even where a Dask worker runs tasks in several threads.
_ONE_AT_A_TIME = threading.Lock()


@lru_cache(maxsize=1)
def graders_fingerprint() -> str:
    """sha256 of the judge's own code and graders, and of the versions of
    what computes with them."""
    from importlib.metadata import version

    digest = hashlib.sha256(" ".join(f"{p}=={version(p)}" for p in ("torch", "hypothesis", "pytest")).encode())
    for top in VERDICT_SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in (".py", ".ini", ".json") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def content_hash(entry: Entry, modules: list[str], hidden: bool, test_limit: float, sandbox: str = "auto") -> str:
    """Equal for two gradings that must give the same record."""
    digest = hashlib.sha256(graders_fingerprint().encode())
    meta = {"modules": modules, "hidden": hidden, "test_limit": test_limit, "sandbox": sandbox,
            "problems": entry.problems,
            "error": entry.error, "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(entry.files.items())}}
    digest.update(json.dumps(meta, sort_keys=True).encode())
    return digest.hexdigest()


def make_request(entry: Entry, modules: list[str], hidden: bool = True, test_limit: float = 60.0,
                 sandbox: str = "auto") -> bytes:
    """The bytes that travel to whoever grades `entry`."""
    return json.dumps({
        "student": entry.student, "modules": modules, "hidden": hidden, "test_limit": test_limit,
        "sandbox": sandbox, "notes": entry.notes, "problems": entry.problems, "error": entry.error,
        "hash": content_hash(entry, modules, hidden, test_limit, sandbox),
        "files": {k: base64.b64encode(v).decode("ascii") for k, v in sorted(entry.files.items())},
    }).encode("utf-8")


def grade_payload(request: bytes) -> bytes:
    """Grade the submission in `request` (see :func:`make_request`); return
    its record as UTF-8 JSON. Never raises: a failure of the judge itself
    becomes a record with status "error"."""
    began = time.monotonic()
    req = json.loads(request)
    try:
        with _ONE_AT_A_TIME:
            record = _grade(req)
    except Exception as exc:
        record = _record(req, status="error", reason=f"internal error of the grader: {type(exc).__name__}: {exc}")
    record["seconds"] = round(time.monotonic() - began, 2)
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def failed_record(request: bytes, reason: str) -> bytes:
    """The answer for a request that could not be graded, for `reason`."""
    req = json.loads(request)
    return json.dumps(_record(req, status="error", reason=reason), ensure_ascii=False).encode("utf-8")


def _record(req: dict[str, Any], status: str, reason: str = "", results: dict[str, Any] | None = None) -> dict[str, Any]:
    results = results or {"score": 0.0, "max_score": 0.0, "sandbox": "", "worker_restarts": [], "errors": [],
                          "items": []}
    return {
        "student": req["student"], "status": status, "reason": reason, "notes": list(req["notes"]),
        "modules": list(req["modules"]), "hash": req["hash"], "seconds": 0.0,
        "score": results["score"], "max_score": results["max_score"],
        "crashed": bool(results["worker_restarts"]), "restarts": list(results["worker_restarts"]),
        "results": results,
    }


def _new_worker(sandbox: str) -> tuple[tempfile.TemporaryDirectory, Any]:
    """A fresh sandboxed worker on an empty scratch folder, starting."""
    from dlkit.judge import Submission

    scratch = tempfile.TemporaryDirectory(prefix="dlkit-grade-")
    root = Path(scratch.name) / "submission"
    root.mkdir()
    submission = Submission(root, policy=sandbox)
    submission.start()
    return scratch, submission


def _grade(req: dict[str, Any]) -> dict[str, Any]:
    from dlkit.grading.runner import grade

    if req["error"]:
        return _record(req, status="error", reason=req["error"])
    # The worker imports torch while the files are written and the judge collects.
    scratch, submission = _new_worker(str(req["sandbox"]))
    try:
        for rel, data in req["files"].items():  # the worker reads them when a grader first asks
            path = submission.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(data))
        results = grade(list(req["modules"]), submission.root, test_limit=req["test_limit"],
                        hidden=bool(req["hidden"]), submission=submission)
    finally:
        submission.close()
        scratch.cleanup()
    payload = results.to_json()
    for item in payload["items"]:  # an unreadable file: say why, not "file missing"
        problem = req["problems"].get(item["module"])
        if problem:
            for test in item["tests"]:
                test["passed"], test["message"] = False, problem
            item["score"] = 0.0
    payload["score"] = float(sum(i["score"] for i in payload["items"]))
    status = "error" if payload["errors"] else "graded"
    reason = payload["errors"][0].splitlines()[0] if payload["errors"] else ""
    return _record(req, status=status, reason=reason, results=payload)
