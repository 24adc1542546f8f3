"""Data loaders, plots and the conditional-GAN experiment, all offline."""
from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import Subset, TensorDataset

from dlkit import impl as impl_loader
from dlkit.data import get_image_dataset, load_digits_images, load_mnist
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.conditional_gan import (
    LOSS_CURVES,
    SAMPLES_FINAL,
    run,
    train_conditional_gan,
    weights_init,
)
from dlkit.plots import save_loss_curves, save_sample_grid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_idx_images(path: Path, images: np.ndarray) -> None:
    """MNIST's on-disk image format: big-endian magic 2051, N, rows, cols, ubyte pixels."""
    n, rows, cols = images.shape
    path.write_bytes(struct.pack(">IIII", 2051, n, rows, cols) + images.astype(np.uint8).tobytes())


def write_idx_labels(path: Path, labels: np.ndarray) -> None:
    """MNIST's on-disk label format: big-endian magic 2049, N, ubyte labels."""
    path.write_bytes(struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def make_fake_mnist(root: Path, folder: str) -> tuple[np.ndarray, np.ndarray]:
    """Five 28×28 training images of known pixels (plus a test split, which
    torchvision also requires to be present) under root/folder/raw."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    images = np.zeros((5, 28, 28), dtype=np.uint8)
    images[0] = 255
    images[1, 0, 0] = 255  # one white pixel on black
    images[2] = np.arange(28 * 28).reshape(28, 28) % 256
    images[3, :, 14:] = 128
    images[4, 27, 27] = 51
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_idx_images(raw / "train-images-idx3-ubyte", images)
    write_idx_labels(raw / "train-labels-idx1-ubyte", labels)
    write_idx_images(raw / "t10k-images-idx3-ubyte", images[:2][::-1])
    write_idx_labels(raw / "t10k-labels-idx1-ubyte", np.array([7, 9], dtype=np.uint8))
    return images, labels


@pytest.mark.parametrize("fashion, folder", [(False, "MNIST"), (True, "FashionMNIST")])
def test_load_mnist_reads_real_idx_files(tmp_path, fashion, folder):
    images, labels = make_fake_mnist(tmp_path, folder)
    ds = load_mnist(tmp_path, train=True, download=False, fashion=fashion)
    assert len(ds) == 5
    for i in range(5):
        image, label = ds[i]
        assert image.shape == (1, 28, 28)
        assert image.dtype == torch.float32
        assert image.min() >= -1.0 and image.max() <= 1.0
        expected = torch.from_numpy(images[i]).float() / 255.0 * 2.0 - 1.0
        torch.testing.assert_close(image[0], expected)
        assert label == int(labels[i])
    assert torch.all(ds[0][0] == 1.0)  # 255 → 1
    first_pixel_only = ds[1][0]
    assert first_pixel_only[0, 0, 0] == 1.0 and first_pixel_only[0, 0, 1] == -1.0  # 0 → -1

    test = load_mnist(tmp_path, train=False, fashion=fashion)
    assert len(test) == 2 and [test[0][1], test[1][1]] == [7, 9]


def test_load_mnist_missing_files_ask_for_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="--download") as info:
        load_mnist(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)
    # MNIST present does not make Fashion-MNIST present.
    make_fake_mnist(tmp_path, "MNIST")
    with pytest.raises(FileNotFoundError, match="FashionMNIST"):
        get_image_dataset("fashion-mnist", root=tmp_path)
    assert len(get_image_dataset("mnist", root=tmp_path)) == 5


def test_load_digits_images():
    ds = load_digits_images()
    images, labels = ds.tensors
    assert images.shape == (1797, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert images.min() >= -1.0 and images.max() <= 1.0
    # Background is exactly -1 and strokes reach (nearly) white: the range is used.
    assert images.min() == -1.0 and images.max() > 0.9
    assert labels.min() == 0 and labels.max() == 9 and len(labels.unique()) == 10
    again = load_digits_images()
    assert torch.equal(images, again.tensors[0]) and torch.equal(labels, again.tensors[1])
    assert load_digits_images(image_size=16).tensors[0].shape == (1797, 1, 16, 16)
    assert get_image_dataset("digits").tensors[0].shape == (1797, 1, 28, 28)


def test_get_image_dataset_rejects_unknown_names():
    with pytest.raises(ValueError, match="cifar") as info:
        get_image_dataset("cifar")
    message = str(info.value)
    assert "name" in message and "'digits'" in message and "'fashion-mnist'" in message


def test_plots_write_png_files(tmp_path):
    images = torch.linspace(-1, 1, 6 * 28 * 28).reshape(6, 1, 28, 28)
    grid = save_sample_grid(images, tmp_path / "deep" / "grid.png", nrow=3, title="t")
    assert grid == tmp_path / "deep" / "grid.png"
    assert grid.read_bytes()[:8] == PNG_SIGNATURE and grid.stat().st_size > 100
    curves = save_loss_curves(
        {"generator": [1.0, 0.5, 0.7], "discriminator": [0.7, 0.6, 0.65]},
        tmp_path / "curves.png", title="losses", xlabel="epoch",
    )
    assert curves.read_bytes()[:8] == PNG_SIGNATURE and curves.stat().st_size > 100
    with pytest.raises(ValueError, match="images"):
        save_sample_grid(images[0], tmp_path / "bad.png", nrow=3)


@pytest.fixture(scope="module")
def solutions():
    return impl_loader.load_module("hw7/conditional_gan", "solutions")


@pytest.fixture(scope="module")
def small_digits():
    return Subset(load_digits_images(), range(64))


def test_weights_init_follows_the_dcgan_convention():
    torch.manual_seed(0)
    conv, bn = torch.nn.Conv2d(8, 64, 3), torch.nn.BatchNorm2d(4096)
    weights_init(conv)
    weights_init(bn)
    assert abs(conv.weight.std().item() - 0.02) < 0.002
    assert abs(bn.weight.mean().item() - 1) < 0.002 and abs(bn.weight.std().item() - 0.02) < 0.002
    assert torch.all(bn.bias == 0)


def test_train_conditional_gan_runs_and_writes_figures(tmp_path, solutions, small_digits):
    history = train_conditional_gan(
        solutions, small_digits, max_steps=3, batch_size=16, out_dir=tmp_path,
        progress=False, display_step=2, device="cpu",
    )
    assert set(history) == {"generator", "discriminator"}
    assert len(history["generator"]) == len(history["discriminator"]) == 3
    assert all(math.isfinite(v) for v in history["generator"] + history["discriminator"])
    # Binary cross-entropy of an untrained discriminator is near log 2.
    assert 0.3 < history["discriminator"][0] < 1.5
    for name in (SAMPLES_FINAL, LOSS_CURVES, "samples_step_000002.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    assert not (tmp_path / "samples_step_000003.png").exists()

    again = train_conditional_gan(
        solutions, small_digits, max_steps=3, batch_size=16, out_dir=tmp_path / "again",
        progress=False, display_step=0, device="cpu",
    )
    assert again == history  # the seed fixes models, noise and data order


def test_train_conditional_gan_takes_classes_from_labels(tmp_path, solutions):
    images, labels = load_digits_images().tensors
    keep = labels < 3
    three = TensorDataset(images[keep][:32], labels[keep][:32])
    history = train_conditional_gan(
        solutions, three, max_steps=1, batch_size=16, out_dir=tmp_path, progress=False,
        device="cpu", z_dim=8,
    )
    assert len(history["generator"]) == 1
    with pytest.raises(ValueError, match="28"):
        train_conditional_gan(
            solutions, load_digits_images(image_size=16), max_steps=1, out_dir=tmp_path,
            progress=False, device="cpu",
        )


def test_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    status = run(["--impl", "solutions", "--steps", "2", "--batch-size", "16", "--out", str(out), "--no-progress",
                  "--device", "cpu"])
    assert status == 0
    assert (out / SAMPLES_FINAL).is_file() and (out / LOSS_CURVES).is_file()
    assert str(out / SAMPLES_FINAL) in capsys.readouterr().out

    assert run(["--impl", "/nonexistent"]) == 2
    assert "/nonexistent" in capsys.readouterr().err
    assert run(["--data", "cifar"]) == 2
    assert run(["--data", "mnist", "--root", str(tmp_path / "empty"), "--no-progress"]) == 1
    assert "--download" in capsys.readouterr().err


def test_command_line_names_unfinished_functions(tmp_path, capsys):
    stub = tmp_path / "impl" / "hw7" / "conditional_gan.py"
    stub.parent.mkdir(parents=True)
    stub.write_text(
        "from solutions.hw7.conditional_gan import *\n"
        "def get_gen_loss(gen, disc, criterion, one_hot_labels, z_dim):\n"
        "    raise NotImplementedError\n"
    )
    status = run(["--impl", str(tmp_path / "impl"), "--steps", "1", "--batch-size", "8",
                  "--out", str(tmp_path / "out"), "--no-progress", "--device", "cpu"])
    assert status == 1
    assert "get_gen_loss is not implemented" in capsys.readouterr().err


def test_run_experiment_dispatch(capsys):
    assert EXPERIMENTS["hw7/conditional_gan"] == "dlkit.experiments.conditional_gan"
    assert run_experiment("hw9/nothing", []) == 2
    err = capsys.readouterr().err
    assert "hw9/nothing" in err and "hw7/conditional_gan" in err
    assert run_experiment("hw7/conditional_gan", ["--impl", "/nonexistent"]) == 2
