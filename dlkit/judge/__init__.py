"""Grading untrusted code: the judge (trusted) and the sandboxed worker.

The judge runs pytest, hypothesis and the graders' checks and never imports
or runs submission code; the worker (dlkit.judge.worker) runs inside a
sandbox (dlkit.judge.sandbox) and is reached through a narrow channel with a
safe codec (dlkit.judge.codec, dlkit.judge.snapshot).

The names below are imported on first use, so that dlkit.judge.sandbox can
start a worker before this process imports torch.
"""
from __future__ import annotations

from typing import Any

__all__ = ["RemoteError", "RemoteModule", "RemoteObject", "Submission", "WorkerFailed", "in_worker"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dlkit.judge import client

        return getattr(client, name)
    raise AttributeError(f"module 'dlkit.judge' has no attribute {name!r}")
