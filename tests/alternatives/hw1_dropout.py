"""Correct answers to HW1-Q1c (hw1/dropout) written differently from the
reference; each replaces one item's whole solution region."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw1/dropout"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "apply_where", "apply_dropout_mask", "selects kept units with torch.where.",
        "    return torch.where(mask.bool(), activations, torch.zeros_like(activations))\n",
    ),
    rewrite(
        "drop_rate_one_minus_mean", "drop_rate_from_mask", "one minus the mean of the mask.",
        "    return 1.0 - float(mask.float().mean())\n",
    ),
    rewrite(
        "inverted_where", "inverted_dropout", "scales with torch.where, p = 1 through a zero factor.",
        """\
    if p < 0 or p > 1:
        raise ValueError(f"drop rate p={p} is not a probability")
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return torch.where(mask.bool(), activations * scale, torch.zeros_like(activations))
""",
    ),
    rewrite(
        "forward_bernoulli", "dropout_forward", "samples the keep-mask with torch.bernoulli.",
        """\
    if p < 0 or p > 1:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    if not training:
        return x, torch.ones_like(x)
    probs = torch.full(x.shape, 1.0 - p, device=generator.device if generator is not None else x.device)
    mask = torch.bernoulli(probs, generator=generator).to(device=x.device, dtype=x.dtype)
    return inverted_dropout(x, mask, p), mask
""",
    ),
]
