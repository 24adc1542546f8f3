# %% [markdown]
# # HW7-Q5 · The CycleGAN generator loss
#
# CycleGAN (Zhu et al., 2017) learns to translate images between two domains
# A and B without paired examples. Two generators, `gen_AB: A → B` and
# `gen_BA: B → A`, are trained against two discriminators: `disc_B` tells real
# B images from `gen_AB`'s fakes, `disc_A` does the same for domain A.
#
# The loss that trains `gen_AB` (with `gen_BA`, as in the paper's joint update)
# has three terms:
#
# * **adversarial**: `gen_AB(real_A)` should fool `disc_B`. The paper uses the
#   least-squares (LSGAN) loss `mean((disc_B(fake_B) − 1)²)`; the "bce" variant
#   is the binary cross-entropy *with logits* against the label 1 ("real").
# * **cycle consistency**, in **both** directions: A → B → A must give back
#   `real_A`, and B → A → B must give back `real_B`, each measured by the mean
#   absolute error (L1), weighted by `lambda_cycle` (10 in the paper).
# * **identity** (optional): `gen_AB` given a B image should leave it alone,
#   L1 of `gen_AB(real_B)` and `real_B`, weighted by `lambda_identity`.
#
#     total = adversarial + lambda_cycle · (cycle_A + cycle_B) + lambda_identity · identity
#
# All means are over every element of the batch. Mistake seen in past answers:
# only one direction of the cycle.

# %%
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ADVERSARIAL_KINDS = ("lsgan", "bce")

# %% [markdown]
# ## The adversarial term
#
# `adversarial_loss(disc_output, adversarial="lsgan")` takes the
# discriminator's raw scores (logits) for the generator's fakes and returns
# how far they are from "real" (1): `mean((d − 1)²)` for "lsgan",
# `mean(softplus(−d))` = BCE-with-logits against ones for "bce". For
# `d = [[0., 2.]]` that is 1.0 (lsgan) and 0.41004 (bce). Use
# `F.binary_cross_entropy_with_logits` (not `log` of the raw scores: they are
# not probabilities). Any other `adversarial` raises a `ValueError` naming the
# argument.


# %%
def adversarial_loss(disc_output: torch.Tensor, adversarial: str = "lsgan") -> torch.Tensor:
    """The generator's adversarial loss for the discriminator's scores of fakes.

    Args:
        disc_output: (N, ...) float logits of the discriminator on fake images.
        adversarial: "lsgan" (mean squared error against 1) or "bce"
            (binary cross-entropy with logits against 1).

    Returns:
        0-dim tensor of disc_output's dtype.

    Raises:
        ValueError: adversarial is neither "lsgan" nor "bce".
    """
    ### BEGIN SOLUTION
    target = torch.ones_like(disc_output)
    if adversarial == "lsgan":
        return F.mse_loss(disc_output, target)
    if adversarial == "bce":
        return F.binary_cross_entropy_with_logits(disc_output, target)
    raise ValueError(f"adversarial must be one of {ADVERSARIAL_KINDS}, got {adversarial!r}")
    ### END SOLUTION


# %% [markdown]
# ## The cycle and identity terms
#
# `cycle_loss(real, reconstructed)` is the mean absolute error (L1) between an
# image batch and its reconstruction after a round trip; `identity_loss(real,
# same)` the L1 between a batch and what the generator of its own domain made
# of it. For `real = [[1., 2.]]`, `reconstructed = [[0., 4.]]` both give 1.5.
# Keep to torch operations (no NumPy): the loss must carry gradients.


# %%
def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """Cycle-consistency loss: mean |real − reconstructed| (L1).

    Args:
        real: (N, C, H, W) float images.
        reconstructed: (N, C, H, W) their round trip, same dtype.

    Returns:
        0-dim tensor of real's dtype.
    """
    ### BEGIN SOLUTION
    return F.l1_loss(reconstructed, real)
    ### END SOLUTION


