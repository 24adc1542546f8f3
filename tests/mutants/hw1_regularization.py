"""Realistic wrong answers to HW1-Q2 (hw1/regularization), one mistake each.

ASSIGNMENTS.md lists the handout's points for this question (small k: low
bias, high variance; L1 zeroes weights, L2 shrinks them) rather than seed
answers' mistakes; the mistakes below are those answers' usual slips: the L2
penalty as a norm, L1 fitted by plain subgradient steps (nothing exactly
zero), the bias penalised, a wrong neighbourhood, and the decomposition
computed on the wrong axis."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw1/regularization"

MUTANTS: list[Variant] = [
    # ---------------------------------------------------------- the penalties
    Variant(
        MODULE, "l2_norm_not_squared", "l2_penalty",
        "uses torch.norm(w), the square root of the sum of squares, for the L2 penalty.",
        old="        total = total + p.pow(2).sum()\n",
        new="        total = total + p.norm()\n",
    ),
    Variant(
        MODULE, "l2_sqrt_of_total", "l2_penalty",
        "computes the Euclidean length of all the weights together: the square root of the L2 penalty.",
        old="        total = total + p.pow(2).sum()\n    return total\n",
        new="        total = total + p.pow(2).sum()\n    return total.sqrt()\n",
    ),
    Variant(
        MODULE, "l2_with_half", "l2_penalty",
        "adds the 1/2 of the textbooks' ½‖w‖², which the handout's formula does not have.",
        old="        total = total + p.pow(2).sum()\n",
        new="        total = total + 0.5 * p.pow(2).sum()\n",
    ),
    Variant(
        MODULE, "l1_no_abs", "l1_penalty",
        "sums the weights without their absolute values, so positive and negative weights cancel.",
        old="        total = total + p.abs().sum()\n",
        new="        total = total + p.sum()\n",
    ),
    Variant(
        MODULE, "l1_mean_per_tensor", "l1_penalty",
        "averages |w| within each tensor (.mean()) instead of summing, so big layers count as little as small ones.",
        old="        total = total + p.abs().sum()\n",
        new="        total = total + p.abs().mean()\n",
    ),
    Variant(
        MODULE, "l1_item_detaches", "l1_penalty",
        "adds up Python numbers (.item()), which cuts the penalty off from autograd.",
        old="        total = total + p.abs().sum()\n",
        new="        total = total + p.abs().sum().item()\n",
    ),
    Variant(
        MODULE, "l2_squares_of_sums", "l2_penalty",
        "squares each tensor's sum instead of summing the squares.",
        old="        total = total + p.pow(2).sum()\n",
        new="        total = total + p.sum().pow(2)\n",
    ),
    # ------------------------------------------------------------ fit_linear
    Variant(
        MODULE, "fit_l1_subgradient", "fit_linear",
        "takes plain subgradient steps on the L1 term (strength · sign(w)): the weights hop around 0 and "
        "never become exactly 0.",
        old="            w = w - lr * grad_w\n            w = torch.sign(w) * torch.clamp(w.abs() - lr * strength, min=0)\n",
        new="            w = w - lr * (grad_w + strength * torch.sign(w))\n",
    ),
    Variant(
        MODULE, "fit_bias_penalised", "fit_linear",
        "shrinks the bias with the weights, as when the penalty is applied to every parameter of a model.",
        old="        b = b - lr * grad_b\n",
        new="        b = b - lr * (grad_b + 2 * strength * b)\n",
    ),
    Variant(
        MODULE, "fit_threshold_without_lr", "fit_linear",
        "soft-thresholds by the strength instead of lr · strength, so every step shrinks far too much.",
        old="torch.clamp(w.abs() - lr * strength, min=0)",
        new="torch.clamp(w.abs() - strength, min=0)",
    ),
    Variant(
        MODULE, "fit_l2_gradient_without_2", "fit_linear",
        "takes strength · w as the gradient of strength · Σ w², forgetting the factor 2.",
        old="            w = w - lr * (grad_w + 2 * strength * w)\n",
        new="            w = w - lr * (grad_w + strength * w)\n",
    ),
    Variant(
        MODULE, "fit_summed_error", "fit_linear",
        "takes the gradient of the summed squared error, not the mean: the penalty then weighs N times less.",
        old="        grad_w, grad_b = 2 * x.T @ r / n, 2 * r.mean()\n",
        new="        grad_w, grad_b = 2 * x.T @ r, 2 * r.mean()\n",
    ),
    Variant(
        MODULE, "fit_any_penalty_is_l1", "fit_linear",
        "checks only for 'l2' and treats every other name, typos included, as L1.",
        old='    if penalty not in ("l1", "l2"):\n        raise ValueError(f"penalty must be \'l1\' or \'l2\', got {penalty!r}")\n',
        new="",
    ),
    # ----------------------------------------------------------- knn_predict
    Variant(
        MODULE, "knn_manhattan", "knn_predict",
        "measures the distance as the sum of absolute differences (p=1) instead of Euclidean.",
        old="    distances = torch.cdist(x, train_x)\n",
        new="    distances = torch.cdist(x, train_x, p=1)\n",
    ),
    Variant(
        MODULE, "knn_k_plus_one", "knn_predict",
        "takes k + 1 neighbours, counting the query as if it were among the training points.",
        old="indices[:, :k]",
        new="indices[:, :k + 1]",
    ),
    Variant(
        MODULE, "knn_skips_nearest", "knn_predict",
        "skips the nearest neighbour, as in leave-one-out where the nearest is the point itself.",
        old="indices[:, :k]",
        new="indices[:, 1:k + 1]",
    ),
    Variant(
        MODULE, "knn_farthest", "knn_predict",
        "sorts the distances in descending order and so averages the k farthest points.",
        old="torch.sort(distances, dim=1, stable=True)",
        new="torch.sort(distances, dim=1, descending=True, stable=True)",
    ),
    Variant(
        MODULE, "knn_median", "knn_predict",
        "takes the median of the neighbours' targets instead of their mean.",
        old="    return train_y[nearest].mean(dim=1)\n",
        new="    return train_y[nearest].median(dim=1).values\n",
    ),
    Variant(
        MODULE, "knn_no_validation", "knn_predict",
        "never checks k, so k = 0 gives NaN and a k above N silently uses every point.",
        old='    if not 1 <= k <= len(train_x):\n        raise ValueError(f"k must be between 1 and the {len(train_x)} training points, got {k}")\n',
        new="",
    ),
    # --------------------------------------------------------- bias_variance
    Variant(
        MODULE, "bv_bias_is_mse", "bias_variance",
        "takes the mean squared error over sets and grid as bias², which is bias² + variance.",
        old="    bias2 = ((table.mean(dim=0) - truth) ** 2).mean()\n",
        new="    bias2 = ((table - truth) ** 2).mean()\n",
    ),
    Variant(
        MODULE, "bv_variance_over_grid", "bias_variance",
        "takes the variance along the grid (how much the prediction varies with x) instead of over the sets.",
        old="    variance = table.var(dim=0, unbiased=False).mean()\n",
        new="    variance = table.var(dim=1, unbiased=False).mean()\n",
    ),
    Variant(
        MODULE, "bv_bias_not_squared", "bias_variance",
        "averages the absolute gap |mean prediction − f| instead of its square.",
        old="    bias2 = ((table.mean(dim=0) - truth) ** 2).mean()\n",
        new="    bias2 = (table.mean(dim=0) - truth).abs().mean()\n",
    ),
    Variant(
        MODULE, "bv_noise_not_squared", "bias_variance",
        "reports the noise's standard deviation instead of its variance.",
        old='"noise": float(noise**2)',
        new='"noise": float(noise)',
    ),
    Variant(
        MODULE, "bv_noiseless_targets", "bias_variance",
        "forgets the noise on the training targets, so the variance only comes from where the points fall.",
        old="        train_y = torch.sin(2 * math.pi * train_x[:, 0]) + noise * torch.randn(\n"
            "            n_train, generator=gen, dtype=torch.float64)\n",
        new="        train_y = torch.sin(2 * math.pi * train_x[:, 0])\n",
    ),
    Variant(
        MODULE, "bv_reseeds_each_set", "bias_variance",
        "seeds the generator inside the loop, so every 'resampled' training set is the same one.",
        old="    for _ in range(n_sets):\n        train_x = torch.rand(",
        new="    for _ in range(n_sets):\n        gen = torch.Generator().manual_seed(seed)\n        train_x = torch.rand(",
    ),
    Variant(
        MODULE, "bv_no_validation", "bias_variance",
        "never checks n_sets, so a single set gives a variance of 0 (or NaN) without complaint.",
        old='    if n_sets < 2:\n        raise ValueError(f"n_sets must be at least 2 (a variance needs two sets), got {n_sets}")\n',
        new="",
    ),
]
