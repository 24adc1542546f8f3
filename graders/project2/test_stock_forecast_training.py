"""Graders for P2-Q1, stock price forecasting (module project2/stock_forecast):
early stopping and training (EarlyStopping, fit_regressor).

EarlyStopping is graded on scripted loss sequences, what each step must
return stored below. fit_regressor is graded with a scripted stopper in place
of EarlyStopping (it stops and names its best epoch when the judge's script
says so, whatever the losses: no answer to EarlyStopping) and on the
graders' own small model, which records the mode of every forward pass: the
judge checks the epochs run, the validation losses handed to the stopper,
the optimizer steps per epoch and that the weights of the stopper's best
epoch come back.
"""
from __future__ import annotations

import math

import torch

from dlkit.grading.checks import check, fail, graded, show
from graders.project2 import stock_forecast_probes as probes

MODULE = "project2/stock_forecast"

NAN = float("nan")
# (patience, losses) → what step returns each time, and best_epoch at the end; stored.
SCRIPTS = [
    (3, [1.0, 0.8, 0.9, 0.8, 0.85], [False, False, False, False, True], 1, 0.8),
    (3, [1.0, 0.9, 0.95, 0.7, 0.8, 0.9, 0.9], [False, False, False, False, False, False, True], 3, 0.7),
    (2, [5.0, 4.0, 3.0, 2.0, 1.0, 0.5], [False] * 6, 5, 0.5),
    (3, [1.0, 1.0, 1.0, 1.0], [False, False, False, True], 0, 1.0),
    (2, [5.0, 6.0, 4.0, 6.0, 7.0], [False, False, False, False, True], 2, 4.0),
    (1, [3.0, 2.0, 2.0], [False, False, True], 1, 2.0),
    (3, [1.0, NAN, NAN, NAN], [False, False, False, True], 0, 1.0),
    (4, [2.0, 3.0, 3.0, 3.0, 1.0, 1.5, 1.5, 1.5, 1.5], [False] * 8 + [True], 4, 1.0),
]


# --------------------------------------------------------------------------
# EarlyStopping


def _run(impl, patience, losses):
    return impl.run(probes.stopper_run, patience, losses)


@graded("EarlyStopping", points=1.5)
def test_stopping_scripts(impl):
    for patience, losses, returns, best_epoch, best in SCRIPTS:
        out = _run(impl, patience, losses)
        what = f"EarlyStopping(patience={patience}), step() on {losses}"
        check(
            out["returns"] == returns,
            "step(val_loss) returns True once `patience` epochs in a row bring no improvement; an improvement is "
            "a loss STRICTLY below the best so far (an equal loss or NaN is none) and resets the count.",
            f"{what} → {out['returns']}", f"expected {returns}",
        )
        check(
            out["best_epoch"][-1] == best_epoch and out["best"][-1] == best,
            "best is the lowest loss seen and best_epoch its epoch (epochs counted from 0, the first of equal "
            "losses).",
            f"{what} → best {out['best'][-1]}, best_epoch {out['best_epoch'][-1]}; expected {best}, {best_epoch}",
        )


@graded("EarlyStopping", points=1)
def test_stopping_attributes(impl):
    start = impl.run(probes.stopper_start, 3)
    check(
        start["error"] is None and start["patience"] == 3 and start["best"] == math.inf and start["best_epoch"] is None
        and start["bad_epochs"] == 0,
        "before any step an EarlyStopping(3) has patience 3, best = math.inf, best_epoch = None and bad_epochs 0.",
        f"got {show(start)}",
    )
    patience, losses = 3, [1.0, 0.8, 0.9, 0.8, 0.85]
    out = _run(impl, patience, losses)
    check(
        out["bad_epochs"] == [0, 0, 1, 2, 3] and out["best"] == [1.0, 0.8, 0.8, 0.8, 0.8]
        and out["best_epoch"] == [0, 1, 1, 1, 1],
        "after each step, bad_epochs counts the epochs since the last improvement (0 right after one), and "
        "best and best_epoch follow the best loss so far.",
        f"EarlyStopping(3), step() on {losses} → bad_epochs {out['bad_epochs']}, best {out['best']}, "
        f"best_epoch {out['best_epoch']}",
    )
    first, second = _run(impl, 2, [1.0, 2.0]), _run(impl, 2, [1.0])
    check(second["returns"] == [False] and second["bad_epochs"] == [0] and first["bad_epochs"] == [0, 1],
          "each EarlyStopping keeps its own state: a new one starts afresh.",
          f"a second EarlyStopping(2) after another's steps → bad_epochs {second['bad_epochs']}")


@graded("EarlyStopping", points=0.5)
def test_stopping_bad_patience(impl):
    for patience in (0, -2):
        result = impl.run(probes.stopper_start, patience)
        check(
            result["error"] == "ValueError" and "patience" in result["message"],
            "EarlyStopping must raise ValueError naming patience when patience < 1.",
            f"EarlyStopping({patience}) → " + ("nothing raised" if result["error"] is None else
                                               f"{result['error']}: {result['message']}"),
        )


# --------------------------------------------------------------------------
# fit_regressor


def _fit(impl, script, epochs, patience=3, batch_size=8, n_train=30, n_val=7, seed=0, lr=0.05):
    trace = impl.run(probes.traced_fit, script, epochs, patience, batch_size, n_train, n_val, seed, lr)
    what = (f"fit_regressor(the graders' model, {n_train} training and {n_val} validation windows, epochs={epochs}, "
            f"patience={patience}, batch_size={batch_size}), with the graders' scripted stopper")
    history = trace["history"]
    if not (isinstance(history, dict) and all(k in history for k in ("train", "val", "best_epoch"))):
        fail('fit_regressor must return a dict with the keys "train", "val" and "best_epoch".',
             f"{what} → {show(history)}")
    return trace, history, what


