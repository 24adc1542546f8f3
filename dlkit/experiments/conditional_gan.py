"""Training a conditional GAN built from the students' hw7 functions.

Students write the blocks, the one-hot helpers and the two losses
(``hw7/conditional_gan``); this module supplies what they are not asked to
write: data, initialisation, optimisers, the outer loop and the figures.

Command line::

    dlkit run hw7/conditional_gan --data digits --epochs 20 --impl assignments
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, Exit, add_impl_option, check_device, command, load_impl, parse_args, positive_int, students_code,
)

SAMPLES_PER_CLASS = 8
# --quick: smaller batches make steps cheap and a larger rate makes them
# count; on the offline digits the classes' shapes (0, 1, 4, 5, 9 first)
# appear within this many steps.
QUICK = {"steps": 160, "batch_size": 64, "lr": 1e-3}
SAMPLES_FINAL = "samples_final.png"
LOSS_CURVES = "loss_curves.png"
# The hw7 Generator and Discriminator hard-code their layer sizes for this.
IMAGE_SIZE = (28, 28)


def weights_init(m: nn.Module) -> None:
    """Initialise one module for GAN training (DCGAN convention).

    Conv2d and ConvTranspose2d weights are drawn from N(0, 0.02); BatchNorm2d
    scales from N(1, 0.02) and biases set to 0. The original course notebook
    draws the batch-norm scales from N(0, 0.02) too, which shrinks every
    normalised activation to almost nothing: on the offline digits data,
    300 steps with it produced only grey noise, while N(1, 0.02) produced
    recognisable digits of the right class. Convolution biases keep PyTorch's
    default initialisation. Use as ``model.apply(weights_init)``.
    """
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.constant_(m.bias, 0.0)


def dataset_labels(dataset: Dataset) -> torch.Tensor:
    """All labels of an ``(image, label)`` dataset as an (N,) int64 tensor.

    Reads ``TensorDataset`` tensors, torchvision's ``targets`` and
    ``Subset`` indices directly, and only falls back to iterating (which
    decodes every image) for other datasets.
    """
    if isinstance(dataset, Subset):
        return dataset_labels(dataset.dataset)[torch.as_tensor(list(dataset.indices))]
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) >= 2:
        return dataset.tensors[1].long()
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return torch.as_tensor(targets).long()
    return torch.as_tensor([int(dataset[i][1]) for i in range(len(dataset))])


def train_conditional_gan(
    impl: Any,
    dataset: Dataset,
    *,
    n_epochs: int = 1,
    max_steps: int | None = None,
    batch_size: int = 128,
    z_dim: int = 64,
    lr: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    device: str | torch.device | None = None,
    out_dir: str | Path = "runs/conditional_gan",
    display_step: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train a conditional GAN made of `impl`'s functions on `dataset`.

    Each step trains the discriminator once (``impl.get_disc_loss``) and then
    the generator once (``impl.get_gen_loss``), each with its own Adam
    optimiser. Every `display_step` steps and at the end, a grid of samples
    with one row per class, labelled with it (``SAMPLES_PER_CLASS``
    columns, the same noise every time so grids are comparable) is written to
    ``out_dir/samples_step_NNNNNN.png`` and ``out_dir/samples_final.png``,
    and the loss curves to ``out_dir/loss_curves.png``.

    Args:
        impl: module-like object with ``get_input_dimensions``, ``Generator``,
            ``Discriminator``, ``get_criterion``, ``get_one_hot_labels``,
            ``combine_vectors``, ``get_noise``, ``get_disc_loss`` and
            ``get_gen_loss`` (see ``hw7/conditional_gan``).
        dataset: ``(image, label)`` pairs, image (C, 28, 28) float in [-1, 1],
            label an integer class; the number of classes is the largest
            label plus one.
        n_epochs: passes over the dataset.
        max_steps: stop after this many steps even within an epoch; None for
            no limit. Training ends at whichever of the two comes first.
        batch_size: images per step.
        z_dim: length of the noise vector.
        lr: Adam learning rate of both networks.
        betas: Adam betas of both networks. The default beta1 = 0.5 is the
            DCGAN paper's; the original course notebook leaves PyTorch's
            defaults (0.9, 0.999).
        device: where to train; None picks :func:`dlkit.device.default_device`.
        out_dir: folder for the PNG files, created if needed.
        display_step: steps between sample grids; 0 for the final grid only;
            None (the default) for grids at a quarter, half and three
            quarters of the run, so a run shows how the samples form.
        seed: seeds model initialisation, noise and the data order.
        progress: show a tqdm progress bar on stderr.

    Returns:
        ``{"generator": [...], "discriminator": [...]}``: the loss of each
        step, as floats, in order.
    """
    from tqdm.auto import tqdm

    from dlkit.device import default_device
    from dlkit.plots import save_loss_curves, save_sample_grid

    if n_epochs < 1 or batch_size < 1 or (max_steps is not None and max_steps < 1):
        raise ValueError("n_epochs, batch_size and max_steps must be positive")
    if len(dataset) == 0:
        raise ValueError("dataset: expected at least one image, got an empty dataset")
    device = torch.device(device) if device is not None else default_device()
    out_dir = Path(out_dir)
    image_shape = tuple(dataset[0][0].shape)
    if len(image_shape) != 3 or image_shape[1:] != IMAGE_SIZE:
        raise ValueError(
            f"dataset: expected (C, 28, 28) images, the size the hw7 networks are "
            f"built for; got {image_shape}"
        )
    labels = dataset_labels(dataset)
    if int(labels.min()) < 0:
        raise ValueError("dataset: labels must be class indices >= 0")
    n_classes = int(labels.max()) + 1

    torch.manual_seed(seed)
    gen_input_dim, disc_im_chan = impl.get_input_dimensions(z_dim, image_shape, n_classes)
    gen = impl.Generator(input_dim=gen_input_dim, im_chan=image_shape[0]).to(device)
    disc = impl.Discriminator(im_chan=disc_im_chan).to(device)
    gen.apply(weights_init)
    disc.apply(weights_init)
    gen_opt = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas)
    disc_opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
    criterion = impl.get_criterion()

    sample_labels = torch.arange(n_classes, device=device).repeat_interleave(SAMPLES_PER_CLASS)
    sample_input = impl.combine_vectors(
        impl.get_noise(len(sample_labels), z_dim, device=device),
        impl.get_one_hot_labels(sample_labels, n_classes),
    )
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    total = n_epochs * len(loader)
    if max_steps is not None:
        total = min(total, max_steps)
    if display_step is None:
        display_step = max(1, total // 4) if total >= 4 else 0

    history: dict[str, list[float]] = {"generator": [], "discriminator": []}

    def save_figures(name: str, step: int) -> None:
        # Batch statistics, as in training: after few steps the running
        # estimates that eval mode would use do not describe the generator yet.
        with torch.no_grad():
            samples = gen(sample_input)
        save_sample_grid(
            samples, out_dir / name, nrow=SAMPLES_PER_CLASS,
            title=f"step {step} of {total}: one row per class", row_labels=[f"class {c}" for c in range(n_classes)],
        )
        save_loss_curves(history, out_dir / LOSS_CURVES, title="conditional GAN losses")

    step = 0
    with tqdm(total=total, disable=not progress, desc="cGAN", unit="step") as bar:
        for _ in range(n_epochs):
            for real, batch_labels in loader:
                if step >= total:
                    break
                real = real.to(device)
                one_hot = impl.get_one_hot_labels(batch_labels.to(device), n_classes)

                disc_opt.zero_grad()
                disc_loss = impl.get_disc_loss(gen, disc, criterion, real, one_hot, z_dim)
                _check_scalar(disc_loss, "get_disc_loss")
                disc_loss.backward()
                disc_opt.step()

                gen_opt.zero_grad()
                gen_loss = impl.get_gen_loss(gen, disc, criterion, one_hot, z_dim)
                _check_scalar(gen_loss, "get_gen_loss")
                gen_loss.backward()
                gen_opt.step()

                history["discriminator"].append(disc_loss.item())
                history["generator"].append(gen_loss.item())
                step += 1
                bar.update(1)
                bar.set_postfix(gen=f"{history['generator'][-1]:.3f}",
                                disc=f"{history['discriminator'][-1]:.3f}")
                if display_step and step % display_step == 0 and step < total:
                    save_figures(f"samples_step_{step:06d}.png", step)
    save_figures(SAMPLES_FINAL, step)
    return history


def _check_scalar(loss: Any, where: str) -> None:
    # backward() on a non-scalar fails with a message about implicit
    # gradients, which does not point students at their own function.
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"{where} must return a scalar tensor, got {shape}")


