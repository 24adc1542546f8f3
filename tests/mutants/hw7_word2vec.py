"""Realistic wrong answers to HW7-Q7 (hw7/word2vec), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: sgns_step and train_word2vec are graded with stand-ins for the items
they call, so a broken loss or vocabulary costs points once, where it is
written.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/word2vec"

MUTANTS: list[Variant] = [
    # --------------------------------------------------------------- tokenize
    Variant(
        MODULE,
        name="tokenize_keeps_case",
        item="tokenize",
        why="without lower() 'It' and 'it' become two words, which students miss because their "
        "own test sentence starts with a word that never recurs.",
        old="tokens = [t.lower() for t in word_tokenize(chunk, preserve_line=True)]",
        new="tokens = list(word_tokenize(chunk, preserve_line=True))",
    ),
    Variant(
        MODULE,
        name="tokenize_keeps_punctuation",
        item="tokenize",
        why="word_tokenize returns '!' and ',' as tokens of their own, and students forget to "
        "drop them, so punctuation becomes the most frequent 'word'.",
        old="        tokens = [t for t in tokens if _HAS_WORD.search(t)]\n",
        new="",
    ),
    Variant(
        MODULE,
        name="tokenize_alphabetic_only",
        item="tokenize",
        why="str.isalpha() is the first filter students reach for to drop punctuation, and it "
        "drops numbers such as '2024' too.",
        old="tokens = [t for t in tokens if _HAS_WORD.search(t)]",
        new="tokens = [t for t in tokens if t.isalpha()]",
    ),
    Variant(
        MODULE,
        name="tokenize_no_sentence_split",
        item="tokenize",
        why="tokenising the whole text at once gives one 'sentence', so windows run across "
        "sentence ends (and word_tokenize leaves inner periods on their words).",
        old="for chunk in _SENTENCE_END.split(corpus.strip()):",
        new="for chunk in [corpus.strip()]:",
    ),
    Variant(
        MODULE,
        name="tokenize_split_on_period_only",
        item="tokenize",
        why="corpus.split('.') is the usual quick sentence splitter, and it ignores sentences "
        "ending in '!' or '?'.",
        old="for chunk in _SENTENCE_END.split(corpus.strip()):",
        new='for chunk in corpus.strip().split("."):',
    ),
    Variant(
        MODULE,
        name="tokenize_whitespace_split",
        item="tokenize",
        why="str.split() instead of word_tokenize leaves punctuation glued to the words, e.g. "
        "'fascinating!' as one token.",
        old="tokens = [t.lower() for t in word_tokenize(chunk, preserve_line=True)]",
        new="tokens = [t.lower() for t in chunk.split()]",
    ),
    Variant(
        MODULE,
        name="tokenize_needs_punkt",
        item="tokenize",
        why="plain word_tokenize(text) calls nltk's sentence splitter, which needs the punkt "
        "download: it works on a machine that has it and raises LookupError on one without.",
        old="tokens = [t.lower() for t in word_tokenize(chunk, preserve_line=True)]",
        new="tokens = [t.lower() for t in word_tokenize(chunk)]",
    ),
    # ------------------------------------------------------------- Vocabulary
    Variant(
        MODULE,
        name="vocab_sorted",
        item="Vocabulary",
        why="sorted(set(words)) is a common way to build a vocabulary; the docstring asks for "
        "the corpus's order (first appearance or by count), so it loses the order test alone.",
        old="self.itos = [w for w, n in frequency.items() if n >= min_count]",
        new="self.itos = sorted(w for w, n in frequency.items() if n >= min_count)",
    ),
    Variant(
        MODULE,
        name="vocab_min_count_strict",
        item="Vocabulary",
        why="'> min_count' reads as 'more than min_count' and drops the words seen exactly "
        "min_count times: with the default of 1, every word seen once.",
        old="self.itos = [w for w, n in frequency.items() if n >= min_count]",
        new="self.itos = [w for w, n in frequency.items() if n > min_count]",
    ),
    Variant(
        MODULE,
        name="vocab_counts_of_every_word",
        item="Vocabulary",
        why="taking the Counter's values as counts keeps the counts of the words min_count "
        "dropped, so counts[i] no longer belongs to itos[i].",
        old="self.counts = [frequency[w] for w in self.itos]",
        new="self.counts = list(frequency.values())",
    ),
    Variant(
        MODULE,
        name="vocab_set_order",
        item="Vocabulary",
        why="building itos from set(words) gives each word once, but in an order that changes from "
        "run to run (string hashing), so the same corpus gets other ids on the next run.",
        old="self.itos = [w for w, n in frequency.items() if n >= min_count]",
        new="self.itos = [w for w in set(frequency) if frequency[w] >= min_count]",
    ),
    # ---------------------------------------------------- make_training_pairs
    Variant(
        MODULE,
        name="pairs_window_in_total",
        item="make_training_pairs",
        why="reading window_size as the whole window's width (half on each side) is one of the "
        "two meanings seen in real answers; the module defines it per side.",
        old="for j in range(max(0, i - window_size), min(len(ids), i + window_size + 1)):",
        new="for j in range(max(0, i - window_size // 2), min(len(ids), i + window_size // 2 + 1)):",
    ),
    Variant(
        MODULE,
        name="pairs_include_target",
        item="make_training_pairs",
        why="looping over the whole window without skipping the centre pairs every word with "
        "itself.",
        old="                if j != i:\n                    pairs.append((target, ids[j]))",
        new="                pairs.append((target, ids[j]))",
    ),
    Variant(
        MODULE,
        name="pairs_cross_sentences",
        item="make_training_pairs",
        why="treating the corpus as one stream of words lets windows run across sentence ends.",
        old="    for sentence in sentences:\n",
        new="    for sentence in [[w for s in sentences for w in s]]:\n",
    ),
    Variant(
        MODULE,
        name="pairs_unknown_removed_after_windowing",
        item="make_training_pairs",
        why="skipping unknown words while windowing, rather than before, lets them use up window "
        "positions, so the window reaches fewer known words.",
        old="        ids = [vocab.stoi[w] for w in sentence if w in vocab.stoi]\n"
        "        for i, target in enumerate(ids):\n"
        "            for j in range(max(0, i - window_size), min(len(ids), i + window_size + 1)):\n"
        "                if j != i:\n",
        new="        ids = [vocab.stoi.get(w) for w in sentence]\n"
        "        for i, target in enumerate(ids):\n"
        "            for j in range(max(0, i - window_size), min(len(ids), i + window_size + 1)):\n"
        "                if j != i and target is not None and ids[j] is not None:\n",
    ),
    Variant(
        MODULE,
        name="pairs_window_end_exclusive",
        item="make_training_pairs",
        why="range's end is exclusive, and i + window_size as the end stops one word short on "
        "the right.",
        old="min(len(ids), i + window_size + 1)",
        new="min(len(ids), i + window_size)",
    ),
    Variant(
        MODULE,
        name="pairs_right_context_only",
        item="make_training_pairs",
        why="taking only the following words as context, as a language model does, halves the "
        "skip-gram pairs.",
        old="range(max(0, i - window_size), ",
        new="range(i + 1, ",
    ),
    Variant(
        MODULE,
        name="pairs_empty_not_2d",
        item="make_training_pairs",
        why="torch.tensor([]) has shape (0,), not (0, 2), so a sentence of one word breaks "
        "every caller that indexes pairs[:, 0].",
        old="return torch.tensor(pairs, dtype=torch.long).reshape(-1, 2)",
        new="return torch.tensor(pairs, dtype=torch.long)",
    ),
    Variant(
        MODULE,
        name="pairs_offset_major",
        item="make_training_pairs",
        why="looping over the offsets first (all pairs at distance −w, then −w+1, …, a vectorised "
        "habit) gives the right pairs, but not grouped by target as the docstring orders them.",
        old="""\
        for i, target in enumerate(ids):
            for j in range(max(0, i - window_size), min(len(ids), i + window_size + 1)):
                if j != i:
                    pairs.append((target, ids[j]))
