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
    # Written the way textbooks, course notebooks and libraries write them.
    rewrite(
        "apply_plain_product", "apply_dropout_mask", "the textbook one-liner, mask times activations.",
        "    return mask * activations\n",
    ),
    rewrite(
        "apply_clone_then_zero", "apply_dropout_mask",
        "clones the activations and zeroes the dropped units of the copy in place.",
        """\
    out = activations.clone()
    out[mask == 0] = 0
    return out
""",
    ),
    rewrite(
        "drop_rate_reshape_count", "drop_rate_from_mask",
        "flattens with reshape and counts the zeros with torch.count_nonzero.",
        """\
    flat = mask.reshape(-1)
    return torch.count_nonzero(flat == 0).item() / flat.shape[0]
""",
    ),
    rewrite(
        "drop_rate_one_minus_kept", "drop_rate_from_mask", "one minus the kept fraction, mask.sum() / numel.",
        "    return 1 - mask.sum().item() / mask.numel()\n",
    ),
    rewrite(
        "classic_keep_prob", "classic_test_output",
        "names the keep probability, as the Coursera notebooks do, and checks p with two comparisons.",
        """\
    if p < 0.0 or p > 1.0:
        raise ValueError("dropout probability p has to be between 0 and 1, but got {}".format(p))
    keep_prob = 1.0 - p
    return keep_prob * activations
""",
    ),
    rewrite(
        "inverted_d2l", "inverted_dropout",
        "d2l's dropout_layer with the given mask: the p = 1 case first, then mask * X / (1.0 - p).",
        """\
    assert isinstance(p, float) or isinstance(p, int)
    if not (0 <= p <= 1):
        raise ValueError(f"p={p} must be in [0, 1]")
    if p == 1:
        return torch.zeros_like(activations)
    return mask * activations / (1.0 - p)
""",
    ),
    rewrite(
        "forward_d2l_rand_gt", "dropout_forward",
        "d2l's (torch.rand(X.shape) > dropout) mask, in x's dtype and device, then inverted_dropout.",
        """\
    if p < 0 or p > 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not training:
        return x, torch.ones_like(x)
    mask = (torch.rand(x.shape, generator=generator, device=x.device) > p).to(x.dtype)
    return inverted_dropout(x, mask, p), mask
""",
    ),
    rewrite(
        "forward_coursera_inline", "dropout_forward",
        "the Coursera notebook's D = rand < keep_prob; A = A * D; A = A / keep_prob, computed inline.",
        """\
    if not 0 <= p <= 1:
        raise ValueError("p (the drop rate) must be between 0 and 1")
    if not training:
        return x, torch.ones_like(x)
    keep_prob = 1 - p
    D = torch.rand(x.size(), generator=generator, device=x.device, dtype=x.dtype)
    D = (D < keep_prob).to(x.dtype)
    A = x * D
    A = A / keep_prob if keep_prob > 0 else torch.zeros_like(x)
    return A, D
""",
    ),
    rewrite(
        "forward_bernoulli_in_place_on_new", "dropout_forward",
        "library style: an empty tensor like x filled in place with bernoulli_(1 - p), x * mask / (1 - p).",
        """\
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got p={p}")
    if not training:
        return x, torch.ones_like(x)
    mask = torch.empty_like(x).bernoulli_(1 - p, generator=generator)
    if p == 1:
        return torch.zeros_like(x), mask
    return x * mask / (1 - p), mask
""",
    ),
]
