"""Reading a class's submissions: every form an entry takes, and every way it
can be broken or hostile, becomes files for the judge or a clear reason."""
from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from dlkit.classroom import archive
from dlkit.classroom.archive import safe_member
from dlkit.classroom.intake import list_entries, read_class_archive, read_entry
from dlkit.grading.runner import grader_modules

MODULES = grader_modules()
SOURCE = "def f():\n    return 1\n"


def notebook(*cells: str) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells
    ] + [{"cell_type": "markdown", "metadata": {}, "source": "# not code"}]}).encode()


def zip_bytes(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def write(root: Path, files: dict[str, bytes | str]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


@pytest.mark.parametrize("layout", ["hw7/conditional_gan.py", "conditional_gan.py", "deep/er/conditional_gan.py"])
def test_module_files_are_matched_by_name_at_any_depth(tmp_path: Path, layout: str) -> None:
    entry = read_entry(write(tmp_path / "s1", {layout: SOURCE}), MODULES)
    assert entry.files == {"hw7/conditional_gan.py": SOURCE.encode()}
    assert not entry.error and not entry.problems and entry.modules == ["hw7/conditional_gan"]


def test_notebook_code_cells_without_magics_or_autograder_cells(tmp_path: Path) -> None:
    nb = notebook("%matplotlib inline\nimport torch", "!pip install x", "%%time\nx = 1", "%%bash\nrm -rf /",
                  "from dlkit.grading import grade_notebook\ngrade_notebook('hw1/dropout', 'x', globals())", SOURCE)
    entry = read_entry(write(tmp_path / "s1", {"hw1/dropout.ipynb": nb}), MODULES)
    assert json.loads(entry.files["hw1/dropout.cells.json"]) == ["import torch", "x = 1", SOURCE.rstrip("\n")]


def test_nbgrader_course_folder_is_read_from_submitted(tmp_path: Path) -> None:
    write(tmp_path / "course", {"submitted/alice/hw1/dropout.ipynb": notebook(SOURCE),
                                "submitted/alice/hw1/timestamp.txt": "2026-01-01", "source/hw1/x.ipynb": "{}"})
    entries = [read_entry(p, MODULES) for p in list_entries(tmp_path / "course")]
    assert [(e.student, sorted(e.files), e.notes) for e in entries] == [("alice", ["hw1/dropout.cells.json"], [])]


def test_zip_entry_and_student_id(tmp_path: Path) -> None:
    (tmp_path / "Zoë O'Neil.zip").write_bytes(zip_bytes({"sub/hw1/dropout.py": SOURCE.encode()}))
    entry = read_entry(tmp_path / "Zoë O'Neil.zip", MODULES)
    assert entry.student == "Zoë O'Neil" and entry.files == {"hw1/dropout.py": SOURCE.encode()}


@pytest.mark.parametrize("name", ["../evil.py", "/etc/dropout.py", "a/../../dropout.py", "C:/x/dropout.py",
                                  "..\\..\\dropout.py"])
def test_zip_paths_outside_the_archive_are_never_extracted(tmp_path: Path, name: str) -> None:
    assert safe_member(name) is None
    (tmp_path / "s.zip").write_bytes(zip_bytes({name: SOURCE.encode(), "optimizers.py": SOURCE.encode()}))
    entry = read_entry(tmp_path / "s.zip", MODULES)
    assert list(entry.files) == ["hw1/optimizers.py"]
    assert any("points outside it" in n for n in entry.notes), entry.notes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zip"]  # nothing written anywhere


def test_zip_links_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "s.zip").write_bytes(zip_bytes({"dropout.py": b"/etc/passwd"}, links=("dropout.py",)))
    entry = read_entry(tmp_path / "s.zip", MODULES)
    assert not entry.files and "is a link" in entry.notes[0]


def test_folder_links_are_not_followed(tmp_path: Path) -> None:
    secret = write(tmp_path / "outside", {"dropout.py": "ANSWER = 42\n"}) / "dropout.py"
    (tmp_path / "s1").mkdir()
    (tmp_path / "s1" / "dropout.py").symlink_to(secret)
    (tmp_path / "s1" / "hw7").symlink_to(tmp_path / "outside", target_is_directory=True)
    entry = read_entry(tmp_path / "s1", MODULES)
    assert not entry.files and any("link" in n for n in entry.notes)


def test_zip_bomb_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_ENTRY_BYTES", 2**20)
    bomb = zip_bytes({"data.bin": bytes(8 * 2**20), "dropout.py": SOURCE.encode()})
    assert len(bomb) < 100_000
    (tmp_path / "bomb.zip").write_bytes(bomb)
    entry = read_entry(tmp_path / "bomb.zip", MODULES)
    assert any("more than 1 MB" in n for n in entry.notes), entry.notes
    assert entry.files == {"hw1/dropout.py": SOURCE.encode()}


def test_zip_bomb_that_lies_about_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_ENTRY_BYTES", 2**20)
    data = bytearray(zip_bytes({"dropout.py": bytes(8 * 2**20)}))
    # Rewrite the declared sizes (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset: at + offset + 4] = (10).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(bytes(data))
    entry = read_entry(tmp_path / "liar.zip", MODULES)
    assert not entry.files  # never more than the budget is inflated


@pytest.mark.parametrize("files, reason", [
    ({}, "empty submission"),
    ({"notes.txt": "hello"}, "no file of the submission is a graded module"),
    ({"dropuot.py": SOURCE}, "no file of the submission is a graded module"),
])
def test_entries_with_nothing_to_grade(tmp_path: Path, files: dict, reason: str) -> None:
    root = tmp_path / "s1"
    root.mkdir()
    entry = read_entry(write(root, files), MODULES)
    assert entry.error.startswith(reason), entry.error


def test_misspelled_file_gets_a_suggestion(tmp_path: Path) -> None:
    entry = read_entry(write(tmp_path / "s1", {"dropuot.py": SOURCE, "optimizers.py": SOURCE}), MODULES)
    assert "did you mean dropout.py?" in entry.notes[0] and list(entry.files) == ["hw1/optimizers.py"]


@pytest.mark.parametrize("files, module, reason", [
    ({"dropout.py": SOURCE, "hw1/dropout.ipynb": notebook(SOURCE)}, "hw1/dropout", "ambiguous submission: 2 files"),
    ({"dropout.ipynb": b"{not json"}, "hw1/dropout", "is not a notebook (not valid JSON"),
    ({"dropout.ipynb": b'{"nbformat": 3, "worksheets": []}'}, "hw1/dropout", "format 4"),
    ({"dropout.py": b"\x89PNG\r\n\x1a\n\x00\x00"}, "hw1/dropout", "not a Python source file (it holds binary data)"),
    ({"dropout.py": "caf\xe9".encode("latin-1")}, "hw1/dropout", "not UTF-8"),
])
def test_unreadable_module_files_get_a_reason(tmp_path: Path, files: dict, module: str, reason: str) -> None:
    entry = read_entry(write(tmp_path / "s1", files), MODULES)
    assert reason in entry.problems[module] and not entry.error


def test_unreadable_zip_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "s.zip").write_bytes(b"PK\x03\x04 truncated")
    assert "not a readable zip archive" in read_entry(tmp_path / "s.zip", MODULES).error


