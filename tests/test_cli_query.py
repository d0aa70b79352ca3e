"""CLI query commands through click's CliRunner: output format, help, clean errors."""

import gzip
import os

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
    # a zero vector is no one's neighbour (it printed "z nan"), and no analogy term
    result = run(similar, [zero, "a", "--topn", 5])
    assert result.exit_code == 0 and result.output.splitlines() == ["c\t0.8000"]
    assert_clean_error(run(analogy, [zero, "z", "a", "c"]), "'z' has a zero vector")
    # a model directory is memory-mapped, which the library leaves unchecked
    kv = KeyedVectors(np.array([[1, 2], [np.nan, 1], [2, 1]], np.float32), ["a", "b", "c"])
    KeyedVectors(np.ones((3, 2), np.float32), ["a", "b", "c"]).save(tmp_path / "native")
    np.save(tmp_path / "native" / "vectors.npy", kv.vectors)
    assert_clean_error(run(similar, [tmp_path / "native", "a"]), "hold inf or NaN")


def test_keys_with_tabs_are_read_and_shown_on_one_line(tmp_path):
    # the writers allow a tab in a key; the format check refused such a file, and a key
    # with a tab or a line break broke the word<TAB>score lines
    path = tmp_path / "tab.txt"
    KeyedVectors(np.array([[1, 2], [3, 4], [5, 6]], np.float32), ["a\tb", "c", "\x0bd"]) \
        .save_word2vec_format(path)
    result = run(similar, [path, "c", "--topn", 2])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["\\x0bd\t0.9987", "a\\tb\t0.9839"]


def test_files_gensim_users_bring_are_read_or_named(model, tmp_path):
    import bz2
    import lzma
    import pickle

    kv, folder = model
    text = (folder / "vectors.txt").read_bytes()
    for name, data in (("v.txt.bz2", bz2.compress(text)), ("v.txt.xz", lzma.compress(text)),
                       ("bom.txt", b"\xef\xbb\xbf" + text)):  # gensim reads the first two
        (tmp_path / name).write_bytes(data)
        result = run(similar, [tmp_path / name, "paris", "--topn", 3])
        assert result.exit_code == 0, result.output
        assert result.output == run(similar, [folder / "vectors.txt", "paris", "--topn", 3]).output
    (tmp_path / "cut.xz").write_bytes(lzma.compress(text)[:200])
    assert_clean_error(run(similar, [tmp_path / "cut.xz", "paris"]), "damaged xz data")
    (tmp_path / "g.kv").write_bytes(pickle.dumps({"a": 1}, protocol=4))  # as gensim's save()
    assert_clean_error(run(similar, [tmp_path / "g.kv", "paris"]), "a Python pickle")
    (tmp_path / "noise.bin").write_bytes(bytes(range(256)))
    result = run(similar, [tmp_path / "noise.bin", "paris"])
    assert_clean_error(result, "binary data where the header '<count> <dim>' should be")


def test_evaluate_reads_pairs_from_a_pipe_and_checks_them_before_the_analogies(model, tmp_path):
    import threading

    _, folder = model
    fifo = tmp_path / "pairs.fifo"
    os.mkfifo(fifo)  # as bash's <(...) gives: not a regular file, and said "no such file"
    feeder = threading.Thread(target=lambda: fifo.write_text("king\tqueen\t8\ncat\tdog\t7\n"
                                                             "bread\tbutter\t6\n"))
    feeder.start()
    result = run(evaluate, [folder / "native", "--pairs", fifo])
    if feeder.is_alive():  # the command never read it: release the writer
        fifo.read_text()
    feeder.join()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "oov\t0.0%"
    one = tmp_path / "one.tsv"
    one.write_text("king\tqueen\t8\n", encoding="utf-8")
    analogies = tmp_path / "never.txt"
    analogies.write_text(": capitals\nathens greece paris france\n", encoding="utf-8")
    result = run(evaluate, [folder / "native", "--pairs", one, "--analogies", analogies])
    assert_clean_error(result, "only 1 word pair of")
    assert "capitals" not in result.output  # the analogies were not run first
