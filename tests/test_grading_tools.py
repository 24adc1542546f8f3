"""The tools every grader is written with: the message of several distinct
hypothesis failures, the input-mutation and result-kind checks, and
non-contiguous inputs kept across the judge's channel to the worker."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import GradingFailure, call_keeping_inputs, check, check_like
from dlkit.grading.messages import explain
from dlkit.judge import Submission
from dlkit.judge.client import RemoteModule
from dlkit.judge.codec import Decoder, Encoder, noncontiguous

SUBMISSION = '''
import torch

def zero_in_place(x):
    x[x < 0] = 0
    return x

def relu(x):
    return x.clamp(min=0)

def is_contiguous(x):
    return x.is_contiguous()

def as_float32(x):
    return x.float()
'''


def test_several_distinct_failures_show_every_sentence_and_input_first_one_leading() -> None:
    @settings(derandomize=True, database=None, max_examples=200)
    @given(st.integers(0, 100))
    def grader(n: int) -> None:
        check(n < 10, "n must be below 10.", f"n={n}")
        if n == 7:
            raise ZeroDivisionError("division by zero")

    with pytest.raises(BaseException) as info:
        grader()
    message = explain(info.value)
    first, *rest = message.split("\n  also (2): ")
    assert isinstance(info.value, BaseExceptionGroup)
    assert "Hypothesis found" not in message and "sub-exception" not in message
    assert rest, message
    # Each failure keeps its own smallest input; whichever hypothesis lists first leads.
    sentences = {"n must be below 10.": "n=10", "ZeroDivisionError: division by zero": "n=7"}
    for part in (first, rest[0]):
        sentence = next(s for s in sentences if s in part)
        assert f"smallest failing input: {sentences.pop(sentence)}" in part, message
    assert not sentences


def test_one_failure_is_its_sentence_and_input_alone() -> None:
    @settings(derandomize=True, database=None)
    @given(st.integers(0, 100))
    def grader(n: int) -> None:
        check(n < 10, "n must be below 10.", f"n={n}")

    with pytest.raises(GradingFailure) as info:
        grader()
    assert explain(info.value) == "n must be below 10.\n  n=10\n  smallest failing input: n=10"


@pytest.mark.parametrize("shape", [(5,), (1, 4), (4, 1), (2, 3), (2, 3, 4)])
def test_noncontiguous_keeps_values_and_breaks_the_layout(shape: tuple[int, ...]) -> None:
    t = torch.arange(float(torch.Size(shape).numel())).view(shape)
    out = noncontiguous(t)
    assert torch.equal(out, t) and not out.is_contiguous()


def test_the_codec_keeps_non_contiguity_and_contiguity() -> None:
    odd_strides = (torch.tensor([1.5, 2.0])[::2], torch.tensor([[1.0, 2.0], [3.0, 4.0]])[:1, :1])
    for t in (noncontiguous(torch.randn(3, 4)), torch.randn(3, 4), *odd_strides):
        enc = Encoder()
        node = enc(t)
        out = Decoder(enc.blobs)(node)
        assert torch.equal(out, t) and out.is_contiguous() == t.is_contiguous()


@pytest.fixture(scope="module")
def impl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteModule]:
    root: Path = tmp_path_factory.mktemp("submission")
    (root / "hw0").mkdir()
    (root / "hw0" / "tools.py").write_text(SUBMISSION, encoding="utf-8")
    submission = Submission(root)
    submission.deadline = None
    try:
        yield RemoteModule(submission, "hw0/tools")
    finally:
        submission.close()


def test_a_changed_input_fails_with_its_name_and_both_values(impl: RemoteModule) -> None:
    x = torch.tensor([-1.0, 2.0])
    with pytest.raises(GradingFailure) as info:
        call_keeping_inputs("zero_in_place", impl, x, names=("x",))
    text = str(info.value)
    assert text.startswith("zero_in_place must not change its input x in place")
    assert "x before: [-1.0, 2.0]" in text and "x after: [0.0, 2.0]" in text


def test_an_unchanged_input_passes_and_the_result_comes_back(impl: RemoteModule) -> None:
    x = torch.tensor([-1.0, float("nan"), 2.0])
    out = call_keeping_inputs("relu", impl, x, names=("x",))
    assert out[0] == 0 and out[2] == 2


def test_student_code_receives_a_non_contiguous_input_as_non_contiguous(impl: RemoteModule) -> None:
    assert impl.is_contiguous(noncontiguous(torch.randn(3, 4))) is False
    assert impl.is_contiguous(torch.randn(3, 4)) is True


def test_check_like_names_the_dtype_the_input_asked_for(impl: RemoteModule) -> None:
    x = torch.randn(2, 3, dtype=torch.float64)
    with pytest.raises(GradingFailure, match=r"as_float32 must return float64 for a float64 input"):
        check_like("as_float32", impl.as_float32(x), x, "x: float64 (2, 3)")
    check_like("relu", impl.relu(x), x, "x: float64 (2, 3)")
    with pytest.raises(GradingFailure, match=r"relu must return a tensor of shape \(3, 2\)"):
        check_like("relu", impl.relu(x), x, "x", shape=(3, 2))
