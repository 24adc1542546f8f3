"""Grader code that runs in the worker, next to the submission (hw7/word2vec).

None of it answers an item. The stand-ins that let train_word2vec be graded
apart from the items it calls are marked: the vocabulary numbers its words
in reverse order of first appearance, the pairs come in reverse order, the
probe model's score carries an offset (PROBE_OFFSET), the loss weighs the
observed pair twice (SPY_POSITIVE) and the step is SGD on that loss. sgns_step
is graded on the graders' own ProbeModel (so a Word2Vec mistake costs nothing
there) with another marked loss (STEP_POSITIVE) in place of
negative_sampling_loss, so that a step through autograd is graded apart from
the loss. The judge allows for the marks.

A vocabulary handed to the student's make_training_pairs is an instance of
the student's own Vocabulary class (a subclass whose attributes and methods
are the graders'), so code that checks isinstance(vocab, Vocabulary) works.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker

SPY_POSITIVE = 2.0  # the trainer's loss stand-in: weight of the observed pair's term
STEP_POSITIVE = 3.0  # the loss in place of negative_sampling_loss when grading sgns_step
PROBE_OFFSET = 0.5  # added to every score of the trainer's probe model


# --------------------------------------------------------------------------
# stand-ins


# A word no corpus holds: the graders' vocabulary ends with it, so that it is
# no answer to Vocabulary (whose words are the corpus's own) while training
# with it is training with the corpus's words.
SENTINEL = "<graders sentinel>"


@in_worker
class SpyVocab:
    """A vocabulary whose ids follow the *reverse* order of first appearance,
    plus SENTINEL (count 1) at the end: marked, so it is no answer to
    Vocabulary, and a grader that uses it sees ids a student's code cannot
    guess."""

    def __init__(self, words: Iterable[str], min_count: int = 1) -> None:
        counts: dict[str, int] = {}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        self.itos = [w for w, n in counts.items() if n >= min_count][::-1] + [SENTINEL]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.counts = [counts.get(w, 1) for w in self.itos]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    def __getitem__(self, word: str) -> int:
        try:
            return self.stoi[word]
        except KeyError:
            raise KeyError(f"{word!r} is not in the vocabulary") from None


class _JudgedScore(torch.autograd.Function):
    """A pair score and its gradient computed by two functions given by the
    grader (called back in the judge), so that autograd runs through it."""

    @staticmethod
    def forward(ctx: Any, v: torch.Tensor, u: torch.Tensor, score: Callable[..., Any],
                score_grad: Callable[..., Any]) -> torch.Tensor:
        ctx.save_for_backward(v, u)
        ctx.score_grad = score_grad
        return torch.as_tensor(score(v.detach(), u.detach())).to(device=v.device, dtype=v.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        v, u = ctx.saved_tensors
        grad_v, grad_u = ctx.score_grad(v.detach(), u.detach(), grad.detach())
        return grad_v.to(v), grad_u.to(u), None, None


@in_worker
class ProbeModel(nn.Module):
    """Two embedding tables with Word2Vec's usual start, for the graders.

    Its pair score is v_t · u_c + PROBE_OFFSET (marked: no answer to
    Word2Vec); given `score` and `score_grad` (functions of the two looked-up
    batches v, u, and of v, u and the upstream gradient), it is score(v, u)
    instead, differentiable through score_grad."""

    def __init__(self, vocab_size: int, embedding_dim: int, score: Callable[..., Any] | None = None,
                 score_grad: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, embedding_dim)
        self.out_embed = nn.Embedding(vocab_size, embedding_dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / embedding_dim, 0.5 / embedding_dim)
        nn.init.zeros_(self.out_embed.weight)
        self.loss_history: list[float] = []
        self.score, self.score_grad = score, score_grad

    def forward(self, targets: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        v, u = self.in_embed(targets), self.out_embed(contexts)
        if self.score is not None and self.score_grad is not None:
            return _JudgedScore.apply(v, u, self.score, self.score_grad)
        return torch.einsum("...d,...d->...", v, u) + PROBE_OFFSET


def vocab_for(impl: Any, words: Iterable[str]) -> SpyVocab:
    """The graders' SpyVocab of `words`, as an instance of the student's
    Vocabulary class when there is one: SpyVocab's methods come first, so
    nothing of the student's class runs, but isinstance(vocab, Vocabulary)
    holds as it does for the real thing."""
    base = getattr(impl, "Vocabulary", None)
    if isinstance(base, type) and base is not SpyVocab:
        try:
            kind = type("Vocabulary", (SpyVocab, base), {"__module__": SpyVocab.__module__})
            return kind(list(words))
        except Exception:  # an unusual class (slots, a metaclass): the plain stand-in
            pass
    return SpyVocab(list(words))


@in_worker
def tokenize_cases(impl: Any, texts: list[str]) -> list[dict[str, Any]]:
    """impl.tokenize on each text with nltk's data path emptied, so the grade
    is the same on a machine with nltk's downloads (punkt) and one without:
    each result, or the first line of the LookupError nltk raised."""
    try:
        import nltk.data as nltk_data
    except ImportError:
        nltk_data = None
    saved = list(nltk_data.path) if nltk_data is not None else []
    results: list[dict[str, Any]] = []
    try:
        if nltk_data is not None:
            nltk_data.path[:] = []
        for text in texts:
            try:
                results.append({"out": impl.tokenize(text)})
            except LookupError as exc:
                if nltk_data is None or "nltk" not in str(exc).lower():
                    raise
                lines = [line.strip() for line in str(exc).splitlines() if line.strip() and "*" not in line]
                results.append({"needs_data": lines[0] if lines else "LookupError"})
    finally:
        if nltk_data is not None:
            nltk_data.path[:] = saved
    return results


@in_worker
def spy_tokenize(corpus: str) -> list[list[str]]:
    """Enough for the graders' own corpora: lower-case words, '.' between sentences."""
    return [s.split() for s in corpus.lower().split(".") if s.split()]


