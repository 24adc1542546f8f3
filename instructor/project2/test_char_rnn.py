"""Hidden graders for P2-Q2, character-level text generation (module
project2/char_rnn): each item against the reference formulas on drawn
inputs. generate runs, as in the public graders, on the graders' stand-in
model and vocabulary; here its text is compared with the reference greedy
loop run on the same stand-ins in the judge.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, graded, show
from graders.project2 import char_rnn_probes as probes
from graders.project2 import char_rnn_support as support
from instructor.project2 import char_rnn_oracle as oracle

MODULE = "project2/char_rnn"


@graded("CharVocab", points=1)
@settings(max_examples=10)
@given(support.texts(), st.booleans(), support.texts())
def test_char_hidden_vocab_matches_reference(impl, text, lowercase, other):
    vocab = call("CharVocab", impl, text, lowercase)
    want = oracle.vocab_chars(text, lowercase)
    probe = "".join(c for c in other if (c.lower() if lowercase else c) in want) or text
    seen = probe.lower() if lowercase else probe
    got = vocab.encode(probe)
    check(list(vocab.chars) == want and isinstance(got, torch.Tensor)
          and got.tolist() == [want.index(c) for c in seen],
          "CharVocab must hold the sorted distinct characters and encode each as its index.",
          f"CharVocab({text!r}, lowercase={lowercase}): chars {list(vocab.chars)}, expected {want}; "
          f"encode({probe!r}) → {show(got)}")


@graded("make_sequences", points=1)
@given(support.id_tensors())
def test_char_hidden_sequences_match_reference(impl, case):
    ids, length = case
    out = call("make_sequences", impl, ids, length)
    want = oracle.sequences(ids, length)
    check(isinstance(out, (tuple, list)) and len(out) == 2
          and all(isinstance(o, torch.Tensor) and torch.equal(o.cpu(), w) for o, w in zip(out, want)),
          "make_sequences must cut non-overlapping chunks with targets shifted by one.",
          f"ids {show(ids)}, seq_length {length}: expected {show(want[0])}, {show(want[1])}")


@graded("CharRNN", points=1)
@settings(max_examples=4)
@given(st.sampled_from(["lstm", "gru"]), st.integers(2, 9), st.integers(1, 6), st.integers(1, 7))
def test_char_hidden_rnn_parameter_count(impl, cell, v, e, h):
    got = impl.run(probes.rnn_structure, v, e, h, cell, 1, 3, 0)
    want = oracle.parameter_count(v, e, h, cell)
    check(got["parameters"] == want,
          "CharRNN must be Embedding → one LSTM/GRU layer → Linear, nothing more.",
          f"CharRNN({v}, {e}, {h}, {cell!r}): {got['parameters']} parameters, expected {want}")


@graded("generate", points=1)
@settings(max_examples=8)
@given(st.text(alphabet=support.ALPHABET, min_size=1, max_size=6), st.integers(0, 20),
       st.sampled_from(["lstm", "gru"]))
def test_char_hidden_generate_matches_reference(impl, prompt, length, kind):
    c = support.case(prompt, length, kind=kind)
    (e,) = support.evidence(impl, c)
    vocab = probes.ScrambledVocab(c["alphabet"], reverse=True)
    model = probes.ScriptedModel(len(vocab), bias=c["bias"], margin=c["margin"], kind=kind)
    want = oracle.greedy(model, vocab, prompt, length)
    check(e["text"] == want and support.positions_fed(e) <= max(len(prompt) + length - 1, 0) + 1,
          "generate must write the greedy text with the carried state, linear in length.",
          support.call_text(c), f"expected {want!r}, got {e['text']!r} ({support.positions_fed(e)} positions fed)")


@graded("focal_loss", points=1)
@given(support.logit_cases(), st.sampled_from([0.0, 0.5, 2.0, 3.0]))
def test_char_hidden_focal_matches_reference(impl, case, gamma):
    logits, targets = case
    got = support.scalar(call("focal_loss", impl, logits, targets, gamma), "focal_loss", "focal_loss")
    want = oracle.focal(logits, targets, gamma)
    check(support.close(got, want, logits.dtype), "focal_loss must be the mean of −(1 − p_t)^γ log p_t.",
          f"logits {show(logits)}, targets {show(targets)}, gamma {gamma}: expected {want:.6g}, got {got:.6g}")


@graded("kl_loss", points=1)
@given(support.logit_cases(), st.integers(0, 2**16), st.booleans())
def test_char_hidden_kl_matches_reference(impl, case, seed, zeros):
    logits, _ = case
    q = support.soft_targets(tuple(logits.shape), seed, logits.dtype, zeros)
    got = support.scalar(call("kl_loss", impl, logits, q), "kl_loss", "kl_loss")
    want = oracle.kl(logits, q)
    check(support.close(got, want, logits.dtype), "kl_loss must be the mean over positions of KL(q ‖ p).",
          f"logits {show(logits)}, target_probs {show(q)}: expected {want:.6g}, got {got:.6g}")
