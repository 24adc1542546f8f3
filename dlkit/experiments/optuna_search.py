"""The students' hw7 Optuna search (``hw7/optuna_search``) run for real: part
(b), TPE and no pruner; part (c), random sampling and
``MedianPruner(n_startup_trials=2, n_warmup_steps=1)``; then the best
configuration retrained and its test accuracy (the only read of the test
split), the hyperparameter importances (d) and Optuna's figures.

Machines share the studies through ``--storage`` (``postgresql://user@host/db``
or another SQLAlchemy URL, or ``journal:PATH``) and ``--study-name NAME``
(studies NAME-b and NAME-c, or NAME with one part). ``--worker`` only runs
trials; ``--n-trials 0`` runs none and reports on the shared studies::

    dlkit run hw7/optuna_search --impl assignments --timeout 60
    dlkit run hw7/optuna_search --data cifar100 --download --timeout 1800
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
import zlib
from pathlib import Path
from typing import Any

import torch

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, Exit, add_impl_option, check_device, command, load_impl, non_negative_int, parse_args, positive_float,
    positive_int, students_code,
)
from dlkit.experiments.optuna_report import importances, save_plots, summarise
from dlkit.experiments.optuna_storage import make_storage, shown, worker_id
from dlkit.isolation import substituted

PARTS = ("b", "c")
SUMMARY = "summary.json"
DESCRIPTION = {"b": "TPE sampler, no pruner", "c": "random sampler, median pruner"}
QUICK = {"timeout": 20.0, "epochs": 3}


def make_data(name: str = "digits", image_size: int = 16, root: str | Path = "data",
              download: bool = False, seed: int = 0, batch_size: int = 64) -> Any:
    """The dlkit.splits.DataSplits of `name`: "digits" (offline, 3×image_size²,
    10 classes) or "cifar100" (files under `root`; FileNotFoundError when
    missing and not `download`)."""
    from dlkit.cifar import cifar100_splits
    from dlkit.splits import digits_splits

    if name == "digits":
        return digits_splits(image_size=image_size, batch_size=batch_size, seed=seed)
    if name == "cifar100":
        return cifar100_splits(root, download=download, batch_size=batch_size, seed=seed)
    raise ValueError(f"name: unknown dataset {name!r}; expected digits or cifar100")


TIME_LIMIT = "stopped at the search's time limit"


class WithDeadline:
    """`data` whose training batches stop coming at `deadline` (time.monotonic()):
    the trial then in progress ends there, pruned, at most one batch late.

    Optuna checks its timeout only between trials, so a trial that starts
    just before it would otherwise run to its end: a 60-second search ran
    for minutes on 2 CPU cores.
    """

    def __init__(self, data: Any, deadline: float) -> None:
        self._data, self._deadline = data, deadline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._data, name)

    def train_loader(self, *args: Any, **kwargs: Any) -> Any:
        import optuna

        loader, deadline = self._data.train_loader(*args, **kwargs), self._deadline

        class Batches(type(loader)):  # type: ignore[misc]  # still the DataLoader the student expects
            def __iter__(self) -> Any:
                for batch in super().__iter__():
                    if time.monotonic() > deadline:
                        raise optuna.TrialPruned(TIME_LIMIT)
                    yield batch

        loader.__class__ = Batches
        return loader


def instrumented(impl: Any, worker: str) -> contextlib.AbstractContextManager[None]:
    """While active, the `objective` impl.run_study looks up records `worker`
    as the trial's "worker" user attribute, records a trial stopped by
    WithDeadline as "stopped" (its user attribute), and fails the trial
    (value nan) instead of raising for a configuration whose pooling shrinks
    the images to nothing (build_model's ValueError naming in_shape)."""
    namespace = getattr(getattr(impl, "run_study", None), "__globals__", None) or {}
    original = namespace.get("objective")
    if original is None:
        return contextlib.nullcontext()

    import optuna

    def objective(trial: Any, *args: Any, **kwargs: Any) -> float:
        trial.set_user_attr("worker", worker)
        try:
            return original(trial, *args, **kwargs)
        except optuna.TrialPruned as exc:
            if str(exc) == TIME_LIMIT:
                trial.set_user_attr("stopped", TIME_LIMIT)
            raise
        except ValueError as exc:
            if "in_shape" not in str(exc):
                raise
            trial.set_user_attr("infeasible", str(exc))
            return math.nan

    return substituted(impl, "run_study", {"objective": objective})


def run_part(impl: Any, data: Any, part: str, timeout: float, *, epochs: int = 10, storage: Any = None,
             name: str | None = None, n_trials: int | None = None, device: str | None = None,
             seed: int = 0, worker: str | None = None, progress: bool = False) -> tuple[Any, float]:
    """Part `part` ("b" or "c") through impl.run_study: (the optuna.Study, seconds spent).

    Args:
        impl: module-like object with the items of ``hw7/optuna_search``.
        data: DataSplits; timeout, epochs, n_trials, device, progress: as for run_study.
        storage, name: optuna storage (None: in memory) and study name.
        seed: seeds torch and the sampler (seed + 1 in part c); with a storage
            the `worker` ("host:pid", default this process, recorded on its
            trials) is mixed in, so that workers sample different configurations.
    """
    import optuna

    worker = worker or worker_id()
    seed += PARTS.index(part)  # else b's first (random) trials would be c's
    if storage is not None:
        seed = zlib.crc32(f"{seed}:{worker}".encode())
    torch.manual_seed(seed)
    sampler = optuna.samplers.TPESampler(seed=seed) if part == "b" else optuna.samplers.RandomSampler(seed=seed)
    pruner = None if part == "b" else optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    start = time.perf_counter()
    bounded = WithDeadline(data, time.monotonic() + timeout)
    with instrumented(impl, worker):
        study = impl.run_study(bounded, timeout, sampler=sampler, pruner=pruner, epochs=epochs, storage=storage,
                               study_name=name, n_trials=n_trials, device=device, progress=progress)
    return study, time.perf_counter() - start


class TestAsValidation:
    """`data` with its test split where the validation split was: the
    student's own objective, run on it, trains a configuration from scratch
    on the training split and measures it on the test split."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._data, name)

    def val_loader(self) -> Any:
        return self._data.test_loader()


def retrain_and_test(impl: Any, data: Any, params: dict[str, Any], epochs: int = 10,
                     device: str | torch.device | None = None, seed: int = 0) -> dict[str, float]:
    """Retrain the configuration of a trial's `params` from scratch for
    `epochs` on data's training split, with impl's own objective (through
    optuna.trial.FixedTrial, no pruning): {"test_accuracy": float in [0, 1]}.
    The only read of the test split. device None: the GPU when present."""
    import optuna

    torch.manual_seed(seed)
    value = impl.objective(optuna.trial.FixedTrial(dict(params)), TestAsValidation(data),
                           epochs=epochs, device=device, prune=False)
    return {"test_accuracy": float(value)}


def report(impl: Any, data: Any, study: Any, part: str, elapsed: float, out: str | Path, *,
           epochs: int = 10, device: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Print how part `part` went, retrain its best configuration for `epochs`,
    save its figures in `out`; returns its entry of summary.json (summarise's
    keys and part, study_name, sampler, elapsed, test_accuracy, importances)."""
    s = summarise(study)
    s.update(part=part, study_name=study.study_name, sampler=DESCRIPTION[part], elapsed=elapsed, test_accuracy=None)
    stopped = f" ({s['n_stopped']} stopped at the time limit)" if s["n_stopped"] else ""
    print(f"part {part} ({DESCRIPTION[part]}), study {study.study_name}: {s['n_trials']} trials in {elapsed:.1f} s: "
          f"{s['n_complete']} completed, {s['n_pruned']} pruned{stopped}, {s['n_failed']} failed")
    if s["best_value"] is None:
        print("  no completed trial: nothing to retrain")
    else:
        print(f"  best validation accuracy {s['best_value']:.4f} (trial {s['best_number']}): {s['best_params']}")
        scores = retrain_and_test(impl, data, s["best_params"], epochs, device, seed)
        s["test_accuracy"] = scores["test_accuracy"]
        print(f"  retrained from scratch for {epochs} epochs: test accuracy {scores['test_accuracy']:.4f}")
    s["importances"], why = importances(study, seed)
    print("  importances: " + (why if s["importances"] is None else
                               ", ".join(f"{k} {v:.3f}" for k, v in s["importances"].items())))
    for path in save_plots(study, out, part, seed, s["importances"] is not None, DESCRIPTION[part]):
        print(f"  figure: {path}")
    return s


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.4f}"


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw7/optuna_search",
        description="Tune the hw7 CNN with Optuna (parts b and c), retrain the best configuration, report its "
                    "test accuracy and the hyperparameter importances, and plot the studies.",
    )
    add_impl_option(p)
    p.add_argument("--data", choices=("digits", "cifar100"), default="digits",
                   help="dataset (default: digits, bundled with scikit-learn, works offline)")
    p.add_argument("--image-size", type=positive_int, default=None, help="digits only: image side (default: 16)")
    p.add_argument("--root", default="data", help="folder of the CIFAR-100 files (default: data)")
    p.add_argument("--download", action="store_true", help="download CIFAR-100 into --root if missing")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['timeout']:g} s of search per part and {QUICK['epochs']} epochs per trial: both "
                        "parts, the retraining and the figures in about a minute on 2 CPU cores")
    p.add_argument("--timeout", type=positive_float, default=None,
                   help="seconds of search per part (default: 60); the trial running then is stopped")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="epochs per trial and of the retraining (default: 10)")
    p.add_argument("--part", choices=("b", "c", "both"), default="both",
                   help="b: TPE, no pruner; c: random sampler and median pruner; both (default)")
    p.add_argument("--storage", default=None, help="share the studies: postgresql://user@host/db, "
                   "sqlite:///f.db or journal:PATH (default: in memory)")
    p.add_argument("--study-name", default="hw7-optuna-search",
                   help="the studies are NAME-b and NAME-c (with --storage and one part: NAME)")
    p.add_argument("--n-trials", type=non_negative_int, default=None,
                   help="cap on this run's trials per part; 0: run none, report on the --storage studies")
    p.add_argument("--worker", action="store_true", help="only run trials into --storage: no retraining, no figures")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda (default: cuda if present)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    p.add_argument("--out", default="runs/optuna_search", help="output folder for the PNG and JSON files")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="show Optuna's INFO log lines")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; returns the exit status.

    0 on success; 1 when the student's code is a stub or the data or the
    storage cannot be used; 2 for usage errors and an implementation that
    cannot be loaded.
    """
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> None:
    import optuna
    from sqlalchemy.exc import SQLAlchemyError

    from dlkit import impl as impl_loader

    args = parse_args(_parser(), argv)
    preset = QUICK if args.quick else {"timeout": 60.0, "epochs": 10}
    args.timeout = args.timeout if args.timeout is not None else preset["timeout"]
    args.epochs = args.epochs if args.epochs is not None else preset["epochs"]
    if args.storage is None and (args.worker or args.n_trials == 0):
        raise Exit(2, "--worker and --n-trials 0 need --storage: the studies they share")
    if args.worker and args.n_trials == 0:
        raise Exit(2, "--worker with --n-trials 0 would do nothing")
    if args.image_size is not None and args.data != "digits":
        raise Exit(2, "--image-size: only for --data digits")
    check_device(args.device)
    impl = load_impl("hw7/optuna_search", args.impl)
    optuna.logging.set_verbosity(optuna.logging.INFO if args.verbose else optuna.logging.WARNING)
    try:
        storage = make_storage(args.storage)
    except ValueError as exc:
        raise Exit(2, str(exc)) from None
    except (ImportError, SQLAlchemyError) as exc:
        cause = f" ({exc.__cause__})" if isinstance(exc, ImportError) and exc.__cause__ else ""
        raise Exit(1, f"--storage: cannot use {shown(args.storage)}: {str(exc).splitlines()[0]}{cause}") from None
    parts = PARTS if args.part == "both" else (args.part,)
    names = {p: args.study_name if len(parts) == 1 and storage is not None else f"{args.study_name}-{p}"
             for p in parts}
    if args.n_trials == 0 and (missing := sorted(set(names.values()) - set(optuna.get_all_study_names(storage)))):
        raise Exit(2, f"--study-name: no study {', '.join(missing)} in {shown(args.storage)}")
    try:
        data = make_data(args.data, args.image_size or 16, args.root, args.download, args.seed)
    except (FileNotFoundError, RuntimeError) as exc:
        raise Exit(1, str(exc)) from None
    print(f"hw7/optuna_search on {data.name}: parts {', '.join(parts)}, {args.timeout:g} s each, {args.epochs} "
          f"epochs per trial, with {impl_loader.describe(args.impl)}"
          + (f"; studies in {shown(args.storage)}" if storage is not None else ""))
    results: dict[str, Any] = {}
    with students_code(args.impl):
        for part in parts:
            if args.n_trials == 0:  # report on what the workers did
                study = optuna.load_study(study_name=names[part], storage=storage)
                elapsed = summarise(study)["span"]
            else:
                study, elapsed = run_part(impl, data, part, args.timeout, epochs=args.epochs, storage=storage,
                                          name=names[part], n_trials=args.n_trials, device=args.device,
                                          seed=args.seed, progress=not args.no_progress)
            if args.worker:
                s = summarise(study)
                print(f"worker {worker_id()}, part {part}: {elapsed:.1f} s; study {study.study_name} now holds "
                      f"{s['n_trials']} trials ({s['n_complete']} completed), best validation accuracy so far "
                      f"{s['best_value']}")
            else:
                results[part] = report(impl, data, study, part, elapsed, args.out, epochs=args.epochs,
                                       device=args.device, seed=args.seed)
    if args.worker:
        return
    if len(results) == 2:
        b, c = results["b"], results["c"]
        print(f"b vs c: {b['n_complete']} vs {c['n_complete']} completed trials ({c['n_pruned']} pruned in c), "
              f"best validation accuracy {_fmt(b['best_value'])} vs {_fmt(c['best_value'])}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"data": data.name, "timeout": args.timeout, "epochs": args.epochs,
               "storage": shown(args.storage), "parts": results}
    (out / SUMMARY).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"summary: {out / SUMMARY}")


if __name__ == "__main__":
    raise SystemExit(run())
