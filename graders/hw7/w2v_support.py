"""Definitions, stand-ins and corpora for the Word2Vec graders.

The brute-force pair definition (in word2vec_probes) is the handout's
sentence written as code; the stand-ins (word2vec_probes, run in the
worker) let train_word2vec be graded apart from the items it calls.
"""
from __future__ import annotations

import contextlib
import math
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from dlkit.isolation import substituted
from graders.hw7 import word2vec_probes as probes
from graders.hw7.word2vec_probes import brute_force_pairs  # noqa: F401  (the definition, for the graders)

WORDS = ("deep", "learning", "is", "fun", "gpu", "2024", "nets", "x", "Data", "MODEL")


def expected_loss(pos: torch.Tensor, neg: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Mean of −log σ(pos) − weight · Σ log σ(−neg), in float64."""
    pos, neg = pos.double(), neg.double()
    return (F.softplus(-pos) + weight * F.softplus(neg).sum(-1)).mean()


sentences_strategy = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=7), min_size=1, max_size=4
)


# --------------------------------------------------------------------------
# the references for sgns_step, and stand-ins for grading train_word2vec on its own


def reference_loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    """The item's loss, differentiable, for the judge's own reference step."""
    return (F.softplus(-pos) + neg_weight * F.softplus(neg).sum(-1)).mean()


def reference_model(in_weight: torch.Tensor, out_weight: torch.Tensor) -> nn.Module:
    """A judge-side model holding copies of these tables."""
    model = probes.ProbeModel(*in_weight.shape)
    with torch.no_grad():
        model.in_embed.weight.copy_(in_weight)
        model.out_embed.weight.copy_(out_weight)
    return model


def reference_steps(in_weight, out_weight, targets, contexts, negatives, lr: float,
                    num_negatives: int | None) -> dict[str, tuple[float, nn.Module]]:
    """The step through autograd on the summed loss (slow and plain, but the
    same step), with the item's loss and with the marked one a student's
    autograd step would differentiate: (loss before, model after) each."""
    out = {}
    for name, loss_fn in (("true", reference_loss), ("spy", probes.spy_loss)):
        model = reference_model(in_weight, out_weight)
        value = probes.sgd_step(model, targets, contexts, negatives, lr, num_negatives, loss_fn)
        out[name] = (value, model)
    return out


def trainer_alone(impl: Any) -> contextlib.AbstractContextManager[None]:
    """Run impl.train_word2vec with (marked, where possible) stand-ins for the items it calls."""
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
