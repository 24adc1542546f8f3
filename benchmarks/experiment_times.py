"""Wall time of every experiment, by default and with --quick, on the
reference solutions: the figures the README's experiment table states.

    python benchmarks/experiment_times.py [--quick-only] [--only TARGET ...] [--json FILE]

Each run is `dlkit run TARGET --impl solutions --no-progress` (plus
--quick) in a fresh process, with its output in a temporary folder; start-up
(importing torch) is included, as a student would wait for it. The share
of the machine's CPU that other processes used meanwhile is reported too:
a run with a large share is not comparable.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# (target, its options in both runs): --no-progress where the experiment has it.
EXPERIMENTS = [
    ("hw1/distillation", ["--no-progress"]),
    ("hw1/optimizers", []),
    ("hw1/fashion_mlp", ["--no-progress"]),
    ("hw1/regularization", ["--no-progress"]),
    ("hw7/conditional_gan", ["--no-progress"]),
    ("hw7/cyclegan_loss", ["--no-progress"]),
    ("hw7/multitask", ["--no-progress"]),
    ("hw7/nas_evolution", ["--no-progress"]),
    ("hw7/optuna_search", ["--no-progress"]),
    ("hw7/style_modules", ["--no-progress"]),
    ("hw7/word2vec", ["--no-progress"]),
    ("project2/char_rnn", ["--no-progress"]),
    ("project2/contextual_classifier", ["--no-progress"]),
    ("project2/stock_forecast", ["--no-progress"]),
]


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def time_run(target: str, options: list[str], quick: bool) -> dict[str, float | str | int]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "dlkit.cli", "run", target, "--impl", "solutions", "--out", out, *options]
        if quick:
            cmd.append("--quick")
        busy, start = _busy_seconds(), time.perf_counter()
        before = os.times()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        after = os.times()
        wall = time.perf_counter() - start
        own = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        others = max(0.0, _busy_seconds() - busy - own)
    cores = os.cpu_count() or 1
    return {"target": target, "quick": quick, "seconds": round(wall, 1), "cpu_seconds": round(own, 1),
            "status": proc.returncode, "others_cpu_share": round(others / (wall * cores), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick-only", action="store_true", help="time only the --quick runs")
    parser.add_argument("--only", nargs="+", metavar="TARGET", help="time only these experiments")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args()
    known = [target for target, _ in EXPERIMENTS]
    unknown = sorted(set(args.only or []) - set(known))
    if unknown:
        parser.error(f"--only: not an experiment: {', '.join(unknown)} (expected some of {', '.join(known)})")
    rows = []
    for target, options in EXPERIMENTS:
        if args.only and target not in args.only:
            continue
        for quick in (True,) if args.quick_only else (True, False):
            row = time_run(target, options, quick)
            rows.append(row)
            print(f"{target:<24} {'--quick' if quick else 'default':<8} {row['seconds']:>8.1f} s  "
                  f"(CPU {row['cpu_seconds']:.1f} s)  exit {row['status']}  "
                  f"other processes' CPU share {row['others_cpu_share']:.2f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0 if all(r["status"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
