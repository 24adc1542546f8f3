"""The handout's limits and the contract's sizes, for the Optuna search graders.

This runs in the judge. The samplers, pruners, studies and stand-ins that
must live next to the submission (trials and studies cannot cross to the
worker) are in optuna_search_probes.
"""
from __future__ import annotations

from typing import Any

MAX_CONV, MAX_DENSE, MAX_FILTERS, MAX_NEURONS, MAX_LR = 4, 3, 64, 64, 0.01
OPTIMIZERS = ("Adam", "RMSprop", "SGD")


def limit_violations(fields: dict[str, Any]) -> list[str]:
    """Every way a configuration (its fields, as the probes return them)
    breaks the handout's limits, in words (empty: none)."""
    problems = []
    filters, neurons = _sizes(fields.get("filters", ())), _sizes(fields.get("neurons", ()))
    if not 1 <= len(filters) <= MAX_CONV:
        problems.append(f"{len(filters)} conv layers (1 to {MAX_CONV} allowed)")
    if any(not _within(f, MAX_FILTERS) for f in filters):
        problems.append(f"filters {list(filters)} (1 to {MAX_FILTERS} per layer)")
    if len(neurons) + 1 > MAX_DENSE:
        problems.append(f"{len(neurons)} hidden dense layers + the output layer (at most {MAX_DENSE} dense layers)")
    if any(not _within(n, MAX_NEURONS) for n in neurons):
        problems.append(f"neurons {list(neurons)} (1 to {MAX_NEURONS} per layer)")
    lr = fields.get("lr")
    if not isinstance(lr, (int, float)) or not 0 < lr <= MAX_LR:
        problems.append(f"lr={lr} (0 < lr ≤ {MAX_LR})")
    if fields.get("optimizer") not in OPTIMIZERS:
        problems.append(f"optimizer={fields.get('optimizer')!r} (one of {', '.join(OPTIMIZERS)})")
    dropout = fields.get("dropout")
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        problems.append(f"dropout={dropout} (in [0, 1))")
    return problems


def _sizes(value: Any) -> tuple:
    """Layer sizes as a tuple (a lone value or a text counts as one bad size)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _within(size: Any, most: int) -> bool:
    try:
        return 1 <= int(size) <= most
    except (TypeError, ValueError):
        return False


DEFAULTS = dict(filters=(4, 6), kernel_size=3, pool=True, neurons=(8,), dropout=0.0, optimizer="Adam", lr=1e-3)


def config_fields(**fields: Any) -> dict[str, Any]:
    """A configuration's fields: small defaults with `fields` over them."""
    return {**DEFAULTS, **fields}


def config(impl: Any, **fields: Any) -> Any:
    """impl.CNNConfig with small defaults and `fields` over them (made in the worker)."""
    return impl.CNNConfig(**config_fields(**fields))


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
