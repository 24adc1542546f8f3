"""Reference sizes for the Optuna search's hidden graders (hw7/optuna_search).

Runs in the judge; it computes part of an item's answer (the parameter
count of build_model's network), so it never ships.
"""
from __future__ import annotations

from typing import Any


def expected_parameters(fields: dict[str, Any], in_shape: tuple[int, int, int], n_classes: int) -> int:
    """Parameters of the contract's network for a configuration's fields:
    same-size convs, 2×2 pools, dense layers."""
    channels, h, w = in_shape
    total, k = 0, fields["kernel_size"]
    for f in fields["filters"]:
        total += channels * f * k * k + f
        channels = f
        if fields["pool"]:
            h, w = h // 2, w // 2
    width = channels * h * w
    for n in (*fields["neurons"], n_classes):
        total += width * n + n
        width = n
    return total
