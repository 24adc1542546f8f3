"""Graders for HW7-Q7, skip-gram word embeddings (module hw7/word2vec).

train_word2vec is graded with stand-ins for the items it calls, so each
mistake costs points on its own item only. The student's model, the
graders' vocabulary and the probe model live in the worker: the checks that
need them run there as procedures (word2vec_probes) and send back evidence.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, describe, fail, graded, show
from graders.hw7 import w2v_support as support
from graders.hw7 import word2vec_probes as probes

MODULE = "hw7/word2vec"
TOY = "I love to learn deep learning. It is fascinating!"


# --------------------------------------------------------------------------
# tokenize


@graded("tokenize", points=1)
def test_tokenize_worked_example(impl):
    out = call("tokenize", impl, TOY)
    want = [["i", "love", "to", "learn", "deep", "learning"], ["it", "is", "fascinating"]]
    check(out == want, f"tokenize({TOY!r}) must be {want}.", f"got {show(out)}")


@graded("tokenize", points=1)
@given(support.sentences_strategy, st.lists(st.sampled_from(".!?"), min_size=4, max_size=4), st.booleans())
def test_tokenize_properties(impl, sentences, ends, commas):
    separator = " , " if commas else " "
    text = " ".join(separator.join(s) + ends[n] for n, s in enumerate(sentences))
    out = call("tokenize", impl, text)
    want = [[w.lower() for w in s] for s in sentences]
    check(
        out == want,
        "tokenize must give one list of lower-cased words per sentence (ending at '.', '!' or '?'), "
        "without punctuation tokens.",
        f"tokenize({text!r})",
        f"expected {want}, got {show(out)}",
    )


# --------------------------------------------------------------------------
# Vocabulary


@graded("Vocabulary", points=1)
@given(st.lists(st.sampled_from(support.WORDS), max_size=20))
def test_vocabulary_round_trip(impl, words):
    vocab = impl.Vocabulary(words)
    first_seen = list(dict.fromkeys(words))
    check(
        list(vocab.itos) == first_seen,
        "Vocabulary.itos must list each word once, in order of first appearance.",
        f"words {words} → itos {show(list(vocab.itos))}",
    )
    check(
        dict(vocab.stoi) == {w: i for i, w in enumerate(first_seen)},
        "Vocabulary.stoi must map each word to its index in itos.",
        f"words {words} → stoi {show(dict(vocab.stoi))}",
    )
    check(len(vocab) == len(first_seen), "len(vocab) must be the number of distinct words.", f"words {words}")
    check(
        list(vocab.counts) == [words.count(w) for w in first_seen],
        "Vocabulary.counts[i] must be how often itos[i] occurs.",
        f"words {words} → counts {show(list(vocab.counts))}",
    )
    check(all(w in vocab for w in words) and "zzz" not in vocab, "`word in vocab` must test membership.")


@graded("Vocabulary", points=1)
@given(st.lists(st.sampled_from(support.WORDS), max_size=20), st.integers(1, 3))
def test_vocabulary_min_count(impl, words, min_count):
    vocab = impl.Vocabulary(words, min_count=min_count)
    want = [w for w in dict.fromkeys(words) if words.count(w) >= min_count]
    check(
        list(vocab.itos) == want,
        "Vocabulary(words, min_count) must keep exactly the words seen at least min_count times, "
        "in order of first appearance.",
        f"words {words}, min_count={min_count} → {show(list(vocab.itos))}, expected {want}",
    )
    check(
        list(vocab.counts) == [words.count(w) for w in want],
        "Vocabulary.counts[i] must be how often itos[i] occurs, for the words kept.",
        f"words {words}, min_count={min_count} → counts {show(list(vocab.counts))}",
    )
    try:
        vocab["zzz"]
    except KeyError as exc:
        check("zzz" in str(exc), "the KeyError for an unknown word must name it.", f"got {exc!r}")
    else:
        fail("vocab['zzz'] must raise KeyError for a word not in the vocabulary.")


# --------------------------------------------------------------------------
# make_training_pairs


def _pairs(impl, sentences, words, window):
    # The graders' own vocabulary (built in the worker), so a Vocabulary mistake is not charged here too.
    got = impl.run(probes.pairs_with_vocab, sentences, words or ["deep"], window)
    return got["out"], got["stoi"]


@graded("make_training_pairs", points=1)
def test_pairs_worked_example(impl):
    check(
        callable(getattr(impl, "make_training_pairs", None)),
        "make_training_pairs is missing: define a function with exactly that name.",
    )
    out, stoi = _pairs(impl, [["a", "b", "c"]], ["a", "b", "c"], 1)
    a, b, c = stoi["a"], stoi["b"], stoi["c"]
    want = [[a, b], [b, a], [b, c], [c, b]]
    check(
        isinstance(out, torch.Tensor) and out.tolist() == want,
        "make_training_pairs([['a', 'b', 'c']], vocab, 1) must be [(a, b), (b, a), (b, c), (c, b)] as ids.",
        f"with a={a}, b={b}, c={c}: got {show(out)}",
    )


@graded("make_training_pairs", points=2)
@given(support.sentences_strategy, st.integers(1, 4), st.integers(0, 4))
def test_pairs_match_definition(impl, sentences, window, dropped):
    known = list(dict.fromkeys(w for s in sentences for w in s))
    out, stoi = _pairs(impl, sentences, known[dropped:], window)  # some words are not in the vocabulary
    want = support.brute_force_pairs(sentences, stoi, window)
    given_ = f"sentences {sentences}, vocabulary {list(stoi)}, window_size={window}"
    check(isinstance(out, torch.Tensor), "make_training_pairs must return a tensor.", given_)
    check(
        out.dtype == torch.int64 and out.dim() == 2 and out.shape[1] == 2,
        "make_training_pairs must return an int64 tensor of shape (P, 2), also when P = 0.",
        f"{given_} → {describe(out)}",
    )
    check(
        out.tolist() == [list(p) for p in want],
        "make_training_pairs must list every (target, context) within window_size positions on each "
        "side, in the same sentence, after removing unknown words; by sentence, target, then context.",
        given_,
        f"expected {want}",
        f"got {show(out)}",
    )


# --------------------------------------------------------------------------
# Word2Vec


@graded("Word2Vec", points=2)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 6), st.integers(0, 1000))
def test_model_scores(impl, vocab_size, dim, batch, seed):
    # The model is the student's own nn.Module: it is built, scored and
    # differentiated in the worker, with random tables (the usual start leaves
    # out_embed at zero, which hides errors).
    got = impl.run(probes.model_scores, vocab_size, dim, batch, seed)
    for name, table in got["tables"].items():
        check(table["embedding"], f"Word2Vec must have {name}, an nn.Embedding.", f"got {table['type']}")
        check(
            tuple(table["shape"]) == (vocab_size, dim),
            f"{name} must hold vocab_size × embedding_dim weights.",
            f"Word2Vec({vocab_size}, {dim}).{name}: {tuple(table['shape'])}",
        )
    weights, targets, contexts, scores = got["weights"], got["targets"], got["contexts"], got["scores"]
    want = (weights["in_embed"][targets] * weights["out_embed"][contexts]).sum(-1)
    given_ = f"Word2Vec({vocab_size}, {dim}), targets {targets.tolist()}, contexts {contexts.tolist()}"
    check(
        isinstance(scores, torch.Tensor) and tuple(scores.shape) == (batch,),
        "Word2Vec.forward(targets, contexts) must return one score per pair, shape (B,).",
        f"{given_} → {describe(scores) if isinstance(scores, torch.Tensor) else scores}",
    )
    check(
        torch.allclose(scores, want, atol=1e-5, rtol=1e-4),
        "the score of a pair must be the dot product in_embed[target] · out_embed[context].",
        given_,
    )
    check(
        got["grads"] is not None and all(got["grads"]),
        "the scores must be differentiable with respect to both embedding tables.",
    )


# --------------------------------------------------------------------------
# negative_sampling_loss


@graded("negative_sampling_loss", points=2)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 1000), st.sampled_from([1.0, 0.25]))
def test_loss_value(impl, batch, k, seed, weight):
    gen = torch.Generator().manual_seed(seed)
    pos, neg = torch.randn(batch, generator=gen) * 3, torch.randn(batch, k, generator=gen) * 3
    args = (pos, neg) if weight == 1.0 else (pos, neg, weight)
    loss = call("negative_sampling_loss", impl, *args)
    want = support.expected_loss(pos, neg, weight)
    check(
        isinstance(loss, torch.Tensor) and loss.dim() == 0,
        "negative_sampling_loss must return a scalar tensor.",
        f"got {describe(loss)}",
    )
    check(
        torch.allclose(loss.double(), want, rtol=1e-4, atol=1e-6),
        "negative_sampling_loss must be the batch mean of −log σ(pos) − neg_weight · Σ_k log σ(−neg_k).",
        f"pos {describe(pos)}, neg {describe(neg)}, neg_weight={weight}: expected {want.item():.5f}, "
        f"got {loss.item():.5f}",
    )


@graded("negative_sampling_loss", points=1)
def test_loss_extreme_scores(impl):
    pos = torch.tensor([200.0, -200.0, 0.0])
    neg = torch.tensor([[-200.0, 200.0], [200.0, -200.0], [0.0, 0.0]])
    loss = call("negative_sampling_loss", impl, pos, neg)
    want = support.expected_loss(pos, neg)
    check(
        bool(torch.isfinite(loss)) and torch.allclose(loss.double(), want, rtol=1e-4),
        "negative_sampling_loss must stay finite and exact for scores of ±200: use F.logsigmoid, "
        "not log(sigmoid(...)).",
        f"pos {pos.tolist()}, neg {neg.tolist()}: expected {want.item():.3f}, got {show(loss)}",
    )


# --------------------------------------------------------------------------
# sgns_step


def _step_case(seed: int, vocab_size: int, dim: int, batch: int, shared: bool, k: int):
    gen = torch.Generator().manual_seed(seed)
    in_weight = torch.randn(vocab_size, dim, generator=gen) * 0.5
    out_weight = torch.randn(vocab_size, dim, generator=gen) * 0.5
    targets = torch.randint(0, vocab_size, (batch,), generator=gen)
    contexts = torch.randint(0, vocab_size, (batch,), generator=gen)
    shape = (k,) if shared else (batch, k)
    negatives = torch.randint(0, vocab_size, shape, generator=gen)
    return in_weight, out_weight, targets, contexts, negatives


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    return torch.allclose(got, want, atol=1e-5, rtol=1e-4)


@graded("sgns_step", points=3)
@given(st.integers(0, 1000), st.integers(2, 9), st.integers(1, 5), st.integers(1, 6), st.booleans(), st.integers(1, 4))
def test_sgns_step_is_sgd_on_the_summed_loss(impl, seed, vocab_size, dim, batch, shared, k):
    in_weight, out_weight, targets, contexts, negatives = _step_case(seed, vocab_size, dim, batch, shared, k)
    lr, num_negatives = 0.1, (2 if shared else None)
    # sgns_step runs in the worker on a probe model, with a marked loss in
    # place of negative_sampling_loss: a step that differentiates that loss
    # (autograd) must match SGD on it, one that writes the gradient by hand
    # SGD on the item's loss; its value may be either loss's.
    references = support.reference_steps(in_weight, out_weight, targets, contexts, negatives, lr, num_negatives)
    want_loss, reference = references["true"]
    spy_loss, spied = references["spy"]
    check(callable(getattr(impl, "sgns_step", None)), "sgns_step is missing: define a function with exactly that name.")
    got = impl.run(probes.sgns_step_run, in_weight, out_weight, targets, contexts, negatives, lr, num_negatives)
    got_loss = got["loss"]
    given_ = (
        f"vocab {vocab_size}, dim {dim}, targets {targets.tolist()}, contexts {contexts.tolist()}, "
        f"negatives {negatives.tolist()} ({'a pool shared by the batch' if shared else 'per pair'}), lr={lr}"
        + (f", num_negatives={num_negatives}" if shared else "")
    )
    check(
        isinstance(got_loss, float)
        and any(abs(got_loss - want) < 1e-4 * max(1.0, abs(want)) for want in (want_loss, spy_loss)),
        "sgns_step must return the batch's mean loss before the step, as a float.",
        given_,
        f"expected {want_loss:.5f}, got {type(got_loss).__name__} {show(got_loss)}",
    )
    through_spy = all(_close(got[key], getattr(spied, name).weight.detach())
                      for key, name in (("in", "in_embed"), ("out", "out_embed")))
    if through_spy:
        return  # autograd through negative_sampling_loss: the loss is graded there
    for key, name in (("in", "in_embed"), ("out", "out_embed")):
        got_w, want = got[key], getattr(reference, name).weight.detach()
        check(
            _close(got_w, want),
            f"sgns_step must update {name} by −lr × the gradient of the loss summed over the batch "
            "(repeated words add up; a shared pool's terms weigh num_negatives / M).",
            given_,
            f"largest difference in {name}: {(got_w - want).abs().max().item():.3g}",
        )


# --------------------------------------------------------------------------
# train_word2vec


@graded("train_word2vec", points=1)
def test_training_toy_corpus(impl):
    corpus = "i love to learn deep learning. it is fascinating."
    with support.trainer_alone(impl):
        out = call("train_word2vec", impl, corpus, 3, 10, 30, 1e-2)
    check(
        isinstance(out, tuple) and len(out) == 2,
        "train_word2vec must return (vocab, model).",
        f"got {type(out).__name__}",
    )
    vocab, model = out
    history = list(getattr(model, "loss_history", None) or [])
    check(
        len(history) == 30 and support.finite_floats(history),
        "model.loss_history must hold one finite float per epoch.",
        f"30 epochs → {show(history)}",
    )
    check(
        min(history) >= 0,
        "the skip-gram loss is a negative log-likelihood and can never be negative: a loss between "
        "two embedding vectors (e.g. CrossEntropyLoss(target_embed, context_embed)) is not one.",
        f"loss history {[round(v, 3) for v in history[:5]]} …",
    )
    check(
        history[-1] < history[0],
        "the loss must fall over training on the toy corpus.",
        f"first {history[0]:.4f}, last {history[-1]:.4f}",
    )


@graded("train_word2vec", points=2)
def test_training_finds_clusters(impl):
    corpus, clusters = support.cluster_corpus()
    with support.trainer_alone(impl):
        vocab, model = call("train_word2vec", impl, corpus, 2, 16, 40, 0.05, seed=0)
    stoi = dict(vocab.stoi)
    vectors = model.in_embed.weight
    ids = [[stoi[w] for w in c if w in stoi] for c in clusters]
    within = sum(support.mean_cosine(vectors, c, c) for c in ids) / 3
    across = sum(support.mean_cosine(vectors, a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]) / 3
    check(
        within > across + 0.2,
        "words that share contexts must end up closer: on a corpus of three disjoint word clusters, "
        "the mean cosine similarity within a cluster must clearly exceed that across clusters.",
        f"within {within:.3f}, across {across:.3f} (window 2, dim 16, 40 epochs, lr 0.05)",
    )
    never_seen = support.cross_cluster_probability(model, ids)
    check(
        never_seen < 0.05,
        "pairs of words that never share a sentence must get a low probability σ(v_t · u_c): "
        "negative sampling pushes noise pairs apart, and context windows stop at sentence ends.",
        f"mean σ(v_t · u_c) over pairs from different clusters: {never_seen:.3f} "
        "(3-word sentences, window 2, dim 16, 40 epochs, lr 0.05)",
    )


# --------------------------------------------------------------------------
# k_most_similar


@graded("k_most_similar", points=1)
def test_similar_worked_example(impl):
    stoi = {"king": 0, "queen": 1, "apple": 2, "royal": 3}
    emb = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.7, 0.3]])
    out = call("k_most_similar", impl, "king", emb, stoi, 2)
    words = [w for w, _ in out] if isinstance(out, list) else out
    check(
        words == ["queen", "royal"],
        "k_most_similar('king', ..., k=2) must return the two nearest words by cosine, best first, "
        "without 'king' itself.",
        f"embeddings {emb.tolist()} for {list(stoi)} → got {show(out)}",
    )


@graded("k_most_similar", points=2)
@given(st.integers(2, 8), st.integers(1, 4), st.integers(0, 9), st.integers(0, 1000), st.floats(0.1, 10))
def test_similar_properties(impl, vocab_size, dim, k, seed, scale):
    gen = torch.Generator().manual_seed(seed)
    emb = torch.randn(vocab_size, dim, generator=gen)
    stoi = {f"w{i}": i for i in range(vocab_size)}
    goal = "w0"
    out = call("k_most_similar", impl, goal, emb, stoi, k)
    given_ = f"goal 'w0', embeddings {describe(emb)} (seed {seed}), k={k}"
    check(isinstance(out, list), "k_most_similar must return a list of (word, similarity).", given_)
    check(
        len(out) == min(k, vocab_size - 1),
        "k_most_similar must return min(k, vocabulary size − 1) entries.",
        f"{given_} → {len(out)} entries",
    )
    cos = F.cosine_similarity(emb, emb[0:1], dim=1)
    words = [w for w, _ in out]
    check(goal not in words, "k_most_similar must not return the goal word itself.", f"{given_} → {show(out)}")
    for word, sim in out:
        check(
            word in stoi and abs(float(sim) - cos[stoi[word]].item()) < 1e-4,
            "each similarity must be the cosine similarity of the word's embedding to the goal's.",
            f"{given_}: {word} → {sim}, cosine {cos[stoi.get(word, 0)].item():.4f}",
        )
    sims = [float(s) for _, s in out]
    check(sims == sorted(sims, reverse=True), "results must be sorted best first.", f"{given_} → {sims}")
    left = [cos[i].item() for w, i in stoi.items() if w != goal and w not in words]
    check(
        not out or not left or max(left) <= sims[-1] + 1e-6,
        "k_most_similar must return the k most similar words, not just any k.",
        f"{given_}: a word left out has similarity {max(left) if left else 0:.4f} > {sims[-1] if sims else 0:.4f}",
    )
    scaled = emb.clone()
    scaled[1:] *= scale
    again = call("k_most_similar", impl, goal, scaled, stoi, k)
    check(
        [w for w, _ in again] == words,
        "cosine similarity ignores vector length: scaling embeddings must not change the answer.",
        f"{given_}, other rows scaled by {scale:.3g}",
    )


@graded("k_most_similar", points=1)
def test_similar_unknown_and_zero(impl):
    stoi = {"a": 0, "b": 1, "c": 2}
    emb = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.5, 0.5]])
    try:
        call("k_most_similar", impl, "zzz", emb, stoi, 2)
    except KeyError as exc:
        check("zzz" in str(exc), "the KeyError for an unknown goal must name it.", f"got {exc!r}")
    else:
        fail("k_most_similar must raise KeyError for a goal word not in stoi.")
    for goal in ("a", "b"):
        out = call("k_most_similar", impl, goal, emb, stoi, 2)
        sims = [float(s) for _, s in out]
        check(
            all(s == s for s in sims),
            "a zero vector must not produce NaN similarities (treat its similarity as 0).",
            f"embeddings {emb.tolist()}, goal {goal!r} → {show(out)}",
        )
