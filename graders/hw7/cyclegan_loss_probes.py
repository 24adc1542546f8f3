"""Grader code that runs in the worker, next to the submission (hw7/cyclegan_loss).

Nothing here answers an item. generator_ab_loss is graded with marked spies
in place of the three terms it calls:

* spy_adversarial, in place of adversarial_loss, is half the mean score plus
  3 ("lsgan") or 5 ("bce"): differentiable, but no loss against "real";
* spy_cycle and spy_identity, in place of cycle_loss and identity_loss, are
  a mean squared gap plus a fraction of the first argument's mean plus a
  constant: differentiable, not an L1, and the judge can tell which images
  each was given.

The judge rebuilds the same tiny networks (tiny_nets, from a seed) and
recomputes what the spies return, so a mistake in a term costs points on
that term only. The procedures run what needs autograd through the
student's code and return evidence as plain data.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker
from graders.probing import describe_output

KINDS = ("lsgan", "bce")
ADVERSARIAL_MARK = {"lsgan": 3.0, "bce": 5.0}
CYCLE_MARK = (0.25, 1.0)  # + 0.25 · mean(first argument) + 1
IDENTITY_MARK = (0.5, 2.0)
NETS = ("gen_AB", "gen_BA", "disc_A", "disc_B")


def spy_adversarial_64(disc_output: torch.Tensor, adversarial: str) -> torch.Tensor:
    """spy_adversarial in float64 (the judge's copy of the formula)."""
    return 0.5 * disc_output.double().mean() + ADVERSARIAL_MARK[adversarial]


def spy_gap_64(first: torch.Tensor, second: torch.Tensor, mark: tuple[float, float]) -> torch.Tensor:
    """spy_cycle (mark CYCLE_MARK) or spy_identity (IDENTITY_MARK) in float64."""
    a, b = first.double(), second.double()
    return ((b - a) ** 2).mean() + mark[0] * a.mean() + mark[1]


@in_worker
def spy_adversarial(disc_output: torch.Tensor, adversarial: str = "lsgan") -> torch.Tensor:
    """0.5 · mean(scores) + 3 (lsgan) or + 5 (bce): marked, not adversarial_loss."""
    if adversarial not in KINDS:
        raise ValueError(f"adversarial must be one of {KINDS}, got {adversarial!r}")
    return spy_adversarial_64(disc_output, adversarial).to(disc_output.dtype)


@in_worker
def spy_cycle(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """mean squared gap + 0.25 · mean(real) + 1: marked, not cycle_loss."""
    return spy_gap_64(real, reconstructed, CYCLE_MARK).to(real.dtype)


@in_worker
def spy_identity(real: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """mean squared gap + 0.5 · mean(real) + 2: marked, not identity_loss."""
    return spy_gap_64(real, same, IDENTITY_MARK).to(real.dtype)


SPIES = {"adversarial_loss": spy_adversarial, "cycle_loss": spy_cycle, "identity_loss": spy_identity}
# What each item is graded with in place of the items it calls.
_ALONE: dict[str, dict[str, Any]] = {
    "adversarial_loss": {},
    "cycle_loss": {},
    "identity_loss": {},
    "generator_ab_loss": SPIES,
}


def tiny_nets(channels: int, seed: int, dtype: torch.dtype = torch.float32) -> dict[str, nn.Module]:
    """Two 3×3 conv generators (C → C, tanh) and two patch discriminators
    (C → 1 score per 3×3 patch), weights drawn from `seed`: the same on both
    sides of the channel."""
    gen = torch.Generator().manual_seed(seed)

    def filled(module: nn.Module) -> nn.Module:
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.4)
        return module.to(dtype)

    def generator() -> nn.Module:
        return filled(nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.Tanh()))

    def discriminator() -> nn.Module:
        return filled(nn.Sequential(nn.Conv2d(channels, 2, 3), nn.LeakyReLU(0.2), nn.Conv2d(2, 1, 1)))

    return {"gen_AB": generator(), "gen_BA": generator(), "disc_A": discriminator(), "disc_B": discriminator()}


@in_worker
def values(impl: Any, fn_name: str, calls: list[tuple]) -> dict[str, Any]:
    """impl.`fn_name`(*args) for each args of `calls`, in one round trip, with
    the spies in place of the items it calls: {"values": [...]}, or
    {"missing": why} when there is no such function. Each call gets its own
    copies of the tensors."""
    fn = getattr(impl, fn_name, None)
    if fn is None or not callable(fn):
        return {"missing": "missing" if fn is None else type(fn).__name__}
    with substituted(impl, fn_name, _ALONE[fn_name]):
        return {"values": [fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args]) for args in calls]}


