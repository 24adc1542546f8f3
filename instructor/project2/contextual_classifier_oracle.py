"""Reference values for the hidden contextual_classifier graders
(project2/contextual_classifier): the documented pre-processing written
another way (a character loop), the masked mean in float64, the parameter
count of the documented head, and scikit-learn's metrics.

These are answers: they live in the instructor-only layer, which the
release never ships.
"""
from __future__ import annotations

import html
import re

import torch

EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF))


def preprocess(text: str) -> str:
    text = html.unescape(text).lower()
    text = re.sub(r"(?:https?://|www\.)\S+", "\x00url\x00", text)
    text = re.sub(r"@\w+", "\x00user\x00", text)
    out = []
    for ch in text:
        if any(lo <= ord(ch) <= hi for lo, hi in EMOJI_RANGES):
            out.append("\x00emoji\x00")
        else:
            out.append(ch)
    text = "".join(out)
    text = re.sub(r"<(user|url|emoji)>", "\x00\\1\x00", text)
    words = []
    for i, part in enumerate(text.split("\x00")):
        if i % 2:
            words.append(f" <{part}> ")
        else:
            words.append("".join(c for c in part if c.isalnum() or c.isspace()))
    return " ".join("".join(words).split())


def pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    s, m = states.double(), mask.double()
    rows = []
    for i in range(s.shape[0]):
        real = s[i][m[i] > 0]
        rows.append(real.mean(0) if len(real) else torch.zeros(s.shape[2], dtype=torch.float64))
    return torch.stack(rows)


def head_parameters(hidden: int, lstm: int, n_classes: int, dense: int) -> int:
    return 2 * 4 * (hidden * lstm + lstm * lstm + 2 * lstm) + 2 * lstm * dense + dense + 2 * dense \
        + dense * n_classes + n_classes


def metrics(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    p, t, labels = pred.tolist(), target.tolist(), list(range(n_classes))
    precision, recall, f1, _ = precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    return {"confusion": confusion_matrix(t, p, labels=labels).tolist(), "precision": precision.tolist(),
            "recall": recall.tolist(), "f1": f1.tolist(),
            "macro_f1": float(f1_score(t, p, labels=labels, average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(t, p))}


def balanced(labels: torch.Tensor, n_classes: int) -> list[float]:
    import numpy as np
    from sklearn.utils.class_weight import compute_class_weight

    present = sorted(set(labels.tolist()))
    w = compute_class_weight("balanced", classes=np.array(present), y=labels.numpy())
    out = [0.0] * n_classes
    for c, v in zip(present, w):
        out[c] = float(v) * len(present) / n_classes  # sklearn's C is the number of classes present
    return out


def weighted_ce(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> float:
    logp = torch.log_softmax(logits.double(), -1)
    w = weights.double()[labels]
    return float(-(w * logp[torch.arange(len(labels)), labels]).sum() / w.sum())


def head_logits(config: dict, state: dict, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The documented head, loaded with the student's weights (strict names
    lstm.* and classifier.*), run in float64 one tweet at a time on its real
    positions: [forward state after the last real token, backward state
    after reading back to the first]."""
    from torch import nn

    lstm = nn.LSTM(config["hidden_size"], config["lstm_size"], batch_first=True, bidirectional=True).double()
    d = config["dense_size"]
    classifier = nn.Sequential(nn.Linear(2 * config["lstm_size"], d), nn.Tanh(), nn.LayerNorm(d),
                               nn.Dropout(config["dropout"]), nn.Linear(d, config["n_classes"])).double().eval()
    lstm.load_state_dict({k[len("lstm."):]: v.double() for k, v in state.items() if k.startswith("lstm.")})
    classifier.load_state_dict({k[len("classifier."):]: v.double() for k, v in state.items()
                                if k.startswith("classifier.")})
    rows = []
    with torch.no_grad():
        for i in range(states.shape[0]):
            n = int(mask[i].sum())
            _, (h, _) = lstm(states[i:i + 1, :n].double())
            rows.append(torch.cat([h[0, 0], h[1, 0]]))
        return classifier(torch.stack(rows))
