"""Grader code that runs in the worker, next to the submission (hw7/word2vec).

The stand-ins are marked where a working one can be: the vocabulary numbers
its words in reverse order of first appearance, the pairs come in reverse
order, and the loss weighs the observed pair twice (SPY_POSITIVE), so none
of them answers its item; the judge recomputes what they give. The probe
model must score pairs as the handout says (train_word2vec and sgns_step
may call it), and the training step is plain SGD on the marked loss.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker

SPY_POSITIVE = 2.0


def brute_force_pairs(sentences: list[list[str]], stoi: dict[str, int], window: int) -> list[tuple[int, int]]:
    """Every (target, context) within `window` positions on each side, in one
    sentence, after dropping unknown words; by sentence, target, context."""
    kept = [[stoi[w] for w in sentence if w in stoi] for sentence in sentences]
    return [
        (ids[i], ids[j])
        for ids in kept
        for i in range(len(ids))
        for j in range(len(ids))
        if i != j and abs(i - j) <= window
    ]


# --------------------------------------------------------------------------
# stand-ins


@in_worker
class SpyVocab:
    """A working vocabulary whose ids follow the *reverse* order of first
    appearance: marked, and no answer to Vocabulary."""

    def __init__(self, words: Iterable[str], min_count: int = 1) -> None:
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        self.itos = [w for w, n in counts.items() if n >= min_count][::-1]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.counts = [counts[w] for w in self.itos]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __getitem__(self, word: str) -> int:
        try:
            return self.stoi[word]
        except KeyError:
            raise KeyError(f"{word!r} is not in the vocabulary") from None


@in_worker
class ProbeModel(nn.Module):
    """Two embedding tables and the pair score v_t · u_c."""

    def __init__(self, vocab_size: int, embedding_dim: int) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, embedding_dim)
        self.out_embed = nn.Embedding(vocab_size, embedding_dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / embedding_dim, 0.5 / embedding_dim)
        nn.init.zeros_(self.out_embed.weight)
        self.loss_history: list[float] = []

    def forward(self, targets: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bd,bd->b", self.in_embed(targets), self.out_embed(contexts))


@in_worker
def spy_tokenize(corpus: str) -> list[list[str]]:
    """Enough for the graders' own corpora: lower-case words, '.' between sentences."""
    return [s.split() for s in corpus.lower().split(".") if s.split()]


@in_worker
def spy_pairs(sentences: list[list[str]], vocab: Any, window_size: int) -> torch.Tensor:
    """The pairs in reverse order (the trainers shuffle them anyway)."""
    pairs = brute_force_pairs(sentences, vocab.stoi, window_size)[::-1]
    return torch.tensor(pairs, dtype=torch.long).view(-1, 2)


@in_worker
def spy_loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    """A negative-sampling loss whose observed-pair term weighs SPY_POSITIVE:
    trains as well, and its value and gradient are not the item's."""
    return (SPY_POSITIVE * F.softplus(-pos) + neg_weight * F.softplus(neg).sum(-1)).mean()


def sgd_step(model: Any, targets, contexts, negatives, lr: float, num_negatives: int | None,
             loss_fn: Callable[..., torch.Tensor]) -> float:
    """SGD on `loss_fn` summed over the batch, through autograd."""
    v, u = model.in_embed(targets), model.out_embed(contexts)
    if negatives.dim() == 1:  # a pool shared by the batch, each term weighted K / M
        weight = (num_negatives or len(negatives)) / len(negatives)
        neg = v @ model.out_embed(negatives).T
    else:
        weight = 1.0
        neg = torch.einsum("bd,bkd->bk", v, model.out_embed(negatives))
    loss = loss_fn((v * u).sum(-1), neg, weight)
    model.zero_grad()
    (loss * len(targets)).backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
    return loss.item()


@in_worker
def spy_step(model: Any, targets, contexts, negatives, lr: float, num_negatives: int | None = None) -> float:
    """SGD on the marked loss: trains, but is no answer to sgns_step."""
    return sgd_step(model, targets, contexts, negatives, lr, num_negatives, spy_loss)


TRAIN_STAND_INS = {
    "tokenize": spy_tokenize,
    "Vocabulary": SpyVocab,
    "make_training_pairs": spy_pairs,
    "Word2Vec": ProbeModel,
    "negative_sampling_loss": spy_loss,
    "sgns_step": spy_step,
}


# --------------------------------------------------------------------------
# procedures


@in_worker
def pairs_with_vocab(impl: Any, sentences: list[list[str]], words: list[str], window: int) -> dict[str, Any]:
    """make_training_pairs with the graders' vocabulary of `words`: its stoi
    and the student's result."""
    vocab = SpyVocab(words)
    out = impl.make_training_pairs(sentences, vocab, window)
    return {"stoi": dict(vocab.stoi), "out": out.detach() if isinstance(out, torch.Tensor) else out}


def _describe(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


@in_worker
def model_scores(impl: Any, vocab_size: int, dim: int, batch: int, seed: int) -> dict[str, Any]:
    """Word2Vec(vocab_size, dim) with random tables: its tables' types and
    weights, the scores of random pairs and whether both tables got gradients."""
    model = impl.Word2Vec(vocab_size, dim)
    evidence: dict[str, Any] = {"tables": {}}
    tables = {}
    for name in ("in_embed", "out_embed"):
        table = getattr(model, name, None)
        evidence["tables"][name] = {
            "embedding": isinstance(table, nn.Embedding),
            "type": _describe(table),
            "shape": tuple(table.weight.shape) if isinstance(table, nn.Embedding) else None,
        }
        tables[name] = table
    if not all(isinstance(t, nn.Embedding) and tuple(t.weight.shape) == (vocab_size, dim) for t in tables.values()):
        return evidence
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # the usual start leaves out_embed at zero: use weights that show errors
        for table in tables.values():
            table.weight.copy_(torch.randn(vocab_size, dim, generator=gen))
    targets = torch.randint(0, vocab_size, (batch,), generator=gen)
    contexts = torch.randint(0, vocab_size, (batch,), generator=gen)
    scores = model(targets, contexts)
    evidence.update(
        weights={name: t.weight.detach().clone() for name, t in tables.items()},
        targets=targets, contexts=contexts,
        scores=scores.detach() if isinstance(scores, torch.Tensor) else _describe(scores),
    )
    grads = None
    if isinstance(scores, torch.Tensor) and scores.requires_grad:
        scores.sum().backward()
        grads = [t.weight.grad is not None for t in tables.values()]
    evidence["grads"] = grads
    return evidence


@in_worker
def sgns_step_run(impl: Any, in_weight: torch.Tensor, out_weight: torch.Tensor, targets: torch.Tensor,
                  contexts: torch.Tensor, negatives: torch.Tensor, lr: float,
                  num_negatives: int | None) -> dict[str, Any]:
    """impl.sgns_step on a probe model with these tables, the marked loss in
    place of negative_sampling_loss: what it returned and the tables after."""
    vocab_size, dim = in_weight.shape
    model = ProbeModel(vocab_size, dim)
    with torch.no_grad():
        model.in_embed.weight.copy_(in_weight)
        model.out_embed.weight.copy_(out_weight)
    args = (model, targets, contexts, negatives, lr) + ((num_negatives,) if num_negatives is not None else ())
    with substituted(impl, "sgns_step", {"negative_sampling_loss": spy_loss}):
        loss = impl.sgns_step(*args)
    return {
        "loss": loss.detach() if isinstance(loss, torch.Tensor) else loss,
        "in": model.in_embed.weight.detach().clone(),
        "out": model.out_embed.weight.detach().clone(),
    }
