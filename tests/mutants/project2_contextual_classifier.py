"""Realistic wrong answers to P2-Q3 (project2/contextual_classifier), one mistake each.

ASSIGNMENTS.md names the seed answer's mistake first: the LSTM output taken
at the last padded position of a bidirectional LSTM (the prediction depends
on the padding length). The others are the usual slips: pre-processing
rules in the wrong order or left out, an encoder frozen in part or still
building a graph, a pooling that counts the padding, the head's layers out
of order, weights and losses normalised the wrong way, a confusion matrix
transposed."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "project2/contextual_classifier"

MUTANTS: list[Variant] = [
    # ------------------------------------------------------ the seed's mistake
    Variant(
        MODULE, "head_last_padded_position", "BiLSTMHead",
        "the seed answer: runs the LSTM on the padded batch and reads its output at the last position, a padded "
        "position for every tweet shorter than the longest.",
        old="""        lengths = attention_mask.sum(dim=1).long().cpu()
        packed = pack_padded_sequence(states, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        pooled = torch.cat([h_n[-2], h_n[-1]], dim=-1)
""",
        new="""        out, _ = self.lstm(states)
        pooled = out[:, -1]
""",
    ),
    Variant(
        MODULE, "pool_last_position", "masked_pool",
        "the seed answer's pooling: the vector at the last position, whatever the mask says.",
        old="    return total / count\n",
        new="    return states[:, -1]\n",
    ),
    # ------------------------------------------------------- preprocess_tweet
    Variant(
        MODULE, "preprocess_punctuation_first", "preprocess_tweet",
        "deletes punctuation first, the rule listed first in many tutorials: URLs and mentions lose their '://' "
        "and '@' and are never found.",
        old="    text = html.unescape(text).lower()\n",
        new="    text = ''.join(c for c in html.unescape(text).lower() if c.isalnum() or c.isspace() or c in '<>')\n",
    ),
    Variant(
        MODULE, "preprocess_mentions_before_urls", "preprocess_tweet",
        "replaces mentions before URLs: the '@' inside a URL cuts it in two.",
        old="""    text = re.sub(r"(https?://|www\\.)\\S+", f" {URL} ", text)
    text = re.sub(r"@\\w+", f" {USER} ", text)
""",
        new="""    text = re.sub(r"@\\w+", f" {USER} ", text)
    text = re.sub(r"(https?://|www\\.)\\S+", f" {URL} ", text)
""",
    ),
    Variant(
        MODULE, "preprocess_no_lowercase", "preprocess_tweet",
        "forgets to lower-case (the tokenizer of an uncased model would do it, but the text says to).",
        old="    text = html.unescape(text).lower()\n",
        new="    text = html.unescape(text)\n",
    ),
    Variant(
        MODULE, "preprocess_punctuation_to_space", "preprocess_tweet",
        "replaces punctuation by a space instead of deleting it: don't becomes 'don t'.",
        old='kept.append("".join(c for c in piece if c.isalnum() or c.isspace()))',
        new='kept.append("".join(c if c.isalnum() or c.isspace() else " " for c in piece))',
    ),
    Variant(
        MODULE, "preprocess_no_unescape", "preprocess_tweet",
        "leaves the HTML entities: '&amp;' becomes the word 'amp'.",
        old="    text = html.unescape(text).lower()\n",
        new="    text = text.lower()\n",
    ),
    Variant(
        MODULE, "preprocess_emoji_run_one_token", "preprocess_tweet",
        "matches a run of emojis as one token (a '+' in the pattern): three laughing faces count once.",
        old='re.sub("[\\U0001F000-\\U0001FAFF\\u2600-\\u27BF]", f" {EMOJI} ", text)',
        new='re.sub("[\\U0001F000-\\U0001FAFF\\u2600-\\u27BF]+", f" {EMOJI} ", text)',
    ),
    Variant(
        MODULE, "preprocess_http_only", "preprocess_tweet",
        "finds only URLs that start with http: 'www.' addresses stay as words.",
        old='re.sub(r"(https?://|www\\.)\\S+"',
        new='re.sub(r"https?://\\S+"',
    ),
    # ----------------------------------------------------------------- freeze
    Variant(
        MODULE, "freeze_no_eval", "freeze",
        "turns off the gradients but leaves the encoder in train mode: its dropout changes the states every call.",
        old="    return encoder.eval()\n",
        new="    return encoder\n",
    ),
    Variant(
        MODULE, "freeze_embeddings_only", "freeze",
        "freezes the embedding layer only (a common recipe for fine-tuning), the rest still learns.",
        old="    for p in encoder.parameters():\n        p.requires_grad_(False)\n",
        new="    for p in encoder.embeddings.parameters():\n        p.requires_grad_(False)\n",
    ),
    Variant(
        MODULE, "freeze_returns_none", "freeze",
        "freezes in place and returns nothing.",
        old="    return encoder.eval()\n",
        new="    encoder.eval()\n",
    ),
    # ----------------------------------------------------------- encode_batch
    Variant(
        MODULE, "encode_keeps_graph", "encode_batch",
        "calls the encoder without torch.no_grad(): the graph of a 110M-parameter model is kept for nothing.",
        old="""    with torch.no_grad():
        out = encoder(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device))
