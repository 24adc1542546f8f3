"""Graders for HW7-Q6, the Optuna CNN search (module hw7/optuna_search).

Per item: the handout's limits on every configuration the search space can
give (random trials, the corners of the space, FixedTrial), the model's
logits for generated configurations and input shapes and its size on worked
examples (stored as data), the optimiser, then the objective with stand-ins
for the items it calls and data whose answers are known (a real
DataSplits, a real torch.optim.SGD subclass, a real nn.Module). The study
(run_study) is graded in test_optuna_search_study.py.

Optuna's trials and studies, the student's networks and the stand-ins
cannot cross to the worker: every item is run by a procedure in
optuna_search_probes, which builds the studies, configurations and
stand-ins there and returns what happened as data (a configuration's
fields, a trial's params, values and state, logits and counts).
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import check, describe, fail, graded
from graders.hw7 import optuna_search_probes as probes
from graders.hw7 import optuna_search_support as support

MODULE = "hw7/optuna_search"
FEW = settings(max_examples=10)


run = support.run


# --------------------------------------------------------------------------
# suggest_config


def _configs(impl, sampler: str, arg, n: int, refix: bool = False) -> list[dict]:
    """What suggest_config gave on n trials of a fresh study (see probes.sampled_configs)."""
    return run(impl, "suggest_config", probes.sampled_configs, sampler, arg, n, refix)


@graded("suggest_config", points=2)
@FEW
@given(st.integers(0, 10**6))
def test_random_configs_within_limits(impl, seed):
    for got in _configs(impl, "random", seed, n=5):
        check(
            got["is_config"],
            "suggest_config must return a CNNConfig.",
            f"got {got['type']}: {got['text']}",
        )
        bad = support.limit_violations(got["fields"])
        check(
            not bad,
            "every configuration suggest_config can return must respect the handout's limits: "
            "1-4 conv layers of at most 64 filters, at most 3 dense layers (the output one included) "
            "of at most 64 neurons, lr ≤ 0.01, optimizer Adam, RMSprop or SGD.",
            f"RandomSampler(seed={seed}) suggested {got['params']}",
            f"→ {got['text']}: " + "; ".join(bad),
        )


@graded("suggest_config", points=1)
def test_corner_configs_within_limits(impl):
    for top in (True, False):
        (got,) = _configs(impl, "extreme", top, n=1)
        bad = support.limit_violations(got["fields"])
        which = "top of every range, last of every choice" if top else "bottom of every range, first choice"
        check(
            not bad,
            "the ranges suggest_config asks the trial for must lie inside the handout's limits: "
            "even their extremes.",
            f"a trial answering with the {which}: {got['params']}",
            f"→ {got['text']}: " + "; ".join(bad),
        )


@graded("suggest_config", points=1)
def test_config_comes_from_the_trial(impl):
    for got in _configs(impl, "random", 3, n=4, refix=True):
        params = got["params"]
        check(
            len(params) >= 4,
            "suggest_config must ask the trial for the hyperparameters (trial.suggest_*), so that "
            "Optuna searches them: at least the conv layers, the dense layers, the optimiser and lr.",
            f"the trial was asked for {sorted(params)}",
        )
        check(
            got["again_equal"],
            "suggest_config must build the configuration from the trial's values alone: "
            "the same values (optuna.trial.FixedTrial) must give the same configuration.",
            f"values {params}: first {got['text']}, then {got['again_text']}",
        )


# --------------------------------------------------------------------------
# build_model


model_cases, built = support.model_cases, support.built


@graded("build_model", points=1)
@FEW
@given(model_cases())
def test_model_maps_images_to_logits(impl, case):
    fields, in_shape, n_classes = case
    got = built(impl, fields, in_shape, n_classes)
    out, cfg = got["logits"], got["config"]
    check(
        isinstance(out, torch.Tensor) and tuple(out.shape) == (4, n_classes) and out.dtype == torch.float32,
        "build_model's network must map (N, C, H, W) float32 images to (N, n_classes) float32 logits, "
        "for any in_shape the convolutions can take.",
        f"{cfg}, in_shape={in_shape}, n_classes={n_classes}: 4 images → {describe(out)}",
    )
    check(bool(torch.isfinite(out).all()), "build_model's logits must be finite.", f"{cfg}, in_shape={in_shape}")


@graded("build_model", points=1)
def test_model_logits_are_raw(impl):
    got = built(impl, dict(filters=(8, 8), neurons=(16,)), (3, 32, 32), 100, n=8)
    out, cfg = got["logits"], got["config"]
    check(isinstance(out, torch.Tensor), "build_model's network must return a tensor of logits.",
          f"{cfg}: 8 images → {describe(out)}")
    check(
        bool((out < 0).any()),
        "build_model must end with a Linear layer and no activation: raw logits, which can be negative. "
        "CrossEntropyLoss applies the softmax itself, and a ReLU on the logits cuts every negative "
        "score to 0.",
        f"{cfg}: 8 random images gave 800 logits, none negative (smallest {float(out.min()):.3g})",
    )


@graded("build_model", points=1)
def test_model_size_worked_examples(impl):
    for fields, in_shape, n_classes, want in support.WORKED_SIZES:
        support.check_model_size(impl, fields, in_shape, n_classes, lambda _fields: want)


@graded("build_model", points=1)
def test_model_refuses_an_input_too_small(impl):
    cfg = support.config(impl, filters=(4, 4, 4, 4), pool=True)
    try:
        impl.build_model(cfg, (3, 4, 4), 10)
    except ValueError as exc:
        check(
            "in_shape" in str(exc),
            "build_model's ValueError must name in_shape, so the user knows what to change.",
            f"message: {exc}",
        )
        return
    except NotImplementedError:
        raise
    except Exception as exc:
        fail(
            "build_model must raise a ValueError naming in_shape when pooling shrinks the image to "
            "nothing, not a shape error from deep inside PyTorch.",
            f"4 pooled conv layers on in_shape=(3, 4, 4) raised {type(exc).__name__}: {exc}",
        )
    fail(
        "build_model must raise a ValueError naming in_shape when pooling shrinks the image to nothing.",
        "4 pooled conv layers on in_shape=(3, 4, 4) raised nothing",
    )


# --------------------------------------------------------------------------
# make_optimizer


@graded("make_optimizer", points=1)
@given(st.sampled_from(support.OPTIMIZERS), st.sampled_from([1e-4, 3e-3, 0.01]))
def test_optimizer_named_by_config(impl, name, lr):
    got = run(impl, "make_optimizer", probes.optimizer_evidence, support.config_fields(optimizer=name, lr=lr))
    check(
        got["named"],
        "make_optimizer must return the torch.optim optimiser that config.optimizer names.",
        f"optimizer={name!r} → {got['type']}",
    )
    check(
        bool(got["lrs"]) and all(g == lr for g in got["lrs"]) and got["held"] == 2,
        "make_optimizer must use config.lr and hold every parameter.",
        f"optimizer={name!r}, lr={lr} → param groups' lr {got['lrs']}, {got['held']} of 2 parameter tensors",
    )


@graded("make_optimizer", points=1)
def test_optimizer_unknown_name(impl):
    for name in support.OPTIMIZERS:
        try:
            run(impl, "make_optimizer", probes.optimizer_evidence, support.config_fields(optimizer=name))
        except ValueError as exc:
            fail("make_optimizer must raise its ValueError only for an optimiser outside the handout's three.",
                 f"optimizer={name!r} raised ValueError: {exc}")
    try:
        got = run(impl, "make_optimizer", probes.optimizer_evidence, support.config_fields(optimizer="Adagrad"))
    except ValueError as exc:
        check("Adagrad" in str(exc) or "optimizer" in str(exc),
              "make_optimizer's ValueError must name the optimiser.", f"message: {exc}")
        return
    fail(
        "make_optimizer must raise a ValueError for an optimiser outside the handout's three.",
        f"optimizer='Adagrad' → {got['type']}",
    )


# --------------------------------------------------------------------------
# objective


def run_objective(impl, epochs: int, prune: bool, prunes: bool) -> dict:
    """One trial of the objective with stand-ins, in a study whose pruner
    always (prunes) or never prunes (see probes.objective_trial)."""
    got = run(impl, "objective", probes.objective_trial, epochs, prune, prunes, default_device())
    if got["test_refused"]:
        fail(got["test_refused"])
    return got


@graded("objective", points=2)
def test_objective_trains_and_returns_validation_accuracy(impl):
    got = run_objective(impl, epochs=3, prune=False, prunes=False)
    check(got["test_reads"] == 0, "objective must never read the test split.", f"{got['test_reads']} reads")
    given_ = "3 epochs; a model right on 1/4 of the training split and 7/10 of the validation split"
    value = got["value"]
    check(
        isinstance(value, float) and abs(value - 0.7) < 1e-6,
        "objective must return the accuracy on the whole validation split (a float in [0, 1], the "
        "fraction of all its examples predicted right) after the last epoch.",
        f"{given_}, validation batches of 4, 4 and 2: expected 0.7, got {value!r}{_which_value(value)}",
    )
    check(got["made_model"] and got["made_optimizer"],
          "objective must build its model and optimiser with build_model and make_optimizer.")
    seen, steps = got["seen"], got["steps"]
    check(
        seen["eval"] >= 3 * got["n_val"],
        "objective must measure the validation accuracy in evaluation mode (model.eval()), once per "
        "epoch over the whole validation split: dropout must be off when measuring.",
        f"{given_} (10 validation images): {seen['eval']} images seen in evaluation mode, "
        "expected at least 30",
    )
    check(
        seen["train"] >= 3 * got["n_train"] and steps == 3 * 3,
        "objective must train on the whole training split once per epoch, in training mode "
        "(model.train()), one optimiser step per batch.",
        f"{given_} (12 training images, batches of 4): {seen['train']} training images seen "
        f"and {steps} steps, expected 36 and 9",
    )
    stale, accumulated = got["stale"], got["accumulated"]
    observed = f"{given_}: {stale} of {steps} steps had another gradient"
    if accumulated:
        # Established by the probe: the gradient equalled the sum of this and earlier batches' gradients.
        observed += f"; in {accumulated} of them it was the sum of this and earlier batches' gradients"
    check(
        stale == 0,
        "at every optimiser step the parameters' gradient must be that of the current batch's "
        "cross-entropy of the logits (F.cross_entropy, nn.CrossEntropyLoss) alone.",
        observed,
    )


def _which_value(value: object) -> str:
    """What a wrong value equals on the graders' data (a fact about the data, not a guess at the code)."""
    known = {0.25: "the training split's accuracy", 0.0: "the last validation batch's accuracy",
             (1 + 0.75 + 0) / 3: "the unweighted mean of the validation batches' accuracies"}
    for want, what in known.items():
        if isinstance(value, float) and abs(value - want) < 1e-6:
            return f", which is {what} here"
    return ""


