"""Realistic wrong answers to HW1-Q3 (hw1/distillation), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: soft_loss and distillation_loss are graded with stand-ins for the
items they call, so a broken softmax or soft term costs points once, where it
is written.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw1/distillation"

_SOFTMAX = "return torch.softmax(logits / temperature, dim=-1)"
_TEACHER = "teacher_probs = soft_targets(teacher_logits, temperature)"
_STUDENT = "student_log_probs = F.log_softmax(student_logits / temperature, dim=-1)"
_KL = 'kl = F.kl_div(student_log_probs, teacher_probs, reduction="batchmean")'
_COMBINE = "return alpha * soft + (1 - alpha) * hard"

MUTANTS: list[Variant] = [
    # ----------------------------------------------------------- soft_targets
    Variant(
        MODULE,
        name="targets_softmax_over_batch",
        item="soft_targets",
        why="dim=0 normalises each class over the batch instead of each example over the classes; "
        "a batch of one hides it.",
        old=_SOFTMAX,
        new="return torch.softmax(logits / temperature, dim=0)",
    ),
    Variant(
        MODULE,
        name="targets_times_temperature",
        item="soft_targets",
        why="multiplying by T sharpens the distribution instead of softening it.",
        old=_SOFTMAX,
        new="return torch.softmax(logits * temperature, dim=-1)",
    ),
    Variant(
        MODULE,
        name="targets_no_temperature",
        item="soft_targets",
        why="forgetting the temperature gives the teacher's ordinary, over-confident softmax.",
        old=_SOFTMAX,
        new="return torch.softmax(logits, dim=-1)",
    ),
    Variant(
        MODULE,
        name="targets_naive_exp",
        item="soft_targets",
        why="exp(z) / Σ exp(z) is the formula as written, but exp overflows to inf for large "
        "logits and the result is NaN.",
        old=_SOFTMAX,
        new="scores = torch.exp(logits / temperature)\n    return scores / scores.sum(-1, keepdim=True)",
    ),
    Variant(
        MODULE,
        name="targets_log_softmax",
        item="soft_targets",
        why="F.kl_div wants log-probabilities somewhere, and students return log_softmax from the "
        "helper that should give probabilities.",
        old=_SOFTMAX,
        new="return torch.log_softmax(logits / temperature, dim=-1)",
    ),
    # -------------------------------------------------------------- soft_loss
    Variant(
        MODULE,
        name="kl_direction_swapped",
        item="soft_loss",
        why="KL is not symmetric: passing the teacher as F.kl_div's input and the student as its "
        "target computes KL(student ‖ teacher).",
        old=_KL,
        new="kl = F.kl_div(\n"
        "        F.log_softmax(teacher_logits / temperature, dim=-1),\n"
        "        student_log_probs.exp(),\n"
        '        reduction="batchmean",\n'
        "    )",
    ),
    Variant(
        MODULE,
        name="missing_t_squared",
        item="soft_loss",
        why="the T² factor is easy to leave out, and then the soft term's gradients shrink like "
        "1/T² as the temperature grows.",
        old="return temperature**2 * kl",
        new="return kl",
    ),
    Variant(
        MODULE,
        name="t_instead_of_t_squared",
        item="soft_loss",
        why="scaling by T instead of T² undoes only half of the 1/T² shrinkage.",
        old="return temperature**2 * kl",
        new="return temperature * kl",
    ),
    Variant(
        MODULE,
        name="student_not_softened",
        item="soft_loss",
        why="softening the teacher but not the student compares distributions at two different "
        "temperatures.",
        old=_STUDENT,
        new="student_log_probs = F.log_softmax(student_logits, dim=-1)",
    ),
    Variant(
        MODULE,
        name="teacher_not_softened",
        item="soft_loss",
        why="taking the teacher's ordinary softmax loses the dark knowledge the temperature is "
        "there to reveal.",
        old=_TEACHER,
        new="teacher_probs = torch.softmax(teacher_logits, dim=-1)",
    ),
    Variant(
        MODULE,
        name="kl_div_input_probabilities",
        item="soft_loss",
        why="F.kl_div's input must be log-probabilities; passing the student's softmax looks "
        "natural next to the teacher's softmax.",
        old=_STUDENT,
        new="student_log_probs = torch.softmax(student_logits / temperature, dim=-1)",
    ),
    Variant(
        MODULE,
        name="kl_div_target_log_probabilities",
        item="soft_loss",
        why="passing log-probabilities for both arguments without log_target=True makes F.kl_div "
        "treat the teacher's log-probabilities as probabilities.",
        old=_TEACHER,
        new="teacher_probs = F.log_softmax(teacher_logits / temperature, dim=-1)",
    ),
    Variant(
        MODULE,
        name="kl_mean_reduction",
        item="soft_loss",
        why="F.kl_div's default reduction, 'mean', also divides by the number of classes (and "
        "PyTorch warns that it is not the KL divergence).",
        old=_KL,
        new=_KL.replace('"batchmean"', '"mean"'),
    ),
    Variant(
        MODULE,
        name="kl_sum_reduction",
        item="soft_loss",
        why="reduction='sum' adds up the batch instead of averaging it, so the loss grows with the "
        "batch size.",
        old=_KL,
        new=_KL.replace('"batchmean"', '"sum"'),
    ),
    Variant(
        MODULE,
        name="log_of_softmax",
        item="soft_loss",
        why="torch.log(softmax(...)) is log_softmax on paper, but a probability that underflows to 0 "
        "gives -inf, and F.kl_div then returns NaN.",
        old=_STUDENT,
        new="student_log_probs = torch.log(soft_targets(student_logits, temperature))",
    ),
    Variant(
        MODULE,
        name="soft_cross_entropy_without_entropy",
        item="soft_loss",
        why="the handout speaks of 'KL / cross-entropy'; the cross-entropy with soft targets has "
        "the same gradient but is the KL plus the teacher's entropy, so it is not 0 when the "
        "student matches the teacher.",
        old=_KL,
        new="kl = -(teacher_probs * student_log_probs).sum(-1).mean()",
    ),
    # ------------------------------------------------------ distillation_loss
    Variant(
        MODULE,
        name="alpha_weights_swapped",
        item="distillation_loss",
        why="papers disagree on which term alpha weighs; here it weighs the soft term.",
        old=_COMBINE,
        new="return (1 - alpha) * soft + alpha * hard",
    ),
    Variant(
        MODULE,
        name="cross_entropy_on_softened_logits",
        item="distillation_loss",
        why="dividing the student's logits by T once and reusing them for the hard term too; the "
        "hard term uses the raw logits.",
        old="hard = F.cross_entropy(student_logits, labels)",
        new="hard = F.cross_entropy(student_logits / temperature, labels)",
    ),
    Variant(
        MODULE,
        name="t_squared_twice",
        item="distillation_loss",
        why="multiplying by T² again in the combination, not knowing the soft term already holds it.",
        old=_COMBINE,
        new="return alpha * temperature**2 * soft + (1 - alpha) * hard",
    ),
    Variant(
        MODULE,
        name="cross_entropy_summed",
        item="distillation_loss",
        why="reduction='sum' for the hard term while the soft term is a batch mean unbalances the "
        "two as the batch grows.",
        old="hard = F.cross_entropy(student_logits, labels)",
        new='hard = F.cross_entropy(student_logits, labels, reduction="sum")',
    ),
    Variant(
        MODULE,
        name="no_argument_checks",
        item="distillation_loss",
        why="skipping validation lets T = 0 divide by zero and alpha = 2 give a negative weight, "
        "without a word.",
        old='    if not temperature > 0:\n        raise ValueError(f"temperature must be > 0, got {temperature}")\n'
        '    if not 0 <= alpha <= 1:\n        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")\n',
        new="",
    ),
    Variant(
        MODULE,
        name="temperature_zero_allowed",
        item="distillation_loss",
        why="'temperature < 0' lets T = 0 through, which divides by zero.",
        old="if not temperature > 0:",
        new="if temperature < 0:",
    ),
    Variant(
        MODULE,
        name="alpha_checked_above_only",
        item="distillation_loss",
        why="checking only alpha > 1 lets a negative weight through.",
        old="if not 0 <= alpha <= 1:",
        new="if alpha > 1:",
    ),
    # ------------------------------------------------- inputs, dtype, layout
    Variant(
        MODULE,
        name="targets_divide_logits_in_place",
        item="soft_targets",
        why="'logits /= temperature' looks like a harmless rescaling but changes the caller's logits.",
        old=_SOFTMAX,
        new="logits /= temperature\n    return torch.softmax(logits, dim=-1)",
    ),
    Variant(
        MODULE,
        name="targets_flatten_with_view",
        item="soft_targets",
        why="flattening the leading dimensions with .view(-1, C) raises for a non-contiguous tensor "
        "(a transposed view); .reshape is the layout-proof spelling.",
        old=_SOFTMAX,
        new="flat = logits.view(-1, logits.shape[-1])\n"
        "    return torch.softmax(flat / temperature, dim=-1).view(logits.shape)",
    ),
    Variant(
        MODULE,
        name="targets_cast_float32",
        item="soft_targets",
        why="casting to float32 with .float() before the softmax, a habit from mixed-precision code, "
        "turns float64 logits into float32 probabilities.",
        old=_SOFTMAX,
        new="return torch.softmax(logits.float() / temperature, dim=-1)",
    ),
    Variant(
        MODULE,
        name="soft_divides_teacher_in_place",
        item="soft_loss",
        why="softens the teacher with 'teacher_logits /= temperature', changing the caller's tensor.",
        old=_TEACHER,
        new="teacher_logits /= temperature\n    teacher_probs = torch.softmax(teacher_logits, dim=-1)",
    ),
    Variant(
        MODULE,
        name="loss_divides_teacher_in_place",
        item="distillation_loss",
        why="computes the soft term inline after 'teacher_logits /= temperature', changing the caller's "
        "teacher logits (in a training loop they shrink at every step).",
        old="    soft = soft_loss(student_logits, teacher_logits, temperature)\n",
        new="    teacher_logits /= temperature\n"
        "    log_q = F.log_softmax(student_logits / temperature, dim=-1)\n"
        '    soft = temperature**2 * F.kl_div(log_q, F.softmax(teacher_logits, dim=-1), reduction="batchmean")\n',
    ),
    Variant(
        MODULE,
        name="loss_cast_float32",
        item="distillation_loss",
        why="returns the loss with .float(), a habit from mixed-precision code, so float64 logits give a "
        "float32 loss.",
        old=_COMBINE,
        new="return (alpha * soft + (1 - alpha) * hard).float()",
    ),
]
