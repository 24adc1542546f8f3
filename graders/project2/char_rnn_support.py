"""Inputs and helpers shared by the char_rnn graders (project2/char_rnn), in the judge.

Nothing here computes an item's value: generate is graded with the marked
stand-ins of char_rnn_probes (ScrambledVocab, ScriptedModel), and the only
formula here is theirs: the greedy text ScriptedModel scripts, recomputed
from scripted_next, and the distribution it samples from.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import describe, fail
from graders.project2 import char_rnn_probes as probes

# The stand-ins' alphabet (ScrambledVocab numbers it backwards) and prompts.
ALPHABET = "abcdefg"
SAMPLING_ALPHABET = "wxyz"
SAMPLING_PROBS = [0.5, 0.25, 0.125, 0.125]  # ScriptedModel's softmax at temperature 1 (margin 0)


def case(prompt: str, length: int, temperature: float | None = None, seed: int | None = None,
         kind: str = "lstm", margin: float = 3.0, alphabet: str = ALPHABET,
         bias: list[float] | None = None) -> dict[str, Any]:
    """One generate_evidence case: a ScriptedModel favouring its scripted id
    by `margin` over `bias` (by default small distinct values)."""
    if bias is None:
        bias = [0.1 * i for i in range(len(alphabet))]
    return {"alphabet": alphabet, "prompt": prompt, "length": length, "temperature": temperature, "seed": seed,
            "bias": bias, "margin": margin, "kind": kind}


def sampling_case(length: int, temperature: float, seed: int) -> dict[str, Any]:
    """A ScriptedModel whose logits are log SAMPLING_PROBS at every position (no margin)."""
    return case("w", length, temperature, seed, margin=0.0, alphabet=SAMPLING_ALPHABET,
                bias=[math.log(p) for p in SAMPLING_PROBS])


def scripted_greedy(alphabet: str, prompt: str, length: int) -> str:
    """The greedy text of ScriptedModel (margin > spread of the bias) after
    `prompt`, ids numbered as ScrambledVocab numbers them."""
    chars = list(reversed(alphabet))
    v = len(chars)
    ids = [chars.index(c) for c in prompt]
    count, out = len(ids), []
    last = ids[-1]
    for _ in range(length):
        nxt = probes.scripted_next(count, last, v)
        out.append(nxt)
        count, last = count + 1, nxt
    return "".join(chars[i] for i in out)


def tempered(probs: list[float], temperature: float) -> list[float]:
    """softmax(log probs / T): the distribution of the stand-in at temperature T."""
    weights = [p ** (1 / temperature) for p in probs]
    total = sum(weights)
    return [w / total for w in weights]


def evidence(impl: Any, *cases: dict[str, Any]) -> list[dict[str, Any]]:
    """generate's evidence for each case, failing unless it returned a string."""
    got = impl.run(probes.generate_evidence, list(cases))
    for c, e in zip(cases, got):
        if e["text"] is None:
            fail("generate must return a string (vocab.decode of the new ids).",
                 f"{call_text(c)} → {e['what']}")
    return got


def call_text(c: dict[str, Any]) -> str:
    extra = "" if c["temperature"] is None else f", temperature={c['temperature']}, seeded generator {c['seed']}"
    return (f"generate(model, vocab, {c['prompt']!r}, {c['length']}{extra}) with the graders' stand-in model "
            f"({c['kind']}-like state) and vocabulary {list(reversed(c['alphabet']))}")


def positions_fed(e: dict[str, Any]) -> int:
    """How many positions the model was fed over all its calls."""
    return sum(int(math.prod(call["shape"])) for call in e["calls"])


# --------------------------------------------------------------------------
# inputs


@st.composite
def texts(draw: st.DrawFn) -> str:
    """1 to 30 characters of letters (both cases), digits, spaces and punctuation."""
    return draw(st.text(alphabet="abcXYZdeE 019.,!?'\n", min_size=1, max_size=30))


@st.composite
def id_tensors(draw: st.DrawFn) -> tuple[torch.Tensor, int]:
    """(ids, seq_length): 2 to 40 int64 ids in [0, 20) and a length 1 ≤ L < T."""
    t = draw(st.integers(2, 40))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    ids = torch.randint(0, 20, (t,), generator=gen)
    return ids, draw(st.integers(1, t - 1))


@st.composite
def logit_cases(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, targets): (N, C) or (N, L, C) logits of scale 3, float32 or
    float64, with int64 targets of their shape without C."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    shape = (n, c) if draw(st.booleans()) else (n, draw(st.integers(1, 3)), c)
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    logits = (torch.randn(shape, generator=gen, dtype=torch.float64) * 3).to(dtype)
    targets = torch.randint(0, c, shape[:-1], generator=gen)
    return logits, targets


def soft_targets(shape: tuple[int, ...], seed: int, dtype: torch.dtype, zeros: bool = False) -> torch.Tensor:
    """Target distributions of `shape` (rows summing to 1); with `zeros`, a
    class of every row has probability exactly 0."""
    gen = torch.Generator().manual_seed(seed)
    raw = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.05
    if zeros:
        raw[..., 0] = 0
    return (raw / raw.sum(-1, keepdim=True)).to(dtype)


def scalar(out: Any, fn: str, what: str) -> float:
    """A loss's value, failing unless it is a 0-dim tensor."""
    if not (isinstance(out, torch.Tensor) and out.dim() == 0):
        fail(f"{fn} must return a 0-dim tensor (the mean over every position).", f"{what} → {describe(out)}")
    return float(out.detach().double())


def close(a: float, b: float, dtype: torch.dtype = torch.float64) -> bool:
    tol = 1e-9 if dtype == torch.float64 else 2e-5
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
