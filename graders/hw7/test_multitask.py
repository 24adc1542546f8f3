"""Graders for HW7-Q3, multi-task learning (module hw7/multitask): the two
functions that handle imbalanced labels, class_weights and macro_f1. The
model and the loss are graded in test_multitask_model.py.

Exact values are checked on the handout's worked examples (stored below as
numbers); on drawn labels the graders check properties, comparing the
student's functions with themselves: balanced labels weigh 1, relabelling
the classes relabels the result, a perfect prediction scores 1 and a
majority-class predictor scores below its accuracy.
"""
from __future__ import annotations

import torch
from hypothesis import given

from dlkit.grading.checks import call, call_keeping_inputs, check, describe, fail, graded, show
from graders.hw7 import multitask_support as support

MODULE = "hw7/multitask"

WEIGHTS_LABELS, WEIGHTS_WANT = [0, 0, 0, 1], [4 / 6, 2.0]
F1_TARGET, F1_PRED, F1_WANT = [0, 0, 1, 2], [0, 1, 1, 1], 0.3888888888888889


# --------------------------------------------------------------------------
# class_weights


@graded("class_weights", points=1)
def test_class_weights_worked_example(impl):
    labels = torch.tensor(WEIGHTS_LABELS)
    out = call_keeping_inputs("class_weights", impl, labels, 2, names=("labels",))
    check(
        isinstance(out, torch.Tensor) and out.dtype == torch.float32 and tuple(out.shape) == (2,)
        and support.close(out, WEIGHTS_WANT),
        f"class_weights({WEIGHTS_LABELS}, 2) must be N / (C · count_c) = [4 / (2·3), 4 / (2·1)] = "
        "[0.6667, 2.0], a float32 tensor of shape (C,).",
        f"got {show(out)} ({describe(out)})",
    )
    out = call("class_weights", impl, torch.tensor([2, 2, 0]), 4)
    check(
        isinstance(out, torch.Tensor) and support.close(out, [0.75, 0.0, 0.375, 0.0]),
        "a class that does not occur must get weight 0: class_weights([2, 2, 0], 4) is [0.75, 0, 0.375, 0].",
        f"got {show(out)}",
    )


@graded("class_weights", points=1.5)
@given(support.labels_of())
def test_class_weights_properties(impl, case):
    labels, n_classes = case
    out = call("class_weights", impl, labels, n_classes)
    given_ = f"labels {labels.tolist()}, n_classes={n_classes}"
    check(isinstance(out, torch.Tensor) and tuple(out.shape) == (n_classes,),
          "class_weights must return a tensor of shape (n_classes,).", f"{given_} → {describe(out)}")
    counts = torch.bincount(labels, minlength=n_classes)
    check(
        bool(((out > 0) == (counts > 0)).all()),
        "a class that occurs must get a positive weight, one that does not occur weight 0.",
        f"{given_}: counts {counts.tolist()} → {show(out)}",
    )
    pairs = [(a, b) for a in range(n_classes) for b in range(n_classes) if 0 < counts[a] < counts[b]]
    for a, b in pairs:
        check(
            float(out[a]) > float(out[b]),
            "a rarer class must weigh more (inverse frequency): that is what raises the loss of the rare class.",
            f"{given_}: class {a} occurs {int(counts[a])} times, class {b} {int(counts[b])} times, "
            f"weights {float(out[a]):.4g} and {float(out[b]):.4g}",
        )
    weighted = float((counts.double() * out.double()).sum())
    want = len(labels) * int((counts > 0).sum()) / n_classes
    check(
        abs(weighted - want) < 1e-4 * want,
        "the weights must be normalised as N / (C · count_c): Σ count_c · w_c is then N × (classes that "
        "occur) / C, and balanced labels weigh 1 each.",
        f"{given_} → {show(out)}: Σ count_c · w_c = {weighted:.6g}, expected {want:.6g}",
    )
    shift = (labels + 1) % n_classes
    shifted = call("class_weights", impl, shift, n_classes)
    check(
        isinstance(shifted, torch.Tensor) and support.close(shifted, out.roll(1)),
        "class_weights must treat every class alike: renaming class c as c + 1 moves its weight along.",
        f"{given_} → {show(out)}; labels + 1 (mod C) → {show(shifted)}",
    )


