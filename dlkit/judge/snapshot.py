"""Structural snapshots: networks and optimizers made only of standard torch
parts cross the channel as data and are rebuilt on the other side.

A module made of allow-listed torch.nn classes (exact classes, no hooks, no
forward of the student's own) is sent as its tree: class names, constructor
hyperparameters, parameters and buffers. The judge rebuilds it only when
its integer arguments bound its size (a hostile snapshot cannot make it
allocate much more than the tensors the message already holds), then checks
every shape and the layers' own descriptions against the snapshot. A
module with any other class stays in the worker as a remote handle.
"""
from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from dlkit.judge.codec import Decoder, Encoder, ProtocolError

_LAYERS = """
Linear Bilinear Identity Flatten Unflatten
Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d
BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm InstanceNorm1d InstanceNorm2d InstanceNorm3d
Dropout Dropout1d Dropout2d Dropout3d AlphaDropout
ReLU ReLU6 LeakyReLU ELU SELU CELU GELU SiLU Mish Tanh Sigmoid Softplus Softsign Hardtanh Hardswish
Hardsigmoid PReLU Softmax LogSoftmax Softmax2d Tanhshrink Threshold LogSigmoid
MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d
AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d Upsample UpsamplingNearest2d UpsamplingBilinear2d
ZeroPad2d ConstantPad1d ConstantPad2d ReflectionPad1d ReflectionPad2d ReplicationPad2d PixelShuffle
Embedding Sequential ModuleList ModuleDict
CrossEntropyLoss BCEWithLogitsLoss BCELoss MSELoss L1Loss NLLLoss KLDivLoss SmoothL1Loss HuberLoss
CosineSimilarity PairwiseDistance
""".split()
MODULES: dict[str, type[nn.Module]] = {name: getattr(nn, name) for name in _LAYERS if hasattr(nn, name)}
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)

_OPTIMIZERS = "SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam ASGD Rprop".split()
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {n: getattr(torch.optim, n) for n in _OPTIMIZERS}

MAX_ELEMENTS = 64 * 2**20


def _ctor_names(cls: type) -> list[str]:
    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name for p in params
        if p.name not in ("self", "device", "dtype") and not p.name.startswith("_")
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def _small(kwargs: dict[str, Any]) -> bool:
    """Whether building a layer from these arguments stays small: its
    parameters have at most the product of its integer arguments as elements
    (so a hostile snapshot cannot make the judge allocate much)."""
    product = 1
    for value in kwargs.values():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, int) and not isinstance(v, bool):
                product *= max(1, abs(v))
    return product <= 16 * MAX_ELEMENTS


def constructor_kwargs(module: nn.Module) -> dict[str, Any]:
    """The hyperparameters a layer was built with, read back from it."""
    kwargs: dict[str, Any] = {}
    for name in _ctor_names(type(module)):
        if name in module._parameters or name in module._buffers:
            if name == "bias":
                kwargs[name] = module._parameters.get(name) is not None
            continue
        if name in module.__dict__ or hasattr(type(module), name):
            value = getattr(module, name)
            if isinstance(value, (bool, int, float, str, tuple, type(None))):
                kwargs[name] = value
    return kwargs


def _standard(module: nn.Module) -> bool:
    return (
        MODULES.get(type(module).__name__) is type(module)
        and not module._forward_hooks and not module._forward_pre_hooks
        and not module._backward_hooks and not getattr(module, "_backward_pre_hooks", None)
        and "forward" not in module.__dict__
    )


def snapshot_module(enc: Encoder, module: nn.Module) -> dict[str, Any] | None:
    """The module as data, or None when any part of it is not a standard layer."""
    if not _standard(module):
        return None
    children = []
    for name, child in module.named_children():
        snap = snapshot_module(enc, child)
        if snap is None:
            return None
        children.append([name, snap])
    kwargs = {} if isinstance(module, _CONTAINERS) else constructor_kwargs(module)
    if not isinstance(module, _CONTAINERS):
        try:  # the layer must come back exactly as it is described
            if not _small(kwargs):
                return None
            with torch.no_grad():
                probe = type(module)(**kwargs)
            if probe.extra_repr() != module.extra_repr():
                return None
        except Exception:
            return None
    return {
        "$": "nn", "class": type(module).__name__, "kwargs": enc(kwargs),
        "training": bool(module.training), "children": children,
        "params": [[n, None if p is None else enc(p)] for n, p in module._parameters.items()],
        "buffers": [[n, None if b is None else enc(b)] for n, b in module._buffers.items()],
    }


