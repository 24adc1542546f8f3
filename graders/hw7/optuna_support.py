"""Limits, samplers, pruners, data and stand-ins for the Optuna search graders.

The objective and the study are graded with stand-ins for the items they
call (a fixed configuration, a model whose answers are known, an optimiser
that records its steps), so a mistake in the search space or the model costs
points there only; the data bundle's test split fails any read.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import optuna
import torch
from optuna.distributions import CategoricalDistribution
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlkit.grading.checks import GradingFailure
from dlkit.isolation import substituted

optuna.logging.set_verbosity(optuna.logging.WARNING)  # its INFO lines go to stderr

MAX_CONV, MAX_DENSE, MAX_FILTERS, MAX_NEURONS, MAX_LR = 4, 3, 64, 64, 0.01
OPTIMIZERS = ("Adam", "RMSprop", "SGD")


def limit_violations(config: Any) -> list[str]:
    """Every way `config` breaks the handout's limits, in words (empty: none)."""
    problems = []
    filters, neurons = tuple(getattr(config, "filters", ())), tuple(getattr(config, "neurons", ()))
    if not 1 <= len(filters) <= MAX_CONV:
        problems.append(f"{len(filters)} conv layers (1 to {MAX_CONV} allowed)")
    if any(not 1 <= int(f) <= MAX_FILTERS for f in filters):
        problems.append(f"filters {list(filters)} (1 to {MAX_FILTERS} per layer)")
    if len(neurons) + 1 > MAX_DENSE:
        problems.append(f"{len(neurons)} hidden dense layers + the output layer (at most {MAX_DENSE} dense layers)")
    if any(not 1 <= int(n) <= MAX_NEURONS for n in neurons):
        problems.append(f"neurons {list(neurons)} (1 to {MAX_NEURONS} per layer)")
    lr = getattr(config, "lr", None)
    if not isinstance(lr, (int, float)) or not 0 < lr <= MAX_LR:
        problems.append(f"lr={lr} (0 < lr ≤ {MAX_LR})")
    if getattr(config, "optimizer", None) not in OPTIMIZERS:
        problems.append(f"optimizer={getattr(config, 'optimizer', None)!r} (one of {', '.join(OPTIMIZERS)})")
    dropout = getattr(config, "dropout", None)
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        problems.append(f"dropout={dropout} (in [0, 1))")
    return problems


class ExtremeSampler(optuna.samplers.BaseSampler):
    """Answers every suggestion with the top (or bottom) of its range, and the
    last (or first) of its choices: the corners of a search space."""

    def __init__(self, top: bool) -> None:
        self.top = top

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict:
        return {}

    def sample_relative(self, study: Any, trial: Any, search_space: dict) -> dict:
        return {}

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: Any) -> Any:
        if isinstance(distribution, CategoricalDistribution):
            return distribution.choices[-1 if self.top else 0]
        return distribution.high if self.top else distribution.low


class FixedPruner(optuna.pruners.BasePruner):
    """Always (or never) prunes."""

    def __init__(self, decision: bool) -> None:
        self.decision = decision

    def prune(self, study: Any, trial: Any) -> bool:
        return self.decision


def study(sampler: optuna.samplers.BaseSampler | None = None, pruner: Any = None) -> optuna.Study:
    return optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner or FixedPruner(False))


def configs(impl: Any, sampler: optuna.samplers.BaseSampler, n: int) -> list[tuple[Any, dict]]:
    """(config, the trial's params) of n trials of a fresh study."""
    s, out = study(sampler), []
    for _ in range(n):
        trial = s.ask()
        out.append((impl.suggest_config(trial), dict(trial.params)))
        s.tell(trial, 0.0)
    return out


def config(impl: Any, **fields: Any) -> Any:
    """impl.CNNConfig with small defaults and `fields` over them."""
    values = dict(filters=(4, 6), kernel_size=3, pool=True, neurons=(8,), dropout=0.0, optimizer="Adam", lr=1e-3)
    values.update(fields)
    return impl.CNNConfig(**values)


def expected_parameters(config: Any, in_shape: tuple[int, int, int], n_classes: int) -> int:
    """Parameters of the contract's network: same-size convs, 2×2 pools, dense layers."""
    channels, h, w = in_shape
    total, k = 0, config.kernel_size
    for f in config.filters:
        total += channels * f * k * k + f
        channels = f
        if config.pool:
            h, w = h // 2, w // 2
    width = channels * h * w
    for n in (*config.neurons, n_classes):
        total += width * n + n
        width = n
    return total


# --------------------------------------------------------------------------
# the objective's world: known answers, a recorded optimiser, a guarded test split