@in_worker
def spy_pairs(sentences: list[list[str]], vocab: Any, window_size: int) -> torch.Tensor:
    """The pairs within the window, in *reverse* order (the trainers shuffle
    them anyway), and one (SENTINEL, SENTINEL) pair when the vocabulary has
    the sentinel: marked, no answer to make_training_pairs."""
    sentinel = vocab.stoi.get(SENTINEL) if isinstance(getattr(vocab, "stoi", None), dict) else None
    backwards: list[tuple[int, int]] = [] if sentinel is None else [(sentinel, sentinel)]
    for words in reversed(sentences):
        known = [vocab.stoi[w] for w in words if w in vocab.stoi]
        for i in reversed(range(len(known))):
            backwards += [(known[i], known[j]) for j in reversed(range(len(known))) if 0 < abs(i - j) <= window_size]
    return torch.tensor(backwards, dtype=torch.long).view(-1, 2)


def _marked_loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float, positive: float) -> torch.Tensor:
    return (positive * F.softplus(-pos) + neg_weight * F.softplus(neg).sum(-1)).mean()


@in_worker
def spy_loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    """A negative-sampling loss whose observed-pair term weighs SPY_POSITIVE:
    trains as well, and its value and gradient are not the item's."""
    return _marked_loss(pos, neg, neg_weight, SPY_POSITIVE)


@in_worker
def step_loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    """The loss sgns_step is graded with: the observed pair weighs STEP_POSITIVE."""
    return _marked_loss(pos, neg, neg_weight, STEP_POSITIVE)


