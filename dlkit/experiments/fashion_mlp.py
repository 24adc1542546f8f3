"""Overfitting and regularisation of the students' hw1 Fashion-MNIST MLP.

Students write the networks, the transforms, the optimiser and one epoch of
training and of evaluation (``hw1/fashion_mlp``); this module supplies the
data, the outer loop over epochs and the figures. Four runs are compared:

* ``plain``: ``build_mlp()``, no augmentation, no weight decay;
* ``overfitting``: ``build_overfitting_mlp()``, likewise;
* ``augmented``: the overfitting network trained on augmented images;
* ``weight_decay``: the overfitting network with L2 weight decay (0.005).

The two regularised runs use the overfitting network because it is the one
that needs them (``--base plain`` uses ``build_mlp()`` instead). Only the
training set is augmented: the test set always goes through
``eval_transform()``.

Offline (the default) the data are scikit-learn's 1 797 digits resized to
28×28 and turned back into 8-bit grey PIL images, so that the students'
PIL transforms apply, split into 1 347 training and 450 test images.

Command line::

    dlkit run hw1/fashion_mlp --impl assignments
    dlkit run hw1/fashion_mlp --data fashion-mnist --download --impl assignments
"""
from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, Exit, add_impl_option, check_device, command, load_impl, parse_args, positive_int, students_code,
)

RUNS = ("plain", "overfitting", "augmented", "weight_decay")
COMPARISON = "comparison.png"
HISTORY = "history.json"
DIGITS_TEST = 450
# (epochs, batch size, learning rate): the handout's for (Fashion-)MNIST.
# Digits has 45 times fewer training images: smaller batches, a larger rate
# and more epochs give the networks enough steps to fit it (with the
# handout's settings they are still underfitting after 60 epochs).
DEFAULTS = {"digits": (30, 16, 0.05), "mnist": (10, 64, 0.01), "fashion-mnist": (10, 64, 0.01)}
QUICK_EPOCHS = 4


class GreyImages(Dataset):
    """uint8 images as PIL grey images through a transform.

    Args:
        pixels: (N, H, W) uint8 tensor.
        labels: (N,) int64 tensor.
        transform: PIL image → whatever the model takes, e.g. ToTensor().
    """

    def __init__(self, pixels: torch.Tensor, labels: torch.Tensor, transform: Callable[[Any], Any]) -> None:
        if pixels.dtype != torch.uint8 or pixels.dim() != 3 or len(pixels) != len(labels):
            raise ValueError("pixels: expected (N, H, W) uint8 with one label per image")
        self.pixels, self.labels, self.transform = pixels, labels, transform

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, i: int) -> tuple[Any, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.pixels[i].numpy(), mode="L")), int(self.labels[i])


