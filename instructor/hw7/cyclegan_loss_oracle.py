"""Reference values for the hidden CycleGAN loss graders (hw7/cyclegan_loss):
the handout's formulas in float64. generator_ab_loss's parts may also take
the values of the graders' marked spies (cyclegan_loss_support.candidates)."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from graders.hw7 import cyclegan_loss_support as support


def adversarial(disc_output: torch.Tensor, adversarial: str) -> float:
    """mean((d − 1)²) for "lsgan", BCE-with-logits against ones for "bce", float64."""
    d = disc_output.double()
    if adversarial == "lsgan":
        return float(((d - 1) ** 2).mean())
    return float(F.softplus(-d).mean())


def l1(first: torch.Tensor, second: torch.Tensor) -> float:
    """mean |first − second| over every element, float64."""
    return float((first.double() - second.double()).abs().mean())


def generator_terms(case: dict[str, Any]) -> dict[str, list[float]]:
    """The four terms of generator_ab_loss on a case of support.generator_cases."""
    pairs = support.images_of(case)
    return {
        "adversarial": [adversarial(pairs["scores"][0], case["kwargs"]["adversarial"])],
        **{k: [l1(*pairs[k])] for k in ("cycle_A", "cycle_B", "identity")},
    }
