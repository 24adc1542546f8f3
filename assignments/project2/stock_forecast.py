# Student version of P2-Q1, generated from solutions/project2/stock_forecast.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check project2/stock_forecast`.
# %% [markdown]
# # P2-Q1 · Stock price forecasting with recurrent networks
#
# Daily closing prices of two stocks form a series of shape `(T, 2)`.
# Windows of `seq_length = 30` days predict the next day's two prices. This
# notebook writes the data pipeline (windows, a chronological split, min-max
# scaling fitted on the training part), the MAPE loss, the recurrent
# regressor of the handout and training with early stopping. Comparing
# SimpleRNN, GRU and LSTM, the losses, the optimisers and recurrent dropout
# on the real prices is the experiment (`dlkit run project2/stock_forecast`).
#
# Three mistakes the course saw, and that the graders look for:
#
# * the target of the window `series[i : i + 30]` is `series[i + 30]`, the
#   **next** day, not `series[i + 30 + 1]` (that skips a day);
# * a **random** train/test split of overlapping windows leaks the future
#   into training: a test window's days are inside neighbouring training
#   windows. Split the series **chronologically** and make windows per part;
# * prices must be **scaled**, and the scaler must be fitted on the
#   **training part only** (its min and max are not known in advance for
#   the days to come).
#
# Every function leaves the tensors it is given unchanged.

# %%
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch
from torch import nn

# %% [markdown]
# ## Windows
#
# `make_windows(series, seq_length=30, horizon=1)` cuts a `(T, F)` series
# into every window of `seq_length` consecutive rows, and gives each the row
# `horizon` days after its last day as the target:
#
#     x[i] = series[i : i + seq_length]              (seq_length, F)
#     y[i] = series[i + seq_length + horizon − 1]    (F,)
#
# for `i = 0 … N − 1`, `N = T − seq_length − horizon + 1`, in this order.
# With `horizon = 1` the target of window `i` is `series[i + seq_length]`.
#
# Worked example: `series = [[0, 10], [1, 11], [2, 12], [3, 13], [4, 14],
# [5, 15]]` (T = 6, F = 2), `seq_length = 3`:
#
# * `horizon = 1`: N = 3; `x[0] = [[0, 10], [1, 11], [2, 12]]`, `y[0] =
#   [3, 13]`; `y = [[3, 13], [4, 14], [5, 15]]`;
# * `horizon = 2`: N = 2; `y = [[4, 14], [5, 15]]`.
#
# `seq_length < 1` or `horizon < 1` is an error (`ValueError` naming the
# argument), and so is a series too short for one window (`T < seq_length +
# horizon`: `ValueError` naming `series`). `x` and `y` have the series'
# dtype and device.


