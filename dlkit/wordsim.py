"""Word-similarity evaluation of embeddings on data that ships with gensim.

gensim bundles the Lee background corpus (about 300 news articles, 60 000
words) and the WordSim-353 and SimLex-999 human similarity ratings, so word
embeddings can be trained and evaluated with no network. gensim is in the
main install, students' included: the Word2Vec experiment reads its data
from there (the package's own code is not used).
"""
from __future__ import annotations

import math
from pathlib import Path

import torch

WORD_PAIR_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
LEE_CORPUS_FILE = "lee_background.cor"


def datapath(name: str) -> Path:
    try:
        from gensim.test.utils import datapath
    except ImportError:
        raise ImportError(
            "gensim is needed for the bundled corpus and word-similarity sets and is part of the install: "
            "pip install -e ."
        ) from None
    return Path(datapath(name))


def load_word_pairs(name: str) -> list[tuple[str, str, float]]:
    """Human-rated word pairs: "wordsim353" (353 pairs) or "simlex999" (999).

    Returns:
        (word1, word2, score) triples, words lower-cased, scores floats, in
        file order.
    """
    if name not in WORD_PAIR_FILES:
        raise ValueError(f"name: expected one of {sorted(WORD_PAIR_FILES)}, got {name!r}")
    pairs = []
    for line in datapath(WORD_PAIR_FILES[name]).read_text(encoding="utf-8").splitlines():
        fields = line.strip().split("\t")
        if not line.strip() or line.startswith("#") or len(fields) < 3:
            continue
        try:
            score = float(fields[2])
        except ValueError:  # a header line without the '#'
            continue
        pairs.append((fields[0].lower(), fields[1].lower(), score))
    return pairs


def evaluate_similarity(
    embeddings: torch.Tensor,
    stoi: dict[str, int],
    pairs: list[tuple[str, str, float]],
) -> tuple[float, float, int]:
    """Spearman correlation between cosine similarities and human ratings.

    Pairs with a word missing from `stoi` are skipped, as gensim's
    ``evaluate_word_pairs`` does; coverage says how many were left.

    Args:
        embeddings: (V, D) float tensor; row stoi[w] is word w's vector.
        stoi: word → row index.
        pairs: (word1, word2, score) triples, e.g. from :func:`load_word_pairs`.

    Returns:
        (spearman, coverage, n_pairs_used): the rank correlation over the
        pairs whose words are both known (NaN with fewer than two), the
        fraction of pairs used, and their number.
    """
    from scipy.stats import spearmanr

    used = [(stoi[a], stoi[b], s) for a, b, s in pairs if a in stoi and b in stoi]
    coverage = len(used) / len(pairs) if pairs else 0.0
    if len(used) < 2:
        return math.nan, coverage, len(used)
    vectors = embeddings.detach().float().cpu()
    # A zero vector gets similarity 0 rather than NaN.
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
    first = torch.tensor([a for a, _, _ in used])
    second = torch.tensor([b for _, b, _ in used])
    cosine = (unit[first] * unit[second]).sum(-1)
    gold = [s for _, _, s in used]
    rho = spearmanr(cosine.numpy(), gold).statistic
    return float(rho), coverage, len(used)


def load_lee_corpus(repeat: int = 1) -> str:
    """gensim's Lee background corpus as one string, repeated `repeat` times.

    One article per line; repeating makes a longer corpus of the same
    vocabulary, the usual way to time trainers on it.
    """
    if repeat < 1:
        raise ValueError(f"repeat: expected an integer >= 1, got {repeat}")
    text = datapath(LEE_CORPUS_FILE).read_text(encoding="utf-8", errors="replace").strip()
    return "\n".join([text] * repeat)
