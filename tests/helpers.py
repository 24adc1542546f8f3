"""Helpers for the project's own tests."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `dlkit ARGS` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "dlkit.cli", *args],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout,
    )


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
