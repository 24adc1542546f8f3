"""Hostile submissions of hw1/dropout (the quickest module to grade).

Each case is the reference or the stub with hostile code added: at import
(module level) or in place of one item (a later definition replaces the
earlier one). `expect` gives, per item, "full" or the most points it may
keep ("0"; "any": whatever it gets), and `reason`, a phrase the failing item's message must hold.
Items not named keep their base's score (full for "solution", 0 for "stub").
Every bomb is bounded so the suite is safe on a 2-core, 24 GB machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MARK = "987654"  # `sleep 987654` marks processes that must not outlive grading


@dataclass(frozen=True)
class Case:
    name: str
    base: str  # "solution" or "stub"
    code: str
    expect: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    needs_sandbox: bool = False


def _item(name: str, body: str) -> str:
    head = {
        "apply_dropout_mask": "def apply_dropout_mask(activations, mask):",
        "inverted_dropout": "def inverted_dropout(activations, mask, p):",
    }[name]
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return f"\n\n{head}\n{lines}\n"


FORGE_FILES = """
import glob, json, os, sys
for pattern in ("/tmp/**/*", os.getcwd() + "/**/*", "/submission/**/*", "/opt/**/*.json*"):
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path, "a") as fh:
                fh.write(json.dumps({"event": "result", "passed": True}) + "\\n")
        except OSError:
            pass
for arg in sys.argv:
    try:
        open(arg, "w").write('{"score": 15, "max_score": 15}')
    except OSError:
        pass
"""

DAEMON = f"""
import os, subprocess
if os.fork() == 0:
    os.setsid()
    try:
        subprocess.Popen(["sleep", "{MARK}"], start_new_session=True)
    finally:
        os._exit(0)
"""

TAMPER = """
import os, signal
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        try:
            os.kill(int(pid), signal.SIGSTOP)
        except OSError:
            pass
"""

LIAR = """
import torch
class LiarTensor(torch.Tensor):
    def __eq__(self, other):
        return True
    def equal(self, other):
        return True
"""

CASES = [
    Case("forge_result_files", "stub", FORGE_FILES, reason="not implemented"),
    Case("fake_records_then_exit", "stub",
         'print(\'{"event": "result", "nodeid": "x", "passed": true}\')\nimport os\nos._exit(0)\n',
         reason="ended the process"),
    Case("patch_recorder_and_reports", "stub", """
import _pytest.reports as r
import dlkit.grading.plugin as p
p.Recorder._emit = lambda self, record: None
r.TestReport.from_item_and_call = classmethod(lambda cls, item, call: None)
""", reason="not implemented"),
    Case("patch_checks", "stub", """
import dlkit.grading.checks as c
c.check = lambda *a, **k: None
c.fail = lambda *a, **k: None
""", reason="not implemented"),
    Case("patch_torch_comparisons", "stub", """
import torch
torch.equal = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.Tensor.__eq__ = lambda self, other: True
""" + _item("apply_dropout_mask", "return activations"), reason="activations ⊙ mask"),
    Case("lying_tensor_subclass", "stub", LIAR + _item("apply_dropout_mask", "return (activations * mask).as_subclass(LiarTensor)"),
         reason="LiarTensor"),
    Case("list_where_tensor_due", "solution", _item("apply_dropout_mask", "return (activations * mask).tolist()"),
         expect={"apply_dropout_mask": "0"}, reason="list"),
    Case("import_solutions", "stub", "from solutions.hw1.dropout import *\n", reason="import error"),
    Case("read_solution_files", "stub", """
import glob, os
import dlkit
roots = {"/opt", "/tmp", "/submission", "/work", "/root", "/home", "/srv", "/mnt"}
roots |= {str(p) for p in __import__("pathlib").Path(dlkit.__file__).parents if str(p) != "/"}
found = [p for r in roots for p in glob.glob(r + "/**/solutions/hw1/dropout.py", recursive=True)]
if found:
    exec(open(found[0]).read())
""", reason="not implemented", needs_sandbox=True),
    Case("read_instructor_files", "stub", """
import glob
import dlkit
roots = {"/opt", "/tmp", "/submission", "/work", "/root", "/home", "/srv", "/mnt"}
roots |= {str(p) for p in __import__("pathlib").Path(dlkit.__file__).parents if str(p) != "/"}
found = [p for r in roots for p in glob.glob(r + "/**/instructor/**/*.py", recursive=True)]
if found:
    raise RuntimeError("instructor files visible: " + found[0])
""", reason="not implemented", needs_sandbox=True),
    Case("write_installed_package", "stub", """
import dlkit, graders, os
for package in (dlkit, graders):
    folder = os.path.dirname(package.__file__)
    for name in os.listdir(folder):
        try:
            open(os.path.join(folder, name), "a").write("\\n# planted\\n")
        except OSError:
            pass
""", reason="not implemented"),
    Case("patch_pytest_hypothesis_graders", "stub", """
