"""Grading: the pytest plugin, the runners, results and the notebook entry point."""
from __future__ import annotations

from typing import Any, Mapping


def grade_notebook(module: str, item: str, namespace: Mapping[str, Any]) -> float:
    """Grade one item of a notebook's definitions; see dlkit.grading.notebook.grade."""
    from dlkit.grading.notebook import grade

    return grade(module, item, namespace)


__all__ = ["grade_notebook"]
