"""Reading a class's submissions: one entry per student, in whatever form it
came (a folder mirroring assignments/, flat module files, notebooks, a .zip of
any of these), turned into the module files the judge grades.

Nothing here runs student code, and nothing is ever written where a file name
in a submission points: folders are read without following links, archives
are read in memory with bounded sizes, so a ``../`` or absolute path, a
symlink or a zip bomb only costs the entry a note. Every problem becomes a
sentence in that student's report; the batch goes on.
"""
from __future__ import annotations

import difflib
import json
import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from dlkit.classroom import archive
from dlkit.classroom.archive import Budget, ignored, read_zip
from dlkit.classroom.exports import METADATA, canvas_file, gradescope_names
from dlkit.grading.notebook import graded_code

SOURCE_SUFFIXES = (".py", ".ipynb")
CLASS_ARCHIVE_BYTES = 2**30  # a whole class's export, held in memory while it is read


@dataclass
class Entry:
    """One student's submission, ready for the judge.

    `files` maps judge paths ('hw7/conditional_gan.py', or
    'hw7/conditional_gan.cells.json' for a notebook's code cells) to bytes;
    `problems` maps a module to why its file cannot be graded; `error` says
    why nothing can be graded at all."""

    student: str
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def modules(self) -> list[str]:
        """The modules this entry has a file for (graded or not)."""
        found = {p.removesuffix(".py").removesuffix(".cells.json") for p in self.files} | set(self.problems)
        return sorted(found)


def student_id(name: str) -> str:
    """The student id an entry's name gives: NFC-normalised, without '.zip'
    and without control characters (the name is shown in every report)."""
    name = unicodedata.normalize("NFC", name)
    if name.lower().endswith(".zip"):
        name = name[:-4]
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip() or "unnamed"


def list_entries(submissions: Path) -> list[Path]:
    """The student entries of a SUBMISSIONS folder, in a stable order. An
    nbgrader course folder (with submitted/) is read from submitted/."""
    if (submissions / "submitted").is_dir() and not (submissions / "submitted").is_symlink():
        submissions = submissions / "submitted"
    return sorted((p for p in submissions.iterdir() if not ignored(p.name)), key=lambda p: student_id(p.name))


def read_entry(path: Path, modules: list[str]) -> Entry:
    """Read one student's entry (a folder, a .zip, or a single file) and match
    its files to `modules` ('hw7/conditional_gan', …)."""
    entry = Entry(student_id(path.name))
    budget = Budget()
    raw: dict[str, bytes] = {}
    if path.is_symlink():
        entry.error = "the entry is a symbolic link: it is not read"
    elif path.is_dir():
        raw = _read_folder(path, budget, entry.notes)
    elif path.suffix.lower() == ".zip":
        raw = _read_zip_file(path, budget, entry)
    elif path.is_file():
        data = _read_bounded(path, budget)
        if data is None:
            entry.error = f"{path.name} is larger than {archive.budget_mb()} MB"
        else:
            raw = {path.name: data}
    if not entry.error:
        arrange(entry, raw, modules)
    return entry


def _read_bounded(path: Path, budget: Budget) -> bytes | None:
    size = path.stat().st_size
    if not budget.take(size):
        return None
    with path.open("rb") as f:
        return f.read(size)  # a file that grows while read is cut, never followed


def _read_folder(root: Path, budget: Budget, notes: list[str]) -> dict[str, bytes]:
    raw: dict[str, bytes] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not ignored(d))
        for name in sorted(files):
            if ignored(name):
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
                notes.append(f"{rel} is a link or a special file: it was not read")
                continue
            data = _read_bounded(path, budget)
            if data is None:
                notes.append(f"{rel} was not read: the submission is over {archive.budget_mb()} MB "
                             f"or {archive.MAX_FILES} files")
                continue
            raw[rel] = data
    return raw


def _read_zip_file(path: Path, budget: Budget, entry: Entry) -> dict[str, bytes]:
    data = _read_bounded(path, budget)
    if data is None:
        entry.error = f"{path.name} is larger than {archive.budget_mb()} MB"
        return {}
    try:
        return read_zip(data, budget, entry.notes)
    except zipfile.BadZipFile as exc:
        entry.error = f"{path.name} is not a readable zip archive ({exc})"
        return {}


