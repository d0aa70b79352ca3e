import gzip

import numpy as np
import pytest

from fastw2v import corpus as corpus_module
from fastw2v.corpus import CorpusError, scan_corpus, split_points
from fastw2v.vocab import build_corpus, select_vocabulary


def decode(scanned):
    """Sentences of the scan as lists of words."""
    words = [scanned.words[i] for i in scanned.ids]
    out, pos = [], 0
    for n in scanned.sentence_lengths:
        out.append(words[pos:pos + n])
        pos += n
    return out


def test_lines_are_sentences_and_blank_lines_vanish(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b  c\n\n  \t\nb a\r\nc\n")
    s = scan_corpus(p)
    assert decode(s) == [["a", "b", "c"], ["b", "a"], ["c"]]
    assert s.words == ["a", "b", "c"]
    assert s.counts.tolist() == [2, 2, 2]


@pytest.mark.parametrize("chunk", [3, 7, 64, 1 << 20])
def test_chunking_never_splits_tokens_or_lines(tmp_path, chunk):
    rng = np.random.default_rng(0)
    vocab = ["w%d" % i for i in range(50)] + ["longwordxyz" * 3, "é", "日本"]
    lines = [[vocab[i] for i in rng.integers(0, len(vocab), rng.integers(1, 30))] for _ in range(200)]
    p = tmp_path / "c.txt"
    p.write_text("\n".join(" ".join(line) for line in lines), encoding="utf-8")
    assert decode(scan_corpus(p, chunk_bytes=chunk)) == lines


def test_one_huge_line_is_not_truncated(tmp_path):
    # gensim cuts sentences at 10,000 tokens; we keep the whole line.
    tokens = ["t%d" % (i % 997) for i in range(60_000)]
    p = tmp_path / "one.txt"
    p.write_text(" ".join(tokens))
    s = scan_corpus(p, chunk_bytes=4096)
    assert s.sentence_lengths.tolist() == [60_000]
    assert [s.words[i] for i in s.ids[:5]] == tokens[:5]
    assert [s.words[i] for i in s.ids[-3:]] == tokens[-3:]


def test_invalid_utf8_is_replaced_not_fatal_and_said(tmp_path, caplog):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"caf\xe9 ok \xff\xfe ok\n")
    s = scan_corpus(p)
    assert s.words == ["caf\ufffd", "ok", "\ufffd\ufffd"]
    assert s.counts.tolist() == [1, 2, 1]
    # (a latin-1 corpus merged its accented words without a word)
    assert "bad.txt: 2 distinct words (2 occurrences) are not valid UTF-8" in caplog.text
    caplog.clear()
    p.write_bytes("café ok\n".encode())
    scan_corpus(p)
    assert "UTF-8" not in caplog.text


def test_words_holding_unicode_spaces_are_said(tmp_path, caplog):
    # U+3000 or U+00A0 between words: one token a line, trained at loss 0, in silence
    from fastw2v import Word2Vec

    p = tmp_path / "spaced.txt"
    p.write_text("".join("a\u3000b\u3000c\n" if i % 2 else "d e f\n" for i in range(20)),
                 encoding="utf-8")
    Word2Vec(corpus_file=p, min_count=1, epochs=1, threads=1)
    assert "1 words of the vocabulary hold Unicode spaces" in caplog.text
    assert "'a\\u3000b\\u3000c'" in caplog.text
    caplog.clear()
    p.write_text("d e f\n" * 20, encoding="utf-8")
    Word2Vec(corpus_file=p, min_count=1, epochs=1, threads=1)
    assert "Unicode spaces" not in caplog.text


def test_gzip_is_read_transparently(tmp_path):
    p = tmp_path / "c.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("x y z\nz y\n")
    assert decode(scan_corpus(p)) == [["x", "y", "z"], ["z", "y"]]


