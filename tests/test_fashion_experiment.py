"""The hw1 Fashion-MNIST MLP experiment: its data, its runs and its command line, offline."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from dlkit import impl as impl_loader
from dlkit.data import load_digits_images, load_mnist
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.fashion_mlp import (
    COMPARISON,
    DIGITS_TEST,
    HISTORY,
    RUNS,
    GreyImages,
    digits_pixels,
    make_datasets,
    run,
    train_runs,
)
from tests.test_data_and_experiment import PNG_SIGNATURE, make_fake_mnist

CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


@pytest.fixture(scope="module")
def solutions():
    return impl_loader.load_module("hw1/fashion_mlp", "solutions")


def test_registered():
    assert EXPERIMENTS["hw1/fashion_mlp"] == "dlkit.experiments.fashion_mlp"


def test_load_mnist_applies_a_given_transform_to_pil_images(tmp_path):
    images, labels = make_fake_mnist(tmp_path, "FashionMNIST")
    raw = load_mnist(tmp_path, train=True, fashion=True, transform=lambda image: image)
    image, label = raw[2]
    assert isinstance(image, Image.Image) and image.mode == "L" and label == int(labels[2])
    assert np.array_equal(np.asarray(image), images[2])
    tensors = load_mnist(tmp_path, train=False, fashion=True, transform=transforms.ToTensor())
    assert torch.equal(tensors[0][0][0], torch.from_numpy(images[1]).float() / 255.0)


def test_digits_pixels_split():
    (train_x, train_y), (test_x, test_y) = digits_pixels(seed=0)
    assert train_x.dtype == torch.uint8 and train_x.shape == (1797 - DIGITS_TEST, 28, 28)
    assert test_x.shape == (DIGITS_TEST, 28, 28) and len(test_y) == DIGITS_TEST
    assert int(train_x.min()) == 0 and int(train_x.max()) >= 240
    # Every image lands in exactly one split: the two together are the whole set.
    whole = load_digits_images(28).tensors[0][:, 0]
    together = torch.cat([train_x, test_x]).float() / 127.5 - 1.0
    assert sorted(together.sum((1, 2)).tolist()) == pytest.approx(sorted(whole.sum((1, 2)).tolist()), abs=0.5)
    again = digits_pixels(seed=0)
    assert torch.equal(again[0][0], train_x) and torch.equal(again[1][1], test_y)
    assert not torch.equal(digits_pixels(seed=1)[1][1], test_y)


def test_grey_images_go_through_the_transform_as_pil():
    pixels = torch.arange(2 * 28 * 28, dtype=torch.int64).reshape(2, 28, 28).remainder(256).to(torch.uint8)
    ds = GreyImages(pixels, torch.tensor([3, 7]), transforms.ToTensor())
    image, label = ds[1]
    assert label == 7 and torch.equal(image[0], pixels[1].float() / 255.0)
    with pytest.raises(ValueError, match="uint8"):
        GreyImages(pixels.float(), torch.tensor([3, 7]), transforms.ToTensor())


def test_only_the_training_set_is_augmented(solutions, tmp_path):
    make_fake_mnist(tmp_path, "FashionMNIST")
    for name in ("digits", "fashion-mnist"):
        train, test = make_datasets(
            name, solutions.train_transform(), solutions.eval_transform(), root=tmp_path
        )
        draws = []
        for seed in range(8):
            torch.manual_seed(seed)
            draws.append((train[0][0], test[0][0]))
        assert any(not torch.equal(t, draws[0][0]) for t, _ in draws), name
        assert all(torch.equal(e, draws[0][1]) for _, e in draws), name
    with pytest.raises(ValueError, match="cifar"):
        make_datasets("cifar", transforms.ToTensor(), transforms.ToTensor())


def test_train_runs_records_every_curve(solutions):
    histories = train_runs(solutions, "digits", epochs=2, batch_size=32, limit=96, device="cpu",
                           progress=False, lr=0.05)
    assert list(histories) == list(RUNS)
    for name, curves in histories.items():
        assert set(curves) == set(CURVES)
        assert all(len(v) == 2 and all(isinstance(x, float) for x in v) for v in curves.values()), name
        assert all(0.0 <= a <= 1.0 for a in curves["test_accuracy"] + curves["train_accuracy"])
    again = train_runs(solutions, "digits", runs=("plain",), epochs=2, batch_size=32, limit=96,
                       device="cpu", progress=False, lr=0.05)
    assert again["plain"] == histories["plain"]


def test_command_line_on_digits(tmp_path, capsys):
    out = tmp_path / "runs"
    status = run(["--impl", "solutions", "--epochs", "1", "--limit", "64", "--runs", "plain,weight_decay",
                  "--out", str(out), "--no-progress", "--device", "cpu"])
    assert status == 0, capsys.readouterr().err
    for name in ("plain.png", "weight_decay.png", COMPARISON):
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE
    history = json.loads((out / HISTORY).read_text(encoding="utf-8"))
    assert list(history) == ["plain", "weight_decay"] and len(history["plain"]["test_loss"]) == 1
    assert "weight_decay" in capsys.readouterr().out


def test_command_line_on_fashion_mnist_files(tmp_path, capsys):
    make_fake_mnist(tmp_path, "FashionMNIST")
    out = tmp_path / "runs"
    status = run_experiment("hw1/fashion_mlp", [
        "--impl", "solutions", "--data", "fashion-mnist", "--root", str(tmp_path), "--epochs", "1",
        "--runs", "augmented", "--out", str(out), "--no-progress",
    ])
    assert status == 0, capsys.readouterr().err
    history = json.loads((out / HISTORY).read_text(encoding="utf-8"))
    assert list(history) == ["augmented"]
    assert history["augmented"]["test_accuracy"][0] in (0.0, 0.5, 1.0)  # two test images


def test_command_line_errors(tmp_path, capsys):
    assert run(["--impl", "solutions", "--data", "fashion-mnist", "--root", str(tmp_path / "none"),
                "--no-progress"]) == 1
    assert "--download" in capsys.readouterr().err
    assert run(["--impl", "assignments", "--epochs", "1", "--limit", "8", "--no-progress",
                "--out", str(tmp_path)]) == 1
    assert "not implemented yet" in capsys.readouterr().err
    assert run(["--runs", "plain,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert run(["--impl", "solutions", "--device", "nonsense"]) == 2


def test_the_learning_rate_decays_once_per_batch_to_zero(solutions):
    from dlkit.experiments.fashion_mlp import DecayingLoader

    model = solutions.build_mlp()
    optimizer = solutions.make_optimizer(model, lr=0.05)
    data = torch.utils.data.TensorDataset(torch.zeros(10, 784), torch.zeros(10, dtype=torch.long))
    loader = DecayingLoader(data, batch_size=2)
    loader.scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 - t / 5)
    seen = [optimizer.param_groups[0]["lr"] for _ in loader]
    assert seen == pytest.approx([0.05, 0.04, 0.03, 0.02, 0.01])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0)
    assert isinstance(loader, torch.utils.data.DataLoader) and loader.dataset is data  # students' len(loader.dataset)


def test_epoch_figures_pair_train_and_test_by_colour_with_whole_epochs():
    from dlkit.plots import epoch_curves_figure

    curve = {k: [2.0, 1.0, 0.5] if "loss" in k else [0.2, 0.6, 0.8] for k in CURVES}
    fig = epoch_curves_figure({"plain": curve, "augmented": curve}, title="every run: digits")
    loss_ax, acc_ax = fig.axes
    assert fig._suptitle.get_text() == "every run: digits"
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    for ax in fig.axes:
        assert all(float(t).is_integer() for t in ax.get_xticks())
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert set(lines) == {"plain train", "plain test", "augmented train", "augmented test"}
        assert list(lines["plain train"].get_xdata()) == [1, 2, 3]
        for run in ("plain", "augmented"):
            assert lines[f"{run} train"].get_color() == lines[f"{run} test"].get_color()
            assert lines[f"{run} train"].get_linestyle() != lines[f"{run} test"].get_linestyle()
        assert lines["plain test"].get_color() != lines["augmented test"].get_color()
