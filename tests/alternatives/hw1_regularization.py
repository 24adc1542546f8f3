"""Correct answers to HW1-Q2 (hw1/regularization) written differently from the
reference; each replaces one item's whole solution region."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw1/regularization"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "l1_cat_flattened", "l1_penalty", "flattens every tensor into one vector and sums its absolute values.",
        """\
    flat = [p.reshape(-1) for p in params]
    if not flat:
        return torch.tensor(0.0)
    return torch.cat(flat).abs().sum()
""",
    ),
    rewrite(
        "l1_vector_norm", "l1_penalty", "adds up torch.linalg.vector_norm(p, ord=1), starting from a zero tensor.",
        "    return sum((torch.linalg.vector_norm(p, ord=1) for p in params), torch.zeros(()))\n",
    ),
    rewrite(
        "l1_loop_entries", "l1_penalty", "a loop over the tensors with torch.sum(torch.abs(p)), as in course notebooks.",
        """\
    reg = None
    for p in params:
        term = torch.sum(torch.abs(p))
        reg = term if reg is None else reg + term
    return torch.tensor(0.0) if reg is None else reg
""",
    ),
    rewrite(
        "l2_squared_norm", "l2_penalty", "the squared Euclidean norm of each tensor, norm(p) ** 2.",
        "    return sum((torch.linalg.vector_norm(p) ** 2 for p in params), torch.zeros(()))\n",
    ),
    rewrite(
        "l2_self_product", "l2_penalty", "p * p summed, over a list built first.",
        """\
    params = list(params)
    if len(params) == 0:
        return torch.zeros(())
    return torch.stack([(p * p).sum() for p in params]).sum()
