"""Image datasets shared by the experiments.

Every dataset here yields ``(image, label)`` pairs with ``image`` a
``(1, H, W)`` float32 tensor in [-1, 1] (the range of a ``Tanh`` generator)
and ``label`` an integer class index. Nothing is downloaded unless the
caller asks for it: the default, scikit-learn's digits, ships with
scikit-learn and works offline.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch
from torch.nn import functional as F
from torch.utils.data import Dataset, TensorDataset

DATASETS = ("digits", "mnist", "fashion-mnist")


def load_digits_images(image_size: int = 28) -> TensorDataset:
    """scikit-learn's handwritten digits as a small, offline MNIST stand-in.

    The 1797 8×8 images (grey levels 0..16) are rescaled to [-1, 1] and
    resized with bilinear interpolation.

    Args:
        image_size: height and width of the returned images.

    Returns:
        TensorDataset of ``images`` (N, 1, image_size, image_size) float32 in
        [-1, 1] and ``labels`` (N,) int64 in 0..9, with N = 1797. The result
        is the same on every call.
    """
    from sklearn.datasets import load_digits

    if image_size < 1:
        raise ValueError(f"image_size: expected a positive size, got {image_size}")
    digits = load_digits()
    images = torch.as_tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    images = F.interpolate(
        images, size=(image_size, image_size), mode="bilinear", align_corners=False
    )
    # Bilinear weights are convex, so this clamp only removes rounding error.
    images = (images * 2.0 - 1.0).clamp_(-1.0, 1.0).contiguous()
    labels = torch.as_tensor(digits.target, dtype=torch.int64)
    return TensorDataset(images, labels)


def load_mnist(
    root: str | Path,
    train: bool = True,
    download: bool = False,
    fashion: bool = False,
    transform: Callable[[Any], Any] | None = None,
) -> Dataset:
    """MNIST or Fashion-MNIST through torchvision, scaled to [-1, 1].

    Args:
        root: directory holding ``MNIST/raw/`` (or ``FashionMNIST/raw/``) with
            the uncompressed IDX files, as torchvision lays them out.
        train: the 60 000-image training split when True, else the 10 000-image
            test split.
        download: fetch the files into ``root`` if they are missing (needs a
            network). Never done unless asked.
        fashion: Fashion-MNIST instead of MNIST.
        transform: applied to each 28×28 grey PIL image instead of the
            default scaling to [-1, 1] (e.g. an augmentation ending in
            ``ToTensor()``); None keeps the default.

    Returns:
        torchvision dataset whose items are ``(image, label)``: by default
        image (1, 28, 28) float32 in [-1, 1] (0 → -1, 255 → 1), otherwise
        whatever ``transform`` returns; label an ``int`` in 0..9.

    Raises:
        FileNotFoundError: the files are missing and ``download`` is False.
    """
    from torchvision import datasets, transforms

    cls = datasets.FashionMNIST if fashion else datasets.MNIST
    if transform is None:
        transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
        )
    try:
        return cls(root=str(root), train=train, download=download, transform=transform)
    except RuntimeError as exc:
        # torchvision reports missing files as a RuntimeError; a failed
        # download also raises RuntimeError and must keep its own message.
        if download or "not found" not in str(exc).lower():
            raise
        raw = Path(root) / cls.__name__ / "raw"
        raise FileNotFoundError(
            f"{cls.__name__} not found under {Path(root)} (expected the IDX files in {raw}). "
            "Pass --download (or download=True) on a machine with a network to fetch it."
        ) from None


def get_image_dataset(
    name: str, root: str | Path = "data", download: bool = False
) -> Dataset:
    """An image dataset by name.

    Args:
        name: ``"digits"`` (offline, scikit-learn), ``"mnist"`` or
            ``"fashion-mnist"`` (torchvision, training split).
        root: where the torchvision datasets live; unused for digits.
        download: let torchvision fetch missing files; unused for digits.

    Returns:
        Dataset of ``(image (1, 28, 28) float32 in [-1, 1], label)`` pairs.

    Raises:
        ValueError: ``name`` is not one of :data:`DATASETS`.
        FileNotFoundError: MNIST files are missing and ``download`` is False.
    """
    if name == "digits":
        return load_digits_images(28)
    if name in ("mnist", "fashion-mnist"):
        return load_mnist(root, train=True, download=download, fashion=name == "fashion-mnist")
    raise ValueError(
        f"name: unknown dataset {name!r}; expected one of "
        + ", ".join(repr(d) for d in DATASETS)
    )
