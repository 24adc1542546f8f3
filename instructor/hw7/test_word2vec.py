"""Hidden graders for HW7-Q7, skip-gram word embeddings (module hw7/word2vec).

Comparisons with the reference (word2vec_oracle) on generated inputs: the pairs,
the model's scores, the loss and one sgns_step replayed through autograd.
What runs in the worker uses the public procedures; a step that calls
model(...) gets a probe model whose score is the oracle's, called back here.
"""
from __future__ import annotations

from collections import Counter

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, describe, graded, show
from graders.hw7 import word2vec_support as support
from graders.hw7 import word2vec_probes as probes
from instructor.hw7 import word2vec_oracle as oracle

MODULE = "hw7/word2vec"


@graded("make_training_pairs", points=1)
@given(support.sentences_strategy, st.integers(1, 4), st.integers(0, 4))
def test_pairs_match_reference(impl, sentences, window, dropped):
    check(
        callable(getattr(impl, "make_training_pairs", None)),
        "make_training_pairs is missing: define a function with exactly that name.",
    )
    known = list(dict.fromkeys(w for s in sentences for w in s))
    got = impl.run(probes.pairs_cases, known[dropped:] or ["deep"], [(sentences, window)])
    (out,), stoi = got["outs"], got["stoi"]
    want = oracle.training_pairs(sentences, stoi, window)
    given_ = f"sentences {sentences}, vocabulary {list(stoi)}, window_size={window}"
    check(
        isinstance(out, torch.Tensor) and out.dtype == torch.int64 and out.dim() == 2 and out.shape[1] == 2,
        "make_training_pairs must return an int64 tensor of shape (P, 2).",
        f"{given_} → {describe(out)}",
    )
    check(
        Counter(tuple(p) for p in out.tolist()) == Counter(want),
        "make_training_pairs must list every (target, context) within window_size positions on each "
        "side, in the same sentence, after removing unknown words, each as often as it occurs "
        "(in any order: the order has its own public test).",
        given_,
        f"expected (in any order) {sorted(want)}",
        f"got {sorted(tuple(p) for p in out.tolist())}",
    )


@graded("Word2Vec", points=1)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 6), st.sampled_from([torch.float32, torch.float64]))
def test_model_scores_match_reference(impl, vocab_size, dim, batch, dtype):
    check(callable(getattr(impl, "Word2Vec", None)), "Word2Vec is missing: define a class with exactly that name.")
    # Random tables (the usual start leaves out_embed at zero, which hides errors).
    in_w, out_w = torch.randn(vocab_size, dim, dtype=dtype), torch.randn(vocab_size, dim, dtype=dtype)
    targets, contexts = torch.randint(0, vocab_size, (batch,)), torch.randint(0, vocab_size, (batch,))
    got = impl.run(probes.model_scores, in_w, out_w, [(targets, contexts)])
    for name, table in got["tables"].items():
        check(
            table["embedding"] and tuple(table["shape"]) == (vocab_size, dim),
            f"Word2Vec must have {name}, an nn.Embedding of vocab_size × embedding_dim weights.",
            f"Word2Vec({vocab_size}, {dim}).{name}: {table['type']} {table['shape']}",
        )
    scores = got["scores"][0]
    want = oracle.pair_scores(in_w, out_w, targets, contexts)
    given_ = f"Word2Vec({vocab_size}, {dim}) ({dtype}), targets {targets.tolist()}, contexts {contexts.tolist()}"
    check(
        isinstance(scores, torch.Tensor) and tuple(scores.shape) == (batch,) and scores.dtype == dtype,
        "Word2Vec.forward(targets, contexts) must return one score per pair, shape (B,), in the tables' dtype.",
        f"{given_} → {describe(scores)}",
    )
    check(
        torch.allclose(scores.double(), want, atol=1e-5, rtol=1e-4),
        "the score of a pair must be the dot product in_embed[target] · out_embed[context].",
        given_,
    )
    check(
        got["grads"] is not None and all(got["grads"].values()),
        "the scores must be differentiable with respect to both embedding tables.",
    )


def _check_loss_matches(impl, batch, k, weight, dtype, scale, sentence):
    # Scores the size training produces (|s| up to about 15); scores of ±100
    # have their own public test, which asks for a finite loss only.
    pos, neg = torch.randn(batch, dtype=dtype) * scale, torch.randn(batch, k, dtype=dtype) * scale
    args = (pos, neg) if weight == 1.0 else (pos, neg, weight)
    loss = call("negative_sampling_loss", impl, *args)
    want = oracle.loss(pos, neg, weight)
    check(
        isinstance(loss, torch.Tensor) and loss.dim() == 0,
        "negative_sampling_loss must return a scalar tensor.",
        f"got {describe(loss)}",
    )
    check(
        torch.allclose(loss.double(), want, rtol=1e-4, atol=1e-6),
        sentence,
        f"pos {describe(pos)}, neg {describe(neg)}, scores up to {scale:.3g}"
        + (f", neg_weight={weight}" if weight != 1.0 else "") + f": expected {want.item():.5f}, got {show(loss)}",
    )


