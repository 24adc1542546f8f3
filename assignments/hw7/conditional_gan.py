# Student version of HW7-Q8, generated from solutions/hw7/conditional_gan.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw7/conditional_gan`.
# %% [markdown]
# # HW7-Q8 · A conditional GAN
#
# A GAN that is told *which* digit to draw. The generator receives noise
# **and** a one-hot class vector; the discriminator receives an image **and**
# the same class, broadcast to extra image channels. Both are DCGAN-style
# stacks of (transposed) convolutions on MNIST-sized images (1×28×28,
# 10 classes).
#
# You write the building blocks and the two losses of one training step. The
# outer training loop, data loading and plotting are provided by `dlkit`:
# run `dlkit run hw7/conditional_gan` to train your GAN and see sample grids.

# %%
from __future__ import annotations

import torch
from torch import nn

# %% [markdown]
# ## Class labels as vectors
#
# `get_one_hot_labels(labels, n_classes)` turns integer class labels into
# one-hot vectors: a label tensor of shape `(...)` becomes `(..., n_classes)`
# with a single 1 per vector, at the label's index. For example the labels
# `[[0, 2, 1]]` with 3 classes become `[[[1, 0, 0], [0, 0, 1], [0, 1, 0]]]`.
#
# `combine_vectors(x, y)` concatenates two tensors with the same first
# (batch) dimension along dimension 1. It must work for vectors,
# `(N, a) + (N, b) → (N, a + b)`, and for image maps,
# `(N, C, H, W) + (N, K, H, W) → (N, C + K, H, W)`, and it must return a
# **floating-point** tensor whatever the input dtypes: the noise is float but
# one-hot labels are `int64`, and integers must not leak into the network.
#
# `get_input_dimensions(z_dim, mnist_shape, n_classes)` returns the number of
# input features of the generator (noise plus class vector) and the number of
# input channels of the discriminator (image channels plus one channel per
# class).


