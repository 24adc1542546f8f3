"""Loss curves of the students' hand-written optimisers (hw1/optimizers).

Students write the forward pass, the four update rules and ``train``; this
module runs ``train`` with every rule at every learning rate of the handout
and draws one panel of loss curves per optimiser (a 2 × 2 grid).

Command line::

    dlkit run hw1/optimizers --impl assignments
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, add_impl_option, command, load_impl, not_implemented_reason, parse_args, positive_int,
)

LEARNING_RATES = (1e-4, 1e-3, 1e-2, 1e-1)
FIGURE = "loss_curves.png"
QUICK_STEPS = 200


def run_all(
    impl: Any,
    learning_rates: tuple[float, ...] = LEARNING_RATES,
    max_steps: int = 1000,
    threshold: float = 0.1,
    seed: int = 0,
) -> tuple[dict[str, dict[str, list[float]]], dict[str, str]]:
    """Train the network with each of `impl`'s rules at each learning rate.

    Every run starts from the same data and initial parameters (`seed`).

    Args:
        impl: module-like object with ``train`` and ``STEP_FUNCTIONS`` (see
            ``hw1/optimizers``).
        learning_rates: the learning rates to try.
        max_steps: the most steps of one run.
        threshold: a run stops once its loss is below it.
        seed: seeds the data and the initial parameters.

    Returns:
        (histories, failures): optimiser name → ("lr=…" → loss history), and
        optimiser name → why it could not run (e.g. not implemented yet).
    """
    histories: dict[str, dict[str, list[float]]] = {}
    failures: dict[str, str] = {}
    for name, step_fn in impl.STEP_FUNCTIONS.items():
        histories[name] = {}
        for lr in learning_rates:
            try:
                history = impl.train(step_fn, lr, max_steps=max_steps, threshold=threshold, seed=seed)
            except NotImplementedError:
                failures[name] = not_implemented_reason()
                histories[name] = {}
                break
            histories[name][f"lr={lr:g}"] = [float(v) for v in history]
    return histories, failures


def summary(histories: dict[str, dict[str, list[float]]], threshold: float) -> str:
    """A table: per optimiser and learning rate, the steps to reach the threshold."""
    lines = []
    for name, curves in histories.items():
        cells = []
        for label, values in curves.items():
            done = bool(values) and values[-1] < threshold
            cells.append(f"{label}: " + (f"{len(values) - 1} steps" if done else f"loss {values[-1]:.3g}"))
        lines.append(f"  {name:<9} " + ("; ".join(cells) or "—"))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw1/optimizers",
        description="Train the hw1 two-layer network with each hand-written optimiser at learning "
        "rates 1e-4, 1e-3, 1e-2 and 1e-1 and plot the loss curves.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"at most {QUICK_STEPS} steps per run: which rules and rates converge fast, in seconds")
    p.add_argument("--max-steps", type=positive_int, default=None, help="steps per run at most (default: 1000)")
    p.add_argument("--threshold", type=float, default=0.1, help="stop below this loss (default: 0.1)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    p.add_argument("--out", default="runs/optimizers", help="output folder for the PNG file")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; returns the exit status.

    0 on success (also when some rules are not implemented yet: their panels
    stay empty and the reason is printed); 1 when no rule could run; 2 for
    usage errors and when the implementation cannot be loaded.
    """
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit.plots import save_loss_curve_grid

    args = parse_args(_parser(), argv)
    if args.max_steps is None:
        args.max_steps = QUICK_STEPS if args.quick else 1000
    impl = load_impl("hw1/optimizers", args.impl)

    print(f"training with {impl_loader.describe(args.impl)}")
    histories, failures = run_all(impl, max_steps=args.max_steps, threshold=args.threshold, seed=args.seed)
    for name, reason in failures.items():
        print(f"{name}: {reason}", file=sys.stderr)
    if len(failures) == len(histories):
        return 1
    print(summary(histories, args.threshold))
    figure = save_loss_curve_grid(
        histories, Path(args.out) / FIGURE, ncols=2, threshold=args.threshold,
        title="two-layer network: loss per optimiser and learning rate",
    )
    print(f"loss curves: {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
