"""Parts (b) and (c) of the hw7 Optuna search under the same wall-clock budget.

Protocol: the reference ``hw7/optuna_search`` on the offline default data
(scikit-learn's digits, 3×16×16, 1 077 / 360 / 360 images), 10 epochs per
trial as the handout asks. Part (b): TPE, no pruner; part (c): random
sampling and ``MedianPruner(n_startup_trials=2, n_warmup_steps=1)``, exactly
as ``dlkit run hw7/optuna_search`` runs them. The two parts alternate
(b, c, b, c, ...) over the seeds with the same timeout each, so that a busy
spell of a shared machine hurts both alike. Reported per part: trials
completed and pruned, best validation accuracy, and the test accuracy of the
best configuration retrained from scratch (medians over seeds); then the
ratio of trials finished with pruning to trials finished without, next to
the handout's own (13 vs 10 trials in 30 minutes on a GPU).

Costs, measured in the same run: training throughput (images/s) of the
largest CNN the limits allow (4 conv layers of 64 filters without pooling,
dense 64-64; also with pooling) and of the smallest (1 conv layer of 8
filters) on 3×32×32 CIFAR-sized images,
and Optuna's own overhead per trial (an objective that returns at once) in
memory and with SQLite storage.

    python benchmarks/optuna_pruning.py [--timeout S] [--seeds N] [--json FILE] [--quick]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import optuna
import torch
from torch.nn import functional as F

from dlkit.experiments.optuna_search import make_data, retrain_and_test, run_part, summarise
from solutions.hw7 import optuna_search as reference

# The handout's comparison: 30 minutes on one GPU, CIFAR-100.
HANDOUT = {"b": {"trials": 10, "best": 0.236}, "c": {"trials": 13, "best": 0.239}}


def images_per_second(config: Any, seconds: float = 3.0, batch: int = 64) -> float:
    """Training throughput of `config`'s model on random 3×32×32 images, 100 classes."""
    model = reference.build_model(config, (3, 32, 32), 100)
    optimizer = reference.make_optimizer(config, model.parameters())
    x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 100, (batch,))
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or done == 0:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        done += batch
    return done / (time.perf_counter() - start)


