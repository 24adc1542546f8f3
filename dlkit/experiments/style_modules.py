"""A small style-based generator on digits, and its style-mixing grid (hw7/style_modules).

The generator is StyleGAN's design shrunk to scikit-learn's 8×8 digits (in
[-1, 1]): the student's ``MappingNetwork`` turns z into w; a learned constant
4×4 input goes through four style layers (two at 4×4, then upsampling, two at
8×8), each a 3×3 conv and a LeakyReLU followed by the student's ``adain``,
with no noise inputs, whose style is the student's ``StyleAffine`` of that
layer's w. A 1×1 conv and tanh give the image. It trains as a GAN with the
non-saturating loss against a small conv discriminator, and with StyleGAN's
mixing regularisation: half the steps feed two latents, crossed at a random
layer by the student's ``style_mixing``.

Two things keep this GAN from collapsing to one image (measured as the mean
absolute pixel distance between samples; 0.48 between real digits): the
mapping network's linear layers get He's initialisation (PyTorch's default
left w, and so the styles, almost the same for every z: 0.03 after 300
steps), and the discriminator has StyleGAN's minibatch standard deviation
(without it 1500 steps collapsed again, 0.06; with it 0.50).

The figure crosses samples: its top row is generated from w1, its left column
from w2, and each cell takes layers ``0 … crossover − 1`` (the coarse 4×4
ones) from its column's w1 and the rest from its row's w2. The summary
measures how far each mixed image is from its w1 and from its w2 source.

Command line::

    dlkit run hw7/style_modules --impl assignments
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    add_impl_option, add_run_options, command, Exit, load_impl,
    non_negative_int, parse_args, positive_int, small_model_device, students_code,
)

GRID, CURVES, SUMMARY = "style_mixing.png", "losses.png", "summary.json"
QUICK = {"steps": 200}
DEFAULT = {"steps": 1500}
N_LAYERS, CROSSOVER = 4, 2
Z_DIM, W_DIM, WIDTH = 16, 32, 16


def digits() -> torch.Tensor:
    """scikit-learn's 1797 digits as (1797, 1, 8, 8) float32 in [-1, 1]."""
    from sklearn.datasets import load_digits

    images = torch.as_tensor(load_digits().images, dtype=torch.float32).unsqueeze(1) / 16.0
    return images * 2 - 1


class StyleGenerator(nn.Module):
    """ws (N_LAYERS, N, W_DIM) → images (N, 1, 8, 8) in [-1, 1]; built from the student's modules.

    Args:
        impl: module-like object with ``MappingNetwork``, ``StyleAffine`` and ``adain``.
        mapping_layers: fully connected layers of the mapping network.
    """

    def __init__(self, impl: Any, mapping_layers: int = 3) -> None:
        super().__init__()
        self.impl = impl
        self.mapping = impl.MappingNetwork(Z_DIM, W_DIM, mapping_layers)
        self.const = nn.Parameter(torch.randn(1, WIDTH, 4, 4))
        self.convs = nn.ModuleList(nn.Conv2d(WIDTH, WIDTH, 3, padding=1) for _ in range(N_LAYERS))
        self.styles = nn.ModuleList(impl.StyleAffine(W_DIM, WIDTH) for _ in range(N_LAYERS))
        self.to_image = nn.Conv2d(WIDTH, 1, 1)
        # PyTorch's default initialisation shrinks w about threefold per layer, which leaves every
        # sample the same style and the GAN collapsed to one image; He's keeps w's scale.
        for layer in self.mapping.modules():
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, a=0.2)
                nn.init.zeros_(layer.bias)

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        """ws: (N_LAYERS, N, W_DIM), one latent per style layer → (N, 1, 8, 8)."""
        x = self.const.expand(ws.shape[1], -1, -1, -1)
        for i, (conv, style) in enumerate(zip(self.convs, self.styles)):
            if i == N_LAYERS // 2:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = self.impl.adain(F.leaky_relu(conv(x), 0.2), *style(ws[i]))
        return torch.tanh(self.to_image(x))


