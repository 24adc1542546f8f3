"""Images, small networks and a stand-in optimiser for the Fashion-MNIST graders.

train_epoch and evaluate are graded on the graders' own small networks and
with a plain SGD stand-in that records every step, so a mistake in
build_mlp or make_optimizer costs no points there; what they give is
checked against values computed ahead and stored in the grader file, and
against properties.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from dlkit.grading.checks import check, describe, fail
from graders.hw1 import fashion_mlp_probes as probes
from graders.hw1.fashion_mlp_probes import bar_image, random_image  # noqa: F401  (the graders' images)

# The contract's layer sizes and the parameter count they give.
MLP_SIZES = [(784, 512), (512, 256), (256, 128), (128, 10)]
MLP_PARAMETERS = sum(i * o + o for i, o in MLP_SIZES)  # 567 434


def moments(image: torch.Tensor) -> tuple[float, float, float, float]:
    """(centre x, centre y, angle of the main axis in degrees, total mass) of
    a (1, H, W) image's pixel values."""
    w = image[0].detach().double().cpu().clamp(min=0)
    ys, xs = torch.meshgrid(
        torch.arange(w.shape[0], dtype=torch.double), torch.arange(w.shape[1], dtype=torch.double),
        indexing="ij",
    )
    mass = w.sum()
    if mass <= 0:
        return math.nan, math.nan, math.nan, 0.0
    cx, cy = (w * xs).sum() / mass, (w * ys).sum() / mass
    cxx = (w * (xs - cx) ** 2).sum() / mass
    cyy = (w * (ys - cy) ** 2).sum() / mass
    cxy = (w * (xs - cx) * (ys - cy)).sum() / mass
    angle = 0.5 * math.degrees(math.atan2(2 * cxy, cxx - cyy))
    return cx.item(), cy.item(), angle, mass.item()


def motion(outs: list[torch.Tensor], plain: torch.Tensor) -> tuple[list[float], list[float]]:
    """(shifts of the centre in pixels, |angles| in degrees) of each
    transformed bar image against the untransformed one."""
    stats = [moments(o) for o in outs]
    cx, cy, _, _ = moments(plain)
    shifts = [max(abs(x - cx), abs(y - cy)) for x, y, _, m in stats if m > 0]
    return shifts, [abs(a) for _, _, a, m in stats if m > 0]


