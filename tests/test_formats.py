"""word2vec text/binary and native formats: round trips, tricky files, errors, atomic writes, gensim."""

import os
import stat

import numpy as np
import pytest

from fastw2v import atomic, formats
from fastw2v import native as formats_native
from fastw2v.formats import VectorsFormatError, read_word2vec, write_word2vec
from fastw2v.keyedvectors import KeyedVectors


def sample(n=50, dim=7, seed=0):
    rng = np.random.default_rng(seed)
    keys = ["</s>", "café", "naïve", "日本"] + [f"w{i}" for i in range(n - 4)]
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors[5, :4] = [1e-30, -0.0, 12345.678, 1e-7]  # extremes must survive text exactly
    return keys, vectors


def binary_record(key, vec, newline=False):
    return key + b" " + np.asarray(vec, "<f4").tobytes() + (b"\n" if newline else b"")


def temp_leftovers(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_exact(tmp_path, binary):
    keys, vectors = sample()
    path = tmp_path / "v.w2v"
    write_word2vec(path, keys, vectors, binary=binary)
    for flag in (binary, None):
        got_keys, got = read_word2vec(path, binary=flag)
        assert got_keys == keys
        np.testing.assert_array_equal(got, vectors)
        assert got.dtype == np.float32
    assert formats.detect_binary(path) is binary
    got_keys, got = read_word2vec(path, limit=10, datatype=np.float16)
    assert got_keys == keys[:10] and got.dtype == np.float16


def test_keyedvectors_word2vec_methods(tmp_path):
    keys, vectors = sample()
    kv = KeyedVectors(vectors, keys)
    kv.save_word2vec_format(tmp_path / "v.txt")
    kv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    kv.save_word2vec_format(tmp_path / "glove.txt", write_header=False)
    assert (tmp_path / "v.txt").read_text(encoding="utf-8").startswith("50 7\n</s> ")
    for name, binary in (("v.txt", False), ("v.bin", True), ("v.bin", None)):
        loaded = KeyedVectors.load_word2vec_format(tmp_path / name, binary=binary)
        assert loaded.index_to_key == keys
        assert loaded.counts.tolist() == list(range(50, 0, -1))  # made up, as gensim does
        np.testing.assert_array_equal(loaded.vectors, vectors)
    glove = KeyedVectors.load_word2vec_format(tmp_path / "glove.txt", no_header=True)
    np.testing.assert_array_equal(glove.vectors, vectors)


def test_native_round_trip(tmp_path):
    keys, vectors = sample()
    counts = np.arange(50, dtype=np.int64) * 3
    kv = KeyedVectors(vectors, keys, counts)
    kv.save(tmp_path / "model")
    assert sorted(os.listdir(tmp_path / "model")) == ["meta.json", "vectors.npy", "vocab.txt"]
    loaded = KeyedVectors.load(tmp_path / "model")
    assert isinstance(loaded.vectors, np.memmap) or isinstance(loaded.vectors.base, np.memmap)
    assert not loaded.vectors.flags.writeable
    assert loaded.index_to_key == keys
    np.testing.assert_array_equal(loaded.vectors, vectors)
    np.testing.assert_array_equal(loaded.counts, counts)
    assert loaded.most_similar("café", topn=3) == kv.most_similar("café", topn=3)
    in_memory = KeyedVectors.load(tmp_path / "model", mmap=False)
    assert not isinstance(in_memory.vectors, np.memmap)
    # no counts, and saving over an existing model
    KeyedVectors(vectors[:3], keys[:3]).save(tmp_path / "model")
    again = KeyedVectors.load(tmp_path / "model")
    assert again.counts is None and again.index_to_key == keys[:3]


def test_native_float16(tmp_path):
    keys, vectors = sample()
    vectors[5] = 0.5
    KeyedVectors(vectors, keys).save(tmp_path / "half", dtype=np.float16)
    loaded = KeyedVectors.load(tmp_path / "half")
    assert loaded.vectors.dtype == np.float16
    np.testing.assert_allclose(loaded.vectors, vectors, rtol=1e-3, atol=1e-4)
    assert os.path.getsize(tmp_path / "half" / "vectors.npy") < vectors.nbytes * 0.6
    big = vectors.copy()
    big[0, 0] = 1e6
    with pytest.raises(ValueError, match="float16"):
        KeyedVectors(big, keys).save(tmp_path / "bad", dtype=np.float16)


def test_native_rejects_unstorable_keys_and_values(tmp_path):
    for key in ("a\nb", "a\rb"):
        with pytest.raises(ValueError, match="line break"):
            KeyedVectors(np.zeros((1, 2), np.float32), [key]).save(tmp_path / "m")
    with pytest.raises(ValueError, match="space or line break"):
        write_word2vec(tmp_path / "x.txt", ["a b"], np.zeros((1, 2)))
    nan = np.array([[1.0, np.nan]], np.float32)
    with pytest.raises(ValueError, match="vectors hold inf or NaN: nothing written"):
        write_word2vec(tmp_path / "x.txt", ["a"], nan)
    with pytest.raises(ValueError, match="vectors hold inf or NaN: not saved"):
        KeyedVectors(nan, ["a"]).save(tmp_path / "m")
    assert not os.listdir(tmp_path)
    # a tab is stored: the count is split off at a line's last tab
    kv = KeyedVectors(np.eye(2, dtype=np.float32), ["a\tb", "c"], np.array([3, 2]))
    kv.save(tmp_path / "m")
    back = KeyedVectors.load(tmp_path / "m")
    assert back.index_to_key == ["a\tb", "c"] and back.get_vecattr("a\tb", "count") == 3


# ---------------------------------------------------------------- tricky files

def test_text_variants(tmp_path):
    # CRLF, trailing spaces (word2vec.c, fastText), </s>, tab, no final newline, extra lines
    path = tmp_path / "tricky.vec"
    path.write_bytes(b"3 2 \r\n</s> 0.1 0.2 \r\nk\xc3\xa9 1e-3  -2\r\nlast\t3 4\n")
    keys, vecs = read_word2vec(path)
    assert keys == ["</s>", "ké", "last"]
    np.testing.assert_array_equal(vecs, np.array([[0.1, 0.2], [1e-3, -2], [3, 4]], np.float32))
    path.write_bytes(b"3 2\n</s> 0.1 0.2 \nk\xc3\xa9 1e-3 -2\nlast 3 4")
    keys, vecs = read_word2vec(path)
    assert keys == ["</s>", "ké", "last"]
    np.testing.assert_array_equal(vecs, np.array([[0.1, 0.2], [1e-3, -2], [3, 4]], np.float32))
    path.write_bytes(b"1 2\nonly 1 2\nignored line after the declared count\n")
    assert read_word2vec(path)[0] == ["only"]


def test_non_utf8_keys(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"2 2\ncaf\xe9 1 2\nok 3 4\n")
    keys, _ = read_word2vec(path)
    assert keys == ["caf\ufffd", "ok"]
    with pytest.raises(VectorsFormatError, match=r"latin1.txt: line 2: key is not valid"):
        KeyedVectors.load_word2vec_format(path)  # gensim's default: strict
    assert KeyedVectors.load_word2vec_format(path, unicode_errors="replace").index_to_key == keys
    path = tmp_path / "cut.bin"  # word2vec.c cuts long words inside a UTF-8 sequence
    path.write_bytes(b"2 2\n" + binary_record(b"\xe6\x97", [1, 2], True) + binary_record(b"x", [3, 4], True))
    assert read_word2vec(path)[0] == ["\ufffd", "x"]


def test_duplicate_keys_keep_first(tmp_path, caplog):
    path = tmp_path / "dup.txt"
    path.write_bytes(b"3 1\na 1\nb 2\na 3\n")
    keys, vecs = read_word2vec(path)
    assert keys == ["a", "b"] and vecs[:, 0].tolist() == [1, 2]
    assert "duplicate key 'a'" in caplog.text


def test_lines_beyond_the_header_count_are_left_with_a_warning(tmp_path, caplog):
    # gensim reads such a file silently; a binary one is refused (bytes after the records)
    path = tmp_path / "more.txt"
    path.write_bytes(b"2 1\na 1\nb 2\nc 3\n")
    keys, _ = read_word2vec(path)
    assert keys == ["a", "b"]
    assert "more lines follow the 2 vectors that the header announces" in caplog.text
    caplog.clear()
    path.write_bytes(b"2 1\na 1\nb 2\n\n")
    assert read_word2vec(path)[0] == ["a", "b"] and "more lines" not in caplog.text


@pytest.mark.parametrize("newline", [False, True])
def test_binary_variants(tmp_path, newline):
    keys, vectors = [b"</s>", b"caf\xc3\xa9", b"z"], np.arange(9, dtype=np.float32).reshape(3, 3)
    body = b"".join(binary_record(k, v, newline) for k, v in zip(keys, vectors))
    path = tmp_path / "v.bin"
    path.write_bytes(b"3 3\n" + body)
    got_keys, got = read_word2vec(path, binary=True)
    assert got_keys == ["</s>", "café", "z"]
    np.testing.assert_array_equal(got, vectors)
    assert formats.detect_binary(path)
    path.write_bytes(b"3 3\r\n" + body.rstrip(b"\n"))  # CRLF header, no final newline
    np.testing.assert_array_equal(read_word2vec(path)[1], vectors)


# ---------------------------------------------------------------- errors

def test_truncated_and_malformed(tmp_path):
    keys, vectors = sample(n=20, dim=4)
    path = tmp_path / "vectors.bin"
    write_word2vec(path, keys, vectors, binary=True)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(VectorsFormatError, match=r"^vectors.bin: truncated: expected 20 vectors of dim 4, found 9$"):
        read_word2vec(path, binary=True)
    path.write_bytes(data[:-2])
    with pytest.raises(VectorsFormatError, match="found 19"):
        read_word2vec(path)
    text = tmp_path / "x.txt"
    text.write_bytes(b"3 4\na 1 2 3 4\nb 1 2\nc 1 2 3 4\n")
    with pytest.raises(VectorsFormatError, match=r"^x.txt: line 3: expected 5 fields, got 3$"):
        read_word2vec(text, binary=False)
    text.write_bytes(b"2 2\na 1 2\nb 1 oops\n")
    with pytest.raises(VectorsFormatError, match=r"x.txt: line 3: invalid number"):
        read_word2vec(text, binary=False)
    text.write_bytes(b"5 2\na 1 2\nb 1 2\n")
    with pytest.raises(VectorsFormatError, match="x.txt: truncated: expected 5 vectors of dim 2, found 2"):
        read_word2vec(text)
    for header in (b"hello world\n", b"3\n", b"", b"-1 4\n"):
        text.write_bytes(header + b"a 1 2\n")
        with pytest.raises(VectorsFormatError, match=r"x.txt: not a word2vec file: header must be '<count> <dim>'"):
            read_word2vec(text)
    with pytest.raises(FileNotFoundError):
        read_word2vec(tmp_path / "missing.txt")


def test_vectors_holding_inf_or_nan_are_refused(tmp_path):
    # every cosine with such a vector is NaN: a damaged file, said so at the line
    text = tmp_path / "x.txt"
    for value in (b"nan", b"inf", b"-inf", b"1e39"):  # 1e39 overflows float32
        text.write_bytes(b"3 2\na 1 2\nb 1 " + value + b"\nc 1 2\n")
        with pytest.raises(VectorsFormatError, match=r"^x.txt: line 3: the vector holds inf or NaN$"):
            read_word2vec(text)
    text.write_bytes(b"a 1 2\nb nan 2\n")
    with pytest.raises(VectorsFormatError, match="line 2: the vector holds inf or NaN"):
        read_word2vec(text, no_header=True)
    keys, vectors = sample(n=8, dim=4)
    vectors[3, 1] = np.nan
    path = tmp_path / "v.bin"
    with open(path, "wb") as fh:  # as another program would write it
        fh.write(b"8 4\n")
        for key, row in zip(keys, vectors):
            fh.write(key.encode() + b" " + row.astype("<f4").tobytes())
    with pytest.raises(VectorsFormatError, match=r"^v.bin: vector 4: the vector holds inf or NaN$"):
        KeyedVectors.load_word2vec_format(path, binary=True)
    text.write_bytes(b"2 2\na 1 2\nb 70000 2\n")
    assert read_word2vec(text)[1][1, 0] == 70000
    with pytest.raises(VectorsFormatError, match="line 3: a value exceeds the range of float16"):
        read_word2vec(text, datatype=np.float16)


def test_a_negative_or_fractional_limit_is_refused(tmp_path):
    keys, vectors = sample(n=8, dim=4)
    path = tmp_path / "v.txt"
    write_word2vec(path, keys, vectors)
    for limit in (-1, 2.5):
        with pytest.raises(ValueError, match="limit must be a whole number of vectors"):
            KeyedVectors.load_word2vec_format(path, limit=limit)
    assert len(KeyedVectors.load_word2vec_format(path, limit=np.int64(2))) == 2
    # as gensim (`if limit:`), limit=0 is no limit: `limit=args.limit or 0` read nothing
    assert len(KeyedVectors.load_word2vec_format(path, limit=0)) == 8


def test_an_integer_datatype_is_refused(tmp_path):
    # it made every value in (-1, 1) a 0: all vectors zero, every similarity NaN
    keys, vectors = sample(n=8, dim=4)
    path = tmp_path / "v.txt"
    write_word2vec(path, keys, vectors)
    for datatype in (np.int32, "int8", object):
        with pytest.raises(ValueError, match="datatype must be a floating-point type"):
            KeyedVectors.load_word2vec_format(path, datatype=datatype)


def test_blank_lines_in_a_headerless_file_are_refused_not_the_end(tmp_path):
    # reading stopped at the first blank line: the vectors after it were silently lost
    path = tmp_path / "glove.txt"
    path.write_text("a 1 2\nb 3 4\n\nc 5 6\nd 7 8\n", encoding="utf-8")
    with pytest.raises(VectorsFormatError, match="glove.txt: line 3 is blank, and vectors follow"):
        read_word2vec(path, no_header=True)
    path.write_text("\na 1 2\nb 3 4\n", encoding="utf-8")  # loaded as 0 vectors of dim 1
    with pytest.raises(VectorsFormatError, match="line 1 is blank, and vectors follow"):
        read_word2vec(path, no_header=True)
    path.write_text("", encoding="utf-8")
    with pytest.raises(VectorsFormatError, match="no vectors: the file is empty"):
        read_word2vec(path, no_header=True)
    path.write_text("a 1 2\nb 3 4\n\n\n", encoding="utf-8")  # blank lines at the end: fine
    keys, vectors = read_word2vec(path, no_header=True)
    assert keys == ["a", "b"] and vectors.tolist() == [[1, 2], [3, 4]]
    assert read_word2vec(path, no_header=True, limit=1)[0] == ["a"]


def test_a_byte_order_mark_before_the_header_or_first_key_is_skipped(tmp_path):
    keys, vectors = sample(n=8, dim=4)
    plain, bom = tmp_path / "v.txt", tmp_path / "bom.txt"
    write_word2vec(plain, keys, vectors)
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert read_word2vec(bom)[0] == keys
    write_word2vec(plain, keys, vectors, write_header=False)
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert read_word2vec(bom, no_header=True)[0] == keys


@pytest.mark.parametrize("dim", [1, 2])
def test_binary_files_of_a_small_dim_with_printable_bytes_are_read(tmp_path, dim):
    # b"AAA>" is the float32 0.188...: the first record looked like text, and the file
    # was refused even with binary=True (1 random file in 16 at dim 1)
    printable = np.frombuffer(b"AAA>", "<f4")[0]
    vectors = np.array([[printable] * dim, [-0.5] * dim, [0.25] * dim], np.float32)
    path = tmp_path / "v.bin"
    write_word2vec(path, ["w0", "w1", "w2"], vectors, binary=True)
    for binary in (True, None):
        keys, got = read_word2vec(path, binary=binary)
        assert keys == ["w0", "w1", "w2"] and np.array_equal(got, vectors)
    rng = np.random.default_rng(0)
    for scale in (0.3, 1e5):  # unnormalised vectors too (1e5: 1 file in 12 was refused)
        for _ in range(200):
            vectors = (scale * rng.standard_normal((5, dim))).astype(np.float32)
            write_word2vec(path, [f"w{i}" for i in range(5)], vectors, binary=True)
            assert np.array_equal(read_word2vec(path)[1], vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_gzip_compressed_files_read_as_the_plain_ones(tmp_path, binary):
    # fastText publishes .vec.gz, which gensim reads; told by the content, not the name
    import gzip

    keys, vectors = sample(n=30, dim=5)
    plain = tmp_path / "v.plain"
    write_word2vec(plain, keys, vectors, binary=binary)
    packed = tmp_path / "v.any"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for kind in (None, binary):
        got_keys, got = read_word2vec(packed, binary=kind)
        assert got_keys == keys and np.array_equal(got, vectors)
    assert formats.detect_binary(packed) is binary
    assert len(KeyedVectors.load_word2vec_format(packed, binary=binary, limit=4)) == 4
    if not binary:
        headerless = tmp_path / "glove.txt.gz"
        headerless.write_bytes(gzip.compress(b"".join(plain.read_bytes().splitlines(True)[1:])))
        got_keys, got = read_word2vec(headerless, no_header=True)
        assert got_keys == keys and np.array_equal(got, vectors)
    data = packed.read_bytes()
    packed.write_bytes(data[:len(data) // 2])
    with pytest.raises(VectorsFormatError, match=r"^v.any: damaged gzip data"):
        read_word2vec(packed)
    packed.write_bytes(data[:10] + bytes(200) + data[210:])
    with pytest.raises(VectorsFormatError, match=r"^v.any: damaged gzip data"):
        read_word2vec(packed)


@pytest.mark.parametrize("binary", [False, True])
def test_a_gz_name_is_written_compressed_and_appends_as_one_more_member(tmp_path, binary):
    import gzip

    keys, vectors = sample(n=40, dim=5)
    path = tmp_path / "v.out.gz"
    write_word2vec(path, keys[:25], vectors[:25], binary=binary, total_vec=40)
    write_word2vec(path, keys[25:], vectors[25:], binary=binary, write_header=False, append=True)
    plain = tmp_path / "v.out"
    write_word2vec(plain, keys, vectors, binary=binary)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes()) == plain.read_bytes()
    got_keys, got = read_word2vec(path)
    assert got_keys == keys and np.array_equal(got, vectors)


def test_native_errors(tmp_path):
    keys, vectors = sample(n=10, dim=4)
    model = tmp_path / "m"
    KeyedVectors(vectors, keys, np.ones(10)).save(model)
    vocab = (model / "vocab.txt").read_text(encoding="utf-8")
    (model / "vocab.txt").write_text("".join(vocab.splitlines(True)[:4]), encoding="utf-8")
    with pytest.raises(VectorsFormatError, match="vocab.txt: truncated: expected 10 keys, found 4"):
        KeyedVectors.load(model)
    data = (model / "vectors.npy").read_bytes()
    (model / "vectors.npy").write_bytes(data[:-10])
    for mmap in (True, False):
        with pytest.raises(VectorsFormatError, match="vectors.npy: not a valid .npy file"):
            KeyedVectors.load(model, mmap=mmap)
    bad = vectors.copy()
    bad[7, 0] = np.inf
    np.save(model / "vectors.npy", bad)
    with pytest.raises(VectorsFormatError, match="vectors.npy: holds inf or NaN"):
        KeyedVectors.load(model, mmap=False)
    np.save(model / "vectors.npy", vectors[:5])
    with pytest.raises(VectorsFormatError, match=r"vectors.npy: holds float32 \(5, 4\), meta.json says float32 \(10, 4\)"):
        KeyedVectors.load(model)
    (model / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(VectorsFormatError, match="meta.json: invalid JSON"):
        KeyedVectors.load(model)
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load(tmp_path / "nothing")


# ---------------------------------------------------------------- atomic writes

class FailingFile:
    """File wrapper whose write raises once `limit` bytes have been written."""

    def __init__(self, f, limit):
        self._f, self._left = f, limit

    def write(self, data):
        self._left -= len(data)
        if self._left < 0:
            raise OSError("disk full (simulated)")
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def fail_after(monkeypatch, limit):
    real_fdopen = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: FailingFile(real_fdopen(*a, **k), limit))


@pytest.mark.parametrize("binary", [False, True])
def test_failed_word2vec_write_keeps_old_file(tmp_path, monkeypatch, binary):
    keys, vectors = sample(n=3000, dim=20)
    path = tmp_path / "v.out"
    path.write_bytes(b"old content")
    monkeypatch.setattr(formats, "_TEXT_CHUNK_BYTES", 4096)  # many chunks: fail in the middle
    fail_after(monkeypatch, 50_000)
    with pytest.raises(OSError, match="simulated"):
        write_word2vec(path, keys, vectors, binary=binary)
    assert path.read_bytes() == b"old content"
    assert temp_leftovers(tmp_path) == []


def test_failed_rename_or_fsync(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    path.write_bytes(b"old")
    for target in ("replace", "fsync"):
        with monkeypatch.context() as m:
            m.setattr(atomic.os, target, lambda *a: (_ for _ in ()).throw(OSError(f"{target} failed")))
            with pytest.raises(OSError, match=f"{target} failed"):
                write_word2vec(path, ["a"], np.ones((1, 2)))
        assert path.read_bytes() == b"old" and temp_leftovers(tmp_path) == []


def test_failed_native_save(tmp_path, monkeypatch):
    keys, vectors = sample()
    kv = KeyedVectors(vectors, keys)
    fail_after(monkeypatch, 100)
    with pytest.raises(OSError, match="simulated"):
        kv.save(tmp_path / "new")
    assert os.listdir(tmp_path) == []  # no half-built directory, no temp directory
    monkeypatch.undo()
    kv.save(tmp_path / "model")
    before = {name: (tmp_path / "model" / name).read_bytes() for name in os.listdir(tmp_path / "model")}
    fail_after(monkeypatch, 100)
    with pytest.raises(OSError):
        KeyedVectors(vectors * 2, keys).save(tmp_path / "model")
    monkeypatch.undo()
    after = {name: (tmp_path / "model" / name).read_bytes() for name in os.listdir(tmp_path / "model")}
    assert after == before
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "model").vectors, vectors)


@pytest.mark.parametrize("renameat2", [True, False])
def test_a_native_save_over_saved_vectors_replaces_them_whole_or_not_at_all(tmp_path, monkeypatch,
                                                                          renameat2):
    # the files were replaced one by one: a failure at the third left the new vectors
    # under the old words, loaded without a word
    keys, vectors = sample()
    path = tmp_path / "model"
    KeyedVectors(vectors, keys).save(path)
    before = {name: (path / name).read_bytes() for name in os.listdir(path)}
    if not renameat2:  # the two renames used where the system cannot swap two paths
        import ctypes
        monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    real = atomic.atomic_write
    calls = []

    def third_fails(target, *args, **kwargs):
        calls.append(target)
        if len(calls) == 3:
            raise OSError("simulated: disk full")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(formats_native, "atomic_write", third_fails)
    with pytest.raises(OSError, match="simulated"):
        KeyedVectors(vectors * 2, keys).save(path)
    assert {name: (path / name).read_bytes() for name in os.listdir(path)} == before
    monkeypatch.setattr(formats_native, "atomic_write", real)
    KeyedVectors(vectors[:5] * 3, keys[:5]).save(path)
    again = KeyedVectors.load(path, mmap=False)
    assert again.index_to_key == keys[:5] and np.array_equal(again.vectors, vectors[:5] * 3)
    assert sorted(os.listdir(tmp_path)) == ["model"]  # the old directory is gone


def test_a_native_save_through_a_link_or_where_no_swap_is_possible(tmp_path, monkeypatch):
    import errno

    keys, vectors = sample()
    KeyedVectors(vectors, keys).save(tmp_path / "d1")
    os.symlink(tmp_path / "d1", tmp_path / "link")
    KeyedVectors(vectors[:4], keys[:4]).save(tmp_path / "link")  # the link was replaced
    assert os.path.islink(tmp_path / "link")
    assert KeyedVectors.load(tmp_path / "d1").index_to_key == keys[:4]
    assert sorted(os.listdir(tmp_path)) == ["d1", "link"]
    # a mount point or the current directory cannot be swapped (EBUSY): rewritten in place
    def busy(new, path):
        raise OSError(errno.EBUSY, "Device or resource busy", path)

    monkeypatch.setattr(atomic, "_exchange", busy)
    KeyedVectors(vectors[:6], keys[:6]).save(tmp_path / "d1")
    assert KeyedVectors.load(tmp_path / "d1").index_to_key == keys[:6]
    assert sorted(os.listdir(tmp_path)) == ["d1", "link"]


def test_the_two_rename_swap_puts_the_old_directory_back_when_the_second_fails(tmp_path,
                                                                            monkeypatch):
    import ctypes

    keys, vectors = sample()
    path = tmp_path / "v"
    KeyedVectors(vectors, keys).save(path)
    monkeypatch.setattr(ctypes, "CDLL", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    real, calls = os.rename, []

    def second_fails(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError(28, "simulated: no space")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "rename", second_fails)
    with pytest.raises(OSError, match="simulated"):
        KeyedVectors(vectors[:3], keys[:3]).save(path)
    monkeypatch.setattr(atomic.os, "rename", real)
    assert KeyedVectors.load(path).index_to_key == keys  # (the path had disappeared)
    assert sorted(os.listdir(tmp_path)) == ["v"]


def test_a_native_save_into_a_folder_of_other_files_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "vocab.txt").write_text("my notes\n")
    keys, vectors = sample()
    with pytest.raises(atomic.OutputPathError, match="holds other files, not saved vectors"):
        KeyedVectors(vectors, keys).save(folder)
    assert os.listdir(folder) == ["vocab.txt"] and (folder / "vocab.txt").read_text() == "my notes\n"
    (tmp_path / "empty").mkdir()
    KeyedVectors(vectors, keys).save(tmp_path / "empty")
    assert KeyedVectors.load(tmp_path / "empty").index_to_key == keys
    # a folder of saved vectors with the user's files beside them: the swap removed them
    KeyedVectors(vectors, keys).save(tmp_path / "mixed")
    (tmp_path / "mixed" / "NOTES.md").write_text("notes")
    with pytest.raises(atomic.OutputPathError, match="holds other files"):
        KeyedVectors(vectors[:3], keys[:3]).save(tmp_path / "mixed")
    assert (tmp_path / "mixed" / "NOTES.md").read_text() == "notes"
    assert KeyedVectors.load(tmp_path / "mixed").index_to_key == keys
    (tmp_path / "g.kv").write_bytes(b"\x80\x04gensim pickle")  # a NotADirectoryError before
    with pytest.raises(atomic.OutputPathError, match="g.kv exists and is not a directory"):
        KeyedVectors(vectors, keys).save(tmp_path / "g.kv")
    assert (tmp_path / "g.kv").read_bytes() == b"\x80\x04gensim pickle"


def test_written_file_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic._UMASK = None
        write_word2vec(tmp_path / "v.txt", ["a"], np.ones((1, 2)))
        KeyedVectors(np.ones((1, 2), np.float32), ["a"]).save(tmp_path / "m")
    finally:
        os.umask(old)
        atomic._UMASK = None
    assert stat.S_IMODE(os.stat(tmp_path / "v.txt").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "m").st_mode) == 0o755


# ---------------------------------------------------------------- gensim interop

@pytest.fixture(scope="module")
def zipf_vectors():
    """Keys ordered by a Zipf-like frequency with vectors whose norm shrinks with rank."""
    rng = np.random.default_rng(5)
    n, dim = 400, 16
    keys = ["</s>"] + [f"tok{i}_é" for i in range(n - 1)]
    vectors = (rng.standard_normal((n, dim)) / np.sqrt(1 + np.arange(n))[:, None]).astype(np.float32)
    return keys, vectors


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])  # gensim compresses a .gz name, and reads one
def test_gensim_reads_ours_and_we_read_gensims(tmp_path, zipf_vectors, binary, suffix):
    gensim = pytest.importorskip("gensim")
    keys, vectors = zipf_vectors
    ours_path, theirs_path = tmp_path / ("ours" + suffix), tmp_path / ("theirs" + suffix)
    write_word2vec(ours_path, keys, vectors, binary=binary)
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(ours_path), binary=binary)
    assert theirs.index_to_key == keys
    np.testing.assert_array_equal(theirs.vectors, vectors)
    theirs.save_word2vec_format(str(theirs_path), binary=binary)
    got_keys, got = read_word2vec(theirs_path)  # detected
    assert got_keys == keys
    np.testing.assert_array_equal(got, vectors)


