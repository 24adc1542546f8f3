"""CIFAR-100 through torchvision, and its train / validation / test splits.

Every dataset here yields ``(image, label)`` pairs with ``image`` a
``(3, 32, 32)`` float32 tensor standardised per channel with CIFAR-100's own
training-set statistics, and ``label`` one of the 100 fine labels (an ``int``
in 0..99). Nothing is downloaded unless the caller asks for it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from torch.utils.data import Dataset, Subset

from dlkit.splits import DataSplits, split_indices

#: Per-channel (R, G, B) mean and standard deviation of the 50 000 CIFAR-100
#: training images, with pixels scaled to [0, 1] (not MNIST's, not ImageNet's).
CIFAR100_MEAN: tuple[float, float, float] = (0.5071, 0.4865, 0.4409)
CIFAR100_STD: tuple[float, float, float] = (0.2673, 0.2564, 0.2762)

FOLDER = "cifar-100-python"


def default_transform() -> Callable[[Any], Any]:
    """``ToTensor()`` then ``Normalize(CIFAR100_MEAN, CIFAR100_STD)``: a 32×32 RGB
    PIL image → (3, 32, 32) float32 with channel c equal to (pixel/255 − mean_c)/std_c."""
    from torchvision import transforms

    return transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR100_MEAN, CIFAR100_STD)])


def load_cifar100(
    root: str | Path,
    train: bool = True,
    download: bool = False,
    transform: Callable[[Any], Any] | None = None,
) -> Dataset:
    """CIFAR-100 through torchvision, standardised with CIFAR-100's statistics.

    Args:
        root: directory holding ``cifar-100-python/`` with the pickled files
            ``train``, ``test`` and ``meta``, as torchvision lays them out.
        train: the 50 000-image training split when True, else the 10 000-image
            test split.
        download: fetch the files into ``root`` if they are missing (needs a
            network). Never done unless asked.
        transform: applied to each 32×32 RGB PIL image instead of the default
            (:func:`default_transform`), e.g. an augmentation ending in
            ``ToTensor()`` and ``Normalize``; None keeps the default.

    Returns:
        torchvision dataset whose items are ``(image, label)``: by default
        image (3, 32, 32) float32, otherwise whatever ``transform`` returns;
        label the fine label, an ``int`` in 0..99.

    Raises:
        FileNotFoundError: the files are missing or fail torchvision's md5
            check and ``download`` is False.
    """
    from torchvision import datasets

    if transform is None:
        transform = default_transform()
    try:
        return datasets.CIFAR100(root=str(root), train=train, download=download, transform=transform)
    except RuntimeError as exc:
        # torchvision reports missing or corrupt files as a RuntimeError; a
        # failed download also raises RuntimeError and keeps its own message.
        if download or "not found" not in str(exc).lower():
            raise
        raise FileNotFoundError(
            f"CIFAR-100 not found or corrupted under {Path(root)} (expected the files train, test "
            f"and meta in {Path(root) / FOLDER}). "
            "Pass --download (or download=True) on a machine with a network to fetch it."
        ) from None


def cifar100_splits(
    root: str | Path = "data",
    download: bool = False,
    n_val: int = 5000,
    batch_size: int = 64,
    seed: int = 0,
    transform: Callable[[Any], Any] | None = None,
) -> DataSplits:
    """CIFAR-100's train / validation / test splits.

    Training and validation are a random partition (fixed by `seed`) of the
    official training split, so they never overlap; the official test split
    is the test split.

    Args:
        root, download: as for :func:`load_cifar100`.
        n_val: number of official training images held out for validation.
        batch_size: batch size of the loaders.
        seed: fixes which images go to validation.
        transform: applied to the **training** images instead of the default
            (e.g. augmentation); validation and test images always get the
            deterministic default, so augmentation never reaches them.

    Returns:
        DataSplits of (3, 32, 32) float32 images and 100 classes:
        50 000 − n_val / n_val / 10 000 images for the full dataset.

    Raises:
        FileNotFoundError: the files are missing and ``download`` is False.
        ValueError: ``n_val`` does not leave at least one training image.
    """
    train_full = load_cifar100(root, train=True, download=download, transform=transform)
    n = len(train_full)  # type: ignore[arg-type]
    if not 1 <= n_val < n:
        raise ValueError(f"n_val: expected 1 ≤ n_val < {n} (the official training images under {Path(root)}), "
                         f"got {n_val}")
    train_idx, val_idx, _ = split_indices(n, n_val, 0, seed)
    # Validation images come from the same files but never see `transform`.
    val_full = train_full if transform is None else load_cifar100(root, train=True)
    test = load_cifar100(root, train=False)
    return DataSplits(
        Subset(train_full, train_idx), Subset(val_full, val_idx), test,
        in_shape=(3, 32, 32), n_classes=100, batch_size=batch_size, name="CIFAR-100",
    )