def rebuild_module(dec: Decoder, node: dict[str, Any], budget: list[int] | None = None) -> nn.Module:
    """The module a snapshot describes, checked against it."""
    budget = budget if budget is not None else [MAX_ELEMENTS]
    cls = MODULES.get(node.get("class"))
    if cls is None:
        raise ProtocolError(f"module class {node.get('class')!r} is not a standard layer")
    kwargs = dec(node["kwargs"])
    if not isinstance(kwargs, dict) or not set(kwargs) <= set(_ctor_names(cls)):
        raise ProtocolError(f"{cls.__name__}: unexpected constructor arguments")
    if not _small(kwargs):
        raise ProtocolError(f"{cls.__name__}: constructor arguments too large to rebuild")
    try:
        with torch.no_grad():
            module = cls() if issubclass(cls, _CONTAINERS) else cls(**kwargs)
    except Exception as exc:
        raise ProtocolError(f"{cls.__name__} could not be rebuilt: {exc}") from None
    for name, child in node["children"]:
        if not isinstance(name, str) or not name.isidentifier() and not name.isdigit() \
                or isinstance(module, nn.ModuleList) and not name.isdigit():
            raise ProtocolError(f"bad child name {name!r}")
        if not isinstance(module, _CONTAINERS):
            raise ProtocolError(f"{cls.__name__} has no child {name!r}")
        module.add_module(name, rebuild_module(dec, child, budget))
    params = dict(node["params"])
    buffers = dict(node["buffers"])
    if set(params) != set(module._parameters) or set(module._buffers) != set(buffers):
        raise ProtocolError(f"{cls.__name__}: parameters {sorted(params)} do not match the layer's")
    for kind, table, store in (("parameter", params, module._parameters), ("buffer", buffers, module._buffers)):
        for name, enc_value in table.items():
            value = None if enc_value is None else dec(enc_value)
            expected = store.get(name)
            if (value is None) != (expected is None) and kind == "parameter":
                raise ProtocolError(f"{cls.__name__}.{name}: present on one side only")
            if value is None:
                continue
            if not isinstance(value, torch.Tensor) or expected is not None and value.shape != expected.shape:
                raise ProtocolError(f"{cls.__name__}.{name}: {kind} of the wrong shape")
            budget[0] -= value.numel()
            if budget[0] < 0:
                raise ProtocolError("module larger than the snapshot limit")
            if kind == "parameter" and not isinstance(value, nn.Parameter):
                value = nn.Parameter(value, requires_grad=value.requires_grad)
            store[name] = value
    module.training = bool(node["training"])
    return module


def snapshot_optimizer(enc: Encoder, opt: Any, known: dict[int, int]) -> dict[str, Any] | None:
    """A fresh standard optimizer over tensors the other side sent (`known`:
    id(tensor) → its reference in the request), or None."""
    if OPTIMIZERS.get(type(opt).__name__) is not type(opt) or opt.state:
        return None
    groups = []
    for group in opt.param_groups:
        refs = [known.get(id(p)) for p in group["params"]]
        if any(r is None for r in refs):
            return None
        hyper = {k: v for k, v in group.items() if k != "params"}
        groups.append({"params": refs, "hyper": enc(hyper)})
    return {"$": "optim", "class": type(opt).__name__, "groups": groups, "defaults": enc(dict(opt.defaults))}


def rebuild_optimizer(dec: Decoder, node: dict[str, Any], sent: list[torch.Tensor]) -> torch.optim.Optimizer:
    cls = OPTIMIZERS.get(node.get("class"))
    if cls is None:
        raise ProtocolError(f"optimizer class {node.get('class')!r} is not a standard optimizer")
    groups = []
    for group in node["groups"]:
        refs = group["params"]
        if not all(isinstance(r, int) and 0 <= r < len(sent) for r in refs):
            raise ProtocolError("optimizer over tensors that were not sent")
        hyper = dec(group["hyper"])
        if not isinstance(hyper, dict):
            raise ProtocolError("malformed optimizer group")
        groups.append({**hyper, "params": [sent[r] for r in refs]})
    try:
        opt = cls(groups)
    except Exception as exc:
        raise ProtocolError(f"{cls.__name__} could not be rebuilt: {exc}") from None
    defaults = dec(node["defaults"])
    if isinstance(defaults, dict):
        opt.defaults = defaults
    return opt
