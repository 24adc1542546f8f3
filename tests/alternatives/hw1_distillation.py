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
    # Written the way textbooks, tutorials and public repositories write them.
    rewrite(
        "targets_tensor_softmax_method",
        "soft_targets",
        "the tensor method, with the last dimension spelled out as logits.dim() - 1.",
        """\
    return (logits / temperature).softmax(dim=logits.dim() - 1)
""",
    ),
    rewrite(
        "targets_reshape_rows",
        "soft_targets",
        "flattens the leading dimensions with reshape, softmaxes the rows and restores the shape.",
        """\
    classes = logits.shape[-1]
    rows = F.softmax(logits.reshape(-1, classes) / temperature, dim=1)
    return rows.reshape(logits.shape)
""",
    ),
    rewrite(
        "soft_tutorial_sum_over_batch",
        "soft_loss",
        "the PyTorch knowledge-distillation tutorial's sum of p · (log p − log q) divided by the batch "
        "size and multiplied by T**2, with log_softmax for the teacher's log-probabilities.",
        """\
    soft_targets_ = F.softmax(teacher_logits / temperature, dim=-1)
    soft_prob = F.log_softmax(student_logits / temperature, dim=-1)
    log_targets = F.log_softmax(teacher_logits / temperature, dim=-1)
    return torch.sum(soft_targets_ * (log_targets - soft_prob)) / soft_prob.size()[0] * (temperature**2)
""",
    ),
    rewrite(
        "soft_kldivloss_module",
        "soft_loss",
        "a public repository's nn.KLDivLoss(reduction='batchmean') module on log_softmax and softmax "
        "over dim=1, times T * T.",
        """\
    criterion = torch.nn.KLDivLoss(reduction="batchmean")
    return criterion(
        F.log_softmax(student_logits / temperature, dim=1), F.softmax(teacher_logits / temperature, dim=1)
    ) * (temperature * temperature)
""",
    ),
    rewrite(
        "soft_kl_div_inline",
        "soft_loss",
        "F.kl_div(log_softmax, softmax, reduction='batchmean') * T**2 in one expression, without soft_targets.",
        """\
    return F.kl_div(
        F.log_softmax(student_logits / temperature, dim=-1),
        F.softmax(teacher_logits / temperature, dim=-1),
        reduction="batchmean",
    ) * temperature**2
""",
    ),
    rewrite(
        "soft_xlogy_by_hand",
        "soft_loss",
        "a hand-written KL sum with torch.special.xlogy for p · log p, so that 0 · log 0 is 0.",
        """\
    p = soft_targets(teacher_logits, temperature)
    log_q = F.log_softmax(student_logits / temperature, dim=-1)
    kl_per_example = (torch.special.xlogy(p, p) - p * log_q).sum(dim=-1)
    return temperature**2 * kl_per_example.mean()
""",
    ),
    rewrite(
        "loss_repository_style",
        "distillation_loss",
        "a public repository's one expression: KL · (alpha · T · T) + cross_entropy · (1. - alpha), with "
        "the soft term inline.",
        """\
    if temperature <= 0 or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"need temperature > 0 and alpha in [0, 1], got temperature={temperature}, alpha={alpha}")
    T = temperature
    return F.kl_div(
        F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1), reduction="batchmean"
    ) * (alpha * T * T) + F.cross_entropy(student_logits, labels) * (1.0 - alpha)
""",
    ),
    rewrite(
        "loss_tutorial_weights",
        "distillation_loss",
        "the PyTorch tutorial's named weights and an nn.CrossEntropyLoss module for the label loss.",
        """\
    if not (temperature > 0):
        raise ValueError("temperature must be positive")
    if not (0 <= alpha <= 1):
        raise ValueError("alpha must be between 0 and 1")
    ce_loss = torch.nn.CrossEntropyLoss()
    soft_target_loss_weight = alpha
    ce_loss_weight = 1 - alpha
    soft_targets_loss = soft_loss(student_logits, teacher_logits, temperature)
    label_loss = ce_loss(student_logits, labels)
    return soft_target_loss_weight * soft_targets_loss + ce_loss_weight * label_loss
""",
    ),
]
