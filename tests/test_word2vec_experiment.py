"""Word-similarity data, the hw7 word2vec experiment and its benchmark's smoke mode."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch

from dlkit.experiments import EXPERIMENTS, run_experiment
from dlkit.experiments.word2vec import PROJECTION, pca_2d, run, supported_kwargs
from dlkit.plots import save_projection
from dlkit.wordsim import evaluate_similarity, load_lee_corpus, load_word_pairs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "word2vec_vs_gensim.py"
needs_gensim = pytest.mark.skipif(
    importlib.util.find_spec("gensim") is None, reason='gensim: pip install -e ".[dev]"'
)


@pytest.fixture
def one_thread():
    """Train with one intra-op thread: with two, a 2-core machine running
    anything else makes the small per-batch ops of word2vec many times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@needs_gensim
@pytest.mark.parametrize("name, count", [("wordsim353", 353), ("simlex999", 999)])
def test_load_word_pairs(name, count):
    pairs = load_word_pairs(name)
    assert len(pairs) == count
    assert all(a == a.lower() and b == b.lower() and isinstance(s, float) for a, b, s in pairs)
    assert all(0.0 <= s <= 10.0 for _, _, s in pairs)


def test_load_word_pairs_rejects_unknown_names():
    with pytest.raises(ValueError, match="wordsim353"):
        load_word_pairs("rareword")


@needs_gensim
def test_load_lee_corpus():
    one = load_lee_corpus()
    assert len(one.split()) > 50_000 and one == one.strip()
    assert load_lee_corpus(2) == one + "\n" + one
    with pytest.raises(ValueError):
        load_lee_corpus(0)


def test_missing_gensim_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim.test.utils", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install -e \.$"):
        load_word_pairs("wordsim353")


def synthetic_pairs(n: int = 12) -> tuple[torch.Tensor, dict[str, int], list[tuple[str, str, float]]]:
    """Word a_i at angle 0 and b_i at an angle that shrinks as the gold score
    grows, so cosine similarity is monotone in the score; 2-D float32."""
    scores = torch.linspace(0.0, 10.0, n)
    angles = (1.0 - scores / 10.0) * math.pi * 0.9
    rows, stoi, pairs = [], {}, []
    for i, (score, angle) in enumerate(zip(scores.tolist(), angles.tolist())):
        stoi[f"a{i}"], stoi[f"b{i}"] = len(rows), len(rows) + 1
        rows += [[2.0, 0.0], [math.cos(angle) * (i + 1), math.sin(angle) * (i + 1)]]
        pairs.append((f"a{i}", f"b{i}", score))
    return torch.tensor(rows), stoi, pairs


def test_evaluate_similarity_is_one_for_monotone_similarities():
    embeddings, stoi, pairs = synthetic_pairs()
    rho, coverage, used = evaluate_similarity(embeddings, stoi, pairs[::-1])
    assert rho == pytest.approx(1.0) and coverage == 1.0 and used == len(pairs)


def test_evaluate_similarity_skips_missing_words():
    embeddings, stoi, pairs = synthetic_pairs(12)
    with_missing = pairs + [("a0", "unknown", 5.0), ("nothing", "b1", 1.0), ("x", "y", 3.0)]
    rho, coverage, used = evaluate_similarity(embeddings, stoi, with_missing)
    assert rho == pytest.approx(1.0)
    assert used == 12 and coverage == pytest.approx(12 / 15)
    rho, coverage, used = evaluate_similarity(embeddings, stoi, [("x", "y", 3.0)])
    assert math.isnan(rho) and coverage == 0.0 and used == 0


def test_evaluate_similarity_survives_zero_vectors():
    embeddings, stoi, pairs = synthetic_pairs(6)
    embeddings[stoi["b2"]] = 0.0
    rho, _, _ = evaluate_similarity(embeddings, stoi, pairs)
    assert not math.isnan(rho)


def test_pca_2d_keeps_the_spread():
    t = torch.linspace(-1, 1, 9)
    line = torch.stack([t, 2 * t, -t], dim=1) + 5.0  # points on a line, off the origin
    points = pca_2d(line)
    assert points.shape == (9, 2) and points.dtype == torch.float32
    assert points[:, 1].abs().max() < 1e-4
    assert points[:, 0].abs().max() == pytest.approx(6**0.5, rel=1e-4)


def test_save_projection(tmp_path):
    path = save_projection(torch.randn(4, 2), list("abcd"), tmp_path / "p" / "x.png",
                           title="t", groups=["g", "g", "h", "h"])
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="N, 2"):
        save_projection(torch.randn(4, 3), list("abcd"), tmp_path / "y.png")
    with pytest.raises(ValueError, match="labels"):
        save_projection(torch.randn(4, 2), list("abc"), tmp_path / "y.png")


