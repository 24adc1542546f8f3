"""Grader code that runs in the worker, next to the submission (hw7/conditional_gan).

The procedures build what cannot cross the channel (probe networks that
record their inputs, the Generator and Discriminator of the student's file,
blocks with any layer names) and return evidence as plain data: outputs,
recorded inputs, parameters, and which parameters got gradients. The judge
(conditional_gan_support, conditional_gan_blocks) checks it.

The loss items run with stand-ins for get_noise (deterministic, not normal
noise) and combine_vectors (torch.cat as it is, which keeps integer dtypes:
not combine_vectors, but all that the losses need), so a mistake in those costs
points on its own item only. The losses receive one-hot labels and have no
use for get_one_hot_labels. None of these stand-ins is an answer.
"""
from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker

# --------------------------------------------------------------------------
# plain data out of whatever the student returned


def _data(value: Any) -> Any:
    """A tensor as a plain detached tensor; anything else as it is."""
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    return value


def _gradient_report(model: nn.Module) -> dict[str, list[str]]:
    named = list(model.named_parameters())
    return {
        "missing": [n for n, p in named if p.grad is None],
        "nonfinite": [n for n, p in named if p.grad is not None and not bool(torch.isfinite(p.grad).all())],
        "nonzero": [n for n, p in named if p.grad is not None and bool(p.grad.abs().sum() > 0)],
    }


# --------------------------------------------------------------------------
# blocks, Generator and Discriminator


@in_worker
def block_evidence(impl: Any, fn: str, positional: tuple, final: bool, inputs: list[torch.Tensor]) -> dict[str, Any]:
    """make_gen_block / make_disc_block(*positional, final_layer=final): its
    layers, their parameters (as built) and its outputs in training mode,
    one forward call per batch of `inputs`."""
    block = getattr(impl, fn)(*positional, final_layer=final)
    if not isinstance(block, nn.Module):
        return {"module": False, "type": type(block).__name__}
    convs, norms = [], []
    for m in block.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            convs.append({
                "class": type(m).__name__,
                "transposed": isinstance(m, nn.ConvTranspose2d),
                "in_channels": m.in_channels, "out_channels": m.out_channels,
                "kernel_size": tuple(m.kernel_size), "stride": tuple(m.stride),
                "padding": tuple(m.padding) if not isinstance(m.padding, str) else m.padding,
                "output_padding": tuple(m.output_padding), "dilation": tuple(m.dilation),
                "groups": m.groups, "padding_mode": m.padding_mode,
                "weight": _data(m.weight), "bias": None if m.bias is None else _data(m.bias),
            })
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            norms.append({
                "class": type(m).__name__, "num_features": m.num_features, "eps": m.eps,
                "weight": None if m.weight is None else _data(m.weight),
                "bias": None if m.bias is None else _data(m.bias),
            })
    block.train()
    outs, error = [], None
    if len(convs) == 1:
        try:  # raised after the layer checks, which say more
            with torch.no_grad():
                outs = [_data(block(x)) for x in inputs]
        except Exception as exc:
            outs, error = [], _error(exc)
    return {"module": True, "type": type(block).__name__, "convs": convs, "norms": norms, "outs": outs,
            "error": error}


