"""Train / validation / test splits of an image classification dataset, and
the offline default for the hw7 Optuna search.

Hyperparameters are chosen on the **validation** split; the test split is
read once, at the end, to report the chosen model's accuracy. Code that
tunes (the objective of a study) asks only for ``train_loader()`` and
``val_loader()``.
"""
from __future__ import annotations

from dataclasses import dataclass
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset


@dataclass
class DataSplits:
    """Three splits of one dataset of ``(image, label)`` pairs.

    Attributes:
        train, val, test: datasets of (image float32 ``in_shape``, label int).
        in_shape: (C, H, W) of every image.
        n_classes: labels are in 0..n_classes − 1.
        batch_size: batch size of the loaders.
        name: a short description for messages and plots.
    """

    train: Dataset
    val: Dataset
    test: Dataset
    in_shape: tuple[int, int, int]
    n_classes: int
    batch_size: int = 64
    name: str = ""

    def train_loader(self, seed: int = 0) -> DataLoader:
        """Shuffled batches of the training split, in an order fixed by `seed`."""
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(seed))

    def val_loader(self) -> DataLoader:
        """Batches of the validation split, in order."""
        return DataLoader(self.val, batch_size=self.batch_size * 4)

    def test_loader(self) -> DataLoader:
        """Batches of the test split, in order: for the final report only."""
        return DataLoader(self.test, batch_size=self.batch_size * 4)

    def sizes(self) -> tuple[int, int, int]:
        return len(self.train), len(self.val), len(self.test)  # type: ignore[arg-type]


def split_indices(n: int, n_val: int, n_test: int, seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """A random partition of range(n) (fixed by `seed`) into train, val and test indices."""
    if n_val < 0 or n_test < 0 or n_val + n_test >= n:
        raise ValueError(f"n_val, n_test: expected non-negative sizes leaving training examples out of {n}, "
                         f"got {n_val} and {n_test}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return order[n_val + n_test:], order[:n_val], order[n_val:n_val + n_test]


def digits_splits(
    image_size: int = 32, channels: int = 3, n_val: int = 360, n_test: int = 360,
    batch_size: int = 64, seed: int = 0,
) -> DataSplits:
    """scikit-learn's 1 797 digits as a small, offline stand-in for CIFAR.

    The 8×8 grey images are resized (bilinear) to ``image_size`` and repeated
    over ``channels``, then standardised with the training split's own mean
    and standard deviation (never the validation or test split's).

    Returns:
        DataSplits of (channels, image_size, image_size) float32 images and
        10 classes: 1 077 / 360 / 360 images by default, the same every call.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    images = F.interpolate(images, size=(image_size, image_size), mode="bilinear", align_corners=False)
    images = images.repeat(1, channels, 1, 1)
    labels = torch.as_tensor(digits.target, dtype=torch.int64)
    train, val, test = split_indices(len(labels), n_val, n_test, seed)
    mean, std = images[train].mean(), images[train].std()
    images = ((images - mean) / std).contiguous()
    whole = TensorDataset(images, labels)
    return DataSplits(
        Subset(whole, train), Subset(whole, val), Subset(whole, test),
        in_shape=(channels, image_size, image_size), n_classes=10, batch_size=batch_size,
        name=f"digits {channels}×{image_size}×{image_size}",
    )

