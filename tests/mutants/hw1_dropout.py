"""Realistic wrong answers to HW1-Q1c (hw1/dropout), one mistake each."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw1/dropout"
VALIDATE = '''    if not 0 <= p <= 1:
        raise ValueError(f"p: the drop rate must be in [0, 1], got {p}")
    return activations * (1 - p)'''

MUTANTS: list[Variant] = [
    Variant(
        MODULE, "apply_mask_rescaled", "apply_dropout_mask",
        "mixes the two formulations: rescales the classic training output by the keep rate.",
        old="    return activations * mask.to(activations.dtype)\n",
        new="    return activations * mask.to(activations.dtype) / mask.float().mean()\n",
    ),
    Variant(
        MODULE, "drop_rate_counts_kept", "drop_rate_from_mask",
        "counts the ones: the keep rate, not the drop rate (the handout's 0.5 hides it).",
        old="return (mask == 0).sum().item() / mask.numel()",
        new="return (mask == 1).sum().item() / mask.numel()",
    ),
    Variant(
        MODULE, "drop_rate_tensor", "drop_rate_from_mask",
        "returns a 0-d tensor instead of a float, which then leaks into later arithmetic.",
        old="return (mask == 0).sum().item() / mask.numel()",
        new="return (mask == 0).float().mean()",
    ),
    Variant(
        MODULE, "classic_scales_by_p", "classic_test_output",
        "scales the test output by the drop rate instead of the keep rate.",
        old="    return activations * (1 - p)\n",
        new="    return activations * p\n",
    ),
    Variant(
        MODULE, "classic_no_validation", "classic_test_output",
        "trusts p and never checks it is a probability.",
        old=VALIDATE,
        new="    return activations * (1 - p)",
    ),
    Variant(
        MODULE, "inverted_divides_by_p", "inverted_dropout",
        "divides by the drop rate instead of the keep rate.",
        old="    return activations * mask.to(activations.dtype) / (1 - p)\n",
        new="    return activations * mask.to(activations.dtype) / p\n",
    ),
    Variant(
        MODULE, "inverted_nan_at_p1", "inverted_dropout",
        "forgets the p = 1 edge case: 0 / 0 gives NaN for every unit.",
        old="    if p == 1:\n        return torch.zeros_like(activations)\n",
        new="",
    ),
    Variant(
        MODULE, "inverted_classic_scaling", "inverted_dropout",
        "applies the classic test-time factor at training time.",
        old="    return activations * mask.to(activations.dtype) / (1 - p)\n",
        new="    return activations * mask.to(activations.dtype) * (1 - p)\n",
    ),
    Variant(
        MODULE, "forward_keeps_with_p", "dropout_forward",
        "keeps a unit with probability p: the comparison is the wrong way round.",
        old="    keep = torch.rand(x.shape, generator=generator, device=where).to(x.device) >= p\n",
        new="    keep = torch.rand(x.shape, generator=generator, device=where).to(x.device) < p\n",
    ),
    Variant(
        MODULE, "forward_eval_scales", "dropout_forward",
        "scales at test time as in classic dropout although the training output is already inverted.",
        old="        return x, torch.ones_like(x)\n",
        new="        return x * (1 - p), torch.ones_like(x)\n",
    ),
    Variant(
        MODULE, "forward_ignores_generator", "dropout_forward",
        "draws the mask from the global generator, so a seeded generator changes nothing.",
        old="    keep = torch.rand(x.shape, generator=generator, device=where).to(x.device) >= p\n",
        new="    keep = torch.rand(x.shape, device=x.device) >= p\n",
    ),
    Variant(
        MODULE, "forward_bool_mask", "dropout_forward",
        "returns the boolean comparison as the mask instead of x's dtype.",
        old="    return inverted_dropout(x, mask, p), mask\n",
        new="    return inverted_dropout(x, mask, p), keep\n",
    ),
    # ------------------------------------------------- inputs, dtype, layout
    Variant(
        MODULE, "apply_mask_zeroes_in_place", "apply_dropout_mask",
        "sets the dropped units to 0 by assigning into the caller's activations, then returns them.",
        old="    return activations * mask.to(activations.dtype)\n",
        new="    activations[mask == 0] = 0\n    return activations\n",
    ),
    Variant(
        MODULE, "drop_rate_flattens_with_view", "drop_rate_from_mask",
        "flattens the mask with .view(-1), which raises for a non-contiguous mask (a transposed view).",
        old="return (mask == 0).sum().item() / mask.numel()",
        new="flat = mask.view(-1)\n    return (flat == 0).sum().item() / flat.numel()",
    ),
    Variant(
        MODULE, "classic_scales_in_place", "classic_test_output",
        "scales the caller's activations in place with *= and returns them.",
        old="    return activations * (1 - p)\n",
        new="    activations *= 1 - p\n    return activations\n",
    ),
    Variant(
        MODULE, "inverted_scales_in_place", "inverted_dropout",
        "multiplies and divides the caller's activations in place.",
        old="    return activations * mask.to(activations.dtype) / (1 - p)\n",
        new="    activations *= mask.to(activations.dtype)\n    activations /= 1 - p\n    return activations\n",
    ),
    Variant(
        MODULE, "forward_zeroes_x_in_place_at_p1", "dropout_forward",
        "handles p = 1 by zeroing x in place (every unit is dropped anyway) and returning it.",
        old="    where = generator.device if generator is not None else x.device\n",
        new="    if p == 1:\n        x *= 0\n        return x, torch.zeros_like(x)\n"
        "    where = generator.device if generator is not None else x.device\n",
    ),
    Variant(
        MODULE, "forward_output_float32", "dropout_forward",
        "computes the output inline into torch.zeros(x.shape), which is float32 (and on the CPU) "
        "whatever x is.",
        old="    return inverted_dropout(x, mask, p), mask\n",
        new="    out = torch.zeros(x.shape)\n    out[keep] = x[keep] / (1 - p)\n    return out, mask\n",
    ),
]
