"""Graders for HW1-Q5, the Fashion-MNIST MLP (module hw1/fashion_mlp).

Per item: the contract's fixed values first (layer sizes, the transforms'
outputs), then properties over generated inputs, then behaviour on tiny
data. train_epoch and evaluate run on the graders' own networks with a
recording SGD stand-in, so they are graded apart from build_mlp and
make_optimizer. Images, those networks and the stand-in cannot cross to the
sandboxed worker: procedures in fashion_mlp_probes build them there and
send back evidence (output tensors, answers, gradients, modes), checked here
against properties and against values computed ahead, stored below.
"""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision import transforms

from dlkit.grading.checks import call, check, describe, graded
from graders.hw1 import fashion_mlp_probes as probes
from graders.hw1 import fashion_mlp_support as support

MODULE = "hw1/fashion_mlp"
# Each example builds or trains a network: fewer examples keep the file fast.
FEW = settings(max_examples=10)


# --------------------------------------------------------------------------
# build_mlp


@graded("build_mlp", points=1)
def test_mlp_layer_sizes(impl):
    sizes = support.network_summary(impl, "build_mlp")["linear"]
    check(
        sizes == support.MLP_SIZES,
        "build_mlp() must have exactly four fully connected layers, 784 → 512 → 256 → 128 → 10, "
        "in that order.",
        f"its nn.Linear layers (in, out): {sizes}",
    )


@graded("build_mlp", points=2)
@FEW
@given(st.integers(1, 6), st.booleans(), st.integers(0, 1000))
def test_mlp_log_probabilities(impl, n, flat, seed):
    support.check_log_probabilities(impl, "build_mlp", n, flat, seed)


# --------------------------------------------------------------------------
# build_overfitting_mlp


@graded("build_overfitting_mlp", points=1)
@FEW
@given(st.integers(1, 4), st.booleans())
def test_overfitting_log_probabilities(impl, n, flat):
    support.check_log_probabilities(impl, "build_overfitting_mlp", n, flat, seed=n)


@graded("build_overfitting_mlp", points=1)
def test_overfitting_is_larger(impl):
    count = support.network_summary(impl, "build_overfitting_mlp")["parameters"]
    check(
        count > support.MLP_PARAMETERS,
        "build_overfitting_mlp() must have more parameters than the 784-512-256-128-10 network "
        f"({support.MLP_PARAMETERS:,}).",
        f"it has {count:,}",
    )


# --------------------------------------------------------------------------
# train_transform


@graded("train_transform", points=1)
@given(st.integers(0, 10_000))
def test_train_transform_shape_and_scale(impl, seed):
    transform = call("train_transform", impl)
    (out,) = impl.run(probes.transform_outputs, transform, "random", seed, [seed])
    check(
        isinstance(out, torch.Tensor) and out.dtype == torch.float32 and tuple(out.shape) == (1, 28, 28),
        "train_transform() must turn a 28×28 grey PIL image into a float32 tensor (1, 28, 28).",
        f"random image (seed {seed}) → {describe(out)}",
    )
    check(
        float(out.min()) >= 0.0 and float(out.max()) <= 1.0,
        "train_transform() must give pixels in [0, 1], the scale of eval_transform() (ToTensor): "
        "training and test images must be on the same scale.",
        f"random image (seed {seed}) → values in [{float(out.min()):.3f}, {float(out.max()):.3f}]",
    )


