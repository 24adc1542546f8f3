"""Grader code that runs in the worker, next to the submission (project2/char_rnn).

Nothing here answers an item. generate is graded with stand-ins for the
vocabulary and the model, so a mistake in CharVocab or CharRNN costs points
on those items only:

* ScrambledVocab numbers an alphabet the graders choose in *reverse* order
  (marked: no answer to CharVocab, whose ids are sorted);
* ScriptedModel is no network: its logits at a position favour the id
  scripted_next(count, last) (count the positions it has seen since its
  state was zero, last the id at that position) by a margin over a fixed
  bias, its state an LSTM-like pair or a GRU-like tensor holding (count,
  last); it records every call (how many positions it was fed, train mode,
  grad mode). The judge recomputes the greedy text from scripted_next.

CharRNN is a network of the student's own (its forward is theirs), so it
stays in the worker: the procedures build it, run it and return evidence.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.device import default_device
from dlkit.judge import in_worker
from graders.probing import describe_output


def scripted_next(count: int, last: int, vocab_size: int) -> int:
    """The id ScriptedModel favours after `count` positions ending with id `last`."""
    return (3 * last + count) % vocab_size


@in_worker
class ScrambledVocab:
    """The characters of `alphabet`, numbered in reverse order: encode, decode,
    len, and chars / stoi like CharVocab's attributes."""

    def __init__(self, alphabet: str, *, reverse: bool) -> None:
        self.chars = list(reversed(alphabet)) if reverse else list(alphabet)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.lowercase = False

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        for c in text:
            if c not in self.stoi:
                raise ValueError(f"{c!r} is not in the vocabulary")
        return torch.tensor([self.stoi[c] for c in text], dtype=torch.int64)

    def decode(self, ids: Any) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        return "".join(self.chars[int(i)] for i in ids)


@in_worker
class ScriptedModel(nn.Module):
    """A stand-in with CharRNN's forward(x, state) → (logits, state), whose
    next id is scripted (see the module's doc); `kind` "lstm" gives the
    state as a pair (h, c), "gru" as one tensor, each (1, N, 2)."""

    def __init__(self, vocab_size: int, *, bias: list[float], margin: float, kind: str) -> None:
        super().__init__()
        self.vocab_size, self.margin, self.kind = vocab_size, margin, kind
        self.register_buffer("bias", torch.tensor(bias, dtype=torch.float32))
        self.scale = nn.Parameter(torch.ones(()))
        self.calls: list[dict[str, Any]] = []

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        self.calls.append({"shape": list(x.shape), "training": self.training, "grad": torch.is_grad_enabled(),
                           "state": state is not None})
        if not (isinstance(x, torch.Tensor) and x.dim() == 2 and not x.is_floating_point()):
            raise TypeError(f"the model takes (N, L) integer ids, got {describe_output(x)}")
        n, length = x.shape
        h = state[0] if isinstance(state, (tuple, list)) else state
        count = h[0, :, 0].long().cpu() if h is not None else torch.zeros(n, dtype=torch.long)
        logits = self.bias.to(x.device).repeat(n, length, 1)
        ids = x.cpu()
        for b in range(n):
            for t in range(length):
                favoured = scripted_next(int(count[b]) + t + 1, int(ids[b, t]), self.vocab_size)
                logits[b, t, favoured] += self.margin
        h = torch.stack([count + length, ids[:, -1]], dim=-1).float()[None].to(x.device)
        new_state: Any = (h, torch.zeros_like(h)) if self.kind == "lstm" else h
        return logits * self.scale, new_state


def _generator(seed: int | None) -> torch.Generator | None:
    return None if seed is None else torch.Generator().manual_seed(seed)


@in_worker
def generate_evidence(impl: Any, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """impl.generate on ScrambledVocab(alphabet) and a fresh ScriptedModel for
    each case {alphabet, prompt, length, temperature, seed, bias, margin,
    kind}: the text (or what came back), and every call the model saw."""
    out: list[dict[str, Any]] = []
    for case in cases:
        vocab = ScrambledVocab(case["alphabet"], reverse=True)
        model = ScriptedModel(len(vocab), bias=case["bias"], margin=case["margin"], kind=case["kind"])
        text = impl.generate(model, vocab, case["prompt"], case["length"], temperature=case["temperature"],
                             generator=_generator(case["seed"]))
        out.append({"text": text if isinstance(text, str) else None, "what": describe_output(text),
                    "calls": model.calls})
    return out


# --------------------------------------------------------------------------
# CharRNN


def _layer(module: nn.Module) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": type(module).__name__}
    for name in ("num_embeddings", "embedding_dim", "input_size", "hidden_size", "num_layers", "batch_first",
                 "in_features", "out_features", "bidirectional"):
        value = getattr(module, name, None)
        if isinstance(value, (int, bool)):
            entry[name] = value
    return entry


def _state_shape(state: Any) -> Any:
    if isinstance(state, torch.Tensor):
        return {"tensor": list(state.shape)}
    if isinstance(state, (tuple, list)) and all(isinstance(s, torch.Tensor) for s in state):
        return {"pair" if len(state) == 2 else "tuple": [list(s.shape) for s in state]}
    return {"other": type(state).__name__}


def _logits(out: Any) -> tuple[torch.Tensor | None, Any, str]:
    """(logits, state, what) of a forward's result (None when it is no pair)."""
    if isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[0], torch.Tensor):
        return out[0], out[1], describe_output(out[0])
    return None, None, describe_output(out)


