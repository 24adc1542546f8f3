"""Correct answers to P2-Q2 (project2/char_rnn) written differently from the
reference; each rewrites one item's code (a loop, another library call,
another valid reading of the text)."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "project2/char_rnn"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


def edit(name: str, item: str, why: str, old: str, new: str) -> Variant:
    return Variant(MODULE, name, item, why, old=old, new=new)


ALTERNATIVES: list[Variant] = [
    # ------------------------------------------------------------ CharVocab
    edit(
        "vocab_dict_zip", "CharVocab", "builds chars from a frozenset and stoi with dict(zip(...)).",
        old="""        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
""",
        new="""        self.chars = list(sorted(frozenset(text)))
        self.stoi = dict(zip(self.chars, range(len(self.chars))))
""",
    ),
    edit(
        "vocab_encode_try_except", "CharVocab",
        "encodes in a loop, turning the KeyError into a ValueError naming the character.",
        old="""        missing = [c for c in text if c not in self.stoi]
        if missing:
            raise ValueError(f"{missing[0]!r} is not in the vocabulary")
        return torch.tensor([self.stoi[c] for c in text], dtype=torch.int64)
""",
        new="""        ids = []
        for c in text:
            try:
                ids.append(self.stoi[c])
            except KeyError:
                raise ValueError(f"unknown character {c}") from None
        return torch.tensor(ids, dtype=torch.long).reshape(len(ids))
""",
    ),
    edit(
        "vocab_decode_loop", "CharVocab", "decodes with a loop over the ids, each turned into a Python int.",
        old="""        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return "".join(self.chars[int(i)] for i in ids)
""",
        new="""        text = ""
        for i in list(ids):
            text += self.chars[int(i)]
        return text
""",
    ),
    # ------------------------------------------------------- make_sequences
    rewrite(
        "sequences_loop", "make_sequences", "a loop over the sequences, stacked.",
        """\
    if seq_length < 1 or len(ids) <= seq_length:
        raise ValueError(f"bad seq_length={seq_length} for {len(ids)} ids")
    xs, ys = [], []
    start = 0
    while start + seq_length < len(ids):
        xs.append(ids[start:start + seq_length])
        ys.append(ids[start + 1:start + seq_length + 1])
        start += seq_length
    return torch.stack(xs), torch.stack(ys)
""",
    ),
    rewrite(
        "sequences_unfold", "make_sequences", "Tensor.unfold with a step of seq_length on the shifted ids.",
        """\
    if seq_length < 1:
        raise ValueError("seq_length must be positive")
    if len(ids) - 1 < seq_length:
        raise ValueError("ids too short for one sequence of seq_length")
    return ids[:-1].unfold(0, seq_length, seq_length).contiguous(), ids[1:].unfold(0, seq_length, seq_length).contiguous()
""",
    ),
    # -------------------------------------------------------------- CharRNN
    edit(
        "rnn_named_layers", "CharRNN",
        "keyword arguments, the cell from a dict, the head in an nn.Sequential.",
        old="""        self.embedding = nn.Embedding(vocab_size, embed)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)
""",
        new="""        self.embedding = nn.Embedding(num_embeddings=vocab_size, embedding_dim=embed)
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](input_size=embed, hidden_size=hidden,
                                                         num_layers=1, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, vocab_size))
""",
    ),
    edit(
        "rnn_state_only_when_given", "CharRNN",
        "calls the recurrent layer with a state only when one is given and applies the head to the flattened positions.",
        old="""        out, state = self.rnn(self.embedding(x), state)
        return self.head(out), state
""",
        new="""        emb = self.embedding(x)
        if state is None:
            out, new_state = self.rnn(emb)
        else:
            out, new_state = self.rnn(emb, state)
        logits = self.head(out.reshape(-1, out.shape[-1])).reshape(out.shape[0], out.shape[1], -1)
        return logits, new_state
