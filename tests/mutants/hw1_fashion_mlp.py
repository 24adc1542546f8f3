"""Realistic wrong answers to HW1-Q5 (hw1/fashion_mlp), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: train_epoch and evaluate are graded on the graders' own networks
with a stand-in optimiser, so a broken network or optimiser costs points
once, where it is written.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw1/fashion_mlp"

MUTANTS: list[Variant] = [
    # -------------------------------------------------------------- build_mlp
    Variant(
        MODULE,
        name="mlp_raw_logits",
        item="build_mlp",
        why="ending with the last Linear is what CrossEntropyLoss wants, and students mix the "
        "two recipes: the NLL loss then reads raw scores as log-probabilities.",
        old="        nn.Linear(128, 10),\n        nn.LogSoftmax(dim=1),\n",
        new="        nn.Linear(128, 10),\n",
    ),
    Variant(
        MODULE,
        name="mlp_softmax",
        item="build_mlp",
        why="Softmax gives probabilities, which students take for what NLLLoss expects; its "
        "input must be log-probabilities.",
        old="        nn.Linear(128, 10),\n        nn.LogSoftmax(dim=1),\n",
        new="        nn.Linear(128, 10),\n        nn.Softmax(dim=1),\n",
    ),
    Variant(
        MODULE,
        name="mlp_missing_hidden_layer",
        item="build_mlp",
        why="dropping the 256-unit layer while editing the stack still runs, with the wrong sizes.",
        old="        nn.Linear(512, 256),\n        nn.ReLU(),\n        nn.Linear(256, 128),\n",
        new="        nn.Linear(512, 128),\n",
    ),
    Variant(
        MODULE,
        name="mlp_no_flatten",
        item="build_mlp",
        why="the handout's loop flattened the images before the model, so the model never had to; "
        "given (N, 1, 28, 28) batches it fails.",
        old="        nn.Flatten(),  # (N, 1, 28, 28) → (N, 784); (N, 784) stays as it is\n",
        new="",
    ),
    # -------------------------------------------------- build_overfitting_mlp
    Variant(
        MODULE,
        name="overfitting_deeper_but_narrower",
        item="build_overfitting_mlp",
        why="'larger' read as 'more layers': five layers of 256 units have fewer parameters than "
        "784-512-256-128-10.",
        old="""        nn.Linear(784, 1024),
        nn.ReLU(),
        nn.Linear(1024, 1024),
        nn.ReLU(),
        nn.Linear(1024, 512),
        nn.ReLU(),
        nn.Linear(512, 10),""",
        new="""        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 10),""",
    ),
    Variant(
        MODULE,
        name="overfitting_no_log_softmax",
        item="build_overfitting_mlp",
        why="the larger network written from scratch forgets the output layer the first one had.",
        old="        nn.Linear(512, 10),\n        nn.LogSoftmax(dim=1),\n",
        new="        nn.Linear(512, 10),\n",
    ),
    # -------------------------------------------------------- train_transform
    Variant(
        MODULE,
        name="train_no_augmentation",
        item="train_transform",
        why="the training pipeline copied from the test one: nothing is augmented.",
        old="""            transforms.RandomRotation(10),
            transforms.RandomAffine(degrees=0, translate=(0.1, 0.1)),
            transforms.RandomCrop(28, padding=4),
            transforms.ToTensor(),""",
        new="""            transforms.ToTensor(),""",
    ),
    Variant(
        MODULE,
        name="train_cifar_crop",
        item="train_transform",
        why="RandomCrop(32, padding=4) is the CIFAR recipe students copy; on 28×28 images it "
        "returns 32×32 tensors.",
        old="transforms.RandomCrop(28, padding=4),",
        new="transforms.RandomCrop(32, padding=4),",
    ),
    Variant(
        MODULE,
        name="train_normalised_only",
        item="train_transform",
        why="Normalize added to the training pipeline only: training images in [-1, 1], test "
        "images in [0, 1].",
        old="transforms.RandomCrop(28, padding=4),\n            transforms.ToTensor(),",
        new="transforms.RandomCrop(28, padding=4),\n            transforms.ToTensor(),\n"
        "            transforms.Normalize((0.5,), (0.5,)),",
    ),
    Variant(
        MODULE,
        name="train_no_rotation",
        item="train_transform",
        why="the rotation is left out (only shifts and crops): the handout asks for up to 10°.",
        old="            transforms.RandomRotation(10),\n",
        new="",
    ),
    # --------------------------------------------------------- eval_transform
    Variant(
        MODULE,
        name="eval_augments_test_set",
        item="eval_transform",
        why="one augmented pipeline used for both sets, as a real answer did: the test images "
        "change at every evaluation.",
        old="    return transforms.Compose([transforms.ToTensor()])",
        new="""    return transforms.Compose(
        [
            transforms.RandomRotation(10),
            transforms.RandomCrop(28, padding=4),
            transforms.ToTensor(),
        ]
    )""",
    ),
    Variant(
        MODULE,
        name="eval_normalised",
        item="eval_transform",
        why="Normalize on the test set only: the network sees another scale than in training.",
        old="    return transforms.Compose([transforms.ToTensor()])",
        new="    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])",
    ),
    # --------------------------------------------------------- make_optimizer
    Variant(
        MODULE,
        name="optimizer_ignores_weight_decay",
        item="make_optimizer",
        why="the weight_decay argument is accepted but never passed on, so part (d) changes nothing.",
        old="return torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)",
        new="return torch.optim.SGD(model.parameters(), lr=lr)",
    ),
    Variant(
        MODULE,
        name="optimizer_fixed_lr",
        item="make_optimizer",
        why="the handout's 0.01 written in place of the argument.",
        old="return torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)",
        new="return torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=weight_decay)",
    ),
    Variant(
        MODULE,
        name="optimizer_adam",
        item="make_optimizer",
        why="Adam is every tutorial's default; the handout asks for SGD.",
        old="return torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)",
        new="return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)",
    ),
    # ------------------------------------------------------------ train_epoch
    Variant(
        MODULE,
        name="train_no_zero_grad",
        item="train_epoch",
        why="without zero_grad every backward adds to the previous batches' gradients; the loss "
        "still falls for a while, so it goes unnoticed.",
        old="        optimizer.zero_grad()\n        log_probs = model(images)\n",
        new="        log_probs = model(images)\n",
    ),
    Variant(
        MODULE,
        name="train_last_batch_values",
        item="train_epoch",
        why="returning the loop variables reports the last batch only.",
        old="item()\n        count += len(labels)\n    return total_loss / count, correct / count",
        new="item()\n        count += len(labels)\n"
        "    return loss.item(), (log_probs.argmax(dim=1) == labels).float().mean().item()",
    ),
    Variant(
        MODULE,
        name="train_mean_of_batch_means",
        item="train_epoch",
        why="averaging the batches' mean loss and accuracy over the number of batches over-weighs a small last batch.",
        old="""        total_loss += loss.item() * len(labels)  # mean × size = the batch's sum
        correct += (log_probs.argmax(dim=1) == labels).sum().item()
        count += len(labels)""",
        new="""        total_loss += loss.item()
        correct += (log_probs.argmax(dim=1) == labels).float().mean().item()
        count += 1  # batches""",
    ),
    Variant(
        MODULE,
        name="train_batches_left_on_cpu",
        item="train_epoch",
        why="the batches are never moved to the device: fine on a laptop, a device mismatch on a GPU.",
        old="        images, labels = images.to(device), labels.to(device)\n        optimizer.zero_grad()",
        new="        optimizer.zero_grad()",
        requires_cuda=True,
    ),
    Variant(
        MODULE,
        name="train_no_train_mode",
        item="train_epoch",
        why="model.train() forgotten: after the first evaluate the model stays in eval mode, so "
        "dropout and batch norm stop training as they should.",
        old="    model.train()\n",
        new="",
    ),
    # --------------------------------------------------------------- evaluate
    Variant(
        MODULE,
        name="eval_last_batch_accuracy",
        item="evaluate",
        why="the accuracy of the loop's last batch is returned, a classic of copied notebooks.",
        old="            count += len(labels)\n    return total_loss / count, correct / count",
        new="            count += len(labels)\n"
        "    return total_loss / count, (log_probs.argmax(dim=1) == labels).float().mean().item()",
    ),
    Variant(
        MODULE,
        name="eval_mean_of_batch_means",
        item="evaluate",
        why="the mean of the batches' mean losses, which weighs a small last batch as much as a full one.",
        old="""            total_loss += F.nll_loss(log_probs, labels, reduction="sum").item()
            correct += (log_probs.argmax(dim=1) == labels).sum().item()
            count += len(labels)""",
        new="""            total_loss += F.nll_loss(log_probs, labels).item()
            correct += (log_probs.argmax(dim=1) == labels).float().mean().item()
            count += 1  # batches""",
    ),
    Variant(
        MODULE,
        name="eval_train_mode",
        item="evaluate",
        why="model.eval() forgotten: dropout stays on and batch norm updates its statistics "
        "on the test set.",
        old="    model.eval()\n",
        new="",
    ),
    Variant(
        MODULE,
        name="eval_with_gradients",
        item="evaluate",
        why="the training loop copied without torch.no_grad(), backward included: gradients "
        "are built and accumulated on the test set.",
        old="""    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            log_probs = model(images)
            total_loss += F.nll_loss(log_probs, labels, reduction="sum").item()""",
        new="""    if True:
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            log_probs = model(images)
            batch_loss = F.nll_loss(log_probs, labels, reduction="sum")
            batch_loss.backward()
            total_loss += batch_loss.item()""",
    ),
    # ------------------------------------- batch of one, inputs, dtypes, devices
    Variant(
        MODULE,
        name="eval_squeezed_predictions",
        item="evaluate",
        why="torch.max(outputs.squeeze(), 1), a squeeze kept from a regression notebook: a last "
        "batch of one example becomes a vector and the max over dimension 1 raises.",
        old="            correct += (log_probs.argmax(dim=1) == labels).sum().item()\n            count",
        new="            _, predicted = torch.max(log_probs.squeeze(), 1)\n"
        "            correct += (predicted == labels).sum().item()\n            count",
    ),
    Variant(
        MODULE,
        name="train_squeezed_predictions",
        item="train_epoch",
        why="torch.max(outputs.squeeze(), 1): a last batch of one example becomes a vector and "
        "the max over dimension 1 raises.",
        old="        correct += (log_probs.argmax(dim=1) == labels).sum().item()\n        count",
        new="        _, predicted = torch.max(log_probs.squeeze(), 1)\n"
        "        correct += (predicted == labels).sum().item()\n        count",
    ),
    Variant(
        MODULE,
        name="eval_batches_left_on_cpu",
        item="evaluate",
        why="the batches are never moved to the device: fine on a laptop, a device mismatch on a GPU.",
        old="            images, labels = images.to(device), labels.to(device)\n            log_probs = model(images)",
        new="            log_probs = model(images)",
        requires_cuda=True,
    ),
    Variant(
        MODULE,
        name="mlp_centres_input_in_place",
        item="build_mlp",
        why="the pixels centred inside forward with x -= 0.5 on a view of the input: the caller's "
        "batch changes at every forward pass.",
        old="""    return nn.Sequential(
        nn.Flatten(),  # (N, 1, 28, 28) → (N, 784); (N, 784) stays as it is""",
        new="""    class Centred(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.view(x.shape[0], -1)
            x -= 0.5
            return x

    return nn.Sequential(
        Centred(),""",
    ),
    Variant(
        MODULE,
        name="mlp_float64_output",
        item="build_mlp",
        why="the scores cast to float64 before the log-softmax \"for stability\": float32 images "
        "give float64 log-probabilities.",
        old="""    return nn.Sequential(
        nn.Flatten(),  # (N, 1, 28, 28) → (N, 784); (N, 784) stays as it is
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),""",
        new="""    class Float64LogSoftmax(nn.Module):
        def forward(self, scores: torch.Tensor) -> torch.Tensor:
            return F.log_softmax(scores.double(), dim=1)

    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
        Float64LogSoftmax(),""",
    ),
]
