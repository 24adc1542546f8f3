"""Strategies and checks for the conditional GAN's block items
(make_gen_block, make_disc_block): a block is graded by what it computes,
using the block's own convolution, so any correct construction passes.
The block is built and run in the worker (conditional_gan_probes); its
layers' settings, parameters and output come back as evidence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from dlkit.grading.checks import check, describe
from dlkit.judge.client import remote_error
from graders.hw7 import conditional_gan_probes as probes


@dataclass
class BlockArgs:
    in_ch: int
    out_ch: int
    kernel: int | None  # None: rely on the function's default
    stride: int | None
    final: bool
    size: int

    def positional(self) -> tuple[int, ...]:
        args: tuple[int, ...] = (self.in_ch, self.out_ch)
        if self.kernel is not None:
            args += (self.kernel,)
            if self.stride is not None:
                args += (self.stride,)
        return args

    def call_text(self, fn: str) -> str:
        return f"{fn}({', '.join(map(str, self.positional()))}, final_layer={self.final})"


def block_args(transposed: bool) -> st.SearchStrategy[BlockArgs]:
    """Channel counts, kernel sizes and strides (sometimes left at their
    defaults) and an input size the block can take."""

    @st.composite
    def build(draw: st.DrawFn) -> BlockArgs:
        kernel = draw(st.one_of(st.none(), st.integers(1, 5)))
        stride = None if kernel is None else draw(st.one_of(st.none(), st.integers(1, 3)))
        min_size = 1 if transposed else (kernel or 4)
        return BlockArgs(
            in_ch=draw(st.integers(1, 4)),
            out_ch=draw(st.integers(1, 4)),
            kernel=kernel,
            stride=stride,
            final=draw(st.booleans()),
            size=draw(st.integers(min_size, min_size + 4)),
        )

    return build()


def block_output(impl: Any, fn: str, args: BlockArgs) -> tuple[dict[str, Any], torch.Tensor]:
    """Build the block in the worker and run it there on a random input (any
    layer names and containers are fine): (evidence, input)."""
    x = torch.randn(3, args.in_ch, args.size, args.size)
    return impl.run(probes.block_evidence, fn, args.positional(), args.final, x), x


def _conv(x: torch.Tensor, conv: dict[str, Any]) -> torch.Tensor:
    """The block's own convolution, recomputed from its parameters."""
    if conv["padding_mode"] != "zeros":
        raise ValueError("only zero padding")
    if conv["transposed"]:
        return F.conv_transpose2d(x, conv["weight"], conv["bias"], conv["stride"], conv["padding"],
                                  conv["output_padding"], conv["groups"], conv["dilation"])
    return F.conv2d(x, conv["weight"], conv["bias"], conv["stride"], conv["padding"], conv["dilation"], conv["groups"])


def check_block(evidence: dict[str, Any], x: torch.Tensor, args: BlockArgs, transposed: bool) -> None:
    """A generator block must compute ReLU(BN(ConvT(x))) or Tanh(ConvT(x));
    a discriminator block LeakyReLU_0.2(BN(Conv(x))) or Conv(x)."""
    fn = "make_gen_block" if transposed else "make_disc_block"
    kind = "ConvTranspose2d" if transposed else "Conv2d"
    call = args.call_text(fn)
    check(evidence["module"], f"{fn} must return an nn.Sequential.", f"{call} → {evidence['type']}")
    convs = evidence["convs"]
    check(
        len(convs) == 1 and convs[0]["transposed"] == transposed,
        f"a block from {fn} must hold exactly one nn.{kind}.",
        f"{call} holds {[c['class'] for c in convs]}",
    )
    conv = convs[0]
    kernel = args.kernel if args.kernel is not None else (3 if transposed else 4)
    stride = args.stride if args.stride is not None else 2
    got = (conv["in_channels"], conv["out_channels"], conv["kernel_size"], conv["stride"])
    want = (args.in_ch, args.out_ch, (kernel, kernel), (stride, stride))
    check(
        got == want,
        f"the {kind} must use the block's channels, kernel_size and stride "
        f"(defaults: kernel_size={3 if transposed else 4}, stride=2).",
        f"{call} → (in, out, kernel, stride) = {got}, expected {want}",
    )
    norms = evidence["norms"]
    if args.final:
        check(
            not norms,
            f"the final block from {fn} must have no batch normalisation.",
            f"{call} holds {[n['class'] for n in norms]}",
        )
    else:
        check(
            len(norms) == 1 and norms[0]["num_features"] == args.out_ch,
            f"a hidden block from {fn} must batch-normalise its output channels once "
            "(nn.BatchNorm2d(output_channels)).",
            f"{call} holds {[n['class'] + '(' + str(n['num_features']) + ')' for n in norms]}",
        )
    if evidence["error"] is not None:
        raise remote_error(evidence["error"])
    y = evidence["out"]
    with torch.no_grad():
        z = _conv(x, conv)
        if args.final:
            want_y = torch.tanh(z) if transposed else z
            rule = "Tanh(ConvTranspose2d(x))" if transposed else "Conv2d(x) with no activation"
        else:
            bn = norms[0]
            z = F.batch_norm(z, None, None, bn["weight"], bn["bias"], training=True, eps=bn["eps"])
            want_y = F.relu(z) if transposed else F.leaky_relu(z, 0.2)
            rule = (
                "ReLU(BatchNorm2d(ConvTranspose2d(x)))"
                if transposed
                else "LeakyReLU(negative_slope=0.2)(BatchNorm2d(Conv2d(x)))"
            )
    check(
        isinstance(y, torch.Tensor) and y.shape == want_y.shape,
        f"{call} must map {describe(x)} to shape {tuple(want_y.shape)}.",
        f"got {describe(y)}",
    )
    check(
        torch.allclose(y.to(want_y.dtype), want_y, atol=1e-5, rtol=1e-4),
        f"a {'final' if args.final else 'hidden'} block from {fn} must compute {rule}.",
        f"{call} on {describe(x)}: largest difference {(y - want_y).abs().max().item():.3g}",
    )
