"""Realistic wrong answers to HW7-Q5 (hw7/cyclegan_loss), one mistake each.

generator_ab_loss is graded with stand-ins for the three terms, so a broken
term costs points once, where it is written."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/cyclegan_loss"

_MSE = "return F.mse_loss(disc_output, target)"
_BCE = "return F.binary_cross_entropy_with_logits(disc_output, target)"
_CYCLE = "return F.l1_loss(reconstructed, real)"
_IDENTITY = "return (same - real).abs().mean()"
_TOTAL = "total = adv + lambda_cycle * (cycle_A + cycle_B) + lambda_identity * ident"

MUTANTS: list[Variant] = [
    # ------------------------------------------------------- adversarial_loss
    Variant(
        MODULE, "adversarial_fake_labelled_fake", "adversarial_loss",
        "copies the discriminator's loss for fakes: the generator is pushed to make its fakes look fake.",
        old="target = torch.ones_like(disc_output)",
        new="target = torch.zeros_like(disc_output)",
    ),
    Variant(
        MODULE, "adversarial_log_of_logits", "adversarial_loss",
        "the seed answer's −log(D(G(x))) on raw scores: logits are not probabilities, and their log is NaN "
        "for negative scores.",
        old=_BCE,
        new="return -torch.log(disc_output).mean()",
    ),
    Variant(
        MODULE, "adversarial_lsgan_no_square", "adversarial_loss",
        "|d − 1| instead of (d − 1)²: an L1, not the least-squares loss.",
        old=_MSE,
        new="return (disc_output - target).abs().mean()",
    ),
    Variant(
        MODULE, "adversarial_bce_of_probability", "adversarial_loss",
        "applies a sigmoid and then BCE-with-logits, which applies it again.",
        old=_BCE,
        new="return F.binary_cross_entropy_with_logits(torch.sigmoid(disc_output), target)",
    ),
    Variant(
        MODULE, "adversarial_no_check", "adversarial_loss",
        "falls through to BCE for any unknown name, so a typo ('LSGAN') trains with the wrong loss silently.",
        old='''    if adversarial == "bce":
        return F.binary_cross_entropy_with_logits(disc_output, target)
    raise ValueError(f"adversarial must be one of {ADVERSARIAL_KINDS}, got {adversarial!r}")''',
        new="    return F.binary_cross_entropy_with_logits(disc_output, target)",
    ),
    # ------------------------------------------------------------- cycle_loss
    Variant(
        MODULE, "cycle_l2", "cycle_loss",
        "a squared error: the paper's cycle term is L1, which blurs less.",
        old=_CYCLE,
        new="return F.mse_loss(reconstructed, real)",
    ),
    Variant(
        MODULE, "cycle_sum", "cycle_loss",
        "sums instead of averaging: the loss grows with the batch and the image size.",
        old=_CYCLE,
        new='return F.l1_loss(reconstructed, real, reduction="sum")',
    ),
    Variant(
        MODULE, "cycle_numpy_mean", "cycle_loss",
        "np.mean on the images' NumPy copies: the right number, but no gradient reaches the generators.",
        old=_CYCLE,
        new="import numpy as np\n\n    return torch.tensor(\n"
        "        np.mean(np.abs((reconstructed - real).detach().cpu().numpy())), dtype=real.dtype\n    )",
    ),
    Variant(
        MODULE, "cycle_signed_mean", "cycle_loss",
        "forgets the absolute value: positive and negative errors cancel.",
        old=_CYCLE,
        new="return (reconstructed - real).mean().abs()",
    ),
    # ---------------------------------------------------------- identity_loss
    Variant(
        MODULE, "identity_l2", "identity_loss",
        "a squared error instead of L1.",
        old=_IDENTITY,
        new="return ((same - real) ** 2).mean()",
    ),
    Variant(
        MODULE, "identity_mean_over_batch_first", "identity_loss",
        "compares the batch means of the images, not the images.",
        old=_IDENTITY,
        new="return (same.mean(0) - real.mean(0)).abs().mean()",
    ),
    # ------------------------------------------------------ generator_ab_loss
    Variant(
        MODULE, "generator_one_cycle", "generator_ab_loss",
        "the seed answer: only A → B → A, the B → A → B cycle is missing from the total.",
        old=_TOTAL,
        new="total = adv + lambda_cycle * cycle_A + lambda_identity * ident",
    ),
    Variant(
        MODULE, "generator_cycle_B_wrong_direction", "generator_ab_loss",
        "runs the second cycle in the wrong order: gen_BA(gen_AB(real_B)).",
        old="cycle_B = cycle_loss(real_B, gen_AB(gen_BA(real_B)))",
        new="cycle_B = cycle_loss(real_B, gen_BA(gen_AB(real_B)))",
    ),
    Variant(
        MODULE, "generator_wrong_discriminator", "generator_ab_loss",
        "scores the fakes of domain B with disc_A.",
        old="adv = adversarial_loss(disc_B(fake_B), adversarial)",
        new="adv = adversarial_loss(disc_A(fake_B), adversarial)",
    ),
    Variant(
        MODULE, "generator_trains_discriminator", "generator_ab_loss",
        "never freezes disc_B, so total.backward() also writes gradients into the discriminator.",
        old="    disc_B.requires_grad_(False)\n",
        new="",
    ),
    Variant(
        MODULE, "generator_flags_not_restored", "generator_ab_loss",
        "freezes disc_B and leaves it frozen: its own training step then does nothing.",
        old="""        for p, flag in zip(disc_B.parameters(), flags):
            p.requires_grad_(flag)""",
        new="        pass",
    ),
    Variant(
        MODULE, "generator_cycle_weight_once", "generator_ab_loss",
        "weighs only the first cycle term by lambda_cycle.",
        old=_TOTAL,
        new="total = adv + lambda_cycle * cycle_A + cycle_B + lambda_identity * ident",
    ),
    Variant(
        MODULE, "generator_identity_wrong_generator", "generator_ab_loss",
        "takes the identity term of gen_BA on real_B (its output is in domain A, not B).",
        old="ident = identity_loss(real_B, gen_AB(real_B))",
        new="ident = identity_loss(real_B, gen_BA(real_B))",
    ),
    Variant(
        MODULE, "generator_detached_fake", "generator_ab_loss",
        "detaches the fake as in the discriminator's step: neither the adversarial term nor the A → B → A "
        "cycle then trains gen_AB.",
        old="fake_B = gen_AB(real_A)",
        new="fake_B = gen_AB(real_A).detach()",
    ),
]
