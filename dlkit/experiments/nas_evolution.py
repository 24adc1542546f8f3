"""Aging evolution against Optuna's TPE and random search (hw7/nas_evolution).

The three searches get the same number of evaluations over the student's
SPACE. An evaluation is a cheap proxy of a real training run: the
architecture as a small CNN on scikit-learn's 8×8 digits (1 077 training
images), trained for a few epochs, scored by its validation accuracy (360
images). The same architecture always gets the same score (a fixed seed,
cached), so a search that finds it again pays nothing. Aging evolution and
random search draw from random.Random(seed) alike, so their first
population_size architectures are the same: the curves part where the
searches differ. The figure shows the
best validation accuracy so far against the number of evaluations; the best
architecture of each search is then scored once on the test split.

Command line::

    dlkit run hw7/nas_evolution --impl assignments
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    add_impl_option, add_run_options, command, load_impl,
    parse_args, positive_int, small_model_device, students_code,
)

FIGURE, SUMMARY = "best_so_far.png", "summary.json"
QUICK = {"evaluations": 16, "epochs": 1}
DEFAULT = {"evaluations": 40, "epochs": 3}
SEARCHES = ("aging evolution", "TPE (Optuna)", "random search")


def digits(train_examples: int | None = None) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The digits' train / val / test splits: (N, 1, 8, 8) float32 standardised images, (N,) labels;
    the first `train_examples` training images only, when given."""
    from dlkit.splits import digits_splits

    splits = digits_splits(image_size=8, channels=1)
    out = {}
    for name in ("train", "val", "test"):
        part = getattr(splits, name)
        n = len(part) if name != "train" or train_examples is None else min(train_examples, len(part))
        out[name] = (torch.stack([part[i][0] for i in range(n)]), torch.tensor([int(part[i][1]) for i in range(n)]))
    return out


