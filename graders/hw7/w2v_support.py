"""Definitions, stand-ins and corpora for the Word2Vec graders.

The brute-force pair definition is the handout's sentence written as code;
the stand-ins let train_word2vec be graded apart from the items it calls.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any, Iterable

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from dlkit.isolation import substituted

WORDS = ("deep", "learning", "is", "fun", "gpu", "2024", "nets", "x", "Data", "MODEL")


def brute_force_pairs(sentences: list[list[str]], stoi: dict[str, int], window: int) -> list[tuple[int, int]]:
    """Every (target, context) within `window` positions on each side, in one
    sentence, after dropping unknown words; by sentence, target, context."""
    kept = [[stoi[w] for w in sentence if w in stoi] for sentence in sentences]
    return [
        (ids[i], ids[j])
        for ids in kept
        for i in range(len(ids))
        for j in range(len(ids))
        if i != j and abs(i - j) <= window
    ]


def expected_loss(pos: torch.Tensor, neg: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Mean of −log σ(pos) − weight · Σ log σ(−neg), in float64."""
    pos, neg = pos.double(), neg.double()
    return (F.softplus(-pos) + weight * F.softplus(neg).sum(-1)).mean()


sentences_strategy = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7), min_size=1, max_size=4
)


# --------------------------------------------------------------------------
# stand-ins for grading train_word2vec on its own


class _Vocab:
    def __init__(self, words: Iterable[str], min_count: int = 1) -> None:
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        self.itos = [w for w, n in counts.items() if n >= min_count]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.counts = [counts[w] for w in self.itos]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __getitem__(self, word: str) -> int:
        return self.stoi[word]


class _Model(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, embedding_dim)
        self.out_embed = nn.Embedding(vocab_size, embedding_dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / embedding_dim, 0.5 / embedding_dim)
        nn.init.zeros_(self.out_embed.weight)
        self.loss_history: list[float] = []

    def forward(self, targets: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bd,bd->b", self.in_embed(targets), self.out_embed(contexts))


def _tokenize(corpus: str) -> list[list[str]]:
    # Enough for the graders' own corpora: lower-case words, '.' between sentences.
    return [s.split() for s in corpus.lower().split(".") if s.split()]


def _pairs(sentences: list[list[str]], vocab: Any, window_size: int) -> torch.Tensor:
    return torch.tensor(brute_force_pairs(sentences, vocab.stoi, window_size), dtype=torch.long).view(-1, 2)


def _loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    return (F.softplus(-pos) + neg_weight * F.softplus(neg).sum(-1)).mean()


def _step(model: Any, targets, contexts, negatives, lr: float, num_negatives: int | None = None) -> float:
    """SGD on the summed loss through autograd: slow and plain, but the same step."""
    v, u = model.in_embed(targets), model.out_embed(contexts)
    if negatives.dim() == 1:  # a pool shared by the batch, each term weighted K / M
        weight = (num_negatives or len(negatives)) / len(negatives)
        neg = v @ model.out_embed(negatives).T
    else:
        weight = 1.0
        neg = torch.einsum("bd,bkd->bk", v, model.out_embed(negatives))
    loss = _loss((v * u).sum(-1), neg, weight)
    model.zero_grad()
    (loss * len(targets)).backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
    return loss.item()


STAND_INS = {
    "tokenize": _tokenize,
    "Vocabulary": _Vocab,
    "make_training_pairs": _pairs,
    "Word2Vec": _Model,
    "negative_sampling_loss": _loss,
    "sgns_step": _step,
}


def step_alone(impl: Any) -> contextlib.AbstractContextManager[None]:
    """Run impl.sgns_step with a stand-in for negative_sampling_loss."""
    return substituted(impl, "sgns_step", {"negative_sampling_loss": _loss})


def trainer_alone(impl: Any) -> contextlib.AbstractContextManager[None]:
    """Run impl.train_word2vec with stand-ins for the items it calls."""
    return substituted(impl, "train_word2vec", STAND_INS)


def cluster_corpus(seed: int = 0, sentences: int = 200) -> tuple[str, list[list[str]]]:
    """Sentences of 3 words drawn from one of three disjoint word clusters, in
    turn; short sentences, so that pairs across sentence ends would link
    clusters that never share a sentence."""
    gen = torch.Generator().manual_seed(seed)
    clusters = [[f"{name}{i}" for i in range(5)] for name in ("alpha", "beta", "gamma")]
    lines = []
    for n in range(sentences):
        cluster = clusters[n % 3]
        picks = torch.randint(0, len(cluster), (3,), generator=gen)
        lines.append(" ".join(cluster[int(i)] for i in picks))
    return ". ".join(lines) + ".", clusters


def cross_cluster_probability(model: Any, clusters: list[list[int]]) -> float:
    """Mean σ(v_t · u_c) over pairs of words from different clusters, which
    never share a sentence: the model's probability for pairs it never saw."""
    scores = torch.sigmoid(model.in_embed.weight.detach() @ model.out_embed.weight.detach().T)
    same = torch.zeros_like(scores, dtype=torch.bool)
    for ids in clusters:
        index = torch.tensor(ids)
        same[index[:, None], index] = True
    return scores[~same].mean().item()


def mean_cosine(vectors: torch.Tensor, a: list[int], b: list[int]) -> float:
    unit = F.normalize(vectors.detach().float(), dim=1)
    sims = unit[a] @ unit[b].T
    if a == b:
        mask = ~torch.eye(len(a), dtype=torch.bool)
        return sims[mask].mean().item()
    return sims.mean().item()


def finite_floats(values: Any) -> bool:
    return all(isinstance(v, float) and math.isfinite(v) for v in values)
