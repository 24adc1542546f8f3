"""Hidden graders for HW7-Q8, the conditional GAN (module hw7/conditional_gan).

The checks that need the reference: exact values on generated inputs,
against conditional_gan_oracle. Each runs the same worker procedures as the public
graders (conditional_gan_probes) and judges their evidence here.
"""
from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from dlkit.grading.checks import call, check, describe, graded, show
from graders.hw7 import conditional_gan_blocks as blocks
from graders.hw7 import conditional_gan_support as support
from instructor.hw7 import conditional_gan_oracle as oracle

MODULE = "hw7/conditional_gan"


@graded("get_input_dimensions", points=1)
@given(st.integers(1, 200), st.integers(1, 16), st.integers(1, 64), st.integers(1, 64), st.integers(1, 20))
def test_input_dimensions_exact(impl, z_dim, channels, height, width, k):
    shape = (channels, height, width)
    out = call("get_input_dimensions", impl, z_dim, shape, k)
    want = oracle.input_dimensions(z_dim, shape, k)
    check(
        isinstance(out, (tuple, list)) and tuple(out) == want,
        "get_input_dimensions must return (z_dim + n_classes, image channels + n_classes).",
        f"z_dim={z_dim}, mnist_shape={shape}, n_classes={k} → expected {want}, got {show(out)}",
    )


def _check_block_values(impl, fn: str, args: blocks.BlockArgs, transposed: bool) -> None:
    evidence, inputs = blocks.block_output(impl, fn, args, transposed)
    blocks.check_layers(evidence, args, transposed)
    x, y = inputs[0], evidence["outs"][0] if evidence["outs"] else None
    want, rule = oracle.block_output(evidence, x, args.final, transposed)
    call_text = args.call_text(fn)
    check(
        isinstance(y, torch.Tensor) and y.shape == want.shape,
        f"{call_text} must map {describe(x)} to shape {tuple(want.shape)}.",
        f"got {describe(y)}",
    )
    check(
        torch.allclose(y.to(want.dtype), want, atol=1e-5, rtol=1e-4),
        f"a {'final' if args.final else 'hidden'} block from {fn} must compute {rule}.",
        f"{call_text} on {describe(x)}: largest difference {(y - want).abs().max().item():.3g}",
    )


@graded("make_gen_block", points=1)
@given(blocks.block_args(transposed=True))
def test_gen_block_values(impl, args):
    _check_block_values(impl, "make_gen_block", args, transposed=True)


@graded("make_disc_block", points=1)
@given(blocks.block_args(transposed=False))
def test_disc_block_values(impl, args):
    _check_block_values(impl, "make_disc_block", args, transposed=False)


@graded("get_disc_loss", points=1)
@given(support.loss_cases())
def test_disc_loss_value(impl, case):
    evidence = support.run_loss(impl, "get_disc_loss", case)
    case.check_gen_inputs(evidence)
    case.check_disc_inputs(evidence, expect_real=True)
    support.check_loss_value(
        evidence["loss"],
        oracle.disc_loss(case, evidence),
        "get_disc_loss must be the mean of criterion(fake scores, 0) and criterion(real scores, 1), "
        "where the discriminator sees combine_vectors(image, labels broadcast to (N, n_classes, H, W)).",
        case,
    )


@graded("get_gen_loss", points=1)
@given(support.loss_cases())
def test_gen_loss_value(impl, case):
    evidence = support.run_loss(impl, "get_gen_loss", case)
    case.check_gen_inputs(evidence)
    case.check_disc_inputs(evidence, expect_real=False)
    support.check_loss_value(
        evidence["loss"],
        oracle.gen_loss(case, evidence),
        "get_gen_loss must be criterion(scores of the fake images, 1): the generator wants its "
        "fakes taken for real.",
        case,
    )