def test_gensim_reads_word2vec_c_style_binary(tmp_path, zipf_vectors):
    gensim = pytest.importorskip("gensim")
    keys, vectors = zipf_vectors
    path = tmp_path / "c.bin"
    path.write_bytes(f"{len(keys)} {vectors.shape[1]}\n".encode()
                     + b"".join(binary_record(k.encode(), v, True) for k, v in zip(keys, vectors)))
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=True)
    got_keys, got = read_word2vec(path)
    assert got_keys == theirs.index_to_key == keys
    np.testing.assert_array_equal(got, theirs.vectors)


# ---------------------------------------------------------------- inconsistent files (issue 13)

def test_text_file_with_a_key_with_a_space_or_a_wrong_dim_is_refused(tmp_path):
    # item 4: such files were read as binary garbage
    path = tmp_path / "x.vec"
    for data, message in (
            (b"2 3\nnew york 0.1 0.2 0.3\nb 0.4 0.5 0.6\n", "expected a key and 3 numbers .* got 5 fields"),
            (b"2 2\na 0.1 0.2 0.3\nb 0.4 0.5 0.6\n", "expected a key and 2 numbers"),
            # the right number of fields, one not a number: named (it said "got 3 fields")
            (b"2 2\na 1,5 2\nb 0.4 0.5\n", "invalid number in b'1,5 2'"),
            # a key with a space at dim 1 is not taken for binary records either
            (b"2 1\nnew york 0.1\nb 0.4\n", "expected a key and 1 numbers")):
        path.write_bytes(data)
        with pytest.raises(VectorsFormatError, match=r"^x.vec: line 2: " + message):
            read_word2vec(path)


