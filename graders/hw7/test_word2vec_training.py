"""Graders for HW7-Q7, skip-gram word embeddings: training and nearest words
(sgns_step, train_word2vec, k_most_similar; module hw7/word2vec).

sgns_step runs on the graders' own model (a real nn.Module whose forward is
marked) with a marked loss in place of negative_sampling_loss
(word2vec_probes): a mistake in Word2Vec or in the loss costs no sgns_step
points, and a step written by hand or through autograd is right when it
follows either; its noise words per pair and its shared pool
(num_negatives, an extension) are graded apart. train_word2vec is graded
with marked stand-ins for the items it calls, so each mistake costs points
on its own item only.
k_most_similar gets embeddings as main() passes them (a Parameter that
requires grad), float32 and float64, and non-contiguous ones.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from dlkit.device import default_device
from dlkit.grading.checks import call, call_keeping_inputs, check, describe, fail, graded, show
from graders.hw7 import word2vec_support as support
from graders.hw7 import word2vec_probes as probes
from graders.strategies import layouts, noncontiguous

MODULE = "hw7/word2vec"


# --------------------------------------------------------------------------
# sgns_step

# A worked example: tables, two batches and what one step with lr=0.5 leaves,
# computed ahead. The graders' model scores v_t · u_c + PROBE_OFFSET when
# called (model(...)), and a marked loss (positive term ×3) stands in for
# negative_sampling_loss; so a step written by hand from the tables, through
# autograd on the loss it calls, or through the model's forward is right
# when it follows one of the routes below: (mean loss, in table, out table).
STEP_IN = [[0.5, -0.2], [0.1, 0.4], [-0.3, 0.2], [0.2, 0.1]]
STEP_OUT = [[0.3, 0.1], [-0.2, 0.5], [0.4, -0.1], [0.1, 0.2]]
STEP_PER_PAIR = {
    "batch": ([0, 2], [1, 1], [[2, 3], [0, 3]], 0.5, None),  # noise words per pair
    "true": (2.139373, [[0.308936, -0.085053], [0.1, 0.4], [-0.44351, 0.240646], [0.2, 0.1]],
             [[0.372376, 0.051749], [-0.131554, 0.491025], [0.261305, -0.044522], [0.04975, 0.2]]),
    "marked": (3.553856, [[0.198969, 0.189864], [0.1, 0.4], [-0.535527, 0.470688], [0.2, 0.1]],
               [[0.372376, 0.051749], [0.005337, 0.473075], [0.261305, -0.044522], [0.04975, 0.2]]),
    "forward": (2.489648, [[0.291683, -0.122461], [0.1, 0.4], [-0.456195, 0.192411], [0.2, 0.1]],
                [[0.390881, 0.039413], [-0.144722, 0.491518], [0.231848, -0.032739], [0.037519, 0.2]]),
    "forward, marked": (3.46064, [[0.206571, 0.090318], [0.1, 0.4], [-0.524343, 0.36278], [0.2, 0.1]],
                        [[0.390881, 0.039413], [-0.034165, 0.474555], [0.231848, -0.032739], [0.037519, 0.2]]),
}
STEP_POOL = {
    "batch": ([1, 0], [2, 3], [3, 2, 0], 0.5, 2),  # a pool of M=3 shared by the batch, num_negatives=2
    "true": (2.166876, [[0.380909, -0.183006], [0.064168, 0.339585], [-0.3, 0.2], [0.2, 0.1]],
             [[0.194008, 0.066498], [-0.2, 0.5], [0.31587, -0.029681], [0.123209, 0.114085]]),
    "marked": (3.548183, [[0.430659, -0.083506], [0.264168, 0.289585], [-0.3, 0.2], [0.2, 0.1]],
               [[0.194008, 0.066498], [-0.2, 0.5], [0.36587, 0.170319], [0.371959, 0.014585]]),
    "forward": (2.531265, [[0.343003, -0.203464], [0.007192, 0.337689], [-0.3, 0.2], [0.2, 0.1]],
                [[0.16996, 0.058331], [-0.2, 0.5], [0.286027, -0.062646], [0.068218, 0.118352]]),
    "forward, marked": (3.475655, [[0.380522, -0.128425], [0.158208, 0.299934], [-0.3, 0.2], [0.2, 0.1]],
                        [[0.16996, 0.058331], [-0.2, 0.5], [0.323781, 0.08837], [0.255815, 0.043314]]),
}
ROUTES = ("true", "marked", "forward", "forward, marked")


def _step_batch(targets, contexts, negatives, lr, num_negatives):
    return (torch.tensor(targets), torch.tensor(contexts), torch.tensor(negatives), lr, num_negatives)


def _steps(impl, in_weight, out_weight, cases):
    check(callable(getattr(impl, "sgns_step", None)), "sgns_step is missing: define a function with exactly that name.")
    return impl.run(probes.sgns_step_cases, in_weight, out_weight, cases)


def _describe_step(targets, contexts, negatives, lr, num_negatives):
    shared = negatives.dim() == 1
    return (
        f"targets {targets.tolist()}, contexts {contexts.tolist()}, negatives {negatives.tolist()} "
        f"({'a pool shared by the batch' if shared else 'per pair'}), lr={lr}"
        + (f", num_negatives={num_negatives}" if num_negatives is not None else "")
    )


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    return torch.allclose(got.double(), want.double(), atol=1e-5, rtol=1e-4)


def _is_loss(value, *wanted) -> bool:
    return isinstance(value, float) and any(abs(value - w) < 1e-4 * max(1.0, abs(w)) for w in wanted)


def _check_step_example(impl, example: dict, sentence: str) -> None:
    in_w, out_w = torch.tensor(STEP_IN), torch.tensor(STEP_OUT)
    case = _step_batch(*example["batch"])
    (got,) = _steps(impl, in_w, out_w, [case])
    given_ = f"in_embed {STEP_IN}, out_embed {STEP_OUT}, " + _describe_step(*case)
    check(
        _is_loss(got["loss"], *(example[route][0] for route in ROUTES)),
        "sgns_step must return the batch's mean loss before the step, as a float.",
        given_,
        f"expected {example['true'][0]}, got {type(got['loss']).__name__} {show(got['loss'])}",
    )
    matches = [route for route in ROUTES
               if _close(got["in"], torch.tensor(example[route][1]))
               and _close(got["out"], torch.tensor(example[route][2]))]
    check(
        matches,
        sentence,
        given_,
        f"expected in_embed {example['true'][1]}",
        f"got {show(got['in'])}",
        f"expected out_embed {example['true'][2]}",
        f"got {show(got['out'])}",
    )


@graded("sgns_step", points=1)
def test_sgns_step_worked_example(impl):
    _check_step_example(
        impl, STEP_PER_PAIR,
        "sgns_step must update the tables by −lr × the gradient of the loss summed over the batch "
        "(repeated words add up).",
    )


@graded("sgns_step", points=1)
def test_sgns_step_shared_pool_worked_example(impl):
    _check_step_example(
        impl, STEP_POOL,
        "with a (M,) pool of noise words shared by the batch, sgns_step must score every pair against "
        "all M, each noise term weighted num_negatives / M, and step by −lr × the gradient of the summed loss.",
    )


@graded("sgns_step", points=1)
@given(st.integers(4, 8), st.integers(1, 4), st.integers(0, 1000), st.integers(1, 3))
def test_sgns_step_properties(impl, vocab_size, dim, seed, k):
    gen = torch.Generator().manual_seed(seed)
    in_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    out_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    ids = torch.randint(0, vocab_size, (2, 2 + k), generator=gen)
    (t1, c1, *n1), (t2, c2, *n2) = ids.tolist()
    lr = 0.1
    noise = 3  # pair (0, 1) with the noise word 3 only: rows 2 and 4.. are in no role
    batch = torch.tensor([[t1, c1], [t2, c2]])
    cases = [
        _step_batch([t1, t2], [c1, c2], [n1, n2], lr, None),  # 0: the batch
        _step_batch([t1], [c1], [n1], lr, None),  # 1, 2: each pair alone (batches of one)
        _step_batch([t2], [c2], [n2], lr, None),
        _step_batch([t1, t1], [c1, c1], [n1, n1], lr, None),  # 3: pair 1 twice
        _step_batch([t1], [c1], [n1], 2 * lr, None),  # 4: twice the learning rate
        _step_batch([0], [1], [[noise] * k], lr, None),  # 5: known roles
        (batch[:, 0], batch[:, 1], torch.tensor([n1, n2]), lr, None),  # 6: the batch as strided columns
    ]
    saved = [tuple(t.clone() for t in case[:3]) for case in cases]
    results = _steps(impl, in_w, out_w, cases)
    given_ = f"float64 tables {vocab_size}×{dim} (seed {seed}), lr={lr}"
    for case, kept, got in zip(cases, saved, results):
        check(
            isinstance(got["loss"], float),
            "sgns_step must return the batch's mean loss as a float (a Python float, not a tensor).",
            f"{given_}, {_describe_step(*case)} → {type(got['loss']).__name__}",
        )
        check(
            got["in"].dtype == torch.float64 and got["out"].dtype == torch.float64,
            "sgns_step must update the tables in place, keeping their dtype.",
            f"{given_}: float64 tables → {got['in'].dtype}, {got['out'].dtype}",
        )
        check(
            all(torch.equal(a, b) for a, b in zip(case[:3], kept)),
            "sgns_step must not change its targets, contexts or negatives.",
            f"{given_}, {_describe_step(*kept, case[3], case[4])}",
        )
    delta = [(got["in"] - in_w, got["out"] - out_w) for got in results]

    def same(a, b):
        return torch.allclose(a[0], b[0], atol=1e-9) and torch.allclose(a[1], b[1], atol=1e-9)

    def plus(a, b, scale=1.0):
        return (a[0] + scale * b[0], a[1] + scale * b[1])

    check(
        same(delta[0], plus(delta[1], delta[2])),
        "sgns_step follows the gradient of the loss *summed* over the batch: the change a batch of "
        "two pairs makes must be the sum of the changes each pair makes alone.",
        f"{given_}: {_describe_step(*cases[0])}",
    )
    check(
        same(delta[3], plus(delta[1], delta[1])),
        "a pair listed twice in a batch must move the tables twice as far (repeated rows add up).",
        f"{given_}: {_describe_step(*cases[3])}",
    )
    check(
        same(delta[4], plus(delta[1], delta[1])),
        "the step must be −lr × the gradient: twice the learning rate, twice the change.",
        f"{given_}: {_describe_step(*cases[1])} and lr={2 * lr}",
    )
    d_in, d_out = delta[5]
    moved_in = [i for i in range(vocab_size) if d_in[i].abs().max() > 0]
    moved_out = [i for i in range(vocab_size) if d_out[i].abs().max() > 0]
    check(
        moved_in == [0] and moved_out == [1, noise],
        "sgns_step must change the target's in_embed row and the out_embed rows of the context and "
        "of the noise words, and nothing else.",
        f"{given_}: {_describe_step(*cases[5])}",
        f"rows changed: in_embed {moved_in} (expected [0]), out_embed {moved_out} (expected [1, {noise}])",
    )
    check(
        same(delta[6], delta[0]),
        "sgns_step must give the same step for non-contiguous id tensors (batch[:, 0], batch[:, 1]).",
        f"{given_}: {_describe_step(*cases[0])}",
    )


@graded("sgns_step", points=1)
@given(st.integers(4, 8), st.integers(1, 4), st.integers(0, 1000), st.integers(1, 3), st.integers(2, 4))
def test_sgns_step_shared_pool_properties(impl, vocab_size, dim, seed, k, pool):
    gen = torch.Generator().manual_seed(seed)
    in_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    out_w = torch.randn(vocab_size, dim, generator=gen, dtype=torch.float64) * 0.5
    (t1, c1), (t2, c2) = torch.randint(0, vocab_size, (2, 2), generator=gen).tolist()
    lr, noise = 0.1, 3
    cases = [
        _step_batch([t1, t2], [c1, c2], [noise] * pool, 0.1, k),  # a pool of one repeated word ...
        _step_batch([t1, t2], [c1, c2], [[noise] * k] * 2, 0.1, None),  # ... is k of it per pair
    ]
    pooled, per_pair = _steps(impl, in_w, out_w, cases)
    given_ = f"float64 tables {vocab_size}×{dim} (seed {seed}), lr={lr}"
    check(
        _close(pooled["in"], per_pair["in"]) and _close(pooled["out"], per_pair["out"])
        and _is_loss(pooled["loss"], per_pair["loss"]),
        "a pool of M noise words shared by the batch must weigh each term num_negatives / M: a pool of "
        "one word repeated M times with num_negatives=k must act as k copies of it per pair.",
        f"{given_}: {_describe_step(*cases[0])} and {_describe_step(*cases[1])}",
        f"losses {show(pooled['loss'])} and {show(per_pair['loss'])}",
    )


# --------------------------------------------------------------------------
# train_word2vec


@graded("train_word2vec", points=1)
def test_training_toy_corpus(impl):
    corpus = "i love to learn deep learning. it is fascinating."
    with support.trainer_alone(impl):
        out = call("train_word2vec", impl, corpus, 3, 10, 30, 1e-2)
    check(
        isinstance(out, tuple) and len(out) == 2,
        "train_word2vec must return (vocab, model).",
        f"got {type(out).__name__}",
    )
    vocab, model = out
    history = list(getattr(model, "loss_history", None) or [])
    check(
        len(history) == 30 and support.finite_floats(history),
        "model.loss_history must hold one finite float per epoch.",
        f"30 epochs → {show(history)}",
    )
    check(
        min(history) >= 0,
        "model.loss_history must never be negative: the skip-gram loss is a negative log-likelihood "
        "of the observed pairs (and of the noise pairs being noise).",
        f"loss history {[round(v, 3) for v in history[:5]]} …",
    )
    check(
        history[-1] < history[0],
        "the loss must fall over training on the toy corpus.",
        f"first {history[0]:.4f}, last {history[-1]:.4f}",
    )


@graded("train_word2vec", points=2)
def test_training_finds_clusters(impl):
    corpus, clusters = support.cluster_corpus()
    with support.trainer_alone(impl):
        vocab, model = call("train_word2vec", impl, corpus, 2, 16, 40, 0.05, seed=0)
    stoi = dict(vocab.stoi)
    vectors = model.in_embed.weight
    ids = [[stoi[w] for w in c if w in stoi] for c in clusters]
    within = sum(support.mean_cosine(vectors, c, c) for c in ids) / 3
    across = sum(support.mean_cosine(vectors, a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]) / 3
    check(
        within > across + 0.2,
        "words that share contexts must end up closer: on a corpus of three disjoint word clusters, "
        "the mean cosine similarity within a cluster must clearly exceed that across clusters.",
        f"within {within:.3f}, across {across:.3f} (window 2, dim 16, 40 epochs, lr 0.05)",
    )
    never_seen = support.cross_cluster_probability(model, ids)
    check(
        never_seen < 0.05,
        "pairs of words that never share a sentence must get a low probability σ(v_t · u_c) after "
        "training: below 0.05 on average.",
        f"mean σ(v_t · u_c) over pairs from different clusters: {never_seen:.3f} "
        "(3-word sentences, window 2, dim 16, 40 epochs, lr 0.05)",
    )


# --------------------------------------------------------------------------
# k_most_similar

SIMILAR_STOI = {"king": 0, "queen": 1, "apple": 2, "royal": 3}
SIMILAR_EMB = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.7, 0.3]]


@graded("k_most_similar", points=1)
def test_similar_worked_example(impl):
    emb = torch.tensor(SIMILAR_EMB)
    out = call_keeping_inputs("k_most_similar", impl, "king", emb, SIMILAR_STOI, 2,
                              names=("goal", "embeddings", "stoi", "k"))
    words = [w for w, _ in out] if isinstance(out, list) else out
    check(
        words == ["queen", "royal"],
        "k_most_similar('king', ..., k=2) must return the two nearest words by cosine, best first, "
        "without 'king' itself.",
        f"embeddings {SIMILAR_EMB} for {list(SIMILAR_STOI)} → got {show(out)}",
    )


@graded("k_most_similar", points=1)
def test_similar_trained_embeddings(impl):
    # As main() calls it: the model's in_embed.weight, a Parameter that requires
    # grad; on the CPU, and where train_word2vec trains by default (CUDA when present).
    devices = list(dict.fromkeys([torch.device("cpu"), default_device()]))
    for dtype, device in [(dtype, device) for device in devices for dtype in (torch.float32, torch.float64)]:
        emb = nn.Parameter(torch.tensor(SIMILAR_EMB, dtype=dtype, device=device))
        given_ = (f"k_most_similar('king', model.in_embed.weight (a {dtype} Parameter on {device}, "
                  "requires_grad=True), stoi, 2)")
        try:
            out = call_keeping_inputs("k_most_similar", impl, "king", emb, SIMILAR_STOI, 2,
                                      names=("goal", "embeddings", "stoi", "k"))
        except NotImplementedError:  # a stub, said as every stub is
            raise
        except RuntimeError as exc:
            fail("k_most_similar must accept embeddings that require grad (model.in_embed.weight, as "
                 "main() passes them).", f"{given_} raised RuntimeError: {exc}")
        check(
            isinstance(out, list) and [w for w, _ in out] == ["queen", "royal"]
            and all(isinstance(s, float) for _, s in out),
            "k_most_similar must accept embeddings that require grad (model.in_embed.weight, as main() "
            "passes them) and return (word, similarity) pairs with float similarities.",
            f"{given_} → {show(out)}",
        )


@graded("k_most_similar", points=2)
@given(st.integers(2, 8), st.integers(1, 4), st.integers(0, 9), st.integers(0, 1000), st.floats(0.1, 10),
       st.sampled_from([torch.float32, torch.float64]), layouts)
def test_similar_properties(impl, vocab_size, dim, k, seed, scale, dtype, strided):
    gen = torch.Generator().manual_seed(seed)
    emb = torch.randn(vocab_size, dim, generator=gen).to(dtype)
    strided = strided and dim > 1  # a transposed layout
    if strided:
        emb = noncontiguous(emb)
    stoi = {f"w{i}": i for i in range(vocab_size)}
    goal = "w0"
    out = call_keeping_inputs("k_most_similar", impl, goal, emb, stoi, k, names=("goal", "embeddings", "stoi", "k"))
    given_ = (f"goal 'w0', embeddings {describe(emb)}" + (" (non-contiguous)" if strided else "")
              + f" (seed {seed}), k={k}")
    check(isinstance(out, list), "k_most_similar must return a list of (word, similarity).", given_)
    check(
        len(out) == min(k, vocab_size - 1),
        "k_most_similar must return min(k, vocabulary size − 1) entries.",
        f"{given_} → {len(out)} entries",
    )
    cos = F.cosine_similarity(emb.double(), emb[0:1].double(), dim=1)
    words = [w for w, _ in out]
    check(goal not in words, "k_most_similar must not return the goal word itself.", f"{given_} → {show(out)}")
    for word, sim in out:
        check(
            word in stoi and abs(float(sim) - cos[stoi[word]].item()) < 1e-4,
            "each similarity must be the cosine similarity of the word's embedding to the goal's.",
            f"{given_}: {word} → {sim}, cosine {cos[stoi.get(word, 0)].item():.4f}",
        )
    sims = [float(s) for _, s in out]
    check(sims == sorted(sims, reverse=True), "results must be sorted best first.", f"{given_} → {sims}")
    left = [cos[i].item() for w, i in stoi.items() if w != goal and w not in words]
    check(
        not out or not left or max(left) <= sims[-1] + 1e-6,
        "k_most_similar must return the k most similar words, not just any k.",
        f"{given_}: a word left out has similarity {max(left) if left else 0:.4f} > {sims[-1] if sims else 0:.4f}",
    )
    scaled = emb.clone()
    scaled[1:] *= scale
    again = call("k_most_similar", impl, goal, scaled, stoi, k)
    # Ties (equal cosines) may come in either order: compare the similarities' ranks.
    check(
        isinstance(again, list) and [round(float(s), 4) for _, s in again] == [round(s, 4) for s in sims],
        "cosine similarity ignores vector length: scaling embeddings must not change the answer.",
        f"{given_}, other rows scaled by {scale:.3g} → {show(again)}",
    )


@graded("k_most_similar", points=1)
def test_similar_unknown_and_zero(impl):
    stoi = {"a": 0, "b": 1, "c": 2}
    emb = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.5, 0.5]])
    try:
        call("k_most_similar", impl, "zzz", emb, stoi, 2)
    except KeyError as exc:
        check("zzz" in str(exc), "the KeyError for an unknown goal must name it.", f"got {exc!r}")
    else:
        fail("k_most_similar must raise KeyError for a goal word not in stoi.")
    for goal in ("a", "b"):
        out = call("k_most_similar", impl, goal, emb, stoi, 2)
        sims = [float(s) for _, s in out]
        check(
            all(s == s for s in sims),
            "a zero vector must not produce NaN similarities (treat its similarity as 0).",
            f"embeddings {emb.tolist()}, goal {goal!r} → {show(out)}",
        )