@in_worker
def spy_step(model: Any, targets: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor, lr: float,
             num_negatives: int | None = None) -> float:
    """SGD on spy_loss summed over the batch: trains, but is no answer to sgns_step."""
    v, u = model.in_embed(targets), model.out_embed(contexts)
    if negatives.dim() == 1:
        weight = (num_negatives or len(negatives)) / len(negatives)
        neg = v @ model.out_embed(negatives).T
    else:
        weight = 1.0
        neg = torch.einsum("bd,bkd->bk", v, model.out_embed(negatives))
    loss = spy_loss((v * u).sum(-1), neg, weight)
    model.zero_grad()
    (loss * len(targets)).backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
    return loss.item()


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
def pairs_cases(impl: Any, words: list[str], cases: list[tuple[list[list[str]], int]]) -> dict[str, Any]:
    """make_training_pairs on each (sentences, window_size) case with the
    graders' vocabulary of `words`: its stoi and the student's results."""
    vocab = vocab_for(impl, words)
    outs = []
    for sentences, window in cases:
        out = impl.make_training_pairs(sentences, vocab, window)
        outs.append(out.detach() if isinstance(out, torch.Tensor) else out)
    return {"stoi": {w: i for w, i in vocab.stoi.items() if w != SENTINEL}, "outs": outs}


def _describe(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


@in_worker
def model_scores(impl: Any, in_weight: torch.Tensor, out_weight: torch.Tensor,
                 cases: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, Any]:
    """Word2Vec(V, D) with these tables (float64 ones make a .double()
    model): its tables' types and shapes, the scores of each (targets,
    contexts) case, and which tables the first case's scores reach."""
    vocab_size, dim = in_weight.shape
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
    if in_weight.dtype == torch.float64:
        model = model.double()
    with torch.no_grad():
        tables["in_embed"].weight.copy_(in_weight)
        tables["out_embed"].weight.copy_(out_weight)
    scores = []
    for targets, contexts in cases:
        out = model(targets, contexts)
        scores.append(out.detach() if isinstance(out, torch.Tensor) else _describe(out))
        if len(scores) == 1:
            grads = None
            if isinstance(out, torch.Tensor) and out.requires_grad:
                out.sum().backward()
                grads = {name: t.weight.grad is not None and bool(t.weight.grad.abs().sum() > 0)
                         for name, t in tables.items()}
            evidence["grads"] = grads
    evidence["scores"] = scores
    return evidence


def _step_model(in_weight: torch.Tensor, out_weight: torch.Tensor, score: Callable[..., Any] | None,
                score_grad: Callable[..., Any] | None) -> nn.Module:
    """The model a step is graded on: the graders' ProbeModel (a real
    nn.Module with in_embed and out_embed), never the student's Word2Vec, so
    a mistake there costs no sgns_step points; with these tables. Its
    forward is marked (PROBE_OFFSET) unless the judge gives `score`."""
    vocab_size, dim = in_weight.shape
    model = ProbeModel(vocab_size, dim, score, score_grad)
    if in_weight.dtype == torch.float64:
        model = model.double()
    with torch.no_grad():
        model.in_embed.weight.copy_(in_weight)
        model.out_embed.weight.copy_(out_weight)
    return model


@in_worker
def sgns_step_cases(impl: Any, in_weight: torch.Tensor, out_weight: torch.Tensor, cases: list[tuple[Any, ...]],
                    score: Callable[..., Any] | None = None,
                    score_grad: Callable[..., Any] | None = None) -> list[dict[str, Any]]:
    """impl.sgns_step once per case (targets, contexts, negatives, lr,
    num_negatives or None), each from these tables, with step_loss in place
    of negative_sampling_loss: what it returned and the tables after."""
    results = []
    for targets, contexts, negatives, lr, num_negatives in cases:
        model = _step_model(in_weight, out_weight, score, score_grad)
        args = (model, targets, contexts, negatives, lr) + ((num_negatives,) if num_negatives is not None else ())
        with substituted(impl, "sgns_step", {"negative_sampling_loss": step_loss}):
            loss = impl.sgns_step(*args)
        results.append({
            "loss": loss.detach() if isinstance(loss, torch.Tensor) else loss,
            "in": model.in_embed.weight.detach().clone(),
            "out": model.out_embed.weight.detach().clone(),
        })
    return results


@in_worker
def loss_cases(impl: Any, cases: list[tuple[Any, ...]]) -> list[Any]:
    """impl.negative_sampling_loss(*args) for each case, in one visit."""
    outs = []
    for args in cases:
        out = impl.negative_sampling_loss(*args)
        outs.append(out.detach() if isinstance(out, torch.Tensor) else out)
    return outs
