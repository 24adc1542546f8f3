"""The Project 2 contextual-classifier experiment: the Davidson loader on a
tiny file in the real format, the offline stand-in task, the packaged
encoder, a run on cached hidden states, the report and the exit statuses."""
from __future__ import annotations

import json

import pytest

from dlkit import hate_speech
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.contextual_classifier import CONFUSION, CURVES, REPORT, SUMMARY
from tests.test_data_and_experiment import PNG_SIGNATURE

# labeled_data.csv's layout: an unnamed index, the annotators' counts, the majority class, the tweet.
DAVIDSON = (',count,hate_speech,offensive_language,neither,class,tweet\n'
            '0,3,0,0,3,2,"!!! RT @user: As a woman you shouldn\'t complain about cleaning up your house."\n'
            '1,3,0,3,0,1,"!!!!! RT @user: boy dats cold...tyga dwn bad"\n'
            '2,3,2,1,0,0,"a made-up hateful tweet, for the test"\n')


def test_registered() -> None:
    assert EXPERIMENTS["project2/contextual_classifier"] == "dlkit.experiments.contextual_classifier"


def test_davidson_file_in_the_real_format(tmp_path) -> None:
    path = tmp_path / "labeled_data.csv"
    path.write_text(DAVIDSON, encoding="utf-8")
    texts, labels = hate_speech.load_davidson(path)
    assert labels == [2, 1, 0] and texts[1] == "!!!!! RT @user: boy dats cold...tyga dwn bad"
    with pytest.raises(ValueError, match="download"):
        hate_speech.load_davidson(tmp_path / "missing.csv")
    path.write_text("tweet,label\nhello,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no column 'class'"):
        hate_speech.load_davidson(path)


def test_stand_in_task_is_three_imbalanced_classes() -> None:
    texts, labels = hate_speech.stand_in()
    counts = [labels.count(c) for c in range(3)]
    assert len(texts) == len(labels) and counts[0] == 200 and counts[0] < counts[1] < counts[2]


def test_packaged_encoder_offline() -> None:
    tokenizer, encoder = hate_speech.load_encoder()
    batch = tokenizer(["<user> hello"], return_tensors="pt")
    assert encoder(**batch).last_hidden_state.shape[-1] == 384


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("project2/contextual_classifier", [
        "--impl", "solutions", "--limit", "80", "--epochs", "1", "--lstm-size", "4", "--no-progress",
        "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 0, captured.out
    assert captured.err == ""
    for name in (CURVES, CONFUSION):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    summary = json.loads((tmp_path / SUMMARY).read_text())
    assert summary["classes"] == list(hate_speech.STAND_IN_CLASSES) and len(summary["history"]) == 1
    assert sum(map(sum, summary["final"]["confusion"])) > 0
    assert "stand-in" in (tmp_path / REPORT).read_text()


def test_command_line_failures(tmp_path, capsys) -> None:
    status = run_experiment("project2/contextual_classifier",
                            ["--impl", "assignments", "--quick", "--no-progress", "--out", str(tmp_path)])
    assert status == 1 and "is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / CURVES).exists()
    assert run_experiment("project2/contextual_classifier", ["--data", "davidson", "--csv", str(tmp_path / "x.csv")]) == 2
    assert "--csv" in capsys.readouterr().err
