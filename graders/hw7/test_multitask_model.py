"""Graders for HW7-Q3 (module hw7/multitask): MultiTaskModel, built in the
worker from a seed, and multitask_loss.

The model is compared with itself: shapes of both heads, the same sentence
padded to another length, a sentence alone and in a batch, and which
parameters each head's logits reach (both must reach the shared encoder,
neither the other's head). The loss's worked examples are stored below as
numbers; on drawn logits it is compared with itself (linear in the task
weights, unchanged by scaling the class weights, unlabelled examples the
same as left out).
"""
from __future__ import annotations

import torch
from hypothesis import given, settings

from dlkit.grading.checks import call, check, describe, fail, graded, show
from graders.hw7 import multitask_probes as probes
from graders.hw7 import multitask_support as support

MODULE = "hw7/multitask"
FEW = settings(max_examples=15)
SENTENCES = [[3, 5, 7], [1], [2, 2, 9, 11, 4], [10, 6]]

# multitask_loss on one batch, the reference's values (float32, float64 alike to 1e-6).
LOSS_S = [[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
LOSS_T = [[1.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.5, 2.0, 0.0]]
LOSS_YS, LOSS_YT = [0, 1, 1], [2, 2, 0]
MISSING_WANT = 0.41003759580145893  # sentiment alone, labels [0, -100, 1]
WORKED_LOSS = [  # (sentiment weights, topic weights, task weights, value)
    (None, None, (1.0, 1.0), 1.5286867539010998),
    ([1.0, 3.0], None, (1.0, 1.0), 1.6003584535194069),
    ([1.0, 3.0], [2.0, 1.0, 0.5], (0.7, 0.3), 0.7582049874912277),
]


# --------------------------------------------------------------------------
# MultiTaskModel


@graded("MultiTaskModel", points=1)
def test_model_shapes(impl):
    batch = support.tokens(SENTENCES, 6)
    (out,) = support.model_outputs(impl, 0, [batch])
    check(
        support.is_pair_of(out, len(SENTENCES)),
        f"MultiTaskModel{support.SIZES}(tokens) must return (sentiment_logits, topic_logits) of shapes "
        f"(N, {support.SIZES[2]}) and (N, {support.SIZES[3]}).",
        f"tokens: {describe(batch)} → {show(out) if not isinstance(out, list) else [describe(o) for o in out]}",
    )
    check(all(bool(torch.isfinite(o).all()) for o in out), "the logits must be finite.", f"got {show(out)}")


@graded("MultiTaskModel", points=1)
def test_model_ignores_padding(impl):
    short, long = support.tokens(SENTENCES, 5), support.tokens(SENTENCES, 12)
    empty = support.tokens([[]], 4)
    twice = support.tokens([row * 2 for row in SENTENCES], 10)
    a, b, c, d = support.model_outputs(impl, 1, [short, long, empty, twice])
    check(
        support.is_pair_of(a, len(SENTENCES)) and support.is_pair_of(b, len(SENTENCES))
        and all(support.close(x, y, slack=10) for x, y in zip(a, b)),
        "padding (id 0) must change nothing: the same sentences padded to length 5 and to 12 must give the "
        "same logits (average the embeddings of the real tokens only).",
        f"sentences {SENTENCES}: length 5 → {show(a)}, length 12 → {show(b)}",
    )
    check(
        support.is_pair_of(d, len(SENTENCES)) and all(support.close(x, y, slack=10) for x, y in zip(a, d)),
        "the shared encoder must AVERAGE the embeddings of the real tokens: a sentence written twice over "
        "([3, 5, 7, 3, 5, 7]) has the same mean embedding, so the same logits, as the sentence once.",
        f"sentences {SENTENCES} → {show(a)}; each written twice → {show(d)}",
    )
    check(
        support.is_pair_of(c, 1) and all(bool(torch.isfinite(o).all()) for o in c),
        "a sentence of padding only must still give finite logits (no division by a zero count).",
        f"tokens {empty.tolist()} → {show(c)}",
    )


@graded("MultiTaskModel", points=0.5)
def test_model_batch_independent(impl):
    batch = support.tokens(SENTENCES, 6)
    outs = support.model_outputs(impl, 2, [batch] + [batch[i : i + 1] for i in range(len(SENTENCES))])
    whole = outs[0]
    for i, alone in enumerate(outs[1:]):
        check(
            support.is_pair_of(alone, 1) and all(support.close(x[i : i + 1], y, slack=10) for x, y in zip(whole, alone)),
            "each sentence must be encoded on its own: a sentence alone must give what it gives in the batch.",
            f"sentence {SENTENCES[i]}: in the batch → {show([o[i] for o in whole])}, alone → {show(alone)}",
        )


@graded("MultiTaskModel", points=1.5)
def test_model_heads_share_the_encoder(impl):
    result = impl.run(probes.head_gradients, support.SIZES, 3, support.tokens(SENTENCES, 6))
    if "error" in result:
        fail("MultiTaskModel's forward must return the pair (sentiment_logits, topic_logits).", result["error"])
    shapes = result["parameters"]
    sentiment, topic = (set(h["nonzero"]) for h in result["heads"])
    shared = sentiment & topic
    vocab, embed = support.SIZES[:2]
    check(
        any(shapes[n] == (vocab, embed) for n in shared),
        "both heads must train the shared encoder: the sum of either head's logits must send a gradient to the "
        f"word embeddings ({vocab} × {embed}) and to the shared layer.",
        f"parameters reached by the sentiment head: {sorted(sentiment)}; by the topic head: {sorted(topic)}",
    )
    check(
        sentiment - topic and topic - sentiment,
        "each task must have its own head: some parameters must get a gradient from one task's logits only.",
        f"parameters reached by the sentiment head: {sorted(sentiment)}; by the topic head: {sorted(topic)}",
    )
    pads = [r for h in result["heads"] for r in h["pad_rows"]]
    check(
        all(r == 0 for r in pads),
        "the padding id 0 must not be trained: its embedding row must get no gradient (padding_idx=0, "
        "and padding left out of the mean).",
        f"gradient of row 0 of the embeddings: {pads}",
    )


# --------------------------------------------------------------------------
# multitask_loss


def _loss(impl, outputs, targets, weights, task_weights):
    out = call("multitask_loss", impl, outputs, targets, weights, task_weights)
    if not (isinstance(out, torch.Tensor) and out.dim() == 0):
        fail("multitask_loss must return a 0-dim tensor.", f"got {describe(out)}")
    return out


@graded("multitask_loss", points=1)
def test_multitask_loss_worked_example(impl):
    for dtype in (torch.float32, torch.float64):
        outputs = (torch.tensor(LOSS_S, dtype=dtype), torch.tensor(LOSS_T, dtype=dtype))
        targets = (torch.tensor(LOSS_YS), torch.tensor(LOSS_YT))
        for ws, wt, tasks, want in WORKED_LOSS:
            weights = tuple(None if w is None else torch.tensor(w, dtype=dtype) for w in (ws, wt))
            out = _loss(impl, outputs, targets, weights, tasks)
            check(
                out.dtype == dtype and abs(float(out) - want) < 1e-5,
                "multitask_loss must be task_weights[0] · CE(sentiment) + task_weights[1] · CE(topic), each "
                f"F.cross_entropy with its class weights (None: none): {want:.6f} here.",
                f"sentiment logits {LOSS_S}, labels {LOSS_YS}; topic logits {LOSS_T}, labels {LOSS_YT}; "
                f"weights ({ws}, {wt}), task_weights {tasks}, {dtype} → {show(out)} ({describe(out)})",
            )


@graded("multitask_loss", points=1.5)
@FEW
@given(support.task_batches())
def test_multitask_loss_properties(impl, case):
    outputs, targets, weights = case["outputs"], case["targets"], case["weights"]
    dtype = outputs[0].dtype
    given_ = (f"logits {describe(outputs[0])} and {describe(outputs[1])}, labels {targets[0].tolist()} and "
              f"{targets[1].tolist()}, class weights {[None if w is None else w.tolist() for w in weights]}")
    first, second = (float(_loss(impl, outputs, targets, weights, t)) for t in ((1.0, 0.0), (0.0, 1.0)))
    mixed = float(_loss(impl, outputs, targets, weights, (0.3, 2.0)))
    want = 0.3 * first + 2.0 * second
    check(
        abs(mixed - want) <= 1e-4 * (1 + abs(want)),
        "multitask_loss must weigh the two tasks' losses by task_weights: its value at (0.3, 2) is 0.3 × its "
        "value at (1, 0) plus 2 × its value at (0, 1).",
        f"{given_}: (1, 0) → {first:.6g}, (0, 1) → {second:.6g}, (0.3, 2) → {mixed:.6g}, expected {want:.6g}",
    )
    scaled = tuple(None if w is None else w * 4 for w in weights)
    again = float(_loss(impl, outputs, targets, scaled, (1.0, 1.0)))
    plain = float(_loss(impl, outputs, targets, weights, (1.0, 1.0)))
    check(
        abs(again - plain) <= 1e-4 * (1 + abs(plain)),
        "each task's loss must be the class-WEIGHTED MEAN (F.cross_entropy's weight=): multiplying every class "
        "weight by 4 must not change it.",
        f"{given_} → {plain:.6g}; class weights × 4 → {again:.6g}",
    )
    uniform = tuple(torch.full((o.shape[1],), 2.5, dtype=dtype) for o in outputs)
    none = float(_loss(impl, outputs, targets, (None, None), (1.0, 1.0)))
    flat = float(_loss(impl, outputs, targets, uniform, (1.0, 1.0)))
    check(abs(flat - none) <= 1e-4 * (1 + abs(none)),
          "equal class weights must give the unweighted loss (None means no class weights).",
          f"{given_}: weights None → {none:.6g}, every class 2.5 → {flat:.6g}")


@graded("multitask_loss", points=0.5)
def test_multitask_loss_rare_class_weighs_more(impl):
    # One rare sentiment example (class 1), misclassified: raising its weight must raise the loss.
    s = torch.tensor([[2.0, -1.0], [2.0, -1.0], [2.0, -1.0], [2.0, -1.0]])
    t = torch.zeros(4, 2)
    targets = (torch.tensor([0, 0, 0, 1]), torch.tensor([0, 1, 0, 1]))
    low, high = (float(_loss(impl, (s, t), targets, (torch.tensor(w), None), (1.0, 1.0)))
                 for w in ([1.0, 1.0], [1.0, 3.0]))
    result = impl.run(probes.loss_gradient, (s, t), targets, (torch.tensor([1.0, 3.0]), None), (1.0, 1.0))
    check(high > low, "class weights must raise the loss of the rare class: weighting a misclassified rare "
          "class 3 times more must raise the loss.", f"weights [1, 1] → {low:.6g}, [1, 3] → {high:.6g}")
    check(
        result["grads"] is not None and all(g is not None for g in result["grads"]),
        "multitask_loss must carry gradients to both tasks' logits.",
        f"got {result['what']}",
    )


@graded("multitask_loss", points=1)
def test_multitask_loss_skips_missing_labels(impl):
    s, t = torch.tensor(LOSS_S), torch.tensor(LOSS_T)
    ys, yt = torch.tensor(LOSS_YS), torch.tensor(LOSS_YT)
    missing = torch.tensor([0, support.IGNORE, 1])
    out = float(_loss(impl, (s, t), (missing, yt), (None, None), (1.0, 0.0)))
    check(
        abs(out - MISSING_WANT) < 1e-5,
        "a label of -100 means 'no label for this task': the example must add nothing to that task's loss, "
        f"which is then the mean over the labelled examples only (F.cross_entropy's ignore_index): {MISSING_WANT:.6f} here.",
        f"sentiment logits {LOSS_S}, labels {missing.tolist()}, task_weights (1, 0) → {out:.6g}",
    )
    keep = missing != support.IGNORE
    for weights in ((None, None), (torch.tensor([1.0, 3.0]), torch.tensor([2.0, 1.0, 0.5]))):
        with_gaps = float(_loss(impl, (s, t), (missing, yt), weights, (1.0, 1.0)))
        only_kept = float(_loss(impl, (s[keep], t[keep]), (ys[keep], yt[keep]), weights, (1.0, 0.0)))
        topic = float(_loss(impl, (s, t), (ys, yt), weights, (0.0, 1.0)))
        check(
            abs(with_gaps - (only_kept + topic)) <= 1e-5 * (1 + abs(with_gaps)),
            "an unlabelled (-100) example must count as if it were not in that task's batch, with class "
            "weights too: the sentiment loss with row 1 unlabelled must equal the sentiment loss of rows 0 "
            "and 2 alone, and the topic loss must still use all three rows.",
            f"class weights {[None if w is None else w.tolist() for w in weights]}: labels {missing.tolist()} "
            f"→ {with_gaps:.6g}; rows 0, 2 alone {only_kept:.6g} + topic {topic:.6g}",
        )
    none = torch.full_like(ys, support.IGNORE)
    result = impl.run(probes.loss_gradient, (s, t), (none, yt), (torch.tensor([1.0, 3.0]), None), (1.0, 1.0))
    topic = float(_loss(impl, (s, t), (ys, yt), (torch.tensor([1.0, 3.0]), None), (0.0, 1.0)))
    value = result.get("value")
    finite = value is not None and all(g is None or bool(torch.isfinite(g).all()) for g in result["grads"])
    check(
        finite and abs(value - topic) <= 1e-5 * (1 + abs(topic)),
        "a task with no labelled example in the batch must add 0 (not NaN) and leave finite gradients: "
        "with every sentiment label -100 the loss is the topic task's alone.",
        f"sentiment labels {none.tolist()}, topic labels {LOSS_YT} → {value if value is not None else result['what']}, "
        f"topic loss alone {topic:.6g}",
    )
