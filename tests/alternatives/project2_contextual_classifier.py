"""Correct answers to P2-Q3 (project2/contextual_classifier) written
differently from the reference; each rewrites one item's code (a loop,
another library call, another valid reading of the text)."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "project2/contextual_classifier"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "preprocess_placeholders", "preprocess_tweet",
        "marks the tokens with NUL placeholders, tests emojis by code point in a loop, and deletes punctuation "
        "with a filter over the pieces between the placeholders.",
        """    text = html.unescape(text)
    text = text.lower()
    text = re.sub(r"(?:https?://|www\\.)\\S+", "\\0url\\0", text)
    text = re.sub(r"@\\w+", "\\0user\\0", text)
    chars = []
    for ch in text:
        code = ord(ch)
        chars.append("\\0emoji\\0" if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF else ch)
    text = re.sub(r"<(user|url|emoji)>", lambda m: "\\0" + m.group(1) + "\\0", "".join(chars))
    parts = text.split("\\0")
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 1:
            out.append("<" + part + ">")
        else:
            out.extend("".join(filter(lambda c: c.isalnum() or c.isspace(), part)).split())
    return " ".join(out)
""",
    ),
    rewrite(
        "freeze_requires_grad_module", "freeze",
        "uses Module.requires_grad_(False) and train(False).",
        """    encoder.requires_grad_(False)
    encoder.train(False)
    return encoder
""",
    ),
    rewrite(
        "encode_positional_inference_mode", "encode_batch",
        "calls the encoder positionally (input_ids, attention_mask) under torch.inference_mode() and reads out[0].",
        """    device = next(iter(encoder.parameters())).device
    with torch.inference_mode():
        out = encoder(input_ids.to(device), attention_mask.to(device))
    return out[0].clone()
""",
    ),
    rewrite(
        "pool_masked_fill_einsum", "masked_pool",
        "zeroes the padded positions with masked_fill and sums with einsum, dividing row by row.",
        """    keep = attention_mask.bool()
    zeroed = states.masked_fill(~keep.unsqueeze(-1), 0.0)
    total = torch.einsum("nld->nd", zeroed)
    count = keep.sum(dim=1, keepdim=True).to(states.dtype)
    return torch.where(count > 0, total / count.clamp_min(1), torch.zeros_like(total))
""",
    ),
    Variant(
        MODULE, "head_pad_packed_gather", "BiLSTMHead",
        "unpacks the packed output and gathers the forward half at the last real token and the backward half at "
        "position 0.",
        old="""        _, (h_n, _) = self.lstm(packed)
        pooled = torch.cat([h_n[-2], h_n[-1]], dim=-1)
""",
        new="""        from torch.nn.utils.rnn import pad_packed_sequence

        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        size = out.shape[-1] // 2
        last = (lengths - 1).to(out.device)
        forward = out[torch.arange(out.shape[0], device=out.device), last, :size]
        backward = out[:, 0, size:]
        pooled = torch.cat([forward, backward], dim=-1)
""",
    ),
    Variant(
        MODULE, "head_loop_per_tweet", "BiLSTMHead",
        "runs the LSTM on each tweet's real positions alone, one tweet at a time, instead of packing.",
        old="""        lengths = attention_mask.sum(dim=1).long().cpu()
        packed = pack_padded_sequence(states, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        pooled = torch.cat([h_n[-2], h_n[-1]], dim=-1)
""",
        new="""        rows = []
        for i in range(states.shape[0]):
            n = int(attention_mask[i].sum())
            _, (h_n, _) = self.lstm(states[i:i + 1, :n])
            rows.append(torch.cat([h_n[0, 0], h_n[1, 0]]))
        pooled = torch.stack(rows)
""",
    ),
    rewrite(
        "weights_loop", "inverse_frequency_weights",
        "counts the classes in a Python loop.",
        """    values = labels.flatten().tolist()
    for v in values:
        if not 0 <= v < n_classes:
            raise ValueError(f"labels: {v} is outside [0, {n_classes})")
    out = []
    for c in range(n_classes):
        count = values.count(c)
        out.append(len(values) / (n_classes * count) if count else 0.0)
    return torch.tensor(out, dtype=torch.float32)
""",
    ),
    rewrite(
        "loss_by_hand", "class_weighted_loss",
        "writes the weighted mean with log_softmax and gather.",
        """    log_p = torch.log_softmax(logits, dim=-1)
    nll = -log_p.gather(1, labels[:, None]).squeeze(1)
    w = class_weights.to(device=logits.device, dtype=logits.dtype)[labels]
    return (w * nll).sum() / w.sum()
""",
    ),
    rewrite(
        "evaluate_loops", "evaluate",
        "fills the confusion matrix in a loop and computes each class's scores with Python arithmetic.",
        """    confusion = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for t, p in zip(target.flatten().tolist(), pred.flatten().tolist()):
        confusion[t, p] += 1
    precision, recall, f1 = [], [], []
    for c in range(n_classes):
        tp = int(confusion[c, c])
        fp = int(confusion[:, c].sum()) - tp
        fn = int(confusion[c, :].sum()) - tp
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    n = int(confusion.sum())
    return {"confusion": confusion, "precision": torch.tensor(precision, dtype=torch.float64),
            "recall": torch.tensor(recall, dtype=torch.float64), "f1": torch.tensor(f1, dtype=torch.float64),
            "macro_f1": sum(f1) / n_classes, "accuracy": int(confusion.trace()) / n if n else 0.0}
""",
    ),
]
