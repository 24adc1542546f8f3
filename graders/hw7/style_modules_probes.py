"""Grader code that runs in the worker, next to the submission (hw7/style_modules).

MappingNetwork and StyleAffine are nn.Module classes of the student's file:
the procedures below build them in the worker, run them, and return evidence
as plain data (outputs, the fully connected layers' sizes and parameters,
which parameters a loss reached). The judge (style_modules_support and the
graders) checks it.

Nothing here answers an item. MappingNetwork calls the student's pixel_norm;
it is graded with spy_pixel_norm in its place, a marked stand-in (2 · z + 1,
not a normalisation), so a mistake in pixel_norm costs points on pixel_norm
only. The judge knows the spy's formula (spy_pixel_norm_64).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dlkit.isolation import substituted
from dlkit.judge import in_worker

SPY_SCALE = 2.0
SPY_OFFSET = 1.0


def spy_pixel_norm_64(z: torch.Tensor) -> torch.Tensor:
    """spy_pixel_norm in float64 (the judge's copy of the formula)."""
    return z.double() * SPY_SCALE + SPY_OFFSET


@in_worker
def spy_pixel_norm(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """2 · z + 1: marked, not pixel_norm."""
    return (z * SPY_SCALE + SPY_OFFSET).to(z.dtype)


def _data(value: Any) -> Any:
    """A tensor as a plain detached tensor; anything else as it is."""
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    return value


def _what(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor of shape {tuple(value.shape)} ({str(value.dtype).removeprefix('torch.')})"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _linears(net: nn.Module) -> list[nn.Linear]:
    return [m for m in net.modules() if isinstance(m, nn.Linear)]


def _class(impl: Any, name: str) -> Any:
    cls = getattr(impl, name, None)
    if cls is None:
        return None
    return cls


def _spied(cls: Any):
    """The student's class with spy_pixel_norm in place of pixel_norm (in the
    globals its forward looks names up in)."""
    return substituted(cls, "forward", {"pixel_norm": spy_pixel_norm})


def _gradient_report(net: nn.Module) -> dict[str, list[str]]:
    named = list(net.named_parameters())
    return {
        "missing": [n for n, p in named if p.grad is None],
        "nonfinite": [n for n, p in named if p.grad is not None and not bool(torch.isfinite(p.grad).all())],
    }


# --------------------------------------------------------------------------
# MappingNetwork


@in_worker
def mapping_evidence(impl: Any, z_dim: int, w_dim: int, n_layers: int | None, z: torch.Tensor) -> dict[str, Any]:
    """MappingNetwork(z_dim, w_dim, n_layers) (its default n_layers when None)
    on z's device, with the spy in place of pixel_norm: its fully connected
    layers (in_features, out_features) in module order, its output for z,
    and which parameters mean(output²) sends gradient to."""
    cls = _class(impl, "MappingNetwork")
    if cls is None:
        return {"missing": True}
    net = cls(z_dim, w_dim) if n_layers is None else cls(z_dim, w_dim, n_layers)
    if not isinstance(net, nn.Module):
        return {"missing": False, "module": False, "type": type(net).__name__}
    net = net.to(z.device)
    linears = [(m.in_features, m.out_features) for m in _linears(net)]
    with _spied(cls):
        out = net(z.clone())
    evidence: dict[str, Any] = {"missing": False, "module": True, "linears": linears, "out": _data(out),
                                "what": _what(out), "grads": None}
    if isinstance(out, torch.Tensor) and out.requires_grad:
        net.zero_grad()
        out.square().mean().backward()
        evidence["grads"] = _gradient_report(net)
    return evidence


@in_worker
def mapping_identity(impl: Any, dim: int, n_layers: int, z: torch.Tensor, spied: bool = True) -> dict[str, Any]:
    """MappingNetwork(dim, dim, n_layers) with every fully connected layer set
    to the identity (weight I, bias 0), so that what is left of the network
    is its activations; its output for z, with the spy in place of pixel_norm
    (or the student's own pixel_norm when not `spied`)."""
    cls = _class(impl, "MappingNetwork")
    if cls is None:
        return {"missing": True}
    net = cls(dim, dim, n_layers)
    if not isinstance(net, nn.Module):
        return {"missing": False, "module": False, "type": type(net).__name__}
    linears = _linears(net)
    shapes = [(m.in_features, m.out_features) for m in linears]
    with torch.no_grad():
        for m in linears:
            if m.weight.shape == (dim, dim):
                m.weight.copy_(torch.eye(dim, dtype=m.weight.dtype))
            if m.bias is not None:
                m.bias.zero_()
    with torch.no_grad():
        if spied:
            with _spied(cls):
                out = net(z.clone())
        else:
            out = net(z.clone())
    return {"missing": False, "module": True, "linears": shapes, "out": _data(out), "what": _what(out)}


@in_worker
def mapping_parameters(impl: Any, z_dim: int, w_dim: int, n_layers: int, z: torch.Tensor) -> dict[str, Any]:
    """MappingNetwork(z_dim, w_dim, n_layers) as initialised, with the spy in
    place of pixel_norm: the weights and biases of its fully connected
    layers in module order, and its output for z."""
    cls = _class(impl, "MappingNetwork")
    if cls is None:
        return {"missing": True}
    net = cls(z_dim, w_dim, n_layers)
    if not isinstance(net, nn.Module):
        return {"missing": False, "module": False, "type": type(net).__name__}
    layers = [(_data(m.weight), None if m.bias is None else _data(m.bias)) for m in _linears(net)]
    with torch.no_grad(), _spied(cls):
        out = net(z.clone())
    return {"missing": False, "module": True, "layers": layers, "out": _data(out), "what": _what(out)}


# --------------------------------------------------------------------------
# StyleAffine


@in_worker
def affine_evidence(impl: Any, w_dim: int, channels: int, ws: list[torch.Tensor], backward: bool = False) -> dict[str, Any]:
    """StyleAffine(w_dim, channels) on the first w's device: what it returns
    for each w of `ws` (the pair as two tensors, or a description of what
    came back), and (backward) which parameters sum(scale) + sum(bias) sends
    gradient to."""
    cls = _class(impl, "StyleAffine")
    if cls is None:
        return {"missing": True}
    net = cls(w_dim, channels)
    if not isinstance(net, nn.Module):
        return {"missing": False, "module": False, "type": type(net).__name__}
    net = net.to(ws[0].device)
    outs: list[Any] = []
    grads = None
    for i, w in enumerate(ws):
        pair = net(w.clone())
        if isinstance(pair, (tuple, list)) and len(pair) == 2 and all(isinstance(p, torch.Tensor) for p in pair):
            if backward and i == 0 and pair[0].requires_grad:
                net.zero_grad()
                (pair[0].sum() + pair[1].sum()).backward()
                grads = _gradient_report(net)
            outs.append([_data(pair[0]), _data(pair[1])])
        else:
            outs.append(_what(pair))
    return {"missing": False, "module": True, "outs": outs, "grads": grads,
            "parameters": sum(p.numel() for p in net.parameters())}