""",
        new="""\
        for offset in range(-window_size, window_size + 1):
            for i, target in enumerate(ids):
                if offset and 0 <= i + offset < len(ids):
                    pairs.append((target, ids[i + offset]))
""",
    ),
    # --------------------------------------------------------------- Word2Vec
    Variant(
        MODULE,
        name="forward_in_embed_twice",
        item="Word2Vec",
        why="scoring the context with in_embed too gives one table per word, the model "
        "students expect, instead of skip-gram's two.",
        old="return (self.in_embed(targets) * self.out_embed(contexts)).sum(-1)",
        new="return (self.in_embed(targets) * self.in_embed(contexts)).sum(-1)",
    ),
    Variant(
        MODULE,
        name="forward_no_sum",
        item="Word2Vec",
        why="forgetting .sum(-1) returns the element-wise products (B, D), not the dot products.",
        old="return (self.in_embed(targets) * self.out_embed(contexts)).sum(-1)",
        new="return self.in_embed(targets) * self.out_embed(contexts)",
    ),
    Variant(
        MODULE,
        name="forward_matrix_product",
        item="Word2Vec",
        why="v @ u.T scores every target against every context, (B, B), where each pair needs "
        "its own score.",
        old="return (self.in_embed(targets) * self.out_embed(contexts)).sum(-1)",
        new="return self.in_embed(targets) @ self.out_embed(contexts).T",
    ),
    Variant(
        MODULE,
        name="forward_tables_swapped",
        item="Word2Vec",
        why="looking the target up in out_embed and the context in in_embed trains the tables "
        "the other way round, so in_embed is not the word vectors.",
        old="return (self.in_embed(targets) * self.out_embed(contexts)).sum(-1)",
        new="return (self.out_embed(targets) * self.in_embed(contexts)).sum(-1)",
    ),
    # ------------------------------------------------- negative_sampling_loss
    Variant(
        MODULE,
        name="loss_log_of_sigmoid",
        item="negative_sampling_loss",
        why="log(sigmoid(x)) is the formula as written, but sigmoid underflows to 0 for large "
        "negative x and the loss becomes inf.",
        old="return -(F.logsigmoid(pos_scores) + neg_weight * F.logsigmoid(-neg_scores).sum(-1)).mean()",
        new="return -(torch.log(torch.sigmoid(pos_scores)) + neg_weight * "
        "torch.log(torch.sigmoid(-neg_scores)).sum(-1)).mean()",
    ),
    Variant(
        MODULE,
        name="loss_negative_scores_sign",
        item="negative_sampling_loss",
        why="writing log σ(neg) instead of log σ(−neg) rewards high noise scores, a sign that "
        "is easy to drop.",
        old="F.logsigmoid(-neg_scores)",
        new="F.logsigmoid(neg_scores)",
    ),
    Variant(
        MODULE,
        name="loss_sum_over_batch",
        item="negative_sampling_loss",
        why="summing over the batch makes the loss grow with the batch size where the mean is "
        "asked for.",
        old="neg_weight * F.logsigmoid(-neg_scores).sum(-1)).mean()",
        new="neg_weight * F.logsigmoid(-neg_scores).sum(-1)).sum()",
    ),
    Variant(
        MODULE,
        name="loss_mean_over_negatives",
        item="negative_sampling_loss",
        why="averaging the K noise terms instead of adding them weighs the noise K times less "
        "than the classic loss.",
        old="neg_weight * F.logsigmoid(-neg_scores).sum(-1)",
        new="neg_weight * F.logsigmoid(-neg_scores).mean(-1)",
    ),
    Variant(
        MODULE,
        name="loss_ignores_neg_weight",
        item="negative_sampling_loss",
        why="an argument with a default of 1 is easy to leave unused, and the classic loss "
        "never needs it.",
        old="neg_weight * F.logsigmoid(-neg_scores)",
        new="F.logsigmoid(-neg_scores)",
    ),
    Variant(
        MODULE,
        name="loss_logsigmoid_wrong_weighting",
        item="negative_sampling_loss",
        why="applying neg_weight to the observed pair's term instead of the noise terms is right for "
        "the classic loss (weight 1) and wrong for any other weight.",
        old="return -(F.logsigmoid(pos_scores) + neg_weight * F.logsigmoid(-neg_scores).sum(-1)).mean()",
        new="return -(neg_weight * F.logsigmoid(pos_scores) + F.logsigmoid(-neg_scores).sum(-1)).mean()",
    ),
    # -------------------------------------------------------------- sgns_step
    Variant(
        MODULE,
        name="step_gradient_of_mean",
        item="sgns_step",
        why="differentiating the mean loss, as autograd on the returned value would, divides "
        "every update by the batch size.",
        old="        d = v.shape[1]\n",
        new="        d = v.shape[1]\n        lr = lr / len(targets)\n",
    ),
    Variant(
        MODULE,
        name="step_negatives_not_updated",
        item="sgns_step",
        why="the noise words' output vectors have a gradient too, and a hand-written step that "
        "updates only the observed pair's rows forgets them.",
        old="        w_out.scatter_add_(0, flat_neg[:, None].expand(-1, d), grad_neg.mul_(-lr))\n",
        new="",
    ),
    Variant(
        MODULE,
        name="step_index_assignment",
        item="sgns_step",
        why="w[ids] -= ... writes each row once, the last write winning, so a word repeated in "
        "the batch gets one pair's update instead of the sum.",
        old="        w_in.scatter_add_(0, targets[:, None].expand(-1, d), grad_v.mul_(-lr))\n"
        "        w_out.scatter_add_(0, contexts[:, None].expand(-1, d), (g[:, None] * v).mul_(-lr))\n"
        "        w_out.scatter_add_(0, flat_neg[:, None].expand(-1, d), grad_neg.mul_(-lr))\n",
        new="        w_in[targets] -= lr * grad_v\n"
        "        w_out[contexts] -= lr * g[:, None] * v\n"
        "        w_out[flat_neg] -= lr * grad_neg\n",
    ),
    Variant(
        MODULE,
        name="step_gradient_sign",
        item="sgns_step",
        why="the derivative of −log σ(s) is σ(s) − 1; writing 1 − σ(s) climbs the loss on the "
        "observed pairs.",
        old="g = torch.sigmoid(pos) - 1",
        new="g = 1 - torch.sigmoid(pos)",
    ),
    Variant(
        MODULE,
        name="step_pool_unweighted",
        item="sgns_step",
        why="scoring a shared pool of M noise words without the K / M weight counts M noise "
        "words per pair instead of K.",
        old="weight = (num_negatives or len(negatives)) / len(negatives) if shared else 1.0",
        new="weight = 1.0",
    ),
    Variant(
        MODULE,
        name="step_returns_tensor",
        item="sgns_step",
        why="without .item() the step returns a tensor, and a training loop summing it keeps "
        "the tensors alive.",
        old="loss = negative_sampling_loss(pos, neg, weight).item()",
        new="loss = negative_sampling_loss(pos, neg, weight)",
    ),
    # --------------------------------------------------------- train_word2vec
    Variant(
        MODULE,
        name="train_cross_entropy_between_embeddings",
        item="train_word2vec",
        why="the answer seen in real submissions: CrossEntropyLoss(target_embed, context_embed) "
        "treats one embedding as logits and the other as class probabilities, which is no "
        "probability model; its loss goes negative and keeps falling.",
        old="""\
            else:
                shape = (noise_pool,) if noise_pool else (len(batch), num_negatives)
                negatives = torch.multinomial(noise, math.prod(shape), replacement=True, generator=generator)
                lr = learning_rate * max(1e-4, 1 - step / total_pairs)
                epoch_loss += sgns_step(model, targets, contexts, negatives.view(shape), lr, num_negatives)
