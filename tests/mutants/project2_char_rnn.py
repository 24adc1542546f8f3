"""Realistic wrong answers to P2-Q2 (project2/char_rnn), one mistake each.

ASSIGNMENTS.md names the seed answer's mistake first: generation re-ran the
whole sequence for every new character (quadratic). The others are the
usual slips of character models: an unsorted vocabulary, windows of stride
one, targets not shifted, a state that is not carried, Keras habits
(the last step only, a softmax inside the model), and the losses' axes,
reductions and 0 · log 0."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "project2/char_rnn"

MUTANTS: list[Variant] = [
    # ------------------------------------------------------ the seed's mistake
    Variant(
        MODULE, "generate_reruns_whole_sequence", "generate",
        "the seed answer: every new character re-runs the whole growing sequence from a zero state, "
        "length²/2 positions instead of length.",
        old="""            if step + 1 < length:
                logits, state = model(torch.tensor([[choice]], device=device), state)
""",
        new="""            if step + 1 < length:
                x = torch.cat([x, torch.tensor([[choice]], device=device)], dim=1)
                logits, state = model(x)
""",
    ),
    # ------------------------------------------------------------- generate
    Variant(
        MODULE, "generate_state_not_carried", "generate",
        "feeds each new character alone but forgets to pass the state back, so the model restarts from zeros.",
        old="logits, state = model(torch.tensor([[choice]], device=device), state)",
        new="logits, state = model(torch.tensor([[choice]], device=device))",
    ),
    Variant(
        MODULE, "generate_includes_prompt", "generate",
        "returns the prompt followed by the new characters (the handout printed them together).",
        old="    return vocab.decode(out)\n",
        new="    return prompt + vocab.decode(out)\n",
    ),
    Variant(
        MODULE, "generate_multiplies_by_temperature", "generate",
        "multiplies the logits by the temperature instead of dividing: a high temperature sharpens.",
        old="last.double() / temperature",
        new="last.double() * temperature",
    ),
    Variant(
        MODULE, "generate_ignores_generator", "generate",
        "samples from torch's global generator, so the seed given does not fix the text.",
        old="torch.multinomial(probs.cpu(), 1, generator=generator)",
        new="torch.multinomial(probs.cpu(), 1)",
    ),
    Variant(
        MODULE, "generate_train_mode", "generate",
        "never calls model.eval(): dropout stays on while writing.",
        old="    model.eval()\n    out: list[int] = []\n",
        new="    out: list[int] = []\n",
    ),
    Variant(
        MODULE, "generate_builds_graph", "generate",
        "runs the model with gradients enabled, building a graph for every character.",
        old="    with torch.no_grad():\n        x = vocab.encode(prompt)",
        new="    with torch.enable_grad():\n        x = vocab.encode(prompt)",
    ),
    Variant(
        MODULE, "generate_exp_over_sum", "generate",
        "writes the softmax as exp(z / T) / Σ exp(z / T) in float32, which overflows for a small temperature.",
        old="probs = torch.softmax(last.double() / temperature, dim=-1)",
        new="probs = torch.exp(last / temperature)\n                probs = probs / probs.sum()",
    ),
    # ------------------------------------------------------------ CharVocab
    Variant(
        MODULE, "vocab_first_appearance", "CharVocab",
        "keeps the characters in order of first appearance (dict.fromkeys), not sorted: the ids depend on the text.",
        old="self.chars = sorted(set(text))",
        new="self.chars = list(dict.fromkeys(text))",
    ),
    Variant(
        MODULE, "vocab_encode_keeps_case", "CharVocab",
        "lower-cases the corpus but not the text given to encode, so 'Hello' has an unknown 'H'.",
        old="        if self.lowercase:\n            text = text.lower()\n        missing",
        new="        missing",
    ),
    Variant(
        MODULE, "vocab_key_error", "CharVocab",
        "looks each character up in the dict directly: an unknown one raises KeyError, not ValueError.",
        old="""        if missing:
            raise ValueError(f"{missing[0]!r} is not in the vocabulary")
""",
        new="",
    ),
    Variant(
        MODULE, "vocab_always_lowercase", "CharVocab",
        "lower-cases the corpus whatever lowercase says.",
        old="        if lowercase:\n            text = text.lower()\n        self.chars",
        new="        text = text.lower()\n        self.chars",
    ),
    # ------------------------------------------------------- make_sequences
    Variant(
        MODULE, "sequences_stride_one", "make_sequences",
        "cuts overlapping windows starting at every position (stride 1), as for the stock windows.",
        old="""    inputs = ids[: n * seq_length].reshape(n, seq_length)
    targets = ids[1 : n * seq_length + 1].reshape(n, seq_length)
""",
        new="""    inputs = ids[:-1].unfold(0, seq_length, 1)
    targets = ids[1:].unfold(0, seq_length, 1)
""",
    ),
    Variant(
        MODULE, "sequences_count_t_over_l", "make_sequences",
        "counts T // L sequences, forgetting that the last input needs a following character.",
        old="    n = (len(ids) - 1) // seq_length\n",
        new="    n = len(ids) // seq_length\n",
    ),
    Variant(
        MODULE, "sequences_targets_not_shifted", "make_sequences",
        "takes the targets from the same positions as the inputs (no shift).",
        old="targets = ids[1 : n * seq_length + 1]",
        new="targets = ids[: n * seq_length]",
    ),
    Variant(
        MODULE, "sequences_no_length_check", "make_sequences",
        "returns empty tensors for ids too short for one sequence instead of raising.",
        old="""    if n < 1:
        raise ValueError(f"seq_length {seq_length} needs more than {seq_length} ids, got {len(ids)}")