def test_the_wrong_kind_given_explicitly_is_refused(tmp_path):
    keys, vectors = sample(n=50, dim=10)
    text, binary = tmp_path / "v.txt", tmp_path / "v.bin"
    write_word2vec(text, keys, vectors, binary=False)
    write_word2vec(binary, keys, vectors, binary=True)
    with pytest.raises(VectorsFormatError, match="line 2 is text: a word2vec text file, not binary"):
        read_word2vec(text, binary=True)
    with pytest.raises(VectorsFormatError, match="binary data after the header"):
        read_word2vec(binary, binary=False)


def test_binary_with_a_wrong_header_dim_is_refused(tmp_path):
    keys, vectors = sample(n=20, dim=8)
    path = tmp_path / "v.bin"
    write_word2vec(path, keys, vectors, binary=True)
    data = path.read_bytes()
    path.write_bytes(b"20 6" + data[data.index(b"\n"):])  # a wrong dim: records misread
    with pytest.raises(VectorsFormatError, match="follow the 20 vectors of dim 6 that the header "
                                                 "announces: its count or dim is wrong"):
        read_word2vec(path, binary=True)
    path.write_bytes(b"20 8" + data[data.index(b"\n"):] + b"\x00\x01junk")
    with pytest.raises(VectorsFormatError, match="follow the 20 vectors of dim 8"):
        read_word2vec(path, binary=True)


