"""Graders for P2-Q2, character-level text generation (module project2/char_rnn):
the vocabulary, the training sequences and the losses (CharVocab,
make_sequences, focal_loss, kl_loss). The model and generate are graded in
test_char_rnn_model.py.

Exact values are checked on the handout's worked examples, stored below as
numbers; on drawn inputs the graders check properties, comparing the
student's functions with themselves and with torch's own cross-entropy.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, call_keeping_inputs, check, check_like, describe, fail, graded, show
from graders.project2 import char_rnn_support as support

MODULE = "project2/char_rnn"

# --------------------------------------------------------------------------
# CharVocab: the handout's example, stored.
HELLO = "Hello, World!"
HELLO_CHARS = [" ", "!", ",", "d", "e", "h", "l", "o", "r", "w"]
HELLO_IDS = [5, 4, 6, 6, 7]  # encode("hello"), and encode("Hello")
WORLD_IDS = [9, 7, 8, 6, 3]  # decode → "world"
CASED_CHARS = [" ", "!", ",", "H", "W", "d", "e", "l", "o", "r"]
CASED_HELLO = [3, 6, 7, 7, 8]


def _vocab(impl, text: str, lowercase: bool | None = None):
    args = (text,) if lowercase is None else (text, lowercase)
    return call("CharVocab", impl, *args)


def _ids(out, what: str) -> list[int]:
    check(isinstance(out, torch.Tensor) and out.dtype == torch.int64 and out.dim() == 1,
          "CharVocab.encode must return a 1-D int64 tensor of ids, one per character.", f"{what} → {describe(out)}")
    return out.tolist()


@graded("CharVocab", points=1.5)
def test_char_vocab_worked_example(impl):
    vocab = _vocab(impl, HELLO)
    chars = list(vocab.chars)
    check(chars == HELLO_CHARS and len(vocab) == 10,
          "CharVocab's chars are the distinct characters of the lower-cased text, sorted by code point "
          f"(the space first): {HELLO_CHARS} for {HELLO!r}, and len(vocab) is their number, 10.",
          f"CharVocab({HELLO!r}) → chars {chars}, len {len(vocab)}")
    for text in ("hello", "Hello"):
        got = _ids(vocab.encode(text), f"encode({text!r})")
        check(got == HELLO_IDS, f"encode gives each character's id in chars (lower-casing first): {HELLO_IDS} "
              f"for {text!r}.", f"CharVocab({HELLO!r}).encode({text!r}) → {got}")
    for ids in (WORLD_IDS, torch.tensor(WORLD_IDS)):
        got = vocab.decode(ids)
        check(got == "world", "decode turns ids (a list or a 1-D tensor) back into their string: 'world' for "
              f"{WORLD_IDS}.", f"decode({show(ids)}) → {got!r}")
    cased = _vocab(impl, HELLO, False)
    chars = list(cased.chars)
    got = _ids(cased.encode("Hello"), "encode('Hello')")
    check(chars == CASED_CHARS and got == CASED_HELLO,
          f"with lowercase=False the case is kept (upper case sorts first): chars {CASED_CHARS}, encode('Hello') "
          f"{CASED_HELLO}.", f"CharVocab({HELLO!r}, lowercase=False) → chars {chars}, encode('Hello') {got}")


@graded("CharVocab", points=1)
@settings(max_examples=15)
@given(support.texts(), st.booleans())
def test_char_vocab_properties(impl, text, lowercase):
    vocab = _vocab(impl, text, lowercase)
    seen = text.lower() if lowercase else text
    chars = list(vocab.chars)
    given_ = f"CharVocab({text!r}, lowercase={lowercase})"
    check(chars == sorted(chars) and len(set(chars)) == len(chars) and len(vocab) == len(chars),
          "chars must be sorted and distinct, and len(vocab) their number.", f"{given_} → chars {chars}, len {len(vocab)}")
    check(set(chars) == set(seen),
          "chars must hold every character of the text (lower-cased when lowercase) and nothing else.",
          f"{given_} → chars {chars}")
    ids = _ids(vocab.encode(text), f"{given_}.encode({text!r})")
    check(len(ids) == len(text) and all(chars[i] == c for i, c in zip(ids, seen)),
          "encode must give, for each character, its index in chars.", f"{given_}.encode({text!r}) → {ids}")
    back = vocab.decode(torch.tensor(ids))
    check(back == seen, "decode(encode(text)) must give the text back (lower-cased when lowercase).",
          f"{given_}: encode → {ids}, decode → {back!r}")
    check(list(_vocab(impl, text[::-1], lowercase).chars) == chars,
          "the ids must not depend on the order of the text: the reversed text gives the same chars.",
          f"{given_} → {chars}; reversed → {list(_vocab(impl, text[::-1], lowercase).chars)}")


@graded("CharVocab", points=1)
def test_char_vocab_unknown_character(impl):
    vocab = _vocab(impl, "abc abc")
    for text, bad in (("abz", "z"), ("a.b", ".")):
        try:
            out = vocab.encode(text)
        except ValueError as exc:
            check(bad in str(exc), "the ValueError for a character not in the vocabulary must name it.",
                  f"CharVocab('abc abc').encode({text!r}) → ValueError({str(exc)!r})")
        else:
            fail("encode must raise ValueError for a character not in the vocabulary (not skip it, not give it "
                 "an id).", f"CharVocab('abc abc').encode({text!r}) → {show(out)}")


@graded("CharVocab", points=0.5, secondary=True)
def test_char_vocab_empty_text_encodes_empty(impl):
    out = _vocab(impl, "ab").encode("")
    check(isinstance(out, torch.Tensor) and out.dtype == torch.int64 and tuple(out.shape) == (0,),
          "encode('') must return an empty int64 tensor of shape (0,).", f"CharVocab('ab').encode('') → {describe(out)}")


# --------------------------------------------------------------------------
# make_sequences: the handout's examples, stored.
WORKED_SEQUENCES = [  # (T, seq_length, inputs, targets) for ids 0, 1, …, T − 1
    (10, 3, [[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
    (9, 3, [[0, 1, 2], [3, 4, 5]], [[1, 2, 3], [4, 5, 6]]),
    (5, 4, [[0, 1, 2, 3]], [[1, 2, 3, 4]]),
    (3, 1, [[0], [1]], [[1], [2]]),
]


def _sequences(impl, ids: torch.Tensor, seq_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    out = call_keeping_inputs("make_sequences", impl, ids, seq_length, names=("ids",))
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)):
        fail("make_sequences must return a pair (inputs, targets) of tensors.",
             f"ids {show(ids)}, seq_length {seq_length} → {describe(out)}")
    return out[0], out[1]


@graded("make_sequences", points=1.5)
def test_char_sequences_worked_examples(impl):
    for t, length, want_in, want_out in WORKED_SEQUENCES:
        inputs, targets = _sequences(impl, torch.arange(t), length)
        check(inputs.tolist() == want_in and targets.tolist() == want_out,
              "make_sequences cuts non-overlapping chunks of seq_length ids (stride seq_length), (T − 1) // L of "
              "them, each with its targets shifted by one.",
              f"ids 0..{t - 1}, seq_length {length}: expected inputs {want_in}, targets {want_out}",
              f"got inputs {show(inputs)}, targets {show(targets)}")


@graded("make_sequences", points=1.5)
@given(support.id_tensors())
def test_char_sequences_properties(impl, case):
    ids, length = case
    inputs, targets = _sequences(impl, ids, length)
    n = (len(ids) - 1) // length
    given_ = f"ids {show(ids)} (T = {len(ids)}), seq_length {length}"
    check(tuple(inputs.shape) == (n, length) and tuple(targets.shape) == (n, length),
          "make_sequences must return (N, L) inputs and targets with N = (T − 1) // L.",
          f"{given_} → inputs {describe(inputs)}, targets {describe(targets)}, expected N = {n}")
    check(torch.equal(inputs.reshape(-1).cpu(), ids[: n * length]),
          "the inputs are the ids cut into consecutive chunks: read row after row they are the first N·L ids.",
          f"{given_} → inputs {show(inputs)}")
    check(torch.equal(targets.reshape(-1).cpu(), ids[1: n * length + 1]),
          "targets[i, t] must be the id after inputs[i, t] in the corpus (targets shifted by one).",
          f"{given_} → inputs {show(inputs)}, targets {show(targets)}")


@graded("make_sequences", points=0.5)
def test_char_sequences_bad_lengths(impl):
    for t, length in ((5, 0), (5, 5), (3, 7), (1, 1)):
        try:
            _sequences(impl, torch.arange(t), length)
        except ValueError as exc:
            check("seq_length" in str(exc), "make_sequences's ValueError must name seq_length.",
                  f"ids 0..{t - 1}, seq_length {length} → ValueError({str(exc)!r})")
        else:
            fail("make_sequences must raise ValueError when seq_length < 1 or the ids are too short for one "
                 "sequence (T <= seq_length).", f"ids 0..{t - 1}, seq_length {length} raised nothing")


@graded("make_sequences", points=0.5, secondary=True)
def test_char_sequences_dtype_and_device(impl):
    ids = torch.arange(11, device=default_device())
    inputs, targets = _sequences(impl, ids, 4)
    check_like("make_sequences", inputs, ids, "ids: int64 (11,), seq_length 4: inputs", shape=(2, 4))
    check_like("make_sequences", targets, ids, "ids: int64 (11,), seq_length 4: targets", shape=(2, 4))


# --------------------------------------------------------------------------
# the losses: the handout's example, stored.
LOGITS = [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
TARGETS = [0, 0]
WORKED_FOCAL = {0.0: 0.8954947400769679, 1.0: 0.6368277417184485, 2.0: 0.48718625937669696}
SOFT = [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]
WORKED_KL = 0.5489211497969952


def _loss(impl, fn: str, *args, names: tuple[str, ...]) -> float:
    out = call_keeping_inputs(fn, impl, *args, names=names)
    return support.scalar(out, fn, ", ".join(f"{n} {describe(a)}" for n, a in zip(names, args)))


@graded("focal_loss", points=1.5)
def test_char_focal_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        for shape in ((2, 3), (1, 2, 3)):
            logits, targets = torch.tensor(LOGITS, dtype=dtype).reshape(shape), torch.tensor(TARGETS).reshape(shape[:-1])
            for gamma, want in WORKED_FOCAL.items():
                got = _loss(impl, "focal_loss", logits, targets, gamma, names=("logits", "targets", "gamma"))
                check(support.close(got, want, dtype),
                      "focal_loss is the mean over positions of −(1 − p_t)^γ · log p_t, classes on the last axis: "
                      f"{want:.5f} for the handout's example with γ = {gamma:g}.",
                      f"logits {show(logits)} ({str(dtype).removeprefix('torch.')}), targets {show(targets)}, "
                      f"gamma {gamma:g} → {got:.6f}")


@graded("focal_loss", points=1)
@given(support.logit_cases())
def test_char_focal_gamma_zero_is_cross_entropy(impl, case):
    logits, targets = case
    got = _loss(impl, "focal_loss", logits, targets, 0.0, names=("logits", "targets", "gamma"))
    flat = logits.reshape(-1, logits.shape[-1]).double()
    want = F.cross_entropy(flat, targets.reshape(-1)).item()
    check(support.close(got, want, logits.dtype),
          "with γ = 0 focal_loss must be the cross-entropy, averaged over every position (classes on the last "
          "axis, also for (N, L, C) logits).",
          f"logits {show(logits)}, targets {show(targets)}, gamma 0 → {got:.6f}; torch's cross-entropy {want:.6f}")


@graded("focal_loss", points=1)
@settings(max_examples=15)
@given(support.logit_cases(), st.sampled_from([0.5, 1.0, 2.0, 5.0]))
def test_char_focal_down_weights_easy_examples(impl, case, gamma):
    logits, targets = case
    names = ("logits", "targets", "gamma")
    given_ = f"logits {show(logits)}, targets {show(targets)}"
    ce = _loss(impl, "focal_loss", logits, targets, 0.0, names=names)
    focal = _loss(impl, "focal_loss", logits, targets, gamma, names=names)
    stronger = _loss(impl, "focal_loss", logits, targets, gamma + 1, names=names)
    check(0 <= stronger <= focal < ce,
          "the factor (1 − p_t)^γ < 1 shrinks every term: the loss must fall as γ grows (and stay >= 0).",
          f"{given_}: γ = 0 → {ce:.6g}, γ = {gamma:g} → {focal:.6g}, γ = {gamma + 1:g} → {stronger:.6g}")
    easy = logits.clone()
    flat_easy, flat_t = easy.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    flat_easy[0, flat_t[0]] += 8.0  # the first position becomes easy
    before = _loss(impl, "focal_loss", logits, targets, gamma, names=names)
    after = _loss(impl, "focal_loss", easy, targets, gamma, names=names)
    rows = flat_t.numel()
    first = _loss(impl, "focal_loss", logits.reshape(-1, logits.shape[-1])[:1], flat_t[:1], gamma, names=names)
    check(after <= before and before - after <= first / rows * (1 + 1e-4) + 1e-6,
          "focal_loss is a mean over positions: making one position easy (its true logit + 8) removes at most "
          "that position's share of the loss.",
          f"{given_}, γ = {gamma:g}: loss {before:.6g}; first position easy → {after:.6g}; the first position alone "
          f"→ {first:.6g}, of {rows} positions")


@graded("focal_loss", points=0.5, secondary=True)
def test_char_focal_extreme_logits_and_gradient(impl):
    logits = torch.tensor([[100.0, -100.0, 0.0], [-100.0, 100.0, 0.0]], requires_grad=True)
    targets = torch.tensor([1, 1])
    out = call("focal_loss", impl, logits, targets, 2.0)
    check_like("focal_loss", out, logits.detach(), "logits float32 (2, 3) of ±100", shape=())
    check(bool(torch.isfinite(out)) and out.requires_grad,
          "focal_loss must stay finite for logits of ±100 (use log_softmax) and be differentiable.",
          f"logits {show(logits)}, targets [1, 1], gamma 2 → {show(out)}")


@graded("kl_loss", points=1)
def test_char_kl_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        for shape in ((2, 3), (1, 2, 3)):
            logits, q = (torch.tensor(v, dtype=dtype).reshape(shape) for v in (LOGITS, SOFT))
            got = _loss(impl, "kl_loss", logits, q, names=("logits", "target_probs"))
            check(support.close(got, WORKED_KL, dtype),
                  "kl_loss is the mean over positions of Σ_c q_c (log q_c − log p_c), with 0 · log 0 = 0: "
                  f"{WORKED_KL:.5f} for the handout's example.",
                  f"logits {show(logits)}, target_probs {show(q)} ({str(dtype).removeprefix('torch.')}) → {got:.6f}")


@graded("kl_loss", points=1)
@given(support.logit_cases())
def test_char_kl_one_hot_is_cross_entropy(impl, case):
    logits, targets = case
    q = F.one_hot(targets, logits.shape[-1]).to(logits.dtype)
    got = _loss(impl, "kl_loss", logits, q, names=("logits", "target_probs"))
    want = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), targets.reshape(-1)).item()
    check(support.close(got, want, logits.dtype),
          "for one-hot targets the KL divergence is the cross-entropy (0 · log 0 = 0: no NaN), averaged over "
          "every position.",
          f"logits {show(logits)}, one-hot targets of {show(targets)} → {got:.6g}; torch's cross-entropy {want:.6g}")


@graded("kl_loss", points=1)
@given(support.logit_cases(), st.integers(0, 2**16), st.booleans())
def test_char_kl_properties(impl, case, seed, zeros):
    logits, _ = case
    dtype = logits.dtype
    q = support.soft_targets(tuple(logits.shape), seed, dtype, zeros)
    names = ("logits", "target_probs")
    given_ = f"logits {show(logits)}, target_probs {show(q)}"
    got = _loss(impl, "kl_loss", logits, q, names=names)
    flat_l, flat_q = logits.reshape(-1, logits.shape[-1]).double(), q.reshape(-1, q.shape[-1]).double()
    entropy = -torch.xlogy(flat_q, flat_q).sum(-1).mean().item()
    soft_ce = F.cross_entropy(flat_l, flat_q).item()
    check(got >= -1e-6 and support.close(got, soft_ce - entropy, dtype),
          "KL(q ‖ p) is the cross-entropy with the soft targets q minus the entropy of q: never negative, and "
          "not the cross-entropy alone when q is not one-hot.",
          f"{given_} → {got:.6g}; cross-entropy {soft_ce:.6g} − entropy {entropy:.6g} = {soft_ce - entropy:.6g}")
    matched = torch.log(q.clamp_min(1e-30)) + 1.5
    same = _loss(impl, "kl_loss", matched.masked_fill(q == 0, -1e4).to(dtype), q, names=names)
    check(abs(same) < 1e-4, "KL(q ‖ p) is 0 when p = q (logits log q plus a constant).",
          f"target_probs {show(q)}, logits log q + 1.5 → {same:.6g}")


@graded("kl_loss", points=0.5, secondary=True)
def test_char_kl_dtype_and_gradient(impl):
    for dtype in (torch.float32, torch.float64):
        logits = torch.tensor(LOGITS, dtype=dtype, requires_grad=True)
        q = torch.tensor(SOFT, dtype=dtype)
        out = call("kl_loss", impl, logits, q)
        check_like("kl_loss", out, logits.detach(), f"logits {describe(logits)}, target_probs {describe(q)}", shape=())
        check(out.requires_grad, "kl_loss must be differentiable with respect to the logits.",
              f"logits {describe(logits)} requiring grad → {describe(out)} without grad")