def _parser() -> argparse.ArgumentParser:
    from dlkit.data import DATASETS

    p = Parser(
        prog="dlkit run hw7/conditional_gan",
        description="Train the hw7 conditional GAN and save sample grids and loss curves.",
    )
    p.add_argument("--data", choices=DATASETS, default="digits",
                   help="dataset (default: digits, bundled with scikit-learn, works offline)")
    p.add_argument("--root", default="data", help="folder of the MNIST files (default: data)")
    p.add_argument("--download", action="store_true",
                   help="download MNIST / Fashion-MNIST into --root if missing (needs a network)")
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"a short run that already shows digit shapes: {QUICK['steps']} steps of batch "
                        f"{QUICK['batch_size']} at lr {QUICK['lr']:g} (about a minute on 2 CPU cores)")
    p.add_argument("--epochs", type=positive_int, default=20, help="passes over the data (default: 20)")
    p.add_argument("--steps", type=positive_int, default=None, help="stop after this many steps")
    p.add_argument("--batch-size", type=positive_int, default=128, help="images per step (default: 128)")
    p.add_argument("--z-dim", type=positive_int, default=64, help="length of the noise vector (default: 64)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate of both networks (default: 0.0002)")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda (default: cuda if present)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    p.add_argument("--out", default="runs/conditional_gan", help="output folder for the PNG files")
    p.add_argument("--display-step", type=int, default=None,
                   help="steps between sample grids (0: final grid only; default: grids at 1/4, 1/2, 3/4 "
                        "and the end)")
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
    from dlkit.data import get_image_dataset

    args = parse_args(_parser(), argv)
    check_device(args.device)
    if args.quick:
        args.steps = args.steps or QUICK["steps"]
        args.batch_size, args.lr = QUICK["batch_size"], QUICK["lr"]
    impl = load_impl("hw7/conditional_gan", args.impl)
    try:
        dataset = get_image_dataset(args.data, root=args.root, download=args.download)
    except (FileNotFoundError, RuntimeError) as exc:
        raise Exit(1, str(exc)) from None

    print(f"training on {args.data} ({len(dataset)} images) with {impl_loader.describe(args.impl)}")
    with students_code(args.impl):
        train_conditional_gan(
            impl, dataset, n_epochs=args.epochs, max_steps=args.steps,
            batch_size=args.batch_size, z_dim=args.z_dim, lr=args.lr, device=args.device,
            out_dir=args.out, display_step=args.display_step, seed=args.seed,
            progress=not args.no_progress,
        )
    out = Path(args.out)
    print(f"samples: {out / SAMPLES_FINAL}")
    print(f"loss curves: {out / LOSS_CURVES}")


if __name__ == "__main__":
    raise SystemExit(run())
