"""The ``fastw2v`` command through click's CliRunner."""

import json
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from fastw2v import KeyedVectors, __version__, formats
from fastw2v.cli import main

from corpora import neighbour_purity, topic_corpus, write_corpus

FAST = ["--dim", "16", "--epochs", "3", "--min-count", "1", "--threads", "1", "-q"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    sentences, groups = topic_corpus(n_sentences=1500)
    return write_corpus(tmp_path_factory.mktemp("cli") / "corpus.txt", sentences), groups


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_error(result, message):
    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    assert message in result.output, result.output


def walk(group):
    yield group
    for command in getattr(group, "commands", {}).values():
        yield from walk(command)


def test_every_command_has_help_and_there_is_a_version():
    for command in walk(main):
        assert command.help and command.help.strip(), command.name
    for command in main.commands:
        assert run(command, "-h").exit_code == 0
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("name, binary", [("vectors.bin", True), ("vectors.txt", False), ("v.vec", False)])
def test_train_writes_word2vec_file_that_loads_back(tmp_path, corpus, name, binary):
    path, groups = corpus
    out = tmp_path / name
    result = run("train", path, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    kv = KeyedVectors.load_word2vec_format(out, binary=binary)
    assert kv.vectors.shape == (len(groups) + 4, 16)  # topic words + 4 function words
    # every word of the corpus, most frequent first, ties in order of first appearance
    counts = Counter(path.read_text().split())
    assert kv.index_to_key == sorted(counts, key=lambda w: -counts[w])
    # the rows are the trained vectors of those words: neighbours share the
    # planted topic (1.0 observed; random rows give about 0.15)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9


def test_a_gz_output_is_compressed_in_the_format_of_the_name_before_it(tmp_path, corpus):
    import gzip

    for name, binary in (("vectors.txt.gz", False), ("vectors.bin.gz", True)):
        out = tmp_path / name
        assert run("train", corpus[0], "-o", out, *FAST).exit_code == 0
        plain = tmp_path / "plain"
        plain.write_bytes(gzip.decompress(out.read_bytes()))
        assert formats.detect_binary(plain) is binary
        kv = KeyedVectors.load_word2vec_format(out, binary=binary)
        assert np.array_equal(kv.vectors, KeyedVectors.load_word2vec_format(plain, binary=binary).vectors)


def test_format_flag_overrides_the_extension(tmp_path, corpus):
    out = tmp_path / "vectors.txt"
    assert run("train", corpus[0], "-o", out, "--format", "binary", *FAST).exit_code == 0
    KeyedVectors.load_word2vec_format(out, binary=True)
    with pytest.raises(ValueError):
        KeyedVectors.load_word2vec_format(out, binary=False)


@pytest.mark.parametrize("shared", [False, True])
def test_train_skipgram_learns_and_reports(tmp_path, corpus, shared):
    path, groups = corpus
    out, report = tmp_path / "sg.bin", tmp_path / "report.json"
    flags = ["--shared-negatives"] if shared else []
    result = run("train", path, "-o", out, "--model", "skipgram", "--dim", "24", "--epochs", "6",
                 "--min-count", "1", "--threads", "2", "--report", report, *flags)
    assert result.exit_code == 0, result.output
    # the summary line names the speed and the loss
    assert "words/s" in result.output and "loss" in result.output
    kv = KeyedVectors.load_word2vec_format(out, binary=True)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9
    data = json.loads(report.read_text())
    assert data["vocab_size"] == len(kv)
    assert data["corpus_tokens"] == sum(len(line.split()) for line in path.read_text().splitlines())
    assert len(data["epoch_loss"]) == 6 and data["epoch_loss"][-1] < data["epoch_loss"][0]
    assert data["settings"]["model"] == "skipgram" and data["settings"]["alpha"] == 0.025
    assert data["settings"]["shared_negatives"] is shared
    assert set(data["phases"]) >= {"read", "train", "save", "total"}
    assert data["words_per_sec"] > 0 and data["version"] == __version__


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dim", "0"], "--dim"),
        (["--window", "0"], "--window"),
        (["--negative", "-1"], "--negative"),
        (["--epochs", "0"], "--epochs"),
        (["--threads", "0"], "--threads"),
        (["--sample", "-1"], "--sample"),
        (["--alpha", "-0.1"], "--alpha"),
        (["--min-count", "-3"], "--min-count"),
        (["--dim", "abc"], "'abc' is not a valid integer"),
        (["--model", "sg"], "'sg' is not one of"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, corpus, args, message):
    out = tmp_path / "v.bin"
    result = run("train", corpus[0], "-o", out, *args)
    assert_clean_error(result, message)
    assert not out.exists()


def test_bad_corpora_are_clear_errors(tmp_path, corpus):
    out = tmp_path / "v.bin"
    assert_clean_error(run("train", tmp_path / "missing.txt", "-o", out), "no such file")
    assert_clean_error(run("train", tmp_path, "-o", out), "no files in this directory")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n")
    assert_clean_error(run("train", empty, "-o", out), "empty")
    assert_clean_error(run("train", corpus[0], "-o", out, "--min-count", "100000"), "lower --min-count")
    one = tmp_path / "one.txt"
    one.write_text("same same same same same\n")
    assert_clean_error(run("train", one, "-o", out, "--min-count", "1"), "at least 2")
    assert not out.exists()


def test_unwritable_output_is_refused_before_training(tmp_path, corpus):
    mtime = corpus[0].stat().st_mtime_ns
    result = run("train", corpus[0], "-o", tmp_path / "no" / "such" / "dir" / "v.bin", *FAST)
    assert_clean_error(result, "does not exist")
    assert_clean_error(run("train", corpus[0], "-o", tmp_path, *FAST), "is a directory")
    assert_clean_error(run("train", corpus[0], "-o", corpus[0], *FAST), "corpus file itself")
    # the corpus is untouched: the very bytes the fixture wrote, never rewritten
    expected = write_corpus(tmp_path / "expected.txt", topic_corpus(n_sentences=1500)[0])
    assert corpus[0].read_bytes() == expected.read_bytes()
    assert corpus[0].stat().st_mtime_ns == mtime


def test_train_reads_several_files_and_directories(tmp_path, corpus):
    path, groups = corpus
    lines = path.read_text().splitlines()
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "2.txt").write_text("\n".join(lines[500:1000]))  # no newline at the end
    (parts / "1.txt").write_text("\n".join(lines[:500]) + "\n")
    (parts / ".notes").write_text("hidden hidden hidden\n" * 100)
    last = tmp_path / "last.txt"
    last.write_text("\n".join(lines[1000:]) + "\n")
    out, report = tmp_path / "v.txt", tmp_path / "r.json"
    result = run("train", parts, last, "-o", out, "--report", report, *FAST)
    assert result.exit_code == 0, result.output
    kv = KeyedVectors.load_word2vec_format(out, binary=False)
    assert "hidden" not in kv.key_to_index and len(kv) == len(groups) + 4
    assert json.loads(report.read_text())["corpus_tokens"] == sum(len(line.split()) for line in lines)


def test_output_that_is_one_of_the_corpora_is_refused(tmp_path, corpus):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(corpus[0].read_text())
    b.write_text(corpus[0].read_text())
    assert_clean_error(run("train", a, b, "-o", b, *FAST), "b.txt is the corpus file itself")
    link = tmp_path / "link.bin"
    link.symlink_to(b)
    assert_clean_error(run("train", a, tmp_path, "-o", link, *FAST), f"is the corpus file {b}")
    assert_clean_error(run("train", a, "-o", tmp_path / "v.bin", "--report", a, *FAST),
                       "a.txt is the corpus file itself")
    assert a.read_text() == b.read_text() == corpus[0].read_text()  # untouched


@pytest.mark.parametrize("make, message", [
    (lambda t, c: [c, t / "missing.txt"], "missing.txt: no such file"),
    (lambda t, c: [c, t / "empty"], "empty: no files in this directory"),
    (lambda t, c: ["-", c, "-"], "standard input can be read only once"),
])
def test_bad_corpus_lists_are_one_line_errors(tmp_path, corpus, make, message):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "v.bin"
    result = run("train", *make(tmp_path, corpus[0]), "-o", out, *FAST)
    assert_clean_error(result, message)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    assert_clean_error(run("train", "-o", out), "Missing argument 'CORPUS...'")


def test_query_commands_are_registered(tmp_path, corpus):
    out = tmp_path / "v.bin"
    assert run("train", corpus[0], "-o", out, *FAST).exit_code == 0
    result = run("similar", out, "t0w0", "--topn", "3")
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 3
    assert_clean_error(run("similar", out, "nosuchword"), "nosuchword")


def test_random_binary_data_trains_or_is_refused_cleanly(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    out = tmp_path / "v.bin"
    result = run("train", junk, "-o", out, *FAST)
    assert isinstance(result.exception, SystemExit) or result.exception is None, result.exception
    if result.exit_code == 0:
        assert len(KeyedVectors.load_word2vec_format(out, binary=True)) >= 2
    else:
        assert not out.exists()


def test_a_corpus_with_no_pair_to_train_says_so(tmp_path):
    # one word a line: every epoch had no example, and the run said "loss 0.0000"
    path = tmp_path / "one.txt"
    path.write_text("".join(f"w{i % 20}\n" for i in range(400)), encoding="utf-8")
    result = run("train", path, "-o", tmp_path / "v.bin", *[a for a in FAST if a != "-q"])
    assert result.exit_code == 0, result.output
    assert "nothing trained;" in result.output and "loss 0.0000;" not in result.output
    sentences, _ = topic_corpus(n_sentences=50)
    good = write_corpus(tmp_path / "good.txt", sentences)
    result = run("train", good, "-o", tmp_path / "v.bin", *[a for a in FAST if a != "-q"])
    assert result.exit_code == 0 and ", loss " in result.output and "nothing" not in result.output


def test_invalid_utf8_corpus_trains(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(("caf\xe9 cr\xe8me br\xfbl\xe9e " * 50 + "\n").encode("latin-1") * 20)
    out = tmp_path / "v.txt"
    result = run("train", bad, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    assert "caf\ufffd" in KeyedVectors.load_word2vec_format(out).key_to_index


def test_demo_trains_on_the_bundled_sample(tmp_path):
    out = tmp_path / "demo.bin"
    result = run("demo", "--epochs", "1", "--threads", "2", "-o", out)
    assert result.exit_code == 0, result.output
    for word in ("you:", "year:", "car:", "berlin : germany = paris : ?"):
        assert word in result.output
    assert len(KeyedVectors.load_word2vec_format(out, binary=True)) > 10_000