def test_bad_paths_and_empty_corpora(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        scan_corpus(tmp_path / "missing.txt")
    with pytest.raises(CorpusError, match="no files in this directory"):
        scan_corpus(tmp_path)  # a directory is its files; this one has none
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n\t\n")
    with pytest.raises(CorpusError, match="empty"):
        scan_corpus(empty)


def test_vocabulary_order_is_count_then_first_appearance():
    words = ["c", "a", "b", "d", "e"]
    counts = np.array([2, 5, 2, 1, 5])
    vocab, remap = select_vocabulary(words, counts, min_count=2)
    assert vocab.index_to_key == ["a", "e", "c", "b"]
    assert vocab.counts.tolist() == [5, 5, 2, 2]
    assert remap.tolist() == [2, 0, 3, -1, 1]
    assert vocab.key_to_index["b"] == 3
    capped, _ = select_vocabulary(words, counts, min_count=1, max_vocab_size=3)
    assert capped.index_to_key == ["a", "e", "c"]


def test_encoding_drops_rare_words_and_keeps_sentence_bounds(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b rare a\nqq\nb b a\n")
    vocab, corpus = build_corpus(p, min_count=2)
    assert vocab.index_to_key == ["a", "b"]
    assert corpus.raw_tokens == 8
    assert corpus.ids.dtype == np.int32
    assert corpus.ids.tolist() == [0, 1, 0, 1, 1, 0]
    # the line holding only "qq" leaves no sentence behind
    assert corpus.sentence_starts.tolist() == [0, 3, 6]


def test_min_count_that_removes_everything_is_a_clear_error(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("a b c a\n")
    with pytest.raises(CorpusError, match="min_count=3"):
        build_corpus(p, min_count=3)


def test_in_memory_sentences():
    vocab, corpus = build_corpus([["a", "b"], [], ["b", "c", "b"]], min_count=1)
    assert vocab.index_to_key == ["b", "a", "c"]
    assert corpus.sentence_starts.tolist() == [0, 2, 5]
    # a list of str names files; a list mixing str and token lists is bad sentences
    with pytest.raises(CorpusError, match="^a b c: no such file$"):
        build_corpus(["a b c"], min_count=1)
    with pytest.raises(TypeError, match="sentence 1: sentences must be lists of str tokens"):
        build_corpus([["a", "b"], "a b c"], min_count=1)


def _same_scan(a, b):
    assert a.ids.tolist() == b.ids.tolist()
    assert a.counts.tolist() == b.counts.tolist()
    assert a.sentence_lengths.tolist() == b.sentence_lengths.tolist()
    assert a.words == b.words


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_parallel_parts_give_the_single_thread_result(tmp_path, monkeypatch, threads):
    # Many short lines, blank lines, a line of one long token and one very
    # long line: with parts of ~1 KiB every kind of cut occurs (inside a
    # line, on a newline, in a run of blank lines, inside the long line).
    rng = np.random.default_rng(threads)
    vocab = ["w%d" % i for i in range(300)] + ["é", "日本", "x" * 3000]
    lines = []
    for _ in range(400):
        n = int(rng.integers(0, 12))
        lines.append(" ".join(vocab[i] for i in rng.integers(0, len(vocab), n)))
    lines.insert(200, " ".join(vocab[i] for i in rng.integers(0, 300, 2000)))
    text = "\n".join(lines) + "  \n\n"
    p = tmp_path / "c.txt"
    p.write_text(text, encoding="utf-8")
    one = scan_corpus(p, chunk_bytes=256)
    monkeypatch.setattr(corpus_module, "MIN_PART_BYTES", 1024)
    many = scan_corpus(p, chunk_bytes=256, threads=threads)
    _same_scan(one, many)
    assert decode(many) == [line.split() for line in lines if line.split()]


def test_parallel_parts_of_one_line_and_of_bad_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "MIN_PART_BYTES", 64)
    p = tmp_path / "one.txt"
    tokens = ["t%d" % (i % 37) for i in range(5000)]
    p.write_text(" ".join(tokens))  # no newline at all
    s = scan_corpus(p, chunk_bytes=100, threads=4)
    assert s.sentence_lengths.tolist() == [5000]
    assert [s.words[i] for i in s.ids] == tokens
    # invalid bytes in different parts decode alike and are merged
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok \xff " * 200 + b"\n" + b"ok \xfe " * 200 + b"\n")
    one = scan_corpus(bad)
    _same_scan(one, scan_corpus(bad, threads=3))
    assert one.words == ["ok", "\ufffd"]
    assert one.counts.tolist() == [400, 400]


def test_split_points_and_join_lines(tmp_path):
    p = tmp_path / "c.txt"
    p.write_bytes(b"aaaa bbbb\ncccc dddd")
    with open(p, "rb") as fh:
        cuts = split_points(fh, 19, 4)
    assert cuts[0] == 0 and cuts[-1] == 19 and cuts == sorted(cuts)
    for c in cuts[1:-1]:  # each inner cut follows a whitespace byte
        assert p.read_bytes()[c - 1:c] in (b" ", b"\n")
    with open(p, "rb") as fh:
        assert split_points(fh, 19, 1) == [0, 19]


def test_words_valid_only_when_joined_are_still_replaced(tmp_path):
    # "\xe2" + "\x82\xac" is the euro sign, but each word alone is invalid
    p = tmp_path / "c.txt"
    p.write_bytes(b"\xe2 \x82\xac \xe2\x82\xac\n")
    s = scan_corpus(p)
    assert s.words == ["\ufffd", "\ufffd\ufffd", "\u20ac"]


def test_decode_picks_any_subset_of_words_in_any_order():
    from fastw2v.tokenizer import ByteVocab

    state = ByteVocab()
    state.feed("é a 日本 bb caf\xe9 a zz\n".encode("utf-8") + b"x\xff y\n")
    raw = state.raw_words()
    picks = [4, 0, 2, 2, 6, 5, 1]
    assert state.decode(picks) == [raw[i].decode("utf-8", "replace") for i in picks]
    assert state.decode([2, 0]) == ["日本", "é"]
    assert state.decode(np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("threads", [1, 3])
def test_several_files_read_as_their_concatenation(tmp_path, monkeypatch, threads):
    # Plain files large enough to be read in parts (the second after a run of
    # files read in turn), small ones, gzip files, the last one's tokens far
    # beyond the room reserved for it (two a compressed byte).
    monkeypatch.setattr(corpus_module, "MIN_PART_BYTES", 512)
    rng = np.random.default_rng(threads)
    words = ["w%d" % i for i in range(400)] + ["é", "日本"]

    def random_lines(n):
        return [" ".join(words[i] for i in rng.integers(0, len(words), rng.integers(0, 15)))
                for _ in range(n)]

    files = [(random_lines(300), None), (random_lines(20), None), (random_lines(100), gzip.compress),
             (random_lines(300), None), (["a"] * 50 + random_lines(10), None),
             (["a b"] * 3000, gzip.compress)]
    paths = []
    for k, (lines, compress) in enumerate(files):
        data = "".join(line + "\n" for line in lines).encode()
        paths.append(tmp_path / f"part{k}")
        paths[-1].write_bytes(compress(data) if compress else data)
    lines = [line for chunk, _ in files for line in chunk]
    whole = tmp_path / "whole.txt"
    whole.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    one = scan_corpus(whole, chunk_bytes=256)
    many = scan_corpus(paths, chunk_bytes=256, threads=threads)
    _same_scan(one, many)
    assert decode(many) == [line.split() for line in lines if line.split()]
    (vocab1, corpus1), (vocab2, corpus2) = (build_corpus(s, min_count=2, threads=threads)
                                            for s in (whole, paths))
    assert vocab1.index_to_key == vocab2.index_to_key
    assert vocab1.counts.tolist() == vocab2.counts.tolist()
    assert corpus1.ids.tolist() == corpus2.ids.tolist()
    assert corpus1.sentence_starts.tolist() == corpus2.sentence_starts.tolist()
    assert corpus1.raw_tokens == corpus2.raw_tokens == sum(len(line.split()) for line in lines)


def test_build_corpus_takes_a_list_of_paths_and_names_it_in_errors(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("x y\n")
    b.write_text("y z\n")
    vocab, corpus = build_corpus((a, str(b)), min_count=1)
    assert vocab.index_to_key == ["y", "x", "z"] and len(corpus) == 4
    with pytest.raises(CorpusError, match=r"a.txt \(and 1 more\): no word occurs at least min_count=3"):
        build_corpus([a, b], min_count=3)
