"""Realistic wrong answers to HW7-Q3 (hw7/multitask), one mistake each."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/multitask"

_WEIGHTS = "weights = labels.numel() / (n_classes * counts)"
_MEAN = "mean = summed / mask.sum(1).clamp_min(1)"
_CE = "total = total + task_weight * F.cross_entropy(logits, labels, weight=class_weight)"
_F1 = "return float(f1[present].mean()) if bool(present.any()) else 0.0"

MUTANTS: list[Variant] = [
    # --------------------------------------------------------- class_weights
    Variant(MODULE, "weights_frequency", "class_weights",
            "the frequency itself: the common class weighs most, the opposite of the aim.",
            old=_WEIGHTS, new="weights = counts / labels.numel()"),
    Variant(MODULE, "weights_not_normalised", "class_weights",
            "1 / count_c without N / C: the ratios are right but balanced classes do not weigh 1.",
            old=_WEIGHTS, new="weights = 1.0 / counts"),
    Variant(MODULE, "weights_absent_infinite", "class_weights",
            "divides by a zero count: a class that does not occur weighs inf.",
            old="return torch.where(counts > 0, weights, torch.zeros_like(weights))", new="return weights"),
    Variant(MODULE, "weights_sum_to_one", "class_weights",
            "normalises the inverse frequencies to sum to 1, a common reading of 'normalised'.",
            old=_WEIGHTS, new="weights = (1.0 / counts) / (1.0 / counts[counts > 0]).sum()"),
    Variant(MODULE, "weights_no_check", "class_weights",
            "no check of the labels: bincount silently grows for a label ≥ n_classes.",
            old='''    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {int(labels.min())} to {int(labels.max())}")
''', new=""),
    # --------------------------------------------------------- MultiTaskModel
    Variant(MODULE, "model_mean_over_padding", "MultiTaskModel",
            "averages over all L positions, padding included: the same sentence padded longer encodes closer to 0.",
            old=_MEAN, new="mean = summed / tokens.shape[1]"),
    Variant(MODULE, "model_sum_not_mean", "MultiTaskModel",
            "sums the embeddings: long sentences get larger features than short ones.",
            old=_MEAN, new="mean = summed"),
    Variant(MODULE, "model_topic_detached", "MultiTaskModel",
            "detaches the shared features for the topic head, so the topic task never trains the encoder.",
            old="return self.sentiment_head(features), self.topic_head(features)",
            new="return self.sentiment_head(features), self.topic_head(features.detach())"),
    Variant(MODULE, "model_batch_mean", "MultiTaskModel",
            "averages over the batch dimension too: every sentence gets the batch's features.",
            old="features = torch.relu(self.shared(mean))",
            new="features = torch.relu(self.shared(mean.mean(0, keepdim=True).expand_as(mean)))"),
    # --------------------------------------------------------- multitask_loss
    Variant(MODULE, "loss_task_weights_swapped", "multitask_loss",
            "pairs the task weights with the wrong tasks.",
            old="zip(outputs, targets, weights, task_weights)", new="zip(outputs, targets, weights, task_weights[::-1])"),
    Variant(MODULE, "loss_weighted_sum_over_n", "multitask_loss",
            "weighs each example by its class weight but divides by N, not by the sum of the weights.",
            old=_CE, new="total = total + task_weight * (\n"
            "            F.cross_entropy(logits, labels, reduction=\"none\")\n"
            "            * (1.0 if class_weight is None else class_weight[labels])\n        ).mean()"),
    Variant(MODULE, "loss_class_weights_ignored", "multitask_loss",
            "never passes the class weights to the cross-entropy.",
            old=_CE, new="total = total + task_weight * F.cross_entropy(logits, labels)"),
    Variant(MODULE, "loss_mean_of_tasks", "multitask_loss",
            "averages the two tasks' losses instead of adding them.",
            old=_CE + "\n    return total", new=_CE + "\n    return total / 2"),
    Variant(MODULE, "loss_unlabelled_as_class_0", "multitask_loss",
            "turns the -100 labels into class 0 so that the loss does not crash: unlabelled news sentences "
            "then all train the model to call them negative.",
            old=_CE, new="total = total + task_weight * F.cross_entropy(logits, labels.clamp_min(0), weight=class_weight)"),
    Variant(MODULE, "loss_empty_task_nan", "multitask_loss",
            "no guard for a batch with no labelled example of a task: the mean over nothing is 0 / 0 = NaN.",
            old="""        if not bool((labels != IGNORE).any()):
            continue
""", new=""),
    # --------------------------------------------------------------- macro_f1
    Variant(MODULE, "f1_micro", "macro_f1",
            "pools the counts over the classes first: the micro-F1, which equals the accuracy here.",
            old=_F1, new="return float((pred == target).double().mean())"),
    Variant(MODULE, "f1_over_all_classes", "macro_f1",
            "averages over all n_classes, counting classes that never occur as 0.",
            old=_F1, new="return float(f1.mean())"),
    Variant(MODULE, "f1_true_classes_only", "macro_f1",
            "averages over the classes of the target only, dropping classes that are predicted but never true.",
            old=_F1, new="return float(f1[actual > 0].mean())"),
]