def test_class_export_zip(tmp_path: Path) -> None:
    inner = zip_bytes({"hw1/dropout.py": SOURCE.encode()})
    (tmp_path / "class.zip").write_bytes(zip_bytes({
        "export/alice/dropout.py": SOURCE.encode(), "export/bob.zip": inner, "export/__MACOSX/._bob.zip": b"x"}))
    entries = read_class_archive(tmp_path / "class.zip", MODULES)
    assert [(e.student, list(e.files)) for e in entries] == [("alice", ["hw1/dropout.py"]), ("bob", ["hw1/dropout.py"])]


GRADESCOPE_METADATA = b"""\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-10-01 10:00:00 -0700
submission_102:
  :submitters:
  - :name: Alan Turing
    :email: alan@example.edu
  - :name: Grace Hopper
    :sid: '1906'
"""


def test_gradescope_export_is_named_by_its_metadata(tmp_path: Path) -> None:
    (tmp_path / "export.zip").write_bytes(zip_bytes({
        "assignment_7_export/submission_metadata.yml": GRADESCOPE_METADATA,
        "assignment_7_export/submission_101/dropout.py": SOURCE.encode(),
        "assignment_7_export/submission_102/hw1/dropout.ipynb": notebook(SOURCE),
        "assignment_7_export/submission_103/dropout.py": SOURCE.encode(),  # not in the metadata
    }))
    entries = read_class_archive(tmp_path / "export.zip", MODULES)
    assert [(e.student, list(e.files), e.notes) for e in entries] == [
        ("1815", ["hw1/dropout.py"], []),
        ("alan@example.edu+1906", ["hw1/dropout.cells.json"], []),
        ("submission_103", ["hw1/dropout.py"], []),
    ]


def test_canvas_download_is_grouped_by_student(tmp_path: Path) -> None:
    files = {"lovelaceada_1815_9001_dropout.py": SOURCE, "lovelaceada_1815_9002_optimizers-1.py": SOURCE,
             "turingalan_late_1912_9003_dropout.ipynb": notebook(SOURCE).decode()}
    write(tmp_path / "canvas", files)
    (tmp_path / "canvas.zip").write_bytes(zip_bytes({k: v.encode() for k, v in files.items()}))
    from dlkit.classroom.intake import read_class_folder

    for entries in (read_class_folder(tmp_path / "canvas", MODULES), read_class_archive(tmp_path / "canvas.zip", MODULES)):
        assert [(e.student, sorted(e.files)) for e in entries] == [
            ("lovelaceada_1815", ["hw1/dropout.py", "hw1/optimizers.py"]),
            ("turingalan_1912", ["hw1/dropout.cells.json"]),
        ]


def test_two_entries_for_one_student_are_both_refused(tmp_path: Path) -> None:
    from dlkit.classroom.cli import read_class

    write(tmp_path / "class", {"alice/dropout.py": SOURCE, "bob/dropout.py": SOURCE})
    (tmp_path / "class" / "alice.zip").write_bytes(zip_bytes({"dropout.py": SOURCE.encode()}))
    entries = read_class(tmp_path / "class")
    assert [(e.student, e.error) for e in entries] == [("alice", "2 entries have this student id: keep one")] * 2 \
        + [("bob", "")]
