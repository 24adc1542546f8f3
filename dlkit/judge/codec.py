"""The safe codec between the judge and a worker.

Values cross as a JSON tree plus binary blobs, never as pickles: tensors as
dtype, shape and bytes; Python scalars, strings, None, lists, tuples, dicts,
sets; dtypes, devices, sizes, numpy arrays and scalars; generators as their
state. Everything else is named by a marker the two sides agree on
(``{"$": "handle", ...}`` for an object that stays in the worker,
``{"$": "callback", ...}`` for a judge function the worker may call, a module
snapshot, an optimizer snapshot). The judge decodes only these forms and
refuses anything else as a protocol violation, so nothing a worker sends can
run code in the judge.

A frame on the wire: 4-byte header length, the UTF-8 JSON header, 4-byte
blob count, then each blob as an 8-byte length and its bytes.
"""
from __future__ import annotations

import json
import math
import socket
import struct
from typing import Any, Callable

import numpy as np
import torch

MAX_HEADER = 64 * 2**20
MAX_BLOBS = 512 * 2**20

DTYPES = {
    str(d).removeprefix("torch."): d
    for d in (
        torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128,
        torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.bool,
    )
}
NUMPY_KINDS = "biufc"  # bool, int, uint, float, complex: never object arrays


class ProtocolError(Exception):
    """The other side sent something outside the codec."""


# ---------------------------------------------------------------------------
# Framing