""",
        new="""\
            else:
                lr = learning_rate * max(1e-4, 1 - step / total_pairs)
                sgd = torch.optim.SGD(model.parameters(), lr=lr)
                batch_loss = nn.CrossEntropyLoss()(model.in_embed(targets), model.out_embed(contexts))
                sgd.zero_grad()
                batch_loss.backward()
                sgd.step()
                epoch_loss += batch_loss.item()
""",
    ),
    Variant(
        MODULE,
        name="train_history_per_batch",
        item="train_word2vec",
        why="appending every batch's loss to loss_history gives a curve per step, not the one "
        "value per epoch the handout asks for.",
        old="epoch_loss += sgns_step(model, targets, contexts, negatives.view(shape), lr, num_negatives)",
        new="epoch_loss += sgns_step(model, targets, contexts, negatives.view(shape), lr, num_negatives)\n"
        "                model.loss_history.append(epoch_loss / (batches + 1))",
    ),
    Variant(
        MODULE,
        name="train_returns_model_first",
        item="train_word2vec",
        why="returning (model, vocab) in the order they were built breaks every caller that "
        "unpacks (vocab, model).",
        old="    return vocab, model\n",
        new="    return model, vocab\n",
    ),
    Variant(
        MODULE,
        name="train_lr_decays_within_first_epoch",
        item="train_word2vec",
        why="sizing the learning-rate schedule by one epoch's pairs, not all epochs', sends the "
        "rate to its floor after the first epoch, so training stalls.",
        old="total_pairs = max(1, len(pairs)) * num_epochs",
        new="total_pairs = max(1, len(pairs))",
    ),
    Variant(
        MODULE,
        name="train_pairs_cross_sentences",
        item="train_word2vec",
        why="windowing the whole corpus as one token stream pairs the last words of a sentence "
        "with the first of the next.",
        old="        valid &= sent[where] == sent[:, None]\n",
        new="",
    ),
    Variant(
        MODULE,
        name="train_no_negative_samples",
        item="train_word2vec",
        why="training on the observed pairs alone (no negative sampling, seen in real answers) "
        "has a trivial optimum: all vectors aligned and large, every score high.",
        old="""\
                lr = learning_rate * max(1e-4, 1 - step / total_pairs)
                epoch_loss += sgns_step(model, targets, contexts, negatives.view(shape), lr, num_negatives)
