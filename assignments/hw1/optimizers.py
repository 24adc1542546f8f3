# Student version of HW1-Q4, generated from solutions/hw1/optimizers.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw1/optimizers`.
# %% [markdown]
# # HW1-Q4 · A two-layer network and hand-written optimisers
#
# A tiny network built from raw tensors — 4 inputs → 3 hidden ReLU units →
# 1 output — is trained with mean squared error on synthetic data whose
# targets are a fixed linear combination of the inputs. Instead of
# `torch.optim`, you write the update rules yourself: plain SGD, SGD with
# momentum, RMSprop and Adam, following PyTorch's conventions and defaults so
# that your rules give the same numbers as `torch.optim`.
#
# Every rule has the same shape. It receives one parameter (a leaf tensor
# with `requires_grad=True` whose `.grad` holds the gradient), the learning
# rate and, for the rules that remember something between steps, a `state`
# dict. The caller creates **one empty dict per parameter** and passes the
# same dict with the same parameter at every step; the rule fills it with
# its running quantities. The rule then
#
# 1. updates `param` **in place** from `param.grad`, inside
#    `torch.no_grad()` (the update itself must not be recorded by autograd);
# 2. clears the gradient afterwards, `param.grad = None` (as
#    `optimizer.zero_grad()` does), because `backward()` *adds* to `.grad`.
#
# Run `dlkit run hw1/optimizers` to train the network with each of your
# rules at learning rates 1e-4, 1e-3, 1e-2 and 1e-1 and plot the loss curves.

# %%
from __future__ import annotations

import math
from typing import Callable

import torch

# %% [markdown]
# ## The data and the network (given)
#
# `make_inputs(n_samples, n_inputs, seed)` draws standard normal inputs, and
# `generate_fake_labels(x)` gives each input row the target
# `y = x · w` for the fixed weights `w = (1, −2, 0.5, 1.5)`: a linear
# function the network can learn exactly, since `a = relu(a) − relu(−a)`.
#
# `init_params(n_inputs, seed)` returns the network's four parameters, in
# this order: `W1` (n_inputs, 3), `b1` (3,), `W2` (3, 1) and `b2` (1,), each
# a float32 leaf tensor with `requires_grad=True`.


# %%
LABEL_WEIGHTS = (1.0, -2.0, 0.5, 1.5)
N_HIDDEN = 3


def make_inputs(n_samples: int = 64, n_inputs: int = len(LABEL_WEIGHTS), seed: int = 0) -> torch.Tensor:
    """Standard normal inputs: an (n_samples, n_inputs) float32 tensor."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_samples, n_inputs, generator=generator)


def generate_fake_labels(x: torch.Tensor, weights: tuple[float, ...] = LABEL_WEIGHTS) -> torch.Tensor:
    """Targets that are a fixed linear combination of the inputs.

    Args:
        x: (N, D) float tensor of inputs, D = len(weights).
        weights: the D coefficients of the combination.

    Returns:
        (N, 1) tensor y = x @ weights, of x's dtype and device.
    """
    if x.dim() != 2 or x.shape[1] != len(weights):
        raise ValueError(f"x: expected shape (N, {len(weights)}), got {tuple(x.shape)}")
    w = torch.tensor(weights, dtype=x.dtype, device=x.device)
    return x @ w[:, None]


def init_params(n_inputs: int = len(LABEL_WEIGHTS), seed: int = 0) -> list[torch.Tensor]:
    """The network's parameters [W1 (n_inputs, 3), b1 (3,), W2 (3, 1), b2 (1,)].

    Weights are drawn from N(0, 1 / fan_in) and biases start at zero; every
    tensor is a float32 leaf with requires_grad=True.
    """
    generator = torch.Generator().manual_seed(seed)
    w1 = torch.randn(n_inputs, N_HIDDEN, generator=generator) / math.sqrt(n_inputs)
    w2 = torch.randn(N_HIDDEN, 1, generator=generator) / math.sqrt(N_HIDDEN)
    return [p.requires_grad_() for p in (w1, torch.zeros(N_HIDDEN), w2, torch.zeros(1))]


# %% [markdown]
# ## The forward pass
#
# `forward(params, x)` computes the network's output for a batch:
# `relu(x @ W1 + b1) @ W2 + b2`, with the parameters in `init_params`'s
# order. There is no activation on the output: the targets are real numbers
# of any sign.


# %%
def forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The two-layer network.

    Args:
        params: [W1 (D, H), b1 (H,), W2 (H, 1), b2 (1,)] float tensors, of x's
            dtype; left unchanged.
        x: (N, D) float32 or float64 tensor of inputs, contiguous or not;
            left unchanged.

    Returns:
        (N, 1) tensor of outputs, of x's dtype and device, differentiable with
        respect to params.
    """
    # YOUR CODE HERE
    raise NotImplementedError('forward: not implemented yet — see HW1-Q4')


