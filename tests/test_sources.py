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