class FirstPixelModel(nn.Module):
    """Predicts the class written in each image's first pixel; counts the
    examples it sees in training and in evaluation mode and keeps the last
    training batch."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.scale = nn.Parameter(torch.tensor(3.0))
        self.seen = {"train": 0, "eval": 0}
        self.last_train_batch: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen["train" if self.training else "eval"] += len(x)
        if self.training:
            self.last_train_batch = x.detach().cpu()
        return self.logits(x, self.scale)

    def logits(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        guess = x.flatten(1)[:, 0].round().long().clamp(0, self.n_classes - 1)
        return scale * nn.functional.one_hot(guess, self.n_classes).float()

    def batch_gradients(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
        """d/d scale of this batch's cross-entropy: (mean, sum) reductions."""
        scale = self.scale.detach().cpu().clone().requires_grad_()
        loss = nn.functional.cross_entropy(self.logits(x, scale), labels)
        (grad,) = torch.autograd.grad(loss, scale)
        return float(grad), float(grad) * len(labels)


class CountingSGD(torch.optim.SGD):
    """SGD with learning rate 0 (nothing changes) that counts its steps and
    the steps whose gradient is not the last training batch's alone."""

    def __init__(self, params: Any, model: FirstPixelModel, data: "GuardedSplits") -> None:
        super().__init__(params, lr=0.0)
        self.model, self.data = model, data
        self.steps, self.stale = 0, 0

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        x = self.model.last_train_batch
        got = self.model.scale.grad
        if x is None or got is None:
            self.stale += 1
        else:
            wants = self.model.batch_gradients(x, self.data.labels_of(x))
            if not any(abs(float(got) - w) <= 1e-5 * max(1.0, abs(w)) for w in wants):
                self.stale += 1
        return super().step(closure)


def labelled(n: int, right: int, n_classes: int, seed: int) -> TensorDataset:
    """n images (3, 4, 4) whose first pixel names a class, right for the first `right`."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, n_classes, (n,), generator=gen)
    guess = labels.clone()
    guess[right:] = (labels[right:] + 1) % n_classes
    images = torch.rand(n, 3, 4, 4, generator=gen) * 0.2
    images[:, 0, 0, 0] = guess.float()
    return TensorDataset(images, labels)


class GuardedSplits:
    """A DataSplits look-alike: training accuracy 1/4, validation 7/10 under
    FirstPixelModel, and a test split that fails any read."""

    in_shape = (3, 4, 4)
    n_classes = 5
    batch_size = 4

    def __init__(self) -> None:
        self.train = labelled(12, 3, self.n_classes, seed=1)
        # Batches of 4, 4 and 2 right 4, 3 and 0 times: 7/10 overall, not the
        # mean of the batches' accuracies (0.58) nor the last one's (0).
        self.val = labelled(10, 7, self.n_classes, seed=2)
        self.test_reads = 0

    def labels_of(self, images: torch.Tensor) -> torch.Tensor:
        """The training labels of these training images."""
        stored, labels = self.train.tensors
        rows = [int((stored == image).flatten(1).all(1).nonzero()[0]) for image in images]
        return labels[rows]

    def train_loader(self, seed: int = 0) -> DataLoader:
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True,
                          generator=torch.Generator().manual_seed(seed))

    def val_loader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=self.batch_size)

    def _refuse(self) -> Any:
        self.test_reads += 1
        raise GradingFailure(
            "objective must never read the test split: hyperparameters are chosen on the "
            "validation split (data.val_loader()); the test split is for the final report only."
        )

    @property
    def test(self) -> Any:
        return self._refuse()

    def test_loader(self) -> DataLoader:
        return self._refuse()

    def sizes(self) -> tuple[int, int, int]:
        return len(self.train), len(self.val), 0


@contextlib.contextmanager
def objective_alone(impl: Any, data: GuardedSplits) -> Iterator[dict[str, Any]]:
    """impl.objective with stand-ins for suggest_config, build_model and
    make_optimizer; yields what they made ('model', 'optimizer')."""
    made: dict[str, Any] = {}

    def suggest_config(trial: Any) -> Any:
        trial.suggest_float("lr", 1e-4, 1e-2, log=True)
        return config(impl)

    def build_model(config: Any, in_shape: Any = (3, 32, 32), n_classes: int = 100) -> nn.Module:
        made["model"] = FirstPixelModel(n_classes)
        return made["model"]

    def make_optimizer(config: Any, parameters: Any) -> torch.optim.Optimizer:
        made["optimizer"] = CountingSGD(parameters, made["model"], data)
        return made["optimizer"]

    with substituted(impl, "objective", {
        "suggest_config": suggest_config, "build_model": build_model, "make_optimizer": make_optimizer,
    }):
        yield made