def arrange(entry: Entry, raw: dict[str, bytes], modules: list[str]) -> None:
    """Match raw files to modules by file name ('conditional_gan.py' or
    '.ipynb', at any depth); fill the entry's files, problems and notes."""
    by_name = {m.rsplit("/", 1)[1]: m for m in modules}
    candidates: dict[str, list[str]] = {}
    for rel in sorted(raw):
        name = rel.rsplit("/", 1)[-1]
        if name == METADATA:
            continue
        stem, dot, suffix = name.rpartition(".")
        suffix = dot + suffix.lower()
        if suffix not in SOURCE_SUFFIXES:
            entry.notes.append(f"{rel} was ignored: only .py and .ipynb files are graded")
        elif stem in by_name:
            candidates.setdefault(by_name[stem], []).append(rel)
        else:
            expected = sorted(by_name)
            close = difflib.get_close_matches(stem, expected, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}{suffix}?)" if close else ""
            entry.notes.append(f"{rel} was ignored: its name matches no module{hint}; "
                               f"expected one of {', '.join(n + suffix for n in expected)}")
    for module, paths in sorted(candidates.items()):
        if len(paths) > 1:
            entry.problems[module] = (f"ambiguous submission: {len(paths)} files for {module} "
                                      f"({', '.join(paths)}); send exactly one")
            continue
        rel = paths[0]
        if rel.lower().endswith(".ipynb"):
            cells, problem = notebook_code(raw[rel], rel)
            if problem:
                entry.problems[module] = problem
            else:
                entry.files[f"{module}.cells.json"] = json.dumps(cells, ensure_ascii=False).encode("utf-8")
        else:
            problem = python_problem(raw[rel], rel)
            if problem:
                entry.problems[module] = problem
            else:
                entry.files[f"{module}.py"] = raw[rel]
    if not raw:
        entry.error = "empty submission: no files were found"
    elif not entry.files and not entry.problems:
        entry.error = ("no file of the submission is a graded module: expected "
                       + ", ".join(f"{n}.py or {n}.ipynb" for n in sorted(by_name)))


def python_problem(data: bytes, rel: str) -> str:
    """Why `data` is not a Python source file, or ''. Syntax errors are left
    to the graders, which name the line."""
    if b"\x00" in data:
        return f"{rel} is not a Python source file (it holds binary data)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{rel} is not a Python source file (not UTF-8 text: byte {exc.start})"
    return ""


def notebook_code(data: bytes, rel: str) -> tuple[list[str], str]:
    """(the notebook's graded code cells, '') or ([], why it is not a notebook)."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return [], f"{rel} is not a notebook (not UTF-8 text: byte {exc.start})"
    except json.JSONDecodeError as exc:
        return [], f"{rel} is not a notebook (not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno})"
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        version = notebook.get("nbformat") if isinstance(notebook, dict) else None
        return [], f"{rel} is not a notebook in Jupyter's format 4 (no list of cells{f'; nbformat {version}' if version else ''})"
    sources = []
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        sources.append(str(source))
    return graded_code(sources), ""


def read_class_folder(submissions: Path, modules: list[str]) -> list[Entry]:
    """Every student's entry in a SUBMISSIONS folder (see :func:`list_entries`),
    under the ids an LMS export gives (:mod:`dlkit.classroom.exports`)."""
    paths = list_entries(submissions)
    meta = next((p for p in paths if p.name == METADATA and p.is_file()), None)
    names = gradescope_names(meta.read_bytes()) if meta is not None else {}
    entries: list[Entry] = []
    canvas: dict[str, dict[str, bytes]] = {}
    for path in paths:
        if path == meta:
            continue
        split = canvas_file(path.name) if path.is_file() and not path.is_symlink() else None
        if split is not None:
            canvas.setdefault(split[0], {})[split[1]] = path.read_bytes()
            continue
        entry = read_entry(path, modules)
        entry.student = names.get(path.name, entry.student)
        entries.append(entry)
    entries += [_entry_of(student, files, modules) for student, files in canvas.items()]
    return sorted(entries, key=lambda e: e.student)


def read_class_archive(path: Path, modules: list[str]) -> list[Entry]:
    """The entries of a whole class in one .zip (an LMS or Gradescope export):
    one entry per top-level folder or zip, below a single wrapping folder if
    there is one; Canvas's flat files grouped by student."""
    budget = Budget()
    budget.bytes, budget.files = CLASS_ARCHIVE_BYTES, archive.MAX_FILES * 64
    data = _read_bounded(path, budget)
    if data is None:
        raise ValueError(f"{path}: larger than {CLASS_ARCHIVE_BYTES // 2**20} MB")
    try:
        raw = read_zip(data, budget, [])
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a readable zip archive ({exc})") from None
    tops = {rel.split("/", 1)[0] for rel in raw}
    while len(tops) == 1 and all("/" in rel for rel in raw):  # one wrapping folder
        raw = {rel.split("/", 1)[1]: v for rel, v in raw.items()}
        tops = {rel.split("/", 1)[0] for rel in raw}
    names = gradescope_names(raw.pop(METADATA, b""))
    groups: dict[str, dict[str, bytes]] = {}
    for rel, content in raw.items():
        top, _, rest = rel.partition("/")
        split = canvas_file(top) if not rest else None
        if split is not None:
            groups.setdefault(split[0], {})[split[1]] = content
        else:
            groups.setdefault(names.get(top, top), {})[rest or top] = content
    return sorted((_entry_of(top, files, modules) for top, files in groups.items()), key=lambda e: e.student)


def _entry_of(name: str, files: dict[str, bytes], modules: list[str]) -> Entry:
    entry = Entry(student_id(name))
    raw: dict[str, bytes] = {}
    for rel, content in files.items():  # a zip uploaded as one of several files
        if rel.lower().endswith(".zip"):
            try:
                raw.update({f"{rel[:-4]}/{k}": v for k, v in read_zip(content, Budget(), entry.notes).items()})
            except zipfile.BadZipFile:
                entry.notes.append(f"{rel} is not a readable zip archive: it was not read")
        else:
            raw[rel] = content
    arrange(entry, raw, modules)
    return entry