# %%
def identity_loss(real: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """Identity loss: mean |real − same| (L1), same = generator(real) of its own domain.

    Args:
        real: (N, C, H, W) float images.
        same: (N, C, H, W) the generator's output for them, same dtype.

    Returns:
        0-dim tensor of real's dtype.
    """
    ### BEGIN SOLUTION
    return (same - real).abs().mean()
    ### END SOLUTION


# %% [markdown]
# ## The generator loss
#
# `generator_ab_loss(real_A, real_B, gen_AB, gen_BA, disc_A, disc_B,
# lambda_cycle=10.0, lambda_identity=0.0, adversarial="lsgan")` returns
# `(total, parts)`. Use the three functions above. `parts` holds the
# **unweighted** terms as 0-dim tensors under the keys `"adversarial"`
# (`adversarial_loss(disc_B(gen_AB(real_A)))`), `"cycle_A"`
# (`cycle_loss(real_A, gen_BA(gen_AB(real_A)))`), `"cycle_B"`
# (`cycle_loss(real_B, gen_AB(gen_BA(real_B)))`) and `"identity"`
# (`identity_loss(real_B, gen_AB(real_B))` when `lambda_identity > 0`, a zero
# tensor otherwise). `disc_A` is not needed for gen_AB's loss (it is in the
# signature for symmetry). The discriminators are not trained by this loss:
# after `total.backward()` their parameters' gradients must be None or zero
# (freeze them with `requires_grad_(False)` while computing, and restore their
# flags afterwards, or just never backpropagate into them beyond their input).
# Check `adversarial` first: a bad value raises `ValueError` naming it.


# %%
def generator_ab_loss(
    real_A: torch.Tensor,
    real_B: torch.Tensor,
    gen_AB: nn.Module,
    gen_BA: nn.Module,
    disc_A: nn.Module,
    disc_B: nn.Module,
    lambda_cycle: float = 10.0,
    lambda_identity: float = 0.0,
    adversarial: str = "lsgan",
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The loss that trains gen_AB (and gen_BA through the cycles).

    Args:
        real_A: (N, C, H, W) float images of domain A.
        real_B: (N, C, H, W) float images of domain B.
        gen_AB, gen_BA: generators A → B and B → A.
        disc_A, disc_B: discriminators of domains A and B (logits).
        lambda_cycle: weight of the two cycle terms.
        lambda_identity: weight of the identity term (0: not computed).
        adversarial: "lsgan" or "bce", see adversarial_loss.

    Returns:
        (total, parts): total a 0-dim tensor,
        adversarial + lambda_cycle · (cycle_A + cycle_B) + lambda_identity · identity;
        parts the unweighted terms under "adversarial", "cycle_A", "cycle_B", "identity".

    Raises:
        ValueError: adversarial is neither "lsgan" nor "bce".
    """
    ### BEGIN SOLUTION
    if adversarial not in ADVERSARIAL_KINDS:
        raise ValueError(f"adversarial must be one of {ADVERSARIAL_KINDS}, got {adversarial!r}")
    flags = [p.requires_grad for p in disc_B.parameters()]
    disc_B.requires_grad_(False)
    try:
        fake_B = gen_AB(real_A)
        adv = adversarial_loss(disc_B(fake_B), adversarial)
    finally:
        for p, flag in zip(disc_B.parameters(), flags):
            p.requires_grad_(flag)
    cycle_A = cycle_loss(real_A, gen_BA(fake_B))
    cycle_B = cycle_loss(real_B, gen_AB(gen_BA(real_B)))
    if lambda_identity > 0:
        ident = identity_loss(real_B, gen_AB(real_B))
    else:
        ident = torch.zeros((), dtype=adv.dtype, device=adv.device)
    total = adv + lambda_cycle * (cycle_A + cycle_B) + lambda_identity * ident
    return total, {"adversarial": adv, "cycle_A": cycle_A, "cycle_B": cycle_B, "identity": ident}
    ### END SOLUTION
