"""Realistic wrong answers to P2-Q1 (project2/stock_forecast), one mistake each.

The seed's mistakes listed in ASSIGNMENTS.md come first: the target one day
too late (data[i + 30 + 1]), a random split (leaking the future into
training), no scaling, and the scaler fitted on everything; then the usual
slips of each item."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "project2/stock_forecast"

MUTANTS: list[Variant] = [
    # ------------------------------------------------ the seed's mistakes
    Variant(
        MODULE, "target_skips_a_day", "make_windows",
        "takes series[i + seq_length + 1] as the target of window i (the seed's data[i + 30 + 1]): it skips "
        "the next day, and the last window has no target.",
        old="    y = series[seq_length + horizon - 1:].clone()\n",
        new="    y = series[seq_length + horizon:].clone()\n",
    ),
    Variant(
        MODULE, "random_split", "train_val_test_split",
        "shuffles the days before cutting (the seed's random split): the future leaks into training.",
        old="    return series[:n_train], series[n_train:n_train + n_val], series[n_train + n_val:]\n",
        new="    series = series[torch.randperm(t)]\n"
            "    return series[:n_train], series[n_train:n_train + n_val], series[n_train + n_val:]\n",
    ),
    Variant(
        MODULE, "no_scaling", "prepare_data",
        "cuts windows of the raw prices (the seed did not scale them).",
        old="        out[name] = make_windows(scale(part, scaler), seq_length, horizon)\n",
        new="        out[name] = make_windows(part, seq_length, horizon)\n",
    ),
    Variant(
        MODULE, "scaler_fitted_on_everything", "prepare_data",
        "fits the scaler on the whole series: the training part then never reaches 1, and the model is told "
        "how high the test prices go.",
        old="    scaler = fit_scaler(train)\n",
        new="    scaler = fit_scaler(series)\n",
    ),
    Variant(
        MODULE, "windows_before_split", "prepare_data",
        "cuts the windows of the whole scaled series first and splits the windows: windows cross the "
        "boundaries, and the scaler sees every day.",
        old=solution_region(MODULE, "prepare_data"),
        new="""\
    scaler = fit_scaler(series)
    x, y = make_windows(scale(series, scaler), seq_length, horizon)
    n = x.shape[0]
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    n_train = n - n_val - n_test
    return {"scaler": scaler, "train": (x[:n_train], y[:n_train]),
            "val": (x[n_train:n_train + n_val], y[n_train:n_train + n_val]),
            "test": (x[n_train + n_val:], y[n_train + n_val:])}