# stops after epoch 5 (6 epochs); names epochs 0, 1 and 3 its best.
SCRIPT = [(True, False), (True, False), (False, False), (True, False), (False, False), (False, True)]


@graded("fit_regressor", points=1.5)
def test_fit_follows_the_stopper(impl):
    trace, history, what = _fit(impl, SCRIPT, epochs=20, patience=4)
    steps = trace["steps"]
    check(trace["patience"] == [4], "fit_regressor must make one EarlyStopping(patience) with its patience.",
          f"{what}: EarlyStopping was made with {trace['patience']}")
    check(
        len(steps) == 6 and len(history["train"]) == 6 and len(history["val"]) == 6,
        "fit_regressor must call stopper.step(val_loss) once per epoch and stop as soon as it returns True; "
        "the history has one entry per epoch run.",
        f"{what}: the stopper says stop at its 6th step; {len(steps)} steps, history of "
        f"{len(history['train'])} / {len(history['val'])} epochs",
    )
    check(history["best_epoch"] == 3, 'history["best_epoch"] must be the stopper\'s best_epoch.',
          f"{what}: the stopper's best epoch is 3; got {history['best_epoch']}")
    best = steps[3]["weights"]
    final = trace["final"]
    check(
        all(torch.equal(a, b) for a, b in zip(final, best)),
        "at the end the model must hold the weights of the stopper's best epoch, restored from a COPY taken at "
        "that epoch (copy.deepcopy(model.state_dict()); state_dict() alone keeps changing with training).",
        f"{what}: the stopper's best epoch is 3; final weights {show(final)}",
        f"weights after epoch 3 {show(best)}; after the last epoch {show(steps[-1]['weights'])}",
    )


@graded("fit_regressor", points=1.5)
def test_fit_epochs_batches_and_validation(impl):
    trace, history, what = _fit(impl, None, epochs=4, batch_size=8)
    steps = trace["steps"]
    check(len(steps) == 4 and len(history["val"]) == 4,
          "with a stopper that never stops, fit_regressor must run exactly `epochs` epochs.",
          f"{what}: {len(steps)} epochs run")
    per_epoch = [s["optimizer_steps"] for s in steps]
    check(per_epoch == [4] * 4,
          "each epoch is one pass over the training windows in mini-batches of batch_size: 30 windows in "
          "batches of 8 are 4 optimizer steps per epoch.",
          f"{what}: optimizer steps per epoch {per_epoch}")
    for k, s in enumerate(steps):
        train_passes = [p for p in s["passes"] if p[1]]
        check(
            train_passes and all(p[0] for p in train_passes) and sum(p[2] for p in train_passes) == 30,
            "training passes run in train mode (model.train(), every epoch: evaluation switches to eval mode) "
            "and see every training window once per epoch.",
            f"{what}: epoch {k}, passes with gradients (train mode, gradients, batch size): {train_passes}",
        )
        val_passes = [p for p in s["passes"] if not p[1]]
        check(
            val_passes and all(not p[0] for p in val_passes),
            "the validation loss is computed in eval mode (model.eval()) and without gradients (torch.no_grad()).",
            f"{what}: epoch {k}, passes (train mode, gradients, batch size): {s['passes']}",
        )
        batches = s["batch_losses"]
        plain = sum(v for v, _ in batches) / max(len(batches), 1)
        weighted = sum(v * n for v, n in batches) / max(sum(n for _, n in batches), 1)
        got = history["train"][k]
        check(
            isinstance(got, float) and min(abs(got - plain), abs(got - weighted)) < 1e-5 * max(1.0, abs(plain)),
            'history["train"] holds, per epoch, the mean of that epoch\'s training batch losses (the mean over the '
            "batches, or over the windows), as a float.",
            f"{what}: epoch {k}: batch losses {[round(v, 6) for v, _ in batches]} (mean {plain:.6g}); "
            f"history {got!r}",
        )
        given, own = s["given"], s["own"]
        check(
            isinstance(given, float) and abs(given - own) < 1e-5 * max(1.0, abs(own))
            and abs(history["val"][k] - own) < 1e-5 * max(1.0, abs(own)),
            "the validation loss handed to stopper.step and kept in the history is loss_fn(model(val_x), val_y) "
            "on the whole validation set after the epoch's training, as a float (loss_fn is the one given).",
            f"{what}: epoch {k}: stopper.step got {given!r}, history {history['val'][k]!r}; the graders' loss_fn "
            f"on the validation set then: {own:.6g}",
        )


@graded("fit_regressor", points=1)
def test_fit_learns_a_sine(impl):
    trace, history, what = _fit(impl, None, epochs=30, batch_size=8, lr=0.1)
    train, val = history["train"], history["val"]
    floor = 0.25  # the graders' loss is the MSE + 0.25
    check(
        len(val) == 30 and all(isinstance(v, float) and math.isfinite(v) for v in train + val),
        "the history holds one finite float per epoch run, for the training and the validation loss.",
        f"{what}: train {show(train)}, val {show(val)}",
    )
    check(
        val[-1] - floor < 0.01 and train[-1] < train[0],
        "trained on windows of a sine wave (a linear model predicts it exactly), the validation MSE must fall "
        "below 0.01 in 30 epochs of SGD (lr 0.1, batches of 8), and the training loss must fall.",
        f"{what}: validation MSE {val[0] - floor:.4g} → {val[-1] - floor:.4g}; training loss {train[0]:.4g} → "
        f"{train[-1]:.4g} (the graders' loss is the MSE + 0.25)",
    )
