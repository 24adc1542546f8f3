"""The class at a glance: one static HTML page made from the per-student records.

An instructor of a large class needs the shape of the results (how scores
spread, which items most students miss and why, whose grading crashed or was
slow), not two hundred individual reports. The page is plain HTML with PNG
figures beside it: no JavaScript and nothing fetched from the web, so it can
be opened offline, mailed or archived with the grades.
"""
from __future__ import annotations

import html
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

# The Agg canvas is named, not pyplot, so writing a report from a notebook
# leaves the notebook's own backend alone.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

TOP_SENTENCES = 5
TOP_SLOW = 10
# Where a failure message starts quoting the student's own failing input; two
# students with the same mistake usually differ only after this point.
_INPUT_MARKERS = ("; smallest", " — smallest", "smallest failing input", "Falsifying example")
_FIGURES = ("histogram.png", "pass_rates.png")
_STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: .2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; display: block; margin: .5em 0; }
.summary td:first-child { font-weight: bold; } .muted { color: #777; }
"""


def write_report(records: list[dict], out: Path, title: str = "Class grading report") -> Path:
    """Write OUT/report.html and its figures OUT/report/*.png; return the html path.

    Records are sorted by student first, so the same records always give the
    same page; only the "slowest submissions" table depends on timing.
    """
    out = Path(out)
    figures = out / "report"
    figures.mkdir(parents=True, exist_ok=True)
    for name in _FIGURES:  # a figure left from an earlier run must not pass for this one's
        (figures / name).unlink(missing_ok=True)
    records = sorted(records, key=lambda r: str(r.get("student", "")))
    body = [f"<h1>{_e(title)}</h1>"]
    if not records:
        body.append("<p>No submissions: there is nothing to report.</p>")
    else:
        graded = [r for r in records if r.get("status") != "error"]
        items = _item_stats(graded)
        body += _summary(records, graded)
        body += _histogram(graded, figures)
        body += _pass_rates(items, figures)
        body += _mistakes(items)
        body += _slowest(records)
        body += _crashes(records)
        body += _identical(graded)
    page = out / "report.html"
    page.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return page


def failure_sentence(message: str) -> str:
    """A failure message without the student's own failing input, so that the
    same mistake made by different students reads as the same sentence."""
    lines = str(message or "").strip().splitlines()
    first = lines[0] if lines else ""
    cuts = [i for i in (first.find(m) for m in _INPUT_MARKERS) if i >= 0]
    if cuts:
        first = first[: min(cuts)]
    return first.strip().rstrip(";:,").strip() or "(no message)"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(x: float) -> str:
    return f"{round(float(x), 2):g}"


def _item_stats(graded: list[dict]) -> list[dict]:
    """Per (module, item): the scores of the students who submitted it, and how
    many students each failure sentence was shown to."""
    stats: dict[tuple[str, str], dict] = {}
    for record in graded:
        for item in (record.get("results") or {}).get("items", []):
            key = (str(item.get("module", "")), str(item.get("item", "")))
            s = stats.setdefault(key, {"module": key[0], "item": key[1], "max": 0.0,
                                       "scores": [], "full": 0, "sentences": Counter()})
            score, top = float(item.get("score", 0)), float(item.get("max_score", 0))
            s["max"] = max(s["max"], top)
            s["scores"].append(score)
            s["full"] += int(top > 0 and score >= top - 1e-9)
            # A set: a student whose three tests fail with one sentence counts once.
            s["sentences"].update({failure_sentence(t.get("message", ""))
                                   for t in item.get("tests", []) if not t.get("passed")})
    return [stats[k] for k in sorted(stats)]


def _summary(records: list[dict], graded: list[dict]) -> list[str]:
    rows = [("Students", str(len(records))),
            ("Graded", str(len(graded))),
            ("Errors (nothing graded)", str(len(records) - len(graded))),
            ("Crashed at least once", str(sum(bool(r.get("crashed")) for r in records)))]
    if graded:
        scores = [float(r.get("score", 0)) for r in graded]
        tops = sorted({float(r.get("max_score", 0)) for r in graded})
        top = _num(tops[0]) if len(tops) == 1 else f"{_num(tops[0])}–{_num(tops[-1])}"
        rows += [("Mean score", f"{_num(statistics.fmean(scores))} / {top}"),
                 ("Median score", f"{_num(statistics.median(scores))} / {top}")]
    per_module = Counter(m for r in records for m in r.get("modules", []))
    modules = ", ".join(f"{_e(m)} ({n})" for m, n in sorted(per_module.items())) or "none"
    out = ['<table class="summary">']
    out += [f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows]
    out += [f"<tr><td>Modules (students)</td><td>{modules}</td></tr>", "</table>"]
    return out


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    # No "Software" entry: the PNG bytes then do not change with matplotlib's version.
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})


def _histogram(graded: list[dict], figures: Path) -> list[str]:
    out = ["<h2>Scores</h2>"]
    if not graded:
        return out + ["<p>No submission could be graded.</p>"]
    scores = [float(r.get("score", 0)) for r in graded]
    top = max([float(r.get("max_score", 0)) for r in graded] + scores) or 1.0
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.hist(scores, bins=20, range=(0, top), color="#4878a8", edgecolor="white")
    ax.set_xlabel(f"score (out of {_num(top)})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students, never 0.5 of one
    ax.grid(axis="y", alpha=0.3)
    _save(fig, figures / "histogram.png")
    return out + ['<img src="report/histogram.png" width="800" alt="histogram of the graded scores">']


def _pass_rates(items: list[dict], figures: Path) -> list[str]:
    out = ["<h2>Items</h2>"]
    if not items:
        return out + ["<p>No item was graded.</p>"]
    drawn = [s for s in items if s["max"] > 0]  # a 0-point item has no "full marks" to reach
    if drawn:
        fig = Figure(figsize=(8, 1.0 + 0.3 * len(drawn)), layout="constrained")
        ax = fig.subplots()
        rates = [s["full"] / len(s["scores"]) for s in drawn]
        bars = ax.barh(range(len(drawn)), rates, color="#59a14f")
        ax.bar_label(bars, labels=[f"{r:.0%}" for r in rates], padding=3, fontsize=8)
        ax.set_yticks(range(len(drawn)), [f"{s['module']} · {s['item']}" for s in drawn], fontsize=8)
        ax.set_ylim(len(drawn) - 0.5, -0.5)  # the table's order, top to bottom
        ax.set_xlim(0, 1.08)
        ax.set_xlabel("fraction of students with full points")
        _save(fig, figures / "pass_rates.png")
        out.append('<img src="report/pass_rates.png" width="800" alt="full-marks rate per item">')
    out += ["<table>", "<tr><th>Module</th><th>Item</th><th>Max points</th><th>Students</th>"
            "<th>Mean points</th><th>Full-marks rate</th></tr>"]
    for s in items:
        rate = f"{s['full'] / len(s['scores']):.0%}" if s["max"] > 0 else '<span class="muted">n/a</span>'
        out.append(f"<tr><td>{_e(s['module'])}</td><td>{_e(s['item'])}</td><td class=\"n\">{_num(s['max'])}</td>"
                   f"<td class=\"n\">{len(s['scores'])}</td><td class=\"n\">{_num(statistics.fmean(s['scores']))}</td>"
                   f"<td class=\"n\">{rate}</td></tr>")
    return out + ["</table>"]


def _mistakes(items: list[dict]) -> list[str]:
    out = ["<h2>Common mistakes</h2>",
           f"<p>The {TOP_SENTENCES} most frequent failure sentences per item, "
           "counted in students (the failing input left out).</p>"]
    failing = [s for s in items if s["sentences"]]
    if not failing:
        return out + ["<p>No test failed.</p>"]
    out += ["<table>", "<tr><th>Item</th><th>Students</th><th>Failure sentence</th></tr>"]
    for s in failing:
        top = sorted(s["sentences"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SENTENCES]
        for i, (sentence, n) in enumerate(top):
            head = (f'<td rowspan="{len(top)}">{_e(s["module"])}<br>{_e(s["item"])}</td>' if i == 0 else "")
            out.append(f"<tr>{head}<td class=\"n\">{n}</td><td>{_e(sentence)}</td></tr>")
    return out + ["</table>"]


def _slowest(records: list[dict]) -> list[str]:
    slow = sorted(records, key=lambda r: (-float(r.get("seconds") or 0), str(r.get("student", ""))))
    out = [f"<h2>Slowest submissions (top {TOP_SLOW})</h2>", "<table>",
           "<tr><th>Student</th><th>Seconds</th><th>Status</th><th>Score</th></tr>"]
    for r in slow[:TOP_SLOW]:
        score = ("—" if r.get("status") == "error"
                 else f"{_num(r.get('score', 0))} / {_num(r.get('max_score', 0))}")
        out.append(f"<tr><td>{_e(r.get('student', ''))}</td><td class=\"n\">{float(r.get('seconds') or 0):.1f}</td>"
                   f"<td>{_e(r.get('status', ''))}</td>"
                   f"<td class=\"n\">{score}</td></tr>")
    return out + ["</table>"]


def _crashes(records: list[dict]) -> list[str]:
    bad = [r for r in records if r.get("crashed") or r.get("status") == "error"]
    out = ["<h2>Crashes and errors</h2>"]
    if not bad:
        return out + ["<p>No worker crashed and every submission was graded.</p>"]
    out += ["<table>", "<tr><th>Student</th><th>Status</th><th>What happened</th></tr>"]
    for r in bad:
        what = [str(r.get("reason") or "")] + [str(x) for x in r.get("restarts", [])]
        text = "<br>".join(_e(w) for w in what if w) or '<span class="muted">(no reason given)</span>'
        status = _e(r.get("status", "")) + (", crashed" if r.get("crashed") else "")
        out.append(f"<tr><td>{_e(r.get('student', ''))}</td><td>{status}</td><td>{text}</td></tr>")
    return out + ["</table>"]


def _identical(graded: list[dict]) -> list[str]:
    """Students whose files are byte for byte the same (equal content hashes
    within one run), leaving out submissions that earned nothing: untouched
    stubs are alike by nature."""
    groups: dict[str, list[str]] = {}
    for r in graded:
        if r.get("hash") and float(r.get("score") or 0) > 0:
            groups.setdefault(str(r["hash"]), []).append(str(r.get("student", "")))
    same = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    out = ["<h2>Identical submissions</h2>"]
    if not same:
        return out + ["<p>No two submissions with points are identical.</p>"]
    return out + ["<ul>"] + [f"<li>{', '.join(_e(n) for n in g)}</li>" for g in same] + ["</ul>"]