""",
    ),
    # ------------------------------------------------------ make_windows
    Variant(
        MODULE, "windows_not_transposed", "make_windows",
        "keeps unfold's layout (N, F, seq_length) instead of (N, seq_length, F).",
        old="    x = series.unfold(0, seq_length, 1)[:n].transpose(1, 2).clone()  # (N, seq_length, F)\n",
        new="    x = series.unfold(0, seq_length, 1)[:n].clone()\n",
    ),
    Variant(
        MODULE, "windows_ignore_horizon", "make_windows",
        "counts the windows as T − seq_length, forgetting that a later horizon leaves fewer targets.",
        old="    n = series.shape[0] - seq_length - horizon + 1\n",
        new="    n = series.shape[0] - seq_length\n",
    ),
    # ---------------------------------------------- train_val_test_split
    Variant(
        MODULE, "split_sizes_floored", "train_val_test_split",
        "truncates T · fraction with int() instead of rounding it.",
        old="    n_test, n_val = round(t * test_fraction), round(t * val_fraction)\n",
        new="    n_test, n_val = int(t * test_fraction), int(t * val_fraction)\n",
    ),
    Variant(
        MODULE, "split_test_before_val", "train_val_test_split",
        "puts the test part before the validation part in time.",
        old="    return series[:n_train], series[n_train:n_train + n_val], series[n_train + n_val:]\n",
        new="    return series[:n_train], series[n_train + n_test:], series[n_train:n_train + n_test]\n",
    ),
    # --------------------------------------------------------- fit_scaler
    Variant(
        MODULE, "scaler_global_range", "fit_scaler",
        "takes the minimum and maximum over all the features together, not per feature.",
        old="    return train.min(dim=0).values, train.max(dim=0).values\n",
        new="    return train.min().expand(train.shape[1]), train.max().expand(train.shape[1])\n",
    ),
    Variant(
        MODULE, "scaler_per_day", "fit_scaler",
        "reduces over the wrong axis: one range per day instead of per feature.",
        old="    return train.min(dim=0).values, train.max(dim=0).values\n",
        new="    return train.min(dim=1).values, train.max(dim=1).values\n",
    ),
    # -------------------------------------------------------------- scale
    Variant(
        MODULE, "scale_divides_by_zero", "scale",
        "divides by high − low without a guard: a constant feature gives NaN.",
        old="    span = torch.where(span == 0, torch.ones_like(span), span)\n",
        new="",
    ),
    Variant(
        MODULE, "scale_clipped", "scale",
        "clips the scaled values to [0, 1], so test prices above the training range are flattened.",
        old="    return (x - low) / span\n",
        new="    return ((x - low) / span).clamp(0, 1)\n",
    ),
    Variant(
        MODULE, "scale_inverse_wrong_order", "scale",
        "undoes the scaling in the wrong order, (x + low) · span.",
        old="        return x * span + low\n",
        new="        return (x + low) * span\n",
    ),
    # ---------------------------------------------------------- mape_loss
    Variant(
        MODULE, "mape_percent", "mape_loss",
        "returns a percentage (Keras's × 100) instead of a fraction.",
        old="    return ((target - pred).abs() / target.abs().clamp_min(eps)).mean()\n",
        new="    return 100 * ((target - pred).abs() / target.abs().clamp_min(eps)).mean()\n",
    ),
    Variant(
        MODULE, "mape_divides_by_forecast", "mape_loss",
        "divides by the forecast F instead of the actual value A.",
        old="    return ((target - pred).abs() / target.abs().clamp_min(eps)).mean()\n",
        new="    return ((target - pred).abs() / pred.abs().clamp_min(eps)).mean()\n",
    ),
    Variant(
        MODULE, "mape_no_guard", "mape_loss",
        "divides by |A| with no guard: a zero actual value gives inf.",
        old="    return ((target - pred).abs() / target.abs().clamp_min(eps)).mean()\n",
        new="    return ((target - pred).abs() / target.abs()).mean()\n",
    ),
    Variant(
        MODULE, "mape_signed_denominator", "mape_loss",
        "clamps A itself instead of |A|, so every negative actual value becomes eps.",
        old="    return ((target - pred).abs() / target.abs().clamp_min(eps)).mean()\n",
        new="    return ((target - pred).abs() / target.clamp_min(eps)).mean()\n",
    ),
    # ------------------------------------------------- RecurrentRegressor
    Variant(
        MODULE, "first_time_step", "RecurrentRegressor",
        "takes the recurrent output at the first time step, which has seen one day only.",
        old="        return self.head(out[:, -1])\n",
        new="        return self.head(out[:, 0])\n",
    ),
    Variant(
        MODULE, "not_batch_first", "RecurrentRegressor",
        "forgets batch_first=True: the layer reads (N, L, F) windows as L sequences of N days.",
        old="        self.recurrent = layers[cell](n_features, hidden, batch_first=True)\n",
        new="        self.recurrent = layers[cell](n_features, hidden)\n",
    ),
    Variant(
        MODULE, "dropout_rate_fixed", "RecurrentRegressor",
        "writes the handout's rate 0.1 instead of the dropout argument.",
        old="nn.Linear(hidden, 256), nn.ReLU(), nn.Dropout(dropout),",
        new="nn.Linear(hidden, 256), nn.ReLU(), nn.Dropout(0.1),",
    ),
    Variant(
        MODULE, "no_dense_128", "RecurrentRegressor",
        "leaves out the Dense 128 layer, going from 256 straight to the outputs.",
        old="            nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, n_outputs),\n",
        new="            nn.Linear(256, n_outputs),\n",
    ),
    Variant(
        MODULE, "mean_over_time", "RecurrentRegressor",
        "averages the recurrent outputs over the window instead of taking the last step.",
        old="        return self.head(out[:, -1])\n",
        new="        return self.head(out.mean(dim=1))\n",
    ),
    Variant(
        MODULE, "cell_not_checked", "RecurrentRegressor",
        "does not check the cell name: an unknown one raises a bare KeyError instead of a ValueError naming cell.",
        old='        if cell not in layers:\n            raise ValueError(f"cell must be one of {sorted(layers)}, got {cell!r}")\n',
        new="",
    ),
    # ------------------------------------------------------ EarlyStopping
    Variant(
        MODULE, "equal_is_improvement", "EarlyStopping",
        "counts an equal loss as an improvement (<=), so a plateau never stops.",
        old="        if val_loss < self.best:\n",
        new="        if val_loss <= self.best:\n",
    ),
    Variant(
        MODULE, "stops_one_late", "EarlyStopping",
        "stops only after patience + 1 epochs without improvement (> instead of >=).",
        old="        return self.bad_epochs >= self.patience\n",
        new="        return self.bad_epochs > self.patience\n",
    ),
    Variant(
        MODULE, "counter_not_reset", "EarlyStopping",
        "forgets to reset the count on an improvement: patience counts all bad epochs, not those in a row.",
        old="            self.best, self.best_epoch, self.bad_epochs = float(val_loss), self.epoch, 0\n",
        new="            self.best, self.best_epoch = float(val_loss), self.epoch\n",
    ),
    Variant(
        MODULE, "no_patience_check", "EarlyStopping",
        "accepts any patience, 0 and negative ones included.",
        old='        if patience < 1:\n            raise ValueError(f"patience must be >= 1, got {patience}")\n',
        new="",
    ),
    # ------------------------------------------------------ fit_regressor
    Variant(
        MODULE, "state_dict_not_copied", "fit_regressor",
        "keeps model.state_dict() without a copy: its tensors are the live weights, so the 'best' weights "
        "are the last ones.",
        old="            best_state = copy.deepcopy(model.state_dict())\n",
        new="            best_state = model.state_dict()\n",
    ),
    Variant(
        MODULE, "best_not_restored", "fit_regressor",
        "stops early but never loads the best weights back.",
        old="    model.load_state_dict(best_state)\n",
        new="",
    ),
    Variant(
        MODULE, "train_mode_once", "fit_regressor",
        "calls model.train() once before the loop: after the first evaluation every epoch trains in eval "
        "mode (dropout off).",
        old="    for epoch in range(epochs):\n        model.train()\n",
        new="    model.train()\n    for epoch in range(epochs):\n",
    ),
    Variant(
        MODULE, "ignores_the_stopper", "fit_regressor",
        "runs every epoch, calling the stopper but never stopping.",
        old="        if stop:\n            break\n",
        new="",
    ),
    Variant(
        MODULE, "no_zero_grad", "fit_regressor",
        "never zeroes the gradients: each step follows the sum of every gradient so far.",
        old="            optimizer.zero_grad()\n",
        new="",
    ),
    Variant(
        MODULE, "training_loss_summed", "fit_regressor",
        "records the sum of the epoch's batch losses instead of their mean.",
        old='        history["train"].append(sum(losses) / len(losses))\n',
        new='        history["train"].append(sum(losses))\n',
    ),
    Variant(
        MODULE, "validation_loss_as_tensor", "fit_regressor",
        "keeps the validation loss as a tensor in the history instead of a float.",
        old="            val_loss = float(loss_fn(model(val_x), val_y))\n",
        new="            val_loss = loss_fn(model(val_x), val_y)\n",
    ),
]
