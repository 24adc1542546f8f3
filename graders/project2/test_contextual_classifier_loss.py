"""Graders for P2-Q3, contextual embeddings + an RNN (module
project2/contextual_classifier): the class-weighted loss
(inverse_frequency_weights, class_weighted_loss).

Exact values are checked on the handout's worked examples, stored below as
numbers; on drawn inputs the graders check properties, comparing the
student's functions with themselves and with torch's own cross-entropy.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import call, call_keeping_inputs, check, check_like, describe, fail, graded, show

MODULE = "project2/contextual_classifier"

# --------------------------------------------------------------------------
# inverse_frequency_weights: the handout's examples, stored.
SPLIT_COUNTS = [396, 5722, 1212]
SPLIT_WEIGHTS = [6.17003367003367, 0.4270068740533613, 2.015951595159516]
SMALL_LABELS, SMALL_WEIGHTS = [0, 1, 1, 1, 2, 2], [2.0, 2 / 3, 1.0]


def _weights(impl, labels: torch.Tensor, c: int) -> torch.Tensor:
    out = call_keeping_inputs("inverse_frequency_weights", impl, labels, c, names=("labels",))
    check(isinstance(out, torch.Tensor) and tuple(out.shape) == (c,),
          "inverse_frequency_weights must return a (C,) tensor, one weight per class.",
          f"labels {describe(labels)}, n_classes={c} → {describe(out)}")
    return out.double().cpu()


def _near(a: torch.Tensor, b, tol: float = 1e-5) -> bool:
    return torch.allclose(a.double().cpu(), torch.as_tensor(b, dtype=torch.float64), rtol=tol, atol=tol)


@graded("inverse_frequency_weights", points=1)
def test_ctx_weights_worked_examples(impl):
    labels = torch.repeat_interleave(torch.arange(3), torch.tensor(SPLIT_COUNTS))
    got = _weights(impl, labels, 3)
    check(_near(got, SPLIT_WEIGHTS), "class c weighs N / (C · count_c): [6.1700, 0.4270, 2.0160] for the handout's "
          "test split (396 / 5 722 / 1 212 tweets).", f"labels with counts {SPLIT_COUNTS}, 3 classes → {show(got)}")
    got = _weights(impl, torch.tensor(SMALL_LABELS), 3)
    check(_near(got, SMALL_WEIGHTS), f"inverse_frequency_weights({SMALL_LABELS}, 3) is [2, 0.6667, 1].",
          f"got {show(got)}")
    got = _weights(impl, torch.tensor([2, 2, 0]), 4)
    check(_near(got, [0.75, 0.0, 0.375, 0.0]), "a class that does not occur gets weight 0 (not inf): "
          "inverse_frequency_weights([2, 2, 0], 4) is [0.75, 0, 0.375, 0].", f"got {show(got)}")


@graded("inverse_frequency_weights", points=1)
@settings(max_examples=25)
@given(st.integers(2, 5), st.lists(st.integers(0, 4), min_size=1, max_size=20))
def test_ctx_weights_balance_the_classes(impl, c, raw):
    labels = torch.tensor([x % c for x in raw])
    got = _weights(impl, labels, c)
    counts = torch.bincount(labels, minlength=c).double()
    given_ = f"labels {labels.tolist()}, n_classes={c}"
    check(bool(((got > 0) == (counts > 0)).all()) and _near(got * counts, (counts > 0).double() * len(labels) / c),
          "every class that occurs must carry the same total weight count_c · w_c = N / C (and an absent class "
          "weight 0).", f"{given_} → weights {show(got)}, counts {counts.long().tolist()}")
    got_f = call("inverse_frequency_weights", impl, labels, c)
    check_like("inverse_frequency_weights", got_f, torch.zeros(c), given_, shape=(c,))


@graded("inverse_frequency_weights", points=0.5)
def test_ctx_weights_bad_labels(impl):
    for labels in ([0, 3], [-1, 0]):
        try:
            call("inverse_frequency_weights", impl, torch.tensor(labels), 3)
        except ValueError as exc:
            check("labels" in str(exc), "the ValueError for labels outside [0, n_classes) must name labels.",
                  f"labels {labels}, n_classes=3 → ValueError({str(exc)!r})")
        else:
            fail("inverse_frequency_weights must raise ValueError for a label outside [0, n_classes).",
                 f"labels {labels}, n_classes=3 raised nothing")


# --------------------------------------------------------------------------
# class_weighted_loss: the handout's example, stored.
LOSS_LOGITS = [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
LOSS_LABELS = [0, 1, 2]
LOSS_WEIGHTS = [1.0, 2.0, 4.0]
LOSS_WANT, LOSS_PLAIN = 0.8195547641083465, 0.6298672562740152


def _loss(impl, logits, labels, weights) -> float:
    out = call_keeping_inputs("class_weighted_loss", impl, logits, labels, weights,
                              names=("logits", "labels", "class_weights"))
    if not (isinstance(out, torch.Tensor) and out.dim() == 0):
        fail("class_weighted_loss must return a 0-dim tensor.",
             f"logits {describe(logits)}, labels {show(labels)}, class_weights {show(weights)} → {describe(out)}")
    return float(out.detach().double())


@graded("class_weighted_loss", points=1)
def test_ctx_loss_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        logits, labels = torch.tensor(LOSS_LOGITS, dtype=dtype), torch.tensor(LOSS_LABELS)
        for weights, want in ((LOSS_WEIGHTS, LOSS_WANT), ([1.0, 1.0, 1.0], LOSS_PLAIN)):
            got = _loss(impl, logits, labels, torch.tensor(weights, dtype=dtype))
            check(abs(got - want) < 1e-5, "the loss is Σ w[y_i] · CE_i / Σ w[y_i], the weighted mean of the "
                  f"cross-entropies: {want:.5f} for the handout's example with weights {weights}.",
                  f"logits {show(logits)}, labels {LOSS_LABELS}, class_weights {weights} "
                  f"({str(dtype).removeprefix('torch.')}) → {got:.6f}")


@st.composite
def _cases(draw):
    n, c = draw(st.integers(1, 6)), draw(st.integers(2, 4))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    logits = torch.randn(n, c, generator=gen, dtype=torch.float64) * 2
    labels = torch.randint(0, c, (n,), generator=gen)
    weights = torch.rand(c, generator=gen, dtype=torch.float64) * 3 + 0.1
    return logits, labels, weights


@graded("class_weighted_loss", points=1)
@settings(max_examples=25)
@given(_cases(), st.floats(0.25, 8.0))
def test_ctx_loss_properties(impl, case, scale):
    logits, labels, weights = case
    given_ = f"logits {show(logits)}, labels {labels.tolist()}, class_weights {show(weights)}"
    got = _loss(impl, logits, labels, weights)
    scaled = _loss(impl, logits, labels, weights * scale)
    check(abs(got - scaled) < 1e-9 * max(1, abs(got)),
          "the loss is normalised by the weights: multiplying every weight by a constant changes nothing.",
          f"{given_} → {got:.9g}; weights × {scale:g} → {scaled:.9g}")
    ones = _loss(impl, logits, labels, torch.ones_like(weights))
    plain = F.cross_entropy(logits, labels).item()
    check(abs(ones - plain) < 1e-9, "with equal weights the loss is the plain mean cross-entropy.",
          f"logits {show(logits)}, labels {labels.tolist()}, weights all 1 → {ones:.9g}; torch's cross-entropy "
          f"{plain:.9g}")
    first = labels[0]
    twice = torch.cat([logits, logits[:1]]), torch.cat([labels, labels[:1]])
    more = weights.clone()
    more_ok = bool((labels == first).sum() == 1)
    if more_ok:  # doubling the weight of a class with one example = that example twice
        more[first] *= 2
        doubled = _loss(impl, logits, labels, more)
        repeated = _loss(impl, twice[0], twice[1], weights)
        check(abs(doubled - repeated) < 1e-9 * max(1, abs(doubled)),
              "an example counts with its class's weight: doubling the weight of a class with one example is "
              "counting that example twice.",
              f"{given_}: weight of class {int(first)} doubled → {doubled:.9g}; example 0 repeated → {repeated:.9g}")


@graded("class_weighted_loss", points=0.5, secondary=True)
def test_ctx_loss_dtype_and_gradient(impl):
    logits = torch.tensor(LOSS_LOGITS, requires_grad=True)
    out = call("class_weighted_loss", impl, logits, torch.tensor(LOSS_LABELS), torch.tensor(LOSS_WEIGHTS))
    check_like("class_weighted_loss", out, logits.detach(), "logits float32 (3, 3)", shape=())
    check(out.requires_grad, "class_weighted_loss must be differentiable with respect to the logits.",
          f"logits float32 (3, 3) requiring grad → {describe(out)} without grad")