""",
    ),
    rewrite(
        "fit_autograd_penalty", "fit_linear",
        "autograd on mse + strength · l2_penalty([w]) for L2; for L1 autograd on the MSE, then the soft threshold.",
        """\
    if penalty not in ("l1", "l2"):
        raise ValueError(f"unknown penalty {penalty!r}: use 'l1' or 'l2'")
    if strength < 0 or steps < 0 or lr <= 0:
        raise ValueError(f"need strength >= 0, steps >= 0 and lr > 0; got strength={strength}, "
                         f"steps={steps}, lr={lr}")
    w = torch.zeros(x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        if penalty == "l2":
            loss = loss + strength * l2_penalty([w])
        gw, gb = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * gw
            b -= lr * gb
            if penalty == "l1":
                w.copy_(torch.sign(w) * torch.relu(w.abs() - lr * strength))
    return w.detach(), b.detach()
""",
    ),
    rewrite(
        "fit_augmented_theta", "fit_linear",
        "one parameter vector [w, b] against inputs with a column of ones; the penalty masked off the last entry.",
        """\
    if penalty != "l1" and penalty != "l2":
        raise ValueError("penalty must be one of 'l1', 'l2'")
    if strength < 0:
        raise ValueError("strength must not be negative")
    if steps < 0 or lr <= 0:
        raise ValueError("steps must be >= 0 and lr > 0")
    n, d = x.shape
    xa = torch.cat([x, torch.ones(n, 1, dtype=x.dtype, device=x.device)], dim=1)
    theta = torch.zeros(d + 1, dtype=x.dtype, device=x.device)
    mask = torch.ones(d + 1, dtype=x.dtype, device=x.device)
    mask[d] = 0
    for _ in range(steps):
        grad = 2.0 / n * xa.T @ (xa @ theta - y)
        if penalty == "l2":
            theta = theta - lr * (grad + 2 * strength * mask * theta)
        else:
            theta = theta - lr * grad
            shrunk = torch.sign(theta) * torch.clamp(theta.abs() - lr * strength, min=0)
            theta = torch.where(mask.bool(), shrunk, theta)
    return theta[:d].clone(), theta[d].clone()
""",
    ),
    rewrite(
        "knn_topk", "knn_predict", "the k smallest distances by torch.topk(largest=False).",
        """\
    if k < 1 or k > train_x.shape[0]:
        raise ValueError(f"k={k} is not between 1 and the number of training points")
    idx = torch.topk(torch.cdist(x, train_x), k, dim=1, largest=False).indices
    return train_y[idx].mean(1)
""",
    ),
    rewrite(
        "knn_loops_squared", "knn_predict",
        "loops over the queries with squared distances (same order as the distances) and argsort.",
        """\
    n = train_x.shape[0]
    if not (1 <= k <= n):
        raise ValueError(f"k must be in [1, {n}], got k={k}")
    preds = []
    for q in x:
        d2 = ((train_x - q) ** 2).sum(dim=1)
        nearest = torch.argsort(d2)[:k]
        preds.append(train_y[nearest].mean())
    return torch.stack(preds) if preds else train_y.new_zeros(0)
""",
    ),
    rewrite(
        "knn_broadcast_norm", "knn_predict",
        "distances by broadcasting and torch.linalg.norm, neighbours by a stable argsort, a one-hot average.",
        """\
    if k < 1 or k > len(train_y):
        raise ValueError(f"k out of range: {k}")
    dist = torch.linalg.norm(x[:, None, :] - train_x[None, :, :], dim=-1)
    order = torch.argsort(dist, dim=1, stable=True)[:, :k]
    weights = torch.zeros_like(dist, dtype=train_y.dtype).scatter_(1, order, 1.0 / k)
    return weights @ train_y
""",
    ),
    rewrite(
        "bv_loops_unbiased", "bias_variance",
        "loops over the grid for the decomposition and takes the unbiased variance (n_sets − 1).",
        """\
    if n_sets < 2:
        raise ValueError("n_sets must be >= 2")
    if noise < 0:
        raise ValueError("noise must be non-negative")
    g = torch.Generator().manual_seed(seed)
    grid = torch.linspace(0, 1, 50, dtype=torch.float64)[:, None]
    rows = []
    for _ in range(n_sets):
        xs = torch.rand(n_train, 1, generator=g, dtype=torch.float64)
        eps = torch.randn(n_train, generator=g, dtype=torch.float64) * noise
        rows.append(knn_predict(xs, torch.sin(2 * torch.pi * xs[:, 0]) + eps, grid, k))
    preds = torch.stack(rows)
    b2 = v = 0.0
    for j in range(grid.shape[0]):
        column = preds[:, j]
        b2 += (column.mean().item() - math.sin(2 * math.pi * grid[j, 0].item())) ** 2
        v += column.var().item()
    return {"bias2": b2 / grid.shape[0], "variance": v / grid.shape[0], "noise": noise * noise}
""",
    ),
    rewrite(
        "bv_second_moment", "bias_variance",
        "the variance as E[ŷ²] − E[ŷ]², the targets drawn all at once for the sets.",
        """\
    if n_sets < 2 or noise < 0:
        raise ValueError(f"need n_sets >= 2 and noise >= 0, got n_sets={n_sets}, noise={noise}")
    gen = torch.Generator().manual_seed(seed)
    xs = torch.rand(n_sets, n_train, 1, generator=gen, dtype=torch.float64)
    ys = torch.sin(2 * math.pi * xs[..., 0]) + noise * torch.randn(n_sets, n_train, generator=gen, dtype=torch.float64)
    grid = torch.linspace(0, 1, 50, dtype=torch.float64).unsqueeze(1)
    preds = torch.stack([knn_predict(xs[i], ys[i], grid, k) for i in range(n_sets)])
    mean = preds.mean(0)
    variance = ((preds ** 2).mean(0) - mean ** 2).mean()
    bias2 = ((mean - torch.sin(2 * math.pi * grid[:, 0])) ** 2).mean()
    return {"bias2": bias2.item(), "variance": variance.item(), "noise": float(noise) ** 2}
""",
    ),
]
