"""Graders for HW1-Q1c (module hw1/dropout): what every item must keep
whatever tensors it is given — the input's dtype (float32 and float64) and
device (CUDA when the grading machine has one), its inputs unchanged,
non-contiguous inputs (a transposed view) accepted with the same result as
contiguous ones, a batch of one.

Each item's values are graded in test_dropout.py; here an item is compared
with itself on the two layouts, so nothing here holds an answer.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, check_like, graded, show
from dlkit.isolation import substituted
from graders.hw1 import dropout_probes as probes
from graders.hw1 import dropout_support as support

MODULE = "hw1/dropout"
# Each example is one to four round trips to the worker; a dozen draws cover
# both dtypes, both layouts and the shapes.
FEW = settings(max_examples=12)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-6, atol=1e-7)


def _same_on_both(fn_name: str, plain: torch.Tensor, laid: torch.Tensor, what: str) -> None:
    check(
        _same(plain, laid),
        f"{fn_name} must give the same result for non-contiguous inputs as for contiguous ones.",
        what,
        f"contiguous → {show(plain)}",
        f"non-contiguous → {show(laid)}",
    )


@graded("apply_dropout_mask", points=0.5, secondary=True)
@FEW
@given(support.placed_inputs())
def test_apply_mask_keeps_dtype_device_and_inputs(impl, case):
    x, mask, strided = case
    what = support.inputs_text(strided, activations=x, mask=mask)
    plain, laid = support.on_layouts("apply_dropout_mask", impl, (x, mask), ("activations", "mask"), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("apply_dropout_mask", out, x, call)
    _same_on_both("apply_dropout_mask", plain, laid, what)


@graded("drop_rate_from_mask", points=0.5, secondary=True)
@FEW
@given(support.placed_inputs())
def test_drop_rate_any_layout_and_device(impl, case):
    _, mask, strided = case
    what = support.inputs_text(strided, mask=mask)
    plain, laid = support.on_layouts("drop_rate_from_mask", impl, (mask,), ("mask",), strided, what)
    check(
        all(isinstance(r, float) for r in (plain, laid)),
        "drop_rate_from_mask must return a Python float, whatever the mask's device and layout.",
        f"{what} → {show(plain)} ({type(plain).__name__}), non-contiguous → {show(laid)} ({type(laid).__name__})",
    )
    check(
        plain == laid,
        "drop_rate_from_mask must give the same rate for a non-contiguous mask as for a contiguous one.",
        f"{what} → {plain} contiguous, {laid} non-contiguous",
    )


@graded("classic_test_output", points=0.5, secondary=True)
@FEW
@given(support.placed_inputs(), support.rates)
def test_classic_keeps_dtype_device_and_inputs(impl, case, p):
    x, _, strided = case
    what = support.inputs_text(strided, activations=x, p=p)
    plain, laid = support.on_layouts("classic_test_output", impl, (x, p), ("activations",), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("classic_test_output", out, x, call)
    _same_on_both("classic_test_output", plain, laid, what)


@graded("inverted_dropout", points=0.5, secondary=True)
@FEW
@given(support.placed_inputs(), support.rates)
def test_inverted_keeps_dtype_device_and_inputs(impl, case, p):
    x, mask, strided = case
    what = support.inputs_text(strided, activations=x, mask=mask, p=p)
    plain, laid = support.on_layouts("inverted_dropout", impl, (x, mask, p), ("activations", "mask"), strided, what)
    for out, call in zip((plain, laid), support.calls_text(what, strided)):
        check_like("inverted_dropout", out, x, call)
    _same_on_both("inverted_dropout", plain, laid, what)


@graded("dropout_forward", points=0.5, secondary=True)
@FEW
@given(support.placed_inputs(), support.rates, st.booleans())
def test_forward_keeps_dtype_device_and_input(impl, case, p, training):
    x, _, strided = case
    what = support.inputs_text(strided, x=x, p=p, training=training)
    with substituted(impl, "dropout_forward", {"inverted_dropout": probes.spy_inverted}):
        results = support.on_layouts("dropout_forward", impl, (x, p, training), ("x",), strided, what)
    for result, call in zip(results, support.calls_text(what, strided)):
        out, mask = support.pair(result, call)
        check_like("dropout_forward", out, x, f"{call}: the output")
        check_like("dropout_forward", mask, x, f"{call}: the mask")
        if not training:
            check(
                torch.equal(out, x) and torch.equal(mask, torch.ones_like(x)),
                "when not training, dropout_forward returns x unchanged and an all-ones mask.",
                call,
            )