@graded("train_transform", points=1)
def test_train_transform_is_random_and_moves(impl):
    transform = call("train_transform", impl)
    plain = transforms.ToTensor()(support.bar_image())
    outs = impl.run(probes.transform_outputs, transform, "bar", 0, list(range(40)))
    check(
        all(isinstance(o, torch.Tensor) and o.shape == plain.shape for o in outs),
        "train_transform() must return (1, 28, 28) tensors.",
    )
    check(
        any(not torch.equal(o, outs[0]) for o in outs) and any(not torch.equal(o, plain) for o in outs),
        "train_transform() must augment at random: the same image must come out differently for "
        "different random draws.",
        "a 28×28 image of a horizontal bar, 40 draws (torch.manual_seed(0..39)): all identical",
    )
    shifts, angles = support.motion(outs, plain)
    check(
        shifts and max(shifts) >= 1.0,
        "train_transform() must translate the image (a random translation and a random crop "
        "with padding 4): the centre of a bar never moved by a pixel.",
        f"40 draws: largest shift {max(shifts, default=0):.2f} pixels",
    )
    check(
        angles and max(angles) >= 3.0,
        "train_transform() must rotate the image at random (up to 10°): a horizontal bar "
        "never turned by 3° or more.",
        f"40 draws: largest angle {max(angles, default=0):.1f}°",
    )
    check(
        max(angles) <= 15.0,
        "train_transform()'s rotations must stay small (up to 10°), or the garment changes meaning.",
        f"40 draws: largest angle {max(angles):.1f}°",
    )


# --------------------------------------------------------------------------
# eval_transform


@graded("eval_transform", points=2)
@given(st.integers(0, 10_000))
def test_eval_transform_is_to_tensor(impl, seed):
    transform = call("eval_transform", impl)
    for kind, image, what in (("random", support.random_image(seed), f"random image (seed {seed})"),
                              ("bar", support.bar_image(), "a horizontal bar")):
        want = transforms.ToTensor()(image)
        outs = impl.run(probes.transform_outputs, transform, kind, seed, [seed + draw for draw in range(3)])
        for draw, out in enumerate(outs):
            check(
                isinstance(out, torch.Tensor) and out.shape == want.shape and out.dtype == want.dtype,
                "eval_transform() must turn a 28×28 grey PIL image into a float32 tensor (1, 28, 28).",
                f"{what} → {describe(out)}",
            )
            check(
                torch.equal(out, want),
                "eval_transform() must be ToTensor() and nothing else, the same output every time: "
                "the test set is never augmented (nor rescaled differently from training).",
                f"{what}, draw {draw + 1}: largest difference from ToTensor() "
                f"{(out - want).abs().max().item():.3g}",
            )


# --------------------------------------------------------------------------
# make_optimizer


@graded("make_optimizer", points=1)
def test_optimizer_covers_every_parameter(impl):
    model = support.two_layers()
    opt = call("make_optimizer", impl, model)
    check(
        isinstance(opt, torch.optim.SGD),
        "make_optimizer must return torch.optim.SGD, the handout's optimiser.",
        f"got {type(opt).__name__}",
    )
    held = [id(p) for g in opt.param_groups for p in g["params"]]
    wanted = [id(p) for p in model.parameters()]
    check(
        sorted(held) == sorted(wanted),
        "make_optimizer's SGD must hold every parameter of the model, each once.",
        f"model with {len(wanted)} parameter tensors; the optimiser holds {len(held)}, "
        f"{len(set(held) & set(wanted))} of them the model's",
    )


def group_settings(opt: torch.optim.Optimizer, key: str) -> list:
    return [g.get(key) for g in opt.param_groups]


@graded("make_optimizer", points=0.5)
@given(st.sampled_from([0.5, 0.01, 1e-3]))
def test_optimizer_learning_rate(impl, lr):
    got = group_settings(call("make_optimizer", impl, support.two_layers()), "lr")
    check(all(v == 0.01 for v in got), "make_optimizer(model) must default to lr=0.01.",
          f"param groups' lr: {got}")
    got = group_settings(call("make_optimizer", impl, support.two_layers(), lr=lr), "lr")
    check(all(v == lr for v in got),
          "make_optimizer(model, lr) must pass lr on to SGD: every param group must hold it.",
          f"lr={lr} → param groups' lr: {got}")


