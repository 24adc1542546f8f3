"""Grading on Gradescope with the same code as `dlkit grade`.

`dlkit gradescope DIR` writes an autograder: `setup.sh` installs this
project (editable, as here) on Gradescope's image, `run_autograder` calls
``python -m dlkit.classroom.gradescope`` on /autograder/submission, which
reads the upload exactly as `dlkit grade` reads one student's entry and
grades it with :func:`~dlkit.classroom.job.grade_payload`, so the same
submission gets the same score in both places.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path
from typing import Callable

from dlkit.classroom.job import ROOT, grade_payload, make_request

# What the autograder needs to grade: never solutions/ (the oracles are in instructor/).
SHIPPED = ("pyproject.toml", "README.md", "dlkit", "graders", "instructor", "assignments")

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install -q --upgrade pip
/autograder/venv/bin/python -m pip install -q -e /autograder/source/dlkit-src
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: the student's files are in
# /autograder/submission, the score goes to /autograder/results/results.json.
set -euo pipefail
root="${{DLKIT_AUTOGRADER_ROOT:-/autograder}}"
python="${{DLKIT_PYTHON:-$root/venv/bin/python}}"
mkdir -p "$root/results"
exec "$python" -m dlkit.classroom.gradescope "$root/submission" "$root/results/results.json"{selection}
"""


def write_autograder(out: Path, modules: list[str] | None, force: bool = False) -> Path:
    """Write OUT/setup.sh, OUT/run_autograder, OUT/dlkit-src and OUT/autograder.zip
    (the file to upload); return the zip's path.

    Raises:
        FileExistsError: OUT exists and `force` is not set.
    """
    if out.exists():
        if not force:
            raise FileExistsError(f"DIR: {out} exists (use --force to replace it)")
        shutil.rmtree(out)
    src = out / "dlkit-src"
    src.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".hypothesis")
    for name in SHIPPED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        elif path.is_file():
            shutil.copy2(path, src / name)
    selection = "".join(f" --module {m}" for m in modules or [])
    for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(selection=selection))):
        (out / name).write_text(text, encoding="utf-8")
        (out / name).chmod(0o755)
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and p != archive):
            info = zipfile.ZipInfo(path.relative_to(out).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | (path.stat().st_mode & 0o777)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return archive


def gradescope_command(args: argparse.Namespace, usage_error: Callable[[str], int]) -> int:
    from dlkit.classroom.cli import selected_modules
    from dlkit.grading.runner import hidden_available

    try:
        modules = selected_modules(args)
        if not hidden_available():
            raise ValueError("dlkit gradescope needs the instructor-only graders (instructor/ is not here)")
        archive = write_autograder(Path(args.dir), modules, force=args.force)
    except (ValueError, FileExistsError) as exc:
        return usage_error(str(exc))
    print(f"Gradescope autograder written: upload {archive} (setup.sh and run_autograder are at its root)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Grade the upload in SUBMISSION and write Gradescope's RESULTS file."""
    from dlkit.classroom.intake import read_entry
    from dlkit.classroom.outputs import gradescope_results
    from dlkit.grading.runner import grader_modules

    parser = argparse.ArgumentParser(prog="python -m dlkit.classroom.gradescope")
    parser.add_argument("submission", help="the folder Gradescope unpacked the student's files into")
    parser.add_argument("results", help="the results.json file to write")
    parser.add_argument("--module", action="append", default=[], help="a module to grade (repeatable)")
    args = parser.parse_args(argv)
    entry = read_entry(Path(args.submission), grader_modules())
    modules = args.module or entry.modules
    record = json.loads(grade_payload(make_request(entry, modules)))
    Path(args.results).write_text(json.dumps(gradescope_results(record), indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
