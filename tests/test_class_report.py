"""The class report: its numbers, its figures, and how a real browser shows it."""
from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlkit.classroom.report import failure_sentence, write_report

ODD_NAME = "Zoë <b>&amp; O'Neil"
DTYPE = "dropout_forward must keep the dtype of its input"


def _test(name: str, passed: bool, points: float, message: str = "") -> dict:
    return {"name": name, "passed": passed, "points": points, "message": message, "visibility": "visible"}


def _item(module: str, item: str, tests: list[dict]) -> dict:
    return {"module": module, "item": item, "tests": tests,
            "score": sum(t["points"] for t in tests if t["passed"]),
            "max_score": sum(t["points"] for t in tests)}


def _record(student: str, items: list[dict], seconds: float, **extra) -> dict:
    score, top = sum(i["score"] for i in items), sum(i["max_score"] for i in items)
    record = {"student": student, "status": "graded", "reason": "", "notes": [],
              "modules": sorted({i["module"] for i in items}), "hash": f"{student}-files", "seconds": seconds,
              "score": score, "max_score": top, "crashed": False, "restarts": [],
              "results": {"score": score, "max_score": top, "sandbox": "bwrap", "worker_restarts": [],
                          "errors": [], "items": items}}
    record.update(extra)
    return record


def _submission(dtype_msg: str | None = None, mask_msg: str | None = None, w2v_ok: bool = True) -> list[dict]:
    return [
        _item("hw1/dropout", "dropout_forward", [
            _test("test_output_dtype", dtype_msg is None, 2.0, dtype_msg or ""),
            _test("test_mask_scale", mask_msg is None, 1.5, mask_msg or "")]),
        _item("hw1/dropout", "reading_notes", [_test("test_read", True, 0.0)]),  # a 0-point item
        _item("hw7/word2vec", "skipgram_loss", [
            _test("test_loss_value", w2v_ok, 4.0, "" if w2v_ok else "your code raised RuntimeError: shape\n  at w2v.py, line 3")]),
    ]


def records() -> list[dict]:
    """Six students: correct, three sharing one mistake, a crash with an odd name, and an error."""
    return [
        _record("alice", _submission(), 3.0),
        _record("bob", _submission(dtype_msg=f"{DTYPE}; smallest failing input: x = tensor([1.])"), 9.5),
        _record("carol", _submission(dtype_msg=f"{DTYPE}\n  smallest failing input: x = tensor([2., 3.])",
                                     mask_msg="kept values must be scaled by 1/(1-p) — smallest failing input: p=0.5"),
                4.25),
        _record("dave", _submission(dtype_msg=f"{DTYPE} smallest failing input: x=tensor([0.])", w2v_ok=False), 7.0),
        _record(ODD_NAME, _submission(mask_msg="kept values must be scaled by 1/(1-p)\nFalsifying example: p=0.1"),
                31.0, crashed=True, restarts=["the worker exited with status 3 while importing hw1/dropout"]),
        {"student": "erin", "status": "error", "reason": "the submission holds no file that is graded",
         "notes": [], "modules": [], "hash": "1" * 64, "seconds": 0.2, "score": 0.0, "max_score": 0.0,
         "crashed": False, "restarts": [], "results": {"items": [], "errors": ["no graded file"]}},
    ]


