# %% [markdown]
# # HW1-Q2 · L1 and L2 penalties, and the bias–variance trade-off of k-NN
#
# Two ways to control how closely a model follows its training data.
#
# **Penalties.** A linear model `ŷ = x · w + b` fitted by least squares can
# be pulled toward small weights by adding a penalty on `w` to the loss:
#
#     loss(w, b) = (1/N) Σ_i (x_i · w + b − y_i)²  +  strength · penalty(w)
#
# * the **L1** penalty `Σ_j |w_j|` drives the weights of useless features to
#   **exactly zero** (a sparse model: feature selection);
# * the **L2** penalty `Σ_j w_j²` (the *sum of squares*: no square root, no
#   factor 1/2) **shrinks** every weight toward zero without making any of
#   them exactly zero.
#
# The **bias `b` is never penalised**: adding a constant to every target
# should move `b` by that constant, not be fought by the penalty.
#
# **k nearest neighbours.** A k-NN regressor predicts at `x` the mean of the
# targets of the `k` training points nearest to `x`. A small `k` follows
# every training point (low bias, high variance: the prediction changes a lot
# from one training set to another); a large `k` averages over many points
# (high bias, low variance); `k = N` predicts the mean of all the targets
# everywhere.
#
# The expected squared error of a prediction at `x`, over training sets `D`
# and the noise of the target, splits into three parts:
#
#     E[(ŷ_D(x) − y)²] = (E_D[ŷ_D(x)] − f(x))²  +  Var_D[ŷ_D(x)]  +  σ²
#                         bias²                     variance          noise
#
# Every function here leaves the tensors it is given unchanged (no in-place
# operations on them).

# %%
from __future__ import annotations

import math
from typing import Iterable

import torch

# %% [markdown]
# ## The penalties
#
# `l1_penalty(params)` and `l2_penalty(params)` take an iterable of tensors
# (a list, or `model.parameters()`) and return the penalty summed over every
# entry of every tensor, as a 0-dim tensor through which gradients flow
# (so that `loss + strength * l2_penalty(model.parameters())` can be
# back-propagated).
#
# Worked example: for the tensors `[1, −2]` and `[[3], [−4]]`, the L1
# penalty is `1 + 2 + 3 + 4 = 10` and the L2 penalty `1 + 4 + 9 + 16 = 30`.
# Its gradient is `sign(w)` for L1 (0 at `w = 0`, what `torch.abs` gives)
# and `2w` for L2.
#
# Pitfall seen in the course: `torch.norm(w)` is the **square root** of the
# sum of squares; the L2 penalty is its square.


# %%
def l1_penalty(params: Iterable[torch.Tensor]) -> torch.Tensor:
    """The L1 penalty Σ |w| over every entry of every tensor.

    Args:
        params: an iterable of float tensors of any shapes (a list, a tuple,
            or model.parameters()); it may be empty.

    Returns:
        0-dim tensor, differentiable with respect to each tensor, of their
        dtype and device; 0 for an empty iterable.
    """
    ### BEGIN SOLUTION
    total = torch.tensor(0.0)
    for p in params:
        total = total + p.abs().sum()
    return total
    ### END SOLUTION


# %%
def l2_penalty(params: Iterable[torch.Tensor]) -> torch.Tensor:
    """The L2 penalty Σ w² (the sum of squares: no square root, no 1/2).

    Args:
        params: an iterable of float tensors of any shapes (a list, a tuple,
            or model.parameters()); it may be empty.

    Returns:
        0-dim tensor, differentiable with respect to each tensor, of their
        dtype and device; 0 for an empty iterable.
    """
    ### BEGIN SOLUTION
    total = torch.tensor(0.0)
    for p in params:
        total = total + p.pow(2).sum()
    return total
    ### END SOLUTION


