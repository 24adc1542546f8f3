"""Graders for HW1-Q3 (module hw1/distillation): what every item must keep
whatever tensors it is given — the logits' dtype (float32 and float64) and
device (CUDA when the grading machine has one), its inputs unchanged,
non-contiguous inputs (a transposed view) accepted with the same result as
contiguous ones, a batch of one.

Each item's values are graded in test_distillation.py; here an item is
compared with itself on the two layouts, so nothing here holds an answer.
soft_loss and distillation_loss run with the marked spies in place of the
items they call, as there, so a fault of soft_targets costs nothing here.
"""
from __future__ import annotations

from hypothesis import given, settings

from dlkit.grading.checks import check, check_like, graded, show
from dlkit.isolation import substituted
from graders.hw1 import distillation_support as support
from graders.hw1 import distillation_probes as probes

MODULE = "hw1/distillation"
# Each example is one to four round trips to the worker; a dozen draws cover
# both dtypes, both layouts and the shapes.
FEW = settings(max_examples=12)


def _same_on_both(fn_name: str, plain, laid, dtype, temperature: float, what: str) -> None:
    check(
        support.same_value(plain, laid, dtype, temperature, slack=5),
        f"{fn_name} must give the same result for non-contiguous inputs as for contiguous ones.",
        what,
        f"contiguous → {show(plain)}",
        f"non-contiguous → {show(laid)}",
    )


@graded("soft_targets", points=0.5, secondary=True)
@FEW
@given(support.placed_scores(), support.temperatures)
def test_soft_targets_keeps_dtype_device_and_input(impl, case, temperature):
    logits, strided = case
    what = support.inputs_text(strided, logits=logits, temperature=temperature)
    plain, laid = support.on_layouts("soft_targets", impl, (logits, temperature), ("logits",), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("soft_targets", out, logits, call)
    _same_on_both("soft_targets", plain, laid, logits.dtype, 1.0, what)


@graded("soft_loss", points=0.5, secondary=True)
@FEW
@given(support.placed_batches(), support.temperatures)
def test_soft_loss_keeps_dtype_device_and_inputs(impl, case, temperature):
    student, teacher, _, strided = case
    what = support.inputs_text(strided, student_logits=student, teacher_logits=teacher, temperature=temperature)
    with substituted(impl, "soft_loss", {"soft_targets": probes.spy_targets}):
        plain, laid = support.on_layouts("soft_loss", impl, (student, teacher, temperature),
                                         ("student_logits", "teacher_logits"), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("soft_loss", out, student, call, shape=())
    _same_on_both("soft_loss", plain, laid, student.dtype, temperature, what)


@graded("distillation_loss", points=0.5, secondary=True)
@FEW
@given(support.placed_batches(), support.temperatures, support.alphas)
def test_distillation_keeps_dtype_device_and_inputs(impl, case, temperature, alpha):
    student, teacher, labels, strided = case
    what = support.inputs_text(strided, student_logits=student, teacher_logits=teacher, labels=labels,
                               temperature=temperature, alpha=alpha)
    spies = {"soft_targets": probes.spy_targets, "soft_loss": probes.spy_soft}
    with substituted(impl, "distillation_loss", spies):
        plain, laid = support.on_layouts("distillation_loss", impl, (student, teacher, labels, temperature, alpha),
                                         ("student_logits", "teacher_logits", "labels"), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("distillation_loss", out, student, call, shape=())
    _same_on_both("distillation_loss", plain, laid, student.dtype, temperature, what)
