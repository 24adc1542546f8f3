"""Correct answers to HW7-Q7 (hw7/word2vec) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/word2vec"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "tokenize_regex_sentence_ends",
        "tokenize",
        "cuts sentences with a regex that consumes the final punctuation mark, so no period is "
        "left for word_tokenize, and keeps tokens holding any alphanumeric character.",
        """\
    from nltk.tokenize import word_tokenize

    sentences = []
    for chunk in re.split(r"[.!?](?:\\s+|$)", corpus):
        words = [
            token.lower()
            for token in word_tokenize(chunk, preserve_line=True)
            if any(ch.isalnum() for ch in token)
        ]
        if words:
            sentences.append(words)
    return sentences
""",
    ),
    rewrite(
        "vocabulary_dict_loop",
        "Vocabulary",
        "counts with a plain dict in one loop (dicts keep insertion order) and filters in a "
        "second.",
        """\
        seen: dict[str, int] = {}
        for word in words:
            seen[word] = seen.get(word, 0) + 1
        self.itos, self.counts, self.stoi = [], [], {}
        for word, count in seen.items():
            if count >= min_count:
                self.stoi[word] = len(self.itos)
                self.itos.append(word)
                self.counts.append(count)
""",
    ),
    rewrite(
        "pairs_slicing_windows",
        "make_training_pairs",
        "slices the left and right windows out of each sentence's id list and stacks the pairs "
        "of every sentence, keeping an empty result two-dimensional.",
        """\
    rows: list[list[int]] = []
    for sentence in sentences:
        ids = [vocab.stoi[w] for w in sentence if w in vocab]
        for i, target in enumerate(ids):
            left = ids[max(0, i - window_size) : i]
            right = ids[i + 1 : i + 1 + window_size]
            rows.extend([target, context] for context in left + right)
    if not rows:
        return torch.empty((0, 2), dtype=torch.int64)
    return torch.as_tensor(rows, dtype=torch.int64)
""",
    ),
    rewrite(
        "forward_einsum",
        "Word2Vec",
        "contracts the two looked-up batches with torch.einsum.",
        """\
        return torch.einsum("bd,bd->b", self.in_embed(targets), self.out_embed(contexts))
""",
    ),
    rewrite(
        "forward_bmm",
        "Word2Vec",
        "computes each pair's dot product as a (1, D) @ (D, 1) batched matrix product.",
        """\
        v = self.in_embed(targets).unsqueeze(1)  # (B, 1, D)
        u = self.out_embed(contexts).unsqueeze(2)  # (B, D, 1)
        return torch.bmm(v, u).view(-1)
""",
    ),
    rewrite(
        "loss_softplus",
        "negative_sampling_loss",
        "uses −log σ(x) = softplus(−x), which is just as stable, and averages with sum / B.",
        """\
    per_pair = F.softplus(-pos_scores) + neg_weight * F.softplus(neg_scores).sum(dim=1)
    return per_pair.sum() / pos_scores.shape[0]
""",
    ),
    rewrite(
        "loss_bce_with_logits",
        "negative_sampling_loss",
        "writes both terms as binary cross-entropy with logits: the observed pairs against label 1, "
        "the noise pairs against label 0.",
        """\
    pos_term = F.binary_cross_entropy_with_logits(pos_scores, torch.ones_like(pos_scores), reduction="none")
    neg_term = F.binary_cross_entropy_with_logits(neg_scores, torch.zeros_like(neg_scores), reduction="none")
    return (pos_term + neg_weight * neg_term.sum(-1)).mean()
""",
    ),
    rewrite(
        "step_autograd_summed_loss",
        "sgns_step",
        "lets autograd differentiate the loss times the batch size (the summed loss), applies "
        "plain SGD to the .grad fields and clears them again.",
        """\
    shared = negatives.dim() == 1
    weight = (num_negatives or len(negatives)) / len(negatives) if shared else 1.0
    v = model.in_embed(targets)
    u = model.out_embed(contexts)
    if shared:
        neg = v @ model.out_embed(negatives).T
    else:
        neg = torch.einsum("bd,bkd->bk", v, model.out_embed(negatives))
    loss = negative_sampling_loss((v * u).sum(-1), neg, weight)
    tables = [model.in_embed.weight, model.out_embed.weight]
    for table in tables:
        table.grad = None
    (loss * len(targets)).backward()
    with torch.no_grad():
        for table in tables:
            table -= lr * table.grad
            table.grad = None
    return loss.item()
""",
    ),
    rewrite(
        "step_autograd_through_forward",
        "sgns_step",
        "scores the observed pairs and the noise words with the model's own forward (broadcasting the "
        "targets against the noise ids) and lets autograd differentiate the summed loss.",
        """\
    shared = negatives.dim() == 1
    weight = (num_negatives or len(negatives)) / len(negatives) if shared else 1.0
    pos = model(targets, contexts)
    if shared:
        neg = model(targets[:, None], negatives[None, :])
    else:
        neg = model(targets[:, None].expand_as(negatives), negatives)
    loss = negative_sampling_loss(pos, neg, weight)
    model.zero_grad()
    (loss * len(targets)).backward()
    with torch.no_grad():
        for table in (model.in_embed.weight, model.out_embed.weight):
            table -= lr * table.grad
    model.zero_grad()
    return loss.item()
