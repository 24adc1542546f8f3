"""Graders for HW7-Q5 (module hw7/cyclegan_loss): generator_ab_loss, the loss
that trains gen_AB, on tiny conv generators and patch discriminators built in
the worker from a seed (cyclegan_loss_probes.tiny_nets).

It runs with marked spies in place of adversarial_loss, cycle_loss and
identity_loss, so a fault in a term costs points on that term only; a term
computed inline counts as right when it equals what the student's own term
function gives on the same images. The judge rebuilds the same networks to
know which images each term had to compare. The worked example's values are
stored below as numbers.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings

from dlkit.grading.checks import check, fail, graded
from graders.hw7 import cyclegan_loss_support as support

MODULE = "hw7/cyclegan_loss"

WORKED_A = [[[[0.5, -0.5, 0.0], [1.0, 0.0, -1.0], [0.25, 0.75, -0.25]]]]
WORKED_B = [[[[-1.0, 0.0, 1.0], [0.5, 0.5, 0.5], [0.0, -0.75, 0.25]]]]
WORKED_SEED = 7
# The terms on the worked example, computed by the reference (float32):
# adversarial per kind, then both cycles and the identity term.
WORKED_TERMS = {
    "lsgan": 3.713298797607422,
    "bce": 1.2604186534881592,
    "cycle_A": 0.518740713596344,
    "cycle_B": 0.5076626539230347,
    "identity": 0.5049082040786743,
}
WORKED_WEIGHTS = [(10.0, 0.0), (10.0, 0.5), (2.0, 1.0)]
FEW = settings(max_examples=10)


def _case(seed: int, real_A: torch.Tensor, real_B: torch.Tensor, **kwargs) -> dict:
    return {"channels": real_A.shape[1], "seed": seed, "real_A": real_A, "real_B": real_B, "kwargs": kwargs}


def _worked_cases() -> list[dict]:
    a, b = torch.tensor(WORKED_A), torch.tensor(WORKED_B)
    return [_case(WORKED_SEED, a, b, lambda_cycle=lc, lambda_identity=li, adversarial=kind)
            for kind in ("lsgan", "bce") for lc, li in WORKED_WEIGHTS]


@graded("generator_ab_loss", points=1.5)
def test_generator_worked_example(impl):
    cases = _worked_cases()
    entries, owns = support.evidence(impl, cases), support.own_values(impl, cases)
    for case, entry, own in zip(cases, entries, owns):
        stored = {"adversarial": [WORKED_TERMS[case["kwargs"]["adversarial"]]],
                  **{k: [WORKED_TERMS[k]] for k in ("cycle_A", "cycle_B", "identity")}}
        support.check_parts(entry, case, support.candidates(case, own, stored))


@graded("generator_ab_loss", points=1.5)
@FEW
@given(support.generator_cases())
def test_generator_parts_and_weights(impl, case):
    (entry,) = support.evidence(impl, [case])
    (own,) = support.own_values(impl, [case])
    support.check_parts(entry, case, support.candidates(case, own))


@graded("generator_ab_loss", points=1)
def test_generator_trains_generators_only(impl):
    a, b = support.drawn((2, 2, 4, 4), torch.float32, 1), support.drawn((2, 2, 4, 4), torch.float32, 2)
    cases = [_case(3, a, b, lambda_cycle=10.0, lambda_identity=0.5, adversarial=kind) for kind in ("lsgan", "bce")]
    # With both weights 0 only the adversarial term is left, and it must still train gen_AB.
    alone = _case(3, a, b, lambda_cycle=0.0, lambda_identity=0.0, adversarial="lsgan")
    for case, entry in zip([*cases, alone], support.evidence(impl, [*cases, alone])):
        given_ = support.case_text(case)
        if entry["error"] is not None or "grads" not in entry:
            fail("generator_ab_loss must return (total, parts) with total a 0-dim tensor that gradients flow "
                 "through.", given_, f"got {entry.get('total_what') or entry.get('error')}")
        grads = entry["grads"]
        for net in ("gen_AB", "gen_BA") if case is not alone else ("gen_AB",):
            report = grads[net]
            check(
                not report["missing"] and not report["nonfinite"] and report["nonzero"],
                f"total.backward() must give every parameter of {net} a finite gradient: {net} is trained by "
                "this loss" + (" (through the adversarial, cycle and identity terms)." if net == "gen_AB" else
                               " (through both cycles)."),
                given_,
                f"no gradient: {report['missing']}; not finite: {report['nonfinite']}",
            )
        for net in ("disc_A", "disc_B"):
            report = grads[net]
            check(
                not report["nonzero"],
                f"the generator's loss must not train {net}: after total.backward() its parameters' gradients "
                "must be None or zero (freeze it with requires_grad_(False) while scoring the fakes, then "
                "restore the flags).",
                given_,
                f"parameters of {net} with a gradient: {report['nonzero']}",
            )
            check(
                not report["frozen"],
                f"generator_ab_loss must leave {net}'s requires_grad flags as it found them: the "
                "discriminator is trained in its own step next.",
                given_,
                f"left frozen: {report['frozen']}",
            )


@graded("generator_ab_loss", points=0.5)
def test_generator_bad_kind(impl):
    a = support.drawn((1, 1, 3, 3), torch.float32, 0)
    (entry,) = support.evidence(impl, [_case(0, a, a, lambda_cycle=10.0, lambda_identity=0.0, adversarial="wgan")])
    error = entry["error"]
    check(
        error is not None and error[0] == "ValueError" and "adversarial" in error[1],
        'generator_ab_loss must raise ValueError naming adversarial for a value other than "lsgan" or "bce".',
        "adversarial='wgan' → " + (f"{error[0]}: {error[1]}" if error else "nothing raised"),
    )


@graded("generator_ab_loss", points=0.5, secondary=True)
def test_generator_keeps_inputs_and_dtype(impl):
    cases = [_case(5, support.drawn((2, 1, 3, 3), dtype, 8), support.drawn((2, 1, 3, 3), dtype, 9),
                   lambda_cycle=1.0, lambda_identity=1.0, adversarial="lsgan")
             for dtype in (torch.float32, torch.float64)]
    for case, entry in zip(cases, support.evidence(impl, cases)):
        given_ = support.case_text(case)
        check(entry["error"] is None and "parts" in entry, "generator_ab_loss must return (total, parts).", given_)
        check(not entry["changed_inputs"], "generator_ab_loss must not change real_A or real_B in place.", given_)
        check(
            entry["total_dtype"] == str(case["real_A"].dtype),
            "generator_ab_loss's total must keep the images' dtype.",
            given_, f"got {entry['total_dtype']}",
        )
