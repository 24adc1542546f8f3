"""Graders for P2-Q2, character-level text generation (module project2/char_rnn):
the model and the generation (CharRNN, generate).

CharRNN is the student's own network, so it is built and run in the worker
(char_rnn_probes): its layers, its shapes, the state carried across chunks,
causality, and a few hundred steps of the graders' own training loop on a
tiny text, which it must learn by heart.

generate is graded with the graders' stand-ins in place of the model and the
vocabulary (char_rnn_probes.ScriptedModel and ScrambledVocab), so that a
mistake in CharRNN or CharVocab costs nothing here: the stand-in model
scripts its next character from the positions it has seen (so a state that
is not carried changes the text) and counts every position it is fed (so
re-running the whole sequence for every new character, the seed answer's
quadratic generation, is seen).
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlkit.grading.checks import check, fail, graded, show
from graders.project2 import char_rnn_probes as probes
from graders.project2 import char_rnn_support as support

MODULE = "project2/char_rnn"

# --------------------------------------------------------------------------
# CharRNN

RECURRENT = {"lstm": "LSTM", "gru": "GRU"}
TINY_TEXT = "the quick brown fox jumps over the lazy dog, then it sleeps."
OVERFIT = {"embed": 16, "hidden": 48, "steps": 60, "lr": 0.03}
OVERFIT_LOSS = 0.05  # the cross-entropy the model must reach on the tiny text


@graded("CharRNN", points=0.75)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_rnn_layers_and_shapes(impl, cell):
    v, e, h, n, length = 7, 5, 6, 2, 4
    got = impl.run(probes.rnn_structure, v, e, h, cell, n, length, 0)
    layers = got["layers"]
    given_ = f"CharRNN({v}, embed={e}, hidden={h}, cell={cell!r})"
    kinds = [layer["type"] for layer in layers]
    embeddings = [x for x in layers if x["type"] == "Embedding"]
    recurrent = [x for x in layers if x["type"] in ("LSTM", "GRU", "RNN", "LSTMCell", "GRUCell")]
    check(len(embeddings) == 1 and embeddings[0].get("num_embeddings") == v and embeddings[0].get("embedding_dim") == e,
          "CharRNN must start with one nn.Embedding(vocab_size, embed).", f"{given_} → layers {kinds}")
    check(len(recurrent) == 1 and recurrent[0]["type"] == RECURRENT[cell] and recurrent[0].get("input_size") == e
          and recurrent[0].get("hidden_size") == h and recurrent[0].get("num_layers") == 1
          and recurrent[0].get("batch_first") is True and not recurrent[0].get("bidirectional"),
          f"cell={cell!r} must give one nn.{RECURRENT[cell]}(embed, hidden, batch_first=True) layer "
          "(one layer, one direction: the model is causal).",
          f"{given_} → recurrent layers {recurrent}")
    linears = [x for x in layers if x["type"] == "Linear"]
    check(linears and linears[-1].get("out_features") == v,
          "CharRNN must end with an nn.Linear to vocab_size logits.", f"{given_} → layers {layers}")
    check(got["shape"] == [n, length, v] and got["floating"] and got["finite"],
          "forward(x) must return float logits of shape (N, L, vocab_size): one prediction per position.",
          f"{given_}, x int64 ({n}, {length}) → {got['what']}")
    want_state = {"pair": [[1, n, h], [1, n, h]]} if cell == "lstm" else {"tensor": [1, n, h]}
    check(got["state"] == want_state,
          "forward must return the recurrent state as nn.LSTM / nn.GRU give it: for the LSTM the pair (h, c), "
          "for the GRU the tensor h, each (1, N, hidden).",
          f"{given_}, x int64 ({n}, {length}) → state {got['state']}, expected {want_state}")


@graded("CharRNN", points=0.5)
def test_char_rnn_bad_cell(impl):
    for cell in ("rnn", "LSTMs"):
        got = impl.run(probes.rnn_bad_cell, cell)
        check(got["raised"] is not None and got["is_value_error"] and "cell" in got["message"],
              "CharRNN must raise ValueError naming cell for a cell other than 'lstm' or 'gru'.",
              f"CharRNN(5, 4, 3, {cell!r}) → " + ("raised nothing" if got["raised"] is None
                                               else f"{got['raised']}({got['message']!r})"))


def _ids(n: int, length: int, seed: int, v: int = 6) -> torch.Tensor:
    return torch.randint(0, v, (n, length), generator=torch.Generator().manual_seed(seed))


@graded("CharRNN", points=1)
@settings(max_examples=6)
@given(st.sampled_from(["lstm", "gru"]), st.integers(1, 3), st.integers(2, 6), st.integers(0, 1000))
def test_char_rnn_state_is_carried(impl, cell, n, length, seed):
    x = _ids(n, length, seed)
    cut = length // 2
    whole, pieces, ones = impl.run(probes.rnn_runs, 6, 4, 5, cell, seed, [
        [x], [x[:, :cut], x[:, cut:]], [x[:, t:t + 1] for t in range(length)]])
    check(all(t is not None for t in whole + pieces + ones), "forward(x, state) must return (logits, state).",
          f"CharRNN(6, 4, 5, {cell!r}) on ids {show(x)}")
    for name, run in (("in two pieces", pieces), ("one position at a time", ones)):
        joined = torch.cat(run, dim=1)
        check(joined.shape == whole[0].shape and torch.allclose(joined, whole[0], atol=1e-5),
              "forward(x, state) must start from the state it is given: running a sequence " + name + ", each "
              "piece from the previous piece's state, must give the logits of running it whole.",
              f"CharRNN(6, 4, 5, {cell!r}), ids {show(x)}: whole → {show(whole[0][0, :, 0])} (first sequence, "
              f"first logit), {name} → {show(joined[0, :, 0])}")


@graded("CharRNN", points=0.5)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_rnn_causal_with_memory(impl, cell):
    x = _ids(2, 6, 3)
    later, first = x.clone(), x.clone()
    later[:, 3:] = (later[:, 3:] + 1) % 6
    first[:, 0] = (first[:, 0] + 1) % 6
    base, changed_later, changed_first = (r[0] for r in impl.run(probes.rnn_runs, 6, 4, 5, cell, 1,
                                                                 [[x], [later], [first]]))
    check(base is not None and torch.allclose(base[:, :3], changed_later[:, :3], atol=1e-6),
          "the model must be causal: the logits at position t depend on the inputs up to t only (one direction, "
          "no look ahead).",
          f"CharRNN(6, 4, 5, {cell!r}), ids {show(x)}; changing positions 3 to 5 changed the logits at positions "
          "0 to 2")
    check((base[:, 1:] - changed_first[:, 1:]).abs().amax().item() > 1e-6,
          "the model must remember: changing the first input must change the logits at later positions (the "
          "recurrent layer carries it), not only at position 0.",
          f"CharRNN(6, 4, 5, {cell!r}), ids {show(x)}: changing ids[:, 0] left positions 1 to 5 unchanged")


@graded("CharRNN", points=0.75, time_limit=60)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_char_rnn_overfits_a_tiny_text(impl, cell):
    chars = sorted(set(TINY_TEXT))
    ids = torch.tensor([chars.index(c) for c in TINY_TEXT])
    got = impl.run(probes.rnn_overfit, ids, cell, OVERFIT["embed"], OVERFIT["hidden"], OVERFIT["steps"],
                   OVERFIT["lr"], 0)
    written = "".join(chars[i] if 0 <= i < len(chars) else "?" for i in got["written"])
    given_ = (f"CharRNN({len(chars)}, embed={OVERFIT['embed']}, hidden={OVERFIT['hidden']}, cell={cell!r}), "
              f"{OVERFIT['steps']} Adam steps of lr {OVERFIT['lr']} on the cross-entropy of the next character of "
              f"{TINY_TEXT!r}")
    check(got["last"] < OVERFIT_LOSS and got["last"] < got["first"],
          f"CharRNN must be able to learn a {len(TINY_TEXT)}-character text by heart: the training loss must fall "
          f"below {OVERFIT_LOSS}.",
          f"{given_}: loss {got['first']:.4f} → {got['last']:.4f}")
    check(written == TINY_TEXT[1:],
          "once it has learnt the text, the model must write it back greedily from its first character "
          "(state carried).", f"{given_}: wrote {written!r}")


# --------------------------------------------------------------------------
# generate


@graded("generate", points=1)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_char_generate_greedy_follows_the_model(impl, kind):
    cases = [support.case(p, n, kind=kind) for p, n in (("cab", 12), ("g", 7), ("abcdefg", 1), ("fed", 0))]
    for c, e in zip(cases, support.evidence(impl, *cases)):
        want = support.scripted_greedy(c["alphabet"], c["prompt"], c["length"])
        check(e["text"] == want,
              "greedy generation (temperature None) picks the argmax of the logits at the last position, feeds "
              "that one character with the carried state, and returns exactly `length` new characters, "
              "without the prompt.",
              support.call_text(c),
              f"the stand-in's logits favour, after the prompt, {want!r}; got {e['text']!r}")


@graded("generate", points=2)
def test_char_generate_is_linear_in_length(impl):
    cases = [support.case("bad", n) for n in (10, 40)] + [support.case("b", 25, 1.0, 0)]
    for c, e in zip(cases, support.evidence(impl, *cases)):
        fed, limit = support.positions_fed(e), len(c["prompt"]) + c["length"]
        check(fed <= limit and len(e["calls"]) <= limit,
              "generate must run the prompt once and then feed one new character per step with the carried "
              "state: len(prompt) + length − 1 positions in all, linear in length (re-running the whole "
              "sequence for every character is quadratic).",
              support.call_text(c),
              f"the model was called {len(e['calls'])} times and fed {fed} positions (at most {limit} allowed); "
              f"the inputs' shapes: {[call['shape'] for call in e['calls']][:8]}"
              + (" …" if len(e["calls"]) > 8 else ""))


@graded("generate", points=1)
def test_char_generate_eval_mode_without_grad(impl):
    c = support.case("ab", 5)
    (e,) = support.evidence(impl, c)
    trained = [i for i, call in enumerate(e["calls"]) if call["training"]]
    graded_calls = [i for i, call in enumerate(e["calls"]) if call["grad"]]
    check(not trained, "generate must put the model in evaluation mode (model.eval()) before running it.",
          support.call_text(c), f"calls {trained} ran in training mode")
    check(not graded_calls, "generate must run the model under torch.no_grad(): no graph is needed to write text.",
          support.call_text(c), f"calls {graded_calls} ran with gradients enabled")


@graded("generate", points=1)
def test_char_generate_tiny_temperature_is_greedy(impl):
    cases = [support.case("cab", 12, 1e-4, seed) for seed in (0, 1)]
    want = support.scripted_greedy(support.ALPHABET, "cab", 12)
    for c, e in zip(cases, support.evidence(impl, *cases)):
        check(e["text"] == want,
              "as the temperature tends to 0, softmax(logits / T) puts all its mass on the argmax: sampling with "
              "temperature 1e-4 must give the greedy text (compute it with torch.softmax, not exp / sum, which "
              "overflows).", support.call_text(c), f"greedy gives {want!r}; got {e['text']!r}")


@graded("generate", points=1)
def test_char_generate_seeded_sampling(impl):
    cases = [support.case("ge", 40, 1.0, seed, margin=0.5) for seed in (3, 3, 4)] + [support.case("a", 0, 1.0, 3)]
    first, again, other, empty = support.evidence(impl, *cases)
    given_ = support.call_text(cases[0])
    check(first["text"] == again["text"],
          "sampling must draw from the generator it is given: the same seed must give the same text.",
          given_, f"seed 3 → {first['text']!r}, seed 3 again → {again['text']!r}")
    check(first["text"] != other["text"], "another seed must give another text (the samples are random).",
          given_, f"seeds 3 and 4 both → {first['text']!r}")
    check(len(first["text"]) == 40 and set(first["text"]) <= set(support.ALPHABET) and empty["text"] == "",
          "generate must return exactly `length` new characters, each from the vocabulary (length 0: '').",
          given_, f"→ {first['text']!r} ({len(first['text'])} characters); length 0 → {empty['text']!r}")


@graded("generate", points=0.5)
@pytest.mark.parametrize("temperature", [1.0, 2.0, 0.5])
def test_char_generate_samples_softmax_over_temperature(impl, temperature):
    length = 400
    c = support.sampling_case(length, temperature, 11)
    (e,) = support.evidence(impl, c)
    counts = [e["text"].count(ch) / length for ch in reversed(support.SAMPLING_ALPHABET)]
    want = support.tempered(support.SAMPLING_PROBS, temperature)
    check(len(e["text"]) == length and max(abs(a - b) for a, b in zip(counts, want)) < 0.08,
          "with a temperature, generate must sample the next character from softmax(logits / temperature).",
          f"{support.call_text(c)}: the stand-in's logits are log {support.SAMPLING_PROBS} at every position, "
          f"so each id has probability {[round(w, 3) for w in want]}",
          f"the {length} samples' frequencies: {[round(x, 3) for x in counts]}")


@graded("generate", points=0.5)
def test_char_generate_bad_arguments(impl):
    for prompt, length, temperature, name in (("", 5, None, "prompt"), ("ab", -1, None, "length"),
                                              ("ab", 5, 0.0, "temperature"), ("ab", 5, -1.0, "temperature")):
        c = support.case(prompt, length, temperature, 0)
        try:
            impl.run(probes.generate_evidence, [c])
        except ValueError as exc:
            check(name in str(exc), f"generate's ValueError for a bad {name} must name it.",
                  f"{support.call_text(c)} → ValueError({str(exc)!r})")
        else:
            fail("generate must raise ValueError for an empty prompt, a negative length or a temperature <= 0.",
                 f"{support.call_text(c)} raised nothing")
