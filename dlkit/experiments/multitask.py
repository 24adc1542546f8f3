"""Multi-task learning with partly labelled, imbalanced data (hw7/multitask).

The sentences come from gensim's test data (:mod:`dlkit.labelled_text`):
the 200 film-review sentences carry a sentiment (100 positive, 100
negative) and a topic; the news and newsgroup sentences a topic only (their
sentiment label is -100, which the student's ``multitask_loss`` must skip).
The topics are imbalanced as they come: about 200 film sentences to 670
religion, 1 120 space and 2 490 news ones, so "film" is the rare class.

Three settings of the student's ``MultiTaskModel`` are trained on the same
seeded splits (30 % of each class held out): sentiment alone (task weights
(1, 0); its sentiment classes are balanced, so class weights would change
nothing), and both tasks (1, 1) without and with the student's
``class_weights``. Every epoch is scored on the held-out sentences with the
student's ``macro_f1``. Two references sit beside them: predicting the
majority class, and a bag-of-words logistic regression (scikit-learn,
balanced class weights) trained on the same split. 140 training sentences
are few for sentiment: expect it near chance. The topic task is where the
class weights show (the rare film class), and where the sentiment-only
model's untrained topic head sits at the majority's score.

Command line::

    dlkit run hw7/multitask --impl assignments
"""
from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    add_impl_option, add_run_options, command, load_impl, optimizer_step,
    parse_args, positive_int, small_model_device, students_code,
)
from dlkit.labelled_text import IGNORE, TOPICS, labelled_sentences, words

CURVES, SUMMARY = "multitask.png", "summary.json"
QUICK = {"epochs": 4, "seeds": 1}
DEFAULT = {"epochs": 12, "seeds": 3}
SETTINGS = {  # name: (task_weights, class weights on)
    "sentiment only": ((1.0, 0.0), False),
    "both tasks": ((1.0, 1.0), False),
    "both tasks, class weights": ((1.0, 1.0), True),
}
TEST_FRACTION = 0.3
PAD, UNK = 0, 1


