"""Correct answers to HW7-Q6 (hw7/optuna_search) written differently from the
reference; each replaces one item's whole solution region."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/optuna_search"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "space_of_choices", "suggest_config",
        "categorical choices for sizes and layer counts, its own parameter names, no dropout choice.",
        """\
    depth = trial.suggest_categorical("conv_depth", [1, 2, 3, 4])
    widths = tuple(trial.suggest_categorical(f"conv{i}_width", [16, 32, 64]) for i in range(depth))
    hidden = trial.suggest_categorical("hidden", ["none", "64", "32-32"])
    return CNNConfig(
        filters=widths,
        kernel_size=3,
        pool=True,
        neurons=() if hidden == "none" else tuple(int(h) for h in hidden.split("-")),
        dropout=0.25,
        optimizer=trial.suggest_categorical("opt", ["SGD", "Adam", "RMSprop"]),
        lr=trial.suggest_float("learning_rate", 1e-3, 1e-2),
    )
""",
    ),
    rewrite(
        "lazy_linear", "build_model",
        "nn.LazyLinear infers the flatten size, materialised by one dummy forward pass.",
        """\
    c, h, w = in_shape
    layers: list[nn.Module] = []
    for f in config.filters:
        layers.append(nn.Conv2d(c, f, kernel_size=config.kernel_size, padding="same"))
        layers.append(nn.ReLU(inplace=True))
        if config.pool:
            h, w = h // 2, w // 2
            if min(h, w) < 1:
                raise ValueError(f"in_shape {in_shape} shrinks to nothing after pooling")
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        c = f
    layers.append(nn.Flatten())
    for n in config.neurons:
        layers += [nn.Dropout(p=config.dropout), nn.LazyLinear(n), nn.ReLU(inplace=True)]
    layers += [nn.Dropout(p=config.dropout), nn.LazyLinear(n_classes)]
    model = nn.Sequential(*layers)
    model(torch.zeros(2, *in_shape))
    return model