# %%
def get_one_hot_labels(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """One-hot encode class labels.

    Args:
        labels: (...) integer tensor of class indices in [0, n_classes).
        n_classes: number of classes.

    Returns:
        (..., n_classes) tensor with exactly one 1 (and zeros elsewhere) per
        vector, at the label's index, on labels' device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_one_hot_labels: not implemented yet — see HW7-Q8')


# %%
def combine_vectors(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Concatenate two tensors along dimension 1, as floating point.

    Args:
        x: (N, a, ...) tensor of any numeric dtype, e.g. noise (N, z_dim) or
            images (N, C, H, W).
        y: (N, b, ...) tensor of any numeric dtype with the same sizes as x
            apart from dimension 1, e.g. one-hot labels (N, n_classes).

    Returns:
        (N, a + b, ...) floating-point tensor: x's entries first, then y's.
    """
    # YOUR CODE HERE
    raise NotImplementedError('combine_vectors: not implemented yet — see HW7-Q8')


# %%
def get_input_dimensions(
    z_dim: int, mnist_shape: tuple[int, int, int], n_classes: int
) -> tuple[int, int]:
    """Input sizes of the conditional generator and discriminator.

    Args:
        z_dim: length of the noise vector.
        mnist_shape: (C, H, W) shape of one image.
        n_classes: number of classes.

    Returns:
        (generator_input_dim, discriminator_im_chan): the generator's input
        features (noise plus one-hot class) and the discriminator's input
        channels (image channels plus one channel per class).
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_input_dimensions: not implemented yet — see HW7-Q8')


# %% [markdown]
# ## The generator
#
# `make_gen_block(input_channels, output_channels, kernel_size=3, stride=2,
# final_layer=False)` returns one block of the generator as an
# `nn.Sequential`:
#
# * a hidden block is a transposed convolution (`nn.ConvTranspose2d` with the
#   given kernel size and stride), then batch normalisation, then ReLU;
# * the **final** block is a transposed convolution followed by `Tanh`, with
#   **no** batch normalisation, so the image comes out in [-1, 1] like the
#   normalised training images.
#
# `get_noise(n_samples, z_dim, device)` draws the generator's noise from the
# standard normal distribution.
#
# The `Generator` below is given: it stacks four of your blocks, looked up
# when the generator is built. Its input is noise and a one-hot class
# vector, combined into one `(N, input_dim)` tensor.


# %%
def make_gen_block(
    input_channels: int,
    output_channels: int,
    kernel_size: int = 3,
    stride: int = 2,
    final_layer: bool = False,
) -> nn.Sequential:
    """One generator block.

    Args:
        input_channels: channels of the block's input (N, input_channels, H, W).
        output_channels: channels of the block's output.
        kernel_size: size of the transposed convolution's kernel.
        stride: stride of the transposed convolution.
        final_layer: whether this is the last block (Tanh, no batch norm).

    Returns:
        nn.Sequential of ConvTranspose2d, BatchNorm2d and ReLU, or of
        ConvTranspose2d and Tanh when final_layer is True.
    """
    # YOUR CODE HERE
    raise NotImplementedError('make_gen_block: not implemented yet — see HW7-Q8')


# %%
def get_noise(n_samples: int, z_dim: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Standard normal noise for the generator.

    Args:
        n_samples: number of noise vectors N.
        z_dim: length of each noise vector.
        device: where to create the tensor.

    Returns:
        (n_samples, z_dim) float32 tensor of N(0, 1) samples on device.
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_noise: not implemented yet — see HW7-Q8')


# %%
class Generator(nn.Module):
    """Conditional DCGAN generator: (N, input_dim) → (N, im_chan, 28, 28) in [-1, 1].

    Args:
        input_dim: length of the input vector (noise plus one-hot class).
        im_chan: channels of the generated image.
        hidden_dim: width of the first hidden block is 4 × hidden_dim.
    """

    def __init__(self, input_dim: int = 10, im_chan: int = 1, hidden_dim: int = 64) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.gen = nn.Sequential(
            make_gen_block(input_dim, hidden_dim * 4),
            make_gen_block(hidden_dim * 4, hidden_dim * 2, kernel_size=4, stride=1),
            make_gen_block(hidden_dim * 2, hidden_dim),
            make_gen_block(hidden_dim, im_chan, kernel_size=4, final_layer=True),
        )

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """noise: (N, input_dim) float → images (N, im_chan, 28, 28)."""
        return self.gen(noise.view(len(noise), self.input_dim, 1, 1))


# %% [markdown]
# ## The discriminator
#
# `make_disc_block(input_channels, output_channels, kernel_size=4, stride=2,
# final_layer=False)` returns one block of the discriminator:
#
# * a hidden block is a convolution (`nn.Conv2d` with the given kernel size
#   and stride), then batch normalisation, then `LeakyReLU` with negative
#   slope 0.2;
# * the **final** block is the convolution alone: the discriminator outputs
#   raw scores (logits), one per image.
#
# The `Discriminator` below is given. Its input is an image with one extra
# channel per class (the one-hot label broadcast over the image).


# %%
def make_disc_block(
    input_channels: int,
    output_channels: int,
    kernel_size: int = 4,
    stride: int = 2,
    final_layer: bool = False,
) -> nn.Sequential:
    """One discriminator block.

    Args:
        input_channels: channels of the block's input (N, input_channels, H, W).
        output_channels: channels of the block's output.
        kernel_size: size of the convolution's kernel.
        stride: stride of the convolution.
        final_layer: whether this is the last block (convolution only).

    Returns:
        nn.Sequential of Conv2d, BatchNorm2d and LeakyReLU(0.2), or of Conv2d
        alone when final_layer is True.
    """
    # YOUR CODE HERE
    raise NotImplementedError('make_disc_block: not implemented yet — see HW7-Q8')


# %%
class Discriminator(nn.Module):
    """Conditional DCGAN discriminator: (N, im_chan, 28, 28) → (N, 1) logits.

    Args:
        im_chan: input channels (image channels plus one per class).
        hidden_dim: width of the first block.
    """

    def __init__(self, im_chan: int = 1, hidden_dim: int = 64) -> None:
        super().__init__()
        self.disc = nn.Sequential(
            make_disc_block(im_chan, hidden_dim),
            make_disc_block(hidden_dim, hidden_dim * 2),
            make_disc_block(hidden_dim * 2, 1, final_layer=True),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: (N, im_chan, 28, 28) float → logits (N, 1)."""
        return self.disc(image).view(len(image), -1)


# %% [markdown]
# ## One training step
#
# `get_criterion()` returns the loss used for both networks: binary
# cross-entropy on the discriminator's raw scores (logits), computed in the
# numerically stable way.
#
# `get_disc_loss(gen, disc, criterion, real, one_hot_labels, z_dim)` is the
# discriminator's loss for one batch of real images and their one-hot labels:
#
# 1. draw noise with `get_noise`, on the labels' device;
# 2. generate fake images from `combine_vectors(noise, one_hot_labels)`;
# 3. broadcast the labels to image channels, `(N, n_classes, H, W)`, and give
#    the discriminator `combine_vectors(image, image_one_hot_labels)` for the
#    fake images and for the real ones;
# 4. the fake images must be **detached**: this step trains the
#    discriminator only, so no gradient may reach the generator;
# 5. the loss is the mean of the criterion on the fake scores with target 0
#    and on the real scores with target 1.
#
# `get_gen_loss(gen, disc, criterion, one_hot_labels, z_dim)` is the
# generator's loss: generate fake images from fresh noise and the labels, as
# above, and score them with the discriminator against target 1 (the
# generator wants its fakes taken for real). Here the gradient must reach the
# generator.


# %%
def get_criterion() -> nn.Module:
    """The GAN criterion: binary cross-entropy on logits.

    Returns:
        A module mapping (logits (N, 1) float, targets (N, 1) float in [0, 1])
        to the mean binary cross-entropy of sigmoid(logits), a scalar.
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_criterion: not implemented yet — see HW7-Q8')


# %%
def get_disc_loss(
    gen: nn.Module,
    disc: nn.Module,
    criterion: nn.Module,
    real: torch.Tensor,
    one_hot_labels: torch.Tensor,
    z_dim: int,
) -> torch.Tensor:
    """The discriminator's loss for one batch.

    Args:
        gen: generator, (N, z_dim + n_classes) → (N, C, H, W).
        disc: discriminator, (N, C + n_classes, H, W) → (N, 1) logits.
        criterion: loss on (logits, targets), e.g. get_criterion().
        real: (N, C, H, W) float batch of real images.
        one_hot_labels: (N, n_classes) one-hot labels of the real images.
        z_dim: length of the noise vector.

    Returns:
        Scalar tensor: mean of criterion(fake scores, 0) and
        criterion(real scores, 1). The fake images are detached, so the loss
        has no gradient with respect to the generator.
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_disc_loss: not implemented yet — see HW7-Q8')


# %%
def get_gen_loss(
    gen: nn.Module,
    disc: nn.Module,
    criterion: nn.Module,
    one_hot_labels: torch.Tensor,
    z_dim: int,
) -> torch.Tensor:
    """The generator's loss for one batch of labels.

    Args:
        gen: generator, (N, z_dim + n_classes) → (N, C, H, W).
        disc: discriminator, (N, C + n_classes, H, W) → (N, 1) logits.
        criterion: loss on (logits, targets), e.g. get_criterion().
        one_hot_labels: (N, n_classes) one-hot labels to generate.
        z_dim: length of the noise vector.

    Returns:
        Scalar tensor: criterion(scores of the fake images, 1), with gradient
        reaching the generator.
    """
    # YOUR CODE HERE
    raise NotImplementedError('get_gen_loss: not implemented yet — see HW7-Q8')
