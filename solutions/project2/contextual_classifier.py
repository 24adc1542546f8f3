# %% [markdown]
# # P2-Q3 · Contextual embeddings and a recurrent head: hate-speech detection
#
# Tweets are labelled *hate speech* (0), *offensive* (1) or *neither* (2), and
# the classes are very imbalanced (396 / 5 722 / 1 212 tweets in the test
# split of the handout). A **frozen** pretrained transformer (BERT, HateBERT,
# or any Hugging Face encoder) reads each tweet and gives a contextual vector
# per token; only a small recurrent *head* on top of these vectors is trained.
#
# The pieces, in order:
#
# 1. `preprocess_tweet`: mentions, URLs and emojis become tokens, punctuation
#    goes, everything is lower-cased;
# 2. `freeze` and `encode_batch`: the encoder is frozen (no parameter learns)
#    and turns token ids into hidden states `(N, L, H)`;
# 3. `masked_pool`: the mean of a sentence's vectors over its **real** tokens,
#    whatever the padding;
# 4. `BiLSTMHead`: bidirectional LSTM → Linear 512 → Tanh → LayerNorm →
#    Dropout → Linear, padding-proof;
# 5. `inverse_frequency_weights` and `class_weighted_loss`: the imbalanced
#    classes weighed by their inverse frequency;
# 6. `evaluate`: the confusion matrix, per-class precision / recall / F1 and
#    the macro-F1 (accuracy hides a classifier that never says "hate").
#
# Tokenisation (a Hugging Face tokenizer), the data and the training loop are
# the experiment's (`dlkit run project2/contextual_classifier`). Batches are
# padded **on the right**: `attention_mask[i, t]` is 1 for the real tokens of
# tweet `i` (the first `length_i` positions) and 0 for the padding after
# them; every tweet has at least one real token (BERT's `[CLS]`).
#
# Every function here leaves the tensors it is given unchanged.

# %%
from __future__ import annotations

import html
import re
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

USER, URL, EMOJI = "<user>", "<url>", "<emoji>"

# %% [markdown]
# ## Pre-processing a tweet
#
# `preprocess_tweet(text)` applies these rules **in this order** and returns
# the result:
#
# 1. **HTML entities** are decoded (`html.unescape`): tweets arrive with
#    `&amp;`, `&lt;`, `&#128514;`;
# 2. **lower case** (`str.lower`);
# 3. **URLs** → `<url>`: a URL is `http://`, `https://` or `www.` followed by
#    every non-space character up to the next whitespace
#    (`(https?://|www\.)\S+`). URLs come before mentions, so the `@` inside
#    `http://a.b/@x` stays part of the one URL;
# 4. **mentions** → `<user>`: `@` followed by one or more word characters
#    (`@\w+`: letters, digits, underscores), wherever it stands;
# 5. **emojis** → `<emoji>`, **one token per emoji character**: a character
#    is an emoji when its code point lies in U+1F000–U+1FAFF (pictographs,
#    emoticons, transport, flags, skin tones, …) or in U+2600–U+27BF
#    (miscellaneous symbols and dingbats: ☀, ✔, ❤). The invisible joiners of
#    emoji sequences (U+FE0F, U+200D) are no letters: rule 6 removes them;
# 6. **punctuation removed**: outside the three tokens, every character that
#    is neither alphanumeric (`str.isalnum`) nor whitespace is **deleted**
#    (not replaced by a space: `don't` → `dont`). A `<user>`, `<url>` or
#    `<emoji>` already in the text counts as that token;
# 7. **whitespace**: the tokens stand as separate words; runs of whitespace
#    become one space, none at either end (`" ".join(text.split())`).
#
# The result holds only lower-case words made of alphanumeric characters and
# the three tokens, and preprocessing it again changes nothing.
#
# Worked examples:
#
# | tweet | preprocessed |
# |---|---|
# | `"@User_1 check THIS out http://t.co/AbC?x=1 !!!"` | `"<user> check this out <url>"` |
# | `"RT @a_b: you &amp; me"` | `"rt <user> you me"` |
# | `"I'm SO happy😂😂"` | `"im so happy <emoji> <emoji>"` |
# | `"☀️ sunny #Weekend"` | `"<emoji> sunny weekend"` |
# | `"http://a.b/@x"` | `"<url>"` |
# | `"mail a@b.com www.X.org/p"` | `"mail a <user> com <url>"` |
# | `"don't... stop!!"` | `"dont stop"` |
# | `"   "` | `""` |
#
# Pitfall: removing punctuation *before* the URLs and mentions destroys them
# (`http://t.co/x` becomes `httptcox`, `@user` becomes `user`).