@graded("objective", points=1)
def test_objective_reports_every_epoch(impl):
    reported = run_objective(impl, epochs=4, prune=False, prunes=False)["intermediate"]
    values = [reported[s] for s in sorted(reported)]
    check(
        len(values) == 4 and all(abs(v - 0.7) < 1e-6 for v in values),
        "objective must report the validation accuracy to the trial after every epoch "
        "(trial.report(accuracy, epoch)), so that a pruner can compare trials.",
        f"4 epochs: reported {reported}",
    )


@graded("objective", points=2)
def test_objective_prunes_only_when_asked(impl):
    got = run_objective(impl, epochs=3, prune=False, prunes=True)
    check(
        got["state"] == "COMPLETE",
        "objective must not prune when prune is False, whatever the study's pruner says.",
        f"prune=False, a pruner that always prunes: the trial ended {got['state']}",
    )
    got = run_objective(impl, epochs=3, prune=True, prunes=False)
    check(
        got["state"] == "COMPLETE",
        "objective must finish the trial when the pruner does not prune.",
        f"prune=True, a pruner that never prunes: the trial ended {got['state']}",
    )
    got = run_objective(impl, epochs=3, prune=True, prunes=True)
    check(
        got["state"] == "PRUNED" and len(got["intermediate"]) == 1,
        "with prune=True, objective must report the epoch's accuracy, then ask trial.should_prune() "
        "and raise optuna.TrialPruned() when it says so: a pruner decides on reported values.",
        f"prune=True, a pruner that always prunes: the trial ended {got['state']} after "
        f"{len(got['intermediate'])} report(s); expected PRUNED after 1",
    )
