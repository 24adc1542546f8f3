# %% [markdown]
# # P2-Q2 · Character-level text generation with an LSTM or a GRU
#
# A character-level language model reads a text one character at a time and
# predicts, at every position, the next character. Trained on a corpus, it
# writes new text one character after another: each prediction becomes the
# next input.
#
# The pieces, in order:
#
# 1. `CharVocab`: the characters of the text and their integer ids;
# 2. `make_sequences`: the text cut into training sequences whose targets are
#    the inputs shifted by one character;
# 3. `CharRNN`: Embedding → LSTM or GRU → Linear, a next-character logit at
#    every position;
# 4. `generate`: write text from a prompt, greedily or by sampling with a
#    temperature, carrying the hidden state (linear in the length);
# 5. `focal_loss` and `kl_loss`: two losses the handout compares with the
#    cross-entropy.
#
# The handout's network is Embedding(64) → LSTM(1024) → Dense 256 → Dropout →
# Dense 128 → softmax. This module keeps it simpler, **Embedding → LSTM/GRU →
# one Linear layer** (the extra dense layers add little to a character model
# and slow it down); the softmax is not part of the model, the losses take
# logits. Run `dlkit run project2/char_rnn` for the experiment (training on a
# corpus, the losses, LSTM against GRU, the learning rates).
#
# Every function here leaves the tensors it is given unchanged.

# %%
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## The vocabulary
#
# `CharVocab(text, lowercase=True)` holds the distinct characters of `text`
# (lower-cased first when `lowercase` is true), **sorted** by code point
# (`sorted(set(...))`: the ids are the same on every run, whatever the
# order of the text), as
#
# * `chars`: the list of characters, `chars[i]` the character of id `i`;
# * `stoi`: a dict from each character to its id.
#
# `encode(text)` returns the ids of the characters of `text` as an int64
# tensor of shape `(len(text),)` (lower-casing `text` first when the
# vocabulary was built with `lowercase=True`); `decode(ids)` takes a 1-D
# tensor or a list of ids and returns the string; `len(vocab)` is the number
# of characters. A character that is not in the vocabulary raises a
# `ValueError` whose message names it (`'z' is not in the vocabulary`), an
# empty `text` a `ValueError` too.
#
# Worked example: `CharVocab("Hello, World!")` has the 10 characters
# `[' ', '!', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']` (the space, 32, comes
# first, then `!` 33 and `,` 44, then the letters); `encode("hello")` is
# `[5, 4, 6, 6, 7]` and `encode("Hello")` the same; `decode([9, 7, 8, 6, 3])`
# is `"world"`. With `lowercase=False` the characters are
# `[' ', '!', ',', 'H', 'W', 'd', 'e', 'l', 'o', 'r']` (upper case sorts
# before lower case) and `encode("Hello")` is `[3, 6, 7, 7, 8]`.
#
# Pitfall: `list(set(text))` has no fixed order; a model saved with one
# numbering and read back with another writes gibberish.


# %%
class CharVocab:
    """Characters ↔ ids, sorted by code point.

    Args:
        text: the corpus (non-empty).
        lowercase: lower-case the corpus, and every text encoded later.

    Attributes:
        chars: list of the distinct characters, sorted; chars[i] has id i.
        stoi: dict mapping each character to its id.
        lowercase: the flag given.

    Raises:
        ValueError: text is empty.
    """

    def __init__(self, text: str, lowercase: bool = True) -> None:
        if not text:
            raise ValueError("text: the corpus is empty, a vocabulary needs at least one character")
        self.lowercase = lowercase
        ### BEGIN SOLUTION
        if lowercase:
            text = text.lower()
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        ### END SOLUTION

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """text (lower-cased first when lowercase) → (len(text),) int64 ids.

        Raises:
            ValueError: a character of text is not in the vocabulary; the
                message names it.
        """
        ### BEGIN SOLUTION
        if self.lowercase:
            text = text.lower()
        missing = [c for c in text if c not in self.stoi]
        if missing:
            raise ValueError(f"{missing[0]!r} is not in the vocabulary")
        return torch.tensor([self.stoi[c] for c in text], dtype=torch.int64)
        ### END SOLUTION

    def decode(self, ids: torch.Tensor | Sequence[int]) -> str:
        """(L,) integer tensor or list of ids → the string of their characters."""
        ### BEGIN SOLUTION
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return "".join(self.chars[int(i)] for i in ids)
        ### END SOLUTION


