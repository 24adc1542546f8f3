"""`dlkit grade` and `dlkit gradescope`: the instructor's commands."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Callable

from dlkit.classroom.intake import Entry, read_class_archive, read_class_folder


def add_grade_parsers(sub: Any, grade_fn: Callable, gradescope_fn: Callable) -> None:
    grade = sub.add_parser(
        "grade", help="grade a class: a folder (or .zip) with one submission per student",
        description="Grade every student's submission in sandboxed workers, with the public and the "
                    "instructor-only graders; write Gradescope results, grades.csv, feedback and a class report.")
    grade.add_argument("submissions", metavar="SUBMISSIONS",
                       help="a folder with one entry per student (folder, .py/.ipynb files or .zip), "
                            "an nbgrader course (its submitted/ folder is read), or a .zip export of the class")
    _add_selection(grade)
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="submissions graded at once (default: the number of cores)")
    grade.add_argument("--out", default="graded", help="folder for the results (default ./graded)")
    grade.add_argument("--force", action="store_true", help="grade again submissions that already have a result")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on a Dask cluster: a scheduler address (tcp://HOST:8786), or slurm / pbs for "
                            "--jobs workers started as batch jobs by dask-jobqueue (workers need dlkit installed)")
    grade.add_argument("--nbgrader-db", metavar="FILE", help="also write the scores into this nbgrader gradebook")
    grade.add_argument("--timeout", type=float, default=60, help="time limit of one test in seconds (default 60)")
    grade.add_argument("--sandbox", choices=("auto", "require", "none"), default="auto",
                       help="bubblewrap when available (auto), always (require) or never")
    grade.set_defaults(func=grade_fn)

    gs = sub.add_parser("gradescope", help="write a Gradescope autograder (setup.sh, run_autograder, autograder.zip)",
                        description="Write a Gradescope autograder that grades with the same code as dlkit grade.")
    gs.add_argument("dir", metavar="DIR", help="folder to write (must not exist unless --force)")
    _add_selection(gs)
    gs.add_argument("--force", action="store_true", help="replace DIR if it exists")
    gs.set_defaults(func=gradescope_fn)


def _add_selection(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--assignment", metavar="NAME", help="grade only this assignment, e.g. hw7")
    which.add_argument("--module", metavar="NAME", help="grade only this module, e.g. hw7/conditional_gan")


def selected_modules(args: argparse.Namespace) -> list[str] | None:
    """The modules --assignment/--module name, or None for 'whatever the class sent'.

    Raises:
        ValueError: an unknown assignment or module.
    """
    from dlkit.cli import resolve_target
    from dlkit.grading.runner import grader_modules

    known = grader_modules()
    if args.assignment:
        if "/" in args.assignment.strip("/") or args.assignment not in {m.split("/")[0] for m in known}:
            raise ValueError(f"--assignment: unknown assignment {args.assignment!r}: expected one of "
                             + ", ".join(sorted({m.split('/')[0] for m in known})))
        return resolve_target(args.assignment, known)[0]
    if args.module:
        if args.module.strip("/").removesuffix(".py") not in known:
            raise ValueError(f"--module: unknown module {args.module!r}: expected one of {', '.join(known)}")
        return resolve_target(args.module, known)[0]
    return None


def read_class(submissions: Path) -> list[Entry]:
    """Every student's entry, matched against every known module."""
    from dlkit.grading.runner import grader_modules

    known = grader_modules()
    entries = read_class_archive(submissions, known) if submissions.is_file() else read_class_folder(submissions, known)
    seen: dict[str, int] = {}
    for entry in entries:
        seen[entry.student] = seen.get(entry.student, 0) + 1
    for entry in entries:  # which of two is the answer is the instructor's call
        if seen[entry.student] > 1:
            entry.error = f"{seen[entry.student]} entries have this student id: keep one"
    return entries


def grade_command(args: argparse.Namespace, usage_error: Callable[[str], int]) -> int:
    import sys

    from dlkit.grading.runner import hidden_available
    from dlkit.cli import grading_mode

    submissions = Path(args.submissions)
    try:
        if not submissions.is_dir() and not (submissions.is_file() and submissions.suffix.lower() == ".zip"):
            raise ValueError(f"SUBMISSIONS: {submissions} is not a folder or a .zip file")
        modules = selected_modules(args)
        if args.jobs < 1:
            raise ValueError(f"--jobs: expected a positive number of workers, got {args.jobs}")
        mode = grading_mode(args)
        if not hidden_available():
            raise ValueError("dlkit grade needs the instructor-only graders (instructor/ is not in this installation)")
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            probe = out / ".dlkit-write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise ValueError(f"--out: cannot write to {out} ({exc.strerror or exc})") from None
        if args.nbgrader_db and not Path(args.nbgrader_db).parent.is_dir() and "://" not in args.nbgrader_db:
            raise ValueError(f"--nbgrader-db: the folder of {args.nbgrader_db} does not exist")
        if args.scheduler:
            import importlib.util

            if importlib.util.find_spec("distributed") is None:
                raise ValueError("--scheduler: Dask's distributed is not installed (pip install distributed)")
            if args.scheduler in ("slurm", "pbs") and importlib.util.find_spec("dask_jobqueue") is None:
                raise ValueError(f"--scheduler {args.scheduler}: dask-jobqueue is not installed (pip install dask-jobqueue)")
    except ValueError as exc:
        return usage_error(str(exc))
    entries = read_class(submissions)
    if modules is None:
        modules = sorted({m for e in entries for m in e.modules})
    if mode == "none" and args.sandbox == "auto":
        print("warning: bubblewrap is not available here: submissions run without a sandbox", file=sys.stderr)
    where = f"on the Dask cluster at {args.scheduler}" if args.scheduler else f"with {args.jobs} job(s)"
    print(f"Grading {len(entries)} submission(s) from {submissions} on {', '.join(modules) or 'no module'} "
          f"{where} (public and instructor-only graders); results in {out}", flush=True)
    return finish(entries, modules, out, args)


def finish(entries: list[Entry], modules: list[str], out: Path, args: argparse.Namespace) -> int:
    from dlkit.classroom.engine import grade_class
    from dlkit.classroom.report import write_report

    run = grade_class(entries, modules, out, jobs=args.jobs, force=args.force, scheduler=args.scheduler,
                      test_limit=args.timeout, sandbox=args.sandbox)
    report = write_report(run.records, out)
    written = [out / "grades.csv", report, out / "results", out / "feedback"]
    if args.nbgrader_db:
        from dlkit.classroom.gradebook import write_gradebook

        count = write_gradebook(run.records, args.nbgrader_db)
        written.append(Path(f"{args.nbgrader_db} ({count} notebook(s))"))
    graded = [r for r in run.records if r["status"] == "graded"]
    errors = [r for r in run.records if r["status"] == "error"]
    internal = [r for r in errors if r["reason"].startswith("internal error")]
    mean = sum(r["score"] for r in graded) / len(graded) if graded else 0.0
    top = max((r["max_score"] for r in graded), default=0.0)
    print(f"{len(graded)} graded ({run.reused} from earlier results), {len(errors)} not gradable, "
          f"mean {mean:.1f} / {top:g}, in {run.seconds:.0f} s")
    for r in errors:
        print(f"  not graded: {r['student']}: {r['reason']}")
    print("wrote:\n  " + "\n  ".join(str(p) for p in written))
    return 3 if internal else 0
