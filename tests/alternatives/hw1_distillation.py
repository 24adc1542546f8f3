"""Correct answers to HW1-Q3 (hw1/distillation) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw1/distillation"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "targets_max_subtracted_by_hand",
        "soft_targets",
        "writes the stable softmax out: subtracts each row's maximum, exponentiates, normalises.",
        """\
    scaled = logits / temperature
    scores = torch.exp(scaled - scaled.amax(dim=-1, keepdim=True))
    return scores / scores.sum(dim=-1, keepdim=True)
""",
    ),
    rewrite(
        "targets_exp_of_log_softmax",
        "soft_targets",
        "exponentiates F.log_softmax of the scaled logits.",
        """\
    return F.log_softmax(logits / temperature, dim=-1).exp()
""",
    ),
    rewrite(
        "soft_manual_kl_sum",
        "soft_loss",
        "sums p · (log p − log q) by hand with log_softmax for both distributions, writing 0 for "
        "the classes whose teacher probability is 0.",
        """\
    log_p = F.log_softmax(teacher_logits / temperature, dim=-1)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    p = log_p.exp()
    terms = torch.where(p > 0, p * (log_p - log_q), torch.zeros_like(p))
    return temperature * temperature * terms.sum(dim=-1).mean()
""",
    ),
    rewrite(
        "soft_kl_div_log_target",
        "soft_loss",
        "gives F.kl_div log-probabilities for both arguments with log_target=True.",
        """\
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    log_p = F.log_softmax(teacher_logits / temperature, dim=-1)
    batch = student_logits.shape[0]
    return F.kl_div(log_q, log_p, reduction="sum", log_target=True) * temperature**2 / batch
""",
    ),
    rewrite(
        "soft_cross_entropy_minus_entropy",
        "soft_loss",
        "computes the cross-entropy with the teacher's soft targets (F.cross_entropy accepts "
        "probabilities) and subtracts the teacher's entropy: KL = H(p, q) − H(p).",
        """\
    p = soft_targets(teacher_logits, temperature)
    cross = F.cross_entropy(student_logits / temperature, p)
    entropy = -torch.special.xlogy(p, p).sum(dim=-1).mean()
    return temperature**2 * (cross - entropy)
""",
    ),
    rewrite(
        "soft_distributions_kl",
        "soft_loss",
        "builds two Categorical distributions from the softened logits and averages "
        "torch.distributions.kl_divergence over the batch.",
        """\
    from torch.distributions import Categorical, kl_divergence

    teacher = Categorical(logits=teacher_logits / temperature)
    student = Categorical(logits=student_logits / temperature)
    return temperature**2 * kl_divergence(teacher, student).mean()
""",
    ),
    rewrite(
        "loss_nll_of_log_softmax",
        "distillation_loss",
        "checks the arguments with explicit comparisons, takes the hard term as the NLL of "
        "log_softmax and interpolates with torch.lerp.",
        """\
    if temperature <= 0:
        raise ValueError(f"temperature: expected a positive number, got {temperature}")
    if alpha < 0 or alpha > 1:
        raise ValueError(f"alpha: expected a number in [0, 1], got {alpha}")
    hard = F.nll_loss(F.log_softmax(student_logits, dim=-1), labels)
    soft = soft_loss(student_logits, teacher_logits, temperature)
    return torch.lerp(hard, soft, alpha)
""",
    ),
]
