"""The worker: the only process that imports and runs a submission.

It runs inside the sandbox (see dlkit.judge.sandbox), serves the judge's
requests over one socket and never decides anything: it loads the
submission's modules, calls what the judge names, and sends back values
through the codec. Whatever is not plain data stays here as a handle.

    python -m dlkit.judge.worker FD SUBMISSION_ROOT
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import socket
import sys
import traceback
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from dlkit.judge.codec import Decoder, Encoder, ProtocolError, recv_frame, send_frame
from dlkit.judge.snapshot import rebuild_module, snapshot_module, snapshot_optimizer

PUBLIC_PREFIX = "graders."
MAX_MESSAGE = 4000


class Worker:
    def __init__(self, sock: socket.socket, root: Path) -> None:
        self.sock = sock
        self.root = root
        self.handles: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.saved: dict[int, dict[str, Any]] = {}
        self.threads = torch.get_num_threads()

    # -- handles and codec ---------------------------------------------------

    def handle(self, obj: Any) -> int:
        hid = self.ids.get(id(obj))
        if hid is None:
            hid = len(self.handles) + 1
            self.handles[hid] = obj
            self.ids[id(obj)] = hid
        return hid

    def encoder(self, known: dict[int, int] | None = None) -> Encoder:
        def extra(enc: Encoder, value: Any) -> Any:
            if isinstance(value, nn.Module) and type(value).__module__.startswith("torch.nn"):
                snap = snapshot_module(enc, value)
                if snap is not None:
                    return snap
            if isinstance(value, torch.optim.Optimizer) and known is not None:
                snap = snapshot_optimizer(enc, value, known)
                if snap is not None:
                    return snap
            return self.marker(value)

        return Encoder(extra)

    def marker(self, value: Any) -> dict[str, Any]:
        cls = value if isinstance(value, type) else type(value)
        kind = ("class" if isinstance(value, type) else "module" if isinstance(value, ModuleType)
                else "nn" if isinstance(value, nn.Module) else "function" if callable(value) else "object")
        return {
            "$": "handle", "id": self.handle(value), "kind": kind, "callable": callable(value),
            "type": _qualname(type(value)), "mro": [_qualname(c) for c in cls.__mro__],
            "name": str(getattr(value, "__name__", ""))[:200] if kind in ("class", "function") else "",
        }

    def decoder(self, blobs: list[bytes]) -> Decoder:
        def extra(dec: Decoder, node: dict[str, Any]) -> Any:
            kind = node["$"]
            if kind == "handle":
                if node.get("id") not in self.handles:
                    raise ProtocolError("unknown handle")
                return self.handles[node["id"]]
            if kind == "callback":
                return self.callback(int(node["id"]), str(node.get("name", "stand-in")))
            if kind == "nn":
                return rebuild_module(dec, node)
            if kind == "public":
                return _public(str(node["name"]))
            raise ProtocolError(f"unknown value kind {kind!r}")

        return Decoder(blobs, extra)

    def callback(self, cid: int, name: str) -> Callable[..., Any]:
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            enc = self.encoder()
            send_frame(self.sock, {"cb": cid, "args": enc(list(args)), "kwargs": enc(kwargs)}, enc.blobs)
            return self.serve(until_reply=True)

        stand_in.__name__ = stand_in.__qualname__ = name
        return stand_in

    # -- serving ---------------------------------------------------------------

    def serve(self, until_reply: bool = False) -> Any:
        while True:
            try:
                header, blobs = recv_frame(self.sock)
            except (EOFError, OSError, ProtocolError) as exc:
                raise ChannelLost(str(exc)) from None
            if "reply" in header:  # the answer to one of our callbacks
                if not until_reply:
                    raise ProtocolError("a reply with no callback waiting")
                dec = self.decoder(blobs)
                if header["reply"] == "ok":
                    return dec(header["value"])
                raise _rebuilt_error(header.get("error", {}))
            if header.get("op") == "exit":
                return None
            self.answer(header, blobs)

    def answer(self, header: dict[str, Any], blobs: list[bytes]) -> None:
        dec = self.decoder(blobs)
        versions: dict[int, int] = {}
        try:
            args = dec(header.get("args", []))
            kwargs = dec(header.get("kwargs", {"$": "dict", "v": []}))
            versions = {ref: t._version for ref, t in dec.tensors.items()}
            value = self.perform(header, args, kwargs)
            known = {id(t): ref for ref, t in dec.tensors.items()}
            enc = self.encoder(known)
            reply = {"reply": "ok", "value": enc(value), "sync": self.sync(enc, dec, versions)}
        except ChannelLost:
            raise
        except BaseException as exc:  # SystemExit, KeyboardInterrupt and pytest's outcomes too
            enc = self.encoder()
            try:
                sync = self.sync(enc, dec, versions)
            except Exception:
                sync = []
            reply = {"reply": "error", "error": describe_error(exc, self.root), "sync": sync}
        send_frame(self.sock, reply, enc.blobs)

    def sync(self, enc: Encoder, dec: Decoder, versions: dict[int, int]) -> list[Any]:
        """What became of the tensors and generators the judge sent."""
        out: list[Any] = []
        for ref, t in dec.tensors.items():
            changed = ref in versions and t._version != versions[ref]
            if changed or t.grad is not None:
                out.append({"ref": ref, "data": enc(t.detach()) if changed else None,
                            "grad": enc(t.grad.detach()) if t.grad is not None else None})
        out.append({"generators": [enc(g.get_state()) for g in dec.generators]})
        return out

    def perform(self, header: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
        op = header.get("op")
        target = self.handles.get(header.get("target")) if "target" in header else None
        if "target" in header and header["target"] not in self.handles:
            raise ProtocolError("unknown handle")
        if op == "load":
            module = self.load(str(header["module"]))
            self.reset(0)
            return module
        if op == "reset":
            self.reset(int(header.get("seed", 0)))
            return None
        if op == "forget":  # the next load reads the submission's files again
            for name in [n for n in sys.modules if n == "submission" or n.startswith("submission.")]:
                del sys.modules[name]
            self.handles.clear()
            self.ids.clear()
            self.saved.clear()
            return None
        if op == "getattr":
            return getattr(target, str(header["name"]))
        if op == "call":
            return target(*args, **kwargs)
        if op == "callmethod":
            return getattr(target, str(header["name"]))(*args, **kwargs)
        if op == "proc":
            return _public(str(header["name"]))(target, *args, **kwargs)
        if op == "builtin":
            return _builtin(str(header["name"]), target, args)
        if op == "substitute":
            return self.substitute(target, kwargs)
        if op == "restore":
            self.restore(int(header["token"]))
            return None
        raise ProtocolError(f"unknown operation {op!r}")

    # -- the submission ------------------------------------------------------------

    def load(self, module: str) -> ModuleType:
        name = "submission." + module.replace("/", ".")
        if name in sys.modules:
            return sys.modules[name]
        path = self.root / f"{module}.py"
        cells = self.root / f"{module}.cells.json"
        if not path.is_file() and not cells.is_file():
            raise StudentRaised("FileNotFoundError", f"file missing: {module}.py is not in the submission")
        for parent in _parents(name):
            sys.modules.setdefault(parent, ModuleType(parent))
        if path.is_file():
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            try:
                spec.loader.exec_module(mod)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            return mod
        mod = ModuleType(name)
        mod.__file__ = str(cells)
        sys.modules[name] = mod
        for number, source in enumerate(json.loads(cells.read_text(encoding="utf-8")), 1):
            try:  # as in the notebook: a failing cell does not stop the next
                exec(compile(source, f"<cell {number}>", "exec"), mod.__dict__)
            except Exception:
                pass
        return mod

    def substitute(self, fn: Any, names: dict[str, Any]) -> int:
        namespace = getattr(fn, "__globals__", None)
        if not isinstance(namespace, dict):
            return 0
        token = len(self.saved) + 1
        self.saved[token] = {"ns": namespace, "old": {n: namespace[n] for n in names if n in namespace}, "names": list(names)}
        namespace.update(names)
        return token

    def restore(self, token: int) -> None:
        saved = self.saved.pop(token, None)
        if saved is None:
            return
        for n in saved["names"]:
            if n in saved["old"]:
                saved["ns"][n] = saved["old"][n]
            else:
                saved["ns"].pop(n, None)

    def reset(self, seed: int) -> None:
        """The global torch state every test starts from."""
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
        torch.set_num_threads(self.threads)
        if torch.are_deterministic_algorithms_enabled():  # the call itself costs seconds
            torch.use_deterministic_algorithms(False)
        torch.autograd.set_detect_anomaly(False)
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        warnings.resetwarnings()
        warnings.simplefilter("ignore")


class ChannelLost(BaseException):
    """The judge is gone: nothing left to serve."""


class StudentRaised(Exception):
    """A failure to report as the student's (a missing file)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _qualname(cls: type) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', '?')}"


