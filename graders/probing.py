"""Helpers shared by the probes of every module (the grader code that runs in
the worker, next to the submission)."""
from __future__ import annotations

from typing import Any

import torch


def describe_output(value: Any) -> str:
    """'tensor of shape (2, 3) (float32, requires_grad)' or the type's name: what
    a student's function returned, for a message, without sending the value."""
    if isinstance(value, torch.Tensor):
        grad = ", requires_grad" if value.requires_grad else ""
        return f"tensor of shape {tuple(value.shape)} ({str(value.dtype).removeprefix('torch.')}{grad})"
    return type(value).__name__
