# %% [markdown]
# # HW7-Q6 · Tuning a CNN for CIFAR-100 with Optuna
#
# CIFAR-100 holds 32×32 colour images in 100 classes. You design a
# convolutional network for it and let Optuna choose its hyperparameters
# within the limits of the handout:
#
# | hyperparameter | max / choices |
# |---|---|
# | convolutional layers | 4 |
# | dense layers | 3 |
# | filters per conv layer | 64 |
# | neurons per dense layer | 64 |
# | learning rate | 0.01 |
# | optimizer | Adam, RMSprop, SGD |
#
# Pooling and dropout are allowed as extra choices. (b) Run a study with no
# pruning and no cap on the number of trials, only a **timeout**, 10 epochs
# per trial. (c) Change the sampling strategy and add a pruner, and compare
# the best accuracy and the number of trials finished in the same time.
# (d) Rank the hyperparameters by importance.
#
# Hyperparameters are chosen on a **validation** split carved from the
# training images; the test split is read once, at the very end, to report
# the accuracy of the chosen configuration. Tuning on the test set makes the
# reported accuracy an optimistic guess instead of a measurement.
#
# You write the search space, the model, the optimiser, the objective and
# the study. Data loading (CIFAR-100 with its own normalisation, or an
# offline stand-in), the final retraining (your objective again, with the
# best configuration, measured once on the test split), the importances and
# the plots are provided by `dlkit`: run
# `dlkit run hw7/optuna_search --timeout 60` offline on scikit-learn's digits,
# or `dlkit run hw7/optuna_search --data cifar100 --download --timeout 1800`.

# %%
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import optuna
import torch
from torch import nn

from torch.nn import functional as F

from dlkit.device import default_device


@dataclass(frozen=True)
class Limits:
    """The handout's limits on the search space."""

    conv_layers: int = 4
    dense_layers: int = 3  # the output layer included
    filters: int = 64
    neurons: int = 64
    lr: float = 0.01
    optimizers: tuple[str, ...] = ("Adam", "RMSprop", "SGD")


LIMITS = Limits()


@dataclass(frozen=True)
class CNNConfig:
    """One point of the search space.

    Attributes:
        filters: output channels of each conv layer, in order (1 to 4 layers).
        kernel_size: odd size of every conv kernel.
        pool: a 2×2 max pooling after every conv layer.
        neurons: sizes of the hidden dense layers (0 to 2 of them: with the
            output layer, at most 3 dense layers).
        dropout: dropout probability before each dense layer, in [0, 1).
        optimizer: "Adam", "RMSprop" or "SGD".
        lr: learning rate, at most 0.01.
    """

    filters: tuple[int, ...]
    kernel_size: int
    pool: bool
    neurons: tuple[int, ...]
    dropout: float
    optimizer: str
    lr: float


# %% [markdown]
# ## (a) The search space
#
# `suggest_config(trial)` asks the Optuna trial for every hyperparameter
# (`trial.suggest_int`, `suggest_float`, `suggest_categorical`) and returns a
# `CNNConfig`. Every value of every config it can return must respect the
# limits above (`LIMITS`): between 1 and 4 conv layers of at most 64 filters,
# at most 2 hidden dense layers of at most 64 neurons (the output layer is
# the third dense layer), a learning rate of at most 0.01 (search it on a
# log scale), and one of the three optimisers. The number of layers is a
# hyperparameter too: suggest it first, then one size per layer. Take every
# value from the trial, so that Optuna knows the whole configuration.


# %%
def suggest_config(trial: optuna.trial.BaseTrial) -> CNNConfig:
    """Sample one configuration from `trial`, within LIMITS.

    Args:
        trial: an Optuna trial (or FixedTrial) to ask for each value.

    Returns:
        CNNConfig whose every value respects LIMITS.
    """
    ### BEGIN SOLUTION
    n_conv = trial.suggest_int("n_conv", 1, LIMITS.conv_layers)
    filters = tuple(trial.suggest_int(f"filters_{i}", 8, LIMITS.filters, log=True) for i in range(n_conv))
    n_hidden = trial.suggest_int("n_hidden", 0, LIMITS.dense_layers - 1)
    neurons = tuple(trial.suggest_int(f"neurons_{i}", 16, LIMITS.neurons, log=True) for i in range(n_hidden))
    return CNNConfig(
        filters=filters,
        kernel_size=trial.suggest_categorical("kernel_size", [3, 5]),
        pool=trial.suggest_categorical("pool", [True, False]),
        neurons=neurons,
        dropout=trial.suggest_float("dropout", 0.0, 0.5),
        optimizer=trial.suggest_categorical("optimizer", list(LIMITS.optimizers)),
        lr=trial.suggest_float("lr", 1e-4, LIMITS.lr, log=True),
    )
    ### END SOLUTION


