"""Grader code that runs in the worker, next to the submission (project2/stock_forecast).

Nothing here answers an item. The stand-ins are spies with marked outputs:

* for prepare_data: a split whose parts are one row longer than the
  formula's (marked_split), a scaler that widens the training range by 1 on
  each side (marked_scaler), a scaling that doubles (marked_scale) and
  windows that keep every second one (marked_windows): the judge recomputes
  what prepare_data must make of them from the calls they recorded;
* for fit_regressor: a stopper that follows a script the judge wrote (it
  stops and names its best epoch when told, whatever the losses), and the
  graders' own small model, which records the mode of every forward pass.

The procedures build the student's classes (RecurrentRegressor,
EarlyStopping) from plain data and return evidence as plain data.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker

SCALER_WIDEN = 1.0  # marked_scaler: the training range widened by this on each side
SCALE_FACTOR = 2.0  # marked_scale: twice the min-max scaling
WINDOW_STRIDE = 2  # marked_windows: every second window only


def _data(value: Any) -> Any:
    """Tensors detached and copied, containers kept, anything else by its type's name."""
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    if isinstance(value, (tuple, list)):
        return [_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _data(v) for k, v in value.items()}
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    return f"a {type(value).__name__}"


# --------------------------------------------------------------------------
# marked stand-ins for prepare_data (formulas shared with the judge)


def marked_split_sizes(t: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(n_train, n_val, n_test) of marked_split: each of val and test one row
    longer than the handout's rounding (marked: not the item's sizes)."""
    n_test, n_val = round(t * test_fraction) + 1, round(t * val_fraction) + 1
    return t - n_val - n_test, n_val, n_test


@in_worker
def marked_split(series: torch.Tensor, val_fraction: float = 0.1, test_fraction: float = 0.1) -> tuple:
    n_train, n_val, _ = marked_split_sizes(series.shape[0], val_fraction, test_fraction)
    return series[:n_train], series[n_train:n_train + n_val], series[n_train + n_val:]


@in_worker
def marked_scaler(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The training range widened by SCALER_WIDEN on each side: marked."""
    return train.min(dim=0).values - SCALER_WIDEN, train.max(dim=0).values + SCALER_WIDEN


def marked_scale_of(x: torch.Tensor, scaler: Any, inverse: bool = False) -> torch.Tensor:
    low, high = scaler
    if inverse:
        return x / SCALE_FACTOR * (high - low) + low
    return SCALE_FACTOR * (x - low) / (high - low)


@in_worker
def marked_scale(x: torch.Tensor, scaler: Any, inverse: bool = False) -> torch.Tensor:
    """SCALE_FACTOR times the min-max scaling: marked."""
    return marked_scale_of(x, scaler, inverse)


def marked_windows_of(series: torch.Tensor, seq_length: int = 30, horizon: int = 1) -> tuple:
    starts = range(0, series.shape[0] - seq_length - horizon + 1, WINDOW_STRIDE)
    x = torch.stack([series[s:s + seq_length] for s in starts])
    y = torch.stack([series[s + seq_length + horizon - 1] for s in starts])
    return x, y


@in_worker
def marked_windows(series: torch.Tensor, seq_length: int = 30, horizon: int = 1) -> tuple:
    """Every WINDOW_STRIDE-th window only: marked."""
    return marked_windows_of(series, seq_length, horizon)


@in_worker
def traced_prepare(impl: Any, series: torch.Tensor, kwargs: dict[str, Any]) -> dict[str, Any]:
    """prepare_data(series, **kwargs) with the marked stand-ins, recording what
    each was called with: {"result": ..., "calls": {name: [args, ...]}}."""
    calls: dict[str, list] = {"train_val_test_split": [], "fit_scaler": [], "scale": [], "make_windows": []}

    def split(*args: Any, **kw: Any) -> Any:
        calls["train_val_test_split"].append(_data([list(args), kw]))
        return marked_split(*args, **kw)

    def scaler(*args: Any, **kw: Any) -> Any:
        calls["fit_scaler"].append(_data([list(args), kw]))
        return marked_scaler(*args, **kw)

    def scale(*args: Any, **kw: Any) -> Any:
        calls["scale"].append(_data([list(args), kw]))
        return marked_scale(*args, **kw)

    def windows(*args: Any, **kw: Any) -> Any:
        calls["make_windows"].append(_data([list(args), kw]))
        return marked_windows(*args, **kw)

    stand_ins = {"train_val_test_split": split, "fit_scaler": scaler, "scale": scale, "make_windows": windows}
    with substituted(impl, "prepare_data", stand_ins):
        result = impl.prepare_data(series.clone(), **kwargs)
    return {"result": _data(result), "calls": calls}


