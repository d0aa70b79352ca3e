"""CLI query commands through click's CliRunner: output format, help, clean errors."""

import gzip

import numpy as np
import pytest
from click.testing import CliRunner

from fastw2v.cli_query import analogy, evaluate, similar
from fastw2v.evaluation import BUNDLED_ANALOGIES, BUNDLED_WORD_PAIRS
from fastw2v.keyedvectors import KeyedVectors

COMMANDS = (similar, analogy, evaluate)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Native dir, text and binary files of one model covering the bundled evaluation words."""
    words = set()
    for line in open(BUNDLED_ANALOGIES, encoding="utf-8"):
        if not line.startswith(":"):
            words.update(line.lower().split())
    for line in open(BUNDLED_WORD_PAIRS, encoding="utf-8"):
        if not line.startswith("#"):
            words.update(w.lower() for w in line.split("\t")[:2])
    keys = sorted(words)
    vectors = np.random.default_rng(0).standard_normal((len(keys), 16)).astype(np.float32)
    kv = KeyedVectors(vectors, keys)
    folder = tmp_path_factory.mktemp("cli")
    kv.save(folder / "native")
    kv.save_word2vec_format(folder / "vectors.txt")
    kv.save_word2vec_format(folder / "vectors.bin", binary=True)
    (folder / "vectors.vec.gz").write_bytes(gzip.compress((folder / "vectors.txt").read_bytes()))
    return kv, folder


def run(command, args):
    return CliRunner().invoke(command, [str(a) for a in args])


def assert_clean_error(result, message):
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a crash
    assert "Traceback" not in result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    assert command.help and command.help.strip()
    for flag in ("-h", "--help"):
        result = run(command, [flag])
        assert result.exit_code == 0
        assert result.output.startswith("Usage:")
        assert command.help.strip().splitlines()[0] in " ".join(result.output.split())


@pytest.mark.parametrize("source", ["native", "vectors.txt", "vectors.bin", "vectors.vec.gz"])
def test_similar(model, source):
    kv, folder = model
    result = run(similar, [folder / source, "paris", "--topn", 4])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    expected = kv.most_similar("paris", topn=4)
    assert lines == [f"{word}\t{score:.4f}" for word, score in expected]


def test_analogy(model):
    kv, folder = model
    result = run(analogy, [folder / "native", "athens", "greece", "paris"])
    assert result.exit_code == 0, result.output
    expected = kv.most_similar(positive=["greece", "paris"], negative=["athens"], topn=5)
    assert result.output.splitlines() == [f"{word}\t{score:.4f}" for word, score in expected]
    assert len(run(analogy, [folder / "native", "athens", "greece", "paris", "--topn", 2]).output.splitlines()) == 2


def test_evaluate(model):
    kv, folder = model
    result = run(evaluate, [folder / "vectors.bin"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    score, sections = kv.evaluate_word_analogies()
    assert lines[0].startswith("capital-common-countries: ")
    total = sections[-1]
    n_total = len(total["correct"]) + len(total["incorrect"])
    assert f"Total accuracy: {100 * score:.1f}% ({len(total['correct'])}/{n_total})" in lines
    (pearson, _), (spearman, _), oov = kv.evaluate_word_pairs()
    assert lines[-3].startswith(f"pearson\t{pearson:.4f}\tp=")
    assert lines[-2].startswith(f"spearman\t{spearman:.4f}\tp=")
    assert lines[-1] == f"oov\t{oov:.1f}%"


def test_evaluate_custom_files(model, tmp_path):
    _, folder = model
    questions = tmp_path / "q.txt"
    questions.write_text(": mine\nathens greece paris france\n", encoding="utf-8")
    pairs = tmp_path / "p.tsv"
    pairs.write_text("king\tqueen\t8\ncat\tdog\t7\nbread\tbutter\t6\n", encoding="utf-8")
    result = run(evaluate, [folder / "native", "--analogies", questions, "--pairs", pairs,
                            "--restrict-vocab", 100000])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("mine: ") and lines[0].endswith("/1)")
    assert lines[-1] == "oov\t0.0%"


def test_errors(model, tmp_path):
    _, folder = model
    assert_clean_error(run(similar, [folder / "native", "notaword"]), "Key 'notaword' not present in vocabulary")
    assert_clean_error(run(analogy, [folder / "vectors.txt", "athens", "greece", "xyzzy"]), "Key 'xyzzy'")
    assert_clean_error(run(similar, [tmp_path / "missing.bin", "paris"]), "no such file")
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a vectors file\n", encoding="utf-8")
    assert_clean_error(run(similar, [bad, "paris"]), "not a word2vec file")
    truncated = tmp_path / "vectors.bin"
    truncated.write_bytes((folder / "vectors.bin").read_bytes()[:5000])
    assert_clean_error(run(similar, [truncated, "paris"]), "truncated: expected")
    empty_dir = tmp_path / "emptydir"
    empty_dir.mkdir()
    assert_clean_error(run(similar, [empty_dir, "paris"]), "no such file")
    assert_clean_error(run(evaluate, [folder / "native", "--analogies", tmp_path / "nope.txt"]), "nope.txt")
    assert_clean_error(run(evaluate, [folder / "native", "--pairs", tmp_path / "nope.tsv"]), "nope.tsv")
    usage = run(similar, [folder / "native", "paris", "--topn", 0])
    assert usage.exit_code == 2 and isinstance(usage.exception, SystemExit)


def test_damaged_values_and_a_zero_vector_are_clean_errors(tmp_path):
    # found printing "nan" neighbours with exit 0
    nan = tmp_path / "nan.txt"
    nan.write_text("3 2\na 1 2\nb nan 1\nc 2 1\n", encoding="utf-8")
    assert_clean_error(run(similar, [nan, "a"]), "nan.txt: line 3: the vector holds inf or NaN")
    zero = tmp_path / "zero.txt"
    zero.write_text("3 2\na 1 2\nz 0 0\nc 2 1\n", encoding="utf-8")
    assert_clean_error(run(similar, [zero, "z"]), "'z' has a zero vector")
    result = run(similar, [zero, "a"])
    assert result.exit_code == 0 and result.output.splitlines()[0] == "c\t0.8000"
