"""Graders for HW7-Q7, skip-gram word embeddings (module hw7/word2vec).

Per item: worked examples (their expected values worked out ahead and
stored here as data), then properties over generated inputs, then training
behaviour on tiny corpora. make_training_pairs, sgns_step and train_word2vec
are graded with marked stand-ins for the items they call, so each mistake
costs points on its own item only (a step that calls model(...) here gets
the student's own Word2Vec). The student's model, the graders' vocabulary
and the probe model live in the worker: the checks that need them run there
as procedures (word2vec_probes) and send back evidence.
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

VOCAB_WORDS = "the cat and the hat and the bat".split()


@graded("Vocabulary", points=1)
def test_vocabulary_worked_example(impl):
    vocab = impl.Vocabulary(VOCAB_WORDS)
    given_ = f"Vocabulary({VOCAB_WORDS})"
    # Worked out from the handout's definition: order of first appearance.
    check(
        list(vocab.itos) == ["the", "cat", "and", "hat", "bat"],
        "Vocabulary.itos must list each word once, in order of first appearance.",
        f"{given_}.itos: expected ['the', 'cat', 'and', 'hat', 'bat'], got {show(list(vocab.itos))}",
    )
    check(
        dict(vocab.stoi) == {"the": 0, "cat": 1, "and": 2, "hat": 3, "bat": 4},
        "Vocabulary.stoi must map each word to its index in itos.",
        f"{given_}.stoi: got {show(dict(vocab.stoi))}",
    )
    check(
        list(vocab.counts) == [3, 1, 2, 1, 1],
        "Vocabulary.counts[i] must be how often itos[i] occurs.",
        f"{given_}.counts: expected [3, 1, 2, 1, 1], got {show(list(vocab.counts))}",
    )
    check(len(vocab) == 5, "len(vocab) must be the number of words kept.", f"len({given_}) → {len(vocab)}")
    check(vocab["and"] == 2, "vocab[word] must be the word's index.", f"{given_}['and'] → {show(vocab['and'])}")
    check("hat" in vocab and "zzz" not in vocab, "`word in vocab` must test membership.", given_)
    kept = impl.Vocabulary(VOCAB_WORDS, min_count=2)
    check(
        list(kept.itos) == ["the", "and"] and list(kept.counts) == [3, 2] and dict(kept.stoi) == {"the": 0, "and": 1},
        "Vocabulary(words, min_count=2) must keep only the words seen at least twice, renumbered in "
        "order of first appearance, with their counts.",
        f"{VOCAB_WORDS}, min_count=2: expected itos ['the', 'and'], counts [3, 2]; got itos "
        f"{show(list(kept.itos))}, counts {show(list(kept.counts))}, stoi {show(dict(kept.stoi))}",
    )
    try:
        kept["cat"]
    except KeyError as exc:
        check("cat" in str(exc), "the KeyError for an unknown word must name it.", f"got {exc!r}")
    else:
        fail("vocab[word] must raise KeyError for a word not in the vocabulary.",
             f"Vocabulary({VOCAB_WORDS}, min_count=2)['cat'] did not raise")


@graded("Vocabulary", points=1)
@given(st.lists(st.sampled_from(support.WORDS), max_size=20), st.integers(1, 3))
def test_vocabulary_properties(impl, words, min_count):
    for m in (1, min_count):
        vocab = impl.Vocabulary(words, min_count=m) if m > 1 else impl.Vocabulary(words)
        itos, stoi, counts = list(vocab.itos), dict(vocab.stoi), list(vocab.counts)
        given_ = f"Vocabulary({words}" + (f", min_count={m})" if m > 1 else ")")
        frequent = {w for w in words if words.count(w) >= m}
        check(
            len(itos) == len(set(itos)) and set(itos) == frequent,
            "Vocabulary.itos must hold each word seen at least min_count times, once.",
            f"{given_}.itos → {show(itos)}",
        )
        check(
            all(words.index(a) < words.index(b) for a, b in zip(itos, itos[1:])),
            "Vocabulary.itos must follow the order of first appearance in the corpus.",
            f"{given_}.itos → {show(itos)}",
        )
        check(
            stoi == {w: i for i, w in enumerate(itos)} and len(vocab) == len(itos),
            "Vocabulary.stoi must map each word of itos to its index, and len(vocab) count them.",
            f"{given_}: itos {show(itos)}, stoi {show(stoi)}, len {len(vocab)}",
        )
        check(
            counts == [words.count(w) for w in itos],
            "Vocabulary.counts[i] must be how often itos[i] occurs in the corpus.",
            f"{given_}: itos {show(itos)}, counts {show(counts)}",
        )
        check(
            all(w in vocab for w in frequent) and "zzz" not in vocab,
            "`word in vocab` must be true exactly for the words kept.",
            given_,
        )


# --------------------------------------------------------------------------
# make_training_pairs


def _pairs(impl, words, cases):
    # The graders' own vocabulary (built in the worker, its ids in reverse
    # order), so a Vocabulary mistake is not charged here too.
    check(
        callable(getattr(impl, "make_training_pairs", None)),
        "make_training_pairs is missing: define a function with exactly that name.",
    )
    got = impl.run(probes.pairs_cases, words or ["deep"], cases)
    return got["outs"], got["stoi"]


def _check_pairs_tensor(out, given_):
    check(isinstance(out, torch.Tensor), "make_training_pairs must return a tensor.", f"{given_} → {describe(out)}")
    check(
        out.dtype == torch.int64 and out.dim() == 2 and out.shape[1] == 2,
        "make_training_pairs must return an int64 tensor of shape (P, 2), also when P = 0.",
        f"{given_} → {describe(out)}",
    )


def _pair_count(lengths, window):
    """How many pairs sentences of these lengths give: each position has
    min(i, w) words on its left and min(n - 1 - i, w) on its right."""
    return sum(min(i, window) + min(n - 1 - i, window) for n in lengths for i in range(n))


# Worked out by hand from the handout's definition, as word pairs.
PAIRS_SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog"], ["the"]]
PAIRS_WORDS = ["the", "cat", "sat", "mat", "dog"]  # 'on' and 'a' are not in the vocabulary
PAIRS_EXPECTED = [
    ("the", "cat"), ("the", "sat"), ("cat", "the"), ("cat", "sat"), ("cat", "the"), ("sat", "the"),
    ("sat", "cat"), ("sat", "the"), ("sat", "mat"), ("the", "cat"), ("the", "sat"), ("the", "mat"),
    ("mat", "sat"), ("mat", "the"),
]


@graded("make_training_pairs", points=1)
def test_pairs_worked_example(impl):
    (small,), stoi = _pairs(impl, ["a", "b", "c"], [([["a", "b", "c"]], 1)])
    a, b, c = stoi["a"], stoi["b"], stoi["c"]
    _check_pairs_tensor(small, "make_training_pairs([['a', 'b', 'c']], vocab, 1)")
    check(
        small.tolist() == [[a, b], [b, a], [b, c], [c, b]],
        "make_training_pairs([['a', 'b', 'c']], vocab, 1) must be [(a, b), (b, a), (b, c), (c, b)] as ids.",
        f"with a={a}, b={b}, c={c}: got {show(small)}",
    )
    (out, empty), stoi = _pairs(impl, PAIRS_WORDS, [(PAIRS_SENTENCES, 2), ([["on"], ["the"]], 3)])
    given_ = f"make_training_pairs({PAIRS_SENTENCES}, vocab of {PAIRS_WORDS}, 2)"
    _check_pairs_tensor(out, given_)
    itos = {i: w for w, i in stoi.items()}
    got = [(itos.get(t, t), itos.get(c, c)) for t, c in out.tolist()]
    check(
        got == PAIRS_EXPECTED,
        "make_training_pairs must list every (target, context) within window_size positions on each "
        "side, in the same sentence, after removing unknown words; by sentence, target, then context.",
        given_,
        f"expected (as words) {PAIRS_EXPECTED}",
        f"got {got}",
    )
    _check_pairs_tensor(empty, f"make_training_pairs([['on'], ['the']], vocab of {PAIRS_WORDS}, 3) (no pairs)")
    check(
        tuple(empty.shape) == (0, 2),
        "sentences without two known words give no pairs: an empty (0, 2) tensor.",
        f"make_training_pairs([['on'], ['the']], vocab of {PAIRS_WORDS}, 3) → {describe(empty)}",
    )


@graded("make_training_pairs", points=1)
@given(support.sentences_strategy, st.integers(1, 4), st.integers(0, 4))
def test_pairs_properties(impl, sentences, window, dropped):
    known = list(dict.fromkeys(w for s in sentences for w in s))
    words = known[dropped:] or ["deep"]  # some words are not in the vocabulary
    kept = [[w for w in s if w in words] for s in sentences]
    cases = [(sentences, window), (kept, window), ([words], window)] + [([s], window) for s in sentences]
    outs, stoi = _pairs(impl, words, cases)
    given_ = f"sentences {sentences}, vocabulary {list(stoi)}, window_size={window}"
    for out in outs:
        _check_pairs_tensor(out, given_)
    out, without_unknown, distinct, alone = outs[0], outs[1], outs[2], outs[3:]
    pairs = [tuple(p) for p in out.tolist()]
    count = _pair_count([len(s) for s in kept], window)
    check(
        len(pairs) == count,
        "make_training_pairs must pair each word with the min(i, w) known words before it and the "
        "min(n − 1 − i, w) after it (i its position, n its sentence's length once unknown words are "
        "removed, w = window_size), never with itself.",
        f"{given_}: expected {count} pairs, got {len(pairs)}: {show(out)}",
    )
    check(
        sorted(pairs) == sorted((c, t) for t, c in pairs),
        "the context relation is symmetric: every (target, context) pair must come with (context, target).",
        f"{given_} → {show(out)}",
    )
    check(
        out.tolist() == without_unknown.tolist(),
        "words missing from the vocabulary must be removed before windowing: removing them from the "
        "sentences first must give the same pairs.",
        given_,
        f"with them {show(out)}, without them {show(without_unknown)}",
    )
    check(
        out.tolist() == [p for each in alone for p in each.tolist()],
        "windows stop at sentence ends: the pairs of several sentences must be those of each sentence "
        "on its own, one sentence after the other.",
        given_,
        f"all together {show(out)}, one by one {[show(each) for each in alone]}",
    )
    # One sentence of distinct words: each id tells its position.
    position = {stoi[w]: i for i, w in enumerate(words)}
    spans = [(position[t], position[c]) for t, c in distinct.tolist()]
    given_ = f"the sentence {words} (distinct words), window_size={window}"
    check(
        all(0 < abs(i - j) <= window for i, j in spans) and len(spans) == _pair_count([len(words)], window),
        "make_training_pairs must pair each word with every word at most window_size positions away.",
        f"{given_} → (target, context) positions {spans}",
    )
    check(
        spans == sorted(set(spans)),
        "the pairs must be ordered by target position, then context position, each once.",
        f"{given_} → (target, context) positions {spans}",
    )


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
    singles = [(targets[i : i + 1], contexts[i : i + 1]) for i in range(len(targets))]
    got = impl.run(probes.model_scores, in_w, out_w, [(targets, contexts)] + singles)
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
        [float(s) for one in got["scores"][1:] for s in one] == [float(s) for s in scores],
        "each pair's score must not depend on the other pairs of the batch.",
        f"{given_}: pairs scored one at a time → {[show(one) for one in got['scores'][1:]]}",
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

# Worked examples: (pos, neg, neg_weight) and the loss, the batch mean of
# −log σ(pos) − neg_weight · Σ_k log σ(−neg_k), computed ahead in float64.
LOSS_EXAMPLES = [
    ([0.0], [[0.0]], 1.0, 1.3862943611198906),  # 2 log 2
    ([1.0, -2.0], [[0.5, -1.0], [2.0, 0.0]], 1.0, 3.2738017809312216),
    ([1.0, -2.0], [[0.5, -1.0], [2.0, 0.0]], 0.25, 1.7335215821932537),
]
# Scores of ±200: exp overflows, and log(sigmoid(...)) gives inf.
EXTREME = ([200.0, -200.0, 0.0], [[-200.0, 200.0], [200.0, -200.0], [0.0, 0.0]], 1.0, 200.69314718055992)


def _loss_args(pos, neg, weight):
    return (pos, neg) if weight == 1.0 else (pos, neg, weight)


@graded("negative_sampling_loss", points=1)
def test_loss_worked_examples(impl):
    check(
        callable(getattr(impl, "negative_sampling_loss", None)),
        "negative_sampling_loss is missing: define a function with exactly that name.",
    )
    for pos, neg, weight, want in LOSS_EXAMPLES + [EXTREME]:
        for dtype in (torch.float32, torch.float64):
            p, n = torch.tensor(pos, dtype=dtype), torch.tensor(neg, dtype=dtype)
            loss = call("negative_sampling_loss", impl, *_loss_args(p, n, weight))
            given_ = f"pos {pos}, neg {neg}" + (f", neg_weight={weight}" if weight != 1.0 else "") + f" ({dtype})"
            check(
                isinstance(loss, torch.Tensor) and loss.dim() == 0,
                "negative_sampling_loss must return a scalar tensor.",
                f"{given_} → {describe(loss)}",
            )
            check(
                loss.dtype == dtype,
                "negative_sampling_loss must keep the scores' dtype (float32 or float64).",
                f"{given_} → {describe(loss)}",
            )
            if pos == EXTREME[0]:
                message = ("negative_sampling_loss must stay finite and exact for scores of ±200: use "
                           "F.logsigmoid, not log(sigmoid(...)).")
            else:
                message = ("negative_sampling_loss must be the batch mean of "
                           "−log σ(pos) − neg_weight · Σ_k log σ(−neg_k).")
            check(
                bool(torch.isfinite(loss)) and abs(loss.item() - want) <= 1e-5 * max(1.0, want),
                message,
                f"{given_}: expected {want:.6f}, got {show(loss)}",
            )


@graded("negative_sampling_loss", points=1)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 1000), st.sampled_from([1.0, 0.25, 2.0]),
       st.sampled_from([torch.float32, torch.float64]))
def test_loss_properties(impl, batch, k, seed, weight, dtype):
    gen = torch.Generator().manual_seed(seed)
    pos = (torch.randn(batch, generator=gen) * 3).to(dtype)
    neg = (torch.randn(batch, k, generator=gen) * 3).to(dtype)
    saved = pos.clone(), neg.clone()
    n1 = neg[:, :1]
    cases = [
        (pos, neg, weight),
        (pos, neg, 0.0),
        (pos, neg, 2 * weight),
        (pos, torch.cat([neg, neg], dim=1), weight / 2),
        (pos, n1, 1.0),
        (-n1[:, 0], -pos[:, None], 1.0),
    ] + [(pos[b : b + 1], neg[b : b + 1], weight) for b in range(batch)]
    outs = impl.run(probes.loss_cases, cases)
    given_ = f"pos {describe(pos)}, neg {describe(neg)} (seed {seed}), neg_weight={weight}"
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
    value, unweighted, doubled, copies, single, swapped = (o.double().item() for o in outs[:6])
    singles = [o.double().item() for o in outs[6:]]

    def close(a, b):
        return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))

    check(
        value >= 0 and all(v == v for v in (value, unweighted, doubled)),
        "the loss is a negative log-likelihood: it must be finite and never negative.",
        f"{given_} → {value}",
    )
    want = F.binary_cross_entropy_with_logits(pos.double(), torch.ones_like(pos, dtype=torch.float64)).item()
    check(
        close(unweighted, want),
        "with neg_weight=0 the loss must be the mean of −log σ(pos), which is "
        "F.binary_cross_entropy_with_logits(pos, ones).",
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
        "the K noise terms must be added, not averaged: listing every noise score twice with half the "
        "weight must give the same loss.",
        f"{given_}: neg twice, neg_weight={weight / 2} → {copies:.6f}; neg once → {value:.6f}",
    )
    check(
        close(single, swapped),
        "−log σ(pos) − log σ(−neg) must not change when pos and neg swap roles with their signs "
        "flipped (pos → −neg, neg → −pos): check the signs inside log σ.",
        f"{given_}, first noise column only: {single:.6f}; swapped: {swapped:.6f}",
    )
    check(
        close(value, sum(singles) / batch),
        "negative_sampling_loss must be the mean over the batch of each pair's loss.",
        f"{given_}: batch loss {value:.6f}, mean of the pairs' losses {sum(singles) / batch:.6f}",
    )


# --------------------------------------------------------------------------
# sgns_step

# A worked example: tables, two batches and what one step with lr=0.5 leaves,
# computed ahead. The graders put a marked loss (positive term ×3) in place
# of negative_sampling_loss, so a step written by hand (the gradient of the
# item's loss) and a step through autograd on the loss it calls are both
# right; "true" and "marked" are the two, with the batch's mean loss of each.
STEP_IN = [[0.5, -0.2], [0.1, 0.4], [-0.3, 0.2], [0.2, 0.1]]
STEP_OUT = [[0.3, 0.1], [-0.2, 0.5], [0.4, -0.1], [0.1, 0.2]]
STEP_EXAMPLES = [
    {
        "batch": ([0, 2], [1, 1], [[2, 3], [0, 3]], 0.5, None),  # noise words per pair
        "true": (2.139373, [[0.308936, -0.085053], [0.1, 0.4], [-0.44351, 0.240646], [0.2, 0.1]],
                 [[0.372376, 0.051749], [-0.131554, 0.491025], [0.261305, -0.044522], [0.04975, 0.2]]),
        "marked": (3.553856, [[0.198969, 0.189864], [0.1, 0.4], [-0.535527, 0.470688], [0.2, 0.1]],
                   [[0.372376, 0.051749], [0.005337, 0.473075], [0.261305, -0.044522], [0.04975, 0.2]]),
    },
    {
        "batch": ([1, 0], [2, 3], [3, 2, 0], 0.5, 2),  # a pool of M=3 shared by the batch, num_negatives=2
        "true": (2.166876, [[0.380909, -0.183006], [0.064168, 0.339585], [-0.3, 0.2], [0.2, 0.1]],
                 [[0.194008, 0.066498], [-0.2, 0.5], [0.31587, -0.029681], [0.123209, 0.114085]]),
        "marked": (3.548183, [[0.430659, -0.083506], [0.264168, 0.289585], [-0.3, 0.2], [0.2, 0.1]],
                   [[0.194008, 0.066498], [-0.2, 0.5], [0.36587, 0.170319], [0.371959, 0.014585]]),
    },
]


def _step_batch(targets, contexts, negatives, lr, num_negatives):
    return (torch.tensor(targets), torch.tensor(contexts), torch.tensor(negatives), lr, num_negatives)


def _steps(impl, in_weight, out_weight, cases):
    check(callable(getattr(impl, "sgns_step", None)), "sgns_step is missing: define a function with exactly that name.")
    return impl.run(probes.sgns_step_cases, in_weight, out_weight, cases)


def _describe_step(targets, contexts, negatives, lr, num_negatives):
    shared = negatives.dim() == 1
    return (
        f"targets {targets.tolist()}, contexts {contexts.tolist()}, negatives {negatives.tolist()} "
        f"({'a pool shared by the batch' if shared else 'per pair'}), lr={lr}"
        + (f", num_negatives={num_negatives}" if num_negatives is not None else "")
    )


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    return torch.allclose(got.double(), want.double(), atol=1e-5, rtol=1e-4)


def _is_loss(value, *wanted) -> bool:
    return isinstance(value, float) and any(abs(value - w) < 1e-4 * max(1.0, abs(w)) for w in wanted)


@graded("sgns_step", points=1)
def test_sgns_step_worked_example(impl):
    in_w, out_w = torch.tensor(STEP_IN), torch.tensor(STEP_OUT)
    cases = [_step_batch(*example["batch"]) for example in STEP_EXAMPLES]
    results = _steps(impl, in_w, out_w, cases)
    for example, case, got in zip(STEP_EXAMPLES, cases, results):
        given_ = f"in_embed {STEP_IN}, out_embed {STEP_OUT}, " + _describe_step(*case)
        check(
            _is_loss(got["loss"], example["true"][0], example["marked"][0]),
            "sgns_step must return the batch's mean loss before the step, as a float.",
            given_,
            f"expected {example['true'][0]}, got {type(got['loss']).__name__} {show(got['loss'])}",
        )
        matches = [route for route in ("true", "marked")
                   if _close(got["in"], torch.tensor(example[route][1]))
                   and _close(got["out"], torch.tensor(example[route][2]))]
        check(
            matches,
            "sgns_step must update the tables by −lr × the gradient of the loss summed over the batch "
            "(repeated words add up; a shared pool's terms weigh num_negatives / M).",
            given_,
            f"expected in_embed {example['true'][1]}",
            f"got {show(got['in'])}",
            f"expected out_embed {example['true'][2]}",
            f"got {show(got['out'])}",
        )


@graded("sgns_step", points=1)
@given(st.integers(4, 8), st.integers(1, 4), st.integers(0, 1000), st.integers(1, 3), st.integers(2, 4))
def test_sgns_step_properties(impl, vocab_size, dim, seed, k, pool):
    gen = torch.Generator().manual_seed(seed)
    in_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    out_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    ids = torch.randint(0, vocab_size, (2, 2 + k), generator=gen)
    (t1, c1, *n1), (t2, c2, *n2) = ids.tolist()
    lr = 0.1
    noise = 3  # pair (0, 1) with the noise word 3 only: rows 2 and 4.. are in no role
    cases = [
        _step_batch([t1, t2], [c1, c2], [n1, n2], lr, None),  # 0: the batch
        _step_batch([t1], [c1], [n1], lr, None),  # 1, 2: each pair alone
        _step_batch([t2], [c2], [n2], lr, None),
        _step_batch([t1, t1], [c1, c1], [n1, n1], lr, None),  # 3: pair 1 twice
        _step_batch([t1], [c1], [n1], 2 * lr, None),  # 4: twice the learning rate
        _step_batch([0], [1], [[noise] * k], lr, None),  # 5: known roles
        _step_batch([t1, t2], [c1, c2], [noise] * pool, lr, k),  # 6: a pool of one repeated word ...
        _step_batch([t1, t2], [c1, c2], [[noise] * k] * 2, lr, None),  # 7: ... is k of it per pair
    ]
    results = _steps(impl, in_w, out_w, cases)
    given_ = f"float64 tables {vocab_size}×{dim} (seed {seed}), lr={lr}"
    for case, got in zip(cases, results):
        check(
            isinstance(got["loss"], float),
            "sgns_step must return the batch's mean loss as a float (use .item()).",
            f"{given_}, {_describe_step(*case)} → {type(got['loss']).__name__}",
        )
        check(
            got["in"].dtype == torch.float64 and got["out"].dtype == torch.float64,
            "sgns_step must update the tables in place, keeping their dtype.",
            f"{given_}: float64 tables → {got['in'].dtype}, {got['out'].dtype}",
        )
    delta = [(got["in"] - in_w, got["out"] - out_w) for got in results]

    def same(a, b):
        return torch.allclose(a[0], b[0], atol=1e-9) and torch.allclose(a[1], b[1], atol=1e-9)

    def plus(a, b, scale=1.0):
        return (a[0] + scale * b[0], a[1] + scale * b[1])

    check(
        same(delta[0], plus(delta[1], delta[2])),
        "sgns_step follows the gradient of the loss *summed* over the batch: the change a batch of "
        "two pairs makes must be the sum of the changes each pair makes alone.",
        f"{given_}: {_describe_step(*cases[0])}",
    )
    check(
        same(delta[3], plus(delta[1], delta[1])),
        "a pair listed twice in a batch must move the tables twice as far (repeated rows add up; "
        "w[ids] -= ... keeps only one of them).",
        f"{given_}: {_describe_step(*cases[3])}",
    )
    check(
        same(delta[4], plus(delta[1], delta[1])),
        "the step must be −lr × the gradient: twice the learning rate, twice the change.",
        f"{given_}: {_describe_step(*cases[1])} and lr={2 * lr}",
    )
    d_in, d_out = delta[5]
    moved_in = [i for i in range(vocab_size) if d_in[i].abs().max() > 0]
    moved_out = [i for i in range(vocab_size) if d_out[i].abs().max() > 0]
    check(
        moved_in == [0] and moved_out == [1, noise],
        "sgns_step must change the target's in_embed row and the out_embed rows of the context and "
        "of the noise words, and nothing else.",
        f"{given_}: {_describe_step(*cases[5])}",
        f"rows changed: in_embed {moved_in} (expected [0]), out_embed {moved_out} (expected [1, {noise}])",
    )
    check(
        same(delta[6], delta[7]) and _is_loss(results[6]["loss"], results[7]["loss"]),
        "a pool of M noise words shared by the batch must weigh each term num_negatives / M: a pool of "
        "one word repeated M times with num_negatives=k must act as k copies of it per pair.",
        f"{given_}: {_describe_step(*cases[6])} and {_describe_step(*cases[7])}",
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
@given(st.integers(2, 8), st.integers(1, 4), st.integers(0, 9), st.integers(0, 1000), st.floats(0.1, 10),
       st.sampled_from([torch.float32, torch.float64]))
def test_similar_properties(impl, vocab_size, dim, k, seed, scale, dtype):
    gen = torch.Generator().manual_seed(seed)
    emb = torch.randn(vocab_size, dim, generator=gen).to(dtype)
    saved = emb.clone()
    stoi = {f"w{i}": i for i in range(vocab_size)}
    goal = "w0"
    out = call("k_most_similar", impl, goal, emb, stoi, k)
    given_ = f"goal 'w0', embeddings {describe(emb)} (seed {seed}), k={k}"
    check(torch.equal(emb, saved), "k_most_similar must not change the embeddings it is given.", given_)
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
