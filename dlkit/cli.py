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
import sys
from pathlib import Path


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


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
    from dlkit.impl import ImplError, impl_root, validate
    from dlkit.judge.sandbox import prelaunch

    try:
        validate(args.impl)
        mode = grading_mode(args)
    except ValueError as exc:
        return _usage_error(parser, str(exc))
    try:  # the worker imports torch while this process imports the judge
        prelaunch(impl_root(args.impl), mode)
    except ImplError:
        pass  # reported by the grading run, item by item
    from dlkit.grading.runner import grade, grader_modules, hidden_available

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
    try:
        results = grade(modules, args.impl, items, sandbox=args.sandbox, test_limit=args.timeout,
                        hidden=args.hidden)
    except Exception as exc:  # the judge itself failed: say so, never as "points missing"
        print(f"dlkit check: internal error of the grader: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3
    layers = "the public and the instructor-only graders" if args.hidden else "the public graders"
    print(f"Grading {', '.join(modules)} with --impl {args.impl} ({layers})\n")
    print(results.table())
    if args.verbose and not results.full_marks:
        print("\n" + results.explanation())
    if args.json:
        Path(args.json).write_text(json.dumps(results.to_json(), indent=2) + "\n", encoding="utf-8")
    if not results.full_marks:
        where = f"{args.target} " if args.target else ""
        print(
            f"\n{results.max_score - results.score:g} point(s) missing. Details of every failure: "
            f"dlkit check {where}--impl {args.impl}{' --hidden' if args.hidden else ''} -v"
        )
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
    except (FileExistsError, FileNotFoundError) as exc:
        return _usage_error(parser, str(exc))
    print(f"student release written to {out}")
    return 0


def cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from dlkit.experiments import run_experiment

    return run_experiment(args.target, args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlkit", description="Auto-graded deep-learning assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="grade an implementation and print the scoreboard")
    check.add_argument("target", nargs="?", help="hw7, hw7/conditional_gan or hw7/conditional_gan::combine_vectors")
    check.add_argument("--impl", default="assignments", help="assignments (default), solutions, or a submission directory")
    check.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    check.add_argument("--timeout", type=float, default=60, help="time limit of one test in seconds (default 60)")
    check.add_argument("--sandbox", choices=("auto", "require", "none"), default="auto",
                       help="run the submission under bubblewrap when available (auto), always (require) or never")
    check.add_argument("--hidden", action="store_true",
                       help="also run the instructor-only graders (instructors' installations only)")
    check.add_argument("-v", "--verbose", action="store_true", help="print every failing test in full")
    check.set_defaults(func=cmd_check)

    from dlkit.classroom.cli import add_grade_parsers

    add_grade_parsers(sub, cmd_grade, cmd_gradescope)

    build = sub.add_parser("build", help="write stubs and notebooks from solutions/")
    build.add_argument("target", nargs="?", help="only this assignment or module, e.g. hw1 or hw1/dropout")
    build.add_argument("--check", action="store_true", help="only report derived files that are out of date")
    build.set_defaults(func=cmd_build)

    rel = sub.add_parser("release", help="write the student distribution (no solutions) to DIR")
    rel.add_argument("dir")
    rel.add_argument("--force", action="store_true", help="replace DIR if it exists")
    rel.set_defaults(func=cmd_release)

    run = sub.add_parser("run", help="run an assignment's experiment, e.g. hw7/conditional_gan")
    run.add_argument("target")
    run.add_argument("rest", nargs=argparse.REMAINDER, help="options of the experiment (see TARGET --help)")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args, parser)


if __name__ == "__main__":
    sys.exit(main())
