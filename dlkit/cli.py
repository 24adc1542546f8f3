"""The `dlkit` command line.

    dlkit check [TARGET] [--impl assignments|solutions|DIR] [--json FILE]
    dlkit build [--check]
    dlkit release DIR
    dlkit run TARGET [experiment options]
    dlkit grade SUBMISSIONS [--assignment A | --module M] [--jobs N] [--out DIR] [--force]
                [--scheduler ADDRESS] [--nbgrader-db FILE]
    dlkit gradescope DIR [--assignment A | --module M]

Exit status: 0 success (full marks for check), 1 points missing or derived
files out of date, 2 usage error, 3 an internal error of the grader.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from dlkit.cliparse import Parser, usage_error


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    command = getattr(parser, "command", None)
    return usage_error(message, f"{parser.prog} {command}" if command else parser.prog)


def _writable(path: str, option: str) -> None:
    """Raise ValueError unless a file can be written at `path` (checked before
    a grading run, not after it)."""
    target = Path(path)
    if target.is_dir():
        raise ValueError(f"{option}: expected a file name, got the directory {path}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"{option}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ValueError(f"{option}: {path} cannot be written here")


def _mirror_here(known: list[str]) -> Path | None:
    """The current directory (or its assignments/ folder) when it holds a copy
    of the module tree other than the installed stubs: a student working in a
    copy means that copy."""
    from dlkit.impl import ImplError, impl_root

    try:
        installed = impl_root("assignments").resolve()
    except ImplError:
        installed = None
    for folder in (Path.cwd(), Path.cwd() / "assignments"):
        if folder.resolve() != installed and any((folder / f"{m}.py").is_file() for m in known):
            return folder
    return None


def resolve_target(target: str | None, known: list[str]) -> tuple[list[str], list[str]]:
    """('hw7/conditional_gan::combine_vectors') → (modules, items).

    Raises:
        ValueError: the target names no known assignment, module or item.
    """
    if not target:
        return known, []
    path, _, item = target.partition("::")
    path = path.strip("/").removesuffix(".py")
    modules = [m for m in known if m == path or m.startswith(path + "/")]
    if not modules:
        raise ValueError(
            f"unknown target {target!r}: expected an assignment or module, one of: "
            + ", ".join(sorted({m.split('/')[0] for m in known} | set(known)))
        )
    if item and len(modules) != 1:
        raise ValueError(f"target {target!r}: name a single module before '::'")
    return modules, [item] if item else []


def grading_mode(args: argparse.Namespace) -> str:
    """The sandbox mode that --sandbox gives, after checking --timeout.

    Raises:
        ValueError: a non-positive --timeout, or a sandbox that cannot be had.
    """
    from dlkit.judge.sandbox import sandbox_mode

    if args.timeout <= 0:
        raise ValueError(f"--timeout: expected a positive number of seconds per test, got {args.timeout:g}")
    try:
        return sandbox_mode(args.sandbox)
    except RuntimeError as exc:
        raise ValueError(str(exc)) from None


def cmd_check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.grading.runner import grader_modules
    from dlkit.impl import ImplError, impl_root, validate
    from dlkit.judge.sandbox import prelaunch

    note = ""
    if args.impl is None:
        here = _mirror_here(grader_modules())
        args.impl = str(here) if here is not None else "assignments"
        if here is not None:
            note = (f"(this directory holds a copy of the assignments: grading {here}; "
                    "--impl assignments grades the installed stubs)\n")
    try:
        validate(args.impl)
        mode = grading_mode(args)
        if args.json:
            _writable(args.json, "--json")
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    try:  # the worker imports torch while this process imports the judge
        root = impl_root(args.impl)
        prelaunch(root, mode)
    except ImplError:
        root = None  # reported by the grading run, item by item
    from dlkit.grading.live import CheckProgress
    from dlkit.grading.runner import grade, hidden_available

    try:
        if args.hidden and not hidden_available():
            raise ValueError("--hidden: this installation has no instructor-only graders (instructor/ is not here)")
        modules, items = resolve_target(args.target, grader_modules())
        if items:
            known_items = {i.item for i in grade(modules, args.impl, collect_only=True, hidden=args.hidden).items}
            if items[0] not in known_items:
                raise ValueError(
                    f"unknown item {items[0]!r} in {modules[0]}: expected one of {', '.join(sorted(known_items))}"
                )
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    if mode == "none" and args.sandbox == "auto":
        print("warning: bubblewrap is not available here: the submission runs without a sandbox", file=sys.stderr)
    layers = "the public and the instructor-only graders" if args.hidden else "the public graders"
    where = f" = {root}" if root is not None and str(root) != args.impl else ""
    print(f"{note}Grading {', '.join(modules)}: --impl {args.impl}{where}, {layers}", flush=True)
    progress = CheckProgress()
    try:
        results = grade(modules, args.impl, items, sandbox=args.sandbox, test_limit=args.timeout,
                        hidden=args.hidden, progress=progress)
    except Exception as exc:  # the judge itself failed: say so, never as "points missing"
        print(f"dlkit: internal error of the grader: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    finally:
        progress.close()
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    print("\n" + results.table(width))
    first = results.first_failure()
    if args.verbose and not results.full_marks:
        print("\n" + results.explanation())
    elif first is not None and results.cut(width):
        item, test = first
        print(f"\nFirst failure in full ({item.module}::{item.item} · {test.name}):\n  {test.message}")
    if args.json:
        Path(args.json).write_text(json.dumps(results.to_json(), indent=2) + "\n", encoding="utf-8")
    if not results.full_marks:
        target = f"{args.target} " if args.target else ""
        hint = "" if args.verbose else (f" Details of every failure: dlkit check {target}--impl {args.impl}"
                                        f"{' --hidden' if args.hidden else ''} -v")
        print(f"\n{results.max_score - results.score:g} point(s) missing.{hint}")
    if results.errors:
        return 3
    return 0 if results.full_marks else 1


def cmd_grade(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.classroom.cli import grade_command

    return grade_command(args, lambda message: _usage_error(parser, message))


def cmd_gradescope(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.classroom.gradescope import gradescope_command

    return gradescope_command(args, lambda message: _usage_error(parser, message))


def cmd_build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.build import build

    try:
        stale = build(check=args.check, target=args.target)
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    if args.check:
        if stale:
            print("out of date (run `dlkit build`):\n  " + "\n  ".join(stale))
            return 1
        print("derived files are up to date")
        return 0
    print("wrote:\n  " + "\n  ".join(stale) if stale else "nothing to do: derived files are up to date")
    return 0


def cmd_release(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.release import release

    try:
        out = release(Path(args.dir), force=args.force)
    except (FileExistsError, FileNotFoundError, ValueError) as exc:
        return _usage_error(parser, str(exc))
    print(f"student release written to {out}")
    return 0


def cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.experiments import EXPERIMENTS, run_experiment

    if args.target is None:
        return usage_error("name an experiment, one of " + ", ".join(sorted(EXPERIMENTS)), "dlkit run")
    return run_experiment(args.target, args.rest)


def build_parser() -> argparse.ArgumentParser:
    from dlkit.classroom.cli import add_grade_parsers
    from dlkit.experiments import EXPERIMENTS
    from dlkit.grading.runner import hidden_available, solutions_available

    # The student release has neither: what needs them is not offered there.
    full, reference = hidden_available(), solutions_available()
    parser = Parser(prog="dlkit", description="Auto-graded deep-learning assignments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    check = sub.add_parser("check", help="grade an implementation and print the scoreboard")
    check.add_argument("target", nargs="?", help="hw7, hw7/conditional_gan or hw7/conditional_gan::combine_vectors")
    check.add_argument("--impl", default=None,
                       help="assignments (the installed stubs: the default, unless the current directory holds "
                            "a copy of them, which is then graded), "
                            + ("solutions, " if reference else "") + "or a submission directory")
    check.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    check.add_argument("--timeout", type=float, default=60, help="time limit of one test in seconds (default 60)")
    check.add_argument("--sandbox", choices=("auto", "require", "none"), default="auto",
                       help="run the submission under bubblewrap when available (auto), always (require) or never")
    check.add_argument("--hidden", action="store_true",
                       help="also run the instructor-only graders" if full else argparse.SUPPRESS)
    check.add_argument("-v", "--verbose", action="store_true", help="print every failing test in full")
    check.set_defaults(func=cmd_check)

    if full:
        add_grade_parsers(sub, cmd_grade, cmd_gradescope)
    build = sub.add_parser("build", **_offered(reference, "write stubs and notebooks from solutions/"))
    build.add_argument("target", nargs="?", help="only this assignment or module, e.g. hw1 or hw1/dropout")
    build.add_argument("--check", action="store_true", help="only report derived files that are out of date")
    build.set_defaults(func=cmd_build if reference else _instructors_only("build"))

    rel = sub.add_parser("release", **_offered(reference, "write the student distribution (no solutions) to DIR"))
    rel.add_argument("dir", metavar="DIR", help="folder to write (must not exist unless --force)")
    rel.add_argument("--force", action="store_true", help="replace DIR if it exists")
    rel.set_defaults(func=cmd_release if reference else _instructors_only("release"))
    if not full:
        for name in ("grade", "gradescope"):
            hidden = sub.add_parser(name, add_help=False)
            hidden.add_argument("rest", nargs=argparse.REMAINDER)
            hidden.set_defaults(func=_instructors_only(name, "the instructor-only graders"))

    listing = "\n".join(f"  {name}" for name in sorted(EXPERIMENTS))
    run = sub.add_parser("run", help="run an assignment's experiment, e.g. dlkit run hw7/conditional_gan",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Run an assignment's experiment on your code (--impl assignments) or another "
                                     "implementation; `dlkit run TARGET --help` lists its options.",
                         epilog=f"experiments:\n{listing}")
    run.add_argument("target", nargs="?", metavar="TARGET", help="the experiment: one of those listed below")
    run.add_argument("rest", nargs=argparse.REMAINDER, metavar="OPTIONS",
                     help="options of the experiment (see dlkit run TARGET --help)")
    run.set_defaults(func=cmd_run)
    return parser


def _offered(full: bool, text: str) -> dict[str, str]:
    """A subcommand's help, listed only where it can be used."""
    return {"help": text} if full else {}


def _instructors_only(name: str, needs: str = "the solutions") -> Any:
    def refuse(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
        return usage_error(f"dlkit {name} needs {needs}, which the student release does not include", "dlkit")

    return refuse


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    parser.command = args.command  # type: ignore[attr-defined]  # usage errors name the subcommand's --help
    return args.func(args, parser)


if __name__ == "__main__":
    sys.exit(main())
