"""Distilling a teacher into a small student (hw1/distillation).

A wide teacher MLP is trained on the offline digits (scikit-learn's 8×8
images, 1 077 / 360 / 360 for train / validation / test). Then a small
student MLP is trained on the same examples twice over: with the hard labels
alone (``alpha = 0``: ordinary training) and with the student's own
``distillation_loss`` at temperatures 1, 2, 4 and 8. Each configuration runs
with several seeds; the figure shows the students' test accuracy against the
temperature, beside the undistilled student and the teacher.

Command line::

    dlkit run hw1/distillation --impl assignments
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, add_impl_option, check_device, command, load_impl, parse_args, positive_float, positive_int,
    students_code,
)

TEMPERATURES = (1.0, 2.0, 4.0, 8.0)
FIGURE = "distillation.png"
SUMMARY = "summary.json"
QUICK = {"teacher_epochs": 15, "student_epochs": 30, "seeds": 1}
DEFAULT = {"teacher_epochs": 30, "student_epochs": 60, "seeds": 3}


def digits_tensors() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The digits' train / test splits as flat (N, 64) float32 inputs and (N,) int64 labels."""
    from dlkit.splits import digits_splits

    splits = digits_splits(image_size=8, channels=1)
    out = {}
    for name in ("train", "test"):
        part = getattr(splits, name)
        x = torch.stack([part[i][0] for i in range(len(part))]).flatten(1)
        y = torch.tensor([int(part[i][1]) for i in range(len(part))])
        out[name] = (x, y)
    return out


def mlp(hidden: tuple[int, ...], n_in: int = 64, n_out: int = 10) -> nn.Sequential:
    """An MLP n_in → hidden… → n_out with ReLU between layers."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(n_in, width), nn.ReLU()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, n_out))


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    seed: int,
    lr: float = 1e-3,
    batch_size: int = 64,
) -> nn.Module:
    """Adam on shuffled minibatches; loss_fn(logits, labels, batch indices) → scalar loss."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx], idx).backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((model(x).argmax(-1) == y).double().mean())


