"""Grader code that runs in the worker, next to the submission
(project2/contextual_classifier).

Nothing here answers an item. freeze and encode_batch are graded on
TinyEncoder, a stand-in for a Hugging Face encoder that is far smaller than
any real one (an embedding, a context vector from the masked mean, a Linear,
a dropout): it is called like BERT (keywords input_ids and attention_mask),
answers with an object holding last_hidden_state, and records every call
(grad mode, train mode, whether it got the mask). Its output is no answer
to any item: the graders compare encode_batch's result with the stand-in's
own output.

BiLSTMHead is the student's own network, so it is built and run here: its
layers, its logits on the judge's states, and a few steps of the graders'
own training loop.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.judge import in_worker
from graders.probing import describe_output

ENCODER_VOCAB, ENCODER_HIDDEN = 40, 8


@in_worker
class EncoderOutput:
    """What a Hugging Face encoder returns, reduced to last_hidden_state
    (also as out[0] and out["last_hidden_state"])."""

    def __init__(self, last_hidden_state: torch.Tensor) -> None:
        self.last_hidden_state = last_hidden_state

    def __getitem__(self, key: Any) -> torch.Tensor:
        if key in (0, "last_hidden_state"):
            return self.last_hidden_state
        raise KeyError(key)


@in_worker
class TinyEncoder(nn.Module):
    """A stand-in encoder: forward(input_ids, attention_mask) → EncoderOutput
    with last_hidden_state (N, L, hidden) = tanh(Linear(dropout(embedding +
    masked mean of the embeddings))); weights drawn from `seed`."""

    def __init__(self, seed: int, vocab: int = ENCODER_VOCAB, hidden: int = ENCODER_HIDDEN) -> None:
        super().__init__()
        self.embeddings = nn.Embedding(vocab, hidden)
        self.dense = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(0.5)
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=gen))
        self.calls: list[dict[str, Any]] = []

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                **kwargs: Any) -> EncoderOutput:
        self.calls.append({"grad": torch.is_grad_enabled(), "training": self.training,
                           "mask": attention_mask is not None, "extra": sorted(kwargs)})
        x = self.embeddings(input_ids)
        m = torch.ones(input_ids.shape, device=x.device) if attention_mask is None else attention_mask.to(x.dtype)
        context = (x * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp_min(1)
        return EncoderOutput(torch.tanh(self.dense(self.dropout(x + context[:, None]))))


@in_worker
def freeze_evidence(impl: Any, seed: int, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, Any]:
    """impl.freeze on a TinyEncoder in train mode, then the graders' own step:
    a Linear head on the encoder's (masked-mean) output, a loss, backward.
    Which parameters got a gradient, the modes, two forwards compared."""
    encoder = TinyEncoder(seed).train()
    out = impl.freeze(encoder)
    head = nn.Linear(ENCODER_HIDDEN, 3)
    states = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    again = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    loss = F.cross_entropy(head(states.mean(1)), torch.zeros(len(input_ids), dtype=torch.long))
    loss.backward()
    return {
        "same": out is encoder,
        "returned": describe_output(out),
        "training": [name or "encoder" for name, m in encoder.named_modules() if m.training],
        "requires_grad": [name for name, p in encoder.named_parameters() if p.requires_grad],
        "encoder_grads": [name for name, p in encoder.named_parameters()
                          if p.grad is not None and bool(p.grad.abs().sum() > 0)],
        "head_grad": all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in head.parameters()),
        "deterministic": bool(torch.equal(states, again)),
    }


@in_worker
def encode_evidence(impl: Any, seed: int, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, Any]:
    """impl.encode_batch on a TinyEncoder in eval mode whose parameters still
    require grad: the result, its gradient flag, the calls the encoder saw,
    its mode after; and the stand-in's own output on the same inputs."""
    encoder = TinyEncoder(seed).eval()
    out = impl.encode_batch(encoder, input_ids, attention_mask)
    calls = list(encoder.calls)
    with torch.no_grad():
        own = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    is_tensor = isinstance(out, torch.Tensor)
    return {
        "out": out.detach().cpu() if is_tensor else None,
        "what": describe_output(out),
        "requires_grad": bool(is_tensor and out.requires_grad),
        "calls": calls,
        "training_after": encoder.training,
        "requires_grad_after": all(p.requires_grad for p in encoder.parameters()),
        "own": own,
    }


