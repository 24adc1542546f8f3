"""Strategies and checks for the conditional GAN's block items
(make_gen_block, make_disc_block): a block is graded by its layers'
settings and by properties of what it computes (the range and sign of its
activation, batch-normalised channels, a final block affine in its input
before the activation), so any correct construction passes. The block is
built and run in the worker (conditional_gan_probes); its layers' settings,
parameters and outputs come back as evidence."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
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


# Mixing weights of the third input: x3 = A * x1 + B * x2 with A + B = 1,
# so a block that is affine before its activation maps x3 to the same mix
# of its pre-activations. Interpolated for Tanh (stays unsaturated),
# extrapolated for raw scores (a squashing activation shows).
MIX = {True: (0.3, 0.7), False: (2.5, -1.5)}


def block_inputs(args: BlockArgs, transposed: bool) -> list[torch.Tensor]:
    """Three batches of 3 random images: x1, x2 and a mix of them (see MIX)."""
    x1 = torch.randn(3, args.in_ch, args.size, args.size)
    x2 = torch.randn(3, args.in_ch, args.size, args.size)
    a, b = MIX[transposed]
    return [x1, x2, a * x1 + b * x2]


def block_output(impl: Any, fn: str, args: BlockArgs, transposed: bool) -> tuple[dict[str, Any], list[torch.Tensor]]:
    """Build the block in the worker and run it there on block_inputs (any
    layer names and containers are fine): (evidence, inputs)."""
    inputs = block_inputs(args, transposed)
    return impl.run(probes.block_evidence, fn, args.positional(), args.final, inputs), inputs


def _out_size(size: int, conv: dict[str, Any]) -> int:
    """Height (= width) of a convolution's output: PyTorch's documented size rule."""
    (k, _), (s, _), (d, _) = conv["kernel_size"], conv["stride"], conv["dilation"]
    p = conv["padding"][0] if isinstance(conv["padding"], tuple) else 0
    if conv["transposed"]:
        return (size - 1) * s - 2 * p + d * (k - 1) + conv["output_padding"][0] + 1
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def check_layers(evidence: dict[str, Any], args: BlockArgs, transposed: bool) -> None:
    """The block holds one (transposed) convolution with the block's
    settings and, in a hidden block only, one BatchNorm2d(output_channels)."""
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


def _channel_shift(evidence: dict[str, Any], out_ch: int) -> torch.Tensor:
    """The batch norm's bias per channel (its mean output in training mode), 0 without one."""
    bias = evidence["norms"][0]["bias"]
    return torch.zeros(out_ch) if bias is None else bias.detach().double().cpu()


