# Student version of HW1-Q5, generated from solutions/hw1/fashion_mlp.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw1/fashion_mlp`.
# %% [markdown]
# # HW1-Q5 · A Fashion-MNIST MLP, overfitting and regularisation
#
# Fashion-MNIST holds 28×28 grey images of clothes in 10 classes (T-shirt,
# trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot).
# You build a multi-layer perceptron for it, train it with SGD, make a larger
# one overfit, and fight the overfitting with data augmentation and with L2
# weight decay.
#
# You write the networks, the image transforms, the optimiser and one epoch
# of training and of evaluation. Data loading, the outer loop over epochs
# and the plots are provided by `dlkit`: run
# `dlkit run hw1/fashion_mlp --data fashion-mnist --download` to compare the
# four runs (plain, overfitting, augmented, weight decay) on the real data,
# or `dlkit run hw1/fashion_mlp` offline on scikit-learn's digits resized to
# 28×28.

# %%
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import transforms

# %% [markdown]
# ## (a) The network
#
# `build_mlp()` returns an `nn.Module` with fully connected layers of sizes
# **784 → 512 → 256 → 128 → 10**, a ReLU after each hidden layer and a
# `LogSoftmax` over the 10 classes at the end, so that its output holds
# **log-probabilities**: `exp(output)` sums to 1 in every row, and the loss
# is the negative log-likelihood (`F.nll_loss`). It must accept a batch of
# images `(N, 1, 28, 28)` as well as flat vectors `(N, 784)`: flatten inside
# the network.
#
# `build_overfitting_mlp()` returns a network with the same input and output
# but **more parameters** than `build_mlp()`'s, large enough to memorise the
# training set: after some epochs its training loss keeps falling while its
# test loss rises.


# %%
def build_mlp() -> nn.Module:
    """The MLP 784-512-256-128-10 with ReLU and a LogSoftmax output.

    Returns:
        nn.Module mapping float32 (N, 1, 28, 28) or (N, 784) inputs, N >= 1,
        to (N, 10) float32 log-probabilities (each row's exp sums to 1),
        leaving its input unchanged.
    """
    # YOUR CODE HERE
    raise NotImplementedError('build_mlp: not implemented yet — see HW1-Q5')


# %%
def build_overfitting_mlp() -> nn.Module:
    """A larger MLP than build_mlp(), able to memorise the training set.

    Returns:
        nn.Module mapping float32 (N, 1, 28, 28) or (N, 784) inputs, N >= 1,
        to (N, 10) float32 log-probabilities, with more parameters than
        build_mlp(), leaving its input unchanged.
    """
    # YOUR CODE HERE
    raise NotImplementedError('build_overfitting_mlp: not implemented yet — see HW1-Q5')


# %% [markdown]
# ## (c) Data augmentation, for the training set only
#
# torchvision's transforms turn a PIL image into a tensor, and can change it
# at random on the way. `train_transform()` returns the training pipeline: a
# random rotation of up to 10°, a random translation (up to 10% of the size),
# a random 28×28 crop of the image padded by 4 pixels, then `ToTensor()`
# (pixels in [0, 1], shape (1, 28, 28)). A colour jitter of the brightness
# and contrast is optional: the images are grey.
#
# `eval_transform()` returns the pipeline for the test set: `ToTensor()`
# only. The test set is **never** augmented: test images must be the images
# we want to classify, and the test loss must be the same number every time
# it is measured. Both pipelines must give pixels on the same scale.


# %%
def train_transform() -> transforms.Compose:
    """The training images' random augmentation.

    Returns:
        A callable: PIL grey image 28×28 → float32 tensor (1, 28, 28) in
        [0, 1], randomly rotated (±10°), translated and cropped (padding 4);
        random through torch's global generator.
    """
    # YOUR CODE HERE
    raise NotImplementedError('train_transform: not implemented yet — see HW1-Q5')


# %%
def eval_transform() -> transforms.Compose:
    """The test images' transform: ToTensor only, no augmentation.

    Returns:
        A callable: PIL grey image 28×28 → float32 tensor (1, 28, 28) in
        [0, 1], exactly transforms.ToTensor()'s output.
    """
    # YOUR CODE HERE
    raise NotImplementedError('eval_transform: not implemented yet — see HW1-Q5')


# %% [markdown]
# ## (d) The optimiser and L2 weight decay
#
# `make_optimizer(model, lr=0.01, weight_decay=0.0)` returns
# `torch.optim.SGD` over **all** the model's parameters with the given
# learning rate and weight decay. Weight decay adds `weight_decay · w` to
# every parameter's gradient, which is the gradient of the L2 penalty
# `weight_decay / 2 · ‖w‖²`: it shrinks the weights towards zero at every
# step. The experiment uses `weight_decay=0.005`.


# %%
def make_optimizer(model: nn.Module, lr: float = 0.01, weight_decay: float = 0.0) -> torch.optim.SGD:
    """SGD over every parameter of `model`.

    Args:
        model: the network to train.
        lr: learning rate.
        weight_decay: L2 penalty coefficient added to each gradient (part (d);
            0 by default: no penalty).

    Returns:
        torch.optim.SGD whose param groups hold all of model's parameters,
        with lr and weight_decay as given.
    """
    # YOUR CODE HERE
    raise NotImplementedError('make_optimizer: not implemented yet — see HW1-Q5')


# %% [markdown]
# ## One epoch of training, one of evaluation
#
# `train_epoch(model, loader, optimizer, device)` puts the model in training
# mode and makes one pass over `loader`, whose batches are `(images,
# labels)` on the CPU: move each batch to `device`, clear the gradients,
# compute the batch's mean NLL loss on the model's log-probabilities,
# backpropagate and take one optimiser step. The model is already on
# `device`.
#
# `evaluate(model, loader, device)` puts the model in evaluation mode and
# computes the loss and the predictions of every batch **without** gradients
# (`torch.no_grad()`); it changes no parameter.
#
# Both return `(mean loss, accuracy)` as two floats over **all** the
# examples of the loader: the loss is the mean over examples (a batch's mean
# loss weighs by its size: the last batch is often smaller), the accuracy is
# the fraction of examples whose most probable class is the label, in
# [0, 1] — not the values of the last batch, nor an unweighted mean of the
# batches' values. `train_epoch` reports each batch's loss and predictions
# as computed before that batch's step.


# %%
def train_epoch(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    device: str | torch.device,
) -> tuple[float, float]:
    """One pass of SGD over `loader`.

    Args:
        model: network returning (N, 10) log-probabilities, already on device.
        loader: batches of (images float32 (N, 1, 28, 28), labels int64 (N,)),
            N >= 1 (the last batch may hold a single example).
        optimizer: a torch.optim.Optimizer over model's parameters.
        device: where the model lives; batches are moved there.

    Returns:
        (mean NLL loss, accuracy in [0, 1]) over all examples, as floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError('train_epoch: not implemented yet — see HW1-Q5')


# %%
def evaluate(
    model: nn.Module,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: str | torch.device,
) -> tuple[float, float]:
    """Loss and accuracy of `model` on `loader`, changing nothing.

    Args:
        model: network returning (N, 10) log-probabilities, already on device.
        loader: batches of (images float32 (N, 1, 28, 28), labels int64 (N,)),
            N >= 1 (the last batch may hold a single example).
        device: where the model lives; batches are moved there.

    Returns:
        (mean NLL loss, accuracy in [0, 1]) over all examples, as floats.
    """
    # YOUR CODE HERE
    raise NotImplementedError('evaluate: not implemented yet — see HW1-Q5')