def digits_pixels(seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """scikit-learn's digits as 28×28 uint8 images, split at random (fixed by
    `seed`) into ((train pixels, labels), (test pixels, labels)), with
    DIGITS_TEST test images."""
    from dlkit.data import load_digits_images

    images, labels = load_digits_images(28).tensors
    # [-1, 1] back to 0..255, the range of Fashion-MNIST's files.
    pixels = ((images[:, 0] + 1.0) * 127.5).round().to(torch.uint8)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    test, train = order[:DIGITS_TEST], order[DIGITS_TEST:]
    return (pixels[train], labels[train]), (pixels[test], labels[test])


def make_datasets(
    name: str, train_tf: Callable, test_tf: Callable, root: str | Path = "data",
    download: bool = False, seed: int = 0,
) -> tuple[Dataset, Dataset]:
    """(training set through train_tf, test set through test_tf).

    Args:
        name: "digits" (offline), "mnist" or "fashion-mnist" (torchvision).
        train_tf, test_tf: PIL image → tensor transforms.
        root, download: where the torchvision files are; fetch them if asked.
        seed: the digits' train/test split.
    """
    from dlkit.data import DATASETS, load_mnist

    if name == "digits":
        (train_x, train_y), (test_x, test_y) = digits_pixels(seed)
        return GreyImages(train_x, train_y, train_tf), GreyImages(test_x, test_y, test_tf)
    if name in ("mnist", "fashion-mnist"):
        fashion = name == "fashion-mnist"
        return (
            load_mnist(root, train=True, download=download, fashion=fashion, transform=train_tf),
            load_mnist(root, train=False, download=download, fashion=fashion, transform=test_tf),
        )
    raise ValueError(f"name: unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")


def train_runs(
    impl: Any, data: str = "digits", *, runs: tuple[str, ...] = RUNS, epochs: int = 10,
    batch_size: int = 64, lr: float = 0.01, weight_decay: float = 0.005, base: str = "overfitting",
    limit: int | None = None, root: str | Path = "data", download: bool = False,
    device: str | torch.device | None = None, seed: int = 0, progress: bool = True,
) -> dict[str, dict[str, list[float]]]:
    """Train each run and record its curves.

    Args:
        impl: module-like object with the items of ``hw1/fashion_mlp``.
        data: dataset name (see make_datasets).
        runs: which of RUNS to train, in order.
        epochs, batch_size, lr: SGD settings shared by every run.
        weight_decay: the ``weight_decay`` run's L2 coefficient.
        base: network of the regularised runs: "overfitting" or "plain".
        limit: train on the first `limit` training images only.
        root, download: torchvision data location; download only if asked.
        device: None picks :func:`dlkit.device.default_device`.
        seed: seeds the split, the initialisation, the order and the augmentation.
        progress: one tqdm bar per run.

    Returns:
        run → {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}:
        one float per epoch each.
    """
    from dlkit.device import default_device
    from dlkit.progress import progress_bar

    device = torch.device(device) if device is not None else default_device()
    plain_train, test = make_datasets(data, impl.eval_transform(), impl.eval_transform(), root, download, seed)
    augmented_train, _ = make_datasets(data, impl.train_transform(), impl.eval_transform(), root, download, seed)
    if limit is not None:
        plain_train = Subset(plain_train, range(min(limit, len(plain_train))))
        augmented_train = Subset(augmented_train, range(min(limit, len(augmented_train))))
    test_loader = DataLoader(test, batch_size=256)
    regularised = impl.build_overfitting_mlp if base == "overfitting" else impl.build_mlp
    setups = {
        "plain": (impl.build_mlp, plain_train, 0.0),
        "overfitting": (impl.build_overfitting_mlp, plain_train, 0.0),
        "augmented": (regularised, augmented_train, 0.0),
        "weight_decay": (regularised, plain_train, weight_decay),
    }
    histories: dict[str, dict[str, list[float]]] = {}
    for name in runs:
        build, train_set, decay = setups[name]
        torch.manual_seed(seed)
        model = build().to(device)
        optimizer = impl.make_optimizer(model, lr=lr, weight_decay=decay)
        loader = DecayingLoader(train_set, batch_size=batch_size, shuffle=True,
                                generator=torch.Generator().manual_seed(seed))
        steps = max(1, epochs * len(loader))
        # Cosine decay from lr to 0 over the whole run, one step per batch.
        loader.scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, steps) / steps)))
        curves: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")}
        bar = progress_bar(range(epochs), enabled=progress, desc=name, unit="epoch")
        for _ in bar:
            train_loss, train_acc = impl.train_epoch(model, loader, optimizer, device)
            test_loss, test_acc = impl.evaluate(model, test_loader, device)
            for key, value in zip(curves, (train_loss, train_acc, test_loss, test_acc)):
                curves[key].append(float(value))
            if progress:
                bar.set_postfix(train=f"{train_loss:.3f}", test=f"{test_loss:.3f}", acc=f"{test_acc:.3f}")
        histories[name] = curves
    return histories


def save_figures(histories: dict[str, dict[str, list[float]]], out_dir: str | Path, title: str) -> list[Path]:
    """One PNG per run and COMPARISON with every run: loss and accuracy per
    epoch, training dashed and test solid, one colour per run."""
    from dlkit.plots import save_epoch_curves

    out_dir = Path(out_dir)
    paths = [save_epoch_curves({name: h}, out_dir / f"{name}.png", title=f"{name}: {title}")
             for name, h in histories.items()]
    paths.append(save_epoch_curves(histories, out_dir / COMPARISON, title=f"every run: {title}"))
    return paths