# %% [markdown]
# ## Training sequences
#
# `make_sequences(ids, seq_length)` cuts the id tensor of a whole corpus into
# **non-overlapping** chunks of `seq_length` inputs (stride `seq_length`),
# each with its targets: the same positions **shifted by one**, so that
# `targets[i, t]` is the character that follows `inputs[i, t]`. With `T` ids
# and `L = seq_length` there are `N = (T − 1) // L` sequences (the last
# input needs a following character); the ids after the last full sequence
# are left out.
#
#     inputs[i]  = ids[i·L     : i·L + L]
#     targets[i] = ids[i·L + 1 : i·L + L + 1]
#
# Worked example: `ids = [0, 1, …, 9]` (T = 10), `seq_length = 3`: N = 3,
# inputs `[[0, 1, 2], [3, 4, 5], [6, 7, 8]]`, targets
# `[[1, 2, 3], [4, 5, 6], [7, 8, 9]]`. With `ids = [0, …, 8]` (T = 9) there
# are only 2 sequences: `[6, 7, 8]` would have no target after 8.
# A `seq_length` below 1, or ids too short for one sequence (T ≤ L), is a
# `ValueError` naming `seq_length`.


# %%
def make_sequences(ids: torch.Tensor, seq_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-overlapping (input, target) sequences, targets shifted by one.

    Args:
        ids: (T,) int64 tensor, the corpus's ids.
        seq_length: L, the length of each sequence, >= 1.

    Returns:
        (inputs, targets): two (N, L) int64 tensors on ids' device, with
        N = (T - 1) // L, inputs[i] = ids[i*L : i*L + L] and
        targets[i] = ids[i*L + 1 : i*L + L + 1].

    Raises:
        ValueError: seq_length < 1 or T <= seq_length; the message names
            seq_length.
    """
    ### BEGIN SOLUTION
    if seq_length < 1:
        raise ValueError(f"seq_length must be >= 1, got {seq_length}")
    n = (len(ids) - 1) // seq_length
    if n < 1:
        raise ValueError(f"seq_length {seq_length} needs more than {seq_length} ids, got {len(ids)}")
    inputs = ids[: n * seq_length].reshape(n, seq_length)
    targets = ids[1 : n * seq_length + 1].reshape(n, seq_length)
    return inputs.clone(), targets.clone()
    ### END SOLUTION


# %% [markdown]
# ## The model
#
# `CharRNN(vocab_size, embed=64, hidden=256, cell="lstm")`:
#
#     ids (N, L) → nn.Embedding(vocab_size, embed) → (N, L, embed)
#                → nn.LSTM or nn.GRU(embed, hidden, batch_first=True) → (N, L, hidden)
#                → nn.Linear(hidden, vocab_size) → logits (N, L, vocab_size)
#
# one recurrent layer, `cell` either `"lstm"` or `"gru"` (anything else is a
# `ValueError` naming `cell`). `forward(x, state=None)` returns
# `(logits, state)`: the logits at **every** position (the prediction of the
# character after each input) and the recurrent state after the last
# position: for the LSTM the pair `(h, c)`, for the GRU the tensor `h`, each
# of shape `(1, N, hidden)`, exactly what `nn.LSTM` / `nn.GRU` return.
# Given a `state`, the network starts from it instead of zeros: running a
# sequence in two pieces, the second from the first's state, gives the same
# logits as running it whole. The model is causal: the logits at position
# `t` depend on the inputs up to `t` only.


# %%
class CharRNN(nn.Module):
    """Embedding → one LSTM or GRU layer (batch_first) → Linear.

    Args:
        vocab_size: V, the number of characters.
        embed: the embedding size.
        hidden: the recurrent layer's hidden size.
        cell: "lstm" or "gru".

    Raises:
        ValueError: cell is not "lstm" or "gru"; the message names cell.
    """

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256, cell: str = "lstm") -> None:
        super().__init__()
        ### BEGIN SOLUTION
        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        self.embedding = nn.Embedding(vocab_size, embed)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)
        ### END SOLUTION

    def forward(self, x: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        """x: (N, L) int64 ids; state: None or the state a previous call
        returned → (logits (N, L, V) float, the state after the last position)."""
        ### BEGIN SOLUTION
        out, state = self.rnn(self.embedding(x), state)
        return self.head(out), state
        ### END SOLUTION


# %% [markdown]
# ## Writing text
#
# `generate(model, vocab, prompt, length=200, temperature=None,
# generator=None)` returns **exactly `length` new characters** (the prompt
# is not included), each from the vocabulary:
#
# 1. put the model in evaluation mode (`model.eval()`: the handout's model
#    has dropout) and run everything under `torch.no_grad()`;
# 2. run the encoded prompt (`vocab.encode(prompt)`, shape (1, P), on the
#    model's device) through the model **once**, keeping the state;
# 3. `length` times: choose the next character from the logits at the last
#    position; to get the following logits, feed **only that character**
#    (shape (1, 1)) with the carried state.
#
# The model then sees `len(prompt) + length − 1` positions in all: the cost
# is linear in `length`. (The seed answer re-ran the whole growing sequence
# for every new character: `length²/2` positions, quadratic, and much
# slower.)
#
# The choice: with `temperature=None`, **greedy**, the most likely character
# (`argmax`); otherwise a sample from `softmax(logits / temperature)`
# (`torch.multinomial(probs, 1, generator=generator)`, or any other correct
# sampler that draws its randomness from `generator`). A small temperature
# sharpens the distribution (as it tends to 0 sampling becomes greedy), a
# large one flattens it. The same seeded generator gives the same text.
# Compute the probabilities with `torch.softmax` (never `exp(...) / sum`,
# which overflows for a temperature of 1e-4).
#
# `generate` uses the vocabulary only through `encode`, `decode` and `len`.
# An empty prompt, a `length` below 0 or a temperature `<= 0` is a
# `ValueError` naming the argument; `length = 0` gives `""`.


# %%
def generate(
    model: nn.Module,
    vocab: CharVocab,
    prompt: str,
    length: int = 200,
    temperature: float | None = None,
    generator: torch.Generator | None = None,
) -> str:
    """Write `length` characters after `prompt`, carrying the hidden state.

    Args:
        model: a CharRNN (or any module with the same forward(x, state)).
        vocab: the vocabulary (encode, decode).
        prompt: the non-empty text to start from.
        length: the number of new characters, >= 0.
        temperature: None for greedy; else > 0, the softmax temperature.
        generator: the torch.Generator sampling draws from (None: torch's
            global one).

    Returns:
        The `length` new characters (without the prompt).

    Raises:
        ValueError: an empty prompt, length < 0 or temperature <= 0.
    """
    ### BEGIN SOLUTION
    if not prompt:
        raise ValueError("prompt must not be empty: the model needs a character to start from")
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    if temperature is not None and temperature <= 0:
        raise ValueError(f"temperature must be > 0 (or None for greedy), got {temperature}")
    if length == 0:
        return ""
    device = next(model.parameters()).device
    model.eval()
    out: list[int] = []
    with torch.no_grad():
        x = vocab.encode(prompt).to(device).reshape(1, -1)
        logits, state = model(x)
        for step in range(length):
            last = logits[0, -1]
            if temperature is None:
                choice = int(last.argmax())
            else:
                probs = torch.softmax(last.double() / temperature, dim=-1)
                choice = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            out.append(choice)
            if step + 1 < length:
                logits, state = model(torch.tensor([[choice]], device=device), state)
    return vocab.decode(out)
    ### END SOLUTION


# %% [markdown]
# ## The losses
#
# **Focal loss.** The cross-entropy `−log p_t` (`p_t` the probability of the
# true class) still counts examples the model already gets right. The focal
# loss multiplies it by `(1 − p_t)^γ`, which is near 0 for easy examples
# (`p_t` near 1):
#
#     focal_loss(logits, targets, gamma) = mean over positions of −(1 − p_t)^γ · log p_t
#
# `logits` are `(N, C)` or `(N, L, C)` (**classes on the last axis**, as
# `CharRNN` returns them; `F.cross_entropy` wants them on axis 1),
# `targets` `(N,)` or `(N, L)` int64. With `γ = 0` it is the cross-entropy.
# Compute `log p_t` with `log_softmax` (logits of ±100 must give a finite
# loss).
#
# Worked example: logits `[[2, 0, 0], [0, 1, 0]]`, targets `[0, 0]`: `p_t` is
# `0.78699` and `0.21194`, `−log p_t` `0.23954` and `1.55144`. For `γ = 0`
# the loss is their mean `0.89549` (the cross-entropy); for `γ = 1`
# `(0.05103 + 1.22263) / 2 = 0.63683`; for `γ = 2`
# `(0.01087 + 0.96350) / 2 = 0.48719`: the easy first example counts little.
#
# **KL divergence.** `kl_loss(logits, target_probs)` is the mean over
# positions of `KL(q ‖ p) = Σ_c q_c (log q_c − log p_c)`, `p = softmax(logits)`
# and `q` the target distribution (same shape as `logits`), with
# `0 · log 0 = 0`. For a one-hot `q` it is exactly the cross-entropy: the
# handout's "cross-entropy and KL divergence are equal for one-hot targets".
# `F.kl_div(log_p, q, reduction="batchmean")` is the same for `(N, C)`
# logits; for `(N, L, C)` "batchmean" divides by `N` only, and
# `reduction="mean"` divides by `N · C`: neither is the mean over positions.
#
# Worked example: the logits above with `q = [[0.5, 0.5, 0], [0, 1, 0]]`:
# `KL = 0.54640` and `0.55144`, the loss `0.54892`; the second row, one-hot,
# is that row's cross-entropy `−log p_1 = 0.55144`.


# %%
def focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    """Mean focal loss −(1 − p_t)^γ log p_t over every position.

    Args:
        logits: (N, C) or (N, L, C) float logits, classes on the last axis.
        targets: (N,) or (N, L) int64 class ids (logits' shape without C).
        gamma: the focusing exponent γ >= 0 (0: the cross-entropy).

    Returns:
        0-dim tensor of logits' dtype, differentiable with respect to logits.
    """
    ### BEGIN SOLUTION
    log_p = F.log_softmax(logits, dim=-1)
    log_pt = log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    weight = (1 - log_pt.exp()) ** gamma
    return -(weight * log_pt).mean()
    ### END SOLUTION


# %%
def kl_loss(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """Mean over positions of KL(q ‖ softmax(logits)), with 0 · log 0 = 0.

    Args:
        logits: (N, C) or (N, L, C) float logits, classes on the last axis.
        target_probs: q, logits' shape, each row a probability distribution.

    Returns:
        0-dim tensor of logits' dtype, differentiable with respect to logits.
    """
    ### BEGIN SOLUTION
    log_p = F.log_softmax(logits, dim=-1)
    q = target_probs.to(log_p.dtype)
    return (torch.xlogy(q, q) - q * log_p).sum(-1).mean()
    ### END SOLUTION