""",
        new="""    out = encoder(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device))
""",
    ),
    Variant(
        MODULE, "encode_no_mask", "encode_batch",
        "passes the ids only: every token attends to the padding.",
        old="out = encoder(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device))",
        new="out = encoder(input_ids=input_ids.to(device))",
    ),
    Variant(
        MODULE, "encode_cls_only", "encode_batch",
        "returns the [CLS] vector last_hidden_state[:, 0] (what a linear probe uses), not the states of every token.",
        old="    return out.last_hidden_state\n",
        new="    return out.last_hidden_state[:, 0]\n",
    ),
    # ------------------------------------------------------------ masked_pool
    Variant(
        MODULE, "pool_plain_mean", "masked_pool",
        "averages over every position, the padding included.",
        old="    return total / count\n",
        new="    return states.mean(dim=1)\n",
    ),
    Variant(
        MODULE, "pool_divides_by_length", "masked_pool",
        "sums the real positions but divides by the padded length L.",
        old="    count = mask.sum(dim=1).clamp_min(1)\n",
        new="    count = states.shape[1]\n",
    ),
    Variant(
        MODULE, "pool_empty_row_nan", "masked_pool",
        "divides by the count of real tokens without guarding 0: a row without real tokens gives NaN.",
        old="    count = mask.sum(dim=1).clamp_min(1)\n",
        new="    count = mask.sum(dim=1)\n",
    ),
    # ------------------------------------------------------------- BiLSTMHead
    Variant(
        MODULE, "head_not_packed", "BiLSTMHead",
        "reads the final states h_n of an LSTM run on the padded batch: the forward direction has read the "
        "padding after the tweet, the backward one starts in it.",
        old="        _, (h_n, _) = self.lstm(packed)\n",
        new="        _, (h_n, _) = self.lstm(states)\n",
    ),
    Variant(
        MODULE, "head_sorted_lengths", "BiLSTMHead",
        "packs without enforce_sorted=False: a batch whose tweets are not sorted by length raises.",
        old="pack_padded_sequence(states, lengths, batch_first=True, enforce_sorted=False)",
        new="pack_padded_sequence(states, lengths, batch_first=True)",
    ),
    Variant(
        MODULE, "head_norm_before_tanh", "BiLSTMHead",
        "puts the LayerNorm before the Tanh.",
        old="""            nn.Tanh(),
            nn.LayerNorm(dense_size),
""",
        new="""            nn.LayerNorm(dense_size),
            nn.Tanh(),