def make_split(seed: int = 0) -> dict[str, Any]:
    """A seeded split of the labelled sentences into token ids.

    Each (topic, sentiment) group is split on its own, 30 % held out, so both
    parts keep the classes' proportions. Words seen only in held-out
    sentences become UNK (1); 0 pads.

    Returns:
        {"train": (tokens (N, L) int64, sentiment (N,), topic (N,)), "test": the same,
         "vocab_size": int}; sentiment is IGNORE for non-film sentences.
    """
    rng = random.Random(seed)
    groups: dict[tuple[int, int], list[str]] = {}
    for text, sentiment, topic in labelled_sentences():
        groups.setdefault((topic, sentiment), []).append(text)
    train: list[tuple[str, int, int]] = []
    test: list[tuple[str, int, int]] = []
    for key in sorted(groups):
        texts = rng.sample(groups[key], len(groups[key]))
        cut = round(len(texts) * TEST_FRACTION)
        test += [(t, key[1], key[0]) for t in texts[:cut]]
        train += [(t, key[1], key[0]) for t in texts[cut:]]
    counts = Counter(w for text, _, _ in train for w in words(text))
    index = {w: i + 2 for i, (w, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}

    def encode(rows: list[tuple[str, int, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        ids = [[index.get(w, UNK) for w in words(text)] for text, _, _ in rows]
        length = max(len(i) for i in ids)
        tokens = torch.tensor([i + [PAD] * (length - len(i)) for i in ids])
        return tokens, torch.tensor([r[1] for r in rows]), torch.tensor([r[2] for r in rows])

    return {"train": encode(train), "test": encode(test), "vocab_size": len(index) + 2}


def _scores(impl: Any, model: torch.nn.Module, split: tuple[torch.Tensor, ...], device: Any) -> dict[str, float]:
    tokens, sentiment, topic = split
    model.eval()
    with torch.inference_mode():
        s_logits, t_logits = model(tokens.to(device))
    model.train()
    labelled = sentiment != IGNORE
    s_pred = s_logits.argmax(1).cpu()[labelled]
    return {
        "sentiment_accuracy": float((s_pred == sentiment[labelled]).double().mean()),
        "sentiment_macro_f1": float(impl.macro_f1(s_pred, sentiment[labelled], 2)),
        "topic_macro_f1": float(impl.macro_f1(t_logits.argmax(1).cpu(), topic, len(TOPICS))),
    }


def train_setting(impl: Any, data: dict[str, Any], setting: str, epochs: int, seed: int = 0,
                  device: Any = "cpu", embed: int = 32, lr: float = 0.01, batch_size: int = 32) -> list[dict[str, float]]:
    """Train the student's MultiTaskModel in one of SETTINGS; its held-out scores after every epoch."""
    task_weights, weighted = SETTINGS[setting]
    tokens, sentiment, topic = data["train"]
    torch.manual_seed(seed)
    model = impl.MultiTaskModel(data["vocab_size"], embed, 2, len(TOPICS)).to(device)
    weights = (None, None)
    if weighted:
        weights = (impl.class_weights(sentiment[sentiment != IGNORE], 2).to(device),
                   impl.class_weights(topic, len(TOPICS)).to(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for _ in range(epochs):
        losses = []
        for rows in torch.randperm(len(tokens), generator=gen).split(batch_size):
            targets = (sentiment[rows].to(device), topic[rows].to(device))
            losses.append(optimizer_step(optimizer, lambda: impl.multitask_loss(
                model(tokens[rows].to(device)), targets, weights, task_weights)))
        history.append({"loss": sum(losses) / len(losses), **_scores(impl, model, data["test"], device)})
    return history


def references(data: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Held-out scores of the majority class and of a bag-of-words logistic
    regression (scikit-learn, balanced class weights), for both tasks."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    def bags(tokens: torch.Tensor) -> Any:
        rows, cols = (tokens > PAD).nonzero(as_tuple=True)
        return csr_matrix((torch.ones(len(rows)).numpy(), (rows.numpy(), tokens[rows, cols].numpy())),
                          shape=(len(tokens), data["vocab_size"]))

    (x, sentiment, topic), (xt, sentiment_t, topic_t) = data["train"], data["test"]
    out: dict[str, dict[str, float]] = {"majority": {}, "bag_of_words": {}}
    for task, y, yt in (("sentiment", sentiment, sentiment_t), ("topic", topic, topic_t)):
        keep, keep_t = y != IGNORE, yt != IGNORE
        y, yt = y[keep].numpy(), yt[keep_t].numpy()
        majority = [int(torch.bincount(torch.as_tensor(y)).argmax())] * len(yt)
        model = LogisticRegression(max_iter=1000, class_weight="balanced").fit(bags(x[keep]), y)
        for name, pred in (("majority", majority), ("bag_of_words", model.predict(bags(xt[keep_t])))):
            out[name][f"{task}_macro_f1"] = float(f1_score(yt, pred, average="macro", zero_division=0))
            if task == "sentiment":
                out[name]["sentiment_accuracy"] = float(accuracy_score(yt, pred))
    return out


def save_figure(results: dict[str, list[list[dict[str, float]]]], refs: dict[str, dict[str, float]],
                path: Path) -> Path:
    """Held-out sentiment and topic macro-F1 per epoch (mean over seeds), with the references."""
    from matplotlib.figure import Figure

    from dlkit import plots

    fig = Figure(figsize=(11, 4))
    n_seeds = len(next(iter(results.values())))
    for ax, task in zip(fig.subplots(1, 2, sharey=True), ("sentiment", "topic")):
        for i, (setting, runs) in enumerate(results.items()):
            per_epoch = torch.tensor([[h[f"{task}_macro_f1"] for h in run] for run in runs]).mean(0)
            ax.plot(range(1, len(per_epoch) + 1), per_epoch, marker=".", label=setting, color=f"C{i}")
        ax.axhline(refs["majority"][f"{task}_macro_f1"], color="grey", linestyle=":", label="always the majority")
        ax.axhline(refs["bag_of_words"][f"{task}_macro_f1"], color="black", linestyle="--", linewidth=0.8,
                   label="bag-of-words logistic regression")
        ax.set_xlabel("epoch")
        ax.set_title(f"{task}: held-out macro-F1, mean over {n_seeds} seed{'s' * (n_seeds > 1)}")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    fig.axes[0].set_ylabel("macro-F1")
    fig.axes[1].legend(fontsize=7)
    return plots.save_figure(fig, path)


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw7/multitask",
        description="Your MultiTaskModel on film, news and newsgroup sentences (sentiment for the film ones only, "
        "4 positives to 1 negative), trained on sentiment alone or on both tasks, with and without your "
        "class_weights, scored with your macro_f1.",
    )
    add_impl_option(p)
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['epochs']} epochs, {QUICK['seeds']} seeds: seconds")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help=f"epochs of each run (default: {DEFAULT['epochs']})")
    p.add_argument("--seeds", type=positive_int, default=None,
                   help=f"splits and initialisations averaged over (default: {DEFAULT['seeds']})")
    add_run_options(p, "runs/multitask", "the PNG and summary.json")
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
    epochs, seeds = args.epochs or sizes["epochs"], args.seeds or sizes["seeds"]
    device = small_model_device(args.device)
    impl = load_impl("hw7/multitask", args.impl)
    print(f"training with {impl_loader.describe(args.impl)} on {device}")
    results: dict[str, list[list[dict[str, float]]]] = {s: [] for s in SETTINGS}
    per_seed_refs = []
    jobs = [(seed, s) for seed in range(args.seed, args.seed + seeds) for s in SETTINGS]
    data: dict[str, Any] = {}
    with students_code(args.impl):
        for seed, setting in progress_bar(jobs, not args.no_progress, desc="runs", unit="run"):
            if data.get("seed") != seed:
                data = {**make_split(seed), "seed": seed}
                per_seed_refs.append(references(data))
            results[setting].append(train_setting(impl, data, setting, epochs, seed, device))
    refs = {name: {k: sum(r[name][k] for r in per_seed_refs) / len(per_seed_refs) for k in per_seed_refs[0][name]}
            for name in per_seed_refs[0]}
    final = {setting: {k: sum(run[-1][k] for run in runs) / len(runs) for k in runs[0][-1]}
             for setting, runs in results.items()}
    rows = [*final.items(), ("always the majority", refs["majority"]),
            ("bag-of-words logistic regression", refs["bag_of_words"])]
    print(f"  {'held-out, after the last epoch':<34} sentiment accuracy  macro-F1   topic macro-F1")
    for name, f in rows:
        print(f"  {name:<34} {f['sentiment_accuracy']:>18.3f} {f['sentiment_macro_f1']:>9.3f} "
              f"{f['topic_macro_f1']:>16.3f}")
    out = Path(args.out)
    figure = save_figure(results, refs, out / CURVES)
    summary = {"epochs": epochs, "seeds": seeds, "references": refs, "final": final, "history": results}
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"figure: {figure}\nsummary: {out / SUMMARY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
