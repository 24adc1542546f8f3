"""Skip-gram embeddings from the students' hw7 word2vec on a real corpus.

Students write the tokenizer, the vocabulary, the model, the loss, the
trainer and ``k_most_similar`` (``hw7/word2vec``); this module supplies the
corpus, the evaluation and the figure. With no network: gensim's bundled
Lee background corpus (about 60 000 words of news), evaluated by Spearman
correlation with the human ratings of WordSim-353 and SimLex-999.

Command line::

    dlkit run hw7/word2vec --impl assignments            # the real corpus
    dlkit run hw7/word2vec --impl assignments --demo     # the notebook's toy demo
"""
from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path
from typing import Any

import torch

from dlkit.cliparse import Parser
from dlkit.experiments.common import (
    SEED_HELP, Exit, add_impl_option, check_device, command, load_impl, parse_args, positive_int, students_code,
)

PROJECTION = "projection.png"
# Frequent in the Lee corpus and about different topics (bushfires, the
# Middle East, Afghanistan, an airline strike), so their neighbourhoods
# should separate in the projection when the embeddings are any good.
QUERY_WORDS = ("fire", "police", "israeli", "afghanistan", "president", "qantas")
NEIGHBOURS = 5
# gensim's defaults, so that results compare with gensim's on the same data.
GENSIM_LIKE = {"min_count": 2, "sample": 1e-3, "shrink_window": True}


def mean_random_similarity(vectors: torch.Tensor, pairs: int = 1000, seed: int = 0) -> float:
    """The mean cosine similarity of `pairs` random pairs of rows of `vectors`
    (N, D): near 0 for embeddings that tell words apart, near 1 when every
    vector still points the same way (too little training)."""
    x = torch.nn.functional.normalize(vectors.detach().float().cpu(), dim=1)
    idx = torch.randint(0, len(x), (pairs, 2), generator=torch.Generator().manual_seed(seed))
    keep = idx[:, 0] != idx[:, 1]
    return float((x[idx[keep, 0]] * x[idx[keep, 1]]).sum(dim=1).mean()) if bool(keep.any()) else 1.0


QUICK = {"epochs": 10, "dim": 50}
# Above this mean similarity of random word pairs, neighbours say nothing.
COLLAPSED = 0.9


def pca_2d(vectors: torch.Tensor) -> torch.Tensor:
    """(N, D) float vectors → (N, 2) float32 coordinates on the two principal axes."""
    x = vectors.detach().float().cpu()
    x = x - x.mean(dim=0, keepdim=True)
    _, _, vh = torch.linalg.svd(x, full_matrices=False)
    return x @ vh[:2].T


