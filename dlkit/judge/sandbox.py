"""Starting a worker in a fresh sandbox, and tearing everything it started down.

With bubblewrap: new user, PID, network, IPC, UTS and cgroup namespaces; an
unprivileged uid with no capabilities; a read-only view of the Python
installation and of dlkit and the public graders only (never solutions/,
the instructor-only graders, other submissions or the results); the
submission read-only at /submission; a private size-limited /tmp as the only
writable place. Memory and process counts are capped by cgroups where they
are writable, by rlimits otherwise; CPU time, file size and core dumps by
rlimits. Output goes to a pipe of which the judge keeps the first megabyte.
When the worker ends, or is ended, its PID namespace dies with it: nothing
it started survives.

Without bubblewrap or namespaces the worker runs as a plain child process
with the rlimits only (`sandbox: none`, one warning printed).
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSIDE_CODE = "/opt/dlkit"
INSIDE_SUBMISSION = "/submission"
CGROUP_V1 = Path("/sys/fs/cgroup")
UID = 65534


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 6 * 2**30
    pids: int = 256
    cpu_seconds: int = 1800
    file_bytes: int = 64 * 2**20
    tmp_bytes: int = 256 * 2**20
    output_bytes: int = 2**20


class OutputSink:
    """Drains a pipe in a thread: keeps the first `limit` bytes, counts the rest."""

    def __init__(self, pipe, limit: int) -> None:  # type: ignore[no-untyped-def]
        self.kept = bytearray()
        self.total = 0
        self._limit = limit
        self._thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self._thread.start()

    def _drain(self, pipe) -> None:  # type: ignore[no-untyped-def]
        while True:
            chunk = pipe.read1(1 << 16) if hasattr(pipe, "read1") else pipe.read(1 << 16)
            if not chunk:
                break
            self.total += len(chunk)
            room = self._limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
        pipe.close()

    def text(self) -> str:
        return self.kept.decode("utf-8", "replace")


def bwrap_available() -> bool:
    """bubblewrap is installed and can make the namespaces here."""
    global _BWRAP_OK
    if _BWRAP_OK is None:
        exe = shutil.which("bwrap")
        _BWRAP_OK = False
        if exe is not None:
            try:
                probe = subprocess.run(
                    [exe, "--unshare-all", "--die-with-parent", "--uid", str(UID), "--gid", str(UID),
                     "--ro-bind", "/", "/", "--proc", "/proc", "--", "/bin/true"],
                    capture_output=True, timeout=20,
                )
                _BWRAP_OK = probe.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                _BWRAP_OK = False
    return _BWRAP_OK


_BWRAP_OK: bool | None = None
_COUNTER = [0]


class Cgroup:
    """A memory + pids cgroup of its own (v1 or v2), when this process may make one."""

    def __init__(self, limits: Limits) -> None:
        _COUNTER[0] += 1
        name = f"dlkit-{os.getpid()}-{_COUNTER[0]}"
        self.dirs: list[Path] = []
        self.memory: Path | None = None
        self.v2 = (CGROUP_V1 / "cgroup.controllers").exists()
        try:
            if self.v2:
                d = CGROUP_V1 / name
                d.mkdir()
                self.dirs.append(d)
                (d / "memory.max").write_text(str(limits.memory_bytes))
                (d / "pids.max").write_text(str(limits.pids))
                (d / "memory.swap.max").exists() and (d / "memory.swap.max").write_text("0")
                self.memory = d
            else:
                mem, pids = CGROUP_V1 / "memory" / name, CGROUP_V1 / "pids" / name
                mem.mkdir()
                self.dirs.append(mem)
                pids.mkdir()
                self.dirs.append(pids)
                (mem / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                swap = mem / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limits.memory_bytes))
                (pids / "pids.max").write_text(str(limits.pids))
                self.memory = mem
        except OSError:
            self.remove()
            self.dirs, self.memory = [], None

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def join(self) -> None:
        """Called in the child before exec: put it (and so all it starts) in the group."""
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))

    def out_of_memory(self) -> bool:
        if self.memory is None:
            return False
        try:
            if self.v2:
                events = (self.memory / "memory.events").read_text()
                return any(line.split()[0] in ("oom", "oom_kill") and line.split()[1] != "0" for line in events.splitlines())
            for name in ("memory.failcnt", "memory.memsw.failcnt"):
                path = self.memory / name
                if path.exists() and path.read_text().strip() != "0":
                    return True
            control = (self.memory / "memory.oom_control").read_text().split()
            return "oom_kill" in control and control[control.index("oom_kill") + 1] != "0"
        except (OSError, ValueError, IndexError):
            return False

    def kill_all(self) -> None:
        for d in self.dirs:
            if self.v2 and (d / "cgroup.kill").exists():
                try:
                    (d / "cgroup.kill").write_text("1")
                except OSError:
                    pass
            for _ in range(50):
                try:
                    pids = [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


def _bound_paths() -> list[str]:
    """The Python installation the worker needs, read-only."""
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry
                                                or entry.startswith(sys.base_prefix)):
            paths.add(entry)
    return sorted(p for p in paths if p and os.path.isdir(p))


def _contains(outer: str, inner: Path) -> bool:
    try:
        inner.resolve().relative_to(Path(outer).resolve())
        return True
    except ValueError:
        return False


def bwrap_command(submission: Path, limits: Limits, argv: list[str]) -> list[str]:
    cmd = [
        shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
        "--cap-drop", "ALL", "--uid", str(UID), "--gid", str(UID),
    ]
    for system in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache", "/etc/alternatives",
                   "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf"):
        cmd += ["--ro-bind-try", system, system]
    # The private /tmp first: an installation under /tmp is then bound inside it.
    cmd += ["--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    binds = _bound_paths()
    for path in binds:
        cmd += ["--ro-bind", path, path]
    # A bound installation that holds the repository must not show it.
    for secret in (ROOT, submission.parent):
        if any(_contains(p, secret) for p in binds + ["/usr"]):
            cmd += ["--tmpfs", str(secret)]
    cmd += ["--ro-bind", str(ROOT / "dlkit"), f"{INSIDE_CODE}/dlkit"]
    cmd += ["--ro-bind", str(ROOT / "graders"), f"{INSIDE_CODE}/graders"]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        cmd += ["--dev-bind", str(dev), str(dev)]
    if any(Path("/dev").glob("nvidia*")):
        cmd += ["--ro-bind-try", "/sys", "/sys"]
    cmd += ["--chdir", "/tmp"]
    cmd += ["--ro-bind", str(submission), INSIDE_SUBMISSION]
    return cmd + ["--"] + argv


def _environment(pythonpath: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PYTHONPATH": pythonpath, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
           "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "DLKIT_WORKER": "1",
           # Graders' tensors are tiny: a thread pool's wake-ups cost more than they save.
           "OMP_NUM_THREADS": "1"}
    for key in ("CUDA_VISIBLE_DEVICES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class SandboxedProcess:
    """One worker life in its own sandbox."""

    def __init__(self, submission: Path, fd: int, limits: Limits, mode: str) -> None:
        self.limits = limits
        self.mode = mode
        self.cgroup = Cgroup(limits) if mode == "bwrap" or os.geteuid() == 0 else None
        python = [sys.executable, "-s", "-P", "-m", "dlkit.judge.worker", str(fd)]
        if mode == "bwrap":
            cmd = bwrap_command(submission, limits, python + [INSIDE_SUBMISSION])
            env = _environment(INSIDE_CODE)
            cwd = None
        else:
            import tempfile

            self._scratch = tempfile.TemporaryDirectory(prefix="dlkit-worker-")
            cmd = python + [str(submission)]
            env = _environment(str(ROOT))
            env["HOME"] = env["TMPDIR"] = cwd = self._scratch.name
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(fd,), preexec_fn=self._in_child, start_new_session=True,
        )
        self.output = OutputSink(self.proc.stdout, limits.output_bytes)

    def _in_child(self) -> None:
        cg_active = self.cgroup is not None and self.cgroup.active
        if cg_active:
            self.cgroup.join()  # type: ignore[union-attr]
        limits = self.limits
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        if not cg_active:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes * 2, limits.memory_bytes * 2))
            if os.geteuid() != 0:
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.pids * 4, limits.pids * 4))

    def settle(self, seconds: float = 3.0) -> None:
        """The channel closed: let the process end on its own (so its exit
        status is its own), then end whatever is left."""
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.cgroup is not None:
            self.cgroup.kill_all()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        self.kill()
        if self.cgroup is not None:
            self.cgroup.remove()
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            scratch.cleanup()

    def ending(self) -> str:
        """Why the process ended, in words for the student."""
        code = self.proc.poll()
        if code is None:
            return "the worker stopped answering"
        if self.cgroup is not None and self.cgroup.out_of_memory():
            return f"used more memory than the limit ({self.limits.memory_bytes / 2**30:g} GB)"
        sig = -code if code < 0 else code - 128 if code > 128 else 0
        if sig:
            name = {signal.SIGSEGV: "a segmentation fault (SIGSEGV)", signal.SIGXCPU: "the CPU-time limit (SIGXCPU)",
                    signal.SIGXFSZ: f"the file-size limit ({self.limits.file_bytes // 2**20} MB, SIGXFSZ)",
                    signal.SIGKILL: "being killed (SIGKILL)", signal.SIGABRT: "an abort (SIGABRT)",
                    signal.SIGBUS: "a bus error (SIGBUS)", signal.SIGFPE: "a floating-point exception (SIGFPE)"}
            return "the process crashed: " + name.get(sig, f"signal {sig}")
        return f"your code ended the process (exit status {code}, as os._exit({code}) does)"


def sandbox_mode(policy: str = "auto") -> str:
    """'bwrap' or 'none' for the policy 'auto', 'require' or 'none'."""
    if policy == "none":
        return "none"
    if bwrap_available():
        return "bwrap"
    if policy == "require":
        raise RuntimeError("--sandbox require: bubblewrap is not available or cannot create namespaces here")
    return "none"


_PRELAUNCHED: dict[tuple[str, str, Limits], tuple[SandboxedProcess, socket.socket]] = {}


def launch(root: Path, mode: str, limits: Limits) -> tuple[SandboxedProcess, socket.socket]:
    """A worker for `root` and the judge's end of its channel (one started
    ahead by prelaunch, when there is one)."""
    ready = _PRELAUNCHED.pop((str(root), mode, limits), None)
    if ready is not None and ready[0].proc.poll() is None:
        return ready
    ours, theirs = socket.socketpair()
    try:
        return SandboxedProcess(root, theirs.fileno(), limits, mode), ours
    finally:
        theirs.close()


def prelaunch(root: Path, mode: str, limits: Limits = Limits()) -> None:
    """Start a worker now, before the judge imports torch and pytest, so that
    both imports run at once; the first Submission of `root` takes it."""
    key = (str(Path(root).resolve()), mode, limits)
    if key not in _PRELAUNCHED:
        _PRELAUNCHED[key] = launch(Path(root).resolve(), mode, limits)
