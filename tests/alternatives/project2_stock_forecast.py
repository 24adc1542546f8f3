"""Correct answers to P2-Q1 (project2/stock_forecast) written differently from
the reference; each replaces one item's whole solution region."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "project2/stock_forecast"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "windows_loop", "make_windows", "a Python loop over the windows with torch.stack, as course notebooks do.",
        """\
    if seq_length < 1 or horizon < 1:
        raise ValueError(f"seq_length and horizon must be >= 1, got seq_length={seq_length}, horizon={horizon}")
    if len(series) < seq_length + horizon:
        raise ValueError(f"series is too short: {len(series)} rows")
    xs, ys = [], []
    for i in range(len(series) - seq_length - horizon + 1):
        xs.append(series[i:i + seq_length])
        ys.append(series[i + seq_length + horizon - 1])
    return torch.stack(xs), torch.stack(ys)
""",
    ),
    rewrite(
        "windows_index_grid", "make_windows", "gathers every window at once with an index grid arange(N)[:, None] + arange(L).",
        """\
    for name, value in (("seq_length", seq_length), ("horizon", horizon)):
        if value < 1:
            raise ValueError(f"{name} must be positive, got {value}")
    n = series.shape[0] - seq_length - horizon + 1
    if n <= 0:
        raise ValueError("series too short for a single window")
    starts = torch.arange(n, device=series.device)
    index = starts[:, None] + torch.arange(seq_length, device=series.device)[None, :]
    return series[index], series[starts + seq_length + horizon - 1]
""",
    ),
    rewrite(
        "split_torch_split", "train_val_test_split", "torch.split with the three sizes, the checks written out first.",
        """\
    if val_fraction < 0:
        raise ValueError("val_fraction < 0")
    if test_fraction < 0:
        raise ValueError("test_fraction < 0")
    t = len(series)
    sizes = [t - round(t * val_fraction) - round(t * test_fraction), round(t * val_fraction), round(t * test_fraction)]
    if val_fraction + test_fraction >= 1 or sizes[0] <= 0:
        raise ValueError("the fractions leave no training data")
    train, val, test = torch.split(series, sizes)
    return train, val, test
""",
    ),
    rewrite(
        "scaler_amin_amax", "fit_scaler", "torch.amin and torch.amax over the days.",
        "    return torch.amin(train, dim=0), torch.amax(train, dim=0)\n",
    ),
    rewrite(
        "scaler_aminmax", "fit_scaler", "torch.aminmax in one call.",
        "    low, high = torch.aminmax(train, dim=0)\n    return low, high\n",
    ),
    rewrite(
        "scale_masked_fill", "scale", "masked_fill for the constant features, the inverse as (x · span) + low by parts.",
        """\
    low, high = scaler[0], scaler[1]
    span = (high - low).masked_fill(high == low, 1.0)
    if not inverse:
        return (x - low) / span
    return torch.addcmul(low.expand_as(x), x, span.expand_as(x))
""",
    ),
    rewrite(
        "prepare_windows_then_scale", "prepare_data", "cuts each raw part into windows first and scales the windows and targets.",
        """\
    parts = train_val_test_split(series, val_fraction=val_fraction, test_fraction=test_fraction)
    scaler = fit_scaler(parts[0])
    result = {}
    for name, part in zip(("train", "val", "test"), parts):
        x, y = make_windows(part, seq_length=seq_length, horizon=horizon)
        result[name] = (scale(x, scaler), scale(y, scaler))
    result["scaler"] = scaler
    return result
""",
    ),
    rewrite(
        "mape_maximum", "mape_loss", "torch.maximum with a full_like tensor of eps, torch.mean of the ratio.",
        "    return torch.mean(torch.abs((target - pred) / torch.maximum(target.abs(), torch.full_like(target, eps))))\n",
    ),
    rewrite(
        "mape_where", "mape_loss", "the guard with torch.where, the mean as a sum over the number of entries.",
        """\
    denominator = torch.where(target.abs() < eps, torch.full_like(target, eps), target.abs())
    return (torch.abs(target - pred) / denominator).sum() / target.numel()
""",
    ),
    Variant(
        MODULE, "model_last_hidden_state", "RecurrentRegressor",
        "takes the last hidden state h_n (the pair's first for an LSTM) instead of out[:, -1]: the same for one layer.",
        old="        out, _ = self.recurrent(x)\n        return self.head(out[:, -1])\n",
        new="""\
        _, state = self.recurrent(x)
        if isinstance(state, tuple):  # an LSTM returns (h_n, c_n)
            state = state[0]
        return self.head(state[-1])
""",
    ),
    Variant(
        MODULE, "model_layer_by_name", "RecurrentRegressor",
        "looks the layer up by name in torch.nn (nn.RNN, nn.GRU, nn.LSTM) and builds the head from a list.",
        old="""\
        layers = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
        if cell not in layers:
            raise ValueError(f"cell must be one of {sorted(layers)}, got {cell!r}")
        self.recurrent = layers[cell](n_features, hidden, batch_first=True)
""",
        new="""\
        if cell not in ("rnn", "gru", "lstm"):
            raise ValueError(f"unknown cell: {cell}")
        self.recurrent = getattr(nn, cell.upper())(input_size=n_features, hidden_size=hidden, num_layers=1,
                                                   batch_first=True)
""",
    ),
    Variant(
        MODULE, "stopper_counts_failures_first", "EarlyStopping",
        "tests for a failure first (NaN or not below the best), then counts.",
        old="""\
        if val_loss < self.best:
            self.best, self.best_epoch, self.bad_epochs = float(val_loss), self.epoch, 0
        else:
            self.bad_epochs += 1
        self.epoch += 1
        return self.bad_epochs >= self.patience
""",
        new="""\
        epoch = self.epoch
        self.epoch = epoch + 1
        if math.isnan(val_loss) or val_loss >= self.best:
            self.bad_epochs = self.bad_epochs + 1
            return self.bad_epochs == self.patience or self.bad_epochs > self.patience
        self.best = val_loss
        self.best_epoch = epoch
        self.bad_epochs = 0
        return False
""",
    ),
    rewrite(
        "fit_dataloader", "fit_regressor", "a DataLoader over a TensorDataset, weights kept as cloned tensors.",
        """\
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(*train), batch_size=batch_size, shuffle=True)
    early = EarlyStopping(patience=patience)
    history = {"train": [], "val": [], "best_epoch": None}
    saved = None
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
            count += 1
        model.eval()
        with torch.no_grad():
            v = loss_fn(model(val[0]), val[1]).item()
        history["train"].append(total / count)
        history["val"].append(v)
        done = early.step(v)
        if early.best_epoch == epoch:
            saved = {k: t.detach().clone() for k, t in model.state_dict().items()}
        if done:
            break
    if saved is not None:
        model.load_state_dict(saved)
    history["best_epoch"] = early.best_epoch
    return history
""",
    ),
]
