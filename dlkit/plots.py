"""PNG figures for experiments: sample grids and loss curves.

Figures are written to files, never shown, so experiments run the same on a
headless server, in CI and from a terminal.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch
# Figures are made without pyplot, so importing this module in a notebook
# leaves the notebook's own plotting backend alone.
from matplotlib.figure import Figure


def save_sample_grid(
    images: torch.Tensor, path: str | Path, nrow: int, title: str | None = None,
    row_labels: Sequence[str] | None = None,
) -> Path:
    """Save a batch of images as one PNG grid.

    Args:
        images: (N, C, H, W) float tensor in [-1, 1], C in {1, 3}, on any
            device; values outside the range are clipped.
        path: the PNG to write; missing parent directories are created.
        nrow: images per row of the grid.
        title: optional figure title.
        row_labels: a label beside each row (e.g. its class), or None.

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
    if row_labels is not None:
        if len(row_labels) != rows:
            raise ValueError(f"row_labels: expected {rows} labels, one per row, got {len(row_labels)}")
        height = images.shape[-2] + 2  # make_grid's padding of 2
        ax.set_yticks([2 + i * height + images.shape[-2] / 2 for i in range(rows)], list(row_labels))
        ax.set_xticks([])
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    else:
        ax.axis("off")
    if title:
        ax.set_title(title)
    return save_figure(fig, path)


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
    return save_figure(fig, path)


def epoch_curves_figure(runs: dict[str, dict[str, list[float]]], title: str) -> Figure:
    """Loss and accuracy per epoch of one or more training runs, side by side.

    Args:
        runs: run name → {"train_loss", "test_loss", "train_accuracy",
            "test_accuracy"}, one value per epoch (epoch 1 first).
        title: the figure's title.

    Returns:
        The figure: one colour per run, training dashed, test solid, epochs
        as whole numbers on the x axes.
    """
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 4))
    loss_ax, acc_ax = fig.subplots(1, 2)
    for colour, (name, curves) in enumerate(runs.items()):
        for part, style in (("train", "--"), ("test", "-")):
            for ax, kind in ((loss_ax, "loss"), (acc_ax, "accuracy")):
                values = list(curves.get(f"{part}_{kind}", []))
                ax.plot(range(1, len(values) + 1), values, style, color=f"C{colour}", linewidth=1.2,
                        marker="o" if len(values) < 12 else None, markersize=3, label=f"{name} {part}")
    for ax, kind in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(kind)
        ax.set_title(kind)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    acc_ax.set_ylim(0, 1)
    acc_ax.legend(fontsize="small", ncol=1 if len(runs) < 3 else 2)
    fig.suptitle(title)
    return fig


def save_epoch_curves(runs: dict[str, dict[str, list[float]]], path: str | Path, title: str) -> Path:
    """Save :func:`epoch_curves_figure` as a PNG; returns ``path``."""
    return save_figure(epoch_curves_figure(runs, title), path)


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write `fig` to `path` as a PNG (100 dpi, tight), creating its folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100, bbox_inches="tight")
    return path


def projection_figure(
    points: torch.Tensor,
    labels: list[str],
    title: str | None = None,
    groups: list[str] | None = None,
    axis_labels: tuple[str, str] = ("first principal component", "second principal component"),
) -> Figure:
    """Labelled 2-D points (e.g. a PCA projection of word vectors) as a figure.

    Args:
        points: (N, 2) float tensor, on any device.
        labels: N strings, written next to their points, placed so that no
            two overlap (each tries a ring of positions around its point).
        title: optional figure title.
        groups: optional N group names; each group gets its own colour and
            a legend entry.
        axis_labels: what the x and y axes measure.

    Returns:
        The figure, drawn (its texts have their final positions).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if points.dim() != 2 or points.shape[1] != 2:
        raise ValueError(f"points: expected shape (N, 2), got {tuple(points.shape)}")
    if len(labels) != len(points) or (groups is not None and len(groups) != len(points)):
        raise ValueError(f"labels and groups: expected {len(points)} entries each")
    xy = points.detach().float().cpu()
    fig = Figure(figsize=(8, 7))
    canvas = FigureCanvasAgg(fig)
    ax = fig.subplots()
    names = groups if groups is not None else [""] * len(xy)
    for name in dict.fromkeys(names):  # first-appearance order, for a stable legend
        rows = [i for i, g in enumerate(names) if g == name]
        ax.scatter(xy[rows, 0].numpy(), xy[rows, 1].numpy(), s=18, label=name or None)
    if groups is not None:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.grid(alpha=0.3)
    canvas.draw()  # fixes the axes' limits, so that text extents are final
    renderer = canvas.get_renderer()
    taken: list[Any] = []
    # Offsets in points: close around the marker first, then further out.
    rings = [(r * dx, r * dy) for r in (4, 10, 18, 28) for dx, dy in
             ((1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))]
    for (x, y), label in zip(xy.tolist(), labels):
        for dx, dy in rings:
            text = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=8,
                               ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top")
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken):
                break
            text.remove()
        else:  # no free place on the rings: the first one, with a line to the point
            text = ax.annotate(label, (x, y), xytext=rings[-1], textcoords="offset points", fontsize=8,
                               arrowprops={"arrowstyle": "-", "linewidth": 0.5, "alpha": 0.5})
            box = text.get_window_extent(renderer)
        taken.append(box)
    return fig


def save_projection(
    points: torch.Tensor,
    labels: list[str],
    path: str | Path,
    title: str | None = None,
    groups: list[str] | None = None,
) -> Path:
    """Save :func:`projection_figure` as a PNG; returns ``path``."""
    return save_figure(projection_figure(points, labels, title, groups), path)


def save_loss_curve_grid(
    panels: dict[str, dict[str, list[float]]],
    path: str | Path,
    ncols: int = 2,
    title: str | None = None,
    log_scale: bool = True,
    threshold: float | None = None,
) -> Path:
    """Save several sets of loss curves as a grid of panels in one PNG.

    Args:
        panels: panel title → (curve name → per-step values), e.g. one panel
            per optimiser with one curve per learning rate; an empty panel
            is drawn with the words "no data".
        path: the PNG to write; missing parent directories are created.
        ncols: panels per row.
        title: optional figure title.
        log_scale: plot the loss on a logarithmic axis (curves over several
            learning rates span orders of magnitude).
        threshold: optional loss drawn as a dashed horizontal line.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    if not panels or ncols < 1:
        raise ValueError("panels: expected at least one panel and ncols >= 1")
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(5 * ncols, 3.6 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (name, curves) in zip(axes, panels.items()):
        for label, values in curves.items():
            ax.plot(range(len(values)), list(values), label=label, linewidth=1)
        if not curves:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        elif log_scale and all(v > 0 for values in curves.values() for v in values):
            ax.set_yscale("log")
        if threshold is not None:
            ax.axhline(threshold, color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        if curves:
            ax.legend(fontsize=8)
    for ax in axes[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