def run_all(
    impl: Any,
    temperatures: tuple[float, ...] = TEMPERATURES,
    alpha: float = 0.9,
    teacher_epochs: int = 40,
    student_epochs: int = 40,
    seeds: int = 3,
    student_hidden: int = 8,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Train the teacher once, then one student per (temperature, seed) and the undistilled baselines.

    Args:
        impl: module-like object with ``distillation_loss`` (see ``hw1/distillation``).
        temperatures: the temperatures of the distilled students.
        alpha: weight of the soft term for the distilled students.
        teacher_epochs, student_epochs: training epochs of each network.
        seeds: students per configuration (seeds seed … seed + seeds − 1).
        student_hidden: width of the student's one hidden layer.
        device: where the networks train.
        seed: seeds the teacher and the first student.
        progress: show a progress bar over the students.

    Returns:
        {"teacher": test accuracy, "baseline": [accuracy per seed],
        "distilled": {"T=…": [accuracy per seed]}, "teacher_parameters",
        "student_parameters"}.
    """
    data = {k: (x.to(device), y.to(device)) for k, (x, y) in digits_tensors().items()}
    (x, y), (x_test, y_test) = data["train"], data["test"]
    torch.manual_seed(seed)
    teacher = fit(mlp((256, 256)).to(device), x, y, lambda out, t, _: nn.functional.cross_entropy(out, t),
                  teacher_epochs, seed=seed)
    with torch.no_grad():
        teacher_logits = teacher(x)

    def student(k: int, temperature: float, weight: float) -> float:
        # Student k starts from the same weights and sees the same batches in every configuration.
        torch.manual_seed(1000 + seed + k)
        model = mlp((student_hidden,)).to(device)
        fit(model, x, y,
            lambda out, t, idx: impl.distillation_loss(out, teacher_logits[idx], t, temperature, weight),
            student_epochs, seed=seed + k)
        return accuracy(model, x_test, y_test)

    from dlkit.progress import progress_bar

    runs = [("baseline", 1.0, 0.0)] + [(f"T={t:g}", t, alpha) for t in temperatures]
    accuracies: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    jobs = [(run, k) for run in runs for k in range(seeds)]
    for (name, temperature, weight), k in progress_bar(jobs, progress, desc="students", unit="student"):
        accuracies[name].append(student(k, temperature, weight))
    return {
        "teacher": accuracy(teacher, x_test, y_test),
        "baseline": accuracies.pop("baseline"),
        "distilled": accuracies,
        "alpha": alpha,
        "teacher_parameters": sum(p.numel() for p in teacher.parameters()),
        "student_parameters": sum(p.numel() for p in mlp((student_hidden,)).parameters()),
    }


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summary(result: dict[str, Any]) -> str:
    """Test accuracies as a small table, the undistilled student and the teacher first."""
    lines = [f"  teacher ({result['teacher_parameters']:,} parameters): {result['teacher']:.3f}"]
    rows = {"no distillation (alpha=0)": result["baseline"], **{
        f"distilled, {name}, alpha={result['alpha']:g}": v for name, v in result["distilled"].items()}}
    for name, values in rows.items():
        mean, sd = _mean_sd(values)
        lines.append(f"  student ({result['student_parameters']:,}), {name}: {mean:.3f} ± {sd:.3f} "
                     f"over {len(values)} seed{'s' if len(values) > 1 else ''}")
    return "\n".join(lines)


def save_figure(result: dict[str, Any], path: Path) -> Path:
    """Student test accuracy against the temperature, with the baseline and the teacher as lines."""
    from matplotlib.figure import Figure

    from dlkit import plots

    temps = [float(name.removeprefix("T=")) for name in result["distilled"]]
    stats = [_mean_sd(v) for v in result["distilled"].values()]
    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    ax.errorbar(temps, [m for m, _ in stats], yerr=[s for _, s in stats], marker="o", capsize=3,
                label=f"distilled student (alpha={result['alpha']:g})")
    base, base_sd = _mean_sd(result["baseline"])
    ax.axhline(base, color="tab:red", linestyle="--", label="student without distillation")
    if base_sd:
        ax.axhspan(base - base_sd, base + base_sd, color="tab:red", alpha=0.1)
    ax.axhline(result["teacher"], color="tab:green", linestyle=":", label="teacher")
    ax.set_xscale("log", base=2)
    ax.set_xticks(temps, [f"{t:g}" for t in temps])
    ax.set_xlabel("temperature T")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"digits: a {result['student_parameters']:,}-parameter student, "
                 f"{len(result['baseline'])} seed(s) per point")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw1/distillation",
        description="Distil a wide MLP teacher into a small student on scikit-learn's digits with your "
        "distillation_loss, at temperatures 1, 2, 4 and 8, against the student trained on labels alone.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['teacher_epochs']} + {QUICK['student_epochs']} epochs and one seed: the comparison in seconds")
    p.add_argument("--teacher-epochs", type=positive_int, default=None,
                   help=f"epochs of the teacher (default: {DEFAULT['teacher_epochs']})")
    p.add_argument("--student-epochs", type=positive_int, default=None,
                   help=f"epochs of each student (default: {DEFAULT['student_epochs']})")
    p.add_argument("--seeds", type=positive_int, default=None,
                   help=f"students per configuration, to show the spread (default: {DEFAULT['seeds']})")
    p.add_argument("--alpha", type=float, default=0.9, help="weight of the soft term (default: 0.9)")
    p.add_argument("--student-hidden", type=positive_int, default=8,
                   help="hidden units of the student (default: 8)")
    p.add_argument("--temperatures", type=positive_float, nargs="+", default=list(TEMPERATURES),
                   help="temperatures of the distilled students (default: 1 2 4 8)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP + "; student k uses seed + k")
    p.add_argument("--out", default="runs/distillation", help="output folder for the PNG and summary.json")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when distillation_loss is
    not implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit.device import default_device
    from dlkit.experiments.common import Exit

    args = parse_args(_parser(), argv)
    if not 0 <= args.alpha <= 1:
        raise Exit(2, f"--alpha: expected a weight in [0, 1], got {args.alpha:g}")
    check_device(args.device)
    sizes = QUICK if args.quick else DEFAULT
    impl = load_impl("hw1/distillation", args.impl)
    print(f"distilling with {impl_loader.describe(args.impl)}")
    with students_code(args.impl):
        result = run_all(
            impl, tuple(args.temperatures), alpha=args.alpha,
            teacher_epochs=args.teacher_epochs or sizes["teacher_epochs"],
            student_epochs=args.student_epochs or sizes["student_epochs"],
            seeds=args.seeds or sizes["seeds"], student_hidden=args.student_hidden,
            device=args.device or default_device(), seed=args.seed, progress=not args.no_progress,
        )
    print(summary(result))
    out = Path(args.out)
    figure = save_figure(result, out / FIGURE)
    (out / SUMMARY).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figure: {figure}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