""",
    ),
    rewrite(
        "flatten_by_formula", "build_model",
        "a module with named parts and the flatten size computed from the halvings.",
        """\
    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            convs, c, h, w = [], in_shape[0], in_shape[1], in_shape[2]
            for f in config.filters:
                convs += [nn.Conv2d(c, f, config.kernel_size, 1, (config.kernel_size - 1) // 2), nn.ReLU()]
                if config.pool:
                    if h // 2 == 0 or w // 2 == 0:
                        raise ValueError(f"in_shape={in_shape}: too small for this many poolings")
                    convs.append(nn.MaxPool2d(2))
                    h, w = h // 2, w // 2
                c = f
            self.features = nn.Sequential(*convs)
            sizes = [c * h * w, *config.neurons]
            self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
            self.drop = nn.Dropout(config.dropout)
            self.head = nn.Linear(sizes[-1], n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.features(x).flatten(1)
            for layer in self.hidden:
                x = torch.relu(layer(self.drop(x)))
            return self.head(self.drop(x))

    return CNN()
""",
    ),
    rewrite(
        "optimizer_by_getattr", "make_optimizer",
        "looks the class up on torch.optim after checking the name against LIMITS.",
        """\
    if config.optimizer not in LIMITS.optimizers:
        raise ValueError(f"unknown optimizer {config.optimizer!r}")
    return getattr(torch.optim, config.optimizer)(list(parameters), lr=config.lr)
""",
    ),
    rewrite(
        "objective_own_loops", "objective",
        "writes the training and validation loops itself and counts epochs from 1.",
        """\
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    cfg = suggest_config(trial)
    net = build_model(cfg, in_shape=data.in_shape, n_classes=data.n_classes).to(dev)
    opt = make_optimizer(cfg, net.parameters())
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, epochs + 1):
        net.train()
        for x, y in data.train_loader():
            opt.zero_grad()
            loss_fn(net(x.to(dev)), y.to(dev)).backward()
            opt.step()
        net.eval()
        hits = total = 0
        with torch.no_grad():
            for x, y in data.val_loader():
                hits += (net(x.to(dev)).argmax(1).cpu() == y).sum().item()
                total += y.numel()
        score = hits / total
        trial.report(score, step=epoch)
        if prune and trial.should_prune():
            raise optuna.exceptions.TrialPruned(f"pruned at epoch {epoch}")
    return float(score)
""",
    ),
    rewrite(
        "study_with_partial", "run_study",
        "functools.partial for the objective, keyword-only create_study, and a study name default.",
        """\
    import functools

    study = optuna.create_study(
        storage=storage, sampler=sampler, pruner=pruner, study_name=study_name,
        direction=optuna.study.StudyDirection.MAXIMIZE, load_if_exists=True,
    )
    func = functools.partial(objective, data=data, epochs=epochs, device=device, prune=pruner is not None)
    study.optimize(func, n_trials=n_trials, timeout=timeout, show_progress_bar=progress, gc_after_trial=False)
    return study
""",
    ),
    rewrite(
        "objective_official_tutorial", "objective",
        "the official Optuna PyTorch example: log_softmax + F.nll_loss, enumerate(loader), "
        "pred.eq(target.view_as(pred)), accuracy over len(loader.dataset), optuna.exceptions.TrialPruned.",
        """\
    DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu") if device is None else device
    params = suggest_config(trial)
    model = build_model(params, data.in_shape, data.n_classes).to(DEVICE)
    optimizer = make_optimizer(params, model.parameters())
    train_loader, valid_loader = data.train_loader(), data.val_loader()
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError("make_optimizer must return a torch.optim.Optimizer")
    for epoch in range(epochs):
        model.train()
        for batch_idx, (inputs, target) in enumerate(train_loader):
            inputs, target = inputs.to(DEVICE), target.to(DEVICE)
            optimizer.zero_grad()
            output = F.log_softmax(model(inputs), dim=1)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for batch_idx, (inputs, target) in enumerate(valid_loader):
                inputs, target = inputs.to(DEVICE), target.to(DEVICE)
                output = model(inputs)
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        accuracy = correct / len(valid_loader.dataset)
        trial.report(accuracy, epoch)
        if prune and trial.should_prune():
            raise optuna.exceptions.TrialPruned()
    return accuracy
""",
    ),
    rewrite(
        "study_gc_after_trial", "run_study",
        "frees memory after every trial (gc_after_trial=True, as Optuna's FAQ advises for GPU "
        "trials), passes optimize's arguments positionally and builds the objective with a closure.",
        """\
    def func(trial: optuna.trial.Trial) -> float:
        return objective(trial, data, epochs, device, pruner is not None)

    study = optuna.create_study(storage=storage, sampler=sampler, pruner=pruner, study_name=study_name,
                                direction="maximize", load_if_exists=True)
    study.optimize(func, n_trials, timeout, gc_after_trial=True, show_progress_bar=progress)
    return study
""",
    ),
    rewrite(
        "study_with_callbacks", "run_study",
        "logs each finished trial through a callbacks list, shows the progress bar when asked and "
        "catches out-of-memory errors as failed trials.",
        """\
    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        optuna.logging.get_logger("optuna").debug("trial %d: %s", trial.number, trial.value)

    study = optuna.create_study(
        study_name=study_name, storage=storage, load_if_exists=True,
        sampler=sampler or optuna.samplers.TPESampler(), pruner=pruner, direction="maximize",
    )
    prune = pruner is not None
    study.optimize(
        lambda t: objective(t, data, epochs=epochs, device=device, prune=prune),
        n_trials=n_trials, timeout=timeout, callbacks=[log_trial],
        catch=(torch.cuda.OutOfMemoryError,), show_progress_bar=bool(progress), gc_after_trial=True,
    )
    return study
""",
    ),
]