# --------------------------------------------------------------------------
# the loss


@in_worker
def loss_gradient(impl: Any, pred: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
    """mape_loss(pred, target) with pred a leaf that requires grad: its value and pred's gradient."""
    leaf = pred.clone().requires_grad_(True)
    out = impl.mape_loss(leaf, target.clone())
    entry: dict[str, Any] = {"what": _data(out) if not isinstance(out, torch.Tensor) else "tensor", "grad": None}
    if isinstance(out, torch.Tensor) and out.numel() == 1 and out.requires_grad:
        (grad,) = torch.autograd.grad(out.reshape(()), [leaf], allow_unused=True)
        entry["grad"] = None if grad is None else grad.detach()
    return entry


# --------------------------------------------------------------------------
# RecurrentRegressor


def _build(impl: Any, kwargs: dict[str, Any], seed: int) -> Any:
    torch.manual_seed(seed)
    return impl.RecurrentRegressor(**kwargs)


@in_worker
def model_evidence(impl: Any, kwargs: dict[str, Any], seed: int, batches: list[torch.Tensor],
                   train_batch: torch.Tensor | None = None, with_params: bool = False) -> dict[str, Any]:
    """RecurrentRegressor(**kwargs) built after torch.manual_seed(seed): its
    parameter count (and with_params, its parameters in order), its eval-mode outputs for each batch (twice for the
    first), and two train-mode outputs of train_batch."""
    model = _build(impl, kwargs, seed)
    if not isinstance(model, nn.Module):
        return {"module": type(model).__name__}
    evidence: dict[str, Any] = {"module": None, "n_params": sum(p.numel() for p in model.parameters())}
    if with_params:
        evidence["params"] = [p.detach().clone() for p in model.parameters()]
    model.train(False)
    with torch.no_grad():
        evidence["outputs"] = [_data(model(b)) for b in batches]
        evidence["again"] = _data(model(batches[0])) if batches else None
    if train_batch is not None:
        model.train()
        with torch.no_grad():
            evidence["train_outputs"] = [_data(model(train_batch)) for _ in range(2)]
    return evidence


@in_worker
def model_error(impl: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What RecurrentRegressor(**kwargs) raised, or that it raised nothing."""
    try:
        impl.RecurrentRegressor(**kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported to the judge as evidence
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None}


def sine_windows(n: int, seq_length: int, period: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of sin(2πt / period), t = 0 … n − 1, and the next value: (N, L, 1), (N, 1)."""
    wave = torch.sin(2 * math.pi * torch.arange(n, dtype=torch.float32) / period)
    x = torch.stack([wave[i:i + seq_length] for i in range(n - seq_length)])[:, :, None]
    return x, wave[seq_length:, None]


@in_worker
def sine_fit(impl: Any, cell: str, steps: int, seed: int, device: str) -> dict[str, Any]:
    """RecurrentRegressor(1, 1, cell, hidden=16, dropout=0) trained by the
    graders' own loop (full-batch Adam, lr 1e-2, `steps` steps, MSE) on the
    first 180 windows of a sine of period 24 (12 days each); its MSE on the
    last 48 windows, in eval mode."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is many times faster on a busy CPU
    try:
        return _sine_fit(impl, cell, steps, seed, device)
    finally:
        torch.set_num_threads(threads)


def _sine_fit(impl: Any, cell: str, steps: int, seed: int, device: str) -> dict[str, Any]:
    x, y = sine_windows(240, 12, 24.0)
    x, y = x.to(device), y.to(device)
    model = _build(impl, {"n_features": 1, "n_outputs": 1, "cell": cell, "hidden": 16, "dropout": 0.0}, seed)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(x[:180]) - y[:180]) ** 2).mean()
        loss.backward()
        return loss

    losses = [float(optimizer.step(closure).detach()) for _ in range(steps)]
    model.train(False)
    with torch.no_grad():
        val = ((model(x[180:]) - y[180:]) ** 2).mean().item()
    return {"losses": losses, "val": val}


# --------------------------------------------------------------------------
# EarlyStopping


@in_worker
def stopper_run(impl: Any, patience: int, losses: list[float]) -> dict[str, Any]:
    """EarlyStopping(patience), then step(loss) for each loss: what each step
    returned, and best, best_epoch and bad_epochs after it."""
    stopper = impl.EarlyStopping(patience)
    out: dict[str, Any] = {"returns": [], "best": [], "best_epoch": [], "bad_epochs": []}
    for loss in losses:
        out["returns"].append(_data(stopper.step(loss)))
        for name in ("best", "best_epoch", "bad_epochs"):
            value = getattr(stopper, name, "missing")
            out[name].append(float(value) if isinstance(value, (float, int)) and not isinstance(value, bool)
                             else _data(value) if value is None else repr(value))
    return out


@in_worker
def stopper_start(impl: Any, patience: int) -> dict[str, Any]:
    """EarlyStopping(patience) before any step: its attributes, or what it raised."""
    try:
        stopper = impl.EarlyStopping(patience)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported to the judge as evidence
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": None, **{name: _data(getattr(stopper, name, "missing"))
                              for name in ("patience", "best", "best_epoch", "bad_epochs")}}


# --------------------------------------------------------------------------
# fit_regressor


@in_worker
class ProbeModel(nn.Module):
    """The graders' model for fit_regressor: a linear map of the flattened
    window, recording (training mode, gradients enabled, batch size) of
    every forward pass it makes for the student's code."""

    def __init__(self, seq_length: int, n_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(seq_length * n_features, n_features)
        self.passes: list[tuple[bool, bool, int]] = []
        self.recording = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.recording:
            self.passes.append((self.training, torch.is_grad_enabled(), int(x.shape[0])))
        return self.linear(x.reshape(x.shape[0], -1))


@in_worker
def offset_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The loss fit_regressor is graded with: the MSE plus 0.25 (marked)."""
    return ((pred - target) ** 2).mean() + 0.25


@in_worker
def traced_fit(impl: Any, script: list[tuple[bool, bool]] | None, epochs: int, patience: int, batch_size: int,
               n_train: int, n_val: int, seed: int, lr: float) -> dict[str, Any]:
    """fit_regressor on the graders' ProbeModel with windows of a sine (6
    days each), offset_mse and SGD, with a scripted stopper in place of
    EarlyStopping: at step k it returns script[k][1] and, when script[k][0],
    names epoch k its best (script None: every epoch is the best, never
    stop). Records, for every step: the loss it was given, the graders' own
    validation loss of the model then, the weights then, the optimizer steps
    since the previous one, the forward passes and the training batches
    (loss, size) since the previous one."""
    torch.manual_seed(seed)
    x, y = sine_windows(n_train + n_val + 6, 6, 9.0)
    train, val = (x[:n_train], y[:n_train]), (x[n_train:n_train + n_val], y[n_train:n_train + n_val])
    model = ProbeModel(6, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    counts = {"steps": 0}
    real_step = optimizer.step

    def counted_step(*args: Any, **kwargs: Any) -> Any:
        counts["steps"] += 1
        return real_step(*args, **kwargs)

    optimizer.step = counted_step  # type: ignore[method-assign]
    batch_losses: list[tuple[float, int]] = []

    def recorded_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = offset_mse(pred, target)
        if torch.is_grad_enabled():
            batch_losses.append((float(loss.detach()), int(pred.shape[0])))
        return loss

    trace: dict[str, Any] = {"patience": [], "steps": [], "error": None}

    class ScriptedStopper:
        def __init__(self, patience: int = 3, *args: Any, **kwargs: Any) -> None:
            trace["patience"].append(patience)
            self.patience, self.best, self.best_epoch = patience, math.inf, None
            self.bad_epochs = self.epoch = 0

        def step(self, val_loss: Any) -> bool:
            k = self.epoch
            model.recording = False
            was_training = model.training
            model.train(False)
            with torch.no_grad():
                own = float(offset_mse(model(val[0]), val[1]))
            model.train(was_training)
            model.recording = True
            trace["steps"].append({
                "given": float(val_loss) if isinstance(val_loss, (float, int, torch.Tensor)) else repr(val_loss),
                "own": own,
                "weights": [p.detach().clone() for p in model.parameters()],
                "optimizer_steps": counts["steps"],
                "passes": list(model.passes),
                "batch_losses": list(batch_losses),
            })
            counts["steps"] = 0
            model.passes.clear()
            batch_losses.clear()
            improved, stop = (True, False) if script is None else script[min(k, len(script) - 1)]
            if improved:
                self.best, self.best_epoch = float(val_loss), k
            self.bad_epochs = 0 if improved else self.bad_epochs + 1  # as scripted, not as judged
            self.epoch = k + 1
            return stop

    with substituted(impl, "fit_regressor", {"EarlyStopping": ScriptedStopper}):
        history = impl.fit_regressor(model, train, val, recorded_loss, optimizer, epochs, patience, batch_size)
    trace["history"] = _data(history)
    trace["final"] = [p.detach().clone() for p in model.parameters()]
    return trace