# %%
def preprocess_tweet(text: str) -> str:
    """Normalise a tweet: entities decoded, lower case, URLs → <url>,
    mentions → <user>, emojis → <emoji>, punctuation deleted, whitespace
    collapsed (the rules and their order are in the text above).

    Args:
        text: the raw tweet.

    Returns:
        The preprocessed text: words and tokens separated by single spaces.
    """
    ### BEGIN SOLUTION
    text = html.unescape(text).lower()
    text = re.sub(r"(https?://|www\.)\S+", f" {URL} ", text)
    text = re.sub(r"@\w+", f" {USER} ", text)
    text = re.sub("[\U0001F000-\U0001FAFF\u2600-\u27BF]", f" {EMOJI} ", text)
    pieces = re.split(r"(<user>|<url>|<emoji>)", text)
    kept = []
    for piece in pieces:
        if piece in (USER, URL, EMOJI):
            kept.append(f" {piece} ")
        else:
            kept.append("".join(c for c in piece if c.isalnum() or c.isspace()))
    return " ".join("".join(kept).split())
    ### END SOLUTION


# %% [markdown]
# ## The frozen encoder
#
# The encoder is any Hugging Face model called as
# `encoder(input_ids=ids, attention_mask=mask)` whose output has a
# `last_hidden_state` of shape `(N, L, H)` (BERT: H = 768; all-MiniLM-L6-v2:
# H = 384). It is **not** trained:
#
# * `freeze(encoder)` sets `requires_grad = False` on **every** parameter,
#   puts the encoder in evaluation mode (`encoder.eval()`: no dropout, the
#   hidden states of a tweet are always the same) and returns the same
#   encoder object. A loss computed from its outputs then sends no gradient
#   into it, and an optimizer given `encoder.parameters()` has nothing to
#   update.
# * `encode_batch(encoder, input_ids, attention_mask)` runs the encoder under
#   `torch.no_grad()` (no graph is kept: the encoder's activations would
#   otherwise fill the memory) on `input_ids` and `attention_mask` moved to
#   the encoder's device, passing both **by keyword**, and returns
#   `last_hidden_state`: `(N, L, H)` float, requiring no gradient. It
#   changes neither the encoder's mode nor its parameters.
#
# Pitfall: calling the encoder without the attention mask lets every token
# attend to the padding, so a tweet's vectors depend on the batch it is in.


# %%
def freeze(encoder: nn.Module) -> nn.Module:
    """Freeze a pretrained encoder in place.

    Args:
        encoder: an nn.Module.

    Returns:
        The same encoder, in eval mode, with requires_grad False on every
        parameter.
    """
    ### BEGIN SOLUTION
    for p in encoder.parameters():
        p.requires_grad_(False)
    return encoder.eval()
    ### END SOLUTION