""",
    ),
    rewrite(
        "train_optim_sgd_per_pair_noise",
        "train_word2vec",
        "builds the pairs once with make_training_pairs and trains with torch.optim.SGD on the "
        "summed negative-sampling loss, K noise words drawn per pair from unigram^0.75 and a "
        "constant learning rate (no subsampling, window shrinking or shared noise pool).",
        """\
    torch.manual_seed(seed)
    sentences = tokenize(corpus) if isinstance(corpus, str) else corpus
    vocab = Vocabulary([w for s in sentences for w in s], min_count=min_count)
    pairs = make_training_pairs(sentences, vocab, window_size)
    model = Word2Vec(len(vocab), embedding_dim)
    noise = torch.tensor(vocab.counts, dtype=torch.float) ** 0.75
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    step_size = min(batch_size, max(32, len(vocab)))
    for _ in range(num_epochs):
        shuffled = pairs[torch.randperm(len(pairs))]
        total, steps = 0.0, 0
        for batch in shuffled.split(step_size):
            targets, contexts = batch.unbind(1)
            negatives = torch.multinomial(noise, len(batch) * num_negatives, replacement=True)
            v = model.in_embed(targets)
            u_neg = model.out_embed(negatives.view(len(batch), num_negatives))
            neg_scores = (u_neg @ v.unsqueeze(-1)).squeeze(-1)
            mean_loss = negative_sampling_loss(model(targets, contexts), neg_scores)
            optimizer.zero_grad()
            (mean_loss * len(batch)).backward()
            optimizer.step()
            total += mean_loss.item()
            steps += 1
        model.loss_history.append(total / max(steps, 1))
    return vocab, model
""",
    ),
    rewrite(
        "similar_cosine_similarity_sorted",
        "k_most_similar",
        "scores with F.cosine_similarity (which floors the norms, so a zero vector gives 0) and "
        "ranks the other words with sorted().",
        """\
    if goal not in stoi:
        raise KeyError(f"{goal!r} is not in the vocabulary")
    vectors = embeddings.detach().float()
    similarity = F.cosine_similarity(vectors, vectors[stoi[goal]].unsqueeze(0), dim=1)
    others = [(word, similarity[row].item()) for word, row in stoi.items() if word != goal]
    return sorted(others, key=lambda pair: pair[1], reverse=True)[: max(k, 0)]
""",
    ),
    rewrite(
        "vocabulary_most_common",
        "Vocabulary",
        "gensim's way: words by decreasing count from Counter.most_common (ties in order of first "
        "appearance), the rare ones dropped.",
        """\
        frequency = Counter(words)
        kept = [(word, count) for word, count in frequency.most_common() if count >= min_count]
        self.itos = [word for word, _ in kept]
        self.counts = [count for _, count in kept]
        self.stoi = {word: index for index, word in enumerate(self.itos)}
""",
    ),
    rewrite(
        "pairs_centre_outwards",
        "make_training_pairs",
        "checks that it was given a Vocabulary, then walks each window from the centre outwards "
        "(distance 1 on both sides, then 2, ...), as word2vec's C code reads it.",
        """\
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab: expected a Vocabulary, got {type(vocab).__name__}")
    pairs = []
    for sentence in sentences:
        ids = [vocab[w] for w in sentence if w in vocab]
        for i, target in enumerate(ids):
            for distance in range(1, window_size + 1):
                for j in (i - distance, i + distance):
                    if 0 <= j < len(ids):
                        pairs.append([target, ids[j]])
    return torch.tensor(pairs, dtype=torch.int64).view(-1, 2)
""",
    ),
    rewrite(
        "pairs_itertools",
        "make_training_pairs",
        "builds each sentence's pairs with itertools.product over positions, keeping those at most "
        "window_size apart, and chains the sentences together.",
        """\
    import itertools

    def sentence_pairs(words):
        ids = [vocab.stoi[w] for w in words if w in vocab.stoi]
        return (
            (ids[i], ids[j])
            for i, j in itertools.product(range(len(ids)), repeat=2)
            if 0 < abs(i - j) <= window_size
        )

    chained = list(itertools.chain.from_iterable(sentence_pairs(s) for s in sentences))
    return torch.tensor(chained, dtype=torch.long).reshape(len(chained), 2)
""",
    ),
    rewrite(
        "loss_sigmoid_log_clamped",
        "negative_sampling_loss",
        "the formula as written, −(log σ(u·v) + Σ log σ(−u·n)), with σ clamped away from 0 before "
        "the log so that extreme scores stay finite.",
        """\
    eps = 1e-10
    positive = torch.sigmoid(pos_scores).clamp(min=eps).log()
    noise = torch.sigmoid(-neg_scores).clamp(min=eps).log().sum(dim=-1)
    return -(positive + neg_weight * noise).mean()
""",
    ),
    rewrite(
        "similar_cosine_topk",
        "k_most_similar",
        "F.cosine_similarity of every row with the goal's, the goal masked out, then torch.topk.",
        """\
    if goal not in stoi:
        raise KeyError(f"{goal!r} is not in the vocabulary")
    index_to_word = {index: word for word, index in stoi.items()}
    with torch.no_grad():
        query = embeddings[stoi[goal]].unsqueeze(0)
        similarity = F.cosine_similarity(embeddings, query, dim=1)
        similarity[stoi[goal]] = float("-inf")
        values, indices = torch.topk(similarity, min(k, len(stoi) - 1))
    return [(index_to_word[i], v) for v, i in zip(values.tolist(), indices.tolist())]
""",
    ),
    rewrite(
        "similar_normalised_matmul_argsort",
        "k_most_similar",
        "normalises the rows with F.normalize, scores them with one matrix product and ranks them "
        "with argsort(descending=True), skipping the goal.",
        """\
    if goal not in stoi:
        raise KeyError(f"{goal!r} is not in the vocabulary")
    itos = sorted(stoi, key=stoi.get)
    unit = F.normalize(embeddings.detach(), dim=1)
    scores = unit @ unit[stoi[goal]]
    ranked = [i for i in scores.argsort(descending=True).tolist() if i != stoi[goal]]
    return [(itos[i], scores[i].item()) for i in ranked[: max(k, 0)]]
""",
    ),
]