def build_cnn(arch: dict[str, Any], size: int = 8, n_classes: int = 10) -> nn.Sequential:
    """The CNN an architecture describes: n_conv 'same' convolutions of `filters`
    channels (each followed by ReLU, and by 2×2 max-pooling while the map is at
    least 2×2 when `pool`), then n_hidden dense layers of `neurons` with
    dropout, then the output layer."""
    layers: list[nn.Module] = []
    channels = 1
    for _ in range(arch["n_conv"]):
        layers += [nn.Conv2d(channels, arch["filters"], arch["kernel_size"], padding=arch["kernel_size"] // 2),
                   nn.ReLU()]
        channels = arch["filters"]
        if arch["pool"] and size >= 2:
            layers.append(nn.MaxPool2d(2))
            size //= 2
    layers.append(nn.Flatten())
    width = channels * size * size
    for _ in range(arch["n_hidden"]):
        layers += [nn.Linear(width, arch["neurons"]), nn.ReLU(), nn.Dropout(arch["dropout"])]
        width = arch["neurons"]
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def _optimizer(arch: dict[str, Any], params: Any) -> torch.optim.Optimizer:
    kinds = {"Adam": torch.optim.Adam, "RMSprop": torch.optim.RMSprop, "SGD": torch.optim.SGD}
    extra = {"momentum": 0.9} if arch["optimizer"] == "SGD" else {}
    return kinds[arch["optimizer"]](params, lr=arch["lr"], **extra)


def proxy_fitness(data: dict[str, tuple[torch.Tensor, torch.Tensor]], epochs: int, seed: int = 0,
                  device: str | torch.device = "cpu", split: str = "val") -> Callable[[dict[str, Any]], float]:
    """arch → accuracy on `split` after `epochs` epochs of minibatch training
    (batch 64, seed fixed per architecture), cached by architecture."""
    cache: dict[tuple, float] = {}
    (x, y), (x_eval, y_eval) = data["train"], data[split]
    x, y, x_eval, y_eval = x.to(device), y.to(device), x_eval.to(device), y_eval.to(device)

    def fitness(arch: dict[str, Any]) -> float:
        key = tuple(sorted(arch.items()))
        if key not in cache:
            torch.manual_seed(seed)
            model = build_cnn(arch).to(device)
            opt = _optimizer(arch, model.parameters())
            gen = torch.Generator().manual_seed(seed)
            for _ in range(epochs):
                model.train()
                for idx in torch.randperm(len(y), generator=gen).split(64):
                    opt.zero_grad()
                    nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                    opt.step()
            model.eval()
            with torch.inference_mode():
                score = float((model(x_eval).argmax(1) == y_eval).double().mean())
            cache[key] = score if score == score else 0.0  # a diverged run (NaN) scores 0
        return cache[key]

    return fitness


def _tpe(impl: Any, fitness: Callable[[dict[str, Any]], float], evaluations: int, seed: int) -> list[tuple[dict, float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    history: list[tuple[dict, float]] = []

    def objective(trial: optuna.trial.Trial) -> float:
        # Optuna's categorical choices must be plain values; index the tuples instead.
        arch = {name: choices[trial.suggest_categorical(name, list(range(len(choices))))]
                for name, choices in impl.SPACE.items()}
        score = fitness(arch)
        history.append((arch, score))
        return score

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=evaluations)
    return history


def _random_search(impl: Any, fitness: Callable[[dict[str, Any]], float], evaluations: int,
                   seed: int) -> list[tuple[dict, float]]:
    rng = random.Random(seed)
    return [(arch, fitness(arch)) for arch in (impl.random_architecture(rng) for _ in range(evaluations))]


def run_searches(impl: Any, evaluations: int, epochs: int, population_size: int = 10, sample_size: int = 3,
                 device: str | torch.device = "cpu", seed: int = 0, progress: bool = False,
                 train_examples: int | None = None) -> dict[str, Any]:
    """Each search with `evaluations` evaluations of the proxy fitness.

    Args:
        impl: module-like object with SPACE, random_architecture and aging_evolution.
        evaluations: architectures each search scores.
        epochs: training epochs of one evaluation.
        population_size, sample_size: aging evolution's P and S (P ≤ evaluations).
        device: where the CNNs train.
        seed: seeds every search and the training.
        progress: show a progress bar over the searches.
        train_examples: train on this many of the training images only (all: None).

    Returns:
        {search: {"scores": [validation accuracy per evaluation], "best": arch,
        "best_val": float, "test": float}}.
    """
    from dlkit.progress import progress_bar

    data = digits(train_examples)
    fitness = proxy_fitness(data, epochs, seed, device)
    test = proxy_fitness(data, epochs, seed, device, split="test")
    population_size = min(population_size, evaluations)
    sample_size = min(sample_size, population_size)
    runs = {
        "aging evolution": lambda: impl.aging_evolution(fitness, population_size, sample_size,
                                                        evaluations - population_size, random.Random(seed)),
        "TPE (Optuna)": lambda: _tpe(impl, fitness, evaluations, seed),
        "random search": lambda: _random_search(impl, fitness, evaluations, seed),
    }
    out: dict[str, Any] = {}
    for name in progress_bar(SEARCHES, progress, desc="searches", unit="search"):
        history = list(runs[name]())
        best_arch, best_val = max(history, key=lambda pair: pair[1])
        out[name] = {"scores": [s for _, s in history], "best": best_arch, "best_val": best_val,
                     "test": test(best_arch)}
    return out


def best_so_far(scores: list[float]) -> list[float]:
    out, best = [], float("-inf")
    for s in scores:
        best = max(best, s)
        out.append(best)
    return out


def save_figure(result: dict[str, Any], path: Path, epochs: int) -> Path:
    """Best validation accuracy so far against the number of evaluations, one line per search."""
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    for name, run in result.items():
        curve = best_so_far(run["scores"])
        ax.plot(range(1, len(curve) + 1), curve, marker=".", label=f"{name} (test {run['test']:.3f})")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("best validation accuracy so far")
    ax.set_title(f"architecture search on digits 8×8, {epochs} epoch(s) per evaluation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw7/nas_evolution",
        description="Search the architecture space with your aging_evolution, with Optuna's TPE and with random "
        "search (your random_architecture), the same number of evaluations each, on scikit-learn's digits.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['evaluations']} evaluations of {QUICK['epochs']} epoch per search: seconds")
    p.add_argument("--evaluations", type=positive_int, default=None,
                   help=f"architectures each search scores (default: {DEFAULT['evaluations']})")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"training epochs of one evaluation (default: {DEFAULT['epochs']})")
    p.add_argument("--population-size", type=positive_int, default=10, help="aging evolution's P (default: 10)")
    p.add_argument("--sample-size", type=positive_int, default=3, help="aging evolution's S (default: 3)")
    p.add_argument("--train-examples", type=positive_int, default=None,
                   help="train each CNN on this many training images only (default: all 1 077)")
    add_run_options(p, "runs/nas_evolution", "the PNG and summary.json")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when an item is not
    implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit.experiments.common import Exit

    args = parse_args(_parser(), argv)
    if args.sample_size > args.population_size:
        raise Exit(2, f"--sample-size: expected at most --population-size={args.population_size}, "
                      f"got {args.sample_size}")
    device = small_model_device(args.device)
    sizes = QUICK if args.quick else DEFAULT
    impl = load_impl("hw7/nas_evolution", args.impl)
    print(f"searching with {impl_loader.describe(args.impl)}")
    evaluations, epochs = args.evaluations or sizes["evaluations"], args.epochs or sizes["epochs"]
    with students_code(args.impl):
        result = run_searches(impl, evaluations, epochs, args.population_size, args.sample_size,
                              device=device, seed=args.seed, progress=not args.no_progress,
                              train_examples=args.train_examples)
    for name, run_ in result.items():
        print(f"  {name}: best validation accuracy {run_['best_val']:.3f} (test {run_['test']:.3f}) "
              f"after {len(run_['scores'])} evaluations: {run_['best']}")
    out = Path(args.out)
    figure = save_figure(result, out / FIGURE, epochs)
    (out / SUMMARY).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figure: {figure}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