# Part (d)'s extension, graded on its own: an answer to part (a) alone keeps the points above.
@graded("make_optimizer", points=0.5)
@given(st.sampled_from([0.005, 0.1]))
def test_optimizer_weight_decay(impl, weight_decay):
    got = group_settings(call("make_optimizer", impl, support.two_layers()), "weight_decay")
    check(all(v == 0 for v in got), "make_optimizer(model) must default to weight_decay=0 (no L2 penalty).",
          f"param groups' weight_decay: {got}")
    got = group_settings(call("make_optimizer", impl, support.two_layers(), weight_decay=weight_decay),
                         "weight_decay")
    check(all(v == weight_decay for v in got),
          "make_optimizer(model, weight_decay=...) must pass weight_decay on to SGD: every param "
          "group must hold it.",
          f"weight_decay={weight_decay} → param groups' weight_decay: {got}")


# --------------------------------------------------------------------------
# train_epoch


# The training cases: data(n, seed) in batches of batch_size, one epoch on
# TinyNet(seed) (12 classes) with PlainSGD at lr=0.5. The expected values
# were computed ahead with the reference train_epoch and are stored here:
# per step, the (norm, sum) of the gradients of all parameters together;
# the answer, and what the usual mistakes give instead (the last batch's
# values, the unweighted means of the batches' values).
TRAIN_CASES = {
    (20, 8, 0): dict(
        sizes=[8, 8, 4],
        steps=[(0.8267531465333156, -8.07355269447666), (0.8938960452800833, 17.612759482921774),
               (0.8241156479312755, -23.108914702779373)],
        loss=2.426395606994629, accuracy=0.1,
        last_loss=2.249598979949951, last_accuracy=0.25,
        unweighted_loss=2.3969295024871826, unweighted_accuracy=0.125,
    ),
    (9, 4, 1): dict(
        sizes=[4, 4, 1],
        steps=[(0.8615650081146756, -19.23042078383091), (1.9138949170111257, 73.47207785159277),
               (1.6043990695929125, 21.01211818364419)],
        loss=2.6267503367529974, accuracy=0.1111111111111111,
        last_loss=2.5020077228546143, last_accuracy=0.0,
        unweighted_loss=2.595564683278402, unweighted_accuracy=0.08333333333333333,
    ),
    (13, 6, 2): dict(
        sizes=[6, 6, 1],
        steps=[(0.9235579481237812, -7.789834221206192), (1.427720126473777, 20.40376251996681),
               (2.166776354985181, 2.303527300248284)],
        loss=2.5715994101304274, accuracy=0.07692307692307693,
        last_loss=2.4095587730407715, last_accuracy=0.0,
        unweighted_loss=2.5265881220499673, unweighted_accuracy=0.05555555555555555,
    ),
}


@graded("train_epoch", points=1)
def test_train_epoch_one_step_per_batch(impl):
    for (n, batch_size, seed), want in TRAIN_CASES.items():
        _, steps, _ = support.train_case(impl, n, batch_size, seed)
        support.check_steps(steps, want["steps"], f"{n} examples in batches of {batch_size} (seed {seed})")


@graded("train_epoch", points=0.5)
def test_train_epoch_means_over_examples(impl):
    for (n, batch_size, seed), want in TRAIN_CASES.items():
        _, _, out = support.train_case(impl, n, batch_size, seed)
        support.check_means("train_epoch", out, want, support.TRAIN_MEANS_RULE,
                            f"{n} examples in batches of {batch_size} (sizes {want['sizes']}, seed {seed})")


@graded("train_epoch", points=1)
def test_train_epoch_in_training_mode(impl):
    calls, _, _ = support.train_case(impl, 9, 4, seed=3)
    check(
        calls and all(training for training, _ in calls),
        "train_epoch must put the model in training mode (model.train()) before its forward passes: "
        "evaluate leaves it in evaluation mode, where dropout and batch norm do not train.",
        "9 examples in batches of 4, the model starting in eval mode",
    )


