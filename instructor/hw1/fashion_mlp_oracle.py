"""Oracles for the Fashion-MNIST graders (hw1/fashion_mlp), judge only:
one epoch of training replayed as the definition asks, and the answer of
evaluate on the graders' classifier whose answers are known."""
from __future__ import annotations

import copy
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.device import default_device
from graders.hw1 import fashion_mlp_support as support
from graders.hw1.fashion_mlp_probes import KnownClassifier, TinyNet, data, loader


def replay(model: nn.Module, batches: list, lr: float, device: torch.device) -> dict[str, Any]:
    """One epoch as the definition asks, on a copy of `model`: per batch, the
    mean NLL loss and predictions before the step, its gradients and the step."""
    model = copy.deepcopy(model).train()
    params = list(model.parameters())
    losses, correct, sizes, grads = [], [], [], []
    for x, y in [(x.to(device), y.to(device)) for x, y in batches]:
        log_probs = model(x)
        loss = -log_probs.gather(1, y[:, None]).mean()  # the batch's mean NLL
        grads.append([g.cpu() for g in torch.autograd.grad(loss, params)])
        with torch.no_grad():
            for p, g in zip(params, grads[-1]):
                p -= lr * g.to(p.device)
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


def replay_case(n: int, batch_size: int, seed: int, lr: float = support.LR) -> dict[str, Any]:
    """The replay of the graders' training case (support.train_case's)."""
    device = default_device()
    model = TinyNet(seed).to(device).eval()
    images, labels = data(n, seed)
    return replay(model, list(loader(images, labels, batch_size)), lr, device)


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
