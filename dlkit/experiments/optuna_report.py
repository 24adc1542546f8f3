"""What a finished Optuna study tells: its trials in numbers, the
hyperparameter importances and Optuna's own figures."""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any


def summarise(study: Any) -> dict[str, Any]:
    """`study` in numbers: n_trials, n_complete, n_pruned, n_failed, n_stopped
    (int; n_stopped: pruned because the search's time was up),
    best_value (float or None), best_params (dict), best_number (int or None),
    workers (sorted str), span (float: seconds from the first trial's start to
    the last one's end)."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    count = {s: sum(t.state == s for t in trials) for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    best = study.best_trial if count[TrialState.COMPLETE] else None
    starts = [t.datetime_start for t in trials if t.datetime_start]
    ends = [t.datetime_complete for t in trials if t.datetime_complete]
    return {
        "n_trials": len(trials), "n_complete": count[TrialState.COMPLETE],
        "n_pruned": count[TrialState.PRUNED], "n_failed": count[TrialState.FAIL],
        "n_stopped": sum(t.state == TrialState.PRUNED and "stopped" in t.user_attrs for t in trials),
        "best_value": None if best is None else float(best.value),
        "best_params": {} if best is None else dict(best.params),
        "best_number": None if best is None else best.number,
        "workers": sorted({str(t.user_attrs["worker"]) for t in trials if "worker" in t.user_attrs}),
        "span": (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0,
    }


def trials_for_importances(study: Any) -> int:
    """How many completed trials importances need before they mean anything:
    fANOVA fits a random forest of the score over the hyperparameters, and
    with fewer than two trials per hyperparameter (and ten in all) the forest
    mostly fits noise."""
    names = {name for t in study.get_trials(deepcopy=False) for name in t.params}
    return max(10, 2 * len(names))


def importances(study: Any, seed: int = 0) -> tuple[dict[str, float] | None, str]:
    """(hyperparameter → fANOVA importance, "") or (None, why there are none)."""
    import optuna

    n_complete, needed = summarise(study)["n_complete"], trials_for_importances(study)
    if n_complete < needed:
        return None, (f"not reported: {n_complete} completed trial(s), and importances need at least {needed} to "
                      "mean anything (two per hyperparameter, ten in all); search longer (--timeout) or share "
                      "the study between machines (--storage)")
    try:
        found = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=seed))
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        return None, str(exc)
    if not found or not all(math.isfinite(v) for v in found.values()):
        return None, "the completed trials do not tell the hyperparameters apart"
    return {k: float(v) for k, v in found.items()}, ""


def save_plots(study: Any, out: str | Path, part: str, seed: int = 0, with_importances: bool = True,
               description: str = "") -> list[Path]:
    """history_<part>.png and (if asked) importances_<part>.png in `out`: Optuna's
    matplotlib figures, on the Agg backend, each titled with the part, its
    `description` and the study's name. Returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna
    from optuna.visualization import matplotlib as optuna_plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plots = {f"history_{part}.png": ("optimisation history", lambda: optuna_plots.plot_optimization_history(study))}
    if with_importances:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        plots[f"importances_{part}.png"] = (
            "hyperparameter importances", lambda: optuna_plots.plot_param_importances(study, evaluator=evaluator))
    for filename, (what, plot) in plots.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            axes = plot()
        figure = axes.figure
        axes.set_title("")
        figure.suptitle(f"part {part}{f' ({description})' if description else ''}: {what}\nstudy {study.study_name}",
                        fontsize=11)
        figure.tight_layout()
        figure.savefig(out / filename, dpi=100, bbox_inches="tight")
        plt.close(figure)
    return [out / filename for filename in plots]