def output_problem(out: Any, n: int) -> str | None:
    """Why `out` is not an (n, 10) tensor of log-probabilities, or None."""
    if not isinstance(out, torch.Tensor):
        return f"the output is a {type(out).__name__}, not a tensor"
    if tuple(out.shape) != (n, 10):
        return f"the output has shape {tuple(out.shape)}, expected {(n, 10)}"
    if not out.dtype.is_floating_point or not torch.isfinite(out).all():
        return "the output must be finite floating-point numbers"
    sums = out.detach().double().exp().sum(dim=1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        # Only what was observed: rows that themselves sum to 1 are probabilities.
        own = out.detach().double().sum(dim=1)
        hint = (" (the output's own rows sum to 1: probabilities, not their logarithms)"
                if bool((out >= 0).all()) and torch.allclose(own, torch.ones_like(own), atol=1e-4) else "")
        return f"exp(output) sums to {[round(v, 4) for v in sums.tolist()]} per row, not 1{hint}"
    if out.dtype != torch.float32:
        return f"the output is {str(out.dtype).removeprefix('torch.')}, expected float32 for float32 images"
    return None


def check_log_probabilities(impl: Any, builder: str, n: int, flat: bool, seed: int) -> None:
    """impl.<builder>()'s network maps n images, (n, 1, 28, 28) or flat, to
    (n, 10) log-probabilities, the same for both input shapes (run in the
    worker: the network stays there)."""
    present(impl, builder)
    images = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    # Two separate tensors, so that a network changing one in place leaves the other as drawn.
    x, y = (images.reshape(n, 784).clone(), images) if flat else (images, images.reshape(n, 784).clone())
    got = impl.run(probes.network_outputs, builder, [x, y])
    check(got["module"], f"{builder}() must return an nn.Module.", f"got {describe(got.get('got'))}")
    outs = got["outs"]
    check(
        not got.get("changed"),
        f"{builder}()'s network must not change the batch it is given: compute on new tensors "
        "(x - m, x.view(...)), not in place on its input.",
        f"input {describe(x if 0 in got.get('changed', []) else y)}: its values changed during the forward pass",
    )

    def crashed(k: int, inp: torch.Tensor) -> None:
        if got.get("failed") == k:
            fail(
                f"{builder}()'s network must accept a batch of shape {tuple(inp.shape)}: flatten the input "
                "inside the network.",
                f"it raised {got['error']}",
            )

    crashed(0, x)
    out = outs[0]
    problem = output_problem(out, n)
    check(
        problem is None,
        f"{builder}()'s network must map a batch of N float32 images to (N, 10) float32 "
        "log-probabilities: every row's exp must sum to 1.",
        f"input {describe(x)}: {problem}",
    )
    crashed(1, y)
    other = outs[1]
    check(
        isinstance(other, torch.Tensor) and torch.allclose(other, out, atol=1e-5),
        f"{builder}()'s network must give the same output for images (N, 1, 28, 28) and for the "
        "same images flattened to (N, 784).",
        f"N = {n}",
    )


def network_summary(impl: Any, builder: str) -> dict[str, Any]:
    """impl.<builder>()'s nn.Linear sizes and parameter count, from the worker;
    fails unless it is an nn.Module."""
    present(impl, builder)
    got = impl.run(probes.network_summary, builder)
    check(got["module"], f"{builder}() must return an nn.Module.", f"got {describe(got.get('got'))}")
    return got


def two_layers() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


# --------------------------------------------------------------------------
# training: the graders' network, loader and optimiser


def present(impl: Any, name: str) -> None:
    """Fail with a clear sentence if impl.`name` is missing or not callable."""
    fn = getattr(impl, name, None)
    if fn is None:
        fail(f"{name} is missing: define a function with exactly that name.")
    if not callable(fn):
        fail(f"{name} must be a function; got {type(fn).__name__}.")


LR = 0.5  # the stand-in SGD's learning rate in the training cases


def train_case(impl: Any, n: int, batch_size: int, seed: int, lr: float = LR) -> tuple:
    """Run impl.train_epoch once on TinyNet(seed) (starting in eval mode, as
    evaluate leaves it) with PlainSGD over data(n, seed) in batches of
    batch_size, in the worker; returns (the forward passes' (training, grad
    enabled) flags, the gradients of every step, its answer)."""
    present(impl, "train_epoch")
    got = impl.run(probes.train_run, n, batch_size, seed, lr)
    return got["calls"], got["grads"], got["out"]


def fingerprint(grads: Any) -> tuple[float, float] | None:
    """(norm, sum) of one step's gradients, all parameters together, or None
    if a gradient is missing."""
    if not isinstance(grads, list) or any(not isinstance(g, torch.Tensor) for g in grads):
        return None
    flat = torch.cat([g.detach().double().cpu().flatten() for g in grads])
    return flat.norm().item(), flat.sum().item()


def same_fingerprint(got: tuple[float, float] | None, want: tuple[float, float]) -> bool:
    if got is None:
        return False
    (norm, total), (want_norm, want_total) = got, want
    return (abs(norm - want_norm) <= 1e-4 * want_norm + 1e-6
            and abs(total - want_total) <= 1e-4 * abs(want_total) + 1e-3 * want_norm)


STEP_RULE = (
    "train_epoch must take one optimiser step per batch, with the gradients of that batch's mean "
    "NLL loss alone, computed at the parameters as they are before that step.")


def check_steps(steps: Any, want: list[tuple[float, float]], given: str) -> None:
    """Every recorded step's gradients have the fingerprint `want` gives for
    it; a failure says which step, and, only where the numbers show it, that
    the gradients are the running sum of this batch's and the earlier ones'."""
    check(
        isinstance(steps, list) and len(steps) == len(want),
        "train_epoch must take one optimiser step per batch.",
        f"{given}: {len(want)} batches, {len(steps) if isinstance(steps, list) else 0} steps",
    )
    for k, (got, expected) in enumerate(zip(steps, want)):
        found = fingerprint(got)
        if same_fingerprint(found, expected):
            continue
        if found is None:
            fail(STEP_RULE, f"{given}: at the step of batch {k + 1} a parameter has no gradient")
        running = sum(total for _, total in want[: k + 1])
        summed = k > 0 and abs(found[1] - running) <= 1e-4 * abs(running) + 1e-3 * expected[0]
        fail(
            STEP_RULE,
            f"{given}: wrong gradients at the step of batch {k + 1} "
            f"(their norm and sum: expected {expected}, got {found})"
            + (f"; their sum is that of batches 1 to {k + 1}'s gradients together: they were "
               "not cleared between batches" if summed else ""),
        )


def pair(out: Any) -> tuple[float, float] | None:
    """(loss, accuracy) as floats, or None if `out` is not such a pair."""
    try:
        loss, accuracy = out
        return float(loss), float(accuracy)
    except (TypeError, ValueError, RuntimeError):
        return None


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-5 + 1e-4 * abs(b)


def mean_hint(loss: float, accuracy: float, want: dict[str, float]) -> str:
    """Says which returned number equals a usual wrong value, only where it
    does (and differs from the right one): the last batch's, or the
    unweighted mean of the batches'."""
    seen = []
    for key, value, what in (("loss", loss, "the loss"), ("accuracy", accuracy, "the accuracy")):
        if close(value, want[key]):
            continue
        if close(value, want[f"last_{key}"]):
            seen.append(f"{what} is the last batch's")
        elif close(value, want[f"unweighted_{key}"]):
            seen.append(f"{what} is the unweighted mean of the batches' values")
    return f" ({'; '.join(seen)})" if seen else ""


TRAIN_MEANS_RULE = (
    "train_epoch must return the mean loss over all examples (each batch's mean loss weighed by "
    "its size) and the fraction of all examples predicted right, both as computed before each "
    "batch's step.")
EVAL_RULE = (
    "evaluate must return the mean NLL loss over all examples and the fraction of all "
    "examples predicted right, not the last batch's values nor a plain mean of batch values.")


def check_means(fn: str, out: Any, want: dict[str, float], rule: str, *given: str) -> None:
    """`out` of `fn` is (mean loss, accuracy) close to `want`'s; otherwise the
    test fails with `rule`, the inputs (`given`) and what came back."""
    got = pair(out)
    check(got is not None, f"{fn} must return (mean loss, accuracy), two numbers.", f"got {describe(out)}")
    loss, accuracy = got
    check(
        close(loss, want["loss"]) and close(accuracy, want["accuracy"]),
        rule,
        *given,
        f"expected ({want['loss']:.5f}, {want['accuracy']:.4f}), got ({loss:.5f}, {accuracy:.4f})"
        + mean_hint(loss, accuracy, want),
    )