def test_binary_with_a_header_counting_too_few_reads_them_with_a_warning(tmp_path, caplog):
    # as gensim reads it (its save_word2vec_format(total_vec=...) writes such files), and as
    # a text file with more lines is read
    keys, vectors = sample(n=20, dim=8)
    path = tmp_path / "v.bin"
    write_word2vec(path, keys, vectors, binary=True)
    data = path.read_bytes()
    path.write_bytes(b"10 8" + data[data.index(b"\n"):])
    got_keys, got = read_word2vec(path, binary=True)
    assert got_keys == keys[:10] and np.array_equal(got, vectors[:10])
    assert "more vectors follow the 10 that the header announces" in caplog.text
    assert len(read_word2vec(path, binary=True, limit=5)[0]) == 5  # a limit reads only the start


@pytest.mark.parametrize("binary", [True, False])
def test_an_absurd_header_does_not_allocate(tmp_path, binary):
    # item 11: 10**12 words or 10**9 dims used to be a MemoryError
    keys, vectors = sample(n=6, dim=4)
    keys, vectors = keys[:3], vectors[:3]
    path = tmp_path / "v.bin"
    write_word2vec(path, keys, vectors, binary=binary)
    body = path.read_bytes().split(b"\n", 1)[1]
    path.write_bytes(b"1000000000000 4\n" + body)
    with pytest.raises(VectorsFormatError, match="expected 1000000000000 vectors of dim 4, found 3"):
        read_word2vec(path, binary=binary)
    path.write_bytes(b"3 1000000000\n" + body)
    with pytest.raises(VectorsFormatError, match="(truncated|line 2)"):
        read_word2vec(path, binary=binary)


