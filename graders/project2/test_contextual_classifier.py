"""Graders for P2-Q3, contextual embeddings + an RNN (module
project2/contextual_classifier): the functions on text, states and
predictions (preprocess_tweet, masked_pool, evaluate). The encoder and the
head are graded in test_contextual_classifier_model.py.

Exact values are checked on the handout's worked examples, stored below as
data; on drawn inputs the graders check properties, comparing the
student's functions with themselves.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call_keeping_inputs, check, check_like, describe, graded, show
from graders.project2 import contextual_classifier_support as support

MODULE = "project2/contextual_classifier"

# --------------------------------------------------------------------------
# preprocess_tweet: the handout's examples, stored, one rule each.
RULE_EXAMPLES = [  # (rule, tweet, preprocessed)
    ("mentions become <user>, URLs <url>, lower case, punctuation deleted",
     "@User_1 check THIS out http://t.co/AbC?x=1 !!!", "<user> check this out <url>"),
    ("HTML entities are decoded first (&amp; is '&', punctuation, deleted)", "RT @a_b: you &amp; me", "rt <user> you me"),
    ("each emoji character becomes its own <emoji> token, a separate word", "I'm SO happy😂😂",
     "im so happy <emoji> <emoji>"),
    ("☀ (U+2600) is an emoji; the invisible U+FE0F and the '#' are deleted", "☀️ sunny #Weekend",
     "<emoji> sunny weekend"),
    ("URLs come before mentions: the '@' inside a URL stays part of the one <url>", "http://a.b/@x", "<url>"),
    ("'@' followed by word characters is a mention wherever it stands; 'www.' starts a URL",
     "mail a@b.com www.X.org/p", "mail a <user> com <url>"),
    ("punctuation is deleted, not replaced by a space", "don't... stop!!", "dont stop"),
    ("whitespace is collapsed: nothing at either end", "   ", ""),
    ("a token already in the text stays that token (and becomes a separate word)", "a<user>b <URL>",
     "a <user> b <url>"),
    ("https URLs too, and several spaces or a newline are one space", "HTTPS://X.Y/Z  hello\n\nWORLD 1",
     "<url> hello world 1"),
]


@graded("preprocess_tweet", points=2)
def test_ctx_preprocess_worked_examples(impl):
    for rule, tweet, want in RULE_EXAMPLES:
        got = support.text_of(impl, tweet)
        check(got == want, f"preprocess_tweet: {rule}.", f"preprocess_tweet({tweet!r}) → {got!r}, expected {want!r}")


@graded("preprocess_tweet", points=1)
@settings(max_examples=40)
@given(support.tweets())
def test_ctx_preprocess_counts_tokens(impl, tweet):
    text = tweet["text"]
    got = support.text_of(impl, text)
    words = got.split(" ")
    counts = {"urls": words.count("<url>"), "mentions": words.count("<user>"), "emojis": words.count("<emoji>")}
    want = {k: tweet[k] for k in counts}
    check(counts == want,
          "every URL must become one <url>, every mention one <user>, every emoji character one <emoji>, each a "
          "word of its own.",
          f"preprocess_tweet({text!r}) → {got!r}", f"the tweet holds {want}; the result {counts}")


@graded("preprocess_tweet", points=1.5)
@settings(max_examples=40)
@given(support.tweets())
def test_ctx_preprocess_clean_and_idempotent(impl, tweet):
    text = tweet["text"]
    got = support.text_of(impl, text)
    bad = support.bad_words(got)
    check(not bad and got == got.strip() and "  " not in got,
          "the result must hold only the tokens and lower-case alphanumeric words, separated by single spaces, "
          "nothing at either end.", f"preprocess_tweet({text!r}) → {got!r}; words not allowed: {bad}")
    again = support.text_of(impl, got)
    check(again == got, "preprocessing twice must change nothing: preprocess_tweet(preprocess_tweet(t)) == "
          "preprocess_tweet(t).", f"preprocess_tweet({text!r}) → {got!r}; once more → {again!r}")


# --------------------------------------------------------------------------
# masked_pool: the handout's example, stored.
POOL_STATES = [[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]]
POOL_MASK = [[1, 1, 0], [1, 1, 1]]
POOL_WANT = [[2.0, 3.0], [7.0, 8.0]]


def _pool(impl, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = call_keeping_inputs("masked_pool", impl, states, mask, names=("states", "attention_mask"))
    check(isinstance(out, torch.Tensor) and tuple(out.shape) == (states.shape[0], states.shape[2]),
          "masked_pool must return an (N, D) tensor: one vector per row.",
          f"states {describe(states)}, attention_mask {describe(mask)} → {describe(out)}")
    return out


@graded("masked_pool", points=1)
def test_ctx_pool_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        for mask_dtype in (torch.int64, torch.bool, torch.float32):
            states, mask = torch.tensor(POOL_STATES, dtype=dtype), torch.tensor(POOL_MASK).to(mask_dtype)
            got = _pool(impl, states, mask)
            check(support.close(got, torch.tensor(POOL_WANT), dtype),
                  f"masked_pool is the mean over each row's real tokens only: {POOL_WANT} for the handout's example "
                  "(the padded [100, 100] does not count), for an int64, bool or float mask.",
                  f"states {show(states)} ({describe(states)}), attention_mask {show(mask)} ({describe(mask)}) → "
                  f"{show(got)}")


@graded("masked_pool", points=1.5)
@settings(max_examples=25)
@given(support.state_batches(), st.integers(0, 2**16))
def test_ctx_pool_ignores_padding(impl, case, seed):
    states, mask = case
    base = _pool(impl, states, mask)
    other = states.clone()
    gen = torch.Generator().manual_seed(seed)
    noise = (torch.randn(states.shape, generator=gen, dtype=torch.float64) * 1e3).to(states.dtype)
    other[mask == 0] = noise[mask == 0]
    changed = _pool(impl, other, mask)
    given_ = f"states {describe(states)}, attention_mask {show(mask)}"
    check(support.close(base, changed, states.dtype),
          "the values at padded positions (mask 0) must never matter: other garbage there, the same output.",
          f"{given_} → {show(base)}; other values at the padded positions → {show(changed)}")
    extra = (torch.randn(states.shape[0], 5, states.shape[2], generator=gen, dtype=torch.float64) * 1e2)
    longer = torch.cat([states, extra.to(states.dtype)], dim=1)
    longer_mask = torch.cat([mask, torch.zeros(mask.shape[0], 5, dtype=mask.dtype)], dim=1)
    padded = _pool(impl, longer, longer_mask)
    check(support.close(base, padded, states.dtype),
          "the output must not depend on the padding length: five more padded positions, the same output.",
          f"{given_} → {show(base)}; padded to length {longer.shape[1]} → {show(padded)}")
    for i in range(states.shape[0]):
        alone = _pool(impl, states[i:i + 1, : int(mask[i].sum())], mask[i:i + 1, : int(mask[i].sum())])
        check(support.close(alone[0], base[i], states.dtype),
              "a row must pool to the same vector alone and without its padding as in the batch.",
              f"{given_}: row {i} in the batch → {show(base[i])}, alone without padding → {show(alone[0])}")


@graded("masked_pool", points=0.5)
@settings(max_examples=15)
@given(support.state_batches())
def test_ctx_pool_all_real_is_mean(impl, case):
    states, _ = case
    mask = torch.ones(states.shape[:2], dtype=torch.int64)
    got = _pool(impl, states, mask)
    scaled = _pool(impl, states * 2 + 1, mask)
    check(support.close(scaled, got * 2 + 1, states.dtype),
          "with every token real masked_pool is a mean over the positions: pooling 2·states + 1 gives "
          "2·pooled + 1.", f"states {describe(states)}, all real → {show(got)}; 2·states + 1 → {show(scaled)}")
    single = _pool(impl, states[:, :1], mask[:, :1])
    check(support.close(single, states[:, 0], states.dtype),
          "a sentence of one real token pools to that token's vector.",
          f"states {show(states[:, :1])}, mask all 1 → {show(single)}")


@graded("masked_pool", points=0.5, secondary=True)
def test_ctx_pool_dtype_and_empty_row(impl):
    for dtype in (torch.float32, torch.float64):
        states = torch.tensor(POOL_STATES, dtype=dtype)
        mask = torch.tensor([[1, 1, 0], [0, 0, 0]])
        out = _pool(impl, states, mask)
        check_like("masked_pool", out, states, f"states {describe(states)}, attention_mask int64 (2, 3)",
                   shape=(2, 2))
        check(bool(torch.isfinite(out).all()) and out[1].abs().sum() == 0,
              "a row without any real token must pool to zeros (no division by zero, no NaN).",
              f"states {show(states)}, attention_mask {show(mask)} → {show(out)}")


# --------------------------------------------------------------------------
# evaluate: the handout's example, stored.
EVAL_TARGET = [0, 0, 1, 1, 1, 2]
EVAL_PRED = [0, 1, 1, 1, 2, 1]
EVAL_CONFUSION = [[1, 1, 0], [0, 2, 1], [0, 1, 0]]
EVAL_PRECISION = [1.0, 0.5, 0.0]
EVAL_RECALL = [0.5, 2 / 3, 0.0]
EVAL_F1 = [2 / 3, 4 / 7, 0.0]
EVAL_MACRO = (2 / 3 + 4 / 7) / 3
EVAL_ACCURACY = 0.5


def _near(a, b) -> bool:
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64).cpu(), torch.as_tensor(b, dtype=torch.float64),
                          atol=1e-9)


@graded("evaluate", points=1.5)
def test_ctx_evaluate_worked_example(impl):
    pred, target = torch.tensor(EVAL_PRED), torch.tensor(EVAL_TARGET)
    out = support.report(impl, pred, target, 3)
    given_ = f"evaluate(pred={EVAL_PRED}, target={EVAL_TARGET}, n_classes=3)"
    check(out["confusion"].tolist() == EVAL_CONFUSION,
          f"confusion[i, j] counts the examples of true class i predicted as j (rows: the truth): {EVAL_CONFUSION}.",
          f"{given_} → confusion {show(out['confusion'])}")
    for key, want in (("precision", EVAL_PRECISION), ("recall", EVAL_RECALL), ("f1", EVAL_F1)):
        check(_near(out[key], want),
              "precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R), 0 where a denominator is "
              f"0: {key} {[round(v, 4) for v in want]} here.", f"{given_} → {key} {show(out[key])}")
    check(abs(out["macro_f1"] - EVAL_MACRO) < 1e-9 and abs(out["accuracy"] - EVAL_ACCURACY) < 1e-9,
          f"macro_f1 is the mean of the C per-class F1 ({EVAL_MACRO:.4f}), accuracy the share of correct "
          f"predictions ({EVAL_ACCURACY}).", f"{given_} → macro_f1 {out['macro_f1']:.6f}, accuracy {out['accuracy']}")


@graded("evaluate", points=1.5)
@given(support.predictions())
def test_ctx_evaluate_properties(impl, case):
    pred, target, c = case
    out = support.report(impl, pred, target, c)
    given_ = f"evaluate(pred={pred.tolist()}, target={target.tolist()}, n_classes={c})"
    conf = out["confusion"].long().cpu()
    check(torch.equal(conf.sum(1), torch.bincount(target, minlength=c))
          and torch.equal(conf.sum(0), torch.bincount(pred, minlength=c)),
          "each row of the confusion matrix must sum to that class's count in target, each column to its count "
          "in pred.", f"{given_} → confusion {show(conf)}")
    check(abs(out["accuracy"] - conf.diag().sum().item() / len(target)) < 1e-9,
          "accuracy is the trace of the confusion matrix over the number of examples.",
          f"{given_} → accuracy {out['accuracy']}, confusion {show(conf)}")
    p, r, f = (out[k].double().cpu() for k in ("precision", "recall", "f1"))
    check(bool(((p >= 0) & (p <= 1) & (r >= 0) & (r <= 1) & (f >= 0) & (f <= torch.maximum(p, r) + 1e-12)).all())
          and abs(out["macro_f1"] - f.mean().item()) < 1e-9,
          "precision, recall and F1 lie in [0, 1], F1 between the two (a harmonic mean), and macro_f1 is the "
          "plain mean of the per-class F1.", f"{given_} → precision {show(p)}, recall {show(r)}, f1 {show(f)}, "
          f"macro_f1 {out['macro_f1']}")
    perm = torch.randperm(c, generator=torch.Generator().manual_seed(c + len(target)))
    renamed = support.report(impl, perm[pred], perm[target], c)
    check(torch.equal(renamed["confusion"].long().cpu()[perm][:, perm], conf)
          and _near(renamed["f1"].double().cpu()[perm], f),
          "evaluate must treat every class alike: renaming the classes permutes the confusion matrix and the "
          "per-class scores the same way.", f"{given_}, classes renamed by {perm.tolist()} → confusion "
          f"{show(renamed['confusion'])}, f1 {show(renamed['f1'])}")
    perfect = support.report(impl, target, target, c)
    present = torch.bincount(target, minlength=c) > 0
    check(_near(perfect["f1"].double().cpu(), present.double()) and perfect["accuracy"] == 1.0,
          "perfect predictions give F1 1 for every class that occurs and 0 for a class that never occurs.",
          f"evaluate(pred=target={target.tolist()}, n_classes={c}) → f1 {show(perfect['f1'])}")


@graded("evaluate", points=0.5, secondary=True)
def test_ctx_evaluate_dtypes_and_zero_division(impl):
    out = support.report(impl, torch.tensor([0, 0, 0]), torch.tensor([0, 0, 1]), 3)
    check(out["confusion"].dtype == torch.int64 and all(out[k].dtype == torch.float64 for k in ("precision", "recall", "f1")),
          "confusion must be int64, precision, recall and f1 float64.",
          f"evaluate(pred=[0, 0, 0], target=[0, 0, 1], 3) → confusion {describe(out['confusion'])}, precision "
          f"{describe(out['precision'])}, recall {describe(out['recall'])}, f1 {describe(out['f1'])}")
    check(all(bool(torch.isfinite(out[k]).all()) for k in ("precision", "recall", "f1"))
          and _near(out["precision"], [2 / 3, 0, 0]) and _near(out["recall"], [1, 0, 0]),
          "a class never predicted has precision 0 (not NaN); a class that never occurs has recall 0.",
          f"evaluate(pred=[0, 0, 0], target=[0, 0, 1], 3) → precision {show(out['precision'])}, recall "
          f"{show(out['recall'])}")
