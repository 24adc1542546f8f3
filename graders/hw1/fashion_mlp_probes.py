"""Grader code that runs in the worker, next to the submission (hw1/fashion_mlp).

PIL images, the graders' small networks and the recording SGD stand-in
cannot cross to the worker, so they are built here, the student's function
runs on them here, and what comes back is evidence as plain data: the
transforms' output tensors, the answers, every step's gradients, the mode of
every forward pass, what changed in the model. The judge checks it against
stored values and properties (fashion_mlp_support), or replays (instructor-only).

Nothing here answers an item. The networks are deliberately not the
handout's: they give log-probabilities over N_CLASSES = 12 classes (two that
no label uses), not 10. PlainSGD is torch.optim.SGD itself with a record
of its steps (torch.optim.SGD is what the handout gives train_epoch, not
make_optimizer's answer).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlkit.device import default_device
from dlkit.judge import in_worker

# --------------------------------------------------------------------------
# images


def grey_image(pixels: np.ndarray) -> Image.Image:
    """A 28×28 uint8 array as a PIL grey ('L') image, as torchvision's
    Fashion-MNIST gives them."""
    return Image.fromarray(pixels.astype(np.uint8), mode="L")


def random_image(seed: int) -> Image.Image:
    return grey_image(np.random.default_rng(seed).integers(0, 256, (28, 28)))


def bar_image() -> Image.Image:
    """A horizontal white bar 16×2 through the centre: its orientation shows a
    rotation, its centre of mass a translation."""
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[13:15, 6:22] = 255
    return grey_image(pixels)


def image(kind: str, seed: int = 0) -> Image.Image:
    """'random' (from seed) or 'bar'."""
    return bar_image() if kind == "bar" else random_image(seed)


@in_worker
def transform_outputs(impl: Any, transform: Any, kind: str, image_seed: int, draw_seeds: list[int]) -> list[Any]:
    """transform(image) once per draw seed, torch.manual_seed(draw seed)
    before each, on a fresh copy of the image named by (kind, image_seed).
    Tensors come back as they are; anything else as what it is."""
    outs = []
    for seed in draw_seeds:
        torch.manual_seed(seed)
        out = transform(image(kind, image_seed))
        outs.append(out.detach().cpu() if type(out) is torch.Tensor else out)
    return outs


# --------------------------------------------------------------------------
# training: the graders' network, loader and optimiser

# The graders' networks' classes: the labels' 10 and two that no label uses.
N_CLASSES = 12


class TinyNet(nn.Module):
    """784 → 16 → N_CLASSES with log-probabilities; records the mode and the
    grad mode of every forward pass."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.hidden = nn.Linear(784, 16)
        self.out = nn.Linear(16, N_CLASSES)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return F.log_softmax(self.out(F.relu(self.hidden(x.flatten(1)))), dim=1)


class PlainSGD(torch.optim.SGD):
    """torch.optim.SGD without momentum (p ← p − lr · p.grad) that records
    each step's gradients: a real torch.optim.Optimizer, so code that checks
    isinstance(optimizer, torch.optim.Optimizer) takes its optimiser branch;
    zero_grad is SGD's own."""

    def __init__(self, params: Any, lr: float) -> None:
        super().__init__(params, lr=lr, foreach=False)
        self.grads: list[list[torch.Tensor | None]] = []

    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p for group in self.param_groups for p in group["params"]]
        self.grads.append([None if p.grad is None else p.grad.detach().clone() for p in params])
        super().step()
        return loss


def data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n images (n, 1, 28, 28) in [0, 1] and labels (n,) in 0..9; the label
    is readable from the images, so a network can learn it."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=gen)
    images = torch.rand(n, 1, 28, 28, generator=gen) * 0.3
    images.view(n, -1)[torch.arange(n), labels * 70] += 1.0  # a bright pixel per class
    return images, labels


def loader(images: torch.Tensor, labels: torch.Tensor, batch_size: int) -> DataLoader:
    return DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)


def _answer(out: Any) -> Any:
    """The student's answer as it can cross: tensors detached, on the CPU."""
    if type(out) is torch.Tensor:
        return out.detach().cpu()
    if type(out) in (tuple, list):
        return type(out)(_answer(v) for v in out)
    return out