# %% [markdown]
# ## The model
#
# `build_model(config, in_shape=(3, 32, 32), n_classes=100)` returns the
# network of a configuration:
#
# - one conv block per entry of `config.filters`: `Conv2d` with
#   `config.kernel_size` and padding `kernel_size // 2` (the block keeps the
#   height and width), `ReLU`, then `MaxPool2d(2)` when `config.pool`;
# - flatten, then one block per entry of `config.neurons`: `Dropout`,
#   `Linear`, `ReLU`;
# - `Dropout` and a last `Linear` to `n_classes` **raw logits**: no
#   activation after it. `nn.CrossEntropyLoss` applies the softmax itself,
#   and a ReLU there would cut every negative logit to 0.
#
# The number of inputs of the first dense layer depends on `in_shape` and on
# the pooling: **derive it** (run the conv blocks on a dummy input, or use
# `nn.LazyLinear`) rather than computing it by hand for 32×32 images. The
# model must work for any `in_shape` the convolutions can take, and raise a
# `ValueError` naming `in_shape` when pooling would shrink the image to
# nothing.


# %%
def build_model(
    config: CNNConfig, in_shape: tuple[int, int, int] = (3, 32, 32), n_classes: int = 100
) -> nn.Module:
    """The CNN of `config`.

    Args:
        config: the architecture and its hyperparameters.
        in_shape: (C, H, W) of the input images.
        n_classes: number of classes.

    Returns:
        nn.Module mapping float32 (N, C, H, W) to (N, n_classes) raw logits.

    Raises:
        ValueError: naming in_shape, when the conv blocks shrink it to nothing.
    """
    ### BEGIN SOLUTION
    channels, height, width = in_shape
    blocks: list[nn.Module] = []
    for out_channels in config.filters:
        blocks += [nn.Conv2d(channels, out_channels, config.kernel_size, padding=config.kernel_size // 2), nn.ReLU()]
        if config.pool:
            if height < 2 or width < 2:
                raise ValueError(
                    f"in_shape: {tuple(in_shape)} is too small for {len(config.filters)} conv blocks "
                    "with 2×2 pooling"
                )
            blocks.append(nn.MaxPool2d(2))
            height, width = height // 2, width // 2
        channels = out_channels
    features = nn.Sequential(*blocks)
    with torch.no_grad():
        n_flat = features(torch.zeros(1, *in_shape)).flatten(1).shape[1]
    dense: list[nn.Module] = []
    for size in config.neurons:
        dense += [nn.Dropout(config.dropout), nn.Linear(n_flat, size), nn.ReLU()]
        n_flat = size
    dense += [nn.Dropout(config.dropout), nn.Linear(n_flat, n_classes)]
    return nn.Sequential(features, nn.Flatten(), *dense)
    ### END SOLUTION


# %% [markdown]
# ## The optimiser
#
# `make_optimizer(config, parameters)` returns the `torch.optim` optimiser
# named by `config.optimizer` (`Adam`, `RMSprop` or `SGD`) over `parameters`
# with learning rate `config.lr` (other settings at PyTorch's defaults), and
# raises a `ValueError` naming the optimiser for any other name.


# %%
def make_optimizer(config: CNNConfig, parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The optimiser of `config` over `parameters`.

    Args:
        config: its optimizer name and lr are used.
        parameters: the model's parameters.

    Returns:
        torch.optim.Adam, RMSprop or SGD with lr=config.lr.

    Raises:
        ValueError: config.optimizer is not one of LIMITS.optimizers.
    """
    ### BEGIN SOLUTION
    classes = {"Adam": torch.optim.Adam, "RMSprop": torch.optim.RMSprop, "SGD": torch.optim.SGD}
    if config.optimizer not in classes:
        raise ValueError(f"optimizer: expected one of {', '.join(classes)}, got {config.optimizer!r}")
    return classes[config.optimizer](parameters, lr=config.lr)
    ### END SOLUTION


# %% [markdown]
# ## The objective
#
# `objective(trial, data, epochs=10, device=None, prune=False)` is what
# Optuna maximises. It samples a configuration, builds its model (on
# `device`, the GPU when there is one if `device` is None) and its
# optimiser, then for each epoch:
#
# 1. trains one epoch on the **training** split: for each batch of
#    `data.train_loader()`, the cross-entropy of the logits and one
#    optimiser step, with the model in training mode;
# 2. measures the accuracy on the **validation** split, `data.val_loader()`
#    (never the test split), in evaluation mode without gradients: the
#    fraction of all its examples whose largest logit is the label;
# 3. reports it to Optuna: `trial.report(accuracy, epoch)`;
# 4. when `prune` is true, asks `trial.should_prune()` and raises
#    `optuna.TrialPruned()` if the pruner says so.
#
# It returns the validation accuracy after the last epoch, a float in
# [0, 1]. `data` is a `dlkit.splits.DataSplits`: `data.in_shape`,
# `data.n_classes`, `data.train_loader()`, `data.val_loader()`; batches are
# `(images, labels)` on the CPU.
#
# A pruner compares a trial's reported values with those of earlier trials
# at the same step and stops the trials that are clearly behind, so the
# time they would have used goes to new trials. It decides on what was
# reported: `should_prune()` without `report()` has nothing to go on.


# %%
def objective(
    trial: optuna.trial.Trial,
    data: Any,
    epochs: int = 10,
    device: str | torch.device | None = None,
    prune: bool = False,
) -> float:
    """Validation accuracy of the configuration `trial` suggests.

    Args:
        trial: the Optuna trial.
        data: DataSplits-like: in_shape, n_classes, train_loader(), val_loader().
        epochs: training epochs; the accuracy is reported after each.
        device: where to train (default: CUDA when present, else CPU).
        prune: stop early (optuna.TrialPruned) when the study's pruner says so.

    Returns:
        Validation accuracy after the last epoch, in [0, 1].
    """
    ### BEGIN SOLUTION
    device = torch.device(device) if device is not None else default_device()
    config = suggest_config(trial)
    model = build_model(config, data.in_shape, data.n_classes).to(device)
    optimizer = make_optimizer(config, model.parameters())
    value = 0.0
    for epoch in range(epochs):
        model.train()
        for images, labels in data.train_loader():
            optimizer.zero_grad()
            F.cross_entropy(model(images.to(device)), labels.to(device)).backward()
            optimizer.step()
        model.eval()
        correct, count = 0, 0
        with torch.no_grad():
            for images, labels in data.val_loader():
                predicted = model(images.to(device)).argmax(dim=1).cpu()
                correct += int((predicted == labels).sum())
                count += len(labels)
        value = correct / count
        trial.report(value, epoch)
        if prune and trial.should_prune():
            raise optuna.TrialPruned()
    return value
    ### END SOLUTION


# %% [markdown]
# ## The study
#
# `run_study(data, timeout, sampler=None, pruner=None, epochs=10, ...)`
# creates a study that **maximises** the objective, with the given sampler
# (Optuna's default, TPE, when None) and pruner, and optimises it for
# `timeout` seconds with no cap on the number of trials (part b). Pruning is
# on exactly when a pruner is given (part c). It returns the study.
#
# `storage` and `study_name` let several processes or machines share one
# study: pass both to `optuna.create_study` with `load_if_exists=True`, and
# every worker started with the same storage URL and name adds its trials
# to the same study. `n_trials` (None: no cap) is for tests and quick runs;
# `progress` shows Optuna's progress bar.


# %%
def run_study(
    data: Any,
    timeout: float,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    epochs: int = 10,
    *,
    storage: str | optuna.storages.BaseStorage | None = None,
    study_name: str | None = None,
    n_trials: int | None = None,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> optuna.Study:
    """Maximise the objective for `timeout` seconds.

    Args:
        data: the DataSplits passed to objective.
        timeout: seconds to optimise for (trials running then finish).
        sampler: Optuna sampler (default TPE).
        pruner: Optuna pruner; given means pruning is on.
        epochs: epochs per trial.
        storage: Optuna storage (URL or object) shared by workers; None keeps
            the study in memory.
        study_name: the shared study's name (with storage).
        n_trials: cap on this call's trials (None: none).
        device: where trials train.
        progress: show Optuna's progress bar.

    Returns:
        The optuna.Study, direction maximize.
    """
    ### BEGIN SOLUTION
    study = optuna.create_study(
        direction="maximize", sampler=sampler, pruner=pruner,
        storage=storage, study_name=study_name, load_if_exists=True,
    )
    study.optimize(
        lambda trial: objective(trial, data, epochs=epochs, device=device, prune=pruner is not None),
        timeout=timeout, n_trials=n_trials, show_progress_bar=progress,
    )
    return study
    ### END SOLUTION
