"""Graders for HW7-Q7, skip-gram word embeddings: from text to training pairs
(tokenize, Vocabulary, make_training_pairs; module hw7/word2vec).

Worked examples (expected values worked out ahead and stored as data), then
properties over generated inputs. Where the handout leaves a choice open
(the order of the vocabulary, the order of the pairs) the core tests accept
every choice; the order the docstring narrows it to has a test and points of
its own. tokenize runs with nltk's data path emptied (word2vec_probes), so
its grade is the same on every machine, with or without nltk's downloads.
"""
from __future__ import annotations

from collections import Counter

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import check, describe, fail, graded, show
from graders.hw7 import word2vec_support as support
from graders.hw7 import word2vec_probes as probes

MODULE = "hw7/word2vec"
TOY = "I love to learn deep learning. It is fascinating!"


# --------------------------------------------------------------------------
# tokenize


def _tokenize(impl, *texts: str) -> list:
    """impl.tokenize on each text, without nltk's downloaded data."""
    check(callable(getattr(impl, "tokenize", None)), "tokenize is missing: define a function with exactly that name.")
    outs = []
    for text, got in zip(texts, impl.run(probes.tokenize_cases, list(texts))):
        if "needs_data" in got:
            fail(
                "tokenize must work without nltk's downloaded data (punkt), which the graders do not have, "
                "so that it is graded the same on every machine: word_tokenize(text, preserve_line=True) "
                "needs none.",
                f"tokenize({text!r}): nltk raised LookupError: {got['needs_data']}",
            )
        outs.append(got["out"])
    return outs


@graded("tokenize", points=1)
def test_tokenize_worked_example(impl):
    (out,) = _tokenize(impl, TOY)
    want = [["i", "love", "to", "learn", "deep", "learning"], ["it", "is", "fascinating"]]
    check(out == want, f"tokenize({TOY!r}) must be {want}.", f"got {show(out)}")


@graded("tokenize", points=1)
@given(support.sentences_strategy, st.lists(st.sampled_from(".!?"), min_size=4, max_size=4), st.booleans())
def test_tokenize_properties(impl, sentences, ends, commas):
    separator = " , " if commas else " "
    text = " ".join(separator.join(s) + ends[n] for n, s in enumerate(sentences))
    (out,) = _tokenize(impl, text)
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
VOCAB_COUNTS = {"the": 3, "cat": 1, "and": 2, "hat": 1, "bat": 1}


def _vocab_views(vocab) -> tuple[list, dict, list]:
    return list(vocab.itos), dict(vocab.stoi), list(vocab.counts)


def _check_consistent(vocab, given_: str, counts_of: dict) -> None:
    """The order-free part of the contract: which words, their indices and counts."""
    itos, stoi, counts = _vocab_views(vocab)
    check(
        len(itos) == len(set(itos)) and set(itos) == set(counts_of),
        "Vocabulary.itos must hold each word seen at least min_count times, once.",
        f"{given_}.itos: expected the words {sorted(counts_of)} (any order), got {show(itos)}",
    )
    check(
        stoi == {w: i for i, w in enumerate(itos)} and len(vocab) == len(itos),
        "Vocabulary.stoi must map each word of itos to its index in itos, and len(vocab) count the words.",
        f"{given_}: itos {show(itos)}, stoi {show(stoi)}, len {len(vocab)}",
    )
    check(
        len(counts) == len(itos) and {w: counts[i] for i, w in enumerate(itos)} == counts_of,
        "Vocabulary.counts[i] must be how often itos[i] occurs in the corpus.",
        f"{given_}: itos {show(itos)}, counts {show(counts)}; expected {counts_of}",
    )


@graded("Vocabulary", points=1)
def test_vocabulary_worked_example(impl):
    vocab = impl.Vocabulary(VOCAB_WORDS)
    given_ = f"Vocabulary({VOCAB_WORDS})"
    _check_consistent(vocab, given_, VOCAB_COUNTS)
    stoi = dict(vocab.stoi)
    check(vocab["and"] == stoi["and"], "vocab[word] must be the word's index.", f"{given_}['and'] → {show(vocab['and'])}")
    check("hat" in vocab and "zzz" not in vocab, "`word in vocab` must test membership.",
          f"{given_}: 'hat' in vocab → {'hat' in vocab}, 'zzz' in vocab → {'zzz' in vocab}")
    kept = impl.Vocabulary(VOCAB_WORDS, min_count=2)
    _check_consistent(kept, f"Vocabulary({VOCAB_WORDS}, min_count=2)", {"the": 3, "and": 2})
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
        given_ = f"Vocabulary({words}" + (f", min_count={m})" if m > 1 else ")")
        frequent = {w: n for w, n in Counter(words).items() if n >= m}
        _check_consistent(vocab, given_, frequent)
        check(
            all(w in vocab for w in frequent) and "zzz" not in vocab,
            "`word in vocab` must be true exactly for the words kept.",
            given_,
        )