""",
    ),
    # ------------------------------------------------------------- generate
    rewrite(
        "generate_prompt_by_characters", "generate",
        "feeds the prompt one character at a time too, and samples with F.softmax in float32.",
        """\
    if len(prompt) == 0 or length < 0 or (temperature is not None and temperature <= 0):
        raise ValueError(f"bad prompt, length or temperature: {prompt!r}, {length}, {temperature}")
    model.eval()
    device = next(model.parameters()).device
    ids = vocab.encode(prompt).tolist()
    new_ids = []
    with torch.no_grad():
        state = None
        for i in ids:
            logits, state = model(torch.tensor([[i]], device=device), state)
        while len(new_ids) < length:
            z = logits[0, -1]
            if temperature is None:
                nxt = int(torch.argmax(z))
            else:
                nxt = int(torch.multinomial(F.softmax(z / temperature, dim=-1).cpu(), 1, generator=generator)[0])
            new_ids.append(nxt)
            if len(new_ids) < length:
                logits, state = model(torch.tensor([[nxt]], device=device), state)
    return vocab.decode(torch.tensor(new_ids, dtype=torch.long))
""",
    ),
    rewrite(
        "generate_gumbel_max", "generate",
        "samples by the Gumbel-max trick, argmax(z / T + Gumbel noise) with uniforms from the generator.",
        """\
    if not prompt:
        raise ValueError("prompt is empty")
    if length < 0:
        raise ValueError("length must be >= 0")
    if temperature is not None and not temperature > 0:
        raise ValueError("temperature must be > 0")
    model.eval()
    device = next(model.parameters()).device
    chosen = []
    with torch.no_grad():
        logits, state = model(vocab.encode(prompt).unsqueeze(0).to(device))
        for _ in range(length):
            z = logits[:, -1].double().cpu()[0]
            if temperature is not None:
                u = torch.rand(z.shape, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
                z = z / temperature - torch.log(-torch.log(u))
            chosen.append(int(z.argmax()))
            logits, state = model(torch.tensor([chosen[-1:]], device=device), state)
    return vocab.decode(chosen)
""",
    ),
    # ----------------------------------------------------------- the losses
    rewrite(
        "focal_from_cross_entropy", "focal_loss", "F.cross_entropy(reduction='none') on the flattened positions, p_t = exp(−ce).",
        """\
    c = logits.shape[-1]
    ce = F.cross_entropy(logits.reshape(-1, c), targets.reshape(-1), reduction="none")
    pt = torch.exp(-ce)
    return torch.mean((1 - pt).pow(gamma) * ce)
""",
    ),
    rewrite(
        "focal_one_hot", "focal_loss", "selects log p_t with a one-hot mask instead of gather.",
        """\
    log_p = torch.log_softmax(logits, -1)
    mask = F.one_hot(targets, logits.shape[-1]).to(log_p.dtype)
    log_pt = (log_p * mask).sum(-1)
    p_t = torch.exp(log_pt)
    return (-(1.0 - p_t) ** gamma * log_pt).mean()
""",
    ),
    rewrite(
        "kl_div_flattened", "kl_loss", "F.kl_div with reduction='batchmean' on the positions flattened to rows.",
        """\
    c = logits.shape[-1]
    log_p = F.log_softmax(logits.reshape(-1, c), dim=-1)
    return F.kl_div(log_p, target_probs.reshape(-1, c).to(log_p.dtype), reduction="batchmean")
""",
    ),
    rewrite(
        "kl_masked", "kl_loss", "sums q (log q − log p) over the nonzero q only, with torch.where.",
        """\
    log_p = torch.log_softmax(logits, dim=-1)
    q = target_probs.to(log_p.dtype)
    safe = torch.where(q > 0, q, torch.ones_like(q))
    terms = torch.where(q > 0, q * (torch.log(safe) - log_p), torch.zeros_like(q))
    rows = terms.numel() // terms.shape[-1]
    return terms.sum() / rows
""",
    ),
]
