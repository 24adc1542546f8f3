# Student version of HW7-Q3, generated from solutions/hw7/multitask.py by `dlkit build`.
# Replace each `raise NotImplementedError(...)` with your code; check your work
# with `dlkit check hw7/multitask`.
# %% [markdown]
# # HW7-Q3 · Multi-task learning: one encoder, two heads
#
# One network reads a sentence and answers two questions: its **sentiment**
# and its **topic**. The two tasks share an encoder (word embeddings averaged
# over the sentence, then a dense layer), and each has its own output layer
# (a *head*). Training on both at once lets the tasks help each other: every
# example of either task trains the shared encoder.
#
# The sentiment labels are imbalanced (few negative sentences), so the loss
# weighs each class by its inverse frequency, and the model is judged by the
# **macro-F1**, the mean of the per-class F1 scores, which a majority-class
# predictor cannot game the way it games accuracy.
#
# Sentences arrive as token ids, `(N, L)` int64, padded with id 0 on the
# right; padding must change nothing.

# %%
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

PAD = 0
IGNORE = -100  # a label meaning: this example has no label for this task

# %% [markdown]
# ## Class weights
#
# `class_weights(labels, n_classes)` gives class `c` the weight
# `N / (n_classes · count_c)`, where N is the number of labels and count_c how
# often c occurs: the "balanced" weights of scikit-learn's
# `compute_class_weight`. Balanced classes all get weight 1; a class twice as
# rare as the others gets twice their weight. A class that does not occur
# gets weight 0 (there is nothing to weigh). For `labels = [0, 0, 0, 1]` and
# 2 classes that is `[4 / (2·3), 4 / (2·1)] = [0.6667, 2.0]`. Raise a
# `ValueError` naming `labels` if a label is outside `[0, n_classes)`.


# %%
def class_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Inverse-frequency ("balanced") class weights.

    Args:
        labels: (N,) int64 class labels in [0, n_classes).
        n_classes: number of classes C.

    Returns:
        (C,) float32 weights, N / (C · count_c), 0 for a class that does not occur.

    Raises:
        ValueError: a label is outside [0, n_classes).
    """
    # YOUR CODE HERE
    raise NotImplementedError('class_weights: not implemented yet — see HW7-Q3')


# %% [markdown]
# ## The model
#
# `MultiTaskModel(vocab_size, embed_dim, n_sentiments, n_topics)`:
#
# * `self.embedding`: `nn.Embedding(vocab_size, embed_dim, padding_idx=0)`;
# * the shared encoder: the **mean of the embeddings of the non-padding
#   tokens** of each sentence (a sentence of padding only encodes to zeros),
#   then `self.shared = nn.Linear(embed_dim, embed_dim)` and a ReLU;
# * two heads on the shared features: `self.sentiment_head =
#   nn.Linear(embed_dim, n_sentiments)` and `self.topic_head =
#   nn.Linear(embed_dim, n_topics)`.
#
# `forward(tokens)` returns the pair `(sentiment_logits, topic_logits)`, of
# shapes `(N, n_sentiments)` and `(N, n_topics)`. Mean over the real tokens,
# not over all L positions: otherwise the same sentence padded to another
# length encodes differently.


# %%
class MultiTaskModel(nn.Module):
    """A shared bag-of-embeddings encoder with a sentiment head and a topic head."""

    def __init__(self, vocab_size: int, embed_dim: int, n_sentiments: int, n_topics: int) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError('MultiTaskModel: not implemented yet — see HW7-Q3')

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens: (N, L) int64, 0 = padding → ((N, n_sentiments), (N, n_topics)) float logits."""
        # YOUR CODE HERE
        raise NotImplementedError('MultiTaskModel: not implemented yet — see HW7-Q3')


# %% [markdown]
# ## The loss
#
# `multitask_loss(outputs, targets, weights, task_weights)`:
#
#     task_weights[0] · CE(sentiment_logits, sentiment_labels; weights[0])
#       + task_weights[1] · CE(topic_logits, topic_labels; weights[1])
#
# where CE is `F.cross_entropy` with its `weight=` argument (a class-weighted
# mean: each example's loss times its class's weight, divided by the sum of
# those weights), and a `weights` entry of `None` means no class weights.
# With logits `[[2, 0], [0, 1]]`, labels `[0, 1]` and no class weights, one
# task's CE is 0.2201; with class weights `[1, 3]` it is 0.2667.
#
# **Missing labels.** Not every sentence is labelled for both tasks (a news
# sentence has a topic but no sentiment). A label of `-100` (`IGNORE`) means
# "no label for this task": the example adds nothing to that task's loss, and
# the weighted mean runs over the labelled examples only (`F.cross_entropy`'s
# `ignore_index` is -100 by default). A task with no labelled example in the
# batch adds 0, not NaN. With the logits above and labels `[0, -100]`, the
# task's CE is that of the first row alone, 0.1269.


# %%
def multitask_loss(
    outputs: tuple[torch.Tensor, torch.Tensor],
    targets: tuple[torch.Tensor, torch.Tensor],
    weights: tuple[torch.Tensor | None, torch.Tensor | None],
    task_weights: tuple[float, float] = (1.0, 1.0),
) -> torch.Tensor:
    """The weighted sum of the two tasks' class-weighted cross-entropies.

    Args:
        outputs: (sentiment_logits (N, S), topic_logits (N, T)) float.
        targets: (sentiment_labels (N,), topic_labels (N,)) int64; -100 (IGNORE) marks an
            example with no label for that task.
        weights: per-class weights of each task ((S,) and (T,) float), or None.
        task_weights: the two tasks' weights in the sum.

    Returns:
        0-dim tensor of the logits' dtype.
    """
    # YOUR CODE HERE
    raise NotImplementedError('multitask_loss: not implemented yet — see HW7-Q3')


# %% [markdown]
# ## Macro-F1
#
# For each class c, precision = TP / (TP + FP) and recall = TP / (TP + FN),
# F1 = 2 · precision · recall / (precision + recall), with 0 wherever a
# denominator is 0 (a class never predicted has precision 0). The macro-F1
# is the plain mean of the per-class F1 over the classes that occur in
# `target` or in `pred` — exactly scikit-learn's
# `f1_score(target, pred, average="macro", zero_division=0)`. For
# `target = [0, 0, 1, 2]`, `pred = [0, 1, 1, 1]` and 3 classes: F1 = 0.6667,
# 0.5 and 0, so 0.3889. Use tensors only (no scikit-learn here).


# %%
def macro_f1(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> float:
    """Macro-averaged F1 score.

    Args:
        pred: (N,) int64 predicted classes in [0, n_classes).
        target: (N,) int64 true classes in [0, n_classes).
        n_classes: number of classes C.

    Returns:
        The mean F1 over the classes present in target or pred, as a float in [0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError('macro_f1: not implemented yet — see HW7-Q3')