@in_worker
def values_or_none(impl: Any, fn_name: str, calls: list[tuple]) -> list[Any]:
    """impl.`fn_name`(*args) for each args of `calls`, None where it raised or
    is missing: the student's own terms, which generator_ab_loss's parts may
    equal, whether or not they work yet."""
    fn = getattr(impl, fn_name, None)
    out: list[Any] = []
    for args in calls:
        try:
            out.append(fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args]))
        except Exception:  # noqa: BLE001 - a term that does not work yet is no candidate
            out.append(None)
    return out


@in_worker
def gradients(impl: Any, fn_name: str, calls: list[tuple]) -> list[dict[str, Any]]:
    """impl.`fn_name`(*args) for each args of `calls` (tensors only, float64),
    each tensor argument requiring grad: the value and the gradient with
    respect to each argument (None where the result is not a differentiable
    0-dim tensor or an argument got none)."""
    out: list[dict[str, Any]] = []
    for args in calls:
        leaves = [a.clone().requires_grad_(True) if isinstance(a, torch.Tensor) else a for a in args]
        result = getattr(impl, fn_name)(*leaves)
        entry: dict[str, Any] = {"what": describe_output(result), "value": None, "grads": None}
        if isinstance(result, torch.Tensor) and result.requires_grad and result.numel() == 1:
            entry["value"] = float(result.detach())
            tensors = [a for a in leaves if isinstance(a, torch.Tensor)]
            grads = torch.autograd.grad(result.reshape(()), tensors, allow_unused=True)
            entry["grads"] = [None if g is None else g.detach() for g in grads]
        out.append(entry)
    return out


def _grad_report(model: nn.Module) -> dict[str, Any]:
    named = list(model.named_parameters())
    return {
        "missing": [n for n, p in named if p.grad is None],
        "nonfinite": [n for n, p in named if p.grad is not None and not bool(torch.isfinite(p.grad).all())],
        "nonzero": [n for n, p in named if p.grad is not None and bool(p.grad.abs().sum() > 0)],
        "frozen": [n for n, p in named if not p.requires_grad],
    }


@in_worker
def generator_evidence(impl: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """generator_ab_loss on tiny_nets(channels, seed, dtype) with the spies in
    place of the three terms, for each case {channels, seed, real_A, real_B,
    kwargs}: what it returned (total and parts as numbers), whether it
    raised, which parameters of each network got gradients from
    total.backward() and which were left frozen, and whether it changed the
    images in place."""
    fn = getattr(impl, "generator_ab_loss", None)
    if fn is None or not callable(fn):
        return [{"missing": "missing" if fn is None else type(fn).__name__}]
    out: list[dict[str, Any]] = []
    with substituted(impl, "generator_ab_loss", SPIES):
        for case in cases:
            real_A, real_B = case["real_A"], case["real_B"]
            nets = tiny_nets(case["channels"], case["seed"], real_A.dtype)
            given_A, given_B = real_A.clone(), real_B.clone()
            entry: dict[str, Any] = {"error": None}
            try:
                result = fn(given_A, given_B, *(nets[n] for n in NETS), **case["kwargs"])
            except NotImplementedError:
                raise  # a stub: reported as such
            except Exception as exc:  # noqa: BLE001 - reported to the judge as evidence
                entry["error"] = (type(exc).__name__, str(exc))
                out.append(entry)
                continue
            entry["changed_inputs"] = not (torch.equal(given_A, real_A) and torch.equal(given_B, real_B))
            entry["what"] = describe_output(result)
            if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
                entry["shape"] = "not (total, parts)"
                out.append(entry)
                continue
            total, parts = result
            entry["total_what"] = describe_output(total)
            entry["total"] = float(total.detach()) if isinstance(total, torch.Tensor) and total.numel() == 1 else None
            entry["total_dtype"] = str(total.dtype) if isinstance(total, torch.Tensor) else None
            entry["parts"] = {
                str(k): float(v.detach()) if isinstance(v, torch.Tensor) and v.numel() == 1 else describe_output(v)
                for k, v in parts.items()
            }
            if isinstance(total, torch.Tensor) and total.requires_grad and total.numel() == 1:
                total.reshape(()).backward()
                entry["grads"] = {n: _grad_report(nets[n]) for n in NETS}
            out.append(entry)
    return out
