"""The student distribution: stubs, public graders and dlkit — never a solution.

``dlkit release DIR`` copies ``assignments/``, ``graders/`` and ``dlkit/``,
writes a student README and a pyproject derived from the instructors' one
(same pinned dependencies, without the ``solutions`` package), and nothing
else: no ``solutions/``, no ``course/``, no tests.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assignments", "graders", "dlkit")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache", "*.egg-info")

STUDENT_README = """\
# Deep-learning assignments

Each assignment module in `assignments/` holds functions to fill in: replace
every `raise NotImplementedError(...)` with your code. The assignment text
is in the module's comments and docstrings.

## Set up (once)

    pip install -e .

## Check your work

    dlkit check                                     # every module
    dlkit check hw7/conditional_gan                 # one module
    dlkit check hw7/conditional_gan::combine_vectors -v   # one item, every failure in full

The table shows, per item, the points you have, the maximum, and the first
property your code does not have yet, with the smallest input that shows it.
These public tests run again when your work is marked, with the same seeds,
so the score you see is the score you get for them. Marking also runs
instructor-only tests worth a few more points per item: the same properties
checked on other inputs, against the reference. Code that passes the public
tests for the right reasons passes those too.

`pytest graders` runs the same tests with pytest's own output.

## Run the experiments

    dlkit run hw7/conditional_gan --quick

trains with your code on a small digits dataset that ships with
scikit-learn (no download) in about half a minute and saves sample grids
under runs/; without --quick it trains longer, and `--data mnist
--download` uses MNIST. `dlkit run --help` lists every experiment.
"""


def _student_pyproject(text: str) -> str:
    """The instructors' pyproject without the solutions package; pytest
    collects the graders."""
    full = 'include = ["dlkit*", "solutions*", "instructor*", "assignments*", "graders*"]'
    if full not in text:
        raise ValueError("pyproject.toml: the package list changed; update dlkit/release.py")
    text = text.replace(full, 'include = ["dlkit*", "assignments*", "graders*"]')
    return text.replace('testpaths = ["tests"]', 'testpaths = ["graders"]')


def release(out: Path, force: bool = False) -> Path:
    """Write the student distribution to `out` and return its path.

    Raises:
        FileExistsError: `out` exists and force is False.
        FileNotFoundError: this checkout has no assignments to release.
        ValueError: `out` lies inside a folder the release copies.
    """
    if not (ROOT / "assignments").is_dir() or not (ROOT / "solutions").is_dir():
        raise FileNotFoundError(f"{ROOT / 'solutions'} not found: run this from the instructors' repository")
    out = Path(out).resolve()
    for package in PACKAGES:
        if out == ROOT / package or ROOT / package in out.parents:
            raise ValueError(f"{out} is inside {package}/, which the release copies: choose a folder outside it")
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists: choose a new directory or pass --force")
    pyproject = _student_pyproject((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # Written beside the target and moved into place when complete: a failure
    # half-way leaves no half-written release behind.
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for package in PACKAGES:
            shutil.copytree(ROOT / package, partial / package, ignore=_IGNORE)
        (partial / "README.md").write_text(STUDENT_README, encoding="utf-8")
        (partial / "pyproject.toml").write_text(pyproject, encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out
