"""PNG figures for experiments: sample grids and loss curves.

Figures are written to files, never shown, so experiments run the same on a
headless server, in CI and from a terminal.
"""
from __future__ import annotations

from pathlib import Path

import torch
# Figures are made without pyplot, so importing this module in a notebook
# leaves the notebook's own plotting backend alone.
from matplotlib.figure import Figure


def save_sample_grid(
    images: torch.Tensor, path: str | Path, nrow: int, title: str | None = None
) -> Path:
    """Save a batch of images as one PNG grid.

    Args:
        images: (N, C, H, W) float tensor in [-1, 1], C in {1, 3}, on any
            device; values outside the range are clipped.
        path: the PNG to write; missing parent directories are created.
        nrow: images per row of the grid.
        title: optional figure title.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    from torchvision.utils import make_grid

    if images.dim() != 4:
        raise ValueError(f"images: expected (N, C, H, W), got shape {tuple(images.shape)}")
    if nrow < 1:
        raise ValueError(f"nrow: expected a positive number, got {nrow}")
    pixels = ((images.detach().float().cpu() + 1.0) / 2.0).clamp(0.0, 1.0)
    grid = make_grid(pixels, nrow=nrow, padding=2, pad_value=1.0)
    rows = -(-len(images) // nrow)
    cols = min(nrow, len(images))
    # About 0.6 inch per image keeps 28-pixel digits readable at any grid size.
    fig = Figure(figsize=(max(2.0, 0.6 * cols), max(2.0, 0.6 * rows + (0.4 if title else 0))))
    ax = fig.subplots()
    ax.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return _save(fig, path)


def save_loss_curves(
    histories: dict[str, list[float]],
    path: str | Path,
    title: str | None = None,
    xlabel: str = "step",
) -> Path:
    """Save loss histories as line plots in one PNG.

    Args:
        histories: name → per-step values; one line per name, x = 0, 1, ...
        path: the PNG to write; missing parent directories are created.
        title: optional figure title.
        xlabel: label of the x axis.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for name, values in histories.items():
        ax.plot(range(len(values)), list(values), label=name, linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if histories:
        ax.legend()
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100, bbox_inches="tight")
    return path


def save_projection(
    points: torch.Tensor,
    labels: list[str],
    path: str | Path,
    title: str | None = None,
    groups: list[str] | None = None,
) -> Path:
    """Save labelled 2-D points (e.g. a PCA projection of word vectors) as a PNG.

    Args:
        points: (N, 2) float tensor, on any device.
        labels: N strings, written next to their points.
        path: the PNG to write; missing parent directories are created.
        title: optional figure title.
        groups: optional N group names; each group gets its own colour and
            a legend entry.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    if points.dim() != 2 or points.shape[1] != 2:
        raise ValueError(f"points: expected shape (N, 2), got {tuple(points.shape)}")
    if len(labels) != len(points) or (groups is not None and len(groups) != len(points)):
        raise ValueError(f"labels and groups: expected {len(points)} entries each")
    xy = points.detach().float().cpu()
    fig = Figure(figsize=(8, 7))
    ax = fig.subplots()
    names = groups if groups is not None else [""] * len(xy)
    for name in dict.fromkeys(names):  # first-appearance order, for a stable legend
        rows = [i for i, g in enumerate(names) if g == name]
        ax.scatter(xy[rows, 0].numpy(), xy[rows, 1].numpy(), s=18, label=name or None)
    for (x, y), label in zip(xy.tolist(), labels):
        # A small offset keeps the text off its marker.
        ax.annotate(label, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=8)
    if groups is not None:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)
