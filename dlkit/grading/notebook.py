"""The notebook entry point: an autograder cell grades one item of the
notebook's own definitions and ends with the points earned, which nbgrader
records as partial credit."""
from __future__ import annotations

import sys
import warnings
from typing import Any, Mapping

from dlkit.grading.runner import run_in_process


def grade(module: str, item: str, namespace: Mapping[str, Any]) -> float:
    """Grade `item` of `module` against the definitions in `namespace`.

    Args:
        module: the graded module, e.g. 'hw7/conditional_gan'.
        item: the assignment item, e.g. 'combine_vectors'.
        namespace: the notebook's globals().

    Returns:
        The points earned (between 0 and the item's points). The explanation
        is printed to stdout; nothing is ever written to stderr, since
        nbgrader scores a cell with stderr output 0.
    """
    stderr = sys.stderr
    sys.stderr = sys.stdout
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = run_in_process([module], namespace, items=[item])
    finally:
        sys.stderr = stderr
    if results.errors or not results.items:
        reason = results.errors[0].splitlines()[0] if results.errors else "no graders found"
        print(f"{item}: could not be graded ({reason})")
        return 0.0
    result = results.items[0]
    mark = "✓" if result.score == result.max_score else "✗"
    unit = "point" if result.max_score == 1 else "points"
    print(f"{mark} {item}: {result.score:g} / {result.max_score:g} {unit}")
    for test in result.tests:
        if not test.passed:
            message = test.message.replace("\n", "\n      ")
            print(f"  ✗ {test.name} (−{test.points:g}): {message}")
    return result.score