def test_supported_kwargs():
    def trainer(corpus, window_size, embedding_dim, num_epochs, learning_rate, seed=0):
        pass

    def flexible(*args, **kwargs):
        pass

    assert supported_kwargs(trainer, {"seed": 1, "sample": 1e-3}) == ({"seed": 1}, ["sample"])
    assert supported_kwargs(flexible, {"sample": 1e-3}) == ({"sample": 1e-3}, [])


def test_experiment_is_registered():
    assert EXPERIMENTS["hw7/word2vec"] == "dlkit.experiments.word2vec"
    assert run_experiment("hw7/word2vec", ["--impl", "/nonexistent"]) == 2


def test_demo_prints_the_nearest_words(capsys):
    assert run(["--impl", "solutions", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "learn →" in out and "deep →" in out


@needs_gensim
def test_tiny_corpus_run(tmp_path, capsys, one_thread):
    out = tmp_path / "run"
    status = run(["--repeat", "1", "--epochs", "1", "--dim", "16", "--out", str(out),
                  "--no-progress", "--impl", "solutions"])
    assert status == 0
    assert (out / PROJECTION).read_bytes().startswith(PNG_SIGNATURE)
    text = capsys.readouterr().out
    assert "wordsim353: Spearman" in text and "simlex999: Spearman" in text
    assert "fire →" in text and str(out / PROJECTION) in text


def test_usage_and_loading_errors(tmp_path, capsys):
    assert run(["--impl", "/nonexistent"]) == 2
    assert "/nonexistent" in capsys.readouterr().err
    assert run(["--epochs", "0", "--impl", "solutions"]) == 2
    assert run(["--device", "nonsense", "--impl", "solutions"]) == 2


@needs_gensim
def test_unfinished_trainer_exits_1(tmp_path, capsys):
    stub = tmp_path / "impl" / "hw7" / "word2vec.py"
    stub.parent.mkdir(parents=True)
    stub.write_text(
        "from solutions.hw7.word2vec import *\n"
        "def train_word2vec(corpus, window_size, embedding_dim, num_epochs, learning_rate):\n"
        "    raise NotImplementedError\n"
    )
    assert run(["--impl", str(tmp_path / "impl"), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "train_word2vec is not implemented" in captured.err
    assert "takes no min_count" in captured.out  # the optional settings it lacks are named


@needs_gensim
def test_benchmark_quick_mode(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("word2vec_vs_gensim", BENCHMARK)
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    report = tmp_path / "bench.json"
    assert benchmark.main(["--quick", "--seeds", "1", "--seed-pairs", "20", "--threads", "1",
                           "--json", str(report)]) == 0
    result = json.loads(report.read_text())
    assert set(result["trainers"]) == {"reference", "gensim"}
    assert all(t["tokens_per_s"] > 0 for t in result["trainers"].values())
    assert result["seed_loop"]["pairs_per_s"] > 0 and result["ratio"] > 0
    assert "ratio reference/gensim" in capsys.readouterr().out


def _tokenize_grade(variant_name: str | None, directory: Path):
    """The tokenize item's grade for the reference (None) or one of its mutants."""
    from dlkit.grading.runner import grade
    from tests.variants import load_variants, write_variant

    if variant_name is None:
        impl = directory / "hw7"
        impl.mkdir(parents=True)
        (impl / "word2vec.py").write_text(
            (Path(__file__).resolve().parents[1] / "solutions" / "hw7" / "word2vec.py").read_text(encoding="utf-8"),
            encoding="utf-8",
        )
    else:
        (variant,) = [v for v in load_variants("mutants", "hw7/word2vec") if v.name == variant_name]
        write_variant(directory, variant)
    results = grade(["hw7/word2vec"], str(directory), items=["tokenize"])
    return next(i for i in results.items if i.item == "tokenize")


def test_tokenize_graded_the_same_without_nltk_data(tmp_path, monkeypatch):
    """tokenize needs no nltk downloads (word_tokenize(text, preserve_line=True)):
    the reference keeps full marks and a tokenize that needs punkt gets the
    sentence saying so, with NLTK_DATA pointing at an empty folder; the
    graders empty nltk's data path themselves, so a machine that has punkt
    grades the same."""
    (tmp_path / "nltk_data").mkdir()
    monkeypatch.setenv("NLTK_DATA", str(tmp_path / "nltk_data"))
    reference = _tokenize_grade(None, tmp_path / "reference")
    assert reference.score == reference.max_score > 0, reference.first_failure
    needs_punkt = _tokenize_grade("tokenize_needs_punkt", tmp_path / "needs_punkt")
    assert needs_punkt.score == 0
    assert "preserve_line=True" in needs_punkt.first_failure
    assert "downloaded data" in needs_punkt.first_failure