def _public(name: str) -> Any:
    """A grader function or class marked in_worker, named 'graders.x.y:qualname'."""
    module, _, attr = name.partition(":")
    if not module.startswith(PUBLIC_PREFIX) or not attr:
        raise ProtocolError(f"{name!r} is not a public grader function")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not getattr(obj, "__dlkit_in_worker__", False):
        raise ProtocolError(f"{name!r} is not marked in_worker")
    return obj


def _builtin(name: str, target: Any, args: list[Any]) -> Any:
    if name == "len":
        return len(target)
    if name == "list":
        return list(target)
    if name == "bool":
        return bool(target)
    if name == "repr":
        return repr(target)[:MAX_MESSAGE]
    if name == "str":
        return str(target)[:MAX_MESSAGE]
    if name == "getitem":
        return target[args[0]]
    if name == "contains":
        return args[0] in target
    if name == "isinstance":
        return isinstance(target, args[0])
    if name == "issubclass":
        return isinstance(target, type) and issubclass(target, args[0])
    if name == "hasattr":
        return hasattr(target, args[0])
    if name == "vars":
        return {k: v for k, v in vars(target).items()}
    raise ProtocolError(f"unknown builtin {name!r}")


def describe_error(exc: BaseException, root: Path) -> dict[str, Any]:
    """The student's exception as data: its type, message and line."""
    if isinstance(exc, StudentRaised):
        return {"type": exc.kind, "mro": [exc.kind, "Exception"], "message": str(exc), "where": ""}
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(str(root)) or frame.filename.startswith("<cell"):
            code = f": {frame.line.strip()}" if frame.line else ""
            where = f"{Path(frame.filename).name}, line {frame.lineno}{code}"
            break
    try:
        message = str(exc)
    except Exception:
        message = "<the exception's message could not be read>"
    if isinstance(exc, SyntaxError) and exc.lineno:
        # str() of a SyntaxError already ends with "(file, line N)": said once, in `where`, with the code.
        code = f": {exc.text.strip()}" if isinstance(exc.text, str) and exc.text.strip() else ""
        where = f"{Path(exc.filename or '?').name}, line {exc.lineno}{code}"
        message = str(exc.msg)
    return {
        "type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
        "message": message[:MAX_MESSAGE], "where": where[:500],
    }


def _rebuilt_error(error: dict[str, Any]) -> BaseException:
    """A judge-side stand-in raised: raise the same kind of error here."""
    kind = {"ValueError": ValueError, "TypeError": TypeError, "NotImplementedError": NotImplementedError,
            "IndexError": IndexError, "KeyError": KeyError}.get(str(error.get("type")), RuntimeError)
    return kind(str(error.get("message", "")))


def main(argv: list[str]) -> int:
    fd, root = int(argv[0]), Path(argv[1])
    sock = socket.socket(fileno=fd)
    os.environ.pop("DLKIT_JUDGE", None)
    worker = Worker(sock, root)
    send_frame(sock, {"ready": True, "pid": os.getpid()}, [])
    try:
        worker.serve()
    except (ChannelLost, BrokenPipeError, ConnectionResetError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
