"""Inputs and helpers shared by the CycleGAN loss graders (hw7/cyclegan_loss),
in the judge: drawn images and discriminator scores, tolerances, and the
values generator_ab_loss's parts may take through the graders' spies
(cyclegan_loss_probes), recomputed here from the same tiny networks."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from dlkit.grading.checks import alone_values, describe, fail, show
from graders.hw7 import cyclegan_loss_probes as probes

PARTS = ("adversarial", "cycle_A", "cycle_B", "identity")
float_dtypes = st.sampled_from([torch.float32, torch.float64])
kinds = st.sampled_from(list(probes.KINDS))
lambdas = st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0])


def tolerance(dtype: torch.dtype) -> float:
    return 1e-4 if dtype == torch.float32 else 1e-9


def close(got: Any, want: float, dtype: torch.dtype, slack: float = 1.0) -> bool:
    if isinstance(got, torch.Tensor):
        if got.numel() != 1:
            return False
        got = float(got.detach())
    if not isinstance(got, float):
        return False
    return abs(got - want) <= slack * tolerance(dtype) * (1 + abs(want))


def is_scalar_of(value: Any, dtype: torch.dtype) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype == dtype


def alone(impl: Any, fn_name: str, *calls: tuple) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls`, with the spies in place of
    the items it calls: one round trip to the worker for them all."""
    return alone_values(impl, probes.values, fn_name, list(calls))


def drawn(shape: tuple[int, ...], dtype: torch.dtype, seed: int, scale: float = 1.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=gen, dtype=torch.float64) * scale).to(dtype)


@st.composite
def image_pairs(draw: st.DrawFn) -> tuple[torch.Tensor, torch.Tensor]:
    """(real, other): two (N, C, H, W) image batches of one drawn shape and dtype."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return drawn(shape, dtype, seed), drawn(shape, dtype, seed + 1)


@st.composite
def scores(draw: st.DrawFn) -> torch.Tensor:
    """Discriminator logits: (N, 1) or (N, 1, h, w) patch scores, scale 2."""
    n = draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(n, 1), (n, 1, 2, 2), (n, 1, 3, 1)]))
    return drawn(shape, draw(float_dtypes), draw(st.integers(0, 2**16)), scale=2.0)


@st.composite
def generator_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A case for generator_evidence: tiny networks' seed and channels, two
    image batches (at least 3 × 3, for the patch discriminators), weights."""
    channels, n = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    size = draw(st.integers(3, 5))
    dtype, seed = draw(float_dtypes), draw(st.integers(0, 2**16))
    return {
        "channels": channels,
        "seed": seed,
        "real_A": drawn((n, channels, size, size), dtype, seed + 1),
        "real_B": drawn((n, channels, size, size), dtype, seed + 2),
        "kwargs": {
            "lambda_cycle": draw(lambdas),
            "lambda_identity": draw(lambdas),
            "adversarial": draw(kinds),
        },
    }


def case_text(case: dict[str, Any]) -> str:
    kw = ", ".join(f"{k}={v!r}" for k, v in case["kwargs"].items())
    return (f"real_A, real_B: {describe(case['real_A'])} images; tiny conv generators and patch discriminators "
            f"(seed {case['seed']}); {kw}")