""",
    ),
    Variant(
        MODULE, "head_relu", "BiLSTMHead",
        "uses a ReLU, the usual activation, where the handout has a Tanh.",
        old="            nn.Tanh(),\n",
        new="            nn.ReLU(),\n",
    ),
    Variant(
        MODULE, "head_unidirectional", "BiLSTMHead",
        "forgets bidirectional=True and stacks two layers instead, so h_n still has two rows: two forward states.",
        old="""        self.lstm = nn.LSTM(hidden_size, lstm_size, batch_first=True, bidirectional=True)""",
        new="""        self.lstm = nn.LSTM(hidden_size, lstm_size, batch_first=True, num_layers=2)""",
    ),
    # ---------------------------------------------- inverse_frequency_weights
    Variant(
        MODULE, "weights_frequency", "inverse_frequency_weights",
        "returns the class frequencies count_c / N instead of their inverse: the frequent class weighs most.",
        old="    weights = labels.numel() / (n_classes * counts.clamp_min(1))\n",
        new="    weights = counts / labels.numel()\n",
    ),
    Variant(
        MODULE, "weights_one_over_count", "inverse_frequency_weights",
        "uses 1 / count_c without the factor N / C.",
        old="    weights = labels.numel() / (n_classes * counts.clamp_min(1))\n",
        new="    weights = 1 / counts.clamp_min(1)\n",
    ),
    Variant(
        MODULE, "weights_absent_class", "inverse_frequency_weights",
        "gives an absent class the weight of a class seen once instead of 0.",
        old="    return torch.where(counts > 0, weights, torch.zeros_like(weights))\n",
        new="    return weights\n",
    ),
    Variant(
        MODULE, "weights_no_check", "inverse_frequency_weights",
        "never checks the labels: bincount grows the weights for a label >= n_classes.",
        old="""    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):""",
        new="""    if False:""",
    ),
    # -------------------------------------------------- class_weighted_loss
    Variant(
        MODULE, "loss_divides_by_n", "class_weighted_loss",
        "multiplies each cross-entropy by its weight and takes the plain mean (divides by N, not by the weights).",
        old="    return torch.nn.functional.cross_entropy(logits, labels, weight=weights)\n",
        new="    return (torch.nn.functional.cross_entropy(logits, labels, reduction='none') * weights[labels]).mean()\n",
    ),
    Variant(
        MODULE, "loss_ignores_weights", "class_weighted_loss",
        "forgets to pass the weights to the cross-entropy.",
        old="    return torch.nn.functional.cross_entropy(logits, labels, weight=weights)\n",
        new="    return torch.nn.functional.cross_entropy(logits, labels)\n",
    ),
    # --------------------------------------------------------------- evaluate
    Variant(
        MODULE, "evaluate_transposed", "evaluate",
        "counts pred × C + target: rows are the predictions, not the truth.",
        old="    confusion = torch.bincount(target * n_classes + pred, minlength=n_classes * n_classes)\n",
        new="    confusion = torch.bincount(pred * n_classes + target, minlength=n_classes * n_classes)\n",
    ),
    Variant(
        MODULE, "evaluate_precision_recall_swapped", "evaluate",
        "divides TP by the row sums for precision and by the column sums for recall.",
        old="""    predicted = confusion.sum(dim=0).double()
    actual = confusion.sum(dim=1).double()
""",
        new="""    predicted = confusion.sum(dim=1).double()
    actual = confusion.sum(dim=0).double()
""",
    ),
    Variant(
        MODULE, "evaluate_macro_over_present", "evaluate",
        "averages the F1 over the classes that occur only (scikit-learn without labels=), not over the C classes.",
        old='"macro_f1": float(f1.mean())',
        new='"macro_f1": float(f1[(predicted + actual) > 0].mean())',
    ),
    Variant(
        MODULE, "evaluate_weighted_f1", "evaluate",
        "weighs each class's F1 by its support (average='weighted'), which hides the rare hate class again.",
        old='"macro_f1": float(f1.mean())',
        new='"macro_f1": float((f1 * actual).sum() / actual.sum().clamp_min(1))',
    ),
    Variant(
        MODULE, "evaluate_nan_precision", "evaluate",
        "divides without guarding zero: a class never predicted gets precision NaN.",
        old="    precision = torch.where(predicted > 0, tp / predicted.clamp_min(1), torch.zeros_like(tp))\n",
        new="    precision = tp / predicted\n",
    ),
]
