"""Reference values for the hidden char_rnn graders (project2/char_rnn): the
handout's formulas in float64, the parameter count of the documented
network, and the reference greedy loop run on the graders' stand-in model.

These are answers: they live in the instructor-only layer, which the release
never ships.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def vocab_chars(text: str, lowercase: bool) -> list[str]:
    return sorted(set(text.lower() if lowercase else text))


def sequences(ids: torch.Tensor, seq_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = (len(ids) - 1) // seq_length
    inputs = torch.stack([ids[i * seq_length:(i + 1) * seq_length] for i in range(n)])
    targets = torch.stack([ids[i * seq_length + 1:(i + 1) * seq_length + 1] for i in range(n)])
    return inputs, targets


def parameter_count(vocab_size: int, embed: int, hidden: int, cell: str) -> int:
    """Embedding + one LSTM/GRU layer (PyTorch's two bias vectors) + Linear."""
    gates = 4 if cell == "lstm" else 3
    return vocab_size * embed + gates * (embed * hidden + hidden * hidden + 2 * hidden) + hidden * vocab_size + vocab_size


def focal(logits: torch.Tensor, targets: torch.Tensor, gamma: float) -> float:
    log_p = F.log_softmax(logits.double().reshape(-1, logits.shape[-1]), dim=-1)
    log_pt = log_p[torch.arange(log_p.shape[0]), targets.reshape(-1)]
    return float((-(1 - log_pt.exp()) ** gamma * log_pt).mean())


def kl(logits: torch.Tensor, q: torch.Tensor) -> float:
    log_p = F.log_softmax(logits.double(), dim=-1)
    q = q.double()
    return float((torch.xlogy(q, q) - q * log_p).sum(-1).mean())


def greedy(model: torch.nn.Module, vocab, prompt: str, length: int) -> str:
    """The reference generate, greedy: the prompt once, then one character per step."""
    out: list[int] = []
    with torch.no_grad():
        logits, state = model(vocab.encode(prompt)[None])
        for step in range(length):
            out.append(int(logits[0, -1].argmax()))
            if step + 1 < length:
                logits, state = model(torch.tensor([[out[-1]]]), state)
    return vocab.decode(out)