@graded("Vocabulary", points=1)
@given(st.lists(st.sampled_from(support.WORDS), min_size=1, max_size=20))
def test_vocabulary_order(impl, words):
    # The docstring's contract: a reproducible order given by the corpus alone
    # (never set() order, which changes from run to run).
    itos = list(impl.Vocabulary(words).itos)
    first = list(dict.fromkeys(words))
    by_count = [w for w, _ in Counter(words).most_common()]
    check(
        itos in (first, by_count),
        "Vocabulary.itos must follow the order of first appearance in the corpus, or of decreasing "
        "count with ties in order of first appearance (Counter.most_common, as gensim does).",
        f"Vocabulary({words}).itos → {show(itos)}",
        f"first appearance: {first}; by count: {by_count}",
    )


# --------------------------------------------------------------------------
# make_training_pairs


def _pairs(impl, words, cases):
    # The graders' own vocabulary (an instance of the student's Vocabulary
    # class, built in the worker, its ids in reverse order), so a Vocabulary
    # mistake is not charged here too.
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


def _bag(out) -> Counter:
    """The pairs as a multiset: the order of the pairs is not part of these checks."""
    return Counter(tuple(p) for p in out.tolist())


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
        _bag(small) == Counter([(a, b), (b, a), (b, c), (c, b)]),
        "make_training_pairs([['a', 'b', 'c']], vocab, 1) must give the pairs (a, b), (b, a), (b, c), "
        "(c, b) as ids, in any order.",
        f"with a={a}, b={b}, c={c}: got {show(small)}",
    )
    (out, empty), stoi = _pairs(impl, PAIRS_WORDS, [(PAIRS_SENTENCES, 2), ([["on"], ["the"]], 3)])
    given_ = f"make_training_pairs({PAIRS_SENTENCES}, vocab of {PAIRS_WORDS}, 2)"
    _check_pairs_tensor(out, given_)
    itos = {i: w for w, i in stoi.items()}
    got = [(itos.get(t, t), itos.get(c, c)) for t, c in out.tolist()]
    check(
        Counter(got) == Counter(PAIRS_EXPECTED),
        "make_training_pairs must list every (target, context) within window_size positions on each "
        "side, in the same sentence, after removing unknown words (each pair as often as it occurs; "
        "the order is checked on its own).",
        given_,
        f"expected (as words, in any order) {sorted(PAIRS_EXPECTED)}",
        f"got {sorted(got, key=str)}",
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
        _bag(out) == Counter((c, t) for t, c in pairs),
        "the context relation is symmetric: every (target, context) pair must come with (context, target).",
        f"{given_} → {show(out)}",
    )
    check(
        _bag(out) == _bag(without_unknown),
        "words missing from the vocabulary must be removed before windowing: removing them from the "
        "sentences first must give the same pairs.",
        given_,
        f"with them {show(out)}, without them {show(without_unknown)}",
    )
    check(
        _bag(out) == sum((_bag(each) for each in alone), Counter()),
        "windows stop at sentence ends: the pairs of several sentences must be those of each sentence "
        "on its own, put together.",
        given_,
        f"all together {show(out)}, one by one {[show(each) for each in alone]}",
    )
    # One sentence of distinct words: each id tells its position.
    position = {stoi[w]: i for i, w in enumerate(words)}
    spans = [(position[t], position[c]) for t, c in distinct.tolist()]
    given_ = f"the sentence {words} (distinct words), window_size={window}"
    check(
        all(0 < abs(i - j) <= window for i, j in spans) and len(set(spans)) == len(spans)
        and len(spans) == _pair_count([len(words)], window),
        "make_training_pairs must pair each word with every word at most window_size positions away, once.",
        f"{given_} → (target, context) positions {spans}",
    )


@graded("make_training_pairs", points=1)
@given(support.sentences_strategy, st.integers(1, 4))
def test_pairs_order(impl, sentences, window):
    # The docstring's order: by sentence, then target position (the contexts
    # of one target may come in any order: left to right, centre outwards).
    distinct = [[f"{w}{n}_{i}" for i, w in enumerate(s)] for n, s in enumerate(sentences)]
    words = [w for s in distinct for w in s]
    (out,), stoi = _pairs(impl, words, [(distinct, window)])
    _check_pairs_tensor(out, f"sentences {distinct}, window_size={window}")
    place = {stoi[w]: (n, i) for n, s in enumerate(distinct) for i, w in enumerate(s)}
    targets = [place.get(t, (-1, -1)) for t, _ in out.tolist()]
    check(
        targets == sorted(targets),
        "make_training_pairs must order its pairs by sentence, then by target position (a target's "
        "contexts may come in any order).",
        f"sentences {distinct}, window_size={window}",
        f"(sentence, target position) of each pair: {targets}",
    )
