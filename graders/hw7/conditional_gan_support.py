"""Strategies and checks for the conditional GAN graders (judge side).

The loss items are graded against small probe networks whose every input is
recorded, so a message can say what the discriminator or generator was
given. The probes live and run in the worker (conditional_gan_probes); what
comes back is evidence, checked here: the wiring (what each network was
given), and the loss's value on worked examples whose values were computed
ahead and are stored below as data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import check, describe, fail
from graders.hw7 import conditional_gan_probes as probes

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


def check_gradient_report(report: dict[str, list[str]], name: str) -> None:
    """Every parameter got a finite gradient (a report from the worker)."""
    missing = report["missing"]
    check(not missing, f"gradient must reach every parameter of {name}.", f"no gradient for: {', '.join(missing)}")
    bad = report["nonfinite"]
    check(not bad, f"the gradients of {name} must be finite.", f"NaN or inf in: {', '.join(bad)}")


# --------------------------------------------------------------------------
# losses


def _check_noise_device(evidence: dict[str, Any]) -> None:
    off = evidence["noise_off_device"]
    if off:
        # The probe saw both: noise made on another device, then the call failing.
        fail(
            "the loss must work on the labels' device: its noise must end up there "
            "(get_noise(..., device=one_hot_labels.device), or .to(device)).",
            f"labels on {off['labels_on']}: noise made on {', '.join(off['made_on'])}, then {off['error']}",
        )


def _check_inputs_kept(evidence: dict[str, Any], fn: str) -> None:
    changed = evidence["changed_inputs"]
    check(not changed, f"{fn} must not change the tensors it is given in place: work on new tensors.",
          f"changed: {', '.join(changed)}")


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

    def image_one_hot(self) -> torch.Tensor:
        h, w = self.real.shape[-2:]
        return self.one_hot[:, :, None, None].expand(-1, -1, h, w)

    def describe(self) -> str:
        n, c, h, w = self.real.shape
        return f"batch of {n} real images {c}×{h}×{w}, labels {self.labels.tolist()} of {self.one_hot.shape[1]} classes, z_dim={self.z_dim}"

    def check_gen_inputs(self, evidence: dict[str, Any]) -> None:
        inputs = evidence["gen_inputs"]
        check(inputs, "the generator was never called: fake images come from gen(...).")
        x = inputs[-1]
        want = (len(self.one_hot), self.z_dim + self.one_hot.shape[1])
        check(
            isinstance(x, torch.Tensor) and tuple(x.shape) == want,
            "the generator's input must be combine_vectors(noise, one_hot_labels), shape (N, z_dim + n_classes).",
            f"{self.describe()}; the generator got {describe(x)}",
        )
        check(
            torch.equal(x[:, self.z_dim :].float().cpu(), self.one_hot.float()),
            "the generator's input must end with the one-hot labels (noise first, then labels).",
            self.describe(),
        )

    def check_disc_inputs(self, evidence: dict[str, Any], expect_real: bool) -> None:
        c, k = self.real.shape[1], self.one_hot.shape[1]
        inputs = evidence["disc_inputs"]
        check(inputs, "the discriminator was never called.")
        for x in inputs:
            check(
                isinstance(x, torch.Tensor) and x.dim() == 4 and x.shape[1] == c + k,
                "the discriminator's input must be combine_vectors(image, image_one_hot_labels): "
                "the labels broadcast to (N, n_classes, H, W) as extra channels.",
                f"{self.describe()}; the discriminator got {describe(x)}",
            )
        rows = torch.cat([x.float().cpu() for x in inputs])
        label_maps = self.image_one_hot().float()
        real_rows = [r for r in rows if any(torch.equal(r[:c], img) for img in self.real)]
        if expect_real:
            check(real_rows, "the discriminator must score the real images too.", self.describe())
        for r in rows:
            ok = any(torch.equal(r[c:], m) for m in label_maps)
            check(ok, "every image the discriminator sees must carry its one-hot label as constant channels.", self.describe())


def run_loss(impl: Any, fn: str, case: LossCase, backward: bool = False) -> dict[str, Any]:
    """The student's `fn` ('get_disc_loss' or 'get_gen_loss') run in the
    worker on fresh probes for `case`, with stand-in helpers: its evidence
    (see conditional_gan_probes.loss_evidence); the loss must be a scalar."""
    evidence = impl.run(probes.loss_evidence, fn, case.real, case.one_hot, case.z_dim, case.seed, backward)
    _check_inputs_kept(evidence, fn)
    check_scalar(evidence["loss"], fn)
    return evidence


def check_loss_value(loss: torch.Tensor, want: torch.Tensor | float, rule: str, case: LossCase) -> None:
    want = torch.as_tensor(want, dtype=torch.float64)
    check(
        torch.allclose(loss.detach().double().cpu(), want, rtol=1e-4, atol=1e-6),
        rule,
        case.describe(),
        f"expected {want.item():.5f}, got {loss.item():.5f}",
    )


# Worked examples of the two losses: LossCase.make's arguments, then the
# value of get_disc_loss and of get_gen_loss on that case's probe networks
# with the stand-in noise, as the reference solution computes them (its
# float32 results, to 7 digits).
WORKED_LOSSES: list[tuple[dict[str, int], float, float]] = [
    (dict(n=4, k=3, c=1, size=5, z_dim=6, seed=0), 0.7150290, 0.5802606),
    (dict(n=1, k=1, c=2, size=2, z_dim=1, seed=7), 0.8976861, 0.2939513),
    (dict(n=5, k=6, c=2, size=4, z_dim=8, seed=123), 0.6951416, 0.7442307),
    (dict(n=3, k=10, c=1, size=3, z_dim=4, seed=42), 0.6959838, 0.6736667),
]


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
    """Train one network of a tiny probe GAN with the student's loss for it
    (in the worker, see conditional_gan_probes.train_tiny_gan), on CUDA when
    present: device mistakes show up where students train."""
    history = impl.run(probes.train_tiny_gan, which, default_device(), steps)
    _check_noise_device(history)
    if history["bad_loss"] is not None:
        check_scalar(history["bad_loss"][0], "get_disc_loss" if which == "discriminator" else "get_gen_loss")
    return history


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