# ---------------------------------------------------------------- vocabulary files

def test_vocab_counts_round_trip_and_errors(tmp_path):
    path = tmp_path / "v.vocab"
    formats.write_vocab_counts(path, ["a", "日本"], [3, 10], prefix="x_")
    assert path.read_text(encoding="utf-8") == "x_a 3\nx_日本 10\n"
    assert formats.read_vocab_counts(path) == {"x_a": 3, "x_日本": 10}
    formats.write_vocab_counts(path, ["b"], [1], append=True)
    assert formats.read_vocab_counts(path) == {"x_a": 3, "x_日本": 10, "b": 1}
    with pytest.raises(ValueError, match="space or line break"):
        formats.write_vocab_counts(path, ["a b"], [1])
    path.write_bytes(b"a 1\nb two\n")
    with pytest.raises(VectorsFormatError, match=r"v.vocab: line 2: expected 'key count'"):
        formats.read_vocab_counts(path)
    path.write_bytes(b"caf\xe9 1\n")
    with pytest.raises(formats.KeyDecodeError, match="v.vocab: line 1: key is not valid"):
        formats.read_vocab_counts(path)
    assert formats.read_vocab_counts(path, unicode_errors="replace") == {"caf\ufffd": 1}


def test_write_word2vec_order(tmp_path):
    keys, vectors = sample(n=6)
    write_word2vec(tmp_path / "v.txt", keys, vectors, order=[5, 0, 1, 2, 3, 4])
    got_keys, got = read_word2vec(tmp_path / "v.txt")
    assert got_keys == [keys[5]] + keys[:5]
    np.testing.assert_array_equal(got, vectors[[5, 0, 1, 2, 3, 4]])
    with pytest.raises(ValueError, match="permutation"):
        write_word2vec(tmp_path / "v.txt", keys, vectors, order=[0, 0, 1, 2, 3, 4])
