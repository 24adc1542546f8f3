"""Probes and strategies for the conditional GAN graders.

The loss items are graded against small probe networks whose every input is
recorded, so a message can say what the discriminator or generator was
given, and whose outputs make the expected loss a one-line formula.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail
from dlkit.isolation import substituted

# --------------------------------------------------------------------------
# shared checks


def check_scalar(loss: Any, fn: str) -> None:
    check(
        isinstance(loss, torch.Tensor) and loss.numel() == 1 and loss.dim() == 0,
        f"{fn} must return a scalar tensor (0 dimensions).",
        f"got {describe(loss)}",
    )
    check(bool(torch.isfinite(loss)), f"{fn} must be finite.", f"got {loss.item()}")
    check(loss.item() >= 0, f"{fn} is a cross-entropy and can never be negative.", f"got {loss.item()}")


def check_gradients_reach_all(model: nn.Module, loss: torch.Tensor | None, name: str) -> None:
    """Every parameter gets a finite gradient (computed here when `loss` is given)."""
    if loss is not None:
        model.zero_grad()
        loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    check(not missing, f"gradient must reach every parameter of {name}.", f"no gradient for: {', '.join(missing)}")
    bad = [n for n, p in model.named_parameters() if not torch.isfinite(p.grad).all()]
    check(not bad, f"the gradients of {name} must be finite.", f"NaN or inf in: {', '.join(bad)}")


# --------------------------------------------------------------------------
# losses


_NO_DEVICE = object()


def _noise(n_samples: int, z_dim: int, device: Any = _NO_DEVICE) -> torch.Tensor:
    if device is _NO_DEVICE:
        # Noise made on the default device breaks training on a GPU.
        fail(
            "the loss must create its noise on the labels' device: "
            "get_noise(n_samples, z_dim, device=one_hot_labels.device)."
        )
    # Any noise of the right shape will do: the expected loss is computed from
    # the fake images the probe generator actually produced.
    return torch.linspace(-2, 2, n_samples * z_dim, device=device).view(n_samples, z_dim)


def _combine(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.cat([x.to(torch.float32), y.to(torch.float32)], 1)


def _one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    return (labels[..., None] == torch.arange(n_classes, device=labels.device)).long()


def known_good_helpers(impl: Any, fn_name: str) -> contextlib.AbstractContextManager[None]:
    """Run `fn_name` with stand-ins for get_noise, combine_vectors and
    get_one_hot_labels, so mistakes there are graded on their own items only."""
    return substituted(
        impl, fn_name, {"get_noise": _noise, "combine_vectors": _combine, "get_one_hot_labels": _one_hot}
    )


class ProbeGenerator(nn.Module):
    """(N, z_dim + K) → tanh(linear) images (N, C, H, W); records its inputs and output."""

    def __init__(self, in_dim: int, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.shape = shape
        self.linear = nn.Linear(in_dim, shape[0] * shape[1] * shape[2])
        self.inputs: list[torch.Tensor] = []
        self.last_out: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        out = torch.tanh(self.linear(x)).view(len(x), *self.shape)
        self.last_out = out
        return out

    def check_inputs(self, case: "LossCase") -> None:
        check(self.inputs, "the generator was never called: fake images come from gen(...).")
        x = self.inputs[-1]
        want = (len(case.one_hot), case.z_dim + case.one_hot.shape[1])
        check(
            tuple(x.shape) == want,
            "the generator's input must be combine_vectors(noise, one_hot_labels), shape (N, z_dim + n_classes).",
            f"{case.describe()}; the generator got {describe(x)}",
        )
        check(
            torch.equal(x[:, case.z_dim :].float(), case.one_hot.float()),
            "the generator's input must end with the one-hot labels (noise first, then labels).",
            case.describe(),
        )


class ProbeDiscriminator(nn.Module):
    """(N, C + K, H, W) → linear logits (N, 1); records its inputs."""

    def __init__(self, in_ch: int, size: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_ch * size * size, 1)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        return self.linear(x.flatten(1))

    def check_inputs(self, case: "LossCase", expect_real: bool) -> None:
        c, k = case.real.shape[1], case.one_hot.shape[1]
        check(self.inputs, "the discriminator was never called.")
        for x in self.inputs:
            check(
                x.dim() == 4 and x.shape[1] == c + k,
                "the discriminator's input must be combine_vectors(image, image_one_hot_labels): "
                "the labels broadcast to (N, n_classes, H, W) as extra channels.",
                f"{case.describe()}; the discriminator got {describe(x)}",
            )
        rows = torch.cat([x.detach().float() for x in self.inputs])
        label_maps = case.image_one_hot().float()
        real_rows = [r for r in rows if any(torch.equal(r[:c], img) for img in case.real)]
        if expect_real:
            check(real_rows, "the discriminator must score the real images too.", case.describe())
        for r in rows:
            ok = any(torch.equal(r[c:], m) for m in label_maps)
            check(ok, "every image the discriminator sees must carry its one-hot label as constant channels.", case.describe())


@dataclass
class LossCase:
    real: torch.Tensor  # (N, C, H, W) float
    labels: torch.Tensor  # (N,) int64
    one_hot: torch.Tensor  # (N, K) int64
    z_dim: int
    seed: int

    @staticmethod
    def example() -> "LossCase":
        return LossCase.make(n=4, k=3, c=1, size=5, z_dim=6, seed=0)

    @staticmethod
    def make(n: int, k: int, c: int, size: int, z_dim: int, seed: int) -> "LossCase":
        gen = torch.Generator().manual_seed(seed)
        labels = torch.randint(0, k, (n,), generator=gen)
        real = torch.rand(n, c, size, size, generator=gen) * 2 - 1
        return LossCase(real, labels, F.one_hot(labels, k), z_dim, seed)

    def networks(self) -> tuple[ProbeGenerator, ProbeDiscriminator]:
        torch.manual_seed(self.seed)
        n, c, h, w = self.real.shape
        k = self.one_hot.shape[1]
        return ProbeGenerator(self.z_dim + k, (c, h, w)), ProbeDiscriminator(c + k, h)

    def image_one_hot(self) -> torch.Tensor:
        h, w = self.real.shape[-2:]
        return self.one_hot[:, :, None, None].expand(-1, -1, h, w)

    def describe(self) -> str:
        n, c, h, w = self.real.shape
        return f"batch of {n} real images {c}×{h}×{w}, labels {self.labels.tolist()} of {self.one_hot.shape[1]} classes, z_dim={self.z_dim}"

    def _scores(self, disc: ProbeDiscriminator, images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return disc.linear(_combine(images, self.image_one_hot()).flatten(1)).double()

    def expected_disc_loss(self, gen: ProbeGenerator, disc: ProbeDiscriminator) -> torch.Tensor:
        if gen.last_out is None:
            fail("the generator was never called: fake images come from gen(...).")
        fake_term = F.softplus(self._scores(disc, gen.last_out.detach())).mean()
        real_term = F.softplus(-self._scores(disc, self.real)).mean()
        return (fake_term + real_term) / 2

    def expected_gen_loss(self, gen: ProbeGenerator, disc: ProbeDiscriminator) -> torch.Tensor:
        if gen.last_out is None:
            fail("the generator was never called: fake images come from gen(...).")
        return F.softplus(-self._scores(disc, gen.last_out.detach())).mean()


def run_loss(impl: Any, fn: str, case: LossCase) -> tuple[torch.Tensor, ProbeGenerator, ProbeDiscriminator]:
    """Call the student's `fn` ('get_disc_loss' or 'get_gen_loss') on fresh
    probes for `case`, with known-good helpers; the loss must be a scalar."""
    with known_good_helpers(impl, fn):
        gen, disc = case.networks()
        data = (case.real, case.one_hot, case.z_dim) if fn == "get_disc_loss" else (case.one_hot, case.z_dim)
        loss = call(fn, impl, gen, disc, nn.BCEWithLogitsLoss(), *data)
    check_scalar(loss, fn)
    return loss, gen, disc


def check_loss_value(loss: torch.Tensor, want: torch.Tensor, rule: str, case: LossCase) -> None:
    check(
        torch.allclose(loss.detach().double(), want, rtol=1e-4, atol=1e-6),
        rule,
        case.describe(),
        f"expected {want.item():.5f}, got {loss.item():.5f}",
    )


def loss_cases() -> st.SearchStrategy[LossCase]:
    return st.builds(
        LossCase.make,
        n=st.integers(1, 5),
        k=st.integers(1, 6),
        c=st.integers(1, 2),
        size=st.integers(2, 5),
        z_dim=st.integers(1, 8),
        seed=st.integers(0, 1000),
    )


# --------------------------------------------------------------------------
# training behaviour


def train_tiny_gan(impl: Any, which: str, steps: int = 8) -> dict[str, Any]:
    """Train one network of a tiny probe GAN with the student's loss for it,
    the other network frozen, on 16 synthetic 6×6 images of 4 classes, on
    CUDA when present."""
    torch.manual_seed(0)
    n, k, c, size, z_dim = 16, 4, 1, 6, 8
    labels = torch.arange(n) % k
    pattern = torch.linspace(-1, 1, size * size).view(1, size, size)
    real = (pattern * (labels[:, None, None, None] + 1) / k).expand(n, c, size, size).clone()
    one_hot = F.one_hot(labels, k)
    gen, disc = ProbeGenerator(z_dim + k, (c, size, size)), ProbeDiscriminator(c + k, size)
    # On a GPU when there is one: device mistakes show up where students train.
    device = default_device()
    real, one_hot = real.to(device), one_hot.to(device)
    gen, disc = gen.to(device), disc.to(device)
    trained, frozen = (disc, gen) if which == "discriminator" else (gen, disc)
    lr = 0.5
    before = [p.detach().clone() for p in trained.parameters()]
    frozen_before = [p.detach().clone() for p in frozen.parameters()]
    criterion = nn.BCEWithLogitsLoss()
    losses: list[float] = []
    missing: list[str] = []
    for step in range(steps):
        gen.zero_grad()
        disc.zero_grad()
        if which == "discriminator":
            loss = impl.get_disc_loss(gen, disc, criterion, real, one_hot, z_dim)
        else:
            loss = impl.get_gen_loss(gen, disc, criterion, one_hot, z_dim)
        check_scalar(loss, "get_disc_loss" if which == "discriminator" else "get_gen_loss")
        loss.backward()
        if step == 0:
            missing = [name for name, p in trained.named_parameters() if p.grad is None]
        # Plain gradient descent by hand: the first step of a torch.optim
        # optimizer costs seconds of lazy imports, and this runs on every check.
        with torch.no_grad():
            for p in trained.parameters():
                if p.grad is not None:
                    p -= lr * p.grad
        losses.append(loss.item())
    changed = any(not torch.equal(a, p) for a, p in zip(before, trained.parameters()))
    frozen_same = all(torch.equal(a, p) for a, p in zip(frozen_before, frozen.parameters()))
    return {"which": which, "losses": losses, "missing": missing, "changed": changed, "frozen_same": frozen_same}


def check_training(history: dict[str, Any], which: str) -> None:
    fn = "get_disc_loss" if which == "discriminator" else "get_gen_loss"
    losses = history["losses"]
    check(
        not history["missing"],
        f"the loss from {fn} must send gradient to every parameter of the {which}.",
        f"no gradient for: {', '.join(history['missing'])}",
    )
    check(history["changed"], f"training the {which} with {fn} must change its parameters.")
    check(
        losses[-1] < losses[0],
        f"a few gradient-descent steps on the {which} with {fn} must lower that loss on a tiny fixed batch.",
        f"losses over {len(losses)} steps: {[round(v, 4) for v in losses]}",
    )
