"""Forecasting two stocks' next close with recurrent networks (project2/stock_forecast).

The data are the adjusted daily closes of AAPL and GOOG from the
``bokeh-sampledata`` wheel (:mod:`dlkit.stocks`; 2 148 days, August 2004 to
March 2013), or matplotlib's GOOG sample, or a user's CSV. The student's
``prepare_data`` splits them in time order (80 / 10 / 10), scales with the
training part's min and max and makes windows of 30 days; the student's
``RecurrentRegressor`` is trained by the student's ``fit_regressor`` with
early stopping (patience 3).

The handout's comparisons, one factor at a time around a base run (LSTM,
MSE, Adam, no recurrent dropout; ``--grid`` runs all 72 combinations): the cell (SimpleRNN, GRU, LSTM), the loss
(MSE, the student's ``mape_loss``), the optimiser (Adam, Adagrad, RMSprop)
and Keras-style recurrent dropout (0, 0.01, 0.05, 0.2; added around the
student's recurrent layer by :mod:`dlkit.recurrent_dropout`). The table
gives each run's parameter count, seconds per epoch, epochs, and its test
error in dollars against the naive forecast "tomorrow's close is today's",
which is hard to beat on daily prices: the table says, run by run, whether
the model does.

Command line::

    dlkit run project2/stock_forecast --impl assignments
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    Exit, add_impl_option, add_run_options, command, load_impl,
    parse_args, positive_int, small_model_device, students_code,
)

PREDICTIONS, CURVES, TABLE, SUMMARY = "predictions.png", "losses.png", "comparison.md", "summary.json"
QUICK = {"hidden": 16, "epochs": 3}
DEFAULT = {"hidden": 64, "epochs": 30}
SEQ_LENGTH, VAL_FRACTION, TEST_FRACTION = 30, 0.1, 0.1
BASE = {"cell": "lstm", "loss": "mse", "optimizer": "adam", "recurrent_dropout": 0.0}
VARIATIONS = [("cell", "rnn"), ("cell", "gru"), ("loss", "mape"), ("optimizer", "adagrad"),
              ("optimizer", "rmsprop"), ("recurrent_dropout", 0.01), ("recurrent_dropout", 0.05),
              ("recurrent_dropout", 0.2)]
OPTIMIZERS = {"adam": (torch.optim.Adam, 1e-3), "adagrad": (torch.optim.Adagrad, 1e-2),
              "rmsprop": (torch.optim.RMSprop, 1e-3)}


def load_series(args: argparse.Namespace) -> tuple[list[str], torch.Tensor, list[str]]:
    """(dates, prices (T, k) float32, column names) for --data / --csv."""
    from dlkit import stocks

    if args.csv:
        columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
        try:
            dates, prices = stocks.load_csv(args.csv, columns)
        except (OSError, ValueError) as exc:
            raise Exit(2, f"--csv: {exc}") from None
        names = list(columns)
    elif args.data == "goog":
        (dates, prices), names = stocks.load_goog(), ["GOOG"]
    else:
        (dates, prices), names = stocks.load_closes(("AAPL", "GOOG")), ["AAPL", "GOOG"]
    if len(dates) < 10 * SEQ_LENGTH:
        raise Exit(2, f"the series has {len(dates)} days; at least {10 * SEQ_LENGTH} are needed for windows of "
                      f"{SEQ_LENGTH} days in all three parts")
    return dates, prices.float(), names


def configurations(grid: bool = False) -> list[dict[str, Any]]:
    """The base run first, then each variation of one factor; with `grid`,
    every combination of the factors' values instead (72 runs)."""
    if grid:
        import itertools

        values = {factor: [BASE[factor]] + [v for f, v in VARIATIONS if f == factor] for factor in BASE}
        combos = [dict(zip(values, combo)) for combo in itertools.product(*values.values())]
        return [dict(BASE)] + [c for c in combos if c != BASE]
    return [dict(BASE)] + [{**BASE, factor: value} for factor, value in VARIATIONS]


def label(config: dict[str, Any]) -> str:
    return (f"{config['cell'].upper()}, {config['loss'].upper()}, {config['optimizer']}, "
            f"rec. dropout {config['recurrent_dropout']:g}")


def train_one(impl: Any, data: dict[str, Any], config: dict[str, Any], hidden: int, epochs: int,
              seed: int, device: Any) -> dict[str, Any]:
    """Build, train and test one configuration; errors in prices (dollars)."""
    from dlkit.recurrent_dropout import with_recurrent_dropout

    n_features = data["train"][0].shape[-1]
    torch.manual_seed(seed)
    model = impl.RecurrentRegressor(n_features, n_features, config["cell"], hidden, 0.1)
    n_params = sum(p.numel() for p in model.parameters())
    if config["recurrent_dropout"]:
        with_recurrent_dropout(model, config["recurrent_dropout"])
    model.to(device)
    make, lr = OPTIMIZERS[config["optimizer"]]
    loss_fn = impl.mape_loss if config["loss"] == "mape" else nn.MSELoss()
    moved = {k: tuple(t.to(device) for t in data[k]) for k in ("train", "val", "test")}
    start = time.perf_counter()
    history = impl.fit_regressor(model, moved["train"], moved["val"], loss_fn, make(model.parameters(), lr=lr),
                                 epochs, patience=3)
    seconds = time.perf_counter() - start
    model.eval()
    x, y = moved["test"]
    with torch.no_grad():
        pred = model(x).cpu()
    unscale = lambda t: impl.scale(t, data["scaler"], inverse=True)  # noqa: E731
    actual, forecast, naive = unscale(y.cpu()), unscale(pred), unscale(x[:, -1].cpu())
    rmse = float(((forecast - actual) ** 2).mean().sqrt())
    naive_rmse = float(((naive - actual) ** 2).mean().sqrt())
    return {
        "label": label(config), **config, "parameters": n_params, "epochs_run": len(history["val"]),
        "best_epoch": history["best_epoch"], "seconds_per_epoch": seconds / max(1, len(history["val"])),
        "test_rmse": rmse, "naive_rmse": naive_rmse, "beats_naive": rmse < naive_rmse,
        "test_mape": float(((forecast - actual) / actual).abs().mean()),
        "history": {"train": history["train"], "val": history["val"]},
        "forecast": forecast.tolist(), "actual": actual.tolist(), "naive": naive.tolist(),
    }