""",
        new="""\
                lr = learning_rate * max(1e-4, 1 - step / total_pairs)
                batch_loss = -F.logsigmoid(model(targets, contexts)).mean()
                model.zero_grad()
                (batch_loss * len(batch)).backward()
                with torch.no_grad():
                    for parameter in model.parameters():
                        parameter -= lr * parameter.grad
                epoch_loss += batch_loss.item()
""",
    ),
    # --------------------------------------------------------- k_most_similar
    Variant(
        MODULE,
        name="similar_includes_goal",
        item="k_most_similar",
        why="a word is always most similar to itself, and forgetting to exclude it wastes the "
        "first answer on the goal.",
        old="    similarity[stoi[goal]] = -math.inf\n",
        new="",
    ),
    Variant(
        MODULE,
        name="similar_dot_product",
        item="k_most_similar",
        why="ranking by the raw dot product favours long vectors (frequent words) where cosine "
        "similarity is asked for.",
        old="unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)",
        new="unit = vectors",
    ),
    Variant(
        MODULE,
        name="similar_ascending",
        item="k_most_similar",
        why="sort() is ascending by default, and taking its last k entries returns the right "
        "words worst first.",
        old="""\
    best = similarity.topk(count)
    return [(itos[int(i)], float(s)) for s, i in zip(best.values, best.indices)]
