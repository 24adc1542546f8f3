"""What the experiments' figures and reports say, read from matplotlib's
objects and from the experiments' own helpers: titles, axis labels, labels
that do not overlap, class-labelled sample rows, importances only from
enough trials, trials stopped at the search's time limit, and a note when
word embeddings are too little trained to mean anything."""
from __future__ import annotations

import time

import optuna
import pytest
import torch

from dlkit.plots import projection_figure


def test_projection_labels_its_axes_and_no_two_labels_overlap() -> None:
    points = torch.randn(40, 2, generator=torch.Generator().manual_seed(0)) * 0.2  # a crowded cloud
    labels = [f"word{i}" for i in range(40)]
    fig = projection_figure(points, labels, title="skip-gram: PCA", groups=[str(i % 5) for i in range(40)])
    ax = fig.axes[0]
    assert ax.get_title() == "skip-gram: PCA"
    assert ax.get_xlabel() == "first principal component" and ax.get_ylabel() == "second principal component"
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert [t.get_text() for t in ax.texts] == labels
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert not overlapping


def test_sample_grids_label_each_row(tmp_path, monkeypatch) -> None:
    import dlkit.plots as plots

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: figures.append(fig) or path)
    plots.save_sample_grid(torch.zeros(6, 1, 28, 28), tmp_path / "g.png", nrow=2, title="step 3 of 9",
                           row_labels=["class 0", "class 1", "class 2"])
    ax = figures[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["class 0", "class 1", "class 2"]
    assert ax.get_title() == "step 3 of 9"
    with pytest.raises(ValueError, match="row_labels"):
        plots.save_sample_grid(torch.zeros(6, 1, 28, 28), tmp_path / "g.png", nrow=2, row_labels=["a"])


def test_the_conditional_gan_saves_grids_during_training_by_default(tmp_path) -> None:
    from torch.utils.data import TensorDataset

    from dlkit import impl as impl_loader
    from dlkit.data import load_digits_images
    from dlkit.experiments.conditional_gan import train_conditional_gan

    images, labels = load_digits_images().tensors
    data = TensorDataset(images[:64], labels[:64])
    train_conditional_gan(impl_loader.load_module("hw7/conditional_gan", "solutions"), data, n_epochs=2,
                          batch_size=16, out_dir=tmp_path, progress=False, device="cpu", z_dim=8)
    assert sorted(p.name for p in tmp_path.glob("samples_step_*.png")) == [
        "samples_step_000002.png", "samples_step_000004.png", "samples_step_000006.png"]


def _study(n: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), study_name="s")
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + 0.01 * t.suggest_float("y", -1, 1), n_trials=n)
    return study


def test_importances_need_enough_trials_and_say_why_not() -> None:
    from dlkit.experiments.optuna_report import importances

    found, why = importances(_study(9))
    assert found is None and "9 completed trial(s)" in why and "at least 10" in why
    found, why = importances(_study(30))
    assert why == "" and set(found) == {"x", "y"} and found["x"] > found["y"]


def test_study_figures_name_their_part_and_study(tmp_path, monkeypatch) -> None:
    import matplotlib.figure

    from dlkit.experiments.optuna_report import save_plots

    titles = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: titles.append(self._suptitle.get_text()) or real(self, *a, **k))
    save_plots(_study(30), tmp_path, "c", description="random sampler, median pruner")
    assert titles == ["part c (random sampler, median pruner): optimisation history\nstudy s",
                      "part c (random sampler, median pruner): hyperparameter importances\nstudy s"]


def test_a_trial_running_at_the_time_limit_is_stopped_there() -> None:
    from dlkit.experiments.optuna_search import TIME_LIMIT, WithDeadline
    from dlkit.splits import digits_splits

    data = WithDeadline(digits_splits(image_size=8), time.monotonic() + 0.5)
    assert data.n_classes == 10  # everything else is the data's own
    loader = data.train_loader()
    assert isinstance(loader, torch.utils.data.DataLoader) and len(loader) > 0
    batches = 0
    start = time.monotonic()
    with pytest.raises(optuna.TrialPruned, match=TIME_LIMIT):
        while True:  # epochs, as a trial that would run for ever
            for _ in loader:
                batches += 1
                time.sleep(0.01)
    assert batches > 0 and time.monotonic() - start < 1.5


def test_embeddings_that_all_point_one_way_are_called_too_little_trained() -> None:
    from dlkit.experiments.word2vec import COLLAPSED, mean_random_similarity

    common = torch.randn(1, 50)
    collapsed = common + 0.01 * torch.randn(200, 50)
    spread = torch.randn(200, 50)
    assert mean_random_similarity(collapsed) > COLLAPSED > mean_random_similarity(spread)
    assert abs(mean_random_similarity(spread)) < 0.1


def test_the_word2vec_data_comes_with_the_students_install() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    assert any(d.split("=")[0].split("<")[0].split(">")[0].strip() == "gensim" for d in project["dependencies"])