@graded("class_weights", points=0.5)
def test_class_weights_bad_labels(impl):
    for labels in ([0, 3], [-1, 0]):
        try:
            call("class_weights", impl, torch.tensor(labels), 3)
        except ValueError as exc:
            check("labels" in str(exc), "the ValueError for labels outside [0, n_classes) must name labels.",
                  f"labels {labels}, n_classes=3 → {exc!r}")
        else:
            fail("class_weights must raise ValueError for a label outside [0, n_classes), naming labels.",
                 f"labels {labels}, n_classes=3 raised nothing")


# --------------------------------------------------------------------------
# macro_f1


def _f1(impl, pred, target, n_classes) -> float:
    out = call_keeping_inputs("macro_f1", impl, pred, target, n_classes, names=("pred", "target"))
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = float(out)
    if not isinstance(out, float):
        fail("macro_f1 must return a Python float.", f"pred {pred.tolist()}, target {target.tolist()} → {describe(out)}")
    return out


@graded("macro_f1", points=1)
def test_macro_f1_worked_example(impl):
    out = _f1(impl, torch.tensor(F1_PRED), torch.tensor(F1_TARGET), 3)
    check(
        abs(out - F1_WANT) < 1e-9,
        f"macro_f1(pred={F1_PRED}, target={F1_TARGET}, 3) must be the mean of the per-class F1 scores "
        "2/3, 1/2 and 0: 0.3889.",
        f"got {out}",
    )
    out = _f1(impl, torch.tensor([1, 1, 0]), torch.tensor([1, 1, 1]), 2)
    check(
        abs(out - 0.4) < 1e-9,
        "a class that is predicted but never true has F1 0 and counts in the mean: pred [1, 1, 0] for target "
        "[1, 1, 1] gives class 1 F1 0.8 and class 0 F1 0, so 0.4.",
        f"got {out}",
    )


@graded("macro_f1", points=1.5)
@given(support.label_pairs())
def test_macro_f1_properties(impl, case):
    pred, target, n_classes = case
    given_ = f"pred {pred.tolist()}, target {target.tolist()}, n_classes={n_classes}"
    out = _f1(impl, pred, target, n_classes)
    check(0 <= out <= 1, "macro_f1 must lie in [0, 1].", f"{given_} → {out}")
    perfect = _f1(impl, target, target, n_classes)
    check(abs(perfect - 1) < 1e-9, "macro_f1 of a perfect prediction must be 1.", f"pred = target {target.tolist()} → {perfect}")
    order = torch.randperm(len(pred), generator=torch.Generator().manual_seed(len(pred)))
    check(abs(_f1(impl, pred[order], target[order], n_classes) - out) < 1e-9,
          "macro_f1 must not depend on the order of the examples.", given_)
    renamed = _f1(impl, (pred + 1) % n_classes, (target + 1) % n_classes, n_classes)
    check(abs(renamed - out) < 1e-9, "macro_f1 must treat every class alike: renaming the classes in both "
          "pred and target must not change it.", f"{given_} → {out}; classes + 1 (mod C) → {renamed}")
    wider = _f1(impl, pred, target, n_classes + 2)
    check(abs(wider - out) < 1e-9, "classes that occur in neither pred nor target must not count in the mean "
          "(scikit-learn's default): a larger n_classes must not change macro_f1.",
          f"{given_} → {out}; n_classes={n_classes + 2} → {wider}")
    majority = int(torch.bincount(target).argmax())
    constant = torch.full_like(target, majority)
    score, accuracy = _f1(impl, constant, target, n_classes), float((target == majority).double().mean())
    if len(set(target.tolist())) > 1:
        check(
            score < accuracy,
            "macro_f1 must punish a majority-class predictor: every other class scores 0, so its macro-F1 is "
            "below its accuracy.",
            f"target {target.tolist()}, always predicting {majority}: macro_f1 {score:.4f}, accuracy {accuracy:.4f}",
        )
