"""The hw7 multi-task experiment: the offline labelled sentences, the
splits, training on partly labelled batches, the references, the figure,
the summary and the exit statuses."""
from __future__ import annotations

import json

import pytest
import torch

from dlkit import impl as impl_loader
from dlkit import labelled_text
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.multitask import CURVES, SETTINGS, SUMMARY, make_split, references, train_setting
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["hw7/multitask"] == "dlkit.experiments.multitask"


def test_sources_and_labels() -> None:
    rows = labelled_text.labelled_sentences()
    film = [(s, t) for _, s, t in rows if t == labelled_text.TOPICS.index("film")]
    assert sorted(s for s, _ in film) == [0] * 100 + [1] * 100
    others = [s for _, s, t in rows if t != labelled_text.TOPICS.index("film")]
    assert set(others) == {labelled_text.IGNORE}
    counts = torch.bincount(torch.tensor([t for _, _, t in rows]), minlength=len(labelled_text.TOPICS))
    assert bool((counts[1:] > 3 * counts[0]).all())  # film is the rare topic
    lengths = [len(labelled_text.words(text)) for text, _, t in rows if t != labelled_text.TOPICS.index("film")]
    assert labelled_text.MIN_WORDS <= min(lengths) and max(lengths) <= labelled_text.MAX_WORDS


def test_newsgroup_pickle_runs_no_code(tmp_path, monkeypatch) -> None:
    import pickle
    import zlib

    evil = tmp_path / "mini_newsgroup"
    evil.write_bytes(zlib.compress(pickle.dumps(print, protocol=0)))  # a global outside the allowed ones
    monkeypatch.setattr(labelled_text, "datapath", lambda name: evil)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        labelled_text.newsgroup_sentences()


def test_split_is_seeded_stratified_and_disjoint() -> None:
    a, b, other = make_split(0), make_split(0), make_split(1)
    assert all(torch.equal(x, y) for x, y in zip(a["train"], b["train"]))
    assert not torch.equal(a["test"][2], other["test"][2]) or not torch.equal(a["test"][0], other["test"][0])
    for part in ("train", "test"):
        tokens, sentiment, topic = a[part]
        assert tokens.dtype == torch.int64 and bool((tokens < a["vocab_size"]).all())
        film = topic == labelled_text.TOPICS.index("film")
        assert bool((sentiment[~film] == labelled_text.IGNORE).all()) and bool((sentiment[film] >= 0).all())
    train_film = int((a["train"][2] == 0).sum())
    test_film = int((a["test"][2] == 0).sum())
    assert test_film == round(0.3 * 200) and train_film == 200 - test_film


def test_training_on_partly_labelled_batches() -> None:
    solutions = impl_loader.load_module("hw7/multitask", "solutions")
    data = make_split(0)
    history = train_setting(solutions, data, "both tasks, class weights", epochs=2)
    assert len(history) == 2 and all(torch.isfinite(torch.tensor(h["loss"])) for h in history)
    refs = references(data)
    assert history[-1]["topic_macro_f1"] > refs["majority"]["topic_macro_f1"] + 0.2
    assert refs["bag_of_words"]["topic_macro_f1"] > refs["majority"]["topic_macro_f1"]


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw7/multitask", [
        "--impl", "solutions", "--epochs", "1", "--seeds", "1", "--no-progress", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert (tmp_path / CURVES).read_bytes()[:8] == PNG_SIGNATURE
    summary = json.loads((tmp_path / SUMMARY).read_text())
    assert set(summary["final"]) == set(SETTINGS) and summary["seeds"] == 1
    assert "bag-of-words logistic regression" in out


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw7/multitask", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / CURVES).exists()
    assert run_experiment("hw7/multitask", ["--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err
