"""Variants of a reference solution: mutants (one realistic mistake) and
alternatives (correct, written differently), each a text replacement applied
to the solution module and graded like a submission.

A module's variants live in ``tests/mutants/<hwN>_<name>.py`` (``MUTANTS``)
and ``tests/alternatives/<hwN>_<name>.py`` (``ALTERNATIVES``), named after the
graded module: ``hw7/conditional_gan`` → ``hw7_conditional_gan``.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dlkit.build import find_regions

if TYPE_CHECKING:
    from dlkit.grading.results import Results

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"



@dataclass(frozen=True)
class Variant:
    """One edit of a solution module.

    Attributes:
        module: the graded module, e.g. "hw7/conditional_gan".
        name: a short identifier, used as the test id.
        item: the graded item (function) the edit is about: the one a mutant
            must lose points on, or the one an alternative rewrites.
        why: one sentence: the mistake and why a student makes it, or what the
            alternative does differently.
        old: text that occurs exactly once in the solution module, inside a
            solution region of `item`.
        new: its replacement.
        requires_cuda: the graders can tell this variant apart only when they
            run on a GPU (a tensor left on the CPU is right on a CPU-only
            machine).
    """

    module: str
    name: str
    item: str
    why: str
    old: str
    new: str
    requires_cuda: bool = False

    def __str__(self) -> str:
        return self.name


def solution_file(module: str) -> Path:
    """solutions/hw7/conditional_gan.py for "hw7/conditional_gan"."""
    return SOLUTIONS / f"{module}.py"


def solution_source(module: str) -> str:
    return solution_file(module).read_text(encoding="utf-8")


def solution_regions(source: str) -> dict[str, list[tuple[int, int]]]:
    """Character spans of every solution region's body (the lines between the
    markers), keyed by the function holding it; parsed as the build parses."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    regions: dict[str, list[tuple[int, int]]] = {}
    for region in find_regions([line.rstrip("\n") for line in lines], Path("<solution>")):
        regions.setdefault(region.item, []).append((starts[region.start + 1], starts[region.end]))
    return regions


def solution_region(module: str, item: str) -> str:
    """The body of `item`'s only solution region in the reference `module`,
    exactly as written (for whole-region alternatives)."""
    source = solution_source(module)
    spans = solution_regions(source).get(item, [])
    if len(spans) != 1:
        raise ValueError(f"{module}: {item} has {len(spans)} solution regions, expected 1")
    start, end = spans[0]
    return source[start:end]


def apply(variant: Variant, source: str) -> str:
    """`source` with the variant's replacement made, checking that `old`
    names one place only."""
    count = source.count(variant.old)
    if count != 1:
        raise ValueError(
            f"{variant.name}: the text to replace occurs {count} times in "
            f"{variant.module}, expected exactly once:\n{variant.old}"
        )
    if variant.old == variant.new:
        raise ValueError(f"{variant.name}: the replacement changes nothing")
    return source.replace(variant.old, variant.new)


def write_variant(tmp_dir: Path, variant: Variant) -> Path:
    """Write the solution with the variant applied as tmp_dir/<module>.py, a
    directory mirroring the assignments tree that graders accept as --impl.

    Returns:
        tmp_dir.
    """
    text = apply(variant, solution_source(variant.module))
    target = Path(tmp_dir) / f"{variant.module}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Path(tmp_dir)


def variant_module_name(module: str) -> str:
    """hw7_conditional_gan for "hw7/conditional_gan"."""
    return re.sub(r"[^0-9A-Za-z_]", "_", module)


def load_variants(kind: str, module: str) -> list[Variant]:
    """The variants of `module` declared in tests/<kind>/ ("mutants" or
    "alternatives"); an empty list when that file does not exist yet."""
    attribute = {"mutants": "MUTANTS", "alternatives": "ALTERNATIVES"}[kind]
    package = __name__.rpartition(".")[0]
    dotted = f"{package + '.' if package else ''}{kind}.{variant_module_name(module)}"
    try:
        declared = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name == dotted:
            return []
        raise
    return list(getattr(declared, attribute))


_SHARED: dict[str, object] = {}


def start_worker() -> None:
    """Set up a process that grades variants next to others: the grading
    tensors are tiny, so one thread each beats competing for the cores; one
    sandboxed worker serves every variant this process grades (it forgets
    the previous variant's modules), so each variant does not pay for
    starting one."""
    import tempfile

    import torch

    from dlkit.judge import Submission

    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="dlkit-variants-"))
    _SHARED["root"] = root
    _SHARED["submission"] = Submission(root)


def grade_variant(variant: Variant, directory: Path) -> "Results":
    """Write the variant into `directory` and grade every item of its module
    there, as a submission is graded (in this process's shared worker when
    there is one)."""
    import shutil

    from dlkit.grading.runner import grade

    submission = _SHARED.get("submission")
    if submission is None:
        return grade([variant.module], str(write_variant(directory, variant)), hidden=True)
    root = _SHARED["root"]
    assert isinstance(root, Path)
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    write_variant(root, variant)
    submission.forget()  # type: ignore[attr-defined]
    return grade([variant.module], str(root), submission=submission, hidden=True)  # type: ignore[arg-type]