""",
        new="""\
    best = similarity.sort()
    ranked = [(itos[int(i)], float(s)) for s, i in zip(best.values, best.indices)]
    return ranked[len(ranked) - count :]
""",
    ),
    Variant(
        MODULE,
        name="similar_zero_vector_nan",
        item="k_most_similar",
        why="dividing by the norm without a floor turns a zero vector (an untrained or padding "
        "word) into NaN similarities.",
        old="vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)",
        new="vectors.norm(dim=1, keepdim=True)",
    ),
    Variant(
        MODULE,
        name="similar_unknown_goal_empty",
        item="k_most_similar",
        why="returning an empty list for an unknown word hides a typo in the query where the "
        "handout asks for a KeyError.",
        old="""raise KeyError(f"{goal!r} is not in the vocabulary")""",
        new="return []",
    ),
    Variant(
        MODULE,
        name="similar_numpy",
        item="k_most_similar",
        why="going through NumPy (embeddings.numpy()) works on a plain tensor but raises on "
        "model.in_embed.weight, which requires grad, exactly as main() passes it.",
        old="vectors = embeddings.detach().float()",
        new="vectors = torch.from_numpy(embeddings.numpy()).float()",
    ),
    Variant(
        MODULE,
        name="similar_normalises_in_place",
        item="k_most_similar",
        why="normalising the rows in place (div_ on a detached view) changes the caller's "
        "embeddings: the model's own weights, as main() passes them.",
        old="""\
    vectors = embeddings.detach().float()
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)
""",
        new="""\
    vectors = embeddings.detach()
    unit = vectors.div_(vectors.norm(dim=1, keepdim=True).clamp_min(1e-12))
""",
    ),
    Variant(
        MODULE,
        name="similar_k_not_capped",
        item="k_most_similar",
        why="asking topk for k results fails, or returns the excluded goal, when k is not "
        "smaller than the vocabulary.",
        old="count = max(0, min(k, len(stoi) - 1))",
        new="count = k",
    ),
]
