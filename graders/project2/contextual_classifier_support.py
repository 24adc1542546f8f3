"""Inputs and helpers shared by the contextual_classifier graders
(project2/contextual_classifier), in the judge.

Nothing here computes an item's value. Drawn tweets are built from pieces
(words, URLs, mentions, emojis, punctuation) whose number the strategy
knows, so a grader can count the tokens it must find; drawn states come
with garbage at the padded positions.
"""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import describe, fail

TOKENS = ("<user>", "<url>", "<emoji>")
EMOJIS = "😂🔥👍🙄💯☀❤✔🇺🇸"  # 🇺🇸 is two regional indicators: two emoji characters
PUNCTUATION = ".,!?;:'\"()#&*-_/[]{}~…“”’"

words = st.text(alphabet="abcXYZéÉ019", min_size=1, max_size=6)
urls = st.builds(lambda scheme, host, path: f"{scheme}{host}.co/{path}",
                 st.sampled_from(["http://", "https://", "HTTP://", "www."]),
                 st.text(alphabet="abcXY1", min_size=1, max_size=4),
                 st.text(alphabet="aZ9?=&@#._-/", max_size=6))
mentions = st.builds(lambda name, tail: f"@{name}{tail}", st.text(alphabet="abcXY_19", min_size=1, max_size=5),
                     st.sampled_from(["", ":", ",", "!", "'s"]))
emoji_runs = st.text(alphabet=EMOJIS, min_size=1, max_size=3)
punctuation = st.text(alphabet=PUNCTUATION, min_size=1, max_size=3)
entities = st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"])
separators = st.sampled_from([" ", "  ", "\n", "\t", " \u00a0"])


def n_emojis(text: str) -> int:
    return sum(c in EMOJIS for c in text)


@st.composite
def tweets(draw: st.DrawFn) -> dict[str, Any]:
    """{"text", "urls", "mentions", "emojis"}: 1 to 8 pieces separated by
    whitespace, and how many URLs, mentions and emoji characters they hold."""
    kinds = draw(st.lists(st.sampled_from(["word", "word", "url", "mention", "emoji", "punct", "entity", "mixed"]),
                          min_size=1, max_size=8))
    pieces, counts = [], {"urls": 0, "mentions": 0, "emojis": 0}
    for kind in kinds:
        if kind == "url":
            pieces.append(draw(urls))
            counts["urls"] += 1
        elif kind == "mention":
            pieces.append(draw(mentions))
            counts["mentions"] += 1
        elif kind == "emoji":
            run = draw(emoji_runs)
            pieces.append(run)
            counts["emojis"] += n_emojis(run)
        elif kind == "punct":
            pieces.append(draw(punctuation))
        elif kind == "entity":
            pieces.append(draw(entities))
        elif kind == "mixed":  # a word with punctuation and an emoji glued to it
            run = draw(emoji_runs)
            pieces.append(draw(punctuation) + draw(words) + draw(punctuation) + run)
            counts["emojis"] += n_emojis(run)
        else:
            pieces.append(draw(words))
    text = "".join(p + draw(separators) for p in pieces).strip() if draw(st.booleans()) else \
        draw(separators).join(pieces)
    return {"text": text, **counts}


def text_of(impl: Any, text: str) -> str:
    """preprocess_tweet(text), failing unless it is a string."""
    from dlkit.grading.checks import call

    out = call("preprocess_tweet", impl, text)
    if not isinstance(out, str):
        fail("preprocess_tweet must return a string.", f"preprocess_tweet({text!r}) → {describe(out)}")
    return out


def bad_words(out: str) -> list[str]:
    """The words of `out` that are neither a token nor lower-case alphanumeric."""
    return [w for w in (out.split(" ") if out else []) if w not in TOKENS and not (w.isalnum() and w == w.lower())]


# --------------------------------------------------------------------------
# states and masks


def padded(sentence: torch.Tensor, length: int, seed: int, scale: float = 50.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, length, D) states: `sentence` (T, D) then garbage of `scale`; its (1, length) int64 mask."""
    t, d = sentence.shape
    gen = torch.Generator().manual_seed(seed)
    garbage = (torch.randn(length - t, d, generator=gen, dtype=torch.float64) * scale).to(sentence.dtype)
    mask = torch.zeros(1, length, dtype=torch.int64)
    mask[0, :t] = 1
    return torch.cat([sentence, garbage])[None], mask


def batch(lengths: list[int], length: int, d: int, seed: int, dtype: torch.dtype = torch.float32,
          scale: float = 50.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, length, d) states of scale 1 at the real positions (the first
    lengths[i] of row i) and garbage of `scale` after; the (N, length) mask."""
    gen = torch.Generator().manual_seed(seed)
    states = torch.randn(len(lengths), length, d, generator=gen, dtype=torch.float64)
    mask = torch.zeros(len(lengths), length, dtype=torch.int64)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
        states[i, n:] *= scale
    return states.to(dtype), mask


@st.composite
def state_batches(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(states, mask): 1 to 4 rows of 1 to 6 real positions, padded to up to
    9, D in 1..5, float32 or float64, garbage at the padded positions."""
    n, d = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    length = max(lengths) + draw(st.integers(0, 3))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return batch(lengths, length, d, draw(st.integers(0, 2**16)), dtype)


def close(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype = torch.float32) -> bool:
    tol = 1e-9 if dtype == torch.float64 else 1e-5
    return a.shape == b.shape and torch.allclose(a.double().cpu(), b.double().cpu(), atol=tol, rtol=tol)


# --------------------------------------------------------------------------
# evaluate


@st.composite
def predictions(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(pred, target, C): 1 to 30 labels in [0, C), C in 2..5."""
    c, n = draw(st.integers(2, 5)), draw(st.integers(1, 30))
    gen = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    target = torch.randint(0, c, (n,), generator=gen)
    pred = torch.where(torch.rand(n, generator=gen) < 0.5, target, torch.randint(0, c, (n,), generator=gen))
    return pred, target, c


KEYS = ("confusion", "precision", "recall", "f1", "macro_f1", "accuracy")


def report(impl: Any, pred: torch.Tensor, target: torch.Tensor, c: int) -> dict[str, Any]:
    """evaluate's dict, failing unless it has every key with the right kind of value."""
    from dlkit.grading.checks import call_keeping_inputs

    out = call_keeping_inputs("evaluate", impl, pred, target, c, names=("pred", "target"))
    given_ = f"evaluate(pred={pred.tolist()}, target={target.tolist()}, n_classes={c})"
    if not isinstance(out, dict) or any(k not in out for k in KEYS):
        fail(f"evaluate must return a dict with the keys {list(KEYS)}.", f"{given_} → {describe(out)}")
    conf = out["confusion"]
    if not (isinstance(conf, torch.Tensor) and tuple(conf.shape) == (c, c)):
        fail("evaluate's 'confusion' must be a (C, C) tensor.", f"{given_} → confusion {describe(conf)}")
    for key in ("precision", "recall", "f1"):
        if not (isinstance(out[key], torch.Tensor) and tuple(out[key].shape) == (c,)):
            fail(f"evaluate's {key!r} must be a (C,) tensor, one value per class.",
                 f"{given_} → {key} {describe(out[key])}")
    for key in ("macro_f1", "accuracy"):
        value = out[key]
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = float(value)
        if not isinstance(value, float):
            fail(f"evaluate's {key!r} must be a Python float.", f"{given_} → {key} {describe(out[key])}")
        out[key] = value
    return out