def send_frame(sock: socket.socket, header: Any, blobs: list[bytes]) -> None:
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    parts = [struct.pack(">I", len(head)), head, struct.pack(">I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    sock.sendall(b"".join(parts))


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        buf += chunk
    return bytes(buf)


def recv_frame(sock: socket.socket) -> tuple[Any, list[bytes]]:
    (size,) = struct.unpack(">I", _read_exact(sock, 4))
    if size > MAX_HEADER:
        raise ProtocolError(f"message header of {size} bytes (limit {MAX_HEADER})")
    try:
        header = json.loads(_read_exact(sock, size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"malformed message: {exc}") from None
    (count,) = struct.unpack(">I", _read_exact(sock, 4))
    blobs, total = [], 0
    for _ in range(count):
        (length,) = struct.unpack(">Q", _read_exact(sock, 8))
        total += length
        if total > MAX_BLOBS:
            raise ProtocolError(f"message data over {MAX_BLOBS} bytes")
        blobs.append(_read_exact(sock, length))
    return header, blobs


# ---------------------------------------------------------------------------
# Tensors


def tensor_bytes(t: torch.Tensor) -> bytes:
    # clone, not contiguous(): a one-element tensor with an odd stride counts as
    # contiguous, yet cannot be viewed as bytes.
    flat = t.detach().to("cpu").clone(memory_format=torch.contiguous_format).reshape(-1)
    if flat.numel() == 0:
        return b""
    return flat.view(torch.uint8).numpy().tobytes()


def tensor_from(dtype_name: Any, shape: Any, blob: bytes, device: str = "cpu") -> torch.Tensor:
    if dtype_name not in DTYPES:
        raise ProtocolError(f"tensor of unknown dtype {dtype_name!r}")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ProtocolError(f"tensor with a malformed shape {shape!r}")
    dtype = DTYPES[dtype_name]
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if len(blob) != numel * itemsize:
        raise ProtocolError(f"tensor data of {len(blob)} bytes for {dtype_name} {tuple(shape)}")
    if numel == 0:
        out = torch.empty(shape, dtype=dtype)
    else:
        out = torch.frombuffer(bytearray(blob), dtype=torch.uint8).view(dtype).reshape(shape)
    if device != "cpu" and torch.cuda.is_available() and device.startswith("cuda"):
        out = out.to(device)
    return out


def _device_of(t: torch.Tensor) -> str:
    return "cpu" if t.device.type == "cpu" else str(t.device)


def noncontiguous(t: torch.Tensor) -> torch.Tensor:
    """The same values in a non-contiguous layout (the strides of a transpose,
    or every other element of a wider tensor for one dimension): what a
    graders' non-contiguous input looks like on the other side of the channel."""
    if t.dim() >= 2 and t.shape[-1] > 1 and t.shape[-2] > 1:
        return t.transpose(-1, -2).contiguous().transpose(-1, -2)
    wide = torch.stack([t, torch.zeros_like(t)], dim=-1)
    return wide[..., 0]


# ---------------------------------------------------------------------------
# Encoding and decoding


class Encoder:
    """Encodes one message's values; `extra` turns what the codec itself does
    not know (modules, callables, other objects) into a marker, or returns
    None to refuse it."""

    def __init__(self, extra: Callable[["Encoder", Any], Any] | None = None) -> None:
        self.blobs: list[bytes] = []
        self.extra = extra
        self.tensor_refs: dict[int, int] = {}
        self.tensors: list[torch.Tensor] = []
        self.generators: list[torch.Generator] = []

    def blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def tensor(self, t: torch.Tensor) -> dict[str, Any]:
        ref = self.tensor_refs.get(id(t))
        if ref is not None:
            return {"$": "ref", "v": ref}
        ref = len(self.tensors)
        self.tensor_refs[id(t)] = ref
        self.tensors.append(t)
        return {
            "$": "tensor", "dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
            "blob": self.blob(tensor_bytes(t)), "grad": bool(t.requires_grad), "device": _device_of(t),
            "param": type(t) is torch.nn.Parameter, "id": ref, "nc": not t.is_contiguous(),
        }

    def __call__(self, value: Any) -> Any:
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if type(value) in (torch.Tensor, torch.nn.Parameter):
            if value.layout != torch.strided or value.is_quantized or str(value.dtype).removeprefix("torch.") not in DTYPES:
                return self._other(value)
            return self.tensor(value)
        if type(value) is list:
            return [self(v) for v in value]
        if type(value) is tuple:
            return {"$": "tuple", "v": [self(v) for v in value]}
        if type(value) is torch.Size:
            return {"$": "size", "v": [int(v) for v in value]}
        if type(value) is dict:
            return {"$": "dict", "v": [[self(k), self(v)] for k, v in value.items()]}
        if type(value) in (set, frozenset):
            return {"$": "set", "frozen": type(value) is frozenset, "v": [self(v) for v in value]}
        if type(value) is bytes:
            return {"$": "bytes", "blob": self.blob(value)}
        if type(value) is torch.dtype:
            return {"$": "dtype", "v": str(value).removeprefix("torch.")}
        if type(value) is torch.device:
            return {"$": "device", "v": str(value)}
        if type(value) is slice:
            return {"$": "slice", "v": [self(value.start), self(value.stop), self(value.step)]}
        if value is Ellipsis:
            return {"$": "ellipsis"}
        if type(value) is np.ndarray and value.dtype.kind in NUMPY_KINDS:
            return {"$": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                    "blob": self.blob(np.ascontiguousarray(value).tobytes())}
        if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.kind in NUMPY_KINDS:
            return {"$": "npscalar", "dtype": value.dtype.str, "blob": self.blob(value.tobytes())}
        if type(value) is torch.Generator:
            self.generators.append(value)
            return {"$": "generator", "device": str(value.device), "blob": self.blob(tensor_bytes(value.get_state()))}
        return self._other(value)

    def _other(self, value: Any) -> Any:
        marker = self.extra(self, value) if self.extra is not None else None
        if marker is None:
            raise TypeError(f"cannot send a {type(value).__name__} to the other side")
        return marker


class Decoder:
    """Decodes one message; `extra` handles the markers beyond the plain ones
    (handles, callbacks, snapshots) and raises ProtocolError on unknown ones."""

    def __init__(self, blobs: list[bytes], extra: Callable[["Decoder", dict[str, Any]], Any] | None = None) -> None:
        self.blobs = blobs
        self.extra = extra
        self.tensors: dict[int, torch.Tensor] = {}
        self.generators: list[torch.Generator] = []

    def blob(self, index: Any) -> bytes:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self.blobs):
            raise ProtocolError(f"reference to a missing blob {index!r}")
        return self.blobs[index]

    def __call__(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self(v) for v in node]
        if type(node) is not dict or "$" not in node:
            raise ProtocolError(f"unexpected value in a message: {str(node)[:80]}")
        kind = node["$"]
        try:
            return self._decode(kind, node)
        except ProtocolError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ProtocolError(f"malformed {kind!r} value: {exc}") from None

    def _decode(self, kind: str, node: dict[str, Any]) -> Any:
        if kind == "tensor":
            t = tensor_from(node["dtype"], node["shape"], self.blob(node["blob"]), str(node.get("device", "cpu")))
            if node.get("nc") is True and t.numel() > 1:
                t = noncontiguous(t)
            if node.get("grad") and (t.is_floating_point() or t.is_complex()):
                t.requires_grad_(True)
            if node.get("param") and (t.is_floating_point() or t.is_complex()):
                t = torch.nn.Parameter(t, requires_grad=bool(node.get("grad")))
            self.tensors[int(node["id"])] = t
            return t
        if kind == "ref":
            ref = node["v"]
            if ref not in self.tensors:
                raise ProtocolError(f"reference to an unknown tensor {ref!r}")
            return self.tensors[ref]
        if kind == "float":
            if node["v"] not in ("nan", "inf", "-inf"):
                raise ProtocolError(f"bad float {node['v']!r}")
            return float(node["v"])
        if kind == "tuple":
            return tuple(self(v) for v in _list(node["v"]))
        if kind == "size":
            return torch.Size([int(v) for v in _list(node["v"])])
        if kind == "dict":
            out = {}
            for pair in _list(node["v"]):
                key, value = _list(pair)
                out[_hashable(self(key))] = self(value)
            return out
        if kind == "set":
            items = [_hashable(self(v)) for v in _list(node["v"])]
            return frozenset(items) if node.get("frozen") else set(items)
        if kind == "bytes":
            return self.blob(node["blob"])
        if kind == "dtype":
            if node["v"] not in DTYPES:
                raise ProtocolError(f"unknown dtype {node['v']!r}")
            return DTYPES[node["v"]]
        if kind == "device":
            return torch.device(str(node["v"]))
        if kind == "slice":
            start, stop, step = (self(v) for v in _list(node["v"]))
            return slice(start, stop, step)
        if kind == "ellipsis":
            return Ellipsis
        if kind in ("ndarray", "npscalar"):
            dtype = np.dtype(str(node["dtype"]))
            if dtype.kind not in NUMPY_KINDS:
                raise ProtocolError(f"numpy dtype {dtype} is not allowed")
            data = self.blob(node["blob"])
            if kind == "npscalar":
                if len(data) != dtype.itemsize:
                    raise ProtocolError("numpy scalar of the wrong size")
                return np.frombuffer(data, dtype=dtype)[0]
            shape = [int(s) for s in _list(node["shape"])]
            if len(data) != math.prod(shape) * dtype.itemsize:
                raise ProtocolError("numpy array data of the wrong size")
            return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        if kind == "generator":
            device = str(node.get("device", "cpu"))
            gen = torch.Generator(device if device.startswith("cuda") and torch.cuda.is_available() else "cpu")
            state = tensor_from("uint8", [len(self.blob(node["blob"]))], self.blob(node["blob"]))
            gen.set_state(state)
            self.generators.append(gen)
            return gen
        if self.extra is not None:
            return self.extra(self, node)
        raise ProtocolError(f"unknown value kind {kind!r}")


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise ProtocolError(f"expected a list, got {type(value).__name__}")
    return value


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise ProtocolError(f"unhashable dictionary key of type {type(value).__name__}") from None
    return value