@in_worker
def rnn_structure(impl: Any, vocab_size: int, embed: int, hidden: int, cell: str, batch: int, length: int,
                  seed: int) -> dict[str, Any]:
    """CharRNN(vocab_size, embed, hidden, cell) built after torch.manual_seed(seed):
    its layers, its parameter count, and a forward on drawn ids (the logits'
    shape, dtype, finiteness, the state's shapes)."""
    torch.manual_seed(seed)
    model = impl.CharRNN(vocab_size, embed, hidden, cell)
    x = torch.randint(0, vocab_size, (batch, length), generator=torch.Generator().manual_seed(seed))
    logits, state, what = _logits(model(x))
    return {
        "layers": [_layer(m) for m in model.modules() if type(m) in (nn.Embedding, nn.LSTM, nn.GRU, nn.Linear,
                                                                     nn.RNN, nn.LSTMCell, nn.GRUCell)],
        "parameters": sum(p.numel() for p in model.parameters()),
        "what": what,
        "shape": None if logits is None else list(logits.shape),
        "floating": logits is not None and logits.is_floating_point(),
        "finite": logits is not None and bool(torch.isfinite(logits).all()),
        "state": _state_shape(state),
    }


@in_worker
def rnn_bad_cell(impl: Any, cell: str) -> dict[str, Any]:
    """What CharRNN(5, 4, 3, cell) raises: {"raised": type name, "message": ...} or {"raised": None}."""
    try:
        impl.CharRNN(5, 4, 3, cell)
    except Exception as exc:  # noqa: BLE001 - reported to the judge
        if isinstance(exc, NotImplementedError):
            raise
        return {"raised": type(exc).__name__, "is_value_error": isinstance(exc, ValueError), "message": str(exc)}
    return {"raised": None}


@in_worker
def rnn_runs(impl: Any, vocab_size: int, embed: int, hidden: int, cell: str, seed: int,
             runs: list[list[torch.Tensor]]) -> list[list[torch.Tensor | None]]:
    """One CharRNN (seeded), in eval mode and without grad; for each run, a
    list of id chunks fed in turn, each from the state the previous returned:
    the logits of each chunk (None where a forward gave no (logits, state))."""
    torch.manual_seed(seed)
    model = impl.CharRNN(vocab_size, embed, hidden, cell).eval()
    out: list[list[torch.Tensor | None]] = []
    with torch.no_grad():
        for chunks in runs:
            state, logits_seen = None, []
            for i, chunk in enumerate(chunks):
                logits, state, _ = _logits(model(chunk) if i == 0 else model(chunk, state))
                logits_seen.append(None if logits is None else logits.detach().float().cpu())
            out.append(logits_seen)
    return out


@in_worker
def rnn_overfit(impl: Any, ids: torch.Tensor, cell: str, embed: int, hidden: int, steps: int, lr: float,
                seed: int) -> dict[str, Any]:
    """The graders' own training loop: CharRNN(V, embed, hidden, cell) by Adam
    on the cross-entropy of predicting ids[1:] from ids[:-1] (one sequence),
    `steps` steps; the first and last losses, and the text the model then
    writes from ids[0] by the graders' greedy loop (argmax, state carried):
    ids the length of ids[1:]."""
    torch.manual_seed(seed)
    device = default_device()
    vocab_size = int(ids.max()) + 1
    model = impl.CharRNN(vocab_size, embed, hidden, cell).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    # Adam written out: torch.optim's first step costs seconds of imports.
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    x, y = ids[:-1][None].to(device), ids[1:][None].to(device)
    losses = []
    for step in range(1, steps + 1):
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        with torch.no_grad():
            for p, g, (m, v) in zip(params, grads, moments):
                if g is None:
                    continue
                m.mul_(0.9).add_(g, alpha=0.1)
                v.mul_(0.999).addcmul_(g, g, value=0.001)
                p.sub_(lr * (m / (1 - 0.9**step)) / ((v / (1 - 0.999**step)).sqrt() + 1e-8))
        losses.append(loss.item())
    model.train(False)
    written = []
    with torch.no_grad():
        logits, state = model(x[:, :1])
        for _ in range(len(ids) - 1):
            written.append(int(logits[0, -1].argmax()))
            logits, state = model(torch.tensor([[written[-1]]], device=device), state)
    return {"first": losses[0], "last": losses[-1], "written": written}
