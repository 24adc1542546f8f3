"""Regularisation and the bias–variance trade-off (hw1/regularization).

Two figures, both on synthetic data with a known truth, so every curve can
be read against what it should be:

* the k sweep: the student's ``bias_variance`` (k-NN regression of
  f(x) = sin(2πx) with noise of standard deviation 0.3, over resampled
  training sets of 40 points) for k from 1 to 40, with bias² + variance +
  noise² beside the test error measured with ``knn_predict`` on fresh noisy
  points — they should agree;
* the weight paths: the student's ``fit_linear`` on 100 points of 8 features
  of which 3 matter (true weights 3, −2, 1.5, then 0), over penalty
  strengths from 10⁻³ to 10: L1 sets the irrelevant weights to exactly 0
  one by one, L2 shrinks every weight without zeroing any.

Command line::

    dlkit run hw1/regularization --impl assignments
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import torch

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    add_impl_option, add_run_options, command, load_impl, parse_args, positive_int, students_code,
)

BIAS_VARIANCE, PATHS, SUMMARY = "bias_variance.png", "weight_paths.png", "summary.json"
KS = (1, 2, 3, 5, 8, 13, 20, 30, 40)
TRUE_WEIGHTS = (3.0, -2.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0)
NOISE, N_TRAIN = 0.3, 40
QUICK = {"n_sets": 20, "strengths": 8, "steps": 300}
DEFAULT = {"n_sets": 100, "strengths": 15, "steps": 1000}


def test_error(impl: Any, k: int, n_sets: int, seed: int, n_test: int = 200) -> float:
    """Mean squared error of knn_predict against fresh noisy targets, averaged over n_sets training sets."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    errors = []
    for _ in range(n_sets):
        x = torch.rand(N_TRAIN, 1, generator=gen, dtype=torch.float64)
        y = torch.sin(2 * math.pi * x[:, 0]) + NOISE * torch.randn(N_TRAIN, generator=gen, dtype=torch.float64)
        xt = torch.rand(n_test, 1, generator=gen, dtype=torch.float64)
        yt = torch.sin(2 * math.pi * xt[:, 0]) + NOISE * torch.randn(n_test, generator=gen, dtype=torch.float64)
        errors.append(float(((impl.knn_predict(x, y, xt, k) - yt) ** 2).mean()))
    return sum(errors) / len(errors)


def k_sweep(impl: Any, n_sets: int, seed: int = 0, progress: bool = False) -> dict[str, list[float]]:
    """bias², variance, noise and the measured test error for every k of KS."""
    from dlkit.progress import progress_bar

    out: dict[str, list[float]] = {"k": [], "bias2": [], "variance": [], "noise": [], "test_error": []}
    for k in progress_bar(KS, progress, desc="k sweep", unit="k"):
        parts = impl.bias_variance(k, n_sets=n_sets, n_train=N_TRAIN, noise=NOISE, seed=seed)
        out["k"].append(k)
        for key in ("bias2", "variance", "noise"):
            out[key].append(float(parts[key]))
        out["test_error"].append(test_error(impl, k, n_sets, seed))
    return out


