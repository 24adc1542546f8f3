"""Daily stock closes for Project 2's forecasting, offline.

* :func:`load_closes`: split- and dividend-adjusted daily closes from the
  ``bokeh-sampledata`` wheel (public-domain Quandl WIKI prices: AAPL, GOOG,
  IBM, MSFT to 1 March 2013), on the days every requested ticker traded —
  AAPL and GOOG share 2 148 days from 19 August 2004.
* :func:`load_goog`: matplotlib's bundled sample of GOOG (``goog.npz``,
  1 047 days from August 2004), a one-stock fallback.
* :func:`load_csv`: a user's own file with a ``Date`` column and price
  columns, e.g. the course's 2010–2018 GOOG and AAPL closes.

Each returns ``(dates, prices)``: ISO date strings in increasing order and a
``(T, k)`` float64 tensor, one column per ticker or CSV column.
"""
from __future__ import annotations

import csv
from pathlib import Path

import torch

TICKERS = ("AAPL", "GOOG", "IBM", "MSFT")


def load_closes(tickers: tuple[str, ...] = ("AAPL", "GOOG"), adjusted: bool = True) -> tuple[list[str], torch.Tensor]:
    """Daily closes of `tickers` on the days all of them traded.

    Args:
        tickers: names from TICKERS.
        adjusted: the adjusted closes (default; AAPL's 2005 2-for-1 split is
            otherwise a halving overnight) or the raw ones.

    Returns:
        (dates, prices (T, len(tickers)) float64).
    """
    unknown = [t for t in tickers if t not in TICKERS]
    if not tickers or unknown:
        raise ValueError(f"tickers: expected names from {TICKERS}, got {tickers!r}")
    try:
        from bokeh_sampledata import stocks
    except ImportError:
        raise ImportError("the stock data ships in bokeh-sampledata, part of the install: pip install -e .") from None
    column = "adj_close" if adjusted else "close"
    by_date = [dict(zip(getattr(stocks, t)["date"], getattr(stocks, t)[column])) for t in tickers]
    dates = sorted(set.intersection(*(set(d) for d in by_date)))
    return dates, torch.tensor([[d[day] for d in by_date] for day in dates], dtype=torch.float64)


def load_goog() -> tuple[list[str], torch.Tensor]:
    """matplotlib's sample GOOG prices: (dates, adjusted closes (T, 1) float64)."""
    from matplotlib import cbook

    prices = cbook.get_sample_data("goog.npz")["price_data"]
    return [str(d) for d in prices["date"]], torch.tensor(prices["adj_close"], dtype=torch.float64).unsqueeze(1)


def load_csv(path: str | Path, columns: tuple[str, ...] = ("Close",), date_column: str = "Date") -> tuple[list[str], torch.Tensor]:
    """Prices from a CSV with a header row, sorted by date.

    Args:
        path: the file; any other columns are ignored.
        columns: the price columns to read, in this order.
        date_column: the column of dates (ISO dates sort correctly as text).

    Returns:
        (dates, prices (T, len(columns)) float64).
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (date_column, *columns) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"path: {path} has no column {missing[0]!r}; its columns are {reader.fieldnames}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append((row[date_column], [float(row[c]) for c in columns]))
            except (TypeError, ValueError):
                raise ValueError(f"path: {path}, line {line}: expected numbers in {list(columns)}, got {row}") from None
    if not rows:
        raise ValueError(f"path: {path} has a header but no rows")
    rows.sort(key=lambda r: r[0])
    return [r[0] for r in rows], torch.tensor([r[1] for r in rows], dtype=torch.float64)