@graded("train_epoch", points=1)
def test_train_epoch_reduces_the_loss(impl):
    support.present(impl, "train_epoch")
    history = []
    for out in impl.run(probes.train_epochs, 5, 64, 16, 1, 0.5):
        got = support.pair(out)
        check(got is not None, "train_epoch must return (mean loss, accuracy), two numbers.",
              f"got {describe(out)}")
        history.append(got)
    losses = [round(v, 4) for v, _ in history]
    check(
        all(v == v for v in losses) and losses[-1] < losses[0] * 0.9,
        "five epochs of train_epoch on 64 learnable examples must reduce the loss.",
        f"losses per epoch: {losses}",
    )


# --------------------------------------------------------------------------
# evaluate

# The evaluation cases: known_case(sizes, right, seed) in batches of
# sizes[0], on KnownClassifier (12 classes) in eval mode, whose log-
# probabilities depend only on whether each guess is right, so the answers do
# not depend on the seed. Computed ahead with the reference evaluate and
# stored: the answer, and what the usual mistakes give instead.
EVAL_CASES = {
    "last batch all wrong": dict(
        sizes=[4, 4, 2], right=[True, True, False],
        loss=1.3117594718933105, accuracy=0.8,
        last_loss=2.9117517471313477, last_accuracy=0.0,
        unweighted_loss=1.5784250497817993, unweighted_accuracy=0.6666666666666666,
    ),
    "last batch all right": dict(
        sizes=[4, 4, 3], right=[False, False, True],
        loss=2.366299629211426, accuracy=0.2727272727272727,
        last_loss=0.9117617011070251, last_accuracy=1.0,
        unweighted_loss=2.2450883984565735, unweighted_accuracy=0.3333333333333333,
    ),
    # A last batch of a single example: (N, 12) outputs with N = 1 must still count as one row.
    "last batch of one, wrong": dict(
        sizes=[4, 4, 1], right=[True, True, False],
        loss=1.13398277759552, accuracy=8 / 9,
        last_loss=2.9117517471313477, last_accuracy=0.0,
        unweighted_loss=1.5784250497817993, unweighted_accuracy=0.6666666666666666,
    ),
}


@graded("evaluate", points=1)
@settings(max_examples=4)  # the answers do not depend on the seed; every case runs in each example
@given(st.integers(0, 1000))
def test_evaluate_over_the_whole_loader(impl, seed):
    support.present(impl, "evaluate")
    for case, want in EVAL_CASES.items():
        sizes, right = want["sizes"], want["right"]
        out = impl.run(probes.evaluate_run, sizes, right, seed, sizes[0], False)["out"]
        support.check_means("evaluate", out, want, support.EVAL_RULE,
                            f"{sum(sizes)} examples in batches of sizes {sizes}, {case} (seed {seed})")


@graded("evaluate", points=1)
def test_evaluate_in_eval_mode_without_gradients(impl):
    support.present(impl, "evaluate")
    # the model is left in training mode, as after train_epoch
    calls = impl.run(probes.evaluate_run, [4, 4, 2], [True, False, True], 0, 4, True)["calls"]
    check(calls, "evaluate must run the model on the loader's batches.")
    check(
        not any(training for training, _ in calls),
        "evaluate must put the model in evaluation mode (model.eval()): dropout and batch norm "
        "behave differently when training.",
        "a model left in training mode by train_epoch",
    )
    check(
        not any(grad for _, grad in calls),
        "evaluate must run the model without gradients (torch.no_grad()): nothing is learnt, and "
        "the graph costs memory.",
    )


@graded("evaluate", points=1)
def test_evaluate_changes_nothing(impl):
    support.present(impl, "evaluate")
    got = impl.run(probes.evaluate_run, [4, 4, 2], [True, False, True], 1, 4, True)
    changed = got["changed"]
    check(
        not changed,
        "evaluate must not change the model: no parameter update, and no batch-norm statistics "
        "(they move in training mode).",
        f"changed: {', '.join(changed)}",
    )
    check(
        not got["grads"],
        "evaluate must not compute gradients: no backward pass.",
        f"parameters with a gradient: {', '.join(got['grads'])}",
    )
