"""Correct answers to HW7-Q3 (hw7/multitask) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/multitask"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite("weights_loop", "class_weights", "counts each class in a loop.", """\
    for value in labels.tolist():
        if not 0 <= value < n_classes:
            raise ValueError(f"labels: {value} is not a class of 0..{n_classes - 1}")
    n = labels.numel()
    out = []
    for c in range(n_classes):
        count = int((labels == c).sum())
        out.append(n / (n_classes * count) if count else 0.0)
    return torch.tensor(out, dtype=torch.float32)
"""),
    rewrite("f1_per_class_loop", "macro_f1", "precision and recall per class in a loop.", """\
    scores = []
    for c in range(n_classes):
        tp = int(((pred == c) & (target == c)).sum())
        fp = int(((pred == c) & (target != c)).sum())
        fn = int(((pred != c) & (target == c)).sum())
        if tp + fp + fn == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0
"""),
    rewrite("loss_log_softmax_gather", "multitask_loss", "writes the weighted mean out with log_softmax and gather.", """\
    total = outputs[0].sum() * 0
    for k in range(2):
        keep = targets[k] != -100
        if not keep.any():
            continue
        logits, labels, class_weight = outputs[k][keep], targets[k][keep], weights[k]
        nll = -torch.log_softmax(logits, dim=1).gather(1, labels[:, None]).squeeze(1)
        w = torch.ones_like(nll) if class_weight is None else class_weight.to(logits.dtype)[labels]
        total = total + task_weights[k] * (w * nll).sum() / w.sum()
    return total
"""),
    rewrite("loss_weights_per_example", "multitask_loss",
            "zeroes the unlabelled examples' weights and divides by the weights' sum itself.", """\
    parts = []
    for logits, labels, class_weight, task_weight in zip(outputs, targets, weights, task_weights):
        labelled = labels >= 0
        safe = labels.clamp_min(0)
        w = torch.ones(logits.shape[1], dtype=logits.dtype) if class_weight is None else class_weight.to(logits.dtype)
        per_example = w[safe] * labelled.to(logits.dtype)
        nll = F.nll_loss(F.log_softmax(logits, dim=-1), safe, reduction="none")
        parts.append(task_weight * (per_example * nll).sum() / per_example.sum().clamp_min(1e-12))
    return parts[0] + parts[1]
"""),
    Variant(MODULE, "model_per_sentence_loop", "MultiTaskModel",
            "encodes each sentence in a loop over its real tokens; an empty one encodes to zeros.",
            old="""\
        mask = (tokens != PAD).unsqueeze(-1).to(self.embedding.weight.dtype)
        summed = (self.embedding(tokens) * mask).sum(1)
        mean = summed / mask.sum(1).clamp_min(1)
""", new="""\
        rows = []
        for row in tokens:
            real = row[row != PAD]
            if len(real):
                rows.append(self.embedding(real).mean(0))
            else:
                rows.append(self.embedding.weight.new_zeros(self.embedding.embedding_dim))
        mean = torch.stack(rows)
"""),
    Variant(MODULE, "model_sequential_shared", "MultiTaskModel",
            "builds the shared layer with its ReLU as an nn.Sequential (a second ReLU changes nothing).",
            old="        self.shared = nn.Linear(embed_dim, embed_dim)\n",
            new="        self.shared = nn.Sequential(nn.Linear(embed_dim, embed_dim), nn.ReLU())\n"),
]
