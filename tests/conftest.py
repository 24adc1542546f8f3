"""Fixtures for the project's own tests."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def submission(tmp_path: Path):
    """Write a submission directory holding hw7/conditional_gan.py with the given text."""

    def write(text: str) -> Path:
        (tmp_path / "hw7").mkdir(exist_ok=True)
        (tmp_path / "hw7" / "conditional_gan.py").write_text(text, encoding="utf-8")
        return tmp_path

    return write