def check_block(evidence: dict[str, Any], inputs: list[torch.Tensor], args: BlockArgs, transposed: bool) -> None:
    """A generator block must behave as ReLU(BN(ConvT(x))) or Tanh(ConvT(x)),
    a discriminator block as LeakyReLU_0.2(BN(Conv(x))) or Conv(x): checked
    through properties of its outputs, never by recomputing them."""
    fn = "make_gen_block" if transposed else "make_disc_block"
    call = args.call_text(fn)
    check_layers(evidence, args, transposed)
    conv = evidence["convs"][0]
    outs = evidence["outs"]
    x = inputs[0]
    side = _out_size(args.size, conv)
    want_shape = (len(x), args.out_ch, side, side)
    for y in outs[:1]:
        check(
            isinstance(y, torch.Tensor) and tuple(y.shape) == want_shape,
            f"{call} must map {describe(x)} to shape {want_shape}: its convolution's output.",
            f"got {describe(y)}",
        )
    ys = [y.detach().double().cpu() for y in outs]
    check(all(bool(torch.isfinite(y).all()) for y in ys), f"a block from {fn} must give finite values.", call)
    given_ = f"{call} on 3 random images {describe(x)} (training mode)"
    if args.final and transposed:
        check(
            all(bool((y.abs() <= 1).all()) for y in ys),
            "the final block from make_gen_block must end with Tanh: every value in [-1, 1].",
            f"{given_}: values in [{min(float(y.min()) for y in ys):.3g}, {max(float(y.max()) for y in ys):.3g}]",
        )
        _check_affine([torch.atanh(y.clamp(-1 + 1e-12, 1 - 1e-12)) for y in ys], transposed,
                      "the final block from make_gen_block must compute Tanh(ConvTranspose2d(x)): a "
                      "Tanh of a transposed convolution, nothing else (no batch norm, no other activation).",
                      given_, tolerance=2e-4, mask=[y.abs() < 0.999 for y in ys])
    elif args.final:
        _check_affine(ys, transposed,
                      "the final block from make_disc_block must be the Conv2d alone: raw scores, "
                      "no activation and no batch norm, so it is affine in its input.",
                      given_, tolerance=1e-4)
    elif transposed:
        y = ys[0]
        check(
            bool((y >= 0).all()),
            "a hidden block from make_gen_block must end with ReLU (after the batch norm): no negative values.",
            f"{given_}: smallest value {float(y.min()):.3g}",
        )
        shift = _channel_shift(evidence, args.out_ch)
        # A batch-normalised channel has mean `shift` in training mode, so with
        # shift ≤ 0 some of its values are ≤ 0 and ReLU makes them exactly 0.
        lacking = [c for c in range(args.out_ch) if shift[c] <= 0 and not bool((y[:, c] == 0).any())]
        check(
            not lacking,
            "a hidden block from make_gen_block must compute ReLU(BatchNorm2d(ConvTranspose2d(x))): "
            "a batch-normalised channel has values at or below 0, which ReLU sets to exactly 0.",
            f"{given_}: channels {lacking} hold no 0",
        )
    else:
        y = ys[0]
        check(
            bool((y < 0).any()),
            "a hidden block from make_disc_block must end with LeakyReLU(0.2), which keeps a fifth of "
            "the negative values.",
            f"{given_}: no negative value",
        )
        # Undo a LeakyReLU of slope 0.2: what is left is the batch norm's
        # output, whose mean per channel is its bias in training mode.
        before = torch.where(y < 0, y / 0.2, y)
        means = before.mean(dim=(0, 2, 3))
        shift = _channel_shift(evidence, args.out_ch)
        scale = before.abs().mean(dim=(0, 2, 3))
        off = [c for c in range(args.out_ch) if abs(float(means[c] - shift[c])) > 1e-4 * (1 + float(scale[c]))]
        check(
            not off,
            "a hidden block from make_disc_block must compute LeakyReLU(negative_slope=0.2)(BatchNorm2d(Conv2d(x))): "
            "divided by 0.2 where negative, each channel's values must average to the batch norm's bias "
            "(training mode).",
            f"{given_}: channel means after undoing LeakyReLU(0.2) {[round(float(m), 4) for m in means]}, "
            f"batch norm biases {[round(float(v), 4) for v in shift]}",
        )


def _check_affine(zs: list[torch.Tensor], transposed: bool, rule: str, given_: str, tolerance: float,
                  mask: list[torch.Tensor] | None = None) -> None:
    """zs: the block's (pre-activation) values for x1, x2 and the mix
    x3 = a*x1 + b*x2: an affine map gives z3 = a*z1 + b*z2."""
    check(len(zs) == 3 and all(z.shape == zs[0].shape for z in zs), rule, f"{given_}: outputs of different shapes")
    a, b = MIX[transposed]
    want = a * zs[0] + b * zs[1]
    gap = (zs[2] - want).abs() / (1 + want.abs())
    if mask is not None:
        gap = gap * (mask[0] & mask[1] & mask[2])
    worst = float(gap.max()) if gap.numel() else 0.0
    check(
        worst <= tolerance,
        rule,
        f"{given_}, x1 and x2, then x3 = {a} x1 {'+' if b >= 0 else '-'} {abs(b)} x2: the block is not affine (before its "
        f"activation) in its input, relative gap {worst:.3g}",
    )
