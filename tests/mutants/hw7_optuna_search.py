"""Realistic wrong answers to HW7-Q6 (hw7/optuna_search), one mistake each."""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/optuna_search"

MUTANTS: list[Variant] = [
    Variant(
        MODULE, "lr_range_above_limit", "suggest_config",
        "searches the learning rate up to 0.1, the usual default range, past the handout's 0.01.",
        old='lr=trial.suggest_float("lr", 1e-4, LIMITS.lr, log=True)',
        new='lr=trial.suggest_float("lr", 1e-4, 1e-1, log=True)',
    ),
    Variant(
        MODULE, "five_conv_layers", "suggest_config",
        "counts layers from 1 to 5 (an off-by-one on the limit).",
        old='n_conv = trial.suggest_int("n_conv", 1, LIMITS.conv_layers)',
        new='n_conv = trial.suggest_int("n_conv", 1, LIMITS.conv_layers + 1)',
    ),
    Variant(
        MODULE, "three_hidden_dense_layers", "suggest_config",
        "forgets that the output layer is one of the three dense layers.",
        old='n_hidden = trial.suggest_int("n_hidden", 0, LIMITS.dense_layers - 1)',
        new='n_hidden = trial.suggest_int("n_hidden", 0, LIMITS.dense_layers)',
    ),
    Variant(
        MODULE, "filters_up_to_128", "suggest_config",
        "searches filters among powers of two up to 128, past the limit of 64.",
        old='filters = tuple(trial.suggest_int(f"filters_{i}", 8, LIMITS.filters, log=True) for i in range(n_conv))',
        new='filters = tuple(trial.suggest_categorical(f"filters_{i}", [16, 32, 64, 128]) for i in range(n_conv))',
    ),
    Variant(
        MODULE, "dropout_drawn_outside_the_trial", "suggest_config",
        "draws the dropout rate with Python's random module, so Optuna never sees nor tunes it.",
        old='dropout=trial.suggest_float("dropout", 0.0, 0.5),',
        new='dropout=__import__("random").uniform(0.0, 0.5),',
    ),
    Variant(
        MODULE, "relu_on_logits", "build_model",
        "applies ReLU after the last layer too, as after every other layer (seen in real answers).",
        old="    dense += [nn.Dropout(config.dropout), nn.Linear(n_flat, n_classes)]\n",
        new="    dense += [nn.Dropout(config.dropout), nn.Linear(n_flat, n_classes), nn.ReLU()]\n",
    ),
    Variant(
        MODULE, "flatten_size_by_hand", "build_model",
        "computes the flatten size for 32×32 inputs by hand, which breaks on any other in_shape.",
        old="        n_flat = features(torch.zeros(1, *in_shape)).flatten(1).shape[1]\n",
        new="        n_flat = config.filters[-1] * (32 // 2 ** len(config.filters) if config.pool else 32) ** 2\n",
    ),
    Variant(
        MODULE, "unpadded_convolutions", "build_model",
        "leaves out the padding, so each 3×3 conv shrinks the image by 2 (seen in real answers).",
        old="nn.Conv2d(channels, out_channels, config.kernel_size, padding=config.kernel_size // 2)",
        new="nn.Conv2d(channels, out_channels, config.kernel_size)",
    ),
    Variant(
        MODULE, "optimizer_name_ignored", "make_optimizer",
        "always returns Adam, whatever the trial chose.",
        old="    return classes[config.optimizer](parameters, lr=config.lr)\n",
        new="    return torch.optim.Adam(parameters, lr=config.lr)\n",
    ),
    Variant(
        MODULE, "optimizer_default_lr", "make_optimizer",
        "forgets to pass the tuned learning rate, so every trial uses PyTorch's default.",
        old="    return classes[config.optimizer](parameters, lr=config.lr)\n",
        new="    return classes[config.optimizer](parameters, lr=1e-3)\n",
    ),
    Variant(
        MODULE, "tuned_on_the_test_split", "objective",
        "measures the accuracy on the test split: no validation split (seen in real answers).",
        old="            for images, labels in data.val_loader():\n",
        new="            for images, labels in data.test_loader():\n",
    ),
    Variant(
        MODULE, "training_accuracy", "objective",
        "returns the accuracy on the training split it just trained on.",
        old="            for images, labels in data.val_loader():\n",
        new="            for images, labels in data.train_loader():\n",
    ),
    Variant(
        MODULE, "should_prune_without_report", "objective",
        "asks the pruner without reporting first: it has nothing to compare.",
        old="        trial.report(value, epoch)\n",
        new="",
    ),
    Variant(
        MODULE, "prunes_even_when_not_asked", "objective",
        "ignores the prune flag: part (b) must run without pruning.",
        old="        if prune and trial.should_prune():\n",
        new="        if trial.should_prune():\n",
    ),
    Variant(
        MODULE, "one_epoch_only", "objective",
        "returns after the first epoch.",
        old="    for epoch in range(epochs):\n",
        new="    for epoch in range(1):\n",
    ),
    Variant(
        MODULE, "study_minimises", "run_study",
        "leaves the direction at Optuna's default, minimize: the study hunts the worst accuracy.",
        old='        direction="maximize", sampler=sampler, pruner=pruner,\n',
        new="        sampler=sampler, pruner=pruner,\n",
    ),
    Variant(
        MODULE, "trial_cap_instead_of_timeout", "run_study",
        "caps the study at 3 trials, which part (b) forbids.",
        old="        timeout=timeout, n_trials=n_trials, show_progress_bar=progress,\n",
        new="        timeout=timeout, n_trials=3, show_progress_bar=progress,\n",
    ),
    Variant(
        MODULE, "pruning_never_on", "run_study",
        "passes the pruner to the study but never turns pruning on in the objective.",
        old="prune=pruner is not None)",
        new="prune=False)",
    ),
    Variant(
        MODULE, "study_not_shared", "run_study",
        "ignores storage and study_name, so workers never share trials.",
        old="        storage=storage, study_name=study_name, load_if_exists=True,\n",
        new="",
    ),
    Variant(
        MODULE, "no_zero_grad", "objective",
        "never clears the gradients, so every step follows the sum of all earlier batches' gradients.",
        old="            optimizer.zero_grad()\n",
        new="",
    ),
    Variant(
        MODULE, "accuracy_of_last_batch", "objective",
        "returns the accuracy of the last validation batch instead of the whole split.",
        old="                correct += int((predicted == labels).sum())\n                count += len(labels)\n",
        new="                correct, count = int((predicted == labels).sum()), len(labels)\n",
    ),
    Variant(
        MODULE, "accuracy_mean_of_batches", "objective",
        "averages the batches' accuracies, which weighs the smaller last batch like a full one.",
        old="                correct += int((predicted == labels).sum())\n                count += len(labels)\n",
        new="                correct += float((predicted == labels).float().mean())\n                count += 1\n",
    ),
    Variant(
        MODULE, "evaluates_in_training_mode", "objective",
        "measures the validation accuracy with the model still in training mode (dropout on).",
        old="        model.eval()\n",
        new="",
    ),
    Variant(
        MODULE, "nll_loss_on_raw_logits", "objective",
        "copies the official Optuna example's F.nll_loss but feeds it the raw logits (the example's "
        "model ends with log_softmax; this one does not).",
        old="            F.cross_entropy(model(images.to(device)), labels.to(device)).backward()\n",
        new="            F.nll_loss(model(images.to(device)), labels.to(device)).backward()\n",
    ),
    Variant(
        MODULE, "timeout_not_passed", "run_study",
        "computes the timeout but never hands it to study.optimize, so the study never stops on time.",
        old="        timeout=timeout, n_trials=n_trials, show_progress_bar=progress,\n",
        new="        n_trials=n_trials, show_progress_bar=progress,\n",
    ),
    Variant(
        MODULE, "n_trials_ignored", "run_study",
        "accepts n_trials but never passes it on, so quick runs are not capped.",
        old="        timeout=timeout, n_trials=n_trials, show_progress_bar=progress,\n",
        new="        timeout=timeout, show_progress_bar=progress,\n",
    ),
    Variant(
        MODULE, "progress_flag_ignored", "run_study",
        "accepts progress but never shows Optuna's progress bar.",
        old="        timeout=timeout, n_trials=n_trials, show_progress_bar=progress,\n",
        new="        timeout=timeout, n_trials=n_trials,\n",
    ),
    Variant(
        MODULE, "device_not_passed_on", "run_study",
        "forgets to pass the device to the objective, which then trains on its default device.",
        old="objective(trial, data, epochs=epochs, device=device, prune=pruner is not None)",
        new="objective(trial, data, epochs=epochs, prune=pruner is not None)",
    ),
]