def overhead_per_trial(storage: Any, n_trials: int) -> float:
    """Seconds Optuna spends per trial around an objective that returns at once."""
    study = optuna.create_study(storage=storage, direction="maximize")
    start = time.perf_counter()
    study.optimize(lambda t: reference.suggest_config(t).lr, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials


def costs(quick: bool) -> dict[str, float]:
    # Without pooling every conv layer runs at 32×32: the costliest networks the limits allow.
    largest = reference.CNNConfig((64, 64, 64, 64), 3, False, (64, 64), 0.0, "Adam", 1e-3)
    pooled = reference.CNNConfig((64, 64, 64, 64), 3, True, (64, 64), 0.0, "Adam", 1e-3)
    smallest = reference.CNNConfig((8,), 3, False, (), 0.0, "Adam", 1e-3)
    seconds, trials = (0.3, 5) if quick else (5.0, 50)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = overhead_per_trial(f"sqlite:///{Path(tmp) / 'bench.db'}", trials)
    return {
        "largest_images_per_s": images_per_second(largest, seconds),
        "largest_pooled_images_per_s": images_per_second(pooled, seconds),
        "smallest_images_per_s": images_per_second(smallest, seconds),
        "overhead_memory_s": overhead_per_trial(None, trials),
        "overhead_sqlite_s": sqlite,
    }


def run_benchmark(timeout: float = 90, seeds: int = 2, epochs: int = 10, image_size: int = 16,
                  quick: bool = False) -> dict[str, Any]:
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # failed trials are counted, not printed
    data = make_data("digits", image_size=image_size)
    # One untimed trial first: the first optimiser step and model build pay one-off costs.
    run_part(reference, data, "b", timeout, epochs=1, n_trials=1, device="cpu")
    runs: dict[str, list[dict[str, Any]]] = {"b": [], "c": []}
    for seed in range(seeds):
        for part in ("b", "c"):
            study, elapsed = run_part(reference, data, part, timeout, epochs=epochs, seed=seed, device="cpu")
            s = summarise(study)
            s["elapsed"] = elapsed
            s["test_accuracy"] = (
                retrain_and_test(reference, data, s["best_params"], epochs, "cpu", seed)["test_accuracy"]
                if s["best_value"] is not None else None
            )
            runs[part].append(s)
    return {
        "date": date.today().isoformat(), "machine": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(), "torch": torch.__version__, "optuna": optuna.__version__,
        "data": data.name, "sizes": data.sizes(), "timeout": timeout, "epochs": epochs, "seeds": seeds,
        "parts": runs, "costs": costs(quick),
    }


def _median(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _f(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def format_report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['data']} {result['sizes']}, {result['epochs']} epochs per trial, {result['timeout']:g} s per part, "
        f"seeds 0..{result['seeds'] - 1}, {result['threads']} threads, torch {result['torch']}, optuna {result['optuna']}",
        "part                              trials  completed  pruned  best val  test (retrained)   per seed: completed/pruned/best/test",
    ]
    medians = {}
    for part, label in (("b", "(b) TPE, no pruner"), ("c", "(c) random, median pruner")):
        runs = result["parts"][part]
        m = {k: _median([r[k] for r in runs]) for k in ("n_trials", "n_complete", "n_pruned", "best_value", "test_accuracy")}
        medians[part] = m
        per_seed = "  ".join(
            f"{r['n_complete']}/{r['n_pruned']}/{_f(r['best_value'])}/{_f(r['test_accuracy'])}" for r in runs
        )
        lines.append(f"{label:<33} {m['n_trials']:>6g} {m['n_complete']:>10g} {m['n_pruned']:>7g} "
                     f"{_f(m['best_value']):>9} {_f(m['test_accuracy']):>17}   {per_seed}")
    b, c = medians["b"], medians["c"]
    handout = HANDOUT["c"]["trials"] / HANDOUT["b"]["trials"]
    lines.append(
        f"trials finished (completed + pruned), c / b: {c['n_trials'] / max(b['n_trials'], 1):.2f} "
        f"(completed only: {c['n_complete'] / max(b['n_complete'], 1):.2f}); the handout's 13 / 10 = {handout:.2f}"
    )
    lines.append(f"best validation accuracy c − b: {_f(_diff(c['best_value'], b['best_value']), '+.3f')} "
                 f"(the handout's test accuracies: {HANDOUT['c']['best'] - HANDOUT['b']['best']:+.3f})")
    k = result["costs"]
    lines.append(
        f"costs on 3×32×32: largest CNN (4×64 conv, dense 64-64, no pooling) {k['largest_images_per_s']:,.0f} "
        f"images/s ({k['largest_pooled_images_per_s']:,.0f} with pooling), smallest (1×8 conv) "
        f"{k['smallest_images_per_s']:,.0f} images/s; Optuna per trial {k['overhead_memory_s'] * 1000:.1f} ms "
        f"in memory, {k['overhead_sqlite_s'] * 1000:.0f} ms with SQLite; a 10-epoch trial of the largest CNN "
        f"on CIFAR-100's 45 000 training images: {450_000 / k['largest_images_per_s'] / 60:.0f} min"
    )
    return "\n".join(lines)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--timeout", type=float, default=90.0, help="seconds per part and seed (default 90)")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--image-size", type=int, default=16)
    p.add_argument("--json", default=None, help="also write the raw results here")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 s per part, 1 epoch, 8×8 images, 1 seed")
    args = p.parse_args(argv)
    if args.quick:
        args.timeout, args.epochs, args.image_size, args.seeds = 2.0, 1, 8, 1
    result = run_benchmark(args.timeout, args.seeds, args.epochs, args.image_size, args.quick)
    print(format_report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