# %% [markdown]
# ## Fitting a penalised linear model
#
# `fit_linear(x, y, penalty, strength, steps, lr)` minimises
#
#     (1/N) Σ_i (x_i · w + b − y_i)²  +  strength · penalty(w)
#
# by `steps` steps of gradient descent with step size `lr`, starting from
# `w = 0, b = 0`, and returns `(w, b)`. The gradient of the mean squared
# error is `(2/N) xᵀ r` for `w` and `(2/N) Σ r` for `b`, where
# `r = x w + b − y` are the residuals.
#
# * `penalty="l2"`: an ordinary gradient step on the whole loss; the
#   penalty's gradient `2 · strength · w` may come from `l2_penalty` by
#   autograd or be written out.
# * `penalty="l1"`: |w| has no gradient at 0, and plain (sub)gradient steps
#   make the weights jump around zero without ever landing on it. Use the
#   **proximal** step instead (ISTA): a gradient step on the mean squared
#   error alone, then the *soft threshold*
#
#       w ← sign(w) · max(|w| − lr · strength, 0),
#
#   which sets every weight within `lr · strength` of zero to **exactly 0**.
#
# The bias takes a gradient step on the mean squared error only, for both
# penalties. With `strength = 0` both give ordinary least squares.
#
# Worked example: `x = [[1, 0], [−1, 0], [0, 1], [0, −1]]`,
# `y = [3, −1, 2, 0]`. Least squares gives `w = [2, 1]`, `b = 1`. With
# strength 1.5, L1 gives `w = [0.5, 0]` (each weight moved toward 0 by 1.5,
# the second one stopped at exactly 0) and L2 gives `w = [0.5, 0.25]`
# (each weight divided by `1 + 2 · 1.5 = 4`); `b = 1` in every case.
#
# A penalty other than `"l1"` or `"l2"`, a negative strength, `steps < 0` or
# `lr <= 0` is an error (`ValueError` naming the argument).