# %% [markdown]
# ## Stochastic gradient descent
#
# `sgd_step(param, lr)` takes one step against the gradient,
# `p ← p − lr · g`, where `g = param.grad`. Plain SGD remembers nothing, so it
# takes no state.


# %%
def sgd_step(param: torch.Tensor, lr: float) -> None:
    """One SGD step, in place.

    Args:
        param: a leaf tensor of one or more dimensions (like the network's
            W1, b1, W2, b2), float32 or float64, with requires_grad=True and
            its gradient in .grad (read, never changed in place; it may be
            laid out non-contiguously).
        lr: learning rate.

    Side effects: param ← param − lr · param.grad, then param.grad = None.
    """
    # YOUR CODE HERE
    raise NotImplementedError('sgd_step: not implemented yet — see HW1-Q4')


# %% [markdown]
# ## Momentum
#
# `momentum_step(param, lr, state, beta=0.9)` keeps a *velocity* `v` per
# parameter, starting at zero, and moves along it:
#
#     v ← β · v + g
#     p ← p − lr · v
#
# This is PyTorch's convention (`torch.optim.SGD(momentum=β)`, no
# dampening): the gradient enters `v` with weight 1, not `1 − β`. PyTorch
# sets `v = g` at the first step, which is the same thing.


# %%
def momentum_step(param: torch.Tensor, lr: float, state: dict, beta: float = 0.9) -> None:
    """One step of SGD with momentum, in place.

    Args:
        param: a leaf tensor of one or more dimensions (like the network's
            W1, b1, W2, b2), float32 or float64, with requires_grad=True and
            its gradient in .grad (read, never changed in place; it may be
            laid out non-contiguously).
        lr: learning rate.
        state: this parameter's own dict, empty before the first step; the
            velocity (param's shape and dtype) is kept in it.
        beta: momentum coefficient.

    Side effects: v ← beta · v + g; param ← param − lr · v; param.grad = None.
    """
    # YOUR CODE HERE
    raise NotImplementedError('momentum_step: not implemented yet — see HW1-Q4')


# %% [markdown]
# ## RMSprop
#
# `rmsprop_step(param, lr, state, alpha=0.99, eps=1e-8)` keeps a running
# average `s` of the squared gradient per parameter, starting at zero, and
# divides each step by its square root, so every coordinate moves at about
# the same speed whatever the scale of its gradient:
#
#     s ← α · s + (1 − α) · g²
#     p ← p − lr · g / (√s + ε)
#
# As in `torch.optim.RMSprop`, ε is added **after** the square root; the
# defaults are PyTorch's.


# %%
def rmsprop_step(
    param: torch.Tensor, lr: float, state: dict, alpha: float = 0.99, eps: float = 1e-8
) -> None:
    """One RMSprop step, in place.

    Args:
        param: a leaf tensor of one or more dimensions (like the network's
            W1, b1, W2, b2), float32 or float64, with requires_grad=True and
            its gradient in .grad (read, never changed in place; it may be
            laid out non-contiguously).
        lr: learning rate.
        state: this parameter's own dict, empty before the first step; the
            running average of g² (param's shape and dtype) is kept in it.
        alpha: smoothing constant of the running average.
        eps: added to the root for numerical stability.

    Side effects: s ← alpha · s + (1 − alpha) · g²;
    param ← param − lr · g / (√s + eps); param.grad = None.
    """
    # YOUR CODE HERE
    raise NotImplementedError('rmsprop_step: not implemented yet — see HW1-Q4')


