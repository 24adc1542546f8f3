"""Hidden graders for HW7-Q3, multi-task learning (module hw7/multitask):
class_weights, macro_f1 and multitask_loss against scikit-learn and the
reference formula on drawn inputs."""
from __future__ import annotations

import torch
from hypothesis import given

from dlkit.grading.checks import call, check, show, graded
from graders.hw7 import multitask_support as support
from instructor.hw7 import multitask_oracle as oracle

MODULE = "hw7/multitask"


@graded("class_weights", points=1)
@given(support.labels_of())
def test_class_weights_match_reference(impl, case):
    labels, n_classes = case
    out = call("class_weights", impl, labels, n_classes)
    want = oracle.class_weights(labels, n_classes)
    check(isinstance(out, torch.Tensor) and support.close(out, want),
          "class_weights must be N / (C · count_c) for the classes that occur, 0 for the others.",
          f"labels {labels.tolist()}, n_classes={n_classes}", f"expected {want}, got {show(out)}")


@graded("macro_f1", points=1.5)
@given(support.label_pairs())
def test_macro_f1_matches_scikit_learn(impl, case):
    pred, target, n_classes = case
    out = call("macro_f1", impl, pred, target, n_classes)
    want = oracle.macro_f1(pred, target)
    check(isinstance(out, (float, torch.Tensor)) and abs(float(out) - want) < 1e-9,
          "macro_f1 must equal scikit-learn's f1_score(target, pred, average='macro', zero_division=0).",
          f"pred {pred.tolist()}, target {target.tolist()}, n_classes={n_classes}", f"expected {want}, got {out!r}")


@graded("multitask_loss", points=1)
@given(support.task_batches())
def test_multitask_loss_matches_reference(impl, case):
    tasks = (0.6, 1.7)
    out = call("multitask_loss", impl, case["outputs"], case["targets"], case["weights"], tasks)
    want = oracle.multitask_loss(case["outputs"], case["targets"], case["weights"], tasks)
    check(isinstance(out, torch.Tensor) and abs(float(out) - want) <= 1e-4 * (1 + abs(want)),
          "multitask_loss must be Σ task_weight · class-weighted mean cross-entropy of each task.",
          f"labels {case['targets'][0].tolist()} and {case['targets'][1].tolist()}, task_weights {tasks}",
          f"expected {want:.6g}, got {show(out)}")
