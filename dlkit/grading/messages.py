"""Turning a failed grader test into a message for the student.

A check's own sentence is kept as written; hypothesis's smallest
counterexample is appended; a stub says "not implemented yet"; any other
error names its type and the line of the student's code that raised it,
without the internal traceback.
"""
from __future__ import annotations

import builtins
import re
import sysconfig
import traceback
from pathlib import Path

from dlkit.grading.checks import GradingFailure
from dlkit.judge import RemoteError, WorkerFailed

# Frames in these places are machinery, not the student's code.
_NOT_STUDENT = ("site-packages", "/graders/", "/dlkit/", "<frozen", "/torch/", "/hypothesis/",
                sysconfig.get_paths()["stdlib"] + "/")


def explain(exc: BaseException) -> str:
    """The message shown for a failed test that raised `exc`: for several
    distinct failures found at once (hypothesis's exception group), each
    one's sentence and smallest input, the first leading."""
    leaves = _leaves(exc)
    texts = list(dict.fromkeys(_explain_one(leaf) for leaf in leaves))
    if len(texts) == 1:
        return texts[0]
    others = "".join(f"\n  also ({i}): " + text.replace("\n", "\n  ") for i, text in enumerate(texts[1:], 2))
    return f"{texts[0]}{others}"


def _explain_one(exc: BaseException) -> str:
    exc = getattr(exc, "original", exc)  # a stub reached inside hypothesis
    notes = _counterexample(exc)
    if type(exc).__name__ in ("Failed", "Skipped", "Exit"):  # pytest.fail() and friends
        return str(getattr(exc, "msg", exc)) + notes
    if isinstance(exc, WorkerFailed):
        return str(exc) + notes
    if isinstance(exc, NotImplementedError):
        text = str(exc) or "not implemented yet"
        if "not implemented" not in text:
            text = f"not implemented yet: {text}"
        return text
    if isinstance(exc, GradingFailure):
        return str(exc) + notes
    if isinstance(exc, RemoteError):
        where = f"\n  at {exc.where}" if exc.where else ""
        if isinstance(exc, AssertionError):
            return (str(exc) or "an assertion in your code failed") + where + notes
        return f"your code raised {exc.remote_type}: {exc}{where}{notes}"
    if isinstance(exc, AssertionError):
        return (str(exc) or "an assertion in your code failed") + _where(exc) + notes
    return f"your code raised {type(exc).__name__}: {exc}{_where(exc)}{notes}"


def _leaves(exc: BaseException) -> list[BaseException]:
    """Hypothesis reports several distinct failures as an exception group."""
    # Duck-typed: Python 3.10 has only the exceptiongroup backport; hypothesis's
    # FlakyFailure is a group too.
    group = isinstance(exc, getattr(builtins, "BaseExceptionGroup", ())) or type(exc).__name__.endswith("ExceptionGroup")
    if group and getattr(exc, "exceptions", None):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _counterexample(exc: BaseException) -> str:
    """Hypothesis's shrunk failing input on one line, without its comments or
    the `impl` argument."""
    for note in getattr(exc, "__notes__", []):
        if not note.startswith(("Falsifying example", "Failing test case")):
            continue
        body = []
        for line in note.splitlines()[1:-1]:
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith(("#", "impl=")):
                body.append(line)
        text = re.sub(r"\(\s+", "(", " ".join(body))
        text = re.sub(r",?\s*\)", ")", text).rstrip(",")
        if text:
            return "\n  smallest failing input: " + text
    return ""


def student_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of `exc`'s traceback in the student's code."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not any(part in f.filename for part in _NOT_STUDENT)]
    return own[-1] if own else None


def _where(exc: BaseException) -> str:
    """' (at file.py, line N: code)' for the innermost frame in student code."""
    frame = student_frame(exc)
    if frame is None:
        return ""
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"\n  at {Path(frame.filename).name}, line {frame.lineno}{code}"