def sparse_problem(seed: int = 0, n: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
    """(x (n, 8), y (n,)) float64: y = x · TRUE_WEIGHTS + 1 + noise of sd 0.5."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, len(TRUE_WEIGHTS), generator=gen, dtype=torch.float64)
    y = x @ torch.tensor(TRUE_WEIGHTS, dtype=torch.float64) + 1.0 + 0.5 * torch.randn(n, generator=gen, dtype=torch.float64)
    return x, y


def weight_paths(impl: Any, n_strengths: int, steps: int, seed: int = 0, lr: float = 0.05) -> dict[str, Any]:
    """fit_linear's weights for each penalty at n_strengths strengths from 1e-3 to 10 (log-spaced)."""
    x, y = sparse_problem(seed)
    strengths = torch.logspace(-3, 1, n_strengths, dtype=torch.float64).tolist()
    paths: dict[str, Any] = {"strengths": strengths}
    for penalty in ("l1", "l2"):
        weights = [impl.fit_linear(x, y, penalty, s, steps, lr)[0].tolist() for s in strengths]
        paths[penalty] = weights
        paths[f"{penalty}_exact_zeros"] = [sum(1 for v in w if v == 0.0) for w in weights]
    return paths


def save_bias_variance(sweep: dict[str, list[float]], path: Path) -> Path:
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    ks = sweep["k"]
    total = [b + v + n for b, v, n in zip(sweep["bias2"], sweep["variance"], sweep["noise"])]
    ax.plot(ks, sweep["bias2"], marker="o", label="bias²")
    ax.plot(ks, sweep["variance"], marker="o", label="variance")
    ax.plot(ks, total, marker="o", label="bias² + variance + noise²")
    ax.plot(ks, sweep["test_error"], marker="x", linestyle="--", label="measured test error")
    ax.axhline(sweep["noise"][0], color="grey", linestyle=":", label=f"noise² = {sweep['noise'][0]:.2g}")
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.invert_xaxis()  # large k (smooth, biased) on the left, k = 1 (flexible, variable) on the right
    ax.set_xlabel("k (neighbours; model flexibility grows to the right)")
    ax.set_ylabel("squared error")
    ax.set_title(f"k-NN regression of sin(2πx), {N_TRAIN} training points")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return plots.save_figure(fig, path)


def save_paths(paths: dict[str, Any], path: Path) -> Path:
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(10, 4))
    for ax, penalty in zip(fig.subplots(1, 2, sharey=True), ("l1", "l2")):
        weights = torch.tensor(paths[penalty])
        for j in range(weights.shape[1]):
            ax.plot(paths["strengths"], weights[:, j], marker=".",
                    label=f"w{j} (true {TRUE_WEIGHTS[j]:g})", color=f"C{j}")
        ax.set_xscale("log")
        ax.set_xlabel("penalty strength")
        ax.set_title(f"{penalty.upper()}: exact zeros {paths[f'{penalty}_exact_zeros'][0]} → "
                     f"{paths[f'{penalty}_exact_zeros'][-1]} of {weights.shape[1]}")
        ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.axes[0].set_ylabel("weight")
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw1/regularization",
        description="The bias-variance trade-off of your k-NN over k, and the weight paths of your L1 and L2 "
        "fit_linear over the penalty strength, on synthetic data with a known truth.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['n_sets']} training sets, {QUICK['strengths']} strengths: seconds")
    p.add_argument("--n-sets", type=positive_int, default=None,
                   help=f"resampled training sets per k (default: {DEFAULT['n_sets']}; at least 2)")
    p.add_argument("--strengths", type=positive_int, default=None,
                   help=f"penalty strengths on each path (default: {DEFAULT['strengths']})")
    p.add_argument("--steps", type=positive_int, default=None,
                   help=f"gradient steps of each fit (default: {DEFAULT['steps']})")
    add_run_options(p, "runs/regularization", "the PNGs and summary.json", device=False)
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when an item is not
    implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit.experiments.common import Exit

    args = parse_args(_parser(), argv)
    sizes = QUICK if args.quick else DEFAULT
    n_sets = args.n_sets or sizes["n_sets"]
    if n_sets < 2:
        raise Exit(2, f"--n-sets: a variance needs at least 2 training sets, got {n_sets}")
    impl = load_impl("hw1/regularization", args.impl)
    print(f"sweeping with {impl_loader.describe(args.impl)}")
    with students_code(args.impl):
        sweep = k_sweep(impl, n_sets, args.seed, progress=not args.no_progress)
        paths = weight_paths(impl, args.strengths or sizes["strengths"], args.steps or sizes["steps"], args.seed)
    for k, b, v, t in zip(sweep["k"], sweep["bias2"], sweep["variance"], sweep["test_error"]):
        print(f"  k={k:>2}: bias² {b:.4f}  variance {v:.4f}  + noise² = {b + v + NOISE**2:.4f}  measured {t:.4f}")
    for penalty in ("l1", "l2"):
        print(f"  {penalty.upper()}: exact zeros at the largest strengths {paths[f'{penalty}_exact_zeros'][-4:]}")
    out = Path(args.out)
    figures = [save_bias_variance(sweep, out / BIAS_VARIANCE), save_paths(paths, out / PATHS)]
    (out / SUMMARY).write_text(json.dumps({"k_sweep": sweep, "weight_paths": paths}, indent=2) + "\n",
                               encoding="utf-8")
    print(f"figures: {', '.join(map(str, figures))}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
