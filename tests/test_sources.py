"""Corpora from streams, compressed files and odd encodings (fastw2v.sources)."""

import bz2
import gzip
import lzma
import os
import random
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from fastw2v.cli import main
from fastw2v.corpus import CorpusError, scan_corpus, scan_sentences
from fastw2v.sources import corpus_paths

TEXT = "the cat sat\nthe dog ran\n"
WORDS = [["the", "cat", "sat"], ["the", "dog", "ran"]]


def sentences(scan):
    ids, words, out, pos = scan.ids, scan.words, [], 0
    for n in scan.sentence_lengths:
        out.append([words[i] for i in ids[pos:pos + n]])
        pos += n
    return out


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress, gzip.compress])
def test_bz2_xz_and_gzip_are_unpacked(tmp_path, compress):
    # item 14: bz2 and xz used to train on their raw bytes
    path = tmp_path / "c.dat"
    path.write_bytes(compress(TEXT.encode() * 3))
    assert sentences(scan_corpus(path)) == WORDS * 3


def test_text_that_starts_like_bzip2_is_read_as_text(tmp_path):
    # "BZh" then a letter: refused as "damaged bz2 data" (bzip2's 4th byte is 1-9)
    path = tmp_path / "c.txt"
    path.write_bytes(b"BZhang visited the river bank\nthe river was wide\n")
    assert sentences(scan_corpus(path)) == [["BZhang", "visited", "the", "river", "bank"],
                                            ["the", "river", "was", "wide"]]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_damaged_compressed_data_is_a_corpus_error(tmp_path, compress):
    # item 7: zlib.error (and the others) became tracebacks
    # seeded: with os.urandom one bz2 stream in many happened to survive the damage
    text = random.Random(7).randbytes(3000).hex().encode() + b"\n"
    data = bytearray(compress(text))
    data[len(data) // 2: len(data) // 2 + 16] = b"\x00" * 16
    path = tmp_path / "bad"
    path.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match="^.*bad: (damaged|truncated)"):
        scan_corpus(path)
    result = CliRunner().invoke(main, ["train", str(path), "-o", str(tmp_path / "v.bin")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_utf8_bom_is_stripped_and_wide_encodings_refused(tmp_path, monkeypatch):
    # item 15: the BOM stuck to the first word; item 14: UTF-16 trained junk
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode())
    assert sentences(scan_corpus(path)) == WORDS
    monkeypatch.setattr("fastw2v.corpus.MIN_PART_BYTES", 8)  # parallel parts skip it too
    assert sentences(scan_corpus(path, threads=3)) == WORDS
    for encoding, name in (("utf-16", "UTF-16"), ("utf-32", "UTF-32")):
        path.write_bytes(TEXT.encode(encoding))
        with pytest.raises(CorpusError, match=f"{name} text; convert it to UTF-8"):
            scan_corpus(path)
    path.write_bytes(TEXT.encode("utf-16-le"))  # no BOM: NUL bytes give it away
    with pytest.raises(CorpusError, match="binary data"):
        scan_corpus(path)


def test_binary_files_are_refused(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"some header\x00\x00\x01\x02" * 100)
    with pytest.raises(CorpusError, match="binary data"):
        scan_corpus(path)
    path.write_bytes(b"PK\x03\x04" + b"x" * 100)
    with pytest.raises(CorpusError, match="zip archive"):
        scan_corpus(path)


def test_fifo_is_read_in_one_pass(tmp_path):
    # item 8: open_corpus used to seek
    fifo = tmp_path / "corpus.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as fh:
            fh.write(gzip.compress(TEXT.encode()))

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert sentences(scan_corpus(fifo, threads=4)) == WORDS
    finally:
        writer.join(timeout=10)


def test_stdin_dash_and_dev_stdin_from_a_pipe(tmp_path):
    # item 8, through the real command and a pipe
    text = ("alpha beta gamma delta\n" * 200).encode()
    for source in ("-", "/dev/stdin"):
        out = tmp_path / "v.txt"
        proc = subprocess.run(
            [sys.executable, "-m", "fastw2v", "train", source, "-o", str(out), "--dim", "4",
             "--epochs", "1", "--min-count", "1", "--threads", "1"],
            input=text, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr.decode()
        assert out.read_text().startswith("4 4\n")
        out.unlink()


def test_bad_sentences_are_type_errors_naming_the_sentence():
    # item 16
    with pytest.raises(TypeError, match="sentence 1: sentences must be lists of str tokens, not bytes"):
        scan_sentences([["a"], b"a b"])
    with pytest.raises(TypeError, match="sentence 2: tokens must be str, not int"):
        scan_sentences([["a"], ["b"], ["c", 5]])
    with pytest.raises(TypeError, match="sentence 0: tokens must be str, not NoneType"):
        scan_sentences([[None]])
    with pytest.raises(TypeError, match="sentence 0: unhashable"):
        scan_sentences([[["nested"]]])


# --- several files, directories (fastw2v.sources.corpus_paths) ---


def test_corpus_paths_expands_directories_in_name_order(tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    for name in ("b.txt", "a.txt", "10.txt", "2.txt", ".hidden", ".#a.txt"):  # created out of order
        (d / name).write_text(name + "\n")
    (d / "sub").mkdir()
    (d / "sub" / "deep.txt").write_text("deep\n")  # not recursive
    (d / "link.txt").symlink_to(d / "a.txt")  # a link to a file is a file
    one = tmp_path / "one.txt"
    one.write_text("x\n")
    names = ["10.txt", "2.txt", "a.txt", "b.txt", "link.txt"]
    assert corpus_paths(d) == [str(d / n) for n in names]
    assert corpus_paths([one, str(d), "-", one]) == [str(one)] + [str(d / n) for n in names] + ["-", str(one)]
    assert corpus_paths("-") == ["-"]


@pytest.mark.parametrize("spec, message", [
    (lambda t: t / "missing.txt", "missing.txt: no such file"),
    (lambda t: [t / "a.txt", t / "missing.txt"], "missing.txt: no such file"),
    (lambda t: t / "empty", "empty: no files in this directory"),
    (lambda t: [t / "a.txt", t / "empty"], "empty: no files in this directory"),
    (lambda t: t / "hidden_only", "hidden_only: no files in this directory"),
    (lambda t: ["-", t / "a.txt", "-"], "standard input can be read only once"),
    (lambda t: [], "no corpus files given"),
])
def test_bad_corpus_specs_are_one_line_errors(tmp_path, spec, message):
    (tmp_path / "a.txt").write_text("a b\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "hidden_only").mkdir()
    (tmp_path / "hidden_only" / ".cache").write_text("a b\n")
    (tmp_path / "hidden_only" / "sub").mkdir()
    with pytest.raises(CorpusError) as info:
        scan_corpus(spec(tmp_path))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_files_end_ends_its_last_line(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("the cat\nsat on")  # no newline at the end
    b.write_text("the mat\n")
    assert sentences(scan_corpus([a, b])) == [["the", "cat"], ["sat", "on"], ["the", "mat"]]
    a.write_text("the cat sat")  # one token less than a chunk away from b's first
    assert sentences(scan_corpus([a, b, a], chunk_bytes=4)) == [
        ["the", "cat", "sat"], ["the", "mat"], ["the", "cat", "sat"]]


def test_a_directory_reads_its_files_in_sorted_order_and_skips_dot_files(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "b.txt").write_text("bee bee\n")
    (d / "a.txt").write_text("ant\nant bee\n")
    (d / ".a.txt.swp").write_text("junk junk junk\n")
    (d / "c.txt.gz").write_bytes(gzip.compress(b"cat\n"))
    scan = scan_corpus(d)
    assert sentences(scan) == [["ant"], ["ant", "bee"], ["bee", "bee"], ["cat"]]
    assert scan.words == ["ant", "bee", "cat"] and scan.counts.tolist() == [2, 3, 1]


def test_compressed_and_plain_files_mix_in_one_list(tmp_path):
    lines = [f"w{i} w{i % 7} common" for i in range(60)]
    chunks = [lines[0:15], lines[15:30], lines[30:45], lines[45:60]]
    paths = []
    for (name, compress), chunk in zip([("a.gz", gzip.compress), ("b.bz2", bz2.compress),
                                        ("c.xz", lzma.compress), ("d.txt", bytes)], chunks):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(compress("\n".join(chunk).encode() + b"\n"))
    scan = scan_corpus(paths)
    assert sentences(scan) == [line.split() for line in lines]
    assert scan.words[:3] == ["w0", "common", "w1"]


def test_standard_input_in_a_list(tmp_path, monkeypatch):
    a = tmp_path / "a.txt"
    a.write_text("one two\n")
    read_fd, write_fd = os.pipe()
    os.write(write_fd, gzip.compress(b"three one\nfour"))
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": pipe})())
        scan = scan_corpus([a, "-", a])
    assert sentences(scan) == [["one", "two"], ["three", "one"], ["four"], ["one", "two"]]


def test_standard_input_redirected_from_a_large_file_is_read_once(tmp_path, monkeypatch):
    # a regular file behind "-" has a size, but cannot be reopened by name to be read in parts
    # (this used to open a file called "-" and fail with "-: cannot read")
    monkeypatch.setattr("fastw2v.corpus.MIN_PART_BYTES", 8)
    path = tmp_path / "c.txt"
    path.write_text(TEXT * 50)
    with open(path, "rb") as fh:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": fh})())
        assert sentences(scan_corpus("-", threads=3)) == WORDS * 50


def test_every_file_is_checked_before_any_is_read(tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "model.bin"
    good.write_text(TEXT)
    bad.write_bytes(b"header\x00\x00\x01" * 10)
    calls = []
    with pytest.raises(CorpusError, match="model.bin: binary data"):
        scan_corpus([good, good, bad], progress=lambda *a: calls.append(a))
    assert calls == []  # nothing was read


def test_progress_covers_all_the_files(tmp_path, monkeypatch):
    monkeypatch.setattr("fastw2v.corpus.MIN_PART_BYTES", 64)
    a, b, c = tmp_path / "a.txt", tmp_path / "b.gz", tmp_path / "c.txt"
    a.write_text(TEXT * 20)  # read in parts
    b.write_bytes(gzip.compress(TEXT.encode() * 3))
    c.write_text(TEXT)
    total = sum(p.stat().st_size for p in (a, b, c))
    calls = []
    scan = scan_corpus([a, b, c], progress=lambda *args: calls.append(args), threads=2)
    assert {call[1] for call in calls} == {total}
    assert calls[-1] == (total, total, scan.n_tokens) == (total, total, 6 * 24)
    done = [call[0] for call in calls]
    assert done == sorted(done)