class DecayingLoader(DataLoader):
    """A DataLoader that steps a learning-rate schedule after each batch it
    hands out, i.e. after each of the student's optimiser steps.

    train_epoch is the student's, so the schedule cannot be stepped inside
    it. The rate decays because a constant one is the cause of dishonest
    short runs here: with SGD at 0.05 the weights after an epoch's last
    batches swing, and the test loss zig-zagged between 0.5 and 3.5 from one
    epoch to the next while the training loss fell smoothly.
    """

    scheduler: Any = None

    def __iter__(self) -> Any:
        for batch in super().__iter__():
            yield batch
            if self.scheduler is not None:
                with warnings.catch_warnings():  # a train_epoch that skips optimizer.step() is graded, not warned of
                    warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
                    self.scheduler.step()


def _run_names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in RUNS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown run {', '.join(unknown) or text!r}; choose from {', '.join(RUNS)}")
    return names


def _parser() -> argparse.ArgumentParser:
    from dlkit.data import DATASETS

    p = Parser(
        prog="dlkit run hw1/fashion_mlp",
        description="Train the hw1 MLPs (plain, overfitting, augmented, weight decay) and save "
                    "their train and test loss curves.",
    )
    p.add_argument("--data", choices=DATASETS, default="digits",
                   help="dataset (default: digits, bundled with scikit-learn, works offline)")
    p.add_argument("--root", default="data", help="folder of the torchvision files (default: data)")
    p.add_argument("--download", action="store_true",
                   help="download MNIST / Fashion-MNIST into --root if missing (needs a network)")
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK_EPOCHS} epochs per run on digits: the curves' shape in about a minute on 2 CPU cores")
    p.add_argument("--runs", type=_run_names, default=RUNS, help=f"comma-separated subset of {','.join(RUNS)}")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="epochs per run (default: 10 on (Fashion-)MNIST, 30 on digits)")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="default: 64 on (Fashion-)MNIST, 16 on digits")
    p.add_argument("--lr", type=float, default=None,
                   help="SGD's starting learning rate, decayed to 0 over the run (cosine; default: 0.01 on "
                        "(Fashion-)MNIST, 0.05 on digits)")
    p.add_argument("--weight-decay", type=float, default=0.005, help="of the weight_decay run (default: 0.005)")
    p.add_argument("--base", choices=("overfitting", "plain"), default="overfitting",
                   help="network of the augmented and weight_decay runs (default: overfitting)")
    p.add_argument("--limit", type=positive_int, default=None, help="use only this many training images")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda (default: cuda if present)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    p.add_argument("--out", default="runs/fashion_mlp", help="output folder for the PNG and JSON files")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; returns the exit status.

    0 on success; 1 when the data or the implementation fails at run time
    (the reason is printed to stderr); 2 for usage errors and when the
    implementation cannot be loaded.
    """
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> None:
    from dlkit import impl as impl_loader

    args = parse_args(_parser(), argv)
    check_device(args.device)
    impl = load_impl("hw1/fashion_mlp", args.impl)

    epochs, batch_size, lr = DEFAULTS[args.data]
    if args.quick:
        epochs = QUICK_EPOCHS
    epochs, batch_size = args.epochs or epochs, args.batch_size or batch_size
    lr = lr if args.lr is None else args.lr
    print(f"hw1/fashion_mlp on {args.data}: {epochs} epochs per run, batch {batch_size}, lr {lr} decayed to 0, "
          f"with {impl_loader.describe(args.impl)}")
    try:
        with students_code(args.impl):
            histories = train_runs(
                impl, args.data, runs=args.runs, epochs=epochs, batch_size=batch_size, lr=lr,
                weight_decay=args.weight_decay, base=args.base, limit=args.limit, root=args.root,
                download=args.download, device=args.device, seed=args.seed, progress=not args.no_progress,
            )
    except (FileNotFoundError, RuntimeError) as exc:  # missing files, a failed download
        raise Exit(1, str(exc)) from None
    for name, h in histories.items():
        print(f"{name:>12}: train loss {h['train_loss'][-1]:.4f} (best test loss {min(h['test_loss']):.4f}, "
              f"last {h['test_loss'][-1]:.4f}), test accuracy {h['test_accuracy'][-1]:.4f}")
    out = Path(args.out)
    for path in save_figures(histories, out, f"{args.data}, lr {lr} decayed to 0, batch {batch_size}"):
        print(f"curves: {path}")
    out.mkdir(parents=True, exist_ok=True)
    (out / HISTORY).write_text(json.dumps(histories, indent=1), encoding="utf-8")
    print(f"history: {out / HISTORY}")


if __name__ == "__main__":
    raise SystemExit(run())