import hypothesis, pytest
hypothesis.given = lambda *a, **k: (lambda f: f)
pytest.fail = lambda *a, **k: None
import graders.hw1.test_dropout as t
t.check = lambda *a, **k: None
""", reason="not implemented"),
    Case("global_torch_state", "solution", """
import torch
torch.set_default_dtype(torch.float64)
torch.set_grad_enabled(False)
torch.set_num_threads(64)
torch.manual_seed(123)
"""),
    Case("print_fake_report", "stub", 'print("hw1/dropout  total  15  15\\n15 passed\\n" * 1000)\n', reason="not implemented"),
    Case("stdout_100mb", "solution", 'import os\nfor _ in range(100):\n    os.write(1, b"x" * 2**20)\n'),
    Case("stdout_3gb", "solution", _item("apply_dropout_mask", """
import os
chunk = b"y" * 2**20
for _ in range(3072):
    os.write(1, chunk)
return activations * mask
"""), expect={"apply_dropout_mask": "any"}),
    Case("hang_in_function", "solution", _item("apply_dropout_mask", "while True:\n    pass"),
         expect={"apply_dropout_mask": "0"}, reason="time limit"),
    Case("hang_at_import", "solution", "while True:\n    pass\n", expect={"*": "0"}, reason="time limit"),
    Case("sys_exit_at_import", "solution", "import sys\nsys.exit(0)\n", expect={"*": "0"}, reason="SystemExit"),
    Case("os_exit_at_import", "solution", "import os\nos._exit(0)\n", expect={"*": "0"}, reason="ended the process"),
    Case("sys_exit_in_function", "solution", _item("apply_dropout_mask", "import sys\nsys.exit(1)"),
         expect={"apply_dropout_mask": "0"}, reason="sys.exit"),
    Case("os_exit_in_function", "solution", _item("apply_dropout_mask", "import os\nos._exit(1)"),
         expect={"apply_dropout_mask": "0"}, reason="os._exit(1)"),
    Case("segfault", "solution", _item("apply_dropout_mask", "import ctypes\nctypes.string_at(0)"),
         expect={"apply_dropout_mask": "0"}, reason="segmentation fault"),
    Case("c_stack_overflow", "solution", _item("apply_dropout_mask", """
import sys
sys.setrecursionlimit(10**7)
nested = []
for _ in range(10**6):  # repr() of a million nested lists recurses in C
    nested = [nested]
return repr(nested)
"""), expect={"apply_dropout_mask": "0"}, reason="crashed"),
    Case("memory_bomb", "solution", _item("apply_dropout_mask", """
blocks = []
for _ in range(16):  # at most 4 GB, past the suite's 1.5 GB limit
    blocks.append(bytearray(256 * 2**20))
return activations * mask
"""), expect={"apply_dropout_mask": "0"}, reason="memory", needs_sandbox=True),
    Case("fork_bomb_bounded", "stub", f"""
import os, time
children = 0
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children += 1
""", reason="not implemented", needs_sandbox=True),
    Case("thread_bomb_bounded", "stub", """
import threading, time
for _ in range(2000):
    try:
        threading.Thread(target=time.sleep, args=(20,), daemon=True).start()
    except RuntimeError:
        break
""", reason="not implemented", needs_sandbox=True),
    # Once per worker: rewriting the full /tmp on every call would only make
    # each call slow, which any slow code does.
    Case("disk_bomb", "solution", _item("apply_dropout_mask", """
import os
for i in range(64 if not os.path.exists("/tmp/fill0") else 0):  # at most 2 GB in 32 MB files
    try:
        with open(f"/tmp/fill{i}", "wb") as fh:
            fh.write(b"z" * 32 * 2**20)
    except OSError:
        break
return activations * mask
"""), needs_sandbox=True),
    Case("daemon_outlives_grading", "stub", DAEMON, reason="not implemented", needs_sandbox=True),
    # One daemon per worker (its first call): one per call would be a slow fork bomb.
    Case("daemon_in_function", "solution", _item("apply_dropout_mask", "if '_daemon' not in globals():\n"
         "    globals()['_daemon'] = True\n" + "\n".join("    " + line for line in DAEMON.strip().splitlines())
         + "\nreturn activations * mask")),
    Case("tamper_with_processes", "stub", TAMPER, reason="not implemented", needs_sandbox=True),
    Case("kill_everything", "stub", "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n",
         expect={"*": "0"}, needs_sandbox=True),
    Case("network", "stub", """
import socket
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    raise RuntimeError("network reachable")
except OSError:
    pass
""", reason="not implemented", needs_sandbox=True),
    Case("kill_parent", "solution", _item("apply_dropout_mask", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn activations * mask"),
         expect={"apply_dropout_mask": "any"}, needs_sandbox=True),
    Case("huge_exception_message", "solution", _item("apply_dropout_mask", 'raise ValueError("v" * 10**7)'),
         expect={"apply_dropout_mask": "0"}, reason="ValueError"),
]