""",
        new="",
    ),
    # -------------------------------------------------------------- CharRNN
    Variant(
        MODULE, "rnn_not_batch_first", "CharRNN",
        "leaves batch_first off, so the LSTM reads the batch as time and the time as batch.",
        old="self.rnn = recurrent(embed, hidden, batch_first=True)",
        new="self.rnn = recurrent(embed, hidden)",
    ),
    Variant(
        MODULE, "rnn_cell_ignored", "CharRNN",
        "always builds an LSTM, whatever cell asks for.",
        old='recurrent = nn.LSTM if cell == "lstm" else nn.GRU',
        new="recurrent = nn.LSTM",
    ),
    Variant(
        MODULE, "rnn_state_ignored", "CharRNN",
        "drops the state argument: every call starts from zeros.",
        old="out, state = self.rnn(self.embedding(x), state)",
        new="out, state = self.rnn(self.embedding(x))",
    ),
    Variant(
        MODULE, "rnn_bidirectional", "CharRNN",
        "copies a bidirectional LSTM from a classifier: it reads the future, so it is not causal.",
        old="""        self.rnn = recurrent(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)""",
        new="""        self.rnn = recurrent(embed, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, vocab_size)""",
    ),
    Variant(
        MODULE, "rnn_last_step_only", "CharRNN",
        "Keras's return_sequences=False habit: logits for the last position only.",
        old="return self.head(out), state",
        new="return self.head(out[:, -1:]), state",
    ),
    Variant(
        MODULE, "rnn_softmax_output", "CharRNN",
        "ends with a softmax as the Keras model did, so the cross-entropy is taken of probabilities.",
        old="return self.head(out), state",
        new="return torch.softmax(self.head(out), dim=-1), state",
    ),
    Variant(
        MODULE, "rnn_bad_cell_silent", "CharRNN",
        "treats every cell other than 'lstm' as a GRU without checking it.",
        old="""        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
""",
        new="",
    ),
    # ----------------------------------------------------------- the losses
    Variant(
        MODULE, "focal_weight_p_t", "focal_loss",
        "weighs by p_t^γ instead of (1 − p_t)^γ, which stresses the easy examples.",
        old="weight = (1 - log_pt.exp()) ** gamma",
        new="weight = log_pt.exp() ** gamma",
    ),
    Variant(
        MODULE, "focal_softmax_axis_one", "focal_loss",
        "takes the softmax over axis 1, as F.cross_entropy's class axis, which for (N, L, C) logits is the time.",
        old="    log_p = F.log_softmax(logits, dim=-1)\n    log_pt",
        new="    log_p = F.log_softmax(logits, dim=1)\n    log_pt",
    ),
    Variant(
        MODULE, "focal_sum", "focal_loss",
        "sums over the positions instead of averaging.",
        old="return -(weight * log_pt).mean()",
        new="return -(weight * log_pt).sum()",
    ),
    Variant(
        MODULE, "focal_log_of_softmax", "focal_loss",
        "takes log(softmax(logits)), which is -inf where the softmax underflows.",
        old="    log_p = F.log_softmax(logits, dim=-1)\n    log_pt",
        new="    log_p = torch.log(torch.softmax(logits, dim=-1))\n    log_pt",
    ),
    Variant(
        MODULE, "kl_no_log_softmax", "kl_loss",
        "hands the logits to F.kl_div, which expects log-probabilities.",
        old="    return (torch.xlogy(q, q) - q * log_p).sum(-1).mean()\n",
        new="    return F.kl_div(logits, q, reduction='batchmean')\n",
    ),
    Variant(
        MODULE, "kl_reduction_mean", "kl_loss",
        "uses F.kl_div's reduction='mean', which divides by the number of entries N · C, not of rows.",
        old="    return (torch.xlogy(q, q) - q * log_p).sum(-1).mean()\n",
        new="    return F.kl_div(log_p, q, reduction='mean')\n",
    ),
    Variant(
        MODULE, "kl_batchmean_for_sequences", "kl_loss",
        "uses reduction='batchmean', right for (N, C) but dividing by N only for (N, L, C).",
        old="    return (torch.xlogy(q, q) - q * log_p).sum(-1).mean()\n",
        new="    return F.kl_div(log_p, q, reduction='batchmean')\n",
    ),
    Variant(
        MODULE, "kl_zero_log_zero_nan", "kl_loss",
        "writes q · log q without the convention 0 · log 0 = 0: NaN for one-hot targets.",
        old="torch.xlogy(q, q)",
        new="q * torch.log(q)",
    ),
    Variant(
        MODULE, "kl_is_cross_entropy", "kl_loss",
        "computes the soft-target cross-entropy −Σ q log p, forgetting the entropy of q (equal only for one-hot q).",
        old="(torch.xlogy(q, q) - q * log_p)",
        new="(-q * log_p)",
    ),
]
