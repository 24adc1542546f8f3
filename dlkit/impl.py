"""Finding the implementation under test.

An implementation is named the way the command line names it (``--impl``):

* ``assignments`` (the student stubs, the default) or ``solutions`` (the
  reference, absent from the student release): an installed package that
  mirrors the module tree, imported by dotted name;
* a directory that mirrors the assignments tree (``DIR/hw7/conditional_gan.py``),
  loaded by file path, so a submission needs no installation;
Graders reach an implementation only through the sandboxed worker
(dlkit.judge), which loads it from the directory :func:`impl_root` names;
:func:`load_module` imports it here, for the experiments a student runs on
their own code.

Loading failures become :class:`ImplError` with a reason written for the
student ("file missing", the import error's message), never a traceback.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

PACKAGES = ("assignments", "solutions")


class ImplError(Exception):
    """The implementation of a module could not be loaded; the message says why."""


def describe(impl: str) -> str:
    """A short human name for an --impl value."""
    return impl if impl in PACKAGES else f"directory {impl}"


def validate(impl: str) -> None:
    """Raise ValueError when an --impl value names neither a package nor a directory."""
    if impl in PACKAGES:
        return
    if not Path(impl).is_dir():
        raise ValueError(
            f"--impl: expected 'assignments', 'solutions' or an existing directory; "
            f"got {impl!r}"
        )


def impl_root(impl: str) -> Path:
    """The directory that holds the modules of an --impl value."""
    if impl in PACKAGES:
        spec = importlib.util.find_spec(impl)
        if spec is None or not spec.submodule_search_locations:
            raise ImplError(
                f"file missing: the {impl} package is not installed here"
                + (" (students do not receive the solutions)" if impl == "solutions" else "")
            )
        return Path(list(spec.submodule_search_locations)[0])
    return Path(impl).resolve()


def module_file(root: str | Path, module: str) -> Path:
    """The file of `module` ('hw7/conditional_gan') inside a mirrored tree."""
    return Path(root) / f"{module}.py"


def load_module(module: str, impl: str) -> ModuleType:
    """Import `module` ('hw7/conditional_gan') from the implementation `impl`.

    Raises:
        ImplError: the package is not installed, the file is missing, or the
            module raised while importing (the message carries the error).
    """
    if impl in PACKAGES:
        dotted = f"{impl}.{module.replace('/', '.')}"
        try:
            return importlib.import_module(dotted)
        except ModuleNotFoundError as exc:
            if exc.name in (impl, dotted) or (exc.name and dotted.startswith(exc.name + ".")):
                raise ImplError(
                    f"file missing: {dotted} is not installed here"
                    + (" (students do not receive the solutions)" if impl == "solutions" else "")
                ) from None
            raise ImplError(_import_failure(exc, dotted)) from None
        except Exception as exc:  # the student's module raised at import
            raise ImplError(_import_failure(exc, dotted)) from None
    path = module_file(impl, module)
    if not path.is_file():
        raise ImplError(f"file missing: {path} does not exist")
    name = f"_dlkit_submission_.{module.replace('/', '.')}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(mod)
    except BaseException as exc:  # SystemExit from a stray exit() too
        sys.modules.pop(name, None)
        raise ImplError(_import_failure(exc, str(path))) from None
    return mod


def _import_failure(exc: BaseException, where: str) -> str:
    """'import error: <type>: <message> (file, line N)' for the innermost frame."""
    frames = traceback.extract_tb(exc.__traceback__)
    location = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        location = f" ({Path(exc.filename or where).name}, line {exc.lineno})"
    elif frames:
        last = frames[-1]
        location = f" ({Path(last.filename).name}, line {last.lineno})"
    return f"import error in {where}: {type(exc).__name__}: {exc}{location}"
