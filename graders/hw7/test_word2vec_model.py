"""Graders for HW7-Q7, skip-gram word embeddings: the model and its loss
(Word2Vec, negative_sampling_loss; module hw7/word2vec).

The classic loss and its documented extension (neg_weight) are graded
apart, so an answer to the handout's question keeps the handout's points;
the extreme scores ask for a finite loss, as the handout does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, graded, show
from graders.hw7 import word2vec_probes as probes
from graders.strategies import layouts, noncontiguous

MODULE = "hw7/word2vec"


# --------------------------------------------------------------------------
# Word2Vec

# A worked example: tables, pairs and their dot products v_t · u_c, by hand.
IN_TABLE = [[1.0, 2.0], [0.0, 1.0], [-1.0, 0.5]]
OUT_TABLE = [[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]]
SCORED_PAIRS = ([0, 1, 2, 2], [1, 2, 0, 2])
SCORES = [2.0, 1.0, -1.0, -0.5]


@graded("Word2Vec", points=1)
def test_model_worked_example(impl):
    check(callable(getattr(impl, "Word2Vec", None)), "Word2Vec is missing: define a class with exactly that name.")
    in_w, out_w = torch.tensor(IN_TABLE), torch.tensor(OUT_TABLE)
    targets, contexts = (torch.tensor(ids) for ids in SCORED_PAIRS)
    # Pair (0, 1) again, with every row it must not read replaced.
    far_in, far_out = torch.full((3, 2), 7.0), torch.full((3, 2), -5.0)
    far_in[0], far_out[1] = in_w[0], out_w[1]
    # Batches of one, and the batch again as non-contiguous id tensors.
    singles = [(targets[i : i + 1], contexts[i : i + 1]) for i in range(len(targets))]
    strided = (noncontiguous(targets), noncontiguous(contexts))
    got = impl.run(probes.model_scores, in_w, out_w, [(targets, contexts)] + singles + [strided])
    for name, table in got["tables"].items():
        check(table["embedding"], f"Word2Vec must have {name}, an nn.Embedding.", f"got {table['type']}")
        check(
            tuple(table["shape"]) == (3, 2),
            f"{name} must hold vocab_size × embedding_dim weights.",
            f"Word2Vec(3, 2).{name}: {tuple(table['shape'])}",
        )
    scores = got["scores"][0]
    given_ = f"in_embed {IN_TABLE}, out_embed {OUT_TABLE}, targets {SCORED_PAIRS[0]}, contexts {SCORED_PAIRS[1]}"
    check(
        isinstance(scores, torch.Tensor) and tuple(scores.shape) == (4,) and scores.dtype.is_floating_point,
        "Word2Vec.forward(targets, contexts) must return one float score per pair, shape (B,).",
        f"{given_} → {describe(scores)}",
    )
    check(
        torch.allclose(scores, torch.tensor(SCORES), atol=1e-6),
        "the score of a pair must be the dot product in_embed[target] · out_embed[context].",
        given_,
        f"expected {SCORES}, got {show(scores)}",
    )
    check(
        all(isinstance(one, torch.Tensor) and tuple(one.shape) == (1,) for one in got["scores"][1:-1])
        and [float(s) for one in got["scores"][1:-1] for s in one] == [float(s) for s in scores],
        "each pair's score must not depend on the other pairs of the batch (a batch of one gives shape (1,)).",
        f"{given_}: pairs scored one at a time → {[show(one) for one in got['scores'][1:-1]]}",
    )
    again = got["scores"][-1]
    check(
        isinstance(again, torch.Tensor) and torch.equal(again, scores),
        "Word2Vec.forward must give the same scores for non-contiguous id tensors (e.g. batch[:, 0]).",
        f"{given_}, ids as non-contiguous views → {show(again)}",
    )
    check(
        got["grads"] is not None and all(got["grads"].values()),
        "the scores must be differentiable with respect to both embedding tables.",
        f"gradients reach: {got['grads']}",
    )
    far = impl.run(probes.model_scores, far_in, far_out, [(targets[:1], contexts[:1])])["scores"][0]
    check(
        isinstance(far, torch.Tensor) and torch.allclose(far, torch.tensor(SCORES[:1]), atol=1e-6),
        "the score of (target, context) must read only in_embed[target] and out_embed[context].",
        f"pair (0, 1) with in_embed {far_in.tolist()}, out_embed {far_out.tolist()}: expected {SCORES[:1]}, "
        f"got {show(far)}",
    )
    double = impl.run(probes.model_scores, in_w.double(), out_w.double(), [(targets, contexts)])["scores"][0]
    check(
        isinstance(double, torch.Tensor) and double.dtype == torch.float64
        and torch.allclose(double, torch.tensor(SCORES, dtype=torch.float64)),
        "a float64 model (Word2Vec(...).double()) must score in float64.",
        f"{given_}, float64 tables → {describe(double)} {show(double)}",
    )


# --------------------------------------------------------------------------
# negative_sampling_loss

# Worked examples: (pos, neg) and the loss, the batch mean of
# −log σ(pos) − Σ_k log σ(−neg_k), computed ahead in float64; then one with
# neg_weight (the extension), the noise terms weighted by it.
LOSS_EXAMPLES = [
    ([0.0], [[0.0]], 1.3862943611198906),  # 2 log 2
    ([1.0, -2.0], [[0.5, -1.0], [2.0, 0.0]], 3.2738017809312216),
]
WEIGHTED_EXAMPLE = ([1.0, -2.0], [[0.5, -1.0], [2.0, 0.0]], 0.25, 1.7335215821932537)
# Scores of ±100 (the handout's): σ underflows to 0 in float32 there.
EXTREME = ([100.0, -100.0, 0.0], [[-100.0, 100.0], [100.0, -100.0], [0.0, 0.0]])


def _check_loss_value(loss, dtype, want: float, sentence: str, given_: str) -> None:
    check_like("negative_sampling_loss", loss, torch.zeros((), dtype=dtype), given_, shape=())
    check(
        bool(torch.isfinite(loss)) and abs(loss.item() - want) <= 1e-5 * max(1.0, want),
        sentence,
        f"{given_}: expected {want:.6f}, got {show(loss)}",
    )


@graded("negative_sampling_loss", points=1)
def test_loss_worked_examples(impl):
    for pos, neg, want in LOSS_EXAMPLES:
        for dtype in (torch.float32, torch.float64):
            p, n = torch.tensor(pos, dtype=dtype), torch.tensor(neg, dtype=dtype)
            loss = call_keeping_inputs("negative_sampling_loss", impl, p, n, names=("pos_scores", "neg_scores"))
            _check_loss_value(
                loss, dtype, want,
                "negative_sampling_loss must be the batch mean of −log σ(pos) − Σ_k log σ(−neg_k).",
                f"pos {pos}, neg {neg} ({dtype})",
            )


@graded("negative_sampling_loss", points=1)
def test_loss_neg_weight_worked_example(impl):
    pos, neg, weight, want = WEIGHTED_EXAMPLE
    for dtype in (torch.float32, torch.float64):
        p, n = torch.tensor(pos, dtype=dtype), torch.tensor(neg, dtype=dtype)
        loss = call_keeping_inputs("negative_sampling_loss", impl, p, n, weight,
                                   names=("pos_scores", "neg_scores", "neg_weight"))
        _check_loss_value(
            loss, dtype, want,
            "negative_sampling_loss(pos, neg, neg_weight) must weigh each noise term by neg_weight: the batch "
            "mean of −log σ(pos) − neg_weight · Σ_k log σ(−neg_k).",
            f"pos {pos}, neg {neg}, neg_weight={weight} ({dtype})",
        )


@graded("negative_sampling_loss", points=1)
def test_loss_extreme_scores(impl):
    pos, neg = EXTREME
    for dtype in (torch.float32, torch.float64):
        p, n = torch.tensor(pos, dtype=dtype), torch.tensor(neg, dtype=dtype)
        loss = call_keeping_inputs("negative_sampling_loss", impl, p, n, names=("pos_scores", "neg_scores"))
        given_ = f"pos {pos}, neg {neg} ({dtype})"
        check_like("negative_sampling_loss", loss, p, given_, shape=())
        check(
            bool(torch.isfinite(loss)) and loss.item() >= 0,
            "negative_sampling_loss must stay finite (no inf or NaN) and non-negative for scores of ±100, "
            "where σ(−100) underflows to 0 in float32.",
            f"{given_} → {show(loss)}",
        )


@graded("negative_sampling_loss", points=1)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 1000), st.sampled_from([torch.float32, torch.float64]),
       layouts)
def test_loss_properties(impl, batch, k, seed, dtype, strided):
    gen = torch.Generator().manual_seed(seed)
    pos = (torch.randn(batch, generator=gen) * 3).to(dtype)
    neg = (torch.randn(batch, k, generator=gen) * 3).to(dtype)
    # A transposed layout (the channel does not carry every strided view of a column).
    strided = strided and batch > 1 and k > 1
    if strided:
        neg = noncontiguous(neg)
    saved = pos.clone(), neg.clone()
    n1 = neg[:, :1].clone()
    cases = [
        (pos, neg),
        (pos, n1),
        (pos, torch.cat([n1, n1], dim=1)),
        (-n1[:, 0], -pos[:, None]),
    ] + [(pos[b : b + 1], neg[b : b + 1]) for b in range(batch)]
    outs = impl.run(probes.loss_cases, cases)
    given_ = f"pos {describe(pos)}, neg {describe(neg)}" + (" (non-contiguous)" if strided else "") + f" (seed {seed})"
    check(
        all(isinstance(o, torch.Tensor) and o.dim() == 0 and o.dtype == dtype for o in outs),
        "negative_sampling_loss must return a scalar tensor of the scores' dtype.",
        f"{given_} → {[describe(o) for o in outs[:2]]}",
    )
    check(
        torch.equal(pos, saved[0]) and torch.equal(neg, saved[1]),
        "negative_sampling_loss must not change its inputs.",
        given_,
    )
    value, single, twice, swapped = (o.double().item() for o in outs[:4])
    singles = [o.double().item() for o in outs[4:]]

    def close(a, b):
        return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))

    check(
        value >= 0 and value == value,
        "the loss is a negative log-likelihood: it must be finite and never negative.",
        f"{given_} → {value}",
    )
    # Torch's own binary cross-entropy gives each term: −log σ(x) = BCE(x, 1), −log σ(−x) = BCE(x, 0).
    pos64, n64 = pos.double(), n1.double()[:, 0]
    positive = F.binary_cross_entropy_with_logits(pos64, torch.ones_like(pos64)).item()
    noise = F.binary_cross_entropy_with_logits(n64, torch.zeros_like(n64)).item()
    check(
        close(single, positive + noise),
        "with one noise word per pair the loss must be the batch mean of −log σ(pos) − log σ(−neg).",
        f"pos {pos.tolist()}, neg {n1.tolist()}: expected {positive + noise:.6f}, got {single:.6f}",
    )
    check(
        close(twice - single, noise),
        "the K noise terms must be added, not averaged: listing the noise word twice must add its "
        "term −log σ(−neg) once more.",
        f"pos {pos.tolist()}, neg {n1.tolist()} → {single:.6f}; that noise word twice → {twice:.6f}",
    )
    check(
        close(single, swapped),
        "−log σ(pos) − log σ(−neg) must not change when pos and neg swap roles with their signs "
        "flipped (pos → −neg, neg → −pos).",
        f"pos {pos.tolist()}, neg {n1.tolist()}: {single:.6f}; swapped: {swapped:.6f}",
    )
    check(
        close(value, sum(singles) / batch),
        "negative_sampling_loss must be the mean over the batch of each pair's loss.",
        f"{given_}: batch loss {value:.6f}, mean of the pairs' losses {sum(singles) / batch:.6f}",
    )


@graded("negative_sampling_loss", points=1)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 1000), st.sampled_from([1.0, 0.25, 2.0]),
       st.sampled_from([torch.float32, torch.float64]))
def test_loss_neg_weight_properties(impl, batch, k, seed, weight, dtype):
    gen = torch.Generator().manual_seed(seed)
    pos = (torch.randn(batch, generator=gen) * 3).to(dtype)
    neg = (torch.randn(batch, k, generator=gen) * 3).to(dtype)
    outs = impl.run(probes.loss_cases, [
        (pos, neg, weight),
        (pos, neg, 0.0),
        (pos, neg, 2 * weight),
        (pos, torch.cat([neg, neg], dim=1), weight / 2),
        (pos, neg),
    ])
    given_ = f"pos {describe(pos)}, neg {describe(neg)} (seed {seed}), neg_weight={weight}"
    check(
        all(isinstance(o, torch.Tensor) and o.dim() == 0 and o.dtype == dtype for o in outs),
        "negative_sampling_loss(pos, neg, neg_weight) must return a scalar tensor of the scores' dtype.",
        f"{given_} → {[describe(o) for o in outs[:2]]}",
    )
    value, unweighted, doubled, copies, default = (o.double().item() for o in outs)

    def close(a, b):
        return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))

    want = F.binary_cross_entropy_with_logits(pos.double(), torch.ones_like(pos, dtype=torch.float64)).item()
    check(
        close(unweighted, want),
        "with neg_weight=0 the loss must be the mean of −log σ(pos) alone.",
        f"{given_}: expected {want:.6f}, got {unweighted:.6f}",
    )
    check(
        close(doubled - value, value - unweighted),
        "the noise terms must weigh neg_weight: the loss must grow by the same amount each time "
        "neg_weight grows by the same step.",
        f"{given_}: loss at neg_weight 0, {weight}, {2 * weight}: {unweighted:.6f}, {value:.6f}, {doubled:.6f}",
    )
    check(
        close(copies, value),
        "listing every noise score twice with half the neg_weight must give the same loss.",
        f"{given_}: neg twice, neg_weight={weight / 2} → {copies:.6f}; neg once → {value:.6f}",
    )
    if weight == 1.0:
        check(close(default, value), "neg_weight must default to 1.",
              f"{given_}: without neg_weight {default:.6f}, with neg_weight=1 {value:.6f}")