# %% [markdown]
# ## Adam
#
# `adam_step(param, lr, state, betas=(0.9, 0.999), eps=1e-8)` combines both:
# a running average `m` of the gradient and `v` of its square, both starting
# at zero. Because they start at zero they are biased towards zero in the
# first steps, so Adam divides them by `1 − β^t`, where `t` is the number of
# steps taken **with this parameter** so far, this one included (t = 1 at the
# first step):
#
#     t ← t + 1
#     m ← β1 · m + (1 − β1) · g
#     v ← β2 · v + (1 − β2) · g²
#     m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t)
#     p ← p − lr · m̂ / (√v̂ + ε)
#
# `t` is a running quantity like `m` and `v`: keep it in `state` too.


# %%
def adam_step(
    param: torch.Tensor,
    lr: float,
    state: dict,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """One Adam step with bias correction, in place.

    Args:
        param: a leaf tensor of one or more dimensions (like the network's
            W1, b1, W2, b2), float32 or float64, with requires_grad=True and
            its gradient in .grad (read, never changed in place; it may be
            laid out non-contiguously).
        lr: learning rate.
        state: this parameter's own dict, empty before the first step; the
            step count and the running averages of g and g² are kept in it.
        betas: (beta1, beta2), smoothing constants of the two averages.
        eps: added to the root of the corrected second moment.

    Side effects: the Adam update of param (see above); param.grad = None.
    """
    # YOUR CODE HERE
    raise NotImplementedError('adam_step: not implemented yet — see HW1-Q4')


# %% [markdown]
# ## Training
#
# `train(step_fn, lr, x, y, params, max_steps=1000, threshold=0.1)` trains
# the network by full-batch gradient descent. `step_fn(param, lr, state)` is
# an update rule; `STEP_FUNCTIONS` below adapts yours to that shape. At each
# step:
#
# 1. compute the mean squared error of `forward(params, x)` against `y`, and
#    append it to the history as a Python float;
# 2. if it is below `threshold`, stop: training has converged;
# 3. otherwise backpropagate and call `step_fn` once for **every** parameter,
#    each with **its own** state dict (one empty dict per parameter, created
#    before the first step and kept for the whole run).
#
# Training also stops after `max_steps` losses. The history is returned.
# Left out, the data come from `make_inputs` and `generate_fake_labels` and
# the parameters from `init_params`, all with `seed`.


# %%
StepFn = Callable[[torch.Tensor, float, dict], None]

STEP_FUNCTIONS: dict[str, StepFn] = {
    "SGD": lambda param, lr, state: sgd_step(param, lr),
    "momentum": lambda param, lr, state: momentum_step(param, lr, state),
    "RMSprop": lambda param, lr, state: rmsprop_step(param, lr, state),
    "Adam": lambda param, lr, state: adam_step(param, lr, state),
}


def train(
    step_fn: StepFn,
    lr: float,
    x: torch.Tensor | None = None,
    y: torch.Tensor | None = None,
    params: list[torch.Tensor] | None = None,
    max_steps: int = 1000,
    threshold: float = 0.1,
    seed: int = 0,
) -> list[float]:
    """Train the network with one update rule.

    Args:
        step_fn: step_fn(param, lr, state) updates one parameter in place and
            clears its gradient; state is that parameter's own dict.
        lr: learning rate.
        x: (N, D) float inputs; make_inputs(seed=seed) when None. Left unchanged.
        y: (N, 1) float targets; generate_fake_labels(x) when None. Left unchanged.
        params: leaf tensors for forward; init_params(D, seed) when None.
        max_steps: the most losses computed (and steps taken).
        threshold: stop as soon as the loss is below it.
        seed: seeds the default data and parameters.

    Returns:
        The loss (MSE, a float) before each step, in order; the last one is
        below threshold, unless max_steps were taken.
    """
    x = make_inputs(seed=seed) if x is None else x
    y = generate_fake_labels(x) if y is None else y
    params = init_params(x.shape[1], seed) if params is None else params
    # YOUR CODE HERE
    raise NotImplementedError('train: not implemented yet — see HW1-Q4')
