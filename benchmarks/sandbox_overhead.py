"""What the sandbox costs: `dlkit check MODULE --impl solutions` under
bubblewrap against the same judge with the worker as a plain child process
(`--sandbox none`), median of N runs each, side by side in one run; and the
start-up of one worker (import torch, ready to serve) both ways.

    python benchmarks/sandbox_overhead.py [--runs 5] [MODULE ...]

Reported as ratios (sandboxed / plain). Run on an idle machine.
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


def check_seconds(module: str, sandbox: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dlkit.cli", "check", module, "--impl", "solutions", "--sandbox", sandbox],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
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
    args = parser.parse_args()
    modules = args.modules or grader_modules()
    print(f"{'module':24} {'bwrap s':>8} {'plain s':>8} {'ratio':>6}")
    for module in modules:
        timings = {mode: [] for mode in ("bwrap", "none")}
        for _ in range(args.runs):  # interleaved, so drift hits both alike
            for mode in timings:
                timings[mode].append(check_seconds(module, mode))
        sandboxed, plain = (statistics.median(timings[m]) for m in ("bwrap", "none"))
        print(f"{module:24} {sandboxed:8.2f} {plain:8.2f} {sandboxed / plain:6.2f}")
    starts = {mode: statistics.median(worker_start_seconds(mode) for _ in range(args.runs)) for mode in ("bwrap", "none")}
    print(f"worker start-up: bwrap {starts['bwrap']:.2f} s, plain {starts['none']:.2f} s, "
          f"sandbox cost per submission {starts['bwrap'] - starts['none']:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
