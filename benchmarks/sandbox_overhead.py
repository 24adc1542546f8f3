"""What the sandbox costs: `dlkit check MODULE --impl solutions` under
bubblewrap against the same judge with the worker as a plain child process
(`--sandbox none`) and, with `--baseline DIR`, against a checkout of the
version that graded in one unsandboxed child process (`git worktree add DIR
a49dcf2`); median of N runs each, interleaved in one run; and the start-up of
one worker (import torch, ready to serve) both ways.

    python benchmarks/sandbox_overhead.py [--runs 5] [--baseline DIR] [MODULE ...]

Reported as ratios. Run on an idle machine.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def check_seconds(module: str, sandbox: str, baseline: Path | None = None) -> float:
    """Wall time of one `dlkit check` (the baseline checkout takes no --sandbox)."""
    cmd = [sys.executable, "-m", "dlkit.cli", "check", module, "--impl", "solutions"]
    start = time.perf_counter()
    subprocess.run(cmd + ([] if baseline else ["--sandbox", sandbox]), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=baseline or ROOT)
    return time.perf_counter() - start


def worker_start_seconds(sandbox: str) -> float:
    from dlkit.judge import Submission

    submission = Submission(ROOT / "solutions", policy=sandbox)
    start = time.perf_counter()
    submission.ready()
    seconds = time.perf_counter() - start
    submission.close()
    return seconds


def main() -> int:
    from dlkit.grading.runner import grader_modules

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="default: every graded module")
    parser.add_argument("--runs", type=int, default=5, help="runs per configuration (default 5)")
    parser.add_argument("--baseline", type=Path, help="a checkout of the unsandboxed version to time too")
    args = parser.parse_args()
    modules = args.modules or grader_modules()
    head = f"{'module':24} {'bwrap s':>8} {'plain s':>8} {'ratio':>6}"
    print(head + (f" {'before s':>9} {'bwrap/before':>12}" if args.baseline else ""))
    for module in modules:
        modes = ["bwrap", "none"] + (["before"] if args.baseline else [])
        timings: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(args.runs):  # interleaved, so drift hits all alike
            for mode in modes:
                base = args.baseline if mode == "before" else None
                timings[mode].append(check_seconds(module, "require" if mode == "bwrap" else mode, base))
        median = {m: statistics.median(t) for m, t in timings.items()}
        line = f"{module:24} {median['bwrap']:8.2f} {median['none']:8.2f} {median['bwrap'] / median['none']:6.2f}"
        if args.baseline:
            line += f" {median['before']:9.2f} {median['bwrap'] / median['before']:12.2f}"
        print(line)
    starts = {mode: statistics.median(worker_start_seconds(mode) for _ in range(args.runs)) for mode in ("bwrap", "none")}
    print(f"worker start-up: bwrap {starts['bwrap']:.2f} s, plain {starts['none']:.2f} s, "
          f"sandbox cost per submission {starts['bwrap'] - starts['none']:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
