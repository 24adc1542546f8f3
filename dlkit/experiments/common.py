"""What every experiment's command line shares: parsing into an exit status,
the device check, loading the implementation, and turning a stub's
NotImplementedError into one line for the student.

An experiment writes its body as if nothing failed and raises :class:`Exit`
(or lets these helpers raise it); :func:`command` turns that into the exit
status and a message on stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import traceback
from typing import Any, Callable, Iterator

import torch


SEED_HELP = "seeds the initialisation, the data order and the sampling (default: 0)"


class Exit(Exception):
    """Stop the command with `status`, printing `message` (if any) to stderr."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message


def command(body: Callable[[], int | None]) -> int:
    """Run an experiment's body and return its exit status (0 when it returns None)."""
    try:
        try:
            return int(body() or 0)
        except (Exit, NotImplementedError):
            raise
        except Exception as exc:
            where = student_line(exc)
            if not where:  # not the student's code: a fault of the experiment itself, in full
                raise
            raise Exit(1, f"your code raised {type(exc).__name__}: {exc}\n  at {where}\n"
                          "(`dlkit check` grades it and says which property fails)") from None
    except Exit as exc:
        if exc.message:
            # A usage error reads as every dlkit usage error does.
            print(f"dlkit: error: {exc.message}" if exc.status == 2 else exc.message, file=sys.stderr)
        return exc.status


def parse_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """parser.parse_args, with --help and usage errors as Exit (argparse's
    status, 2 for a usage error) instead of SystemExit: callers want a status."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        raise Exit(exc.code if isinstance(exc.code, int) else 2) from None


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer ≥ 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 0, got {text}")
    return value


def add_impl_option(parser: argparse.ArgumentParser) -> None:
    """--impl: what the experiment runs, as for `dlkit check`."""
    parser.add_argument("--impl", default="assignments",
                        help="'assignments' (default: your code), 'solutions' or a directory mirroring "
                             "the assignments")


def check_device(name: str | None) -> None:
    """Exit 2 when `name` (--device) is not a device or names CUDA on a
    machine without it; None (the default device) always passes."""
    if name is None:
        return
    try:
        device = torch.device(name)
    except RuntimeError:
        raise Exit(2, f"--device: not a device: {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise Exit(2, "--device: CUDA is not available on this machine")


def add_run_options(parser: argparse.ArgumentParser, out: str, what: str, device: bool = True) -> None:
    """The options every experiment shares: --no-progress, --device (when
    `device`), --seed and --out (default `out`, the folder for `what`)."""
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    if device:
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    parser.add_argument("--out", default=out, help=f"output folder for {what}")


def small_model_device(name: str | None) -> str | torch.device:
    """The device --device names (checked), or the default; on CPU one thread,
    since networks this small train faster on one thread than split over several."""
    from dlkit.device import default_device

    check_device(name)
    device = name or default_device()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    return device


def optimizer_step(optimizer: torch.optim.Optimizer, loss: Callable[[], torch.Tensor]) -> float:
    """One step of `optimizer` on what `loss()` computes, gradients zeroed
    first; returns that loss as a float (before the step)."""
    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        return value

    return float(optimizer.step(closure).detach())


def load_impl(module: str, impl: str) -> Any:
    """The implementation of `module` chosen by --impl; Exit 2 when it cannot be loaded."""
    from dlkit import impl as impl_loader

    try:
        return impl_loader.load_module(module, impl)
    except impl_loader.ImplError as exc:
        raise Exit(2, str(exc)) from None


def not_implemented_reason() -> str:
    """'<name> is not implemented yet', for the NotImplementedError being
    handled: the function that raised it, or the class when it was one of
    that class's methods (a stub's __init__ or forward)."""
    tb = sys.exc_info()[2]
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "this item is not implemented yet"
    owner = tb.tb_frame.f_locals.get("self")
    if owner is not None and tb.tb_frame.f_code.co_name in ("__init__", "forward", "__call__"):
        return f"{type(owner).__name__} is not implemented yet"
    return f"{traceback.extract_tb(sys.exc_info()[2])[-1].name} is not implemented yet"


@contextlib.contextmanager
def students_code(impl: str) -> Iterator[None]:
    """Exit 1 with one line when the student's code is a stub."""
    from dlkit import impl as impl_loader

    try:
        yield
    except NotImplementedError:
        raise Exit(1, f"{not_implemented_reason()} ({impl_loader.describe(impl)})") from None


def student_line(exc: BaseException) -> str:
    """'file.py, line N: code' for the innermost frame of the student's code
    in `exc`'s traceback; '' when none of it is the student's."""
    from dlkit.grading.messages import student_frame

    frame = student_frame(exc)
    if frame is None:
        return ""
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"{frame.filename.rsplit('/', 1)[-1]}, line {frame.lineno}{code}"
