"""The judge's side of the channel: a submission as seen from the graders.

:class:`Submission` owns the sandboxed worker of one submission, restarting
it after a crash, a time-out or an exit, and turns every failure of the
worker into :class:`WorkerFailed` with a reason for the student.
:class:`RemoteModule` is what graders receive as ``impl``: attribute access
and calls travel to the worker; tensors and other plain values come back as
copies, standard networks and optimizers as rebuilt objects, anything else
as a :class:`RemoteObject` handle whose use travels again.
"""
from __future__ import annotations

import builtins
import socket
import time
import types
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from dlkit.judge.codec import Decoder, Encoder, ProtocolError, recv_frame, send_frame
from dlkit.judge.sandbox import Limits, SandboxedProcess, launch, sandbox_mode
from dlkit.judge.snapshot import rebuild_module, rebuild_optimizer, snapshot_module

STARTUP_SECONDS = 180.0


class WorkerFailed(Exception):
    """The worker crashed, hung, exited or broke the protocol; the message says how."""


class RemoteError(Exception):
    """Base of the exceptions raised by the student's code in the worker."""

    remote_type = "Exception"
    where = ""


_ERROR_TYPES: dict[tuple[str, str], type] = {}


def remote_error(error: dict[str, Any]) -> RemoteError:
    """A judge-side exception of the same kind (a ValueError stays a ValueError)."""
    name = str(error.get("type", "Exception"))[:100]
    mro = [str(m) for m in error.get("mro", [])]
    base = next((getattr(builtins, m) for m in mro if isinstance(getattr(builtins, m, None), type)
                 and issubclass(getattr(builtins, m), Exception)), Exception)
    key = (name, base.__name__)
    if key not in _ERROR_TYPES:
        _ERROR_TYPES[key] = type(name, (RemoteError, base), {"remote_type": name})
    exc = _ERROR_TYPES[key](str(error.get("message", "")))
    exc.where = str(error.get("where", ""))
    if name in ("SystemExit", "KeyboardInterrupt"):
        exc.args = (f"your code called {'sys.exit' if name == 'SystemExit' else 'an interrupt'} ({error.get('message', '')})",)
    return exc


def in_worker(obj: Any) -> Any:
    """Mark a grader function or class to run inside the worker: it travels
    by name (it must live in a public graders module), never as code."""
    obj.__dlkit_in_worker__ = True
    return obj