def supported_kwargs(function: Any, wanted: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The entries of `wanted` that `function` accepts, and the names it does not.

    The contract only fixes the five positional parameters of
    ``train_word2vec``; a student's trainer may lack the optional ones.
    """
    parameters = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(wanted), []
    accepted = {k: v for k, v in wanted.items() if k in parameters}
    return accepted, [k for k in wanted if k not in parameters]


def run_corpus_experiment(
    impl: Any,
    args: argparse.Namespace,
    corpus: str,
    benchmarks: dict[str, list[tuple[str, str, float]]],
) -> None:
    """Train on `corpus`, print the scores and neighbours, save the projection.

    Args:
        impl: module-like object with ``train_word2vec`` and ``k_most_similar``
            (see ``hw7/word2vec``).
        args: the parsed command line.
        corpus: raw text.
        benchmarks: name → (word1, word2, score) triples to score against.
    """
    from dlkit.plots import save_projection
    from dlkit.wordsim import evaluate_similarity

    wanted = dict(GENSIM_LIKE, seed=args.seed, device=args.device, progress=not args.no_progress)
    kwargs, missing = supported_kwargs(impl.train_word2vec, wanted)
    if missing:
        print(f"note: train_word2vec takes no {', '.join(missing)}; training without them")
    start = time.perf_counter()
    vocab, model = impl.train_word2vec(corpus, args.window, args.dim, args.epochs, args.lr, **kwargs)
    seconds = time.perf_counter() - start
    losses = getattr(model, "loss_history", [])
    trend = f"; loss {losses[0]:.3f} → {losses[-1]:.3f}" if losses else ""
    print(f"trained in {seconds:.1f} s: {len(vocab.stoi)} words{trend}")

    embeddings = model.in_embed.weight.detach().float().cpu()
    alike = mean_random_similarity(embeddings, seed=args.seed)
    if alike > COLLAPSED:
        print(f"note: training was too short to mean anything yet: two random words have a cosine similarity "
              f"of {alike:.2f} on average (every vector still points the same way), so every neighbour below is "
              f"about 1.00; train for more epochs (the default is 40)")
    for name, pairs in benchmarks.items():
        rho, coverage, used = evaluate_similarity(embeddings, vocab.stoi, pairs)
        print(f"{name:>10}: Spearman {rho:.3f} on {used} of {len(pairs)} pairs "
              f"(coverage {coverage:.0%})")

    labels: list[str] = []
    groups: list[str] = []
    for word in QUERY_WORDS:
        if word not in vocab.stoi:
            print(f"{word}: not in the vocabulary")
            continue
        nearest = impl.k_most_similar(word, embeddings, vocab.stoi, NEIGHBOURS)
        print(f"{word} → " + ", ".join(f"{w} ({s:.2f})" for w, s in nearest))
        for w in [word] + [w for w, _ in nearest]:
            if w not in labels:  # a word near two queries is drawn once
                labels.append(w)
                groups.append(word)
    if len(labels) >= 2:
        points = pca_2d(embeddings[torch.tensor([vocab.stoi[w] for w in labels])])
        path = save_projection(
            points, labels, Path(args.out) / PROJECTION, groups=groups,
            title=f"skip-gram on the Lee corpus ×{args.repeat}, {args.epochs} epochs: the query words and "
                  f"their {NEIGHBOURS} nearest neighbours, PCA",
        )
        print(f"projection: {path}")


def _parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="dlkit run hw7/word2vec",
        description="Train the hw7 skip-gram on gensim's Lee corpus, score it on WordSim-353 "
                    "and SimLex-999 and save a 2-D projection of chosen words.",
    )
    add_impl_option(p)
    p.add_argument("--demo", action="store_true",
                   help="only run the module's main(): the notebook's toy corpus")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['epochs']} epochs of {QUICK['dim']}-dimensional vectors: neighbours that begin to "
                        "make sense, in about a minute on 2 CPU cores")
    p.add_argument("--repeat", type=positive_int, default=1,
                   help="copies of the Lee corpus to train on (default: 1)")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="passes over the corpus (default: 40, as many words as 5 passes over 8 copies)")
    p.add_argument("--dim", type=positive_int, default=None, help="embedding size (default: 100)")
    p.add_argument("--window", type=positive_int, default=5,
                   help="context words on each side (default: 5)")
    p.add_argument("--lr", type=float, default=0.025, help="starting learning rate (default: 0.025)")
    p.add_argument("--device", default="cpu", help="e.g. cpu or cuda (default: cpu)")
    p.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    p.add_argument("--out", default="runs/word2vec", help="output folder for the PNG")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(argv: list[str] | None = None) -> int:
    """Command line of the experiment; returns the exit status.

    0 on success; 1 when a function is not implemented yet or the bundled
    data is missing (the reason is printed to stderr); 2 for usage errors
    and when the implementation cannot be loaded.
    """
    return command(lambda: _main(argv))


def _main(argv: list[str] | None) -> None:
    from dlkit import impl as impl_loader

    args = parse_args(_parser(), argv)
    preset = QUICK if args.quick else {"epochs": 40, "dim": 100}
    args.epochs = args.epochs or preset["epochs"]
    args.dim = args.dim or preset["dim"]
    check_device(args.device)
    impl = load_impl("hw7/word2vec", args.impl)
    if not args.demo:
        from dlkit.wordsim import load_lee_corpus, load_word_pairs

        try:
            corpus = load_lee_corpus(args.repeat)
            benchmarks = {name: load_word_pairs(name) for name in ("wordsim353", "simlex999")}
        except (ImportError, FileNotFoundError) as exc:  # gensim or its data files missing
            raise Exit(1, str(exc)) from None

    print(f"hw7/word2vec with {impl_loader.describe(args.impl)}")
    with students_code(args.impl):
        if args.demo:
            impl.main()
        else:
            run_corpus_experiment(impl, args, corpus, benchmarks)


if __name__ == "__main__":
    raise SystemExit(run())