@graded("negative_sampling_loss", points=1)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([torch.float32, torch.float64]), st.floats(0.1, 4))
def test_loss_matches_reference(impl, batch, k, dtype, scale):
    _check_loss_matches(impl, batch, k, 1.0, dtype, scale,
                        "negative_sampling_loss must be the batch mean of −log σ(pos) − Σ_k log σ(−neg_k).")


@graded("negative_sampling_loss", points=1)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([0.25, 3.0]),
       st.sampled_from([torch.float32, torch.float64]), st.floats(0.1, 4))
def test_loss_neg_weight_matches_reference(impl, batch, k, weight, dtype, scale):
    _check_loss_matches(impl, batch, k, weight, dtype, scale,
                        "negative_sampling_loss(pos, neg, neg_weight) must be the batch mean of "
                        "−log σ(pos) − neg_weight · Σ_k log σ(−neg_k).")


_STEP_CASES = (st.integers(2, 9), st.integers(1, 5), st.integers(1, 6), st.integers(1, 4),
               st.sampled_from([torch.float32, torch.float64]))


@graded("sgns_step", points=1)
@given(*_STEP_CASES)
def test_sgns_step_matches_reference(impl, vocab_size, dim, batch, k, dtype):
    _check_step_matches(impl, vocab_size, dim, batch, False, k, dtype)


@graded("sgns_step", points=1)
@given(*_STEP_CASES)
def test_sgns_step_shared_pool_matches_reference(impl, vocab_size, dim, batch, k, dtype):
    # The shared pool (num_negatives / M weights) is an extension: its own points.
    _check_step_matches(impl, vocab_size, dim, batch, True, k, dtype)


def _check_step_matches(impl, vocab_size: int, dim: int, batch: int, shared: bool, k: int, dtype) -> None:
    in_w = torch.randn(vocab_size, dim, dtype=dtype) * 0.5
    out_w = torch.randn(vocab_size, dim, dtype=dtype) * 0.5
    targets = torch.randint(0, vocab_size, (batch,))
    contexts = torch.randint(0, vocab_size, (batch,))
    negatives = torch.randint(0, vocab_size, (k,) if shared else (batch, k))
    lr, num_negatives = 0.1, (2 if shared else None)
    check(callable(getattr(impl, "sgns_step", None)), "sgns_step is missing: define a function with exactly that name.")
    # The probe model scores through the oracle; probes.step_loss stands in
    # for negative_sampling_loss, so a step through autograd is right when it
    # follows that loss ("marked"), a step written by hand when it follows
    # the item's ("true").
    accepted = oracle.accepted_steps(in_w, out_w, targets, contexts, negatives, lr, num_negatives)
    (got,) = impl.run(probes.sgns_step_cases, in_w, out_w, [(targets, contexts, negatives, lr, num_negatives)],
                      score=oracle.score, score_grad=oracle.score_grad)
    given_ = (
        f"vocab {vocab_size}, dim {dim} ({dtype}), targets {targets.tolist()}, contexts {contexts.tolist()}, "
        f"negatives {negatives.tolist()} ({'a pool shared by the batch' if shared else 'per pair'}), lr={lr}"
        + (f", num_negatives={num_negatives}" if shared else "")
    )
    loss = got["loss"]
    check(
        isinstance(loss, float)
        and any(abs(loss - want) < 1e-4 * max(1.0, abs(want)) for want, _, _ in accepted.values()),
        "sgns_step must return the batch's mean loss before the step, as a float.",
        given_,
        f"expected {accepted['true'][0]:.5f}, got {type(loss).__name__} {show(loss)}",
    )

    def close(a, b):
        return torch.allclose(a.double(), b, atol=1e-5, rtol=1e-4)

    if any(close(got["in"], w_in) and close(got["out"], w_out) for _, w_in, w_out in accepted.values()):
        return
    _, want_in, want_out = accepted["true"]
    for key, name, want in (("in", "in_embed", want_in), ("out", "out_embed", want_out)):
        check(
            close(got[key], want),
            f"sgns_step must update {name} by −lr × the gradient of the loss summed over the batch "
            "(repeated words add up; a shared pool's terms weigh num_negatives / M).",
            given_,
            f"largest difference in {name}: {(got[key].double() - want).abs().max().item():.3g}",
        )