# %%
def make_windows(
    series: torch.Tensor, seq_length: int = 30, horizon: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every window of seq_length rows and the row horizon days after it.

    Args:
        series: (T, F) float tensor, one row per day.
        seq_length: days per window, >= 1.
        horizon: how many days after the window's last day the target is, >= 1.

    Returns:
        (x, y): x (N, seq_length, F) and y (N, F), series' dtype and device,
        N = T - seq_length - horizon + 1; y[i] = series[i + seq_length + horizon - 1].

    Raises:
        ValueError: seq_length < 1, horizon < 1 (naming it), or T < seq_length
            + horizon (naming series).
    """
    # YOUR CODE HERE
    raise NotImplementedError('make_windows: not implemented yet — see P2-Q1')


# %% [markdown]
# ## A chronological split
#
# `train_val_test_split(series, val_fraction=0.1, test_fraction=0.1)` cuts
# the **series** (not the windows) into three contiguous parts, in time
# order: the training part first, then validation, then test. With `T` rows,
#
#     n_test = round(T · test_fraction),  n_val = round(T · val_fraction),
#     n_train = T − n_val − n_test
#
# (Python's `round`). Windows are then made inside each part, so that no
# window crosses a boundary and every training target comes before every
# validation target, which comes before every test target.
#
# Worked example: T = 10, `val_fraction = 0.2`, `test_fraction = 0.3`:
# rows 0–4 train, 5–6 validation, 7–9 test. With the handout's 2 264 days
# and 0.1, 0.1: 1 812 / 226 / 226.
#
# A fraction below 0, `val_fraction + test_fraction >= 1`, or an empty
# training part is an error (`ValueError` naming the fraction). The parts
# may be views of the series.


# %%
def train_val_test_split(
    series: torch.Tensor, val_fraction: float = 0.1, test_fraction: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cut a series into contiguous train, validation and test parts, in time order.

    Args:
        series: (T, F) tensor.
        val_fraction: share of the rows for validation, >= 0.
        test_fraction: share of the rows for testing (the last ones), >= 0.

    Returns:
        (train, val, test): (n_train, F), (n_val, F), (n_test, F), consecutive
        rows of series; n_test = round(T · test_fraction), n_val = round(T · val_fraction).

    Raises:
        ValueError: a fraction < 0, val_fraction + test_fraction >= 1, or no
            training row left; the message names the fraction.
    """
    # YOUR CODE HERE
    raise NotImplementedError('train_val_test_split: not implemented yet — see P2-Q1')


# %% [markdown]
# ## Min-max scaling
#
# `fit_scaler(train)` returns the scaler `(low, high)`: the minimum and the
# maximum of each feature (column) of the **training part**, two `(F,)`
# tensors. `scale(x, scaler)` maps each feature to `[0, 1]` on the training
# range,
#
#     scaled = (x − low) / (high − low),
#
# for an `x` of any shape `(..., F)` (a part of the series, or windows);
# `scale(x, scaler, inverse=True)` maps back, `x · (high − low) + low`.
# Values outside the training range are **not clipped**: the test days may
# go above the training maximum (prices grow), and map above 1.
#
# A feature constant on the training part (`high == low`) must not divide by
# zero: its span is taken as 1, so it maps to `x − low` (0 on the training
# part).
#
# Worked example: `train = [[1, 10], [3, 10], [2, 10]]` gives `low = [1,
# 10]`, `high = [3, 10]`; `scale([[2, 10], [5, 12]])` is `[[0.5, 0], [2, 2]]`
# and the inverse of `[[0.5, 0], [1, 1]]` is `[[2, 10], [3, 11]]`.


# %%
def fit_scaler(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The min-max scaler of the training part: each feature's minimum and maximum.

    Args:
        train: (T, F) float tensor, T >= 1: the training part only.

    Returns:
        (low, high): two (F,) tensors of train's dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('fit_scaler: not implemented yet — see P2-Q1')


# %%
def scale(x: torch.Tensor, scaler: tuple[torch.Tensor, torch.Tensor], inverse: bool = False) -> torch.Tensor:
    """Min-max scale x with a fitted scaler, or undo it.

    Args:
        x: (..., F) float tensor.
        scaler: (low, high), two (F,) tensors from fit_scaler.
        inverse: False: (x - low) / (high - low); True: x · (high - low) + low.
            A span high - low of 0 counts as 1.

    Returns:
        A new tensor of x's shape, dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('scale: not implemented yet — see P2-Q1')


# %% [markdown]
# ## The whole pipeline
#
# `prepare_data(series, seq_length=30, horizon=1, val_fraction=0.1,
# test_fraction=0.1)` puts the pieces together, calling the functions
# above:
#
# 1. split the series with `train_val_test_split`;
# 2. fit the scaler on the **training part only** with `fit_scaler`;
# 3. scale each part with `scale` and cut it into windows with
#    `make_windows` (scaling the parts then cutting, or cutting then scaling
#    the windows, gives the same tensors).
#
# It returns `{"train": (x, y), "val": (x, y), "test": (x, y), "scaler":
# (low, high)}`. Each part must be long enough for one window.
#
# Fitting the scaler on the whole series is the leak the course saw: the
# training part would then never reach 1, and the model would be told in
# advance how high prices go.


# %%
def prepare_data(
    series: torch.Tensor, seq_length: int = 30, horizon: int = 1, val_fraction: float = 0.1,
    test_fraction: float = 0.1,
) -> dict[str, Any]:
    """Split, scale (fitted on the training part) and window a series.

    Args:
        series: (T, F) float tensor.
        seq_length, horizon: as in make_windows.
        val_fraction, test_fraction: as in train_val_test_split.

    Returns:
        {"train": (x, y), "val": (x, y), "test": (x, y), "scaler": (low, high)}:
        windows of the scaled parts (x (N, seq_length, F), y (N, F)) and the
        scaler fit_scaler returned for the training part.
    """
    # YOUR CODE HERE
    raise NotImplementedError('prepare_data: not implemented yet — see P2-Q1')


# %% [markdown]
# ## The loss: mean absolute percentage error
#
#     MAPE(F, A) = mean over every entry of |(A − F) / A|
#
# for forecasts `F` (`pred`) and actual values `A` (`target`), returned as a
# **fraction** (0.05 for 5 %; Keras multiplies by 100, we do not). Where
# `A = 0` the ratio is undefined: `mape_loss(pred, target, eps=1e-7)`
# divides by `max(|A|, eps)` instead of `|A|` (Keras's guard, with its
# epsilon), so the loss stays finite.
#
# Worked example: `pred = [1, −5, 1]`, `target = [2, −4, 0.5]`: `|1/2| =
# 0.5`, `|1/4| = 0.25`, `|−0.5/0.5| = 1`, MAPE = `1.75 / 3 = 0.58333`. With
# `target = [0]` and `pred = [3e−7]`: `3e−7 / 1e−7 = 3`.
#
# Careful: min-max scaling maps the training minimum to 0, where MAPE is at
# its guard. Compare MAPEs on prices (undo the scaling), or train with it on
# scaled data knowing that the smallest values weigh most.


# %%
def mape_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Mean absolute percentage error, as a fraction.

    Args:
        pred: float tensor of forecasts F, any shape.
        target: float tensor of actual values A, pred's shape.
        eps: lower bound of the denominator |A| (the guard for A = 0), > 0.

    Returns:
        0-dim tensor: mean of |A - F| / max(|A|, eps), differentiable in pred,
        pred's dtype and device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('mape_loss: not implemented yet — see P2-Q1')


# %% [markdown]
# ## The model
#
# `RecurrentRegressor(n_features=2, n_outputs=2, cell="lstm", hidden=512,
# dropout=0.1)` is the handout's network in PyTorch:
#
#     recurrent layer (cell: "rnn" → nn.RNN, "gru" → nn.GRU, "lstm" → nn.LSTM;
#                      hidden units, one layer, batch_first=True)
#     → its output at the LAST time step        (N, hidden)
#     → Linear(hidden, 256) → ReLU → Dropout(dropout)
#     → Linear(256, 128) → ReLU → Linear(128, n_outputs)
#
# `forward(x)` takes `(N, L, n_features)` windows and returns `(N,
# n_outputs)` float predictions. Another `cell` is an error (`ValueError`
# naming `cell`).
#
# Parameter counts. PyTorch's recurrent layers have two bias vectors, so one
# gate block costs `h · (F + h) + 2h`: nn.RNN has one block, nn.GRU three,
# nn.LSTM four. The head costs `(h · 256 + 256) + (256 · 128 + 128) + (128 ·
# n_outputs + n_outputs)`. With F = 2, h = 512 and 2 outputs: RNN 428 674,
# GRU 957 058, LSTM 1 221 250 parameters (Keras's SimpleRNN and LSTM have
# one bias, so slightly fewer; its GRU, with `reset_after=True`, the same).
# With F = 2, h = 8, 2 outputs: RNN 35 554, GRU 35 746, LSTM 35 842.
#
# The graders check that it learns: `RecurrentRegressor(1, 1, cell,
# hidden=16, dropout=0)`, trained by the graders' own loop (40 full-batch
# Adam steps, lr 0.01, MSE) on 180 windows of 12 days of `sin(2πt / 24)`,
# must predict the next 48 windows with a mean squared error below 0.01, for
# each cell (a constant guess scores 0.5).
#
# Keras's `recurrent_dropout` (dropout on the hidden-to-hidden connections)
# has no cuDNN counterpart in PyTorch; the experiment studies it, the
# graded class leaves it out.


# %%
class RecurrentRegressor(nn.Module):
    """Recurrent layer → last step → Dense 256 → Dropout → Dense 128 → Dense n_outputs."""

    def __init__(self, n_features: int = 2, n_outputs: int = 2, cell: str = "lstm", hidden: int = 512,
                 dropout: float = 0.1) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('RecurrentRegressor: not implemented yet — see P2-Q1')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, L, n_features) float → (N, n_outputs) float."""
        # YOUR CODE HERE
        raise NotImplementedError('RecurrentRegressor: not implemented yet — see P2-Q1')


# %% [markdown]
# ## Early stopping
#
# `EarlyStopping(patience=3)` watches the validation loss after each epoch.
# `step(val_loss)` records one epoch (epochs are numbered 0, 1, 2, … in the
# order of the calls) and returns `True` when training should stop:
#
# * the loss is an **improvement** when it is strictly below the best so
#   far (`val_loss < best`; an **equal** loss is not an improvement, and
#   neither is NaN); an improvement sets `best` and `best_epoch` and resets
#   the count of epochs without improvement to 0;
# * otherwise that count grows by 1, and `step` returns `True` once it
#   reaches `patience`.
#
# Attributes: `patience`, `best` (`math.inf` before the first step),
# `best_epoch` (`None` before the first step), `bad_epochs` (the count).
#
# Worked example, patience 3, losses `1.0, 0.8, 0.9, 0.8, 0.85`: `step`
# returns `False, False, False, False, True` (the second 0.8 is not an
# improvement); `best = 0.8`, `best_epoch = 1`. With `1.0, 0.9, 0.95, 0.7,
# 0.8, 0.9, 0.9` it stops at the last one; `best_epoch = 3`.
#
# `patience < 1` is an error (`ValueError` naming `patience`).


# %%
class EarlyStopping:
    """Stop after `patience` epochs in a row without a strictly lower validation loss."""

    def __init__(self, patience: int = 3) -> None:
        # YOUR CODE HERE
        raise NotImplementedError('EarlyStopping: not implemented yet — see P2-Q1')

    def step(self, val_loss: float) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        # YOUR CODE HERE
        raise NotImplementedError('EarlyStopping: not implemented yet — see P2-Q1')


# %% [markdown]
# ## Training
#
# `fit_regressor(model, train, val, loss_fn, optimizer, epochs, patience=3,
# batch_size=64)` trains `model` on `train = (x, y)` for at most `epochs`
# epochs and returns its history. Each epoch:
#
# 1. in **train mode** (`model.train()`), one pass over the training windows
#    in mini-batches of `batch_size` (the last one may be smaller; shuffling
#    the training windows each epoch with `torch.randperm` is fine, they all
#    lie in the training part): `loss_fn(model(xb), yb)`, backward,
#    `optimizer.step()`, gradients zeroed before each backward;
# 2. in **eval mode** and without gradients, the validation loss
#    `loss_fn(model(val_x), val_y)` on the whole validation set, as a float;
# 3. `stopper.step(val_loss)` on an `EarlyStopping(patience)` made at the
#    start; when `stopper.best_epoch` is this epoch, keep a **copy** of the
#    weights (`copy.deepcopy(model.state_dict())`: `state_dict()` alone
#    holds the live tensors, which later steps keep changing); stop when
#    `step` returns `True`.
#
# At the end, load the weights of `stopper.best_epoch` back into the model
# (the decisions are the stopper's: use its `step` and `best_epoch`). Return
# `{"train": [...], "val": [...], "best_epoch": int}`: per epoch run, the
# mean training loss over the batches and the validation loss, as floats.
# The tensors are on the model's device already.
#
# The graders run it with their own small model and a stand-in stopper that
# stops when their script says so: they check the epochs run, the optimizer
# steps per epoch, the modes, the validation losses handed to `step`, and
# the weights that come back. On windows of a sine wave, 30 epochs of SGD
# (lr 0.1, batches of 8) must bring the validation MSE below 0.01.


# %%
def fit_regressor(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    patience: int = 3,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Train with early stopping on the validation loss; restore the best weights.

    Args:
        model: maps (N, L, F) windows to (N, n_outputs) predictions.
        train: (x (N, L, F), y (N, n_outputs)) training windows and targets.
        val: (x, y) validation windows and targets.
        loss_fn: (pred, target) -> 0-dim loss tensor (e.g. nn.MSELoss(), mape_loss).
        optimizer: an optimizer over model's parameters.
        epochs: the most epochs to run.
        patience: the EarlyStopping patience.
        batch_size: training windows per step.

    Returns:
        {"train": list of floats, "val": list of floats, "best_epoch": int}, one
        entry per epoch run; the model holds the weights of best_epoch.
    """
    # YOUR CODE HERE
    raise NotImplementedError('fit_regressor: not implemented yet — see P2-Q1')