class _Cells(HTMLParser):
    """The page's table rows as lists of cell texts (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _rows(page: Path) -> list[list[str]]:
    parser = _Cells()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.rows


def test_failure_sentence_drops_the_failing_input():
    assert failure_sentence(f"{DTYPE}; smallest failing input: x = 1") == DTYPE
    assert failure_sentence("scale by 1/(1-p) — smallest failing input: p=0.5") == "scale by 1/(1-p)"
    assert failure_sentence(f"{DTYPE}\n  smallest failing input: x = 1") == DTYPE
    assert failure_sentence("wrong shape Falsifying example: x=2") == "wrong shape"
    assert failure_sentence("") == "(no message)"


def test_report_shows_counts_common_mistakes_and_escaped_names(tmp_path: Path):
    page = write_report(records(), tmp_path)
    text = page.read_text(encoding="utf-8")
    rows = _rows(page)
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["Students"] == "6" and summary["Graded"] == "5"
    assert summary["Errors (nothing graded)"] == "1" and summary["Crashed at least once"] == "1"
    assert summary["Mean score"] == "4.9 / 7.5" and summary["Median score"] == "5.5 / 7.5"
    assert summary["Modules (students)"] == "hw1/dropout (5), hw7/word2vec (5)"
    # bob, carol and dave share one sentence though their inputs differ; the
    # scaling mistake is made by two students, one of them via "Falsifying example".
    assert ["hw1/dropout dropout_forward", "3", DTYPE] in rows
    assert ["2", "kept values must be scaled by 1/(1-p)"] in rows
    assert ["hw7/word2vec skipgram_loss", "1", "your code raised RuntimeError: shape"] in rows
    # Per-item table: 0-point item has no full-marks rate; only alice got dropout_forward fully right.
    assert ["hw1/dropout", "dropout_forward", "3.5", "5", "1.7", "20%"] in rows
    assert ["hw1/dropout", "reading_notes", "0", "5", "0", "n/a"] in rows
    # The odd name reaches the reader intact but never as markup.
    assert "<b>" not in text and "&amp;amp;" in text
    assert [ODD_NAME, "31.0", "graded", "6 / 7.5"] == next(r for r in rows if r and r[0] == ODD_NAME)
    assert any(r[:2] == [ODD_NAME, "graded, crashed"] for r in rows)
    assert ["erin", "error", "the submission holds no file that is graded"] in rows
    assert ["erin", "0.2", "error", "—"] in rows
    assert '<meta charset="utf-8">' in text
    assert not re.search(r"<script|https?://|<link", text, re.I)


def test_report_is_deterministic(tmp_path: Path):
    a, b = write_report(records(), tmp_path / "a"), write_report(list(reversed(records())), tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    for name in ("histogram.png", "pass_rates.png"):
        assert (tmp_path / "a/report" / name).read_bytes() == (tmp_path / "b/report" / name).read_bytes()


def test_figures_are_valid_pngs(tmp_path: Path):
    page = write_report(records(), tmp_path)
    sources = re.findall(r'<img src="([^"]+)"', page.read_text(encoding="utf-8"))
    assert sources == ["report/histogram.png", "report/pass_rates.png"]
    for src in sources:
        data = (tmp_path / src).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"matplotlib" not in data
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            assert img.width >= 400 and img.height >= 100


def test_no_records_and_all_errors(tmp_path: Path):
    page = write_report([], tmp_path / "none")
    assert "No submissions" in page.read_text(encoding="utf-8")
    assert not list((tmp_path / "none/report").iterdir())
    errors = [r for r in records() if r["status"] == "error"] * 2
    page = write_report(errors, tmp_path / "errors")
    text = page.read_text(encoding="utf-8")
    assert "No submission could be graded" in text and "<img" not in text
    assert ["Errors (nothing graded)", "2"] in _rows(page)


# --- a real browser ----------------------------------------------------------
# Chromium's own --screenshot run, with --enable-logging=stderr, prints the
# page's console.error calls but not its failed resource loads (a missing
# figure), so the page is driven over the DevTools protocol instead: that
# reports both, and the figure's place on the page.

CHROMIUM = shutil.which("chromium")
# CI installs chromium (.ci/run): there a missing browser is a failure, not a skip.
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                    reason="Debian's chromium is not installed")


def _render(page: Path, profile: Path, timeout: float = 60.0) -> tuple[Image.Image, list[str], dict | None]:
    """PAGE in headless chromium at 1200x2000: the screenshot, the console
    errors, and the histogram image's box and natural width (None if absent)."""
    cmd_r, cmd_w = os.pipe()  # our commands -> chromium's fd 3
    evt_r, evt_w = os.pipe()  # chromium's fd 4 -> our replies and events
    # Copies above 9, so that moving them to fds 3 and 4 cannot overwrite one
    # with the other; bash, unlike dash, redirects fds above 9.
    high_r, high_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, evt_w))
    args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--window-size=1200,2000", f"--user-data-dir={profile}", "--remote-debugging-pipe",
            "--no-first-run", "about:blank"]
    log = profile.with_suffix(".log")  # chromium's stderr: noisy, read only when it fails
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(["bash", "-c", f'exec "$0" "$@" 3<&{high_r} 4>&{high_w} {high_r}<&- {high_w}>&-',
                                 *args], pass_fds=(high_r, high_w), stdin=subprocess.DEVNULL,
                                stdout=stderr, stderr=stderr, start_new_session=True)
    for fd in (cmd_r, evt_w, high_r, high_w):  # chromium's ends; ours see EOF if it dies
        os.close(fd)
    errors: list[str] = []
    buffer, next_id, deadline = b"", 0, time.monotonic() + timeout

    def read() -> dict:
        nonlocal buffer
        while b"\0" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([evt_r], [], [], left)[0]:
                raise TimeoutError(f"chromium did not answer within {timeout:.0f} s; see {log}")
            chunk = os.read(evt_r, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium closed the DevTools pipe; see {log}")
            buffer += chunk
        raw, buffer = buffer.split(b"\0", 1)
        message = json.loads(raw)
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
        return message

    def call(method: str, session: str | None = None, **params) -> dict:
        nonlocal next_id
        next_id += 1
        message: dict = {"id": next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(cmd_w, json.dumps(message).encode() + b"\0")
        while (reply := read()).get("id") != next_id:
            pass
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    try:
        target = call("Target.createTarget", url="about:blank")["targetId"]
        session = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            call(f"{domain}.enable", session)
        call("Emulation.setDeviceMetricsOverride", session, width=1200, height=2000,
             deviceScaleFactor=1, mobile=False)
        call("Page.navigate", session, url=page.resolve().as_uri())
        while read().get("method") != "Page.loadEventFired":
            pass
        probe = ("(() => { const i = document.querySelector('img[src=\"report/histogram.png\"]');"
                 " if (!i) return null; const b = i.getBoundingClientRect();"
                 " return {x: b.x, y: b.y, width: b.width, height: b.height, natural: i.naturalWidth}; })()")
        box = call("Runtime.evaluate", session, expression=probe, returnByValue=True)["result"].get("value")
        shot = call("Page.captureScreenshot", session, format="png")["data"]
        try:
            call("Browser.close")
        except RuntimeError:  # the pipe may close before the reply comes
            pass
        return Image.open(io.BytesIO(base64.b64decode(shot))).convert("RGB"), errors, box
    finally:
        os.close(cmd_w)
        os.close(evt_r)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the renderers go too
            proc.wait()


@needs_chromium
def test_browser_shows_the_report_without_console_errors(tmp_path: Path):
    page = write_report(records(), tmp_path / "out")
    shot, errors, box = _render(page, tmp_path / "profile")
    assert errors == []
    assert shot.size == (1200, 2000)
    pixels = np.asarray(shot, dtype=float)
    assert pixels.std() > 20 and len(shot.getcolors(1 << 24)) > 50  # text, rules, figures: not a blank page
    # The histogram loaded and is drawn: its box on the screen is not blank white.
    assert box is not None and box["natural"] > 0 and box["width"] > 300
    x, y = int(box["x"]), int(box["y"])
    region = pixels[y:min(y + int(box["height"]), 2000), x:x + int(box["width"])]
    assert region.size and (region < 200).any(axis=-1).mean() > 0.02


@needs_chromium
def test_browser_check_catches_a_broken_page(tmp_path: Path):
    """The detector can fail: a missing figure and a console.error are both reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><h1>broken</h1>'
                    '<img src="report/histogram.png"><script>console.error("deliberate x")</script>'
                    "</body></html>", encoding="utf-8")
    _, errors, box = _render(page, tmp_path / "profile")
    assert any(e.startswith("console:") and "deliberate x" in e for e in errors), errors
    assert any("histogram.png" in e and "ERR_FILE_NOT_FOUND" in e for e in errors), errors
    assert box is not None and box["natural"] == 0


def test_identical_submissions_are_listed(tmp_path: Path) -> None:
    twin = _record("alice's twin", _submission(), 2.0, hash="alice-files")  # the same files as alice
    html = write_report(records() + [twin], tmp_path).read_text(encoding="utf-8")
    section = html.split("<h2>Identical submissions</h2>", 1)[1]
    assert "<li>alice, alice&#x27;s twin</li>" in section and "bob" not in section
