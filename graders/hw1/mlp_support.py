"""Images, small networks and a stand-in optimiser for the Fashion-MNIST graders.

train_epoch and evaluate are graded on the graders' own small networks and
with a plain SGD stand-in that records every step, so a mistake in
build_mlp or make_optimizer costs no points there, and each step can be
compared with the one the definition asks for.
"""
from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail

# The contract's layer sizes and the parameter count they give.
MLP_SIZES = [(784, 512), (512, 256), (256, 128), (128, 10)]
MLP_PARAMETERS = sum(i * o + o for i, o in MLP_SIZES)  # 567 434


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
        hint = (
            " (these look like probabilities: use LogSoftmax, not Softmax)"
            if bool((out >= 0).all())
            else " (these look like raw scores: end the network with LogSoftmax)"
        )
        return f"exp(output) sums to {[round(v, 4) for v in sums.tolist()]} per row, not 1{hint}"
    return None


def forward(model: nn.Module, x: torch.Tensor, name: str) -> Any:
    """model(x) in eval mode without gradients; a crash becomes a sentence."""
    try:
        with torch.no_grad():
            return model.eval()(x)
    except Exception as exc:  # a shape mismatch inside the network, most often
        fail(
            f"{name}'s network must accept a batch of shape {tuple(x.shape)}: flatten the input "
            "inside the network.",
            f"it raised {type(exc).__name__}: {exc}",
        )


def check_log_probabilities(impl: Any, builder: str, n: int, flat: bool, seed: int) -> nn.Module:
    """impl.<builder>()'s network maps n images, (n, 1, 28, 28) or flat, to
    (n, 10) log-probabilities, the same for both input shapes."""
    model = call(builder, impl)
    check(isinstance(model, nn.Module), f"{builder}() must return an nn.Module.", f"got {describe(model)}")
    images = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    x = images.reshape(n, 784) if flat else images
    out = forward(model, x, f"{builder}()")
    problem = output_problem(out, n)
    check(
        problem is None,
        f"{builder}()'s network must map a batch of N images to (N, 10) log-probabilities: "
        "every row's exp must sum to 1.",
        f"input {describe(x)}: {problem}",
    )
    other = forward(model, images if flat else images.reshape(n, 784), f"{builder}()")
    check(
        isinstance(other, torch.Tensor) and torch.allclose(other, out, atol=1e-5),
        f"{builder}()'s network must give the same output for images (N, 1, 28, 28) and for the "
        "same images flattened to (N, 784).",
        f"N = {n}",
    )
    return model


def two_layers() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------
# training: the graders' network, loader and optimiser


class TinyNet(nn.Module):
    """784 → 16 → 10 with log-probabilities; records the mode and the grad
    mode of every forward pass."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.hidden = nn.Linear(784, 16)
        self.out = nn.Linear(16, 10)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return F.log_softmax(self.out(F.relu(self.hidden(x.flatten(1)))), dim=1)


class PlainSGD:
    """p ← p − lr · p.grad, recording each step's gradients: a stand-in for
    torch.optim.SGD with the same zero_grad and step."""

    def __init__(self, params: Any, lr: float) -> None:
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": lr}]
        self.lr = lr
        self.grads: list[list[torch.Tensor | None]] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        self.grads.append([None if p.grad is None else p.grad.clone() for p in self.params])
        for p in self.params:
            if p.grad is not None:
                p -= self.lr * p.grad


def train_case(impl: Any, n: int, batch_size: int, seed: int, lr: float = 0.5) -> tuple:
    """Run impl.train_epoch once on TinyNet (starting in eval mode, as
    evaluate leaves it) with PlainSGD; returns (model, optimiser, its answer,
    the replayed definition)."""
    device = default_device()
    model = TinyNet(seed).to(device).eval()  # left in eval mode, as after evaluate
    images, labels = data(n, seed)
    batches = list(loader(images, labels, batch_size))
    want = replay(model, batches, lr, device)
    opt = PlainSGD(model.parameters(), lr)
    out = call("train_epoch", impl, model, loader(images, labels, batch_size), opt, device)
    return model, opt, out, want


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


def replay(model: nn.Module, batches: list, lr: float, device: torch.device) -> dict[str, Any]:
    """One epoch as the definition asks, on a copy of `model`: per batch, the
    mean NLL loss and predictions before the step, its gradients and the step."""
    model = copy.deepcopy(model).train()
    params = list(model.parameters())
    losses, correct, sizes, grads = [], [], [], []
    for x, y in [(x.to(device), y.to(device)) for x, y in batches]:
        log_probs = model(x)
        loss = -log_probs.gather(1, y[:, None]).mean()  # the batch's mean NLL
        grads.append(torch.autograd.grad(loss, params))
        with torch.no_grad():
            for p, g in zip(params, grads[-1]):
                p -= lr * g
        losses.append(loss.item())
        correct.append(int((log_probs.argmax(1) == y).sum()))
        sizes.append(len(y))
    n = sum(sizes)
    return {
        "grads": grads,
        "losses": losses,
        "sizes": sizes,
        "loss": sum(l * s for l, s in zip(losses, sizes)) / n,
        "accuracy": sum(correct) / n,
        "unweighted_loss": sum(losses) / len(losses),
        "unweighted_accuracy": sum(c / s for c, s in zip(correct, sizes)) / len(sizes),
        "last_loss": losses[-1],
        "last_accuracy": correct[-1] / sizes[-1],
    }


# --------------------------------------------------------------------------
# evaluation: a classifier whose answers are known


class KnownClassifier(nn.Module):
    """Predicts the class written in each image's first pixel, with
    log-probabilities that depend on a parameter, and a batch norm whose
    statistics change if it runs in training mode."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.norm = nn.BatchNorm1d(10)
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        guess = x.flatten(1)[:, 0].round().long().clamp(0, 9)
        logits = self.scale * F.one_hot(guess, 10).float()
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


def expected_eval(images: torch.Tensor, labels: torch.Tensor, sizes: list[int]) -> dict[str, float]:
    """The whole loader's mean loss and accuracy, and the wrong answers."""
    model = KnownClassifier().eval()
    with torch.no_grad():
        log_probs = model(images)
    losses = F.nll_loss(log_probs, labels, reduction="none")
    hits = (log_probs.argmax(1) == labels).float()
    parts = torch.split(torch.arange(len(labels)), sizes)
    return {
        "loss": losses.mean().item(),
        "accuracy": hits.mean().item(),
        "unweighted_loss": sum(losses[p].mean().item() for p in parts) / len(parts),
        "unweighted_accuracy": sum(hits[p].mean().item() for p in parts) / len(parts),
        "last_loss": losses[parts[-1]].mean().item(),
        "last_accuracy": hits[parts[-1]].mean().item(),
    }


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
    """Names the usual mistake when (loss, accuracy) matches it."""
    if close(loss, want["last_loss"]) or close(accuracy, want["last_accuracy"]):
        return " (that is the last batch's value)"
    if close(loss, want["unweighted_loss"]) or close(accuracy, want["unweighted_accuracy"]):
        return " (that is the unweighted mean of the batches' values)"
    return ""
