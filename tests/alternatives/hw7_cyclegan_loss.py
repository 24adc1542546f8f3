"""Correct answers to HW7-Q5 (hw7/cyclegan_loss) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/cyclegan_loss"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "adversarial_by_hand", "adversarial_loss",
        "writes both losses out: the squared gap to 1, and −log σ(d) through F.logsigmoid.",
        """\
    if adversarial not in ("lsgan", "bce"):
        raise ValueError(f"unknown adversarial loss {adversarial!r}: use 'lsgan' or 'bce'")
    if adversarial == "lsgan":
        return ((disc_output - 1) ** 2).mean()
    return -F.logsigmoid(disc_output).mean()
""",
    ),
    rewrite(
        "adversarial_softplus_table", "adversarial_loss",
        "looks the loss up in a table; BCE against ones is softplus(−d).",
        """\
    losses = {
        "lsgan": lambda d: torch.mean(torch.square(d - torch.ones_like(d))),
        "bce": lambda d: torch.mean(F.softplus(-d)),
    }
    if adversarial not in losses:
        raise ValueError(f"adversarial={adversarial!r}; expected one of {sorted(losses)}")
    return losses[adversarial](disc_output)
""",
    ),
    rewrite(
        "cycle_abs_mean", "cycle_loss", "the mean of the absolute differences, arguments the other way round.",
        "    return torch.mean(torch.abs(real - reconstructed))\n",
    ),
    rewrite(
        "cycle_norm", "cycle_loss", "the L1 norm of the flattened difference divided by the element count.",
        "    return torch.linalg.vector_norm((real - reconstructed).flatten(), ord=1) / real.numel()\n",
    ),
    rewrite(
        "identity_l1_loss", "identity_loss", "F.l1_loss with the arguments in the other order.",
        "    return F.l1_loss(real, same)\n",
    ),
    rewrite(
        "identity_through_cycle_loss", "identity_loss", "reuses cycle_loss, the same formula.",
        "    return cycle_loss(real, same)\n",
    ),
    rewrite(
        "generator_inline_functional_call", "generator_ab_loss",
        "computes every term inline and scores the fakes with disc_B's parameters detached "
        "(torch.func.functional_call), so the discriminator gets no gradient and nothing is frozen.",
        """\
    if adversarial not in ("lsgan", "bce"):
        raise ValueError(f"adversarial must be 'lsgan' or 'bce', got {adversarial!r}")
    detached = {name: p.detach() for name, p in disc_B.named_parameters()}
    fake_B = gen_AB(real_A)
    scores = torch.func.functional_call(disc_B, detached, (fake_B,))
    if adversarial == "lsgan":
        adv = ((scores - 1) ** 2).mean()
    else:
        adv = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
    cycle_A = (gen_BA(fake_B) - real_A).abs().mean()
    cycle_B = (gen_AB(gen_BA(real_B)) - real_B).abs().mean()
    ident = (gen_AB(real_B) - real_B).abs().mean() if lambda_identity > 0 else real_A.new_zeros(())
    parts = {"adversarial": adv, "cycle_A": cycle_A, "cycle_B": cycle_B, "identity": ident}
    return adv + lambda_cycle * cycle_A + lambda_cycle * cycle_B + lambda_identity * ident, parts
""",
    ),
    rewrite(
        "generator_context_and_cycle_for_identity", "generator_ab_loss",
        "freezes both discriminators in a loop and restores them, takes the identity term with cycle_loss "
        "(the same L1) and the cycles with the arguments swapped.",
        """\
    if adversarial not in ADVERSARIAL_KINDS:
        raise ValueError(f"adversarial: expected 'lsgan' or 'bce', got {adversarial!r}")
    saved = [(p, p.requires_grad) for d in (disc_A, disc_B) for p in d.parameters()]
    for p, _ in saved:
        p.requires_grad_(False)
    try:
        adv = adversarial_loss(disc_B(gen_AB(real_A)), adversarial=adversarial)
    finally:
        for p, flag in saved:
            p.requires_grad_(flag)
    parts = {
        "adversarial": adv,
        "cycle_A": cycle_loss(gen_BA(gen_AB(real_A)), real_A),
        "cycle_B": cycle_loss(gen_AB(gen_BA(real_B)), real_B),
        "identity": cycle_loss(gen_AB(real_B), real_B) if lambda_identity > 0 else torch.zeros_like(adv),
    }
    total = parts["adversarial"] + lambda_cycle * (parts["cycle_A"] + parts["cycle_B"])
    if lambda_identity > 0:
        total = total + lambda_identity * parts["identity"]
    return total, parts
""",
    ),
]
