"""The Project 2 character-level experiment: the split, one training run,
the KL check, samples from generate, the figure and the exit statuses."""
from __future__ import annotations

import json
import math

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.char_rnn import (
    CURVES, NANOGPT_BPC, RUNS, SAMPLES, SEQ_LENGTH, SUMMARY, kl_equals_cross_entropy, split, train_run,
)
from tests.test_data_and_experiment import PNG_SIGNATURE

TEXT = "to be, or not to be, that is the question.\n" * 60


def test_registered() -> None:
    assert EXPERIMENTS["project2/char_rnn"] == "dlkit.experiments.char_rnn"
    assert abs(NANOGPT_BPC["GPU (6 layers, 10.7 M parameters)"] - 2.1203) < 1e-3


def test_split_and_a_run_that_learns() -> None:
    solutions = impl_loader.load_module("project2/char_rnn", "solutions")
    data = split(solutions, TEXT)
    assert len(data["vocab"]) == len(set(TEXT))
    n_train, n_val = len(data["train"][0]), len(data["val"][0])
    assert data["train"][0].shape[1] == SEQ_LENGTH and n_train > 5 * n_val > 0
    model, result = train_run(solutions, data, "LSTM, lr 1e-3", steps=40, hidden=32, seed=0, device="cpu")
    curve = result["curve"]
    assert curve["step"][-1] == 40 and curve["val_bpc"][-1] < curve["val_bpc"][0] < math.log2(len(data["vocab"])) + 1
    kl = kl_equals_cross_entropy(solutions, model, data, "cpu")
    assert abs(kl["kl_loss"] - kl["cross_entropy"]) < 1e-5


def test_command_line_on_a_users_text(tmp_path, capsys) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "out"
    status = run_experiment("project2/char_rnn", [
        "--impl", "solutions", "--text", str(corpus), "--steps", "2", "--hidden", "8", "--length", "30",
        "--no-progress", "--out", str(out)])
    text = capsys.readouterr().out
    assert status == 0, text
    assert (out / CURVES).read_bytes()[:8] == PNG_SIGNATURE
    summary = json.loads((out / SUMMARY).read_text())
    assert set(summary["runs"]) == set(RUNS) and all(len(s) == 30 for s in summary["samples"].values())
    assert (out / SAMPLES).read_text().count("--- ") == 3


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("project2/char_rnn", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / CURVES).exists()
    assert run_experiment("project2/char_rnn", ["--text", str(tmp_path / "missing.txt")]) == 2
    assert "--text" in capsys.readouterr().err
    short = tmp_path / "short.txt"
    short.write_text("abc", encoding="utf-8")
    assert run_experiment("project2/char_rnn", ["--text", str(short)]) == 2
    assert "at least" in capsys.readouterr().err
