"""The device choice, shared by experiments and graders."""
from __future__ import annotations

import torch


def default_device() -> torch.device:
    """CUDA when a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
