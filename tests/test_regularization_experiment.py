"""The hw1 regularisation experiment: the k sweep's decomposition against
the measured test error, the L1 and L2 weight paths, the figures, the
summary and the exit statuses."""
from __future__ import annotations

import json

from dlkit import impl as impl_loader
from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.regularization import BIAS_VARIANCE, KS, PATHS, SUMMARY, TRUE_WEIGHTS, k_sweep, weight_paths
from tests.test_data_and_experiment import PNG_SIGNATURE


def test_registered() -> None:
    assert EXPERIMENTS["hw1/regularization"] == "dlkit.experiments.regularization"


def test_decomposition_matches_the_measured_error() -> None:
    solutions = impl_loader.load_module("hw1/regularization", "solutions")
    sweep = k_sweep(solutions, n_sets=20)
    assert sweep["k"] == list(KS)
    for b, v, n, t in zip(sweep["bias2"], sweep["variance"], sweep["noise"], sweep["test_error"]):
        assert abs(b + v + n - t) < 0.1 * t
    assert sweep["bias2"][-1] > 10 * sweep["bias2"][0] and sweep["variance"][0] > 2 * sweep["variance"][-1]


def test_l1_zeroes_and_l2_shrinks() -> None:
    solutions = impl_loader.load_module("hw1/regularization", "solutions")
    paths = weight_paths(solutions, n_strengths=5, steps=300)
    irrelevant = sum(1 for w in TRUE_WEIGHTS if w == 0)
    assert paths["l1_exact_zeros"][0] < irrelevant <= paths["l1_exact_zeros"][-1]
    assert max(paths["l2_exact_zeros"]) == 0
    assert abs(paths["l2"][-1][0]) < abs(paths["l2"][0][0])


def test_command_line(tmp_path, capsys) -> None:
    status = run_experiment("hw1/regularization", [
        "--impl", "solutions", "--n-sets", "3", "--strengths", "3", "--steps", "50", "--no-progress",
        "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    for name in (BIAS_VARIANCE, PATHS):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE
    assert json.loads((tmp_path / SUMMARY).read_text())["k_sweep"]["k"] == list(KS)


def test_command_line_failures(tmp_path, capsys) -> None:
    assert run_experiment("hw1/regularization", ["--impl", "assignments", "--quick", "--out", str(tmp_path)]) == 1
    assert "bias_variance is not implemented yet" in capsys.readouterr().err
    assert not (tmp_path / BIAS_VARIANCE).exists()
    assert run_experiment("hw1/regularization", ["--n-sets", "1"]) == 2
    assert "--n-sets" in capsys.readouterr().err