class MinibatchStd(nn.Module):
    """(N, C, H, W) → (N, C + 1, H, W): appends the batch's mean standard deviation as a channel.

    StyleGAN's discriminator layer against mode collapse: a batch of near-copies is told apart
    from a batch of real digits by its small spread.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = x.std(dim=0).mean().expand(x.shape[0], 1, *x.shape[2:])
        return torch.cat([x, spread], dim=1)


def discriminator(width: int = 16) -> nn.Sequential:
    """(N, 1, 8, 8) images → (N, 1) logits: two strided 4×4 convs, the minibatch std, a linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2), MinibatchStd(),
        nn.Conv2d(width + 1, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * width * 4, 1),
    )


def _latents(impl: Any, gen: StyleGenerator, z1: torch.Tensor, z2: torch.Tensor, crossover: int) -> torch.Tensor:
    """(N_LAYERS, N, W_DIM): w(z1) before `crossover`, w(z2) from it on, by the student's style_mixing."""
    return impl.style_mixing(gen.mapping(z1), gen.mapping(z2), N_LAYERS, crossover)


def train(
    impl: Any,
    steps: int,
    batch_size: int = 64,
    lr: float = 2e-3,
    mixing_prob: float = 0.5,
    device: str | torch.device = "cpu",
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Train the style-based generator as a non-saturating GAN on the digits.

    Args:
        impl: module-like object with the hw7/style_modules items.
        steps: optimisation steps of the generator and of the discriminator.
        batch_size: real and generated images per step.
        lr: Adam's learning rate (betas 0.5, 0.99), for both networks.
        mixing_prob: the share of steps that mix two latents at a random crossover.
        device: where the networks train.
        seed: seeds the initialisation, the batches, the latents and the crossovers.
        progress: show a progress bar over the steps.

    Returns:
        {"generator", "discriminator", "history": per-step losses, "steps", "batch_size"}.
    """
    from dlkit.progress import progress_bar

    data = digits().to(device)
    torch.manual_seed(seed)
    gen, disc = StyleGenerator(impl).to(device), discriminator().to(device)
    betas = (0.5, 0.99)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
    rng = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"generator": [], "discriminator": []}
    for _ in progress_bar(range(steps), progress, desc="StyleGAN", unit="step"):
        real = data[torch.randint(len(data), (batch_size,), generator=rng).to(device)]
        z1, z2 = torch.randn(2, batch_size, Z_DIM, generator=rng).to(device)
        mix = bool(torch.rand((), generator=rng) < mixing_prob)
        crossover = int(torch.randint(1, N_LAYERS, (), generator=rng)) if mix else N_LAYERS
        fake = gen(_latents(impl, gen, z1, z2, crossover))
        opt_d.zero_grad()
        loss_d = F.softplus(disc(fake.detach())).mean() + F.softplus(-disc(real)).mean()
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = F.softplus(-disc(fake)).mean()  # non-saturating: −log D(G(z))
        loss_g.backward()
        opt_g.step()
        history["generator"].append(float(loss_g.detach()))
        history["discriminator"].append(float(loss_d.detach()))
    return {"generator": gen, "discriminator": disc, "history": history, "steps": steps, "batch_size": batch_size}


@torch.no_grad()
def mixing_grid(impl: Any, result: dict[str, Any], crossover: int = CROSSOVER, n: int = 6,
                seed: int = 0) -> torch.Tensor:
    """((n + 1)², 1, 8, 8): a blank corner, n samples of w1 on top, n of w2 on the left, and
    cell (i, j) with layers < crossover from column j's w1 and the rest from row i's w2."""
    gen: StyleGenerator = result["generator"]
    device = gen.const.device
    z1, z2 = torch.randn(2, n, Z_DIM, generator=torch.Generator().manual_seed(seed + 1)).to(device)
    top, left = gen(_latents(impl, gen, z1, z1, N_LAYERS)), gen(_latents(impl, gen, z2, z2, N_LAYERS))
    rows = [torch.cat([torch.ones_like(top[:1]), top])]
    for i in range(n):
        mixed = gen(_latents(impl, gen, z1, z2[i : i + 1].expand(n, -1), crossover))
        rows.append(torch.cat([left[i : i + 1], mixed]))
    return torch.cat(rows).cpu()


def source_distances(grid: torch.Tensor) -> dict[str, float]:
    """Mean absolute pixel distance of the mixed cells of a :func:`mixing_grid` to their
    w1 (top) and w2 (left) sources, and between unrelated samples of the two."""
    n = int(round(len(grid) ** 0.5)) - 1
    cells = grid.reshape(n + 1, n + 1, -1)
    top, left, mixed = cells[0, 1:], cells[1:, 0], cells[1:, 1:]
    return {
        "to_w1_source": float((mixed - top[None]).abs().mean()),
        "to_w2_source": float((mixed - left[:, None]).abs().mean()),
        "w1_to_w2_samples": float((top[None] - left[:, None]).abs().mean()),
    }


def summary(result: dict[str, Any], grid: torch.Tensor, crossover: int) -> dict[str, Any]:
    """The numbers of a run, for summary.json and the terminal."""
    history = result["history"]
    tail = max(1, len(history["generator"]) // 10)
    return {
        "steps": result["steps"], "batch_size": result["batch_size"], "crossover": crossover,
        "style_layers": N_LAYERS,
        "final_generator_loss": sum(history["generator"][-tail:]) / tail,
        "final_discriminator_loss": sum(history["discriminator"][-tail:]) / tail,
        "mixed_image_distance": source_distances(grid),
    }


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw7/style_modules",
        description="Train a small style-based generator on scikit-learn's digits with your MappingNetwork, "
        "StyleAffine, adain and style_mixing; save the style-mixing grid and the loss curves.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true", help=f"{QUICK['steps']} steps: the run in seconds")
    p.add_argument("--steps", type=positive_int, default=None, help=f"training steps (default: {DEFAULT['steps']})")
    p.add_argument("--crossover", type=non_negative_int, default=CROSSOVER,
                   help=f"the first of the {N_LAYERS} style layers that takes w2 in the grid, 0 … {N_LAYERS} "
                   f"(default: {CROSSOVER}: the 4×4 layers from w1, the 8×8 ones from w2)")
    add_run_options(p, "runs/style_modules", "the PNGs and summary.json")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when the student's code is
    not implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit import plots

    args = parse_args(_parser(), argv)
    if args.crossover > N_LAYERS:
        raise Exit(2, f"--crossover: expected a layer in 0 … {N_LAYERS}, got {args.crossover}")
    device = small_model_device(args.device)
    impl = load_impl("hw7/style_modules", args.impl)
    print(f"training a style-based generator with {impl_loader.describe(args.impl)}")
    with students_code(args.impl):
        result = train(impl, args.steps or (QUICK if args.quick else DEFAULT)["steps"], device=device,
                       seed=args.seed, progress=not args.no_progress)
        grid = mixing_grid(impl, result, args.crossover, seed=args.seed)
    numbers = summary(result, grid, args.crossover)
    gaps = numbers["mixed_image_distance"]
    print(f"  mixed images, mean absolute pixel distance: {gaps['to_w1_source']:.3f} to their w1 source, "
          f"{gaps['to_w2_source']:.3f} to their w2 source ({gaps['w1_to_w2_samples']:.3f} between the sources)")
    out = Path(args.out)
    labels = ["w1 →"] + [f"w2 #{i + 1}" for i in range(int(round(len(grid) ** 0.5)) - 1)]
    title = f"layers < {args.crossover} from w1 (top), the rest from w2 (left); {result['steps']} steps"
    figure = plots.save_sample_grid(grid, out / GRID, nrow=len(labels), row_labels=labels, title=title)
    curves = plots.save_loss_curves(result["history"], out / CURVES, title="style-based GAN losses (non-saturating)")
    (out / SUMMARY).write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {figure}, {curves}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
