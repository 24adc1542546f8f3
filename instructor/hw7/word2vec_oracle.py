"""Reference answers for the hidden Word2Vec graders (judge side only).

The handout's definitions written as plain code, in float64 where values
are compared, and replays of one sgns_step through autograd. The score and
its gradient are passed to the worker as callbacks, so a step that calls
model(...) is graded with a correct score without the student's Word2Vec.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from graders.hw7 import word2vec_probes as probes


def training_pairs(sentences: list[list[str]], stoi: dict[str, int], window: int) -> list[tuple[int, int]]:
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


def pair_scores(in_weight: torch.Tensor, out_weight: torch.Tensor, targets: torch.Tensor,
                contexts: torch.Tensor) -> torch.Tensor:
    """v_t · u_c for each pair, in float64."""
    return (in_weight.double()[targets] * out_weight.double()[contexts]).sum(-1)


def score(v: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The pair score of looked-up batches (any matching or broadcasting shapes)."""
    return (v * u).sum(-1)


def score_grad(v: torch.Tensor, u: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient of score with respect to v and u, given the upstream one."""
    g = grad.unsqueeze(-1)
    return (g * u).sum_to_size(v.shape), (g * v).sum_to_size(u.shape)


def loss(pos: torch.Tensor, neg: torch.Tensor, neg_weight: float = 1.0, positive: float = 1.0) -> torch.Tensor:
    """Mean of −positive · log σ(pos) − neg_weight · Σ_k log σ(−neg_k), in
    float64 (differentiable: the replays use it)."""
    pos, neg = pos.double(), neg.double()
    return (positive * F.softplus(-pos) + neg_weight * F.softplus(neg).sum(-1)).mean()


def replay_step(in_weight: torch.Tensor, out_weight: torch.Tensor, targets: torch.Tensor, contexts: torch.Tensor,
                negatives: torch.Tensor, lr: float, num_negatives: int | None,
                positive: float = 1.0) -> tuple[float, torch.Tensor, torch.Tensor]:
    """One SGD step on the loss summed over the batch, through autograd:
    (mean loss before, in table after, out table after), in float64."""
    w_in = in_weight.double().clone().requires_grad_()
    w_out = out_weight.double().clone().requires_grad_()
    v, u = w_in[targets], w_out[contexts]
    if negatives.dim() == 1:  # a pool shared by the batch, each term weighted K / M
        weight = (num_negatives or len(negatives)) / len(negatives)
        neg = v @ w_out[negatives].T
    else:
        weight = 1.0
        neg = torch.einsum("bd,bkd->bk", v, w_out[negatives])
    value = loss((v * u).sum(-1), neg, weight, positive)
    (value * len(targets)).backward()
    with torch.no_grad():
        return value.item(), w_in - lr * w_in.grad, w_out - lr * w_out.grad


def accepted_steps(in_weight, out_weight, targets, contexts, negatives, lr: float,
                   num_negatives: int | None) -> dict[str, tuple[float, torch.Tensor, torch.Tensor]]:
    """The two steps a correct sgns_step may take while the graders put
    probes.step_loss in place of negative_sampling_loss: "true" (the gradient
    of the item's loss, written by hand) and "marked" (autograd through the
    marked loss it called)."""
    args = (in_weight, out_weight, targets, contexts, negatives, lr, num_negatives)
    return {"true": replay_step(*args), "marked": replay_step(*args, positive=probes.STEP_POSITIVE)}
