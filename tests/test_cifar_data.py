"""CIFAR-100 loading on tiny files in the real on-disk layout, offline."""
from __future__ import annotations

import hashlib
import io
import pickle
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision import datasets, transforms

from dlkit.cifar import CIFAR100_MEAN, CIFAR100_STD, cifar100_splits, load_cifar100

N_TRAIN, N_TEST = 12, 4


class Py2Str(bytes):
    """A Python 2 ``str``: what the real files' dict keys, file names and label names are."""


class Py2Pickler(pickle._Pickler):  # the pure-Python pickler, whose dispatch table can be extended
    """Protocol-2 pickler writing :class:`Py2Str` as Python 2 did (SHORT_BINSTRING / BINSTRING).

    Such strings load as ``str`` under ``encoding="latin1"`` (what torchvision
    uses) and as ``bytes`` under ``encoding="bytes"`` (the dataset page's
    recipe, which shows the keys ``b"data"``, ``b"fine_labels"``, ...). A
    Python 3 ``bytes`` key would load as ``bytes`` under both, unlike the real files.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2str(self, obj: Py2Str) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + bytes(obj))
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + bytes(obj))
        self.memoize(obj)

    dispatch[Py2Str] = save_py2str


def dump_py2(obj: object, path: Path) -> None:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    path.write_bytes(buffer.getvalue())


def pixel(split: int, i: int, c: int) -> int:
    """The constant value of channel c of image i of a split (0 train, 1 test)."""
    return (37 * i + 80 * c + 11 * split + 5) % 256


def fine_label(split: int, i: int) -> int:
    return (7 * i + 50 * split + 3) % 100


def write_split(path: Path, split: int, n: int) -> None:
    """(n, 3072) uint8 rows, channel-major (1024 red, 1024 green, 1024 blue), as in the real files."""
    data = np.stack([np.concatenate([np.full(1024, pixel(split, i, c), np.uint8) for c in range(3)])
                     for i in range(n)])
    fine = [fine_label(split, i) for i in range(n)]
    dump_py2({
        Py2Str(b"filenames"): [Py2Str(b"img_%d_%05d.png" % (split, i)) for i in range(n)],
        Py2Str(b"batch_label"): Py2Str(b"training batch 1 of 1" if split == 0 else b"testing batch 1 of 1"),
        Py2Str(b"fine_labels"): fine,
        Py2Str(b"coarse_labels"): [label // 5 for label in fine],
        Py2Str(b"data"): data,
    }, path)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def no_network(monkeypatch):
    """Any download or socket connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(datasets.CIFAR100, "download", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def tiny_cifar(tmp_path: Path, monkeypatch, no_network) -> Path:
    """12 training and 4 test images under tmp_path/cifar-100-python; torchvision's
    expected md5s are patched to these files', so its real integrity check runs on them."""
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    write_split(folder / "train", 0, N_TRAIN)
    write_split(folder / "test", 1, N_TEST)
    dump_py2({
        Py2Str(b"fine_label_names"): [Py2Str(b"fine_%02d" % k) for k in range(100)],
        Py2Str(b"coarse_label_names"): [Py2Str(b"coarse_%02d" % k) for k in range(20)],
    }, folder / "meta")
    monkeypatch.setattr(datasets.CIFAR100, "train_list", [["train", md5(folder / "train")]])
    monkeypatch.setattr(datasets.CIFAR100, "test_list", [["test", md5(folder / "test")]])
    monkeypatch.setattr(datasets.CIFAR100, "meta",
                        {**datasets.CIFAR100.meta, "md5": md5(folder / "meta")})
    return tmp_path


def test_tiny_files_have_the_real_layout(tiny_cifar):
    with open(tiny_cifar / "cifar-100-python" / "train", "rb") as f:
        entry = pickle.load(f, encoding="bytes")  # the dataset page's recipe
    assert {b"data", b"fine_labels", b"coarse_labels", b"filenames"} <= set(entry)
    assert entry[b"data"].shape == (N_TRAIN, 3072) and entry[b"data"].dtype == np.uint8
    with open(tiny_cifar / "cifar-100-python" / "meta", "rb") as f:
        meta = pickle.load(f, encoding="bytes")
    assert len(meta[b"fine_label_names"]) == 100 and len(meta[b"coarse_label_names"]) == 20


@pytest.mark.parametrize("train, split, n", [(True, 0, N_TRAIN), (False, 1, N_TEST)])
def test_load_cifar100_reads_and_normalises(tiny_cifar, train, split, n):
    dataset = load_cifar100(tiny_cifar, train=train)
    assert len(dataset) == n
    assert len(dataset.classes) == 100
    for i in range(n):
        image, label = dataset[i]
        assert image.shape == (3, 32, 32) and image.dtype == torch.float32
        for c in range(3):
            expected = (pixel(split, i, c) / 255 - CIFAR100_MEAN[c]) / CIFAR100_STD[c]
            torch.testing.assert_close(image[c], torch.full((32, 32), expected), atol=1e-5, rtol=0)
        assert label == fine_label(split, i)


def test_load_cifar100_custom_transform(tiny_cifar):
    image, _ = load_cifar100(tiny_cifar, transform=transforms.PILToTensor())[2]
    assert image.dtype == torch.uint8
    assert image[:, 0, 0].tolist() == [pixel(0, 2, c) for c in range(3)]


def test_corrupt_file_fails_the_integrity_check(tiny_cifar):
    path = tiny_cifar / "cifar-100-python" / "train"
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0x01  # one pixel 60 → 61: the pickle still loads, only the md5 differs
    path.write_bytes(bytes(raw))
    with pytest.raises(FileNotFoundError, match=r"cifar-100-python.*--download"):
        load_cifar100(tiny_cifar, train=True)


def test_missing_files_raise_a_clear_error_offline(tmp_path, no_network):
    for train in (True, False):
        with pytest.raises(FileNotFoundError) as info:
            load_cifar100(tmp_path / "nowhere", train=train)
        message = str(info.value)
        assert str(tmp_path / "nowhere") in message
        assert "cifar-100-python" in message and "--download" in message
    with pytest.raises(FileNotFoundError, match="--download"):
        cifar100_splits(tmp_path)
    assert not (tmp_path / "nowhere").exists()


def test_cifar100_splits_on_tiny_files(tiny_cifar):
    splits = cifar100_splits(tiny_cifar, n_val=3, batch_size=2, seed=1)
    assert splits.sizes() == (9, 3, 4)
    assert splits.in_shape == (3, 32, 32) and splits.n_classes == 100 and splits.name == "CIFAR-100"
    train, val = set(splits.train.indices), set(splits.val.indices)
    assert not train & val and train | val == set(range(N_TRAIN))
    assert splits.val.dataset.train and not splits.test.train  # val from the official training split
    again = cifar100_splits(tiny_cifar, n_val=3, seed=1)
    assert again.train.indices == splits.train.indices and again.val.indices == splits.val.indices
    other = cifar100_splits(tiny_cifar, n_val=3, seed=2)
    assert other.val.indices != splits.val.indices
    images, labels = next(iter(splits.val_loader()))
    assert images.shape == (3, 3, 32, 32)
    assert labels.tolist() == [fine_label(0, i) for i in splits.val.indices]


def test_cifar100_splits_transform_reaches_training_images_only(tiny_cifar):
    splits = cifar100_splits(tiny_cifar, n_val=3, transform=transforms.PILToTensor())
    assert splits.train[0][0].dtype == torch.uint8
    assert splits.val[0][0].dtype == torch.float32 and splits.test[0][0].dtype == torch.float32


@pytest.mark.parametrize("n_val", [12, 13, 0, -1])
def test_cifar100_splits_rejects_bad_n_val(tiny_cifar, n_val):
    with pytest.raises(ValueError, match="n_val"):
        cifar100_splits(tiny_cifar, n_val=n_val)


def test_constants_are_cifar100s():
    # Published CIFAR-100 training-set statistics in 0..255 pixel units.
    mean = np.array([129.3, 124.1, 112.4]) / 255
    std = np.array([68.2, 65.4, 70.4]) / 255
    np.testing.assert_allclose(CIFAR100_MEAN, mean, atol=1e-3, rtol=0)
    np.testing.assert_allclose(CIFAR100_STD, std, atol=1e-3, rtol=0)
    assert all(abs(m - 0.1307) > 0.1 for m in CIFAR100_MEAN)  # MNIST's mean
    assert all(abs(s - 0.3081) > 0.02 for s in CIFAR100_STD)  # MNIST's std
    assert tuple(CIFAR100_MEAN) != (0.485, 0.456, 0.406)  # ImageNet's