class Submission:
    """The worker of one submission (a directory laid out like assignments/)."""

    def __init__(self, root: str | Path, policy: str = "auto", limits: Limits = Limits()) -> None:
        self.root = Path(root).resolve()
        self.mode = sandbox_mode(policy)
        self.limits = limits
        self.generation = 0
        self.process: SandboxedProcess | None = None
        self.sock: socket.socket | None = None
        self.deadline: float | None = None
        self.callbacks: dict[int, Callable[..., Any]] = {}
        self.restarts: list[str] = []
        self.modules: dict[str, Any] = {}

    # -- life ----------------------------------------------------------------

    def start(self) -> None:
        if self.process is not None:
            return
        self.process, self.sock = launch(self.root, self.mode, self.limits)
        self.generation += 1
        self.modules = {}
        self.callbacks = {}
        self._started = time.monotonic()
        self._ready = False

    def ready(self) -> None:
        """Start the worker if needed and wait until it can serve (its own
        start-up limit: importing torch is not the submission's time)."""
        self.start()
        self._await_ready()

    def _await_ready(self) -> None:
        if self._ready:
            return
        header, _ = self._receive(self._started + STARTUP_SECONDS, "starting")
        if header.get("ready") is not True:
            self._fail("the worker did not start properly")
        self._ready = True

    def stop(self, reason: str | None = None) -> None:
        if self.process is None:
            return
        if reason:
            self.restarts.append(reason)
        try:
            if self.sock is not None:
                self.sock.close()
        finally:
            self.process.close()
            self.process, self.sock = None, None

    def close(self) -> None:
        self.stop()

    def forget(self) -> None:
        """Make the worker drop every module and object of the submission, so
        that the next use reads the files again (a directory whose content
        changes between gradings; the worker itself is kept)."""
        if self.process is not None and self._ready:
            try:
                self.deadline = time.monotonic() + self.test_limit
                self.request("forget", "forgetting the submission")
            except WorkerFailed:
                pass
            finally:
                self.deadline = None
        self.generation += 1
        self.modules = {}
        self.callbacks = {}
        self.restarts = []

    @property
    def output(self) -> str:
        return self.process.output.text() if self.process is not None else ""

    # -- requests ------------------------------------------------------------

    def _fail(self, reason: str) -> None:
        self.stop(reason)
        raise WorkerFailed(reason)

    def _receive(self, deadline: float | None, what: str) -> tuple[dict[str, Any], list[bytes]]:
        assert self.sock is not None and self.process is not None
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            self._time_out(what)
        self.sock.settimeout(remaining)
        try:
            header, blobs = recv_frame(self.sock)
        except (socket.timeout, TimeoutError):
            self._time_out(what)
        except (EOFError, OSError):
            self.process.settle()
            last = self.process.output.text().strip().splitlines()[-1:] if what == "starting" else []
            self._fail(f"{self.process.ending()} while {what}" + "".join(f" ({line[:300]})" for line in last))
        except ProtocolError as exc:
            self._fail(f"the worker sent something the judge does not accept ({exc}) while {what}")
        if not isinstance(header, dict):
            self._fail(f"the worker sent a malformed message while {what}")
        return header, blobs

    def _time_out(self, what: str) -> None:
        limit = self.test_limit if self.deadline is not None else STARTUP_SECONDS
        self._fail(f"did not finish within the time limit ({limit:g} s) while {what}")

    test_limit: float = 60.0

    def request(self, op: str, what: str, target: int | None = None, args: tuple = (), kwargs: dict | None = None,
                **fields: Any) -> Any:
        if self.process is None or not self._ready:
            # A worker started for this request: its start-up (importing
            # torch) is not the test's time.
            began = time.monotonic()
            self.ready()
            if self.deadline is not None:
                self.deadline += time.monotonic() - began
        enc = self.encoder()
        header: dict[str, Any] = {"op": op, **fields}
        if target is not None:
            header["target"] = target
        header["args"] = enc(list(args))
        header["kwargs"] = enc(dict(kwargs or {}))
        assert self.sock is not None
        try:
            send_frame(self.sock, header, enc.blobs)
        except OSError:
            self.process.settle()  # type: ignore[union-attr]
            self._fail(f"{self.process.ending()} while {what}")  # type: ignore[union-attr]
        deadline = self.deadline if self.deadline is not None else time.monotonic() + STARTUP_SECONDS
        while True:
            reply, blobs = self._receive(deadline, what)
            if "cb" in reply:
                self._answer_callback(reply, blobs, what)
                continue
            if reply.get("reply") not in ("ok", "error"):
                self._fail(f"the worker sent a malformed reply while {what}")
            dec = self.decoder(blobs, enc)
            try:
                self._apply_sync(dec, reply.get("sync", []), enc)
                if reply["reply"] == "error":
                    raise remote_error(reply.get("error") or {})
                return dec(reply.get("value"))
            except ProtocolError as exc:
                self._fail(f"the worker sent something the judge does not accept ({exc}) while {what}")

    def _answer_callback(self, message: dict[str, Any], blobs: list[bytes], what: str) -> None:
        fn = self.callbacks.get(message.get("cb"))  # type: ignore[arg-type]
        if fn is None:
            self._fail(f"the worker called an unknown stand-in while {what}")
        dec = self.decoder(blobs, None)
        try:
            args, kwargs = dec(message.get("args", [])), dec(message.get("kwargs", {"$": "dict", "v": []}))
        except ProtocolError as exc:
            self._fail(f"the worker sent something the judge does not accept ({exc}) while {what}")
        enc = self.encoder()
        try:
            value = fn(*args, **kwargs)  # grader code: the stand-in runs here, on plain data
            header = {"reply": "ok", "value": enc(value)}
        except Exception as exc:
            enc = self.encoder()
            header = {"reply": "error", "error": {"type": type(exc).__name__, "message": str(exc)}}
        send_frame(self.sock, header, enc.blobs)  # type: ignore[arg-type]

    def _apply_sync(self, dec: Decoder, sync: Any, enc: Encoder) -> None:
        """The worker changed tensors or generators it was sent: change ours alike."""
        if not isinstance(sync, list):
            raise ProtocolError("malformed sync")
        for entry in sync:
            if not isinstance(entry, dict):
                raise ProtocolError("malformed sync")
            if "generators" in entry:
                states = entry["generators"]
                if not isinstance(states, list) or len(states) != len(enc.generators):
                    raise ProtocolError("malformed generator sync")
                for gen, node in zip(enc.generators, states):
                    state = dec(node)
                    try:
                        gen.set_state(state)
                    except (RuntimeError, TypeError):
                        raise ProtocolError("bad generator state") from None
                continue
            ref = entry.get("ref")
            if not isinstance(ref, int) or not 0 <= ref < len(enc.tensors):
                raise ProtocolError("sync of an unknown tensor")
            mine = enc.tensors[ref]
            for key in ("data", "grad"):
                if entry.get(key) is None:
                    continue
                value = dec(entry[key])
                if not isinstance(value, torch.Tensor) or value.shape != mine.shape:
                    continue  # a reshaped tensor cannot be mirrored in place
                with torch.no_grad():
                    if key == "data":
                        mine.copy_(value.to(mine.dtype))
                    elif mine.requires_grad:
                        mine.grad = value.to(mine.dtype).to(mine.device)

    # -- the codec's ends ----------------------------------------------------

    def encoder(self) -> Encoder:
        def extra(enc: Encoder, value: Any) -> Any:
            if isinstance(value, RemoteObject):
                return {"$": "handle", "id": value._live_id()}
            if getattr(value, "__dlkit_in_worker__", False):
                return {"$": "public", "name": f"{value.__module__}:{value.__qualname__}"}
            if isinstance(value, nn.Module):
                snap = snapshot_module(enc, value)
                if snap is None:
                    raise TypeError(f"a {type(value).__name__} cannot be sent to the worker; grade it with a procedure")
                return snap
            if isinstance(value, (types.GeneratorType, map, filter, zip)) or type(value).__name__.endswith("iterator"):
                return enc(list(value))
            if callable(value):
                cid = len(self.callbacks) + 1
                self.callbacks[cid] = value
                return {"$": "callback", "id": cid, "name": getattr(value, "__name__", "stand_in")}
            return None

        return Encoder(extra)

    def decoder(self, blobs: list[bytes], sent: Encoder | None) -> Decoder:
        generation = self.generation

        def extra(dec: Decoder, node: dict[str, Any]) -> Any:
            kind = node["$"]
            if kind == "handle":
                if not isinstance(node.get("id"), int):
                    raise ProtocolError("malformed handle")
                cls = RemoteCallable if node.get("callable") else RemoteObject
                if node.get("kind") == "class":
                    cls = RemoteClass
                return cls(self, generation, node)
            if kind == "nn":
                return rebuild_module(dec, node)
            if kind == "optim":
                return rebuild_optimizer(dec, node, sent.tensors if sent is not None else [])
            raise ProtocolError(f"unknown value kind {kind!r}")

        return Decoder(blobs, extra)