def _error(exc: Exception) -> dict[str, Any]:
    """The student's exception as data, for the judge to raise again."""
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not any(part in frame.filename for part in ("/graders/", "/dlkit/", "/torch/", "site-packages", "<frozen")):
            where = f"{Path(frame.filename).name}, line {frame.lineno}" + (f": {frame.line.strip()}" if frame.line else "")
            break
    return {"type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc)[:4000], "where": where[:500]}


@in_worker
def network_evidence(impl: Any, which: str, kwargs: dict[str, Any], inputs: torch.Tensor) -> dict[str, Any]:
    """impl.Generator / impl.Discriminator(**kwargs) on inputs' device: its
    output, and which parameters mean(output²) sends gradient to."""
    cls = impl.Generator if which == "generator" else impl.Discriminator
    net = cls(**kwargs).to(inputs.device)
    out = net(inputs)
    evidence: dict[str, Any] = {"out": _data(out)}
    if isinstance(out, torch.Tensor):
        net.zero_grad()
        out.square().mean().backward()
        evidence.update(_gradient_report(net))
    return evidence


# --------------------------------------------------------------------------
# the loss items


class _Helpers:
    """Stand-ins for get_noise and combine_vectors; records the device each
    noise was made on (get_noise's own default, the CPU, when none is given:
    moving it afterwards with .to(device) is as good as device=)."""

    def __init__(self) -> None:
        self.noise_devices: list[torch.device] = []

    def noise(self, n_samples: int, z_dim: int, device: Any = "cpu") -> torch.Tensor:
        self.noise_devices.append(torch.device(device))
        # Any noise of the right shape will do: the expected loss is computed
        # from the fake images the probe generator actually produced.
        return torch.linspace(-2, 2, n_samples * z_dim, device=device).view(n_samples, z_dim)

    def noise_elsewhere(self, device: torch.device) -> list[str]:
        """The devices, other than `device`'s kind, that noise was made on."""
        return sorted({str(d) for d in self.noise_devices if d.type != device.type})

    @staticmethod
    def cat_as_is(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Deliberately NOT combine_vectors: torch.cat with its own type
        promotion, so two integer tensors stay integer. The losses only ever
        combine float images or noise with labels, which promotes to float."""
        return torch.cat([x, y], 1)

    def installed(self, impl: Any, fn_name: str):
        return substituted(impl, fn_name, {"get_noise": self.noise, "combine_vectors": self.cat_as_is})


class ProbeGenerator(nn.Module):
    """(N, z_dim + K) → tanh(linear) images (N, C, H, W); records its inputs and output."""

    def __init__(self, in_dim: int, shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.linear = nn.Linear(in_dim, shape[0] * shape[1] * shape[2])
        self.inputs: list[torch.Tensor] = []
        self.last_out: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        out = torch.tanh(self.linear(x)).view(len(x), *self.shape)
        self.last_out = out
        return out


class ProbeDiscriminator(nn.Module):
    """(N, C + K, H, W) → linear logits (N, 1); records its inputs."""

    def __init__(self, in_ch: int, size: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_ch * size * size, 1)
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        return self.linear(x.flatten(1))


def _networks(seed: int, z_dim: int, k: int, shape: tuple[int, int, int]) -> tuple[ProbeGenerator, ProbeDiscriminator]:
    torch.manual_seed(seed)
    c, h, w = shape
    return ProbeGenerator(z_dim + k, (c, h, w)), ProbeDiscriminator(c + k, h)


@in_worker
def loss_evidence(
    impl: Any, fn: str, real: torch.Tensor, one_hot: torch.Tensor, z_dim: int, seed: int, backward: bool = False
) -> dict[str, Any]:
    """The student's `fn` ('get_disc_loss' or 'get_gen_loss') on fresh probe
    networks with the stand-in helpers: the loss, what each network was
    given, the discriminator's parameters, and (backward) where the loss's
    gradient went."""
    gen, disc = _networks(seed, z_dim, one_hot.shape[1], tuple(real.shape[1:]))
    helpers = _Helpers()
    data = (real, one_hot, z_dim) if fn == "get_disc_loss" else (one_hot, z_dim)
    kept = [t.clone() for t in data[:-1]]
    with helpers.installed(impl, fn):
        loss = getattr(impl, fn)(gen, disc, nn.BCEWithLogitsLoss(), *data)
    names = ("real", "one_hot_labels") if fn == "get_disc_loss" else ("one_hot_labels",)
    changed = [name for name, t, k in zip(names, data[:-1], kept) if t.shape != k.shape or not torch.equal(t, k)]
    evidence: dict[str, Any] = {
        "noise_off_device": None, "changed_inputs": changed,
        "loss": _data(loss),
        "gen_inputs": [_data(x) for x in gen.inputs],
        "gen_out": _data(gen.last_out),
        "disc_inputs": [_data(x) for x in disc.inputs],
        "disc_weight": _data(disc.linear.weight),
        "disc_bias": _data(disc.linear.bias),
    }
    if backward and isinstance(loss, torch.Tensor):
        loss.backward()
        evidence["gen_grads"] = _gradient_report(gen)
        evidence["disc_grads"] = _gradient_report(disc)
    return evidence


def _scalar_ok(loss: Any) -> bool:
    return (
        isinstance(loss, torch.Tensor) and loss.numel() == 1 and loss.dim() == 0
        and bool(torch.isfinite(loss.detach())) and loss.item() >= 0
    )


@in_worker
def train_tiny_gan(impl: Any, which: str, device: torch.device, steps: int = 8) -> dict[str, Any]:
    """Train one network of a tiny probe GAN with the student's loss for it,
    the other network frozen, on 16 synthetic 6×6 images of 4 classes, on
    `device`, with the stand-in helpers. Stops at the first loss that is not
    a finite non-negative scalar tensor and returns it as `bad_loss`."""
    torch.manual_seed(0)
    n, k, c, size, z_dim = 16, 4, 1, 6, 8
    labels = torch.arange(n) % k
    pattern = torch.linspace(-1, 1, size * size).view(1, size, size)
    real = (pattern * (labels[:, None, None, None] + 1) / k).expand(n, c, size, size).clone()
    one_hot = F.one_hot(labels, k)
    gen, disc = ProbeGenerator(z_dim + k, (c, size, size)), ProbeDiscriminator(c + k, size)
    real, one_hot = real.to(device), one_hot.to(device)
    gen, disc = gen.to(device), disc.to(device)
    trained, frozen = (disc, gen) if which == "discriminator" else (gen, disc)
    lr = 0.5
    before = [p.detach().clone() for p in trained.parameters()]
    frozen_before = [p.detach().clone() for p in frozen.parameters()]
    criterion = nn.BCEWithLogitsLoss()
    helpers = _Helpers()
    losses: list[float] = []
    missing: list[str] = []
    history: dict[str, Any] = {"which": which, "noise_off_device": None, "bad_loss": None}
    with helpers.installed(impl, "get_disc_loss" if which == "discriminator" else "get_gen_loss"):
        for step in range(steps):
            gen.zero_grad()
            disc.zero_grad()
            try:
                if which == "discriminator":
                    loss = impl.get_disc_loss(gen, disc, criterion, real, one_hot, z_dim)
                else:
                    loss = impl.get_gen_loss(gen, disc, criterion, one_hot, z_dim)
            except RuntimeError as exc:
                elsewhere = helpers.noise_elsewhere(one_hot.device)
                if not elsewhere:
                    raise
                # Evidence, not a guess: the noise was made on another device and the call then failed.
                history["noise_off_device"] = {"made_on": elsewhere, "labels_on": str(one_hot.device),
                                               "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                return history
            if not _scalar_ok(loss):
                history["bad_loss"] = [_data(loss)]
                return history
            loss.backward()
            if step == 0:
                missing = [name for name, p in trained.named_parameters() if p.grad is None]
            # Plain gradient descent by hand: the first step of a torch.optim
            # optimizer costs seconds of lazy imports.
            with torch.no_grad():
                for p in trained.parameters():
                    if p.grad is not None:
                        p -= lr * p.grad
            losses.append(loss.item())
    changed = any(not torch.equal(a, p) for a, p in zip(before, trained.parameters()))
    frozen_same = all(torch.equal(a, p) for a, p in zip(frozen_before, frozen.parameters()))
    history.update(losses=losses, missing=missing, changed=changed, frozen_same=frozen_same)
    return history
