"""The handout's limits and build_model's sizes on worked examples (stored
as data), for the Optuna search graders.

This runs in the judge. The samplers, pruners, studies and stand-ins that
must live next to the submission (trials and studies cannot cross to the
worker) are in optuna_search_probes.
"""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st

from dlkit.grading.checks import call, check, fail
from graders.hw7 import optuna_search_probes as probes

MAX_CONV, MAX_DENSE, MAX_FILTERS, MAX_NEURONS, MAX_LR = 4, 3, 64, 64, 0.01
OPTIMIZERS = ("Adam", "RMSprop", "SGD")


def limit_violations(fields: dict[str, Any]) -> list[str]:
    """Every way a configuration (its fields, as the probes return them)
    breaks the handout's limits, in words (empty: none)."""
    problems = []
    filters, neurons = _sizes(fields.get("filters", ())), _sizes(fields.get("neurons", ()))
    if not 1 <= len(filters) <= MAX_CONV:
        problems.append(f"{len(filters)} conv layers (1 to {MAX_CONV} allowed)")
    if any(not _within(f, MAX_FILTERS) for f in filters):
        problems.append(f"filters {list(filters)} (1 to {MAX_FILTERS} per layer)")
    if len(neurons) + 1 > MAX_DENSE:
        problems.append(f"{len(neurons)} hidden dense layers + the output layer (at most {MAX_DENSE} dense layers)")
    if any(not _within(n, MAX_NEURONS) for n in neurons):
        problems.append(f"neurons {list(neurons)} (1 to {MAX_NEURONS} per layer)")
    lr = fields.get("lr")
    if not isinstance(lr, (int, float)) or not 0 < lr <= MAX_LR:
        problems.append(f"lr={lr} (0 < lr ≤ {MAX_LR})")
    if fields.get("optimizer") not in OPTIMIZERS:
        problems.append(f"optimizer={fields.get('optimizer')!r} (one of {', '.join(OPTIMIZERS)})")
    dropout = fields.get("dropout")
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        problems.append(f"dropout={dropout} (in [0, 1))")
    return problems


def _sizes(value: Any) -> tuple:
    """Layer sizes as a tuple (a lone value or a text counts as one bad size)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _within(size: Any, most: int) -> bool:
    try:
        return 1 <= int(size) <= most
    except (TypeError, ValueError):
        return False


DEFAULTS = dict(filters=(4, 6), kernel_size=3, pool=True, neurons=(8,), dropout=0.0, optimizer="Adam", lr=1e-3)


def config_fields(**fields: Any) -> dict[str, Any]:
    """A configuration's fields: small defaults with `fields` over them."""
    return {**DEFAULTS, **fields}


def config(impl: Any, **fields: Any) -> Any:
    """impl.CNNConfig with small defaults and `fields` over them (made in the worker)."""
    return impl.CNNConfig(**config_fields(**fields))


# build_model's parameter counts on worked examples: (config fields over
# DEFAULTS, in_shape, n_classes) → parameters of the reference solution's
# network, computed with it once.
WORKED_SIZES: list[tuple[dict[str, Any], tuple[int, int, int], int, int]] = [
    (dict(filters=(8, 8), neurons=(16,)), (3, 32, 32), 100, 10716),
    (dict(filters=(5,), kernel_size=5, pool=False, neurons=()), (1, 28, 28), 10, 39340),
    (dict(filters=(3, 7, 2), kernel_size=1, neurons=(9, 4)), (3, 20, 16), 23, 292),
    (dict(filters=(4, 4, 4, 4), neurons=(6, 5)), (2, 16, 16), 10, 645),
    (dict(filters=(12, 6), kernel_size=3, pool=False, neurons=(3,)), (3, 20, 16), 23, 6845),
]


# --------------------------------------------------------------------------
# running items in the worker


def run(impl, item: str, procedure, *args, **kwargs):
    """impl.run(procedure, ...) once the item `item` it grades is there, so a
    missing or misnamed function gets call()'s sentence."""
    fn = getattr(impl, item, None)
    if fn is None or not callable(fn):
        call(item, impl)
    return impl.run(procedure, *args, **kwargs)


@st.composite
def model_cases(draw: st.DrawFn) -> tuple[dict, tuple[int, int, int], int]:
    """(config fields, in_shape, n_classes), with small layers to stay fast."""
    n_conv = draw(st.integers(1, 4))
    in_shape = draw(st.sampled_from([(3, 32, 32), (1, 28, 28), (3, 20, 16), (2, 16, 16)]))
    fields = dict(
        filters=tuple(draw(st.integers(1, 12)) for _ in range(n_conv)),
        kernel_size=draw(st.sampled_from([1, 3, 5])),
        pool=draw(st.booleans()),
        neurons=tuple(draw(st.integers(1, 16)) for _ in range(draw(st.integers(0, 2)))),
        dropout=0.0,
        optimizer="Adam",
        lr=1e-3,
    )
    return fields, in_shape, draw(st.sampled_from([10, 23, 100]))


def built(impl, fields: dict, in_shape, n_classes, n: int = 4, forward: bool = True) -> dict:
    """What build_model made of config_fields(**fields) (see probes.model_evidence):
    fails unless it built an nn.Module and, with `forward`, ran a batch of n images."""
    fields = config_fields(**fields)
    got = run(impl, "build_model", probes.model_evidence, fields, tuple(in_shape), n_classes, n, forward)
    cfg = got["config"]
    if "build_error" in got:
        fail(
            f"build_model must build a network for in_shape={in_shape}: derive the flatten size "
            "from the input shape, never compute it for 32×32 images by hand.",
            f"{cfg} raised {got['build_error']}",
        )
    check(got["is_module"], "build_model must return an nn.Module.", f"got {got['type']}")
    if "forward_error" in got:
        fail(
            f"build_model's network must accept a batch of shape {got['batch_shape']}.",
            f"{cfg}, in_shape={in_shape}: {got['forward_error']}",
        )
    got["fields"] = fields
    return got


def check_model_size(impl: Any, fields: dict[str, Any], in_shape: tuple[int, int, int], n_classes: int,
                     expected: Callable[[dict[str, Any]], int]) -> None:
    """build_model of `fields` has one Conv2d per filter and `expected(fields)`
    parameters (fields as the student's config holds them)."""
    got = built(impl, fields, in_shape, n_classes, forward=False)
    cfg, fields = got["config"], got["fields"]
    want = expected(fields)
    n_convs, n_filters = got["convs"], len(fields["filters"])
    check(
        got["parameters"] == want and n_convs == n_filters,
        "build_model must build exactly the configuration: one Conv2d per entry of filters (kernel "
        "kernel_size, padding kernel_size // 2), a 2×2 max pool after each when pool, one Linear per "
        "entry of neurons and the output Linear.",
        f"{cfg}, in_shape={in_shape}, n_classes={n_classes}: expected {want:,} parameters and "
        f"{n_filters} Conv2d, got {got['parameters']} and {n_convs}",
    )
