"""Names in the exports of learning-management systems, so that a class
downloaded from one is graded as it comes, under the students' ids.

- Gradescope's "Export submissions": a folder ``submission_<n>`` per
  submission and ``submission_metadata.yml`` naming its submitters.
- Canvas's "Download submissions": flat files named
  ``<name>_[late_]<user id>_<submission id>_<original file name>``, with
  ``-1``, ``-2`` … added to the original name of a resubmitted file.
"""
from __future__ import annotations

import re
from typing import Any

METADATA = "submission_metadata.yml"
_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:late_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_RESUBMITTED = re.compile(r"-\d+(?=\.[A-Za-z0-9]+$)")


def canvas_file(name: str) -> tuple[str, str] | None:
    """('<name>_<user id>', original file name) for a Canvas download's file, else None."""
    match = _CANVAS.match(name)
    if match is None:
        return None
    return f"{match['name']}_{match['uid']}", _RESUBMITTED.sub("", match["file"])


def gradescope_names(metadata: bytes) -> dict[str, str]:
    """submission folder → student id (sid, else email, else name; group
    members joined by '+'), from Gradescope's submission_metadata.yml. An
    unreadable file gives {} (folders keep their names)."""
    import yaml

    try:
        data: Any = yaml.safe_load(metadata.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        return {}
    names: dict[str, str] = {}
    if not isinstance(data, dict):
        return names
    for folder, info in data.items():
        submitters = info.get(":submitters") if isinstance(info, dict) else None
        ids = []
        for person in submitters if isinstance(submitters, list) else []:
            if isinstance(person, dict):
                value = person.get(":sid") or person.get(":email") or person.get(":name")
                if value:
                    ids.append(str(value))
        if ids:
            names[str(folder)] = "+".join(ids)
    return names