# --------------------------------------------------------------------------
# BiLSTMHead


def _layer(module: nn.Module) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(module).__name__}
    for name in ("input_size", "hidden_size", "num_layers", "batch_first", "bidirectional", "in_features",
                 "out_features", "p"):
        value = getattr(module, name, None)
        if isinstance(value, (int, float, bool)):
            entry[name] = value
    shape = getattr(module, "normalized_shape", None)
    if isinstance(shape, tuple):
        entry["normalized_shape"] = list(shape)
    return entry


LAYER_TYPES = (nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.Tanh, nn.ReLU, nn.LayerNorm, nn.BatchNorm1d, nn.Dropout)


@in_worker
def head_structure(impl: Any, config: dict[str, Any], seed: int) -> dict[str, Any]:
    """BiLSTMHead(**config) built after torch.manual_seed(seed): its layers in
    module order, its parameter count, its attributes lstm and classifier."""
    torch.manual_seed(seed)
    model = impl.BiLSTMHead(**config)
    return {
        "layers": [_layer(m) for m in model.modules() if isinstance(m, LAYER_TYPES)],
        "parameters": sum(p.numel() for p in model.parameters()),
        "lstm": type(getattr(model, "lstm", None)).__name__,
        "classifier": [type(m).__name__ for m in getattr(model, "classifier", [])]
        if isinstance(getattr(model, "classifier", None), nn.Sequential) else None,
    }


@in_worker
def head_logits(impl: Any, config: dict[str, Any], seed: int,
                batches: list[tuple[torch.Tensor, torch.Tensor]]) -> list[torch.Tensor | None]:
    """One BiLSTMHead(**config) (seeded), in eval mode, without grad: the
    logits of each (states, attention_mask) batch (None where it gave no tensor)."""
    torch.manual_seed(seed)
    model = impl.BiLSTMHead(**config).eval()
    out: list[torch.Tensor | None] = []
    with torch.no_grad():
        for states, mask in batches:
            logits = model(states, mask)
            out.append(logits.detach().float().cpu() if isinstance(logits, torch.Tensor) else None)
    return out


@in_worker
def head_training(impl: Any, config: dict[str, Any], seed: int, states: torch.Tensor, mask: torch.Tensor,
                  labels: torch.Tensor, steps: int, lr: float) -> dict[str, Any]:
    """The graders' own loop: BiLSTMHead(**config) by plain SGD with momentum
    on the cross-entropy of (states, mask) → labels, `steps` steps: the first
    and last losses and the parameters that got no gradient at the first step."""
    torch.manual_seed(seed)
    model = impl.BiLSTMHead(**config).train()
    params = dict(model.named_parameters())
    velocity = {n: torch.zeros_like(p) for n, p in params.items()}
    losses, missing = [], []
    for step in range(steps):
        loss = F.cross_entropy(model(states, mask), labels)
        grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
        if step == 0:
            missing = [n for (n, _), g in zip(params.items(), grads) if g is None or not bool(g.abs().sum() > 0)]
        with torch.no_grad():
            for (n, p), g in zip(params.items(), grads):
                if g is not None:
                    velocity[n].mul_(0.9).add_(g)
                    p.sub_(lr * velocity[n])
        losses.append(loss.item())
    return {"first": losses[0], "last": losses[-1], "missing": missing}


@in_worker
def head_state_and_logits(impl: Any, config: dict[str, Any], seed: int,
                          batches: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, Any]:
    """One BiLSTMHead(**config) (seeded): its state_dict (names → tensors) and
    its eval-mode logits on each batch (None where it gave no tensor)."""
    torch.manual_seed(seed)
    model = impl.BiLSTMHead(**config).eval()
    logits: list[torch.Tensor | None] = []
    with torch.no_grad():
        for states, mask in batches:
            out = model(states, mask)
            logits.append(out.detach().double().cpu() if isinstance(out, torch.Tensor) else None)
    return {"state": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "logits": logits}
