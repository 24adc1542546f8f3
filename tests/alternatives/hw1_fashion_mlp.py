"""Correct answers to HW1-Q5 (hw1/fashion_mlp) written differently from the
reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw1/fashion_mlp"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "mlp_module_class",
        "build_mlp",
        "an nn.Module subclass with a forward that reshapes with view and applies F.relu and "
        "F.log_softmax, instead of an nn.Sequential of layer modules.",
        """\
    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(28 * 28, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, 128)
            self.fc4 = nn.Linear(128, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.view(x.shape[0], -1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = F.relu(self.fc3(x))
            return F.log_softmax(self.fc4(x), dim=-1)

    return MLP()
""",
    ),
    rewrite(
        "overfitting_wide_and_shallow",
        "build_overfitting_mlp",
        "a wide two-hidden-layer network built from a list of sizes, with LeakyReLU.",
        """\
    sizes = [784, 2048, 2048, 10]
    layers: list[nn.Module] = [nn.Flatten()]
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.01)]
    layers[-1] = nn.LogSoftmax(dim=1)  # no activation after the output layer
    return nn.Sequential(*layers)
""",
    ),
    rewrite(
        "train_affine_jitter_tensor_ops",
        "train_transform",
        "rotation and translation in one RandomAffine, a brightness/contrast jitter, and the "
        "crop applied to the tensor after ToTensor.",
        """\
    return transforms.Compose(
        [
            transforms.RandomAffine(degrees=10, translate=(0.1, 0.1)),
            transforms.ColorJitter(brightness=0.2, contrast=0.2),
            transforms.ToTensor(),
            transforms.RandomCrop(28, padding=4),
        ]
    )
""",
    ),
    rewrite(
        "eval_bare_to_tensor",
        "eval_transform",
        "returns ToTensor itself rather than a Compose of one transform.",
        """\
    return transforms.ToTensor()
""",
    ),
    rewrite(
        "optimizer_param_group_list",
        "make_optimizer",
        "an explicit param group holding the trainable parameters, with the settings in the group.",
        """\
    group = {"params": [p for p in model.parameters() if p.requires_grad], "lr": lr,
             "weight_decay": weight_decay}
    return torch.optim.SGD([group], lr=lr)
""",
    ),
    rewrite(
        "train_cross_entropy_dataset_size",
        "train_epoch",
        "CrossEntropyLoss on the log-probabilities (equal to the NLL: log_softmax leaves "
        "log-probabilities unchanged), model.zero_grad(), and the size from loader.dataset.",
        """\
    criterion = nn.CrossEntropyLoss(reduction="sum")
    model.train()
    summed, hits = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        model.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        (loss / images.shape[0]).backward()
        optimizer.step()
        summed += loss.item()
        hits += int(torch.sum(outputs.argmax(-1) == labels))
    size = len(loader.dataset)
    return summed / size, hits / size
""",
    ),
    rewrite(
        "evaluate_concatenated_inference_mode",
        "evaluate",
        "gathers every batch's outputs under torch.inference_mode and computes both numbers "
        "once, on the whole set.",
        """\
    model.eval()
    outputs, targets = [], []
    with torch.inference_mode():
        for images, labels in loader:
            outputs.append(model(images.to(device)))
            targets.append(labels.to(device))
    log_probs, labels = torch.cat(outputs), torch.cat(targets)
    loss = F.nll_loss(log_probs, labels).item()
    accuracy = (log_probs.argmax(1) == labels).float().mean().item()
    return loss, accuracy
""",
    ),
    rewrite(
        "train_isinstance_branches",
        "train_epoch",
        "a hand-written loop that branches on isinstance(optimizer, torch.optim.Optimizer), "
        "with a manual SGD update for any other updater, and counts with labels.size(0).",
        """\
    model.train()
    running_loss, running_correct, seen = 0.0, 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer.zero_grad()
        else:
            for p in model.parameters():
                p.grad = None
        output = model(images)
        loss = F.nll_loss(output, labels)
        loss.backward()
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer.step()
        else:
            with torch.no_grad():
                for p in model.parameters():
                    p -= optimizer.lr * p.grad
        running_loss += loss.item() * labels.size(0)
        running_correct += (output.argmax(1) == labels).sum().item()
        seen += labels.size(0)
    return running_loss / seen, running_correct / seen
""",
    ),
    rewrite(
        "train_d2l_style",
        "train_epoch",
        "d2l's train_epoch_ch3: isinstance checks on the net and the updater, a per-example "
        "loss (reduction='none'), zero_grad after the forward pass, an accumulator of sums.",
        """\
    if isinstance(model, torch.nn.Module):
        model.train()
    metric = [0.0, 0.0, 0]  # summed loss, correct predictions, examples
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        y_hat = model(X)
        l = F.nll_loss(y_hat, y, reduction="none")
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer.zero_grad()
            l.mean().backward()
            optimizer.step()
        else:
            l.sum().backward()
            optimizer(X.shape[0])
        metric[0] += float(l.sum())
        metric[1] += float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())
        metric[2] += y.numel()
    return metric[0] / metric[2], metric[1] / metric[2]
""",
    ),
    rewrite(
        "evaluate_d2l_style",
        "evaluate",
        "d2l's evaluate_accuracy: isinstance(net, nn.Module) before net.eval(), per-example "
        "losses summed, y.numel() examples.",
        """\
    if isinstance(model, nn.Module):
        model.eval()
    metric = [0.0, 0.0, 0]
    with torch.no_grad():
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            y_hat = model(X)
            metric[0] += float(F.nll_loss(y_hat, y, reduction="none").sum())
            metric[1] += float((y_hat.argmax(axis=1) == y).sum())
            metric[2] += y.numel()
    return metric[0] / metric[2], metric[1] / metric[2]
""",
    ),
]