@in_worker
def train_run(impl: Any, n: int, batch_size: int, seed: int, lr: float) -> dict[str, Any]:
    """impl.train_epoch once on TinyNet(seed), starting in eval mode (as
    evaluate leaves it), with PlainSGD: its answer, the gradients of every
    step and the (training, grad enabled) flags of every forward pass."""
    device = default_device()
    model = TinyNet(seed).to(device).eval()
    images, labels = data(n, seed)
    opt = PlainSGD(model.parameters(), lr)
    out = impl.train_epoch(model, loader(images, labels, batch_size), opt, device)
    return {
        "out": _answer(out),
        "grads": [[None if g is None else g.cpu() for g in step] for step in opt.grads],
        "calls": list(model.calls),
    }


@in_worker
def train_epochs(impl: Any, epochs: int, n: int, batch_size: int, seed: int, lr: float) -> list[Any]:
    """impl.train_epoch `epochs` times on one TinyNet(seed) and PlainSGD: the answers."""
    device = default_device()
    model = TinyNet(seed).to(device)
    images, labels = data(n, seed)
    opt = PlainSGD(model.parameters(), lr=lr)
    return [_answer(impl.train_epoch(model, loader(images, labels, batch_size), opt, device))
            for _ in range(epochs)]


# --------------------------------------------------------------------------
# evaluation: a classifier whose answers are known


class KnownClassifier(nn.Module):
    """Predicts the class written in each image's first pixel, with
    log-probabilities over N_CLASSES that depend on a parameter, and a batch
    norm whose statistics change if it runs in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.norm = nn.BatchNorm1d(N_CLASSES)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        guess = x.flatten(1)[:, 0].round().long().clamp(0, 9)
        logits = self.scale * F.one_hot(guess, N_CLASSES).float()
        return F.log_softmax(self.norm(logits), dim=1)


def known_case(sizes: list[int], right: list[bool], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose first pixel holds the predicted class and labels that
    agree with it exactly where `right` says, batch by batch."""
    gen = torch.Generator().manual_seed(seed)
    n = sum(sizes)
    labels = torch.randint(0, 10, (n,), generator=gen)
    flags = torch.tensor([r for r, s in zip(right, sizes) for _ in range(s)])
    guess = torch.where(flags, labels, (labels + 1 + torch.randint(0, 9, (n,), generator=gen)) % 10)
    images = torch.rand(n, 1, 28, 28, generator=gen) * 0.1
    images[:, 0, 0, 0] = guess.float()
    return images, labels


@in_worker
def evaluate_run(impl: Any, sizes: list[int], right: list[bool], seed: int, batch_size: int,
                 training: bool) -> dict[str, Any]:
    """impl.evaluate on a KnownClassifier left in training mode or not, over
    known_case(sizes, right, seed) in batches of batch_size: its answer, the
    (training, grad enabled) flags of every forward pass, the state entries
    it changed and whether any parameter got a gradient."""
    device = default_device()
    images, labels = known_case(sizes, right, seed)
    model = KnownClassifier().to(device).train(training)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = impl.evaluate(model, loader(images, labels, batch_size), device)
    return {
        "out": _answer(out),
        "calls": list(model.calls),
        "changed": [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])],
        "grads": [name for name, p in model.named_parameters() if p.grad is not None],
    }


# --------------------------------------------------------------------------
# the networks: what they are and what they compute, without sending them


@in_worker
def network_summary(impl: Any, builder: str) -> dict[str, Any]:
    """impl.<builder>()'s network: whether it is an nn.Module (else what it
    is), its nn.Linear layers' (in, out) in order and its parameter count."""
    model = getattr(impl, builder)()
    if not isinstance(model, nn.Module):
        return {"module": False, "got": model}
    return {
        "module": True,
        "linear": [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)],
        "parameters": sum(p.numel() for p in model.parameters()),
    }


@in_worker
def network_outputs(impl: Any, builder: str, inputs: list[torch.Tensor]) -> dict[str, Any]:
    """impl.<builder>()'s network in eval mode without gradients on each
    input in turn: its outputs, up to the first that raised (then 'error',
    'failed' its index), and 'changed', the indices of the inputs the network
    changed in place. The inputs are separate tensors, so one changed does
    not change another."""
    model = getattr(impl, builder)()
    if not isinstance(model, nn.Module):
        return {"module": False, "got": model}
    model.eval()
    outs: list[Any] = []
    changed: list[int] = []
    for k, x in enumerate(inputs):
        kept = x.clone()
        try:
            with torch.no_grad():
                outs.append(_answer(model(x)))
        except Exception as exc:  # a shape mismatch inside the network, most often
            return {"module": True, "outs": outs, "failed": k, "error": f"{type(exc).__name__}: {exc}",
                    "changed": changed}
        if not torch.equal(x, kept):
            changed.append(k)
    return {"module": True, "outs": outs, "changed": changed}
