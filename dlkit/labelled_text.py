"""Offline sentences with sentiment and topic labels, from gensim's test data.

No package here ships sentences labelled for both a sentiment and a topic,
so the multi-task experiment joins three sources that each ship inside
gensim's wheel, and labels each sentence with what its source knows:

* **film**: the 200 movie-review sentences of ``pang_lee_polarity.cor``
  (Pang and Lee's polarity data, 100 positive and 100 negative), labelled
  for sentiment and topic;
* **news**: sentences of the Lee background corpus (Australian news,
  ``lee_background.cor``), topic only;
* **religion** and **space**: sentences of the posts in ``mini_newsgroup``
  (200 posts of the 20 Newsgroups collection, alt.atheism and sci.space,
  stored by an old scikit-learn as a zlib-compressed pickle), topic only.

A sentence with no sentiment label gets :data:`IGNORE` (-100) for it, the
value the multi-task loss skips. The newsgroup posts are read with an
unpickler that builds only dicts, lists and strings: the numpy arrays of
the pickle are skipped unread (the labels come from each post's
``Newsgroups:`` header), and any other class is refused, so the file can
run no code.
"""
from __future__ import annotations

import copyreg
import functools
import io
import pickle
import re
import zlib
from typing import Any

from dlkit.wordsim import datapath

IGNORE = -100
SENTIMENTS = ("negative", "positive")
TOPICS = ("film", "news", "religion", "space")
WORD = re.compile(r"[a-z0-9']+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_WORDS, MAX_WORDS = 4, 40


def words(text: str) -> list[str]:
    """Lower-cased word tokens: runs of letters, digits and apostrophes."""
    return WORD.findall(text.lower())


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if MIN_WORDS <= len(words(s)) <= MAX_WORDS]


def film_sentences() -> list[tuple[str, int]]:
    """The 200 polarity sentences as (text, sentiment), 0 = negative, 1 = positive."""
    out = []
    # The file is Latin-1 (a few dashes and accents), one "__label__pos text" per line.
    for line in datapath("pang_lee_polarity.cor").read_text(encoding="latin-1").splitlines():
        label, _, text = line.partition(" ")
        if label in ("__label__neg", "__label__pos"):
            out.append((text.strip(), int(label == "__label__pos")))
    return out


def news_sentences() -> list[str]:
    """The Lee background corpus split into sentences of 4 to 40 words (film sentences are kept whole, all 200)."""
    text = datapath("lee_background.cor").read_text(encoding="utf-8", errors="replace")
    return [s for line in text.splitlines() for s in _sentences(line)]


class _Skipped:
    """Stands for a numpy array or dtype of the pickle: takes its state and keeps nothing."""

    def __init__(self, *args: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


class _Bunch(dict):
    """scikit-learn's Bunch, read back as a plain dict."""


class _PlainUnpickler(pickle.Unpickler):
    _ALLOWED = {
        ("copy_reg", "_reconstructor"): copyreg._reconstructor,
        ("__builtin__", "dict"): dict,
        ("__builtin__", "object"): object,
        ("sklearn.datasets.base", "Bunch"): _Bunch,
        ("numpy.core.multiarray", "_reconstruct"): _Skipped,
        ("numpy", "ndarray"): _Skipped,
        ("numpy", "dtype"): _Skipped,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"mini_newsgroup: refusing to load {module}.{name}") from None


def newsgroup_sentences() -> dict[str, list[str]]:
    """Sentences of the mini 20 Newsgroups posts: {"religion": [...], "space": [...]}.

    Headers, quoted lines (">"), signatures' addresses and attribution lines
    are dropped; a post cross-posted to sci.space counts as space.
    """
    raw = zlib.decompress(datapath("mini_newsgroup").read_bytes())
    posts = _PlainUnpickler(io.BytesIO(raw), encoding="latin-1").load()["data"]
    out: dict[str, list[str]] = {"religion": [], "space": []}
    for post in posts:
        header, _, body = post.partition("\n\n")
        groups = re.search(r"^Newsgroups: (\S+)", header, re.M)
        names = groups.group(1).split(",") if groups else []
        topic = "space" if "sci.space" in names else "religion" if "alt.atheism" in names else None
        if topic is None:
            continue
        kept = [line for line in body.splitlines()
                if not line.lstrip().startswith((">", "|", ":")) and "@" not in line
                and not re.search(r"\b(writes|wrote):", line)]
        out[topic].extend(_sentences(" ".join(kept)))
    return out


def labelled_sentences() -> list[tuple[str, int, int]]:
    """Every sentence of the four topics as (text, sentiment, topic).

    sentiment is 0 / 1 (:data:`SENTIMENTS`) for film sentences and
    :data:`IGNORE` for the others; topic indexes :data:`TOPICS`. The files
    are read once per process (each seed of an experiment asks again).
    """
    return list(_all_rows())


@functools.lru_cache(maxsize=1)
def _all_rows() -> tuple[tuple[str, int, int], ...]:
    rows = [(text, sentiment, TOPICS.index("film")) for text, sentiment in film_sentences()]
    rows += [(text, IGNORE, TOPICS.index("news")) for text in news_sentences()]
    for topic, sentences in newsgroup_sentences().items():
        rows += [(text, IGNORE, TOPICS.index(topic)) for text in sentences]
    return tuple(rows)
