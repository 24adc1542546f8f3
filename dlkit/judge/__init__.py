"""Grading untrusted code: the judge (trusted) and the sandboxed worker.

The judge runs pytest, hypothesis and the graders' checks and never imports
or runs submission code; the worker (dlkit.judge.worker) runs inside a
sandbox (dlkit.judge.sandbox) and is reached through a narrow channel with a
safe codec (dlkit.judge.codec, dlkit.judge.snapshot).
"""
from dlkit.judge.client import RemoteError, RemoteModule, RemoteObject, Submission, WorkerFailed, in_worker

__all__ = ["RemoteError", "RemoteModule", "RemoteObject", "Submission", "WorkerFailed", "in_worker"]
