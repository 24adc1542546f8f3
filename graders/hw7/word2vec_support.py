"""Strategies, corpora and measures for the Word2Vec graders (judge side).

Nothing here computes an item's answer: the graders compare with data
stored in the grader file, with properties, and with torch's built-ins. The
stand-ins (word2vec_probes, run in the worker) are marked, and let
train_word2vec be graded apart from the items it calls.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from dlkit.isolation import substituted
from graders.hw7 import word2vec_probes as probes

WORDS = ("deep", "learning", "is", "fun", "gpu", "2024", "nets", "x", "Data", "MODEL")


sentences_strategy = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7), min_size=1, max_size=4
)


# --------------------------------------------------------------------------
# grading train_word2vec on its own


def trainer_alone(impl: Any) -> contextlib.AbstractContextManager[None]:
    """Run impl.train_word2vec with marked stand-ins for the items it calls."""
    return substituted(impl, "train_word2vec", probes.TRAIN_STAND_INS)


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
