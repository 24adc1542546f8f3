"""Hidden graders for P2-Q3, contextual embeddings + an RNN (module
project2/contextual_classifier): each item against the reference on drawn
inputs (the pre-processing rewritten as a loop, the masked mean in float64,
scikit-learn's metrics and balanced weights, the documented parameter
count); the encoder items on the graders' stand-in encoder with other seeds.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, graded, show
from graders.project2 import contextual_classifier_probes as probes
from graders.project2 import contextual_classifier_support as support
from instructor.project2 import contextual_classifier_oracle as oracle

MODULE = "project2/contextual_classifier"

ODD = st.text(alphabet="aB1 .,!@#:/_&;<>ÉßİⅫ😂☀\u200d\ufe0f\n", max_size=25)


@graded("preprocess_tweet", points=1)
@settings(max_examples=40)
@given(st.one_of(support.tweets().map(lambda t: t["text"]), ODD))
def test_ctx_hidden_preprocess_matches_reference(impl, text):
    got = support.text_of(impl, text)
    want = oracle.preprocess(text)
    check(got == want, "preprocess_tweet must apply the documented rules in their order.",
          f"preprocess_tweet({text!r}) → {got!r}, expected {want!r}")


@graded("masked_pool", points=1)
@settings(max_examples=20)
@given(support.state_batches())
def test_ctx_hidden_pool_matches_reference(impl, case):
    states, mask = case
    got = call("masked_pool", impl, states, mask)
    want = oracle.pool(states, mask)
    check(isinstance(got, torch.Tensor) and support.close(got, want, states.dtype),
          "masked_pool must be the mean over the real positions.",
          f"states {show(states)}, mask {show(mask)}: expected {show(want)}, got {show(got)}")


@graded("freeze", points=0.5)
def test_ctx_hidden_freeze_other_seed(impl):
    got = impl.run(probes.freeze_evidence, 17, torch.tensor([[1, 2, 3]]), torch.tensor([[1, 1, 1]]))
    check(not got["requires_grad"] and not got["encoder_grads"] and not got["training"] and got["same"],
          "freeze must freeze every parameter, set eval mode and return the encoder.", str(got))


@graded("encode_batch", points=0.5)
def test_ctx_hidden_encode_other_seed(impl):
    ids = torch.tensor([[5, 6, 0, 0], [7, 8, 9, 1]])
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    got = impl.run(probes.encode_evidence, 23, ids, mask)
    check(got["out"] is not None and support.close(got["out"], got["own"]) and not got["requires_grad"],
          "encode_batch must return last_hidden_state without grad.", f"got {got['what']}")


@graded("BiLSTMHead", points=1)
@settings(max_examples=4)
@given(st.integers(1, 6), st.integers(1, 5), st.integers(2, 4), st.integers(1, 9))
def test_ctx_hidden_head_parameter_count(impl, hidden, lstm, classes, dense):
    config = {"hidden_size": hidden, "lstm_size": lstm, "n_classes": classes, "dropout": 0.2, "dense_size": dense}
    got = impl.run(probes.head_structure, config, 0)
    want = oracle.head_parameters(hidden, lstm, classes, dense)
    check(got["parameters"] == want, "BiLSTMHead must hold exactly the documented layers.",
          f"BiLSTMHead({config}): {got['parameters']} parameters, expected {want}")


@graded("BiLSTMHead", points=1)
@settings(max_examples=3)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.integers(0, 1000))
def test_ctx_hidden_head_matches_reference(impl, lengths, seed):
    config = {"hidden_size": 4, "lstm_size": 3, "n_classes": 3, "dropout": 0.3, "dense_size": 5}
    states, mask = support.batch(lengths, max(lengths) + 2, 4, seed)
    got = impl.run(probes.head_state_and_logits, config, seed, [(states, mask)])
    names = sorted(got["state"])
    check(all(n.startswith(("lstm.", "classifier.")) for n in names),
          "BiLSTMHead's parameters must be those of its attributes lstm and classifier.", f"state_dict keys {names}")
    try:
        want = oracle.head_logits(config, got["state"], states, mask)
    except (RuntimeError, KeyError) as exc:
        check(False, "BiLSTMHead's lstm and classifier must be the documented layers.", str(exc).splitlines()[0])
    logits = got["logits"][0]
    check(logits is not None and torch.allclose(logits, want, atol=1e-5),
          "BiLSTMHead must classify [the forward state at the last real token, the backward state at the first].",
          f"real lengths {lengths}: expected {show(want)}, got {show(logits)}")


@graded("inverse_frequency_weights", points=0.5)
@settings(max_examples=20)
@given(st.integers(2, 5), st.lists(st.integers(0, 4), min_size=1, max_size=25))
def test_ctx_hidden_weights_match_sklearn(impl, c, raw):
    labels = torch.tensor([x % c for x in raw])
    got = call("inverse_frequency_weights", impl, labels, c)
    want = oracle.balanced(labels, c)
    check(isinstance(got, torch.Tensor) and torch.allclose(got.double().cpu(), torch.tensor(want, dtype=torch.float64),
                                                           rtol=1e-5),
          "inverse_frequency_weights must be scikit-learn's balanced weights, 0 for an absent class.",
          f"labels {labels.tolist()}, {c} classes: expected {want}, got {show(got)}")


@graded("class_weighted_loss", points=0.5)
@settings(max_examples=20)
@given(st.integers(1, 6), st.integers(2, 4), st.integers(0, 2**16))
def test_ctx_hidden_loss_matches_reference(impl, n, c, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, c, (n,), generator=gen)
    weights = torch.rand(c, generator=gen, dtype=torch.float64) + 0.1
    got = call("class_weighted_loss", impl, logits, labels, weights)
    want = oracle.weighted_ce(logits, labels, weights)
    check(isinstance(got, torch.Tensor) and abs(float(got) - want) < 1e-9,
          "class_weighted_loss must be the weighted mean cross-entropy.",
          f"logits {show(logits)}, labels {labels.tolist()}, weights {show(weights)}: expected {want}, got {show(got)}")


@graded("evaluate", points=1)
@settings(max_examples=25)
@given(support.predictions())
def test_ctx_hidden_evaluate_matches_sklearn(impl, case):
    pred, target, c = case
    got = support.report(impl, pred, target, c)
    want = oracle.metrics(pred, target, c)
    for key in ("confusion", "precision", "recall", "f1"):
        check(torch.allclose(got[key].double().cpu(), torch.tensor(want[key], dtype=torch.float64), atol=1e-9),
              f"evaluate's {key!r} must equal scikit-learn's.",
              f"pred {pred.tolist()}, target {target.tolist()}: expected {want[key]}, got {show(got[key])}")
    check(abs(got["macro_f1"] - want["macro_f1"]) < 1e-9 and abs(got["accuracy"] - want["accuracy"]) < 1e-9,
          "evaluate's macro_f1 and accuracy must equal scikit-learn's.",
          f"pred {pred.tolist()}, target {target.tolist()}: expected {want['macro_f1']}, {want['accuracy']}")
