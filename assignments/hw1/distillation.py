# Student version of HW1-Q3, generated from solutions/hw1/distillation.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw1/distillation`.
# %% [markdown]
# # HW1-Q3 · Knowledge distillation
#
# A large, accurate **teacher** network can pass what it knows to a small
# **student** network. The teacher's predicted probabilities say more than
# the true label alone: a "7" that the teacher finds a little like a "1" and
# nothing like a "6" tells the student how the classes relate. Hinton et al.
# (2015) call this the teacher's *dark knowledge*.
#
# The teacher's softmax is usually too confident to show it: almost all the
# mass sits on one class. Dividing the logits by a **temperature** `T > 1`
# before the softmax softens the distribution,
#
#     p_i = exp(z_i / T) / Σ_j exp(z_j / T),
#
# so that the small probabilities become visible (`T = 1` is the ordinary
# softmax; a larger `T` gives a flatter distribution).
#
# The student is trained on a weighted sum of two terms:
#
# * the **soft term**: the KL divergence from the teacher's softened
#   distribution to the student's, both at the same temperature,
#   `KL(p_teacher ‖ p_student) = Σ_i p_teacher,i · (log p_teacher,i − log p_student,i)`,
#   multiplied by `T²`;
# * the **hard term**: the ordinary cross-entropy of the student's
#   (unsoftened) logits with the true labels.
#
#     loss = α · T² · KL(softmax(t / T) ‖ softmax(s / T)) + (1 − α) · CE(s, y)
#
# Why `T²`? The gradient of the soft term with respect to the student's
# logits shrinks like `1 / T²` as the temperature grows. Multiplying by `T²`
# keeps its size comparable whatever `T`, so changing the temperature does
# not silently change the balance between the two terms.
#
# All losses here are **means over the batch**: the KL divergence is summed
# over the classes of one example and averaged over the examples (what
# PyTorch calls `reduction="batchmean"`), and the cross-entropy is averaged
# over the examples.
#
# Every function here returns new tensors and leaves the logits and labels it
# is given unchanged (no in-place operations on them); its result has the
# logits' floating-point dtype (float32 or float64) and device, whatever their
# memory layout (a transposed view as well as a contiguous tensor).

# %%
from __future__ import annotations

import torch
import torch.nn.functional as F

# %% [markdown]
# ## Soft targets
#
# `soft_targets(logits, temperature)` returns the softened distribution
# `softmax(logits / T)` over the **last** dimension (the classes), with the
# shape and floating-point dtype of `logits`. For example the logits
# `[[2, 1, 0]]` give `[[0.665, 0.245, 0.090]]` at `T = 1` and
# `[[0.506, 0.307, 0.186]]` at `T = 2`. It must stay finite for large logits
# (e.g. 1000): use `torch.softmax`, which subtracts the maximum first, rather
# than exponentiating by hand.


# %%
def soft_targets(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The temperature-softened class distribution.

    Args:
        logits: (..., C) floating-point tensor of class scores.
        temperature: T > 0; 1 is the ordinary softmax, larger is flatter.

    Returns:
        (..., C) tensor of logits' dtype: softmax(logits / T) over the last
        dimension (non-negative, each row sums to 1).
    """
    # YOUR CODE HERE
    raise NotImplementedError('soft_targets: not implemented yet — see HW1-Q3')


# %% [markdown]
# ## The soft term
#
# `soft_loss(student_logits, teacher_logits, temperature)` returns
# `T² · KL(softmax(teacher / T) ‖ softmax(student / T))`, summed over the
# classes and averaged over the batch: a scalar, never negative, 0 exactly
# when the two softened distributions agree.
#
# With `torch.nn.functional.kl_div(input, target)` mind the argument order
# and form: `input` is the **student's log-probabilities** (`F.log_softmax`)
# and `target` the **teacher's probabilities**, and `reduction="batchmean"`
# gives the mean over the batch (the default, `"mean"`, also divides by the
# number of classes). Taking `torch.log` of a softmax instead of
# `F.log_softmax` gives `-inf` (and NaN losses) when a probability
# underflows to 0.


# %%
def soft_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> torch.Tensor:
    """The distillation (soft) term, scaled by T².

    Args:
        student_logits: (B, C) floating-point logits of the student.
        teacher_logits: (B, C) logits of the teacher, same dtype.
        temperature: T > 0 used to soften both distributions.

    Returns:
        0-dim tensor of the logits' dtype:
        T² · Σ_c p_t,c (log p_t,c − log p_s,c) averaged over the B rows, where
        p_t = softmax(teacher / T) and p_s = softmax(student / T).
    """
    # YOUR CODE HERE
    raise NotImplementedError('soft_loss: not implemented yet — see HW1-Q3')


# %% [markdown]
# ## The distillation loss
#
# `distillation_loss(student_logits, teacher_logits, labels, temperature,
# alpha)` combines the two terms:
# `alpha · soft_loss(student, teacher, T) + (1 − alpha) · CE(student, labels)`,
# where the cross-entropy uses the student's **raw** logits (temperature 1),
# averaged over the batch. `alpha = 0` is ordinary training on the labels;
# `alpha = 1` learns from the teacher alone.
#
# Check the arguments first: a `temperature` that is not positive, or an
# `alpha` outside [0, 1], raises `ValueError` with a message naming the
# argument, e.g. `"temperature must be > 0, got 0"`.


# %%
def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    temperature: float,
    alpha: float,
) -> torch.Tensor:
    """Knowledge-distillation loss of a batch.

    Args:
        student_logits: (B, C) floating-point logits of the student.
        teacher_logits: (B, C) logits of the teacher, same dtype.
        labels: (B,) int64 true class indices in [0, C).
        temperature: T > 0 for the soft term.
        alpha: weight in [0, 1] of the soft term; 1 − alpha weighs the hard term.

    Returns:
        0-dim tensor of the logits' dtype:
        alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha) · CE(student, labels),
        both terms averaged over the batch.

    Raises:
        ValueError: temperature <= 0, or alpha outside [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('distillation_loss: not implemented yet — see HW1-Q3')