# %%
def encode_batch(encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The encoder's last hidden states, without gradient.

    Args:
        encoder: a Hugging Face-style encoder (keywords input_ids and
            attention_mask; an output with .last_hidden_state).
        input_ids: (N, L) int64 token ids.
        attention_mask: (N, L) int64, 1 for real tokens and 0 for padding.

    Returns:
        (N, L, H) float tensor on the encoder's device, requires_grad False.
    """
    ### BEGIN SOLUTION
    device = next(encoder.parameters()).device
    with torch.no_grad():
        out = encoder(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device))
    return out.last_hidden_state
    ### END SOLUTION


# %% [markdown]
# ## Pooling over the real tokens
#
# `masked_pool(states, attention_mask)` is the **mean of each row's vectors
# over its real tokens**:
#
#     pooled[i] = Σ_t mask[i, t] · states[i, t] / Σ_t mask[i, t]
#
# `states` is `(N, L, D)` float, `attention_mask` `(N, L)` of 0 / 1 (int64,
# bool or float), the result `(N, D)` of `states`' dtype. The values at the
# padded positions never matter (they may be anything finite), so the same
# sentence padded to 8 or to 32 positions pools to the same vector; a row
# without any real token pools to zeros.
#
# Worked example: `states = [[[1, 2], [3, 4], [100, 100]], [[5, 6], [7, 8],
# [9, 10]]]`, `attention_mask = [[1, 1, 0], [1, 1, 1]]` → `[[2, 3], [7, 8]]`
# (the plain mean over the first row would be `[34.67, 35.33]`).
#
# The seed answer took the vector at the **last position** (`states[:, -1]`),
# a padded position for every tweet shorter than the batch's longest: the
# prediction changed with the padding length.


# %%
def masked_pool(states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of states over the real positions of each row.

    Args:
        states: (N, L, D) float.
        attention_mask: (N, L) 0/1 (int, bool or float), 1 at real tokens.

    Returns:
        (N, D) tensor of states' dtype; zeros for a row without real tokens.
    """
    ### BEGIN SOLUTION
    mask = attention_mask.to(states.dtype).unsqueeze(-1)
    total = (states * mask).sum(dim=1)
    count = mask.sum(dim=1).clamp_min(1)
    return total / count
    ### END SOLUTION


# %% [markdown]
# ## The recurrent head
#
# `BiLSTMHead(hidden_size, lstm_size=384, n_classes=3, dropout=0.1,
# dense_size=512)` reads the encoder's states `(N, L, hidden_size)`:
#
#     states → nn.LSTM(hidden_size, lstm_size, batch_first=True, bidirectional=True)
#            → pooled (N, 2·lstm_size): [forward direction at the LAST REAL token,
#                                        backward direction at the FIRST token]
#            → nn.Sequential(nn.Linear(2·lstm_size, dense_size), nn.Tanh(),
#                            nn.LayerNorm(dense_size), nn.Dropout(dropout),
#                            nn.Linear(dense_size, n_classes))
#            → logits (N, n_classes)
#
# stored as the attributes `lstm` and `classifier`, in this order. The
# pooled vector holds what each direction has read of the **whole real
# tweet**: the forward LSTM after the last real token, the backward LSTM
# after reading back to the first token. The backward direction must start
# at the last **real** token, not at the end of the padding: give the LSTM a
# packed sequence (`pack_padded_sequence(states, lengths, batch_first=True,
# enforce_sorted=False)`, lengths `attention_mask.sum(1)` on the CPU); its
# final state `h_n` (shape `(2, N, lstm_size)`) then holds exactly the two
# halves, `h_n[0]` forward and `h_n[1]` backward.
#
# `forward(states, attention_mask)` returns the logits: the same tweet
# padded to 8 or to 32 positions gives the same logits (in eval mode), and a
# tweet's logits do not depend on the other tweets of the batch. The
# parameters: the LSTM's `2 · 4 · (hidden_size·l + l·l + 2l)` (l =
# lstm_size, PyTorch's two bias vectors per direction), then
# `2l·d + d + 2d + d·C + C` (d = dense_size, C = n_classes).
#
# Pitfall (the seed answer): `out, _ = lstm(states)` then `out[:, -1]`, the
# output at the last **padded** position; its backward half has read only
# padding, and the forward half has read the padding after the tweet.


# %%
class BiLSTMHead(nn.Module):
    """Bidirectional LSTM over the encoder's states → a dense classifier.

    Args:
        hidden_size: H, the encoder's hidden size.
        lstm_size: the LSTM's hidden size per direction.
        n_classes: C, the number of classes.
        dropout: the dropout probability before the last Linear.
        dense_size: the width of the dense layer (512 in the handout).
    """

    def __init__(self, hidden_size: int, lstm_size: int = 384, n_classes: int = 3, dropout: float = 0.1,
                 dense_size: int = 512) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.lstm = nn.LSTM(hidden_size, lstm_size, batch_first=True, bidirectional=True)
        self.classifier = nn.Sequential(
            nn.Linear(2 * lstm_size, dense_size),
            nn.Tanh(),
            nn.LayerNorm(dense_size),
            nn.Dropout(dropout),
            nn.Linear(dense_size, n_classes),
        )
        ### END SOLUTION

    def forward(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """states: (N, L, H) float; attention_mask: (N, L) 0/1, right padding
        → logits (N, n_classes) float."""
        ### BEGIN SOLUTION
        lengths = attention_mask.sum(dim=1).long().cpu()
        packed = pack_padded_sequence(states, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        pooled = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        return self.classifier(pooled)
        ### END SOLUTION


# %% [markdown]
# ## The class-weighted loss
#
# The offensive class is 78 % of the tweets: a model that always says
# "offensive" is right 78 % of the time and never finds hate speech, and the
# plain cross-entropy rewards it. Weighing each class by its inverse frequency evens it out.
#
# `inverse_frequency_weights(labels, n_classes)` gives class `c` the weight
# `N / (C · count_c)` (N labels, C classes; scikit-learn's "balanced"
# weights), and **0** to a class that does not occur. For the handout's test
# split (396 / 5 722 / 1 212 tweets, N = 7 330) that is `[6.1700, 0.4270,
# 2.0160]`; for `labels = [0, 1, 1, 1, 2, 2]` and 3 classes `[2, 0.6667, 1]`.
# A label outside `[0, n_classes)` is a `ValueError` naming `labels`.
#
# `class_weighted_loss(logits, labels, class_weights)` is the **weighted
# mean** of the cross-entropies: each example counts with the weight of its
# true class, and the sum is divided by the sum of those weights,
#
#     loss = Σ_i w[y_i] · (−log softmax(logits_i)[y_i]) / Σ_i w[y_i]
#
# which is `F.cross_entropy(logits, labels, weight=class_weights)`. Equal
# weights give the plain cross-entropy; multiplying every weight by a
# constant changes nothing.
#
# Worked example: logits `[[2, 0, 0], [0, 1, 0], [1, 1, 1]]`, labels
# `[0, 1, 2]`: the cross-entropies are `0.23954`, `0.55144`, `1.09861`
# (their plain mean `0.62987`); with weights `[1, 2, 4]` the loss is
# `(0.23954 + 2·0.55144 + 4·1.09861) / 7 = 0.81955`.


# %%
def inverse_frequency_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Balanced class weights N / (C · count_c), 0 for an absent class.

    Args:
        labels: (N,) int64 class labels in [0, n_classes).
        n_classes: C.

    Returns:
        (C,) float32 weights.

    Raises:
        ValueError: a label is outside [0, n_classes); the message names labels.
    """
    ### BEGIN SOLUTION
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {int(labels.min())} "
                         f"to {int(labels.max())}")
    counts = torch.bincount(labels.flatten().long(), minlength=n_classes).float()
    weights = labels.numel() / (n_classes * counts.clamp_min(1))
    return torch.where(counts > 0, weights, torch.zeros_like(weights))
    ### END SOLUTION


# %%
def class_weighted_loss(logits: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
    """Cross-entropy weighted by the true class, normalised by the weights.

    Args:
        logits: (N, C) float.
        labels: (N,) int64 in [0, C).
        class_weights: (C,) float, >= 0, not all of labels' weights 0.

    Returns:
        0-dim tensor of logits' dtype, differentiable with respect to logits.
    """
    ### BEGIN SOLUTION
    weights = class_weights.to(device=logits.device, dtype=logits.dtype)
    return torch.nn.functional.cross_entropy(logits, labels, weight=weights)
    ### END SOLUTION


# %% [markdown]
# ## Evaluation
#
# `evaluate(pred, target, n_classes)` returns a dict:
#
# * `"confusion"`: `(C, C)` int64, `confusion[i, j]` the number of examples
#   of **true** class `i` predicted as `j` (rows: the truth), as
#   scikit-learn's `confusion_matrix(target, pred, labels=range(C))`;
# * `"precision"`, `"recall"`, `"f1"`: `(C,)` float64, per class:
#   precision = TP / (TP + FP) (column-wise), recall = TP / (TP + FN)
#   (row-wise), F1 = 2·P·R / (P + R), each **0 where its denominator is 0**;
# * `"macro_f1"`: the plain mean of the C per-class F1 (a class absent from
#   both counts with F1 0), a Python float;
# * `"accuracy"`: the share of correct predictions, a Python float.
#
# These are scikit-learn's `precision_recall_fscore_support(target, pred,
# labels=range(C), zero_division=0)` and `f1_score(..., average="macro")`;
# write them with tensors here.
#
# Worked example: `target = [0, 0, 1, 1, 1, 2]`, `pred = [0, 1, 1, 1, 2, 1]`,
# C = 3: confusion `[[1, 1, 0], [0, 2, 1], [0, 1, 0]]`; precision
# `[1, 0.5, 0]`, recall `[0.5, 0.6667, 0]`, F1 `[0.6667, 0.5714, 0]`,
# macro-F1 `0.4127`, accuracy `0.5`.


# %%
def evaluate(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> dict[str, Any]:
    """Confusion matrix, per-class precision / recall / F1, macro-F1, accuracy.

    Args:
        pred: (N,) int64 predicted classes in [0, n_classes).
        target: (N,) int64 true classes in [0, n_classes).
        n_classes: C.

    Returns:
        {"confusion": (C, C) int64 (rows true), "precision", "recall", "f1":
        (C,) float64, "macro_f1": float, "accuracy": float}.
    """
    ### BEGIN SOLUTION
    pred, target = pred.flatten().long().cpu(), target.flatten().long().cpu()
    confusion = torch.bincount(target * n_classes + pred, minlength=n_classes * n_classes)
    confusion = confusion.reshape(n_classes, n_classes)
    tp = confusion.diag().double()
    predicted = confusion.sum(dim=0).double()
    actual = confusion.sum(dim=1).double()
    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), torch.zeros_like(tp))
    recall = torch.where(actual > 0, tp / actual.clamp_min(1), torch.zeros_like(tp))
    both = precision + recall
    f1 = torch.where(both > 0, 2 * precision * recall / both.clamp_min(1e-300), torch.zeros_like(tp))
    accuracy = float(tp.sum() / max(target.numel(), 1))
    return {"confusion": confusion, "precision": precision, "recall": recall, "f1": f1,
            "macro_f1": float(f1.mean()), "accuracy": accuracy}
    ### END SOLUTION
