"""Graders for P2-Q3, contextual embeddings + an RNN (module
project2/contextual_classifier): the frozen encoder and the recurrent head
(freeze, encode_batch, BiLSTMHead).

No real transformer is loaded: freeze and encode_batch run on the graders'
stand-in encoder (contextual_classifier_probes.TinyEncoder, called like a
Hugging Face model), and BiLSTMHead reads states drawn here, with garbage
at the padded positions, so that a head whose output depends on the
padding shows it.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, graded, show
from graders.project2 import contextual_classifier_probes as probes
from graders.project2 import contextual_classifier_support as support

MODULE = "project2/contextual_classifier"

IDS = torch.tensor([[2, 7, 11, 5, 0, 0], [3, 9, 1, 0, 0, 0], [4, 8, 12, 6, 30, 21]])
MASK = (torch.arange(6)[None] < torch.tensor([[4], [3], [6]])).long()


# --------------------------------------------------------------------------
# freeze


@graded("freeze", points=1.5)
def test_ctx_freeze_no_gradient_reaches_encoder(impl):
    got = impl.run(probes.freeze_evidence, 0, IDS, MASK)
    check(not got["requires_grad"], "freeze must set requires_grad = False on every parameter of the encoder.",
          f"freeze(encoder) on the graders' stand-in encoder: still requiring grad {got['requires_grad']}")
    check(not got["encoder_grads"] and got["head_grad"],
          "after freeze, backpropagating a head's loss must reach the head's parameters and none of the encoder's.",
          f"encoder parameters that got a gradient: {got['encoder_grads']}; head got its gradient: {got['head_grad']}")
    check(not got["training"] and got["deterministic"],
          "freeze must put the encoder (all its submodules) in eval mode: no dropout, the same states every time.",
          f"modules still in train mode: {got['training']}; two forwards equal: {got['deterministic']}")


@graded("freeze", points=0.5, secondary=True)
def test_ctx_freeze_returns_the_encoder(impl):
    got = impl.run(probes.freeze_evidence, 1, IDS[:1], MASK[:1])
    check(got["same"], "freeze must return the encoder it was given (frozen in place), not a copy or None.",
          f"freeze(encoder) → {got['returned']}")


# --------------------------------------------------------------------------
# encode_batch


@graded("encode_batch", points=1.5)
@settings(max_examples=6)
@given(st.integers(0, 1000), st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_ctx_encode_returns_states_without_grad(impl, seed, lengths):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, probes.ENCODER_VOCAB, (len(lengths), 6), generator=gen)
    mask = (torch.arange(6)[None] < torch.tensor(lengths)[:, None]).long()
    got = impl.run(probes.encode_evidence, seed, ids, mask)
    given_ = f"encode_batch(encoder, input_ids {show(ids)}, attention_mask {show(mask)}) with the graders' stand-in"
    check(got["out"] is not None and support.close(got["out"], got["own"]),
          "encode_batch must return the encoder's last_hidden_state (N, L, H) for these ids and this attention "
          "mask (the mask passed to the encoder).",
          f"{given_} → {got['what']}" + ("" if got["out"] is None else
                                          f"; the encoder's last_hidden_state[0, :, 0] {show(got['own'][0, :, 0])}, "
                                          f"got {show(got['out'][0, :, 0])}"))
    check(not got["requires_grad"] and got["calls"] and not any(c["grad"] for c in got["calls"]),
          "encode_batch must run the encoder under torch.no_grad(): no graph kept, the states require no grad.",
          f"{given_} (parameters requiring grad) → requires_grad {got['requires_grad']}; "
          f"grad mode in the encoder's calls {[c['grad'] for c in got['calls']]}")


@graded("encode_batch", points=0.5, secondary=True)
def test_ctx_encode_keeps_the_encoder(impl):
    got = impl.run(probes.encode_evidence, 3, IDS, MASK)
    check(not got["training_after"] and got["requires_grad_after"] and len(got["calls"]) == 1,
          "encode_batch must call the encoder once and leave it as it was (mode and parameters).",
          f"after encode_batch: train mode {got['training_after']}, parameters still requiring grad "
          f"{got['requires_grad_after']}, calls {len(got['calls'])}")


# --------------------------------------------------------------------------
# BiLSTMHead

SMALL = {"hidden_size": 6, "lstm_size": 5, "n_classes": 3, "dropout": 0.1, "dense_size": 7}


@graded("BiLSTMHead", points=1.5)
def test_ctx_head_layers(impl):
    got = impl.run(probes.head_structure, SMALL, 0)
    layers = got["layers"]
    kinds = [x["type"] for x in layers]
    given_ = f"BiLSTMHead({', '.join(f'{k}={v}' for k, v in SMALL.items())})"
    check(kinds == ["LSTM", "Linear", "Tanh", "LayerNorm", "Dropout", "Linear"],
          "BiLSTMHead is nn.LSTM → nn.Linear → nn.Tanh → nn.LayerNorm → nn.Dropout → nn.Linear, in this order, "
          "each layer once.", f"{given_} → layers {kinds}")
    lstm, dense, norm, drop, out = layers[0], layers[1], layers[3], layers[4], layers[5]
    check(lstm.get("input_size") == 6 and lstm.get("hidden_size") == 5 and lstm.get("bidirectional") is True
          and lstm.get("batch_first") is True and lstm.get("num_layers") == 1,
          "the LSTM must be nn.LSTM(hidden_size, lstm_size, batch_first=True, bidirectional=True), one layer.",
          f"{given_} → {lstm}")
    check(dense.get("in_features") == 10 and dense.get("out_features") == 7 and norm.get("normalized_shape") == [7]
          and abs(drop.get("p", -1) - 0.1) < 1e-12 and out.get("in_features") == 7 and out.get("out_features") == 3,
          "then Linear(2·lstm_size, dense_size), Tanh, LayerNorm(dense_size), Dropout(dropout), "
          "Linear(dense_size, n_classes).", f"{given_} → {layers[1:]}")
    check(got["lstm"] == "LSTM" and got["classifier"] == kinds[1:],
          "the LSTM must be the attribute lstm and the dense layers the nn.Sequential classifier.",
          f"{given_} → lstm {got['lstm']}, classifier {got['classifier']}")


@graded("BiLSTMHead", points=2)
@settings(max_examples=5)
@given(st.integers(1, 7), st.integers(0, 1000))
def test_ctx_head_padding_invariance(impl, length, seed):
    gen = torch.Generator().manual_seed(seed)
    sentence = torch.randn(length, SMALL["hidden_size"], generator=gen)
    short, long_ = support.padded(sentence, 8, seed), support.padded(sentence, 32, seed + 1)
    bare = (sentence[None], torch.ones(1, length, dtype=torch.int64))
    a, b, c = impl.run(probes.head_logits, SMALL, seed, [short, long_, bare])
    check(all(t is not None and tuple(t.shape) == (1, 3) for t in (a, b, c)),
          "forward(states, attention_mask) must return (N, n_classes) logits.",
          f"BiLSTMHead on states (1, 8, 6) → {a if a is None else tuple(a.shape)}")
    check(support.close(a, b) and support.close(a, c),
          "the same sentence padded to 8 or to 32 positions (whatever the padded states hold) must give the same "
          "logits as without padding, in eval mode: the backward LSTM must start at the last real token (pack the "
          "sequence), the pooled vector must not be read at a padded position.",
          f"a sentence of {length} real tokens: no padding → {show(c)}, padded to 8 → {show(a)}, to 32 → {show(b)}")


@graded("BiLSTMHead", points=1)
@settings(max_examples=4)
@given(st.lists(st.integers(1, 6), min_size=2, max_size=4), st.integers(0, 1000))
def test_ctx_head_batch_independence(impl, lengths, seed):
    states, mask = support.batch(lengths, max(lengths) + 1, SMALL["hidden_size"], seed)
    singles = [(states[i:i + 1, :n], mask[i:i + 1, :n]) for i, n in enumerate(lengths)]
    reversed_ = (states.flip(0), mask.flip(0))
    got = impl.run(probes.head_logits, SMALL, seed, [(states, mask), reversed_, *singles])
    whole, flipped, alone = got[0], got[1], got[2:]
    check(whole is not None and tuple(whole.shape) == (len(lengths), 3) and flipped is not None,
          "forward must return (N, n_classes) logits.", f"states {tuple(states.shape)} → {whole}")
    for i, one in enumerate(alone):
        check(one is not None and support.close(whole[i:i + 1], one),
              "a tweet's logits must not depend on the other tweets of the batch nor on its padding: each row in "
              "the batch must equal the row alone.",
              f"real lengths {lengths}: row {i} in the batch → {show(whole[i])}, alone → {show(one)}")
    check(support.close(whole.flip(0), flipped),
          "reordering the batch (lengths in another order) must reorder the logits, nothing else.",
          f"real lengths {lengths} → {show(whole)}; batch reversed → {show(flipped)}")


@graded("BiLSTMHead", points=1)
def test_ctx_head_learns(impl):
    states, mask = support.batch([3, 5, 2, 4, 5, 1], 6, SMALL["hidden_size"], 7)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    got = impl.run(probes.head_training, {**SMALL, "dropout": 0.0}, 0, states, mask, labels, 40, 0.05)
    check(not got["missing"], "every parameter of the head (the LSTM's, both directions, and the classifier's) must "
          "get a gradient from the loss.", f"parameters without a gradient at the first step: {got['missing']}")
    check(got["last"] < 0.5 * got["first"],
          "trained by the graders' loop (SGD with momentum, 40 steps), the head must learn six labelled sentences: "
          "the loss must fall below half its first value.",
          f"cross-entropy: first step {got['first']:.4f}, after 40 steps {got['last']:.4f}")
