"""Graders for HW7-Q6 (module hw7/optuna_search), the study: run_study with
a stand-in objective (instant, canned values, recording its arguments) and a
recorded optuna Study.optimize (optuna_search_probes.recorded_optimize).

"No cap on the number of trials, only a timeout" is graded on the optimize
call itself (no n_trials, the timeout passed on), never on how many trials
finished in some time: gc_after_trial, callbacks or a progress bar make
trials slower without making the answer wrong. Every recorded call then runs
a fixed number of trials, so the direction, the sampler, the pruner and the
shared storage are checked on real studies.

The handout's extensions (n_trials for quick runs, device, the progress bar)
have their own tests and points, apart from part (b)'s core test.
"""
from __future__ import annotations

from typing import Any

from dlkit.grading.checks import check, graded
from graders.hw7 import optuna_search_probes as probes
from graders.hw7 import optuna_search_support as support

MODULE = "hw7/optuna_search"

run = support.run


def _is_study(got: dict) -> dict:
    check(got["is_study"], "run_study must return the optuna.Study.", f"got {got.get('type')}: {got.get('text')}")
    return got


def _optimized(got: dict, call: str) -> list[dict[str, Any]]:
    calls = got["optimized"]
    check(bool(calls), "run_study must optimise its study (study.optimize(objective, timeout=timeout)).",
          f"{call}: no call to Study.optimize was seen")
    return calls


def _shown(calls: list[dict[str, Any]]) -> str:
    return "; ".join(f"optimize(n_trials={c['n_trials']}, timeout={c['timeout']})" for c in calls[:3])


@graded("run_study", points=2)
def test_study_maximises_until_the_timeout(impl):
    timeout = 0.5
    call = f"run_study(data, timeout={timeout}, epochs=3)"
    got = _is_study(run(impl, "run_study", probes.study_run, timeout, 3))
    calls = _optimized(got, call)
    # Passed on as given: a timeout a little below (the time already spent subtracted) is as good.
    capped = [c for c in calls if c["n_trials"] is not None]
    timed = all(isinstance(c["timeout"], (int, float)) and 0.5 * timeout <= c["timeout"] <= timeout * 1.001
                for c in calls)
    check(
        not capped and timed,
        "run_study must optimise until the timeout, with no cap on the number of trials: "
        "study.optimize(..., timeout=timeout) and no n_trials (None) when run_study is given none.",
        f"{call} called {_shown(calls)}",
    )
    check(
        got["direction"] == "MAXIMIZE" and got["best_value"] == max(v for v in got["values"] if v is not None),
        "run_study must create a study that maximises the objective: it returns an accuracy.",
        f"trial values {got['values'][:4]}: best_value {got['best_value']}, direction {got['direction']}",
    )
    objective_calls = got["calls"]
    check(
        bool(objective_calls) and all(epochs == 3 and not prune and same for epochs, prune, same, _ in objective_calls),
        "run_study must call objective with its data and epochs, and prune=False when no pruner is given.",
        f"{call}: objective called with "
        f"{[(epochs, prune, same) for epochs, prune, same, _ in objective_calls[:3]]} "
        "(epochs, prune, the data passed)",
    )


@graded("run_study", points=1)
def test_study_sampler_and_pruner(impl):
    got = _is_study(run(impl, "run_study", probes.study_run, 0.2, 2, search=True))
    check(
        got["same_sampler"] and got["same_pruner"],
        "run_study must give the study the sampler and the pruner it is passed.",
        f"got sampler {got['sampler']}, pruner {got['pruner']}",
    )
    prunes = [prune for _, prune, _, _ in got["calls"]]
    check(
        bool(prunes) and all(prunes),
        "run_study must turn pruning on (objective(..., prune=True)) when a pruner is given.",
        f"with MedianPruner: prune={prunes[:3]}…",
    )


@graded("run_study", points=1)
def test_study_joins_a_shared_storage(impl):
    # Two workers, one after the other, on one journal file (in the worker's own /tmp).
    first, second = run(impl, "run_study", probes.shared_study, "shared")
    _is_study(first)
    got = _is_study(second)
    want = 2 * probes.TRIALS_RUN
    check(
        got["study_name"] == "shared" and got["n"] == want,
        "run_study must create or join the study named study_name in storage "
        "(optuna.create_study(..., storage=storage, study_name=study_name, load_if_exists=True)), "
        "so that workers share their trials.",
        f"two calls of {probes.TRIALS_RUN} trials each on one journal file: the second sees {got['n']} "
        f"trials in a study named {got['study_name']!r}; expected {want} in 'shared'",
    )


@graded("run_study", points=1)
def test_study_trial_cap_for_quick_runs(impl):
    call = "run_study(data, timeout=0.5, epochs=1, n_trials=3)"
    got = _is_study(run(impl, "run_study", probes.study_run, 0.5, 1, n_trials=3))
    calls = _optimized(got, call)
    check(
        all(c["n_trials"] == 3 for c in calls) and all(c["timeout"] is not None for c in calls),
        "run_study(..., n_trials=n) must cap the study at n trials (study.optimize(..., n_trials=n_trials)), "
        "the timeout still passed on.",
        f"{call} called {_shown(calls)}",
    )


@graded("run_study", points=1)
def test_study_device_and_progress_bar(impl):
    call = "run_study(data, timeout=0.5, epochs=1, device='cpu', progress=True)"
    got = _is_study(run(impl, "run_study", probes.study_run, 0.5, 1, device="cpu", progress=True))
    calls = _optimized(got, call)
    check(
        all(c["show_progress_bar"] is True for c in calls),
        "run_study(..., progress=True) must show Optuna's progress bar (study.optimize(..., show_progress_bar=True)).",
        f"{call}: show_progress_bar={[c['show_progress_bar'] for c in calls[:3]]}",
    )
    devices = [device for _, _, _, device in got["calls"]]
    check(
        bool(devices) and all(d == "'cpu'" or "cpu" in d for d in devices),
        "run_study must pass its device on to objective (objective(..., device=device)).",
        f"{call}: objective got device={devices[:3]}",
    )
