"""Reference values for the hidden regularization graders (hw1/regularization):
the handout's formulas in float64, and a correct k-NN for bias_variance.

These are answers: they live in the instructor-only layer, which the release
never ships.
"""
from __future__ import annotations

import torch


def l1(params: list[torch.Tensor]) -> float:
    """Σ |w| over every entry of every tensor."""
    return float(sum(p.double().abs().sum() for p in params))


def l2(params: list[torch.Tensor]) -> float:
    """Σ w² over every entry of every tensor."""
    return float(sum(p.double().pow(2).sum() for p in params))


def l1_grad(p: torch.Tensor) -> torch.Tensor:
    return torch.sign(p.double())


def l2_grad(p: torch.Tensor) -> torch.Tensor:
    return 2 * p.double()


def ridge(x: torch.Tensor, y: torch.Tensor, strength: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The minimiser of mean squared error + strength · Σ w² (bias free), in closed form."""
    x, y = x.double(), y.double()
    xm, ym = x.mean(0), y.mean()
    xc, yc = x - xm, y - ym
    n, d = x.shape
    w = torch.linalg.solve(xc.T @ xc / n + strength * torch.eye(d, dtype=torch.float64), xc.T @ yc / n)
    return w, ym - xm @ w


def lasso(x: torch.Tensor, y: torch.Tensor, strength: float, steps: int = 3000) -> tuple[torch.Tensor, torch.Tensor]:
    """The minimiser of mean squared error + strength · Σ |w| (bias free), by
    proximal gradient with a step of 1 / the gradient's Lipschitz constant."""
    x, y = x.double(), y.double()
    n, d = x.shape
    xa = torch.cat([x, torch.ones(n, 1, dtype=torch.float64)], 1)
    lr = 1 / (2 * torch.linalg.eigvalsh(xa.T @ xa / n).max().item())
    theta = torch.zeros(d + 1, dtype=torch.float64)
    for _ in range(steps):
        theta = theta - lr * 2 * xa.T @ (xa @ theta - y) / n
        w = theta[:d]
        theta[:d] = torch.sign(w) * torch.clamp(w.abs() - lr * strength, min=0)
    return theta[:d], theta[d]


def knn(train_x: torch.Tensor, train_y: torch.Tensor, x: torch.Tensor, k: int) -> torch.Tensor:
    """The mean target of the k nearest training points (Euclidean), float64."""
    d = ((x.double()[:, None, :] - train_x.double()[None, :, :]) ** 2).sum(-1)
    return train_y.double()[d.argsort(dim=1, stable=True)[:, :k]].mean(1)
