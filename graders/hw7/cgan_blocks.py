"""Strategies and checks for the conditional GAN's block items
(make_gen_block, make_disc_block): a block is graded by what it computes,
using the block's own convolution, so any correct construction passes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from dlkit.grading.checks import check, describe



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


def check_block(block: Any, args: BlockArgs, transposed: bool) -> None:
    """A generator block must compute ReLU(BN(ConvT(x))) or Tanh(ConvT(x));
    a discriminator block LeakyReLU_0.2(BN(Conv(x))) or Conv(x)."""
    fn = "make_gen_block" if transposed else "make_disc_block"
    kind = nn.ConvTranspose2d if transposed else nn.Conv2d
    call = args.call_text(fn)
    check(isinstance(block, nn.Module), f"{fn} must return an nn.Sequential.", f"{call} → {type(block).__name__}")
    convs = [m for m in block.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    check(
        len(convs) == 1 and isinstance(convs[0], kind),
        f"a block from {fn} must hold exactly one nn.{kind.__name__}.",
        f"{call} holds {[type(m).__name__ for m in convs]}",
    )
    conv = convs[0]
    kernel = args.kernel if args.kernel is not None else (3 if transposed else 4)
    stride = args.stride if args.stride is not None else 2
    got = (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride)
    want = (args.in_ch, args.out_ch, (kernel, kernel), (stride, stride))
    check(
        got == want,
        f"the {kind.__name__} must use the block's channels, kernel_size and stride "
        f"(defaults: kernel_size={3 if transposed else 4}, stride=2).",
        f"{call} → (in, out, kernel, stride) = {got}, expected {want}",
    )
    norms = [m for m in block.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if args.final:
        check(
            not norms,
            f"the final block from {fn} must have no batch normalisation.",
            f"{call} holds {[type(m).__name__ for m in norms]}",
        )
    else:
        check(
            len(norms) == 1 and norms[0].num_features == args.out_ch,
            f"a hidden block from {fn} must batch-normalise its output channels once "
            "(nn.BatchNorm2d(output_channels)).",
            f"{call} holds {[f'{type(m).__name__}({m.num_features})' for m in norms]}",
        )
    block.train()
    x = torch.randn(3, args.in_ch, args.size, args.size)
    with torch.no_grad():
        y = block(x)
        z = conv(x)
        if args.final:
            want_y = torch.tanh(z) if transposed else z
            rule = "Tanh(ConvTranspose2d(x))" if transposed else "Conv2d(x) with no activation"
        else:
            bn = norms[0]
            z = F.batch_norm(z, None, None, bn.weight, bn.bias, training=True, eps=bn.eps)
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
        torch.allclose(y, want_y, atol=1e-5, rtol=1e-4),
        f"a {'final' if args.final else 'hidden'} block from {fn} must compute {rule}.",
        f"{call} on {describe(x)}: largest difference {(y - want_y).abs().max().item():.3g}",
    )
