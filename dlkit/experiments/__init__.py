"""Experiments: the training loops and figures around the students' code.

``dlkit run TARGET [OPTIONS]`` dispatches here. Each experiment module has a
``run(argv) -> int`` command-line entry point and is imported only when it
is run, so listing experiments never imports torch-heavy code.
"""
from __future__ import annotations

import importlib

EXPERIMENTS: dict[str, str] = {
    "hw1/distillation": "dlkit.experiments.distillation",
    "hw1/fashion_mlp": "dlkit.experiments.fashion_mlp",
    "hw1/optimizers": "dlkit.experiments.optimizers",
    "hw1/regularization": "dlkit.experiments.regularization",
    "hw7/conditional_gan": "dlkit.experiments.conditional_gan",
    "hw7/cyclegan_loss": "dlkit.experiments.cyclegan_loss",
    "hw7/multitask": "dlkit.experiments.multitask",
    "hw7/nas_evolution": "dlkit.experiments.nas_evolution",
    "hw7/optuna_search": "dlkit.experiments.optuna_search",
    "hw7/style_modules": "dlkit.experiments.style_modules",
    "hw7/word2vec": "dlkit.experiments.word2vec",
    "project2/char_rnn": "dlkit.experiments.char_rnn",
    "project2/contextual_classifier": "dlkit.experiments.contextual_classifier",
    "project2/stock_forecast": "dlkit.experiments.stock_forecast",
}


def run_experiment(target: str, argv: list[str]) -> int:
    """Run the experiment `target` ('hw7/conditional_gan') with its own options.

    Args:
        target: a key of :data:`EXPERIMENTS`.
        argv: the experiment's command-line arguments, without the target.

    Returns:
        The experiment's exit status; 2 when `target` is unknown (the reason
        is printed to stderr).
    """
    dotted = EXPERIMENTS.get(target)
    if dotted is None:
        from dlkit.cliparse import usage_error

        return usage_error(f"unknown experiment {target!r}: expected one of "
                           + ", ".join(sorted(EXPERIMENTS)), "dlkit run")
    module = importlib.import_module(dotted)
    return int(module.run(list(argv)))