def markdown_table(runs: list[dict[str, Any]], names: list[str]) -> str:
    lines = [f"Test set: the last {TEST_FRACTION:.0%} of the days; errors in dollars over {', '.join(names)}.", "",
             "| run | parameters | s / epoch | epochs (best) | test RMSE | naive RMSE | beats naive | test MAPE |",
             "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['label']} | {r['parameters']:,} | {r['seconds_per_epoch']:.2f} | {r['epochs_run']} "
                     f"({r['best_epoch']}) | {r['test_rmse']:.3f} | {r['naive_rmse']:.3f} | "
                     f"{'yes' if r['beats_naive'] else 'no'} | {r['test_mape']:.4f} |")
    return "\n".join(lines) + "\n"


def save_predictions(runs: list[dict[str, Any]], names: list[str], dates: list[str], path: Path) -> Path:
    """The base run's test forecasts and the naive one against the actual closes, a panel per stock."""
    from matplotlib.figure import Figure

    from dlkit import plots

    base = runs[0]
    actual, forecast, naive = (torch.tensor(base[k]) for k in ("actual", "forecast", "naive"))
    fig = Figure(figsize=(6 * len(names), 4))
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    days = dates[-len(actual):]
    ticks = list(range(0, len(days), max(1, len(days) // 4)))
    for j, (ax, name) in enumerate(zip(axes, names)):
        ax.plot(actual[:, j], color="black", label="actual")
        ax.plot(naive[:, j], color="grey", linestyle=":", label=f"naive (RMSE {base['naive_rmse']:.2f} overall)")
        ax.plot(forecast[:, j], color="C0", label=f"{base['label']} (RMSE {base['test_rmse']:.2f} overall)")
        ax.set_xticks(ticks, [days[t] for t in ticks], fontsize=7)
        ax.set_title(f"{name}: next-day close on the test days")
        ax.set_ylabel("dollars")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return plots.save_figure(fig, path)


def save_curves(runs: list[dict[str, Any]], path: Path) -> Path:
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for i, r in enumerate(runs):
        if r["loss"] == "mse":  # MAPE's values are on another scale
            ax.plot(range(1, len(r["history"]["val"]) + 1), r["history"]["val"], color=f"C{i % 10}", label=r["label"])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation MSE (scaled prices)")
    ax.set_title("early stopping, patience 3")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6)
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run project2/stock_forecast",
        description="Your RecurrentRegressor on daily closes (AAPL and GOOG to 2013, offline): the cell, the loss, "
        "the optimiser and recurrent dropout compared one at a time, against the naive last-value forecast.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"hidden {QUICK['hidden']}, at most {QUICK['epochs']} epochs: seconds")
    p.add_argument("--hidden", type=positive_int, default=None,
                   help=f"recurrent units (default: {DEFAULT['hidden']}; the handout's is 512)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"the most epochs of each run; early stopping ends most sooner (default: {DEFAULT['epochs']})")
    p.add_argument("--grid", action="store_true",
                   help="every combination of cell, loss, optimiser and recurrent dropout (72 runs) instead of "
                        "one factor at a time (9 runs)")
    p.add_argument("--data", choices=("aapl-goog", "goog"), default="aapl-goog",
                   help="aapl-goog: two stocks from bokeh-sampledata (default); goog: matplotlib's one-stock sample")
    p.add_argument("--csv", default=None, help="your own CSV instead, with a Date column and price columns")
    p.add_argument("--columns", default="Close", help="with --csv: the price columns, comma-separated (default: Close)")
    add_run_options(p, "runs/stock_forecast", "the PNGs, comparison.md and summary.json")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when an item is not
    implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import impl as impl_loader
    from dlkit.progress import progress_bar

    args = parse_args(_parser(), argv)
    sizes = QUICK if args.quick else DEFAULT
    hidden, epochs = args.hidden or sizes["hidden"], args.epochs or sizes["epochs"]
    device = small_model_device(args.device)
    dates, prices, names = load_series(args)
    impl = load_impl("project2/stock_forecast", args.impl)
    print(f"training with {impl_loader.describe(args.impl)} on {device}: {len(dates)} days of "
          f"{', '.join(names)} ({dates[0]} to {dates[-1]})")
    runs = []
    with students_code(args.impl):
        data = impl.prepare_data(prices, SEQ_LENGTH, 1, VAL_FRACTION, TEST_FRACTION)
        for config in progress_bar(configurations(args.grid), not args.no_progress, desc="runs", unit="run"):
            runs.append(train_one(impl, data, config, hidden, epochs, args.seed, device))
    table = markdown_table(runs, names)
    print(table, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / TABLE).write_text(table, encoding="utf-8")
    figures = [save_predictions(runs, names, dates, out / PREDICTIONS), save_curves(runs, out / CURVES)]
    summary = {"data": names, "days": [dates[0], dates[-1]], "hidden": hidden, "max_epochs": epochs,
               "runs": [{k: v for k, v in r.items() if k not in ("forecast", "actual", "naive")} for r in runs]}
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {', '.join(map(str, figures))}\ntable: {out / TABLE}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
