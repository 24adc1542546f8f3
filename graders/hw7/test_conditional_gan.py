"""Graders for HW7-Q8, the conditional GAN (module hw7/conditional_gan).

Per item: the handout's worked examples (expected values stored as data),
then properties over generated inputs, then training behaviour on tiny
data. The loss items are graded with stand-ins substituted for the
student's noise and concatenation, so one mistake costs points on its own
item only. What needs the student's
classes or probe networks runs in the worker as a procedure
(conditional_gan_probes) and comes back as evidence.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from dlkit.device import default_device
from dlkit.grading.checks import call, check, describe, fail, graded, show
from graders.hw7 import conditional_gan_blocks as blocks
from graders.hw7 import conditional_gan_support as support
from graders.hw7 import conditional_gan_probes as probes
from graders.strategies import label_tensors, paired_tensors

MODULE = "hw7/conditional_gan"


# --------------------------------------------------------------------------
# get_one_hot_labels


@graded("get_one_hot_labels", points=1)
def test_one_hot_worked_example(impl):
    labels = torch.tensor([[0, 2, 1]])
    out = call("get_one_hot_labels", impl, labels, 3)
    expected = [[[1, 0, 0], [0, 0, 1], [0, 1, 0]]]
    check(
        isinstance(out, torch.Tensor) and out.tolist() == expected,
        "get_one_hot_labels([[0, 2, 1]], 3) must be [[[1, 0, 0], [0, 0, 1], [0, 1, 0]]].",
        f"got {show(out)}",
    )


@graded("get_one_hot_labels", points=1)
@given(label_tensors())
def test_one_hot_properties(impl, case):
    labels, k = case
    labels = labels.to(default_device())
    out = call("get_one_hot_labels", impl, labels, k)
    given_ = f"labels: {describe(labels)} = {show(labels)}, n_classes={k}"
    check(isinstance(out, torch.Tensor), "get_one_hot_labels must return a tensor.", given_)
    check(
        tuple(out.shape) == (*labels.shape, k),
        "get_one_hot_labels must return shape labels.shape + (n_classes,).",
        given_,
        f"expected {(*labels.shape, k)}, got {tuple(out.shape)}",
    )
    check(out.device == labels.device, "the one-hot tensor must be on labels' device.", given_)
    values = out.double()
    check(
        bool(((values == 0) | (values == 1)).all()) and bool((values.sum(-1) == 1).all()),
        "every one-hot vector must hold a single 1 and zeros elsewhere.",
        given_,
        f"got {show(out)}",
    )
    check(
        bool((values.argmax(-1) == labels).all()),
        "the 1 must sit at the label's index.",
        given_,
        f"got {show(out)}",
    )


# --------------------------------------------------------------------------
# combine_vectors


@graded("combine_vectors", points=1)
def test_combine_worked_examples(impl):
    out = call("combine_vectors", impl, torch.tensor([[1, 2], [3, 4]]), torch.tensor([[5, 6], [7, 8]]))
    check(
        isinstance(out, torch.Tensor) and out.tolist() == [[1, 2, 5, 6], [3, 4, 7, 8]],
        "combine_vectors([[1, 2], [3, 4]], [[5, 6], [7, 8]]) must be [[1, 2, 5, 6], [3, 4, 7, 8]].",
        f"got {show(out)}",
    )
    for xs, ys, want in [((1, 4, 5), (1, 8, 5), (1, 12, 5)), ((1, 10, 12), (1, 20, 12), (1, 30, 12))]:
        x, y = torch.randint(0, 9, xs), torch.randint(0, 9, ys)
        out = call("combine_vectors", impl, x, y)
        check(
            tuple(out.shape) == want,
            f"combine_vectors of shapes {xs} and {ys} must have shape {want}.",
            f"got {tuple(out.shape)}",
        )
        check(
            out.dtype.is_floating_point,
            "combine_vectors must return a floating-point tensor, whatever the input dtypes.",
            f"x: {describe(x)}, y: {describe(y)} → got {str(out.dtype).removeprefix('torch.')}",
        )


@graded("combine_vectors", points=2)
@given(paired_tensors())
def test_combine_properties(impl, pair):
    x, y = pair
    out = call("combine_vectors", impl, x, y)
    given_ = f"x: {describe(x)}, y: {describe(y)}"
    check(isinstance(out, torch.Tensor), "combine_vectors must return a tensor.", given_)
    check(
        out.dtype.is_floating_point,
        "combine_vectors must return a floating-point tensor, whatever the input dtypes.",
        f"{given_} → got {str(out.dtype).removeprefix('torch.')}",
    )
    want = (x.shape[0], x.shape[1] + y.shape[1], *x.shape[2:])
    check(
        tuple(out.shape) == want,
        "combine_vectors must concatenate along dimension 1: (N, a, ...) + (N, b, ...) → (N, a + b, ...).",
        f"{given_} → expected {want}, got {tuple(out.shape)}",
    )
    a = x.shape[1]
    check(
        torch.equal(out[:, :a], x.to(out.dtype)) and torch.equal(out[:, a:], y.to(out.dtype)),
        "combine_vectors must keep the values: x's entries first, then y's.",
        given_,
    )


# --------------------------------------------------------------------------
# get_input_dimensions


# get_input_dimensions(z_dim, mnist_shape, n_classes) → expected, from the
# handout and the reference solution.
INPUT_DIMENSIONS = [
    ((23, (12, 23, 52), 9), (32, 21)),
    ((64, (1, 28, 28), 10), (74, 11)),
    ((1, (3, 32, 32), 1), (2, 4)),
]


@graded("get_input_dimensions", points=1)
@given(st.integers(1, 200), st.integers(1, 16), st.integers(1, 64), st.integers(1, 64), st.integers(1, 20))
def test_input_dimensions_examples_and_relations(impl, z_dim, channels, height, width, k):
    for args, want in INPUT_DIMENSIONS:
        out = call("get_input_dimensions", impl, *args)
        check(
            isinstance(out, (tuple, list)) and tuple(out) == want,
            f"get_input_dimensions{args} must be {want}.",
            f"got {show(out)}",
        )

    def dims(z: int, c: int, h: int, w: int, n: int) -> tuple:
        out = call("get_input_dimensions", impl, z, (c, h, w), n)
        check(
            isinstance(out, (tuple, list)) and len(out) == 2,
            "get_input_dimensions must return a pair (generator_input_dim, discriminator_im_chan).",
            f"z_dim={z}, mnist_shape={(c, h, w)}, n_classes={n} → got {show(out)}",
        )
        return tuple(out)

    at = f"z_dim={z_dim}, mnist_shape={(channels, height, width)}, n_classes={k}"
    base = dims(z_dim, channels, height, width, k)
    for change, moved, want, rule in [
        ("z_dim + 1", dims(z_dim + 1, channels, height, width, k), (1, 0),
         "one more noise feature adds one generator input and no discriminator channel"),
        ("one more image channel", dims(z_dim, channels + 1, height, width, k), (0, 1),
         "one more image channel adds one discriminator channel and no generator input"),
        ("n_classes + 1", dims(z_dim, channels, height, width, k + 1), (1, 1),
         "one more class adds one generator input and one discriminator channel"),
        ("another height and width", dims(z_dim, channels, height + 3, width + 5, k), (0, 0),
         "the image's height and width change neither size"),
    ]:
        step = (moved[0] - base[0], moved[1] - base[1])
        check(
            step == want,
            f"get_input_dimensions: {rule}.",
            f"{at} → {base}; with {change} → {moved}",
        )


# --------------------------------------------------------------------------
# make_gen_block


@graded("make_gen_block", points=1)
@given(blocks.block_args(transposed=True))
def test_gen_block_layers_and_activation(impl, args):
    evidence, inputs = blocks.block_output(impl, "make_gen_block", args, transposed=True)
    blocks.check_block(evidence, inputs, args, transposed=True)


@graded("make_gen_block", points=1)
def test_generator_output(impl):
    gen_input, im_chan = 16 + 10, 1
    noise = torch.randn(5, gen_input, device=default_device())
    # Built, run and differentiated in the worker: the Generator is the student's class.
    evidence = impl.run(probes.network_evidence, "generator",
                        {"input_dim": gen_input, "im_chan": im_chan, "hidden_dim": 8}, noise)
    out = evidence["out"]
    check(isinstance(out, torch.Tensor), "the Generator must return a tensor.", f"got {describe(out)}")
    check(
        tuple(out.shape) == (5, 1, 28, 28),
        "the Generator built from your make_gen_block must output (N, 1, 28, 28) images.",
        f"input {describe(noise)} → got {tuple(out.shape)}",
    )
    check(
        bool(out.min() >= -1) and bool(out.max() <= 1) and bool(out.min() < 0),
        "generated images must lie in [-1, 1] (Tanh at the end), using both signs.",
        f"got values in [{out.min().item():.3g}, {out.max().item():.3g}]",
    )
    support.check_gradient_report(evidence, "Generator")


# --------------------------------------------------------------------------
# make_disc_block


@graded("make_disc_block", points=1)
@given(blocks.block_args(transposed=False))
def test_disc_block_layers_and_activation(impl, args):
    evidence, inputs = blocks.block_output(impl, "make_disc_block", args, transposed=False)
    blocks.check_block(evidence, inputs, args, transposed=False)


@graded("make_disc_block", points=1)
def test_discriminator_output(impl):
    images = torch.randn(4, 11, 28, 28, device=default_device())
    evidence = impl.run(probes.network_evidence, "discriminator", {"im_chan": 11, "hidden_dim": 8}, images)
    out = evidence["out"]
    check(isinstance(out, torch.Tensor), "the Discriminator must return a tensor.", f"got {describe(out)}")
    check(
        tuple(out.shape) == (4, 1),
        "the Discriminator built from your make_disc_block must output one logit per image, (N, 1).",
        f"input {describe(images)} → got {tuple(out.shape)}",
    )
    check(
        bool(out.min() < 0) or bool(out.max() > 1),
        "the discriminator must output raw scores (logits), not probabilities: no activation after "
        "the final convolution.",
        f"got {show(out.flatten())}",
    )
    support.check_gradient_report(evidence, "Discriminator")


# --------------------------------------------------------------------------
# get_noise


@graded("get_noise", points=1)
def test_noise(impl):
    noise = call("get_noise", impl, 4000, 5, "cpu")
    check(
        isinstance(noise, torch.Tensor) and tuple(noise.shape) == (4000, 5),
        "get_noise(n_samples, z_dim, device) must return shape (n_samples, z_dim).",
        f"get_noise(4000, 5, 'cpu') → {describe(noise)}",
    )
    check(noise.dtype == torch.float32, "the noise must be float32.", f"got {describe(noise)}")
    mean, std = noise.mean().item(), noise.std().item()
    # 20 000 N(0, 1) draws: the mean's standard error is 0.007 and the std's 0.005.
    check(
        abs(mean) < 0.05 and abs(std - 1) < 0.05 and bool((noise < 0).any()),
        "the noise must be standard normal, N(0, 1) (torch.randn): mean 0, standard deviation 1, "
        "values of both signs.",
        f"got mean {mean:.3f} and standard deviation {std:.3f} over 20 000 draws",
    )
    again = call("get_noise", impl, 4000, 5, "cpu")
    check(not torch.equal(noise, again), "each call to get_noise must draw fresh noise.")
    device = default_device()
    on_device = call("get_noise", impl, 2, 3, device)
    check(on_device.device.type == device.type, f"get_noise must create the noise on {device}.")


# --------------------------------------------------------------------------
# get_criterion


@graded("get_criterion", points=1)
def test_criterion(impl):
    criterion = call("get_criterion", impl)
    logits = torch.tensor([[-3.0], [0.5], [2.0], [60.0], [-60.0]])
    targets = torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]])
    try:
        got = criterion(logits, targets)
    except Exception as exc:  # BCELoss refuses raw logits outside [0, 1]
        fail(
            "the criterion must accept raw scores (logits) of any sign: binary cross-entropy "
            "with logits.",
            f"criterion({show(logits.flatten())}, {show(targets.flatten())}) raised "
            f"{type(exc).__name__}: {exc}",
        )
    want = F.binary_cross_entropy_with_logits(logits, targets)
    ok = isinstance(got, torch.Tensor) and got.numel() == 1
    moderate = slice(0, 3)  # |logit| ≤ 3: any correct formula agrees here
    if ok:
        small = criterion(logits[moderate], targets[moderate])
        small_want = F.binary_cross_entropy_with_logits(logits[moderate], targets[moderate])
        check(
            isinstance(small, torch.Tensor) and small.numel() == 1
            and torch.allclose(small.detach().float(), small_want, rtol=1e-4),
            "the criterion must be the mean binary cross-entropy of sigmoid(logits) against the targets.",
            f"logits {show(logits[moderate].flatten())}, targets {show(targets[moderate].flatten())} → expected "
            f"{small_want.item():.4f}, got {show(small)}",
        )
    check(
        ok and bool(torch.isfinite(got).all()) and torch.allclose(got.detach().float(), want, rtol=1e-4),
        "the criterion must give the mean binary cross-entropy of sigmoid(logits) for large logits "
        "too (|logit| = 60), finite and exact.",
        f"logits {show(logits.flatten())}, targets {show(targets.flatten())} → expected "
        f"{want.item():.4f}, got {show(got)}",
    )


# --------------------------------------------------------------------------
# get_disc_loss


@graded("get_disc_loss", points=1)
def test_disc_loss_worked_examples(impl):
    for kwargs, want, _ in support.WORKED_LOSSES:
        case = support.LossCase.make(**kwargs)
        evidence = support.run_loss(impl, "get_disc_loss", case)
        case.check_gen_inputs(evidence)
        case.check_disc_inputs(evidence, expect_real=True)
        support.check_loss_value(
            evidence["loss"],
            want,
            "get_disc_loss must be the mean of criterion(fake scores, 0) and criterion(real scores, 1), "
            "where the discriminator sees combine_vectors(image, labels broadcast to (N, n_classes, H, W)).",
            case,
        )


@graded("get_disc_loss", points=1)
def test_disc_loss_detaches_fake(impl):
    evidence = support.run_loss(impl, "get_disc_loss", support.LossCase.example(), backward=True)
    leaked = evidence["gen_grads"]["nonzero"]
    check(
        not leaked,
        "the discriminator's loss must not send gradient into the generator: detach the fake "
        "images (fake.detach()) before the discriminator scores them.",
        f"generator parameters with gradient: {', '.join(leaked)}",
    )
    support.check_gradient_report(evidence["disc_grads"], "the discriminator (from get_disc_loss)")


@graded("get_disc_loss", points=1)
def test_disc_loss_trains(impl):
    history = support.train_tiny_gan(impl, "discriminator")
    support.check_training(history, "discriminator")


# --------------------------------------------------------------------------
# get_gen_loss


@graded("get_gen_loss", points=1)
def test_gen_loss_worked_examples(impl):
    for kwargs, _, want in support.WORKED_LOSSES:
        case = support.LossCase.make(**kwargs)
        evidence = support.run_loss(impl, "get_gen_loss", case)
        case.check_gen_inputs(evidence)
        case.check_disc_inputs(evidence, expect_real=False)
        support.check_loss_value(
            evidence["loss"],
            want,
            "get_gen_loss must be criterion(scores of the fake images, 1): the generator wants its "
            "fakes taken for real.",
            case,
        )


@graded("get_gen_loss", points=1)
def test_gen_loss_trains(impl):
    history = support.train_tiny_gan(impl, "generator")
    support.check_training(history, "generator")