def images_of(case: dict[str, Any]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The image pairs each part compares, from the same networks the worker
    built: {"scores": (disc_B(gen_AB(real_A)),), "cycle_A": (real_A, gen_BA(gen_AB(real_A))), …}."""
    real_A, real_B = case["real_A"], case["real_B"]
    nets = probes.tiny_nets(case["channels"], case["seed"], real_A.dtype)
    with torch.no_grad():
        fake_B = nets["gen_AB"](real_A)
        return {
            "scores": (nets["disc_B"](fake_B),),
            "cycle_A": (real_A, nets["gen_BA"](fake_B)),
            "cycle_B": (real_B, nets["gen_AB"](nets["gen_BA"](real_B))),
            "identity": (real_B, nets["gen_AB"](real_B)),
        }


def spied_candidates(pair: tuple[torch.Tensor, torch.Tensor]) -> list[float]:
    """What an L1 part is through either spy, its images in either order (L1
    is symmetric, and cycle_loss and identity_loss are the same formula)."""
    a, b = pair
    return [float(probes.spy_gap_64(x, y, mark)) for mark in (probes.CYCLE_MARK, probes.IDENTITY_MARK)
            for x, y in ((a, b), (b, a))]


def own_values(impl: Any, cases: list[dict[str, Any]]) -> list[dict[str, list[float]]]:
    """For each case, what the student's own adversarial_loss, cycle_loss and
    identity_loss give on the images of each part (a term computed by
    calling them, or inline the same way, counts as right)."""
    pairs = [images_of(c) for c in cases]
    adv = impl.run(probes.values_or_none, "adversarial_loss",
                   [(p["scores"][0], c["kwargs"]["adversarial"]) for p, c in zip(pairs, cases)])
    l1_calls = [p[k] for p in pairs for k in ("cycle_A", "cycle_B", "identity")]
    by_fn = {fn: impl.run(probes.values_or_none, fn, l1_calls) for fn in ("cycle_loss", "identity_loss")}
    out = []
    for i, _ in enumerate(cases):
        entry = {"adversarial": [_number(adv[i])]}
        for j, key in enumerate(("cycle_A", "cycle_B", "identity")):
            entry[key] = [_number(by_fn[fn][3 * i + j]) for fn in by_fn]
        out.append(entry)
    return out


def _number(value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    return float("nan")


def candidates(case: dict[str, Any], own: dict[str, list[float]], extra: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Every value each part may take: through the spies, as the student's own
    items compute it, or (`extra`) a stored or reference value."""
    pairs, kind = images_of(case), case["kwargs"]["adversarial"]
    out = {
        "adversarial": [float(probes.spy_adversarial_64(pairs["scores"][0], kind)), *own["adversarial"]],
        **{k: [*spied_candidates(pairs[k]), *own[k]] for k in ("cycle_A", "cycle_B", "identity")},
    }
    for key, values in (extra or {}).items():
        out[key] += values
    if case["kwargs"]["lambda_identity"] == 0:
        out["identity"] = [0.0]
    return out


def evidence(impl: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = impl.run(probes.generator_evidence, cases)
    if result and "missing" in result[0]:
        if result[0]["missing"] == "missing":
            fail("generator_ab_loss is missing: define a function with exactly that name.")
        fail(f"generator_ab_loss must be a function; got {result[0]['missing']}.")
    return result


def check_parts(entry: dict[str, Any], case: dict[str, Any], wants: dict[str, list[float]]) -> None:
    """generator_ab_loss's (total, parts) against the values each part may take."""
    given_ = case_text(case)
    dtype = case["real_A"].dtype
    if entry["error"] is not None:
        fail("generator_ab_loss must not raise for valid arguments.", given_, f"raised {entry['error'][0]}: {entry['error'][1]}")
    if "parts" not in entry:
        fail("generator_ab_loss must return a tuple (total, parts) with parts a dict.", given_, f"got {entry['what']}")
    parts = entry["parts"]
    missing = [k for k in PARTS if k not in parts]
    if missing:
        hint = " (cycle_B is the B → A → B cycle: real_B against gen_AB(gen_BA(real_B)))" if "cycle_B" in missing else ""
        fail(f"parts must hold the unweighted terms under {', '.join(map(repr, PARTS))}; missing {missing}{hint}.",
             given_, f"keys: {sorted(parts)}")
    if entry["total"] is None:
        fail("generator_ab_loss's total must be a 0-dim tensor.", given_, f"got {entry['total_what']}")
    sentences = {
        "adversarial": "parts['adversarial'] must be adversarial_loss(disc_B(gen_AB(real_A)), adversarial): "
        "the fakes of domain B scored by disc_B.",
        "cycle_A": "parts['cycle_A'] must be cycle_loss(real_A, gen_BA(gen_AB(real_A))): A → B → A.",
        "cycle_B": "parts['cycle_B'] must be cycle_loss(real_B, gen_AB(gen_BA(real_B))): B → A → B, the second "
        "direction of the cycle.",
        "identity": "parts['identity'] must be identity_loss(real_B, gen_AB(real_B)) when lambda_identity > 0, "
        "and a zero tensor when it is 0.",
    }
    for key in PARTS:
        got = parts[key]
        if not isinstance(got, float) or not any(close(got, w, dtype) for w in wants[key]):
            fail(sentences[key], given_, f"got {got if isinstance(got, float) else 'a ' + str(got)}",
                 "(the graders put marked stand-ins in place of adversarial_loss, cycle_loss and identity_loss; "
                 "their values, or your own functions' values on the same images, count)")
    kw = case["kwargs"]
    want = parts["adversarial"] + kw["lambda_cycle"] * (parts["cycle_A"] + parts["cycle_B"]) \
        + kw["lambda_identity"] * parts["identity"]
    if not close(entry["total"], want, dtype, slack=10):
        fail("total must be adversarial + lambda_cycle · (cycle_A + cycle_B) + lambda_identity · identity, "
             "with the parts it returned.", given_,
             f"parts {show({k: round(v, 6) for k, v in parts.items()})} → expected {want:.6g}, got {entry['total']:.6g}")