# ---------------------------------------------------------------------------
# Proxies


class RemoteObject:
    """An object that lives in the worker. Using it sends a request there."""

    def __init__(self, owner: Submission, generation: int, node: dict[str, Any]) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_id", node["id"])
        object.__setattr__(self, "_type", str(node.get("type", "object"))[:200])
        object.__setattr__(self, "_mro", [str(m) for m in node.get("mro", [])][:64])
        object.__setattr__(self, "_name", str(node.get("name", ""))[:200])

    @property
    def __name__(self) -> str:  # type: ignore[override]
        if not self._name:
            raise AttributeError("__name__")
        return self._name

    @property
    def remote_type_name(self) -> str:
        """The class's own name ('LiarTensor')."""
        return self._type.rsplit(".", 1)[-1]

    def _live_id(self) -> int:
        if self._generation != self._owner.generation:
            raise WorkerFailed("this value came from your code before the worker was restarted after an earlier failure")
        return self._id

    def _what(self) -> str:
        return f"running {self._name or self.remote_type_name}"

    def _builtin(self, name: str, *args: Any) -> Any:
        return self._owner.request("builtin", self._what(), self._live_id(), args, name=name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._owner.request("getattr", f"reading .{name} of {self.remote_type_name}", self._live_id(), name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("graders do not set attributes on the student's objects")

    def __len__(self) -> int:
        n = self._builtin("len")
        if type(n) is not int:
            raise TypeError("len() of your object did not return an int")
        return n

    def __iter__(self) -> Iterator[Any]:
        items = self._builtin("list")
        if type(items) is not list:
            raise TypeError("iterating your object did not give a list")
        return iter(items)

    def __getitem__(self, key: Any) -> Any:
        return self._builtin("getitem", key)

    def __contains__(self, key: Any) -> bool:
        return self._builtin("contains", key) is True

    def __bool__(self) -> bool:
        return self._builtin("bool") is True

    def __repr__(self) -> str:
        return f"<{self.remote_type_name} from your code>"

    def __str__(self) -> str:
        text = self._builtin("str")
        return text if type(text) is str else repr(self)

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __hash__(self) -> int:
        return hash((self._generation, self._id))


class RemoteCallable(RemoteObject):
    """A function, method or callable object of the student's."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._owner.request("call", self._what(), self._live_id(), args, kwargs)


class RemoteClass(RemoteCallable):
    """A class of the student's: calling it makes an instance in the worker;
    isinstance(obj, cls) is asked of the worker."""

    def __instancecheck__(self, obj: Any) -> bool:
        if not isinstance(obj, RemoteObject):
            return False
        return obj._builtin("isinstance", self) is True


class RemoteModule(RemoteObject):
    """``impl``: one module of the submission. A missing name raises
    AttributeError, so ``getattr(impl, name, None)`` works as for a module."""

    def __init__(self, owner: Submission, module: str) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_generation", -1)
        object.__setattr__(self, "_type", "module")
        object.__setattr__(self, "_mro", [])
        object.__setattr__(self, "_name", module)

    def _live_id(self) -> int:
        owner = self._owner
        owner.start()
        handle = owner.modules.get(self._module)
        if handle is None:
            handle = owner.request("load", f"importing {self._module}", name="load", module=self._module)
            owner.modules[self._module] = handle
        return handle._live_id()

    def load(self) -> None:
        """Import the module in the worker now (raises the import's error)."""
        self._live_id()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._owner.request("getattr", f"looking up {name}", self._live_id(), name=name)

    def run(self, procedure: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a grader procedure (marked in_worker) in the worker with this
        module as its first argument; returns its evidence as plain data."""
        if not getattr(procedure, "__dlkit_in_worker__", False):
            raise TypeError(f"{procedure!r} is not marked in_worker")
        return self._owner.request("proc", f"running {procedure.__name__}", self._live_id(), args, kwargs,
                                   name=f"{procedure.__module__}:{procedure.__qualname__}")

    def substitute(self, fn_name: str, stand_ins: dict[str, Any]) -> int:
        fn = getattr(self, fn_name)
        if not isinstance(fn, RemoteObject):
            return 0
        return self._owner.request("substitute", f"preparing {fn_name}", fn._live_id(), (), stand_ins)

    def restore(self, token: int) -> None:
        if token:
            try:
                self._owner.request("restore", "restoring", None, token=token)
            except WorkerFailed:
                pass

    def __repr__(self) -> str:
        return f"<{self._module} of the submission>"
