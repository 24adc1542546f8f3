"""Reading zip archives from students without trusting them: in memory,
never written to disk under the names they carry, with a bounded number of
bytes and files decompressed whatever the archive declares."""
from __future__ import annotations

import io
import stat
import zipfile
from pathlib import PurePosixPath

MAX_ENTRY_BYTES = 64 * 2**20  # everything one student sent, unpacked
MAX_FILES = 2000
MAX_ZIP_DEPTH = 2  # a student's zip inside a class export
# Left by editors, operating systems and nbgrader itself: never the student's answer.
IGNORED_NAMES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "timestamp.txt"}


def ignored(name: str) -> bool:
    """A file or folder name that is never part of an answer."""
    return name in IGNORED_NAMES or name.startswith(".")


class Budget:
    """What is left of one entry's allowance of bytes and files."""

    def __init__(self) -> None:
        self.bytes = MAX_ENTRY_BYTES
        self.files = MAX_FILES

    def take(self, size: int) -> bool:
        if size > self.bytes or self.files <= 0:
            return False
        self.bytes -= size
        self.files -= 1
        return True


def safe_member(name: str) -> str | None:
    """A zip member's path as a relative POSIX path, or None when it points
    outside the archive (absolute, a drive letter, '..')."""
    name = name.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or (len(parts[0]) == 2 and parts[0][1] == ":") or ".." in parts:
        return None
    return "/".join(p for p in parts if p not in ("", "."))


def read_zip(data: bytes, budget: Budget | None = None, notes: list[str] | None = None,
             depth: int = 1) -> dict[str, bytes]:
    """The files of a zip archive, read in memory: unsafe paths, links and
    encrypted members are skipped with a note, and no more than the budget's
    bytes are ever decompressed, whatever the archive declares.

    Raises:
        zipfile.BadZipFile: `data` is not a zip archive.
    """
    budget = budget or Budget()
    notes = notes if notes is not None else []
    raw: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            rel = safe_member(info.filename)
            if rel is None:
                notes.append(f"{info.filename!r} in the archive points outside it: it was not extracted")
                continue
            if any(ignored(part) for part in rel.split("/")):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                notes.append(f"{rel} in the archive is a link: it was not extracted")
                continue
            if info.flag_bits & 0x1:
                notes.append(f"{rel} in the archive is encrypted: it was not read")
                continue
            content = _inflate(archive, info, budget)
            if content is None:
                notes.append(f"{rel} was not extracted: the archive unpacks to more than "
                             f"{budget_mb()} MB or {MAX_FILES} files")
                continue
            if rel.lower().endswith(".zip") and depth < MAX_ZIP_DEPTH:
                try:
                    inner = read_zip(content, budget, notes, depth + 1)
                except zipfile.BadZipFile:
                    notes.append(f"{rel} is not a readable zip archive: it was not read")
                    continue
                prefix = rel[:-4]
                raw.update({f"{prefix}/{k}": v for k, v in inner.items()})
                continue
            raw[rel] = content
    return raw


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes | None:
    if budget.files <= 0:
        return None
    try:
        with archive.open(info) as member:
            content = member.read(budget.bytes + 1)  # declared sizes can lie: read at most the budget
    except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError, EOFError):
        return None
    if not budget.take(len(content)):
        return None
    return content




def budget_mb() -> int:
    return MAX_ENTRY_BYTES // 2**20