# %%
def fit_linear(
    x: torch.Tensor, y: torch.Tensor, penalty: str, strength: float, steps: int, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit y ≈ x · w + b under an L1 or L2 penalty on w (not on b).

    Args:
        x: (N, D) float tensor of inputs.
        y: (N,) float tensor of targets, x's dtype.
        penalty: "l1" (proximal soft-threshold steps, exact zeros) or "l2".
        strength: the penalty's weight, >= 0.
        steps: the number of gradient steps, >= 0.
        lr: the step size, > 0.

    Returns:
        (w, b): w of shape (D,) and b 0-dim, x's dtype and device.

    Raises:
        ValueError: penalty not in ("l1", "l2"), strength < 0, steps < 0 or
            lr <= 0; the message names the argument.
    """
    ### BEGIN SOLUTION
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    n, d = x.shape
    w = torch.zeros(d, dtype=x.dtype, device=x.device)
    b = torch.zeros((), dtype=x.dtype, device=x.device)
    for _ in range(steps):
        r = x @ w + b - y
        grad_w, grad_b = 2 * x.T @ r / n, 2 * r.mean()
        if penalty == "l2":
            w = w - lr * (grad_w + 2 * strength * w)
        else:
            w = w - lr * grad_w
            w = torch.sign(w) * torch.clamp(w.abs() - lr * strength, min=0)
        b = b - lr * grad_b
    return w, b
    ### END SOLUTION


# %% [markdown]
# ## k-NN regression
#
# `knn_predict(train_x, train_y, x, k)` predicts, for each row of `x`, the
# mean of the targets of the `k` training points nearest to it in Euclidean
# distance (`torch.cdist`, then the `k` smallest distances by `torch.sort`
# or `torch.topk`). Which of two equally distant points counts is left open.
#
# Worked example: training points `0, 1, 3, 6` (one feature) with targets
# `0, 2, 4, 8`; with `k = 2` the prediction at `0.9` is `(2 + 0) / 2 = 1`
# and at `4` it is `(4 + 8) / 2 = 6`. In two dimensions the nearest of
# `(3, 0)` and `(2, 2)` to the origin is `(2, 2)` (distance 2.83 against 3),
# although its coordinates differ more in total: the distance is Euclidean,
# not the sum of the absolute differences.
#
# With `k = 1`, predicting at the training points gives back their targets
# (zero training error); with `k = N` every prediction is the mean of all
# the targets. A `k` below 1 or above `N` is an error (`ValueError` naming
# `k`).


# %%
def knn_predict(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """k-nearest-neighbour regression.

    Args:
        train_x: (N, D) float tensor of training inputs.
        train_y: (N,) float tensor of training targets.
        x: (M, D) float tensor of query points, train_x's dtype.
        k: the number of neighbours, 1 <= k <= N.

    Returns:
        (M,) tensor of train_y's dtype: for each query, the mean target of its
        k nearest training points (Euclidean distance).

    Raises:
        ValueError: k < 1 or k > N; the message names k.
    """
    ### BEGIN SOLUTION
    if not 1 <= k <= len(train_x):
        raise ValueError(f"k must be between 1 and the {len(train_x)} training points, got {k}")
    distances = torch.cdist(x, train_x)
    nearest = torch.sort(distances, dim=1, stable=True).indices[:, :k]
    return train_y[nearest].mean(dim=1)
    ### END SOLUTION


# %% [markdown]
# ## Bias and variance of k-NN, estimated
#
# `bias_variance(k, n_sets, n_train, noise, seed)` estimates the three parts
# of the error on a synthetic problem whose truth is known:
# `f(x) = sin(2πx)` on `[0, 1]`, targets `y = f(x) + ε` with
# `ε ~ N(0, noise²)`.
#
# 1. Draw `n_sets` training sets, each of `n_train` points `x ~ U[0, 1]`
#    with noisy targets, from `torch.Generator().manual_seed(seed)`, in
#    float64.
# 2. For each set, predict on the fixed test grid
#    `torch.linspace(0, 1, 50)[:, None]` with **one call** of
#    `knn_predict(train_x, train_y, grid, k)` (train_x of shape (n_train, 1)).
# 3. The predictions form an `(n_sets, 50)` table. At each grid point, the
#    **bias²** is `(mean over the sets − f)²` and the **variance** the
#    variance **over the sets** (divide by `n_sets` or by `n_sets − 1`,
#    either is accepted). Average both over the grid.
# 4. The **noise** is the known `noise²`.
#
# Return `{"bias2": ..., "variance": ..., "noise": ...}` as Python floats.
# Expect a variance near `noise²` and a small bias² at `k = 1`, and at
# `k = n_train` a variance near 0 and a bias² near the mean of `f²`, 0.5.
# Pitfalls: the mean of the squared errors over sets and grid is
# bias² + variance, not bias²; a variance over the grid points (instead of
# over the sets) measures how much `f` varies, not the model.
# `n_sets < 2` or `noise < 0` is an error (`ValueError` naming the argument).


# %%
def bias_variance(k: int, n_sets: int = 50, n_train: int = 40, noise: float = 0.3, seed: int = 0) -> dict[str, float]:
    """Estimate bias², variance and noise of k-NN on f(x) = sin(2πx).

    Args:
        k: the number of neighbours for knn_predict.
        n_sets: the number of resampled training sets, >= 2.
        n_train: the number of points in each training set.
        noise: the standard deviation of the targets' noise, >= 0.
        seed: the seed of the generator drawing the training sets.

    Returns:
        {"bias2": float, "variance": float, "noise": float}: bias² and
        variance averaged over the 50-point grid on [0, 1], noise = noise².

    Raises:
        ValueError: n_sets < 2 or noise < 0; the message names the argument.
    """
    ### BEGIN SOLUTION
    if n_sets < 2:
        raise ValueError(f"n_sets must be at least 2 (a variance needs two sets), got {n_sets}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    gen = torch.Generator().manual_seed(seed)
    grid = torch.linspace(0, 1, 50, dtype=torch.float64)[:, None]
    truth = torch.sin(2 * math.pi * grid[:, 0])
    predictions = []
    for _ in range(n_sets):
        train_x = torch.rand(n_train, 1, generator=gen, dtype=torch.float64)
        train_y = torch.sin(2 * math.pi * train_x[:, 0]) + noise * torch.randn(
            n_train, generator=gen, dtype=torch.float64)
        predictions.append(knn_predict(train_x, train_y, grid, k))
    table = torch.stack(predictions)  # (n_sets, grid points)
    bias2 = ((table.mean(dim=0) - truth) ** 2).mean()
    variance = table.var(dim=0, unbiased=False).mean()
    return {"bias2": float(bias2), "variance": float(variance), "noise": float(noise**2)}
    ### END SOLUTION
