"""Reading and writing word vectors in the word2vec formats.

Three kinds of file are read and written:

* **word2vec text** (also fastText's ``.vec``): a header line ``"<count> <dim>"``, then one
  line per key: the key, a space, and ``dim`` decimal numbers separated by spaces.
* **word2vec binary** (``word2vec.c -binary 1``): the same header line, then for each key
  its UTF-8 bytes, one space, ``dim`` little-endian float32 values (``4 * dim`` raw bytes),
  and, as ``word2vec.c`` writes but gensim does not, an optional ``"\\n"``.
* **word2vec vocabulary** (``word2vec.c -save-vocab``, gensim's ``fvocab``): one
  ``key count`` line per key, UTF-8.

fastw2v's own directory format is in :mod:`fastw2v.native`.

Every write is atomic (:func:`fastw2v.atomic.atomic_write`): the data goes to a temporary
file in the destination folder, is flushed and fsync'ed, and only then renamed over the
destination, so a crash or an exception never leaves a half-written file behind.

Malformed or truncated input raises :class:`VectorsFormatError` (a ``ValueError``) whose
message starts with the file name and says what is wrong.
"""

import contextlib
import gzip
import logging
import mmap as mmap_module
import os
import shutil
import tempfile
from numbers import Integral

import numpy as np

# atomic_write is used here. All three are also re-exported: they lived here before
# fastw2v.atomic existed, and fastw2v.cli_train still imports the first two from here.
from .atomic import OutputPathError, atomic_write, resolve_output
from .sources import DECOMPRESSION_ERRORS, compression_of, open_decompressed
from .vecmath import all_finite

__all__ = [
    "VectorsFormatError", "KeyDecodeError", "write_word2vec", "read_word2vec", "detect_binary",
    "write_vocab_counts", "read_vocab_counts",
    "OutputPathError", "atomic_write", "resolve_output",  # re-exported from fastw2v.atomic
]

logger = logging.getLogger(__name__)

# word2vec.c stores each value as a little-endian IEEE float32, whatever the host.
_BINARY_DTYPE = np.dtype("<f4")
# Text lines are parsed a few MB at a time: large enough that numpy's parser dominates,
# small enough that the joined chunk stays cheap in memory.
_TEXT_CHUNK_BYTES = 1 << 22
# float32 needs 9 significant decimal digits to survive a text round trip exactly.
_TEXT_FLOAT_FORMAT = "%.9g"
# Bytes that may never appear inside a key written in a word2vec file: the space ends the
# key, and line breaks would split a text line (and are stripped by binary readers).
_FORBIDDEN_KEY_CHARS = (" ", "\n", "\r")


class VectorsFormatError(ValueError):
    """A vectors file is malformed or truncated; the message names the file and the problem."""


class KeyDecodeError(VectorsFormatError, UnicodeDecodeError):
    """A key is not valid in the file's encoding (with ``unicode_errors='strict'``).

    Also a :class:`UnicodeDecodeError` carrying the codec's details, as gensim raises
    in this case; its message names the file and the line or vector.
    """

    def __init__(self, message, err):
        UnicodeDecodeError.__init__(self, err.encoding, err.object, err.start, err.end, err.reason)
        self.message = message

    def __str__(self):
        return self.message


def _fail(path, problem):
    return VectorsFormatError(f"{os.path.basename(os.fspath(path))}: {problem}")


# --------------------------------------------------------------------------- word2vec writing

def _check_keys(keys, n):
    if len(keys) != n:
        raise ValueError(f"got {len(keys)} keys for {n} vectors")
    for key in keys:
        if not isinstance(key, str):
            raise ValueError(f"keys must be str, got {type(key).__name__}: {key!r}")
        if any(ch in key for ch in _FORBIDDEN_KEY_CHARS):
            raise ValueError(f"key {key!r} contains a space or line break: not storable in word2vec format")


def _copy_existing(path, fout):
    """Copy the current content of `path` (if it exists) into `fout`: appending, atomically."""
    try:
        with open(path, "rb") as fin:
            shutil.copyfileobj(fin, fout)
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def _compressed(path, raw):
    """``raw`` itself, or a gzip stream into it where ``path`` ends in ``.gz`` (as gensim writes).

    Level 6, zlib's default: on 30,000 vectors of dim 100 as text (38 MB) it
    took 2.5 s for 16.3 MB, level 9 (gzip's default) 7.3 s for 16.2 MB.
    """
    if not os.fspath(path).lower().endswith(".gz"):
        yield raw
        return
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as packed:
        yield packed


def write_word2vec(path, keys, vectors, binary=False, write_header=True, order=None, prefix="",
                   total_vec=None, append=False):
    """Write keys and vectors in word2vec text or binary format, atomically.

    A name ending in ``.gz`` gets the same content gzip-compressed (as gensim's
    ``save_word2vec_format`` does); :func:`read_word2vec` reads it back.

    Text values are written with 9 significant digits, which reproduces every float32
    exactly. Binary entries are ``key + b" " + float32 bytes + b"\\n"``, as word2vec.c
    writes them (gensim, which omits the newline, reads them too).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    keys : sequence of str, length n
        Keys in row order. They must not contain spaces or line breaks.
    vectors : numpy.ndarray, shape (n, dim), float
        One row per key; written as float32.
    binary : bool
        Binary (True) or text (False) format.
    write_header : bool
        Write the ``"<n> <dim>"`` first line. Without it the file is GloVe-style text, read
        back with ``read_word2vec(..., no_header=True)``.
    order : sequence of int, optional
        Row indices in the order to write them (default: 0 .. n-1). Rows are gathered a
        chunk at a time, so no reordered copy of `vectors` is made.
    prefix : str
        Written before each key (gensim's `prefix`).
    total_vec : int, optional
        Count written in the header instead of n (for a file that another write will
        complete with `append`).
    append : bool
        Keep the file's current content and add after it. The whole file is still
        rewritten atomically, so this costs a copy of the existing content.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n, dim), got shape {vectors.shape}")
    n, dim = vectors.shape
    keys = [prefix + key if isinstance(key, str) else key for key in keys]
    _check_keys(keys, n)
    if not all_finite(vectors):  # read_word2vec would refuse the file
        raise ValueError("vectors hold inf or NaN: nothing written")
    if order is not None:
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError(f"order must be a permutation of the {n} row indices")
    rows_per_chunk = max(1, _TEXT_CHUNK_BYTES // max(1, 12 * dim))
    line = "%s " + " ".join([_TEXT_FLOAT_FORMAT] * dim) + "\n"
    with atomic_write(path, "wb") as raw:
        if append:
            # copied as it is: a gzip file's old members stay, the new text is one more
            # member, and readers decompress the members in turn (RFC 1952)
            _copy_existing(path, raw)
        with _compressed(path, raw) as fout:
            if write_header:
                fout.write(f"{n if total_vec is None else int(total_vec)} {dim}\n".encode("ascii"))
            for start in range(0, n, rows_per_chunk):
                rows = slice(start, start + rows_per_chunk)
                if order is None:
                    block, block_keys = vectors[rows], keys[rows]
                else:
                    block, block_keys = vectors[order[rows]], [keys[i] for i in order[rows]]
                block = np.asarray(block, dtype=_BINARY_DTYPE)
                pairs = zip(block_keys, block if binary else block.tolist())
                if binary:
                    fout.write(b"".join(key.encode("utf-8") + b" " + row.tobytes() + b"\n"
                                        for key, row in pairs))
                else:
                    fout.write("".join(line % (key, *row) for key, row in pairs).encode("utf-8"))


# --------------------------------------------------------------------------- vocabulary files

def write_vocab_counts(path, keys, counts, prefix="", append=False):
    """Write a word2vec vocabulary file, atomically: one ``<prefix><key> <count>`` line per key.

    This is what ``word2vec.c -save-vocab`` and gensim's ``save_word2vec_format(fvocab=...)``
    write, in the order given.

    Parameters
    ----------
    path : str or os.PathLike
    keys : sequence of str, length n
    counts : sequence of int, length n
    prefix : str
        Written before each key.
    append : bool
        Keep the file's current content and add after it.
    """
    keys = [prefix + key if isinstance(key, str) else key for key in keys]
    _check_keys(keys, len(counts))
    text = "".join(f"{key} {int(count)}\n" for key, count in zip(keys, counts))
    with atomic_write(path, "wb") as fout:
        if append:
            _copy_existing(path, fout)
        fout.write(text.encode("utf-8"))


def read_vocab_counts(path, encoding="utf-8", unicode_errors="strict"):
    """Read a word2vec vocabulary file (``key count`` per line) into ``{key: count}``.

    Blank lines are skipped; a key listed twice keeps its last count (as in gensim).

    Parameters
    ----------
    path : str or os.PathLike
    encoding : str
        Encoding of the keys.
    unicode_errors : str
        ``errors`` argument for decoding keys; with ``'strict'`` an undecodable key
        raises :class:`KeyDecodeError`.

    Returns
    -------
    dict of str to int

    Raises
    ------
    VectorsFormatError
        A line that is not a key and a non-negative integer.
    """
    counts = {}
    with open(path, "rb") as fin:
        for line_no, line in enumerate(fin, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[1].isdigit():
                shown = line[:60].decode("utf-8", "replace").strip()
                raise _fail(path, f"line {line_no}: expected 'key count', got {shown!r}")
            key = _decode_key(path, fields[0], f"line {line_no}", encoding, unicode_errors)
            counts[key] = int(fields[1])
    return counts


# --------------------------------------------------------------------------- word2vec reading


@contextlib.contextmanager
def _open_vectors(path):
    """``path`` opened for reading bytes, as a real file (the readers use its size and ``mmap``).

    A gzip, bzip2 or xz file, told by its first bytes rather than its name
    (fastText publishes its vectors as ``.vec.gz``; gensim reads all three), is
    first decompressed into an anonymous temporary file, gone when it is
    closed; errors still name ``path``, and their line numbers are the text's.
    A UTF-8 byte-order mark at the start is skipped.
    """
    with open(path, "rb") as fin:
        compression = compression_of(fin.read(8))
        if compression is None:
            _skip_bom(fin)
            yield fin
            return
        fin.seek(0)
        with tempfile.TemporaryFile() as plain:
            try:
                with open_decompressed(fin, compression) as unpacked:
                    shutil.copyfileobj(unpacked, plain, 1 << 20)
            except DECOMPRESSION_ERRORS as err:
                raise _fail(path, f"damaged {compression} data ({err or 'truncated'})") from None
            _skip_bom(plain)
            yield plain


def _skip_bom(fin):
    """Leave `fin` at its start, or just after a UTF-8 byte-order mark there.

    (Editors on Windows start text with one; it is not part of the header or
    of the first key. The readers work from ``fin.tell()``, so they skip it.)
    """
    fin.seek(0)
    if fin.read(3) != b"\xef\xbb\xbf":
        fin.seek(0)


def _parse_header(path, line):
    parts = line.split()
    try:
        count, dim = (int(p) for p in parts)
    except ValueError:
        count = dim = -1
    if len(parts) != 2 or count < 0 or dim < 1:
        if line[:1] == b"\x80" and line[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            raise _fail(path, "a Python pickle (gensim's .save()?), not a word2vec file: "
                              "pickles are not read; save it with save_word2vec_format")
        if not _is_text(line[:60].rstrip(b"\r\n")):
            raise _fail(path, "not a word2vec file: binary data where the header "
                              "'<count> <dim>' should be")
        shown = line[:60].decode("utf-8", "replace").strip()
        raise _fail(path, f"not a word2vec file: header must be '<count> <dim>', got {shown!r}")
    return count, dim


def _looks_like_text_record(data, dim):
    """True if `data` (bytes after the header) starts with a text line of a key + `dim` numbers."""
    end = data.find(b"\n")
    line = data if end < 0 else data[:end]
    # as _parse_text_chunk reads it: the key up to the first space (it may hold a
    # tab, which the writers allow), or else the first of the whitespace fields
    for numbers in (line.partition(b" ")[2].split(), line.split()[1:]):
        if len(numbers) != dim:
            continue
        try:
            np.array(numbers, dtype=np.float64)
        except ValueError:
            continue
        return True
    return False


# Control bytes that no text line holds (tab, line breaks, vertical tab, form feed are allowed).
_CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32)) + b"\x7f"


def _is_text(data):
    """True if `data` is non-empty UTF-8 without control bytes (a cut sequence at the end is fine).

    Raw float32 bytes almost never are: four random bytes hold a control byte or
    an invalid UTF-8 sequence more often than not, and a vector has `dim` of them.
    """
    if not data or len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start >= len(data) - 3 and err.reason == "unexpected end of data"
    return True


def _first_record_kind(path, head, dim, binary):
    """Check `binary` against the first record `head` (bytes after the header); return it.

    A text record is a key and `dim` numbers; a binary one is a key, a space and
    ``4 * dim`` raw bytes. With ``binary=None`` the kind is detected, and a first line
    that is text but not a key and `dim` numbers (a key with a space, a header dim that
    disagrees with the rows) is refused rather than read as binary garbage.
    """
    text_record = _looks_like_text_record(head, dim)
    if text_record:
        texty = True
    else:
        space = head.find(b" ")
        texty = _is_text(head[space + 1: space + 1 + 4 * dim] if space >= 0 else head)
    if binary is None:
        if texty and not text_record:
            if _looks_like_binary_records(head, dim):
                return True  # a small dim whose raw bytes happen to be printable
            end = head.find(b"\n")
            fields = (head if end < 0 else head[:end]).split()
            if len(fields) == dim + 1:
                raise _fail(path, f"line 2: invalid number in {b' '.join(fields[1:])[:60]!r}")
            raise _fail(path, f"line 2: expected a key and {dim} numbers ({dim + 1} fields, as the "
                              f"header says), got {len(fields)} fields: a key with a space, or a "
                              "wrong header")
        return not texty
    if binary and text_record:
        # (only a whole record of a key and dim numbers: with dim 1 or 2, raw float32
        # bytes are printable often enough, and binary=True is the caller's word)
        raise _fail(path, "line 2 is text: a word2vec text file, not binary; read it with binary=False")
    if not binary and not texty:
        raise _fail(path, "binary data after the header: a binary word2vec file, not text; "
                          "read it with binary=True")
    return binary


def _looks_like_binary_records(head, dim, records=8):
    """True if `head` starts with binary records (up to `records` of them) of plausible vectors.

    Each: a key without whitespace, one space, ``4 * dim`` bytes of finite float32
    values below 1e15 in size (vectors are, unnormalised ones too; text read as
    float32 often is not: ``b"york"`` is 1.2e26), then an optional ``"\\n"``. Decides the files whose
    first vector's bytes happen to be printable, which a dim of 1 or 2 makes
    likely enough (1 file in 16 at dim 1).
    """
    nbytes, pos = 4 * dim, 0
    for _ in range(records):
        if pos >= len(head):
            return pos > 0
        space = head.find(b" ", pos)
        key = head[pos:space]
        if space <= pos or len(key.split()) != 1 or space + 1 + nbytes > len(head):
            return False
        values = np.frombuffer(head, dtype=_BINARY_DTYPE, count=dim, offset=space + 1)
        if not (np.isfinite(values).all() and np.abs(values).max() < 1e15):
            return False
        pos = space + 1 + nbytes
        if head[pos:pos + 1] == b"\n":
            pos += 1
    return True


def _read_head(fin, dim):
    """The first bytes after the header (enough for a record), leaving `fin` where it was."""
    start = fin.tell()
    size = os.fstat(fin.fileno()).st_size
    head = fin.read(max(0, min(size - start, 64 * 1024 + 40 * dim)))
    fin.seek(start)
    return head


def detect_binary(path):
    """Tell whether a word2vec file with a header is binary.

    The header line gives ``dim``; the first record after it is text exactly when it is a
    line holding a key and ``dim`` whitespace-separated decimal numbers. Raw float32 bytes
    essentially never have that shape (it would take ``4 * dim`` bytes that are all digits,
    signs, dots and exactly ``dim - 1`` spaces), nor are they text at all.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    bool
        True for binary, False for text (and for a file that declares zero vectors).

    Raises
    ------
    VectorsFormatError
        The first record is text but not a key and ``dim`` numbers.
    """
    with _open_vectors(path) as fin:
        count, dim = _parse_header(path, fin.readline())
        if count == 0:
            return False
        return _first_record_kind(path, _read_head(fin, dim), dim, None)


def _decode_key(path, raw, where, encoding, unicode_errors):
    try:
        return raw.decode(encoding, errors=unicode_errors)
    except UnicodeDecodeError as err:
        message = (f"{os.path.basename(os.fspath(path))}: {where}: key is not valid {encoding} "
                   f"({err.reason}); pass unicode_errors='replace' to read it anyway")
        raise KeyDecodeError(message, err) from None


def _read_binary(path, fin, count, dim, encoding, unicode_errors, check_end=True):
    """Read `count` binary records from `fin`, positioned just after the header.

    With `check_end` (all the header's records read) nothing but whitespace may follow:
    more data means the header's dim is wrong, and the records were misread.
    """
    start = fin.tell()
    size = os.fstat(fin.fileno()).st_size
    nbytes = dim * _BINARY_DTYPE.itemsize
    # A record takes at least a space and 4 * dim bytes: a header claiming more than
    # the file can hold must not allocate them (10**12 words would be a MemoryError).
    vectors = np.empty((min(count, max(0, size - start) // (1 + nbytes)), dim), dtype=np.float32)
    keys = []
    if count == 0:
        return keys, vectors
    if size <= start:
        raise _fail(path, f"truncated: expected {count} vectors of dim {dim}, found 0")
    with mmap_module.mmap(fin.fileno(), 0, access=mmap_module.ACCESS_READ) as buf:
        pos = start
        for i in range(count):
            space = buf.find(b" ", pos)
            if space < 0 or space + 1 + nbytes > size or i >= vectors.shape[0]:
                raise _fail(path, f"truncated: expected {count} vectors of dim {dim}, found {i}")
            # word2vec.c ends each record with "\n"; gensim does not. Skip it either way.
            raw = buf[pos:space].lstrip(b"\n")
            keys.append(_decode_key(path, raw, f"vector {i + 1}", encoding, unicode_errors))
            vectors[i] = np.frombuffer(buf, dtype=_BINARY_DTYPE, count=dim, offset=space + 1)
            pos = space + 1 + nbytes
            if pos < size and buf[pos] == 0x0A:
                pos += 1
        if check_end and buf[pos:pos + 64].strip():
            # another whole record (a key, a space, 4 * dim bytes) is a header that counts
            # too few, as gensim's total_vec writes it, and gensim reads the first ones;
            # anything else means the records were misread
            space = buf.find(b" ", pos, pos + 1024)
            key = buf[pos:space].lstrip(b"\n") if space > pos else b""
            if not (key and _is_text(key) and space + 1 + nbytes <= size):
                raise _fail(path, f"{size - pos} bytes follow the {count} vectors of dim {dim} "
                                  "that the header announces: its count or dim is wrong")
            logger.warning("%s: more vectors follow the %d that the header announces; they "
                           "were not read", path, count)
    return keys, vectors


def _parse_text_chunk(path, lines, first_line_no, dim, out):
    """Parse text records into `out` (shape (len(lines), dim)); return their raw keys."""
    raw_keys, rests = [], []
    for offset, line in enumerate(lines):
        line = line.rstrip()  # drops "\n", "\r\n" and the trailing space word2vec.c writes
        key, _, rest = line.partition(b" ")
        # Fast check for the usual single-space separation; anything else gets a real split
        # (runs of spaces, tabs, and also a tab between key and values as word2vec.c allows).
        if rest.count(b" ") != dim - 1 or b"\t" in rest:
            fields = rest.split()
            if len(fields) != dim:
                fields = line.split()
                if len(fields) != dim + 1:
                    raise _fail(path, f"line {first_line_no + offset}: "
                                      f"expected {dim + 1} fields, got {len(fields)}")
                key, fields = fields[0], fields[1:]
            rest = b" ".join(fields)
        raw_keys.append(key)
        rests.append(rest)
    try:
        values = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")
    except ValueError:
        values = None
    if values is None or values.size != out.size:
        for offset, rest in enumerate(rests):  # slow path, only to name the bad line
            try:
                if np.array(rest.split(), dtype=np.float32).size != dim:
                    raise ValueError
            except ValueError:
                raise _fail(path, f"line {first_line_no + offset}: "
                                  f"invalid number in {rest[:40].decode('utf-8', 'replace')!r}") from None
        raise _fail(path, f"lines {first_line_no}-{first_line_no + len(rests) - 1}: invalid numbers")
    out[...] = values.reshape(out.shape)
    return raw_keys


def _read_text(path, fin, count, dim, first_line_no, encoding, unicode_errors):
    """Read `count` text records from `fin`; the first one is on line `first_line_no`.

    Returns the keys, the vectors, and whether more non-blank text follows them.
    """
    # A record takes at least 2 * dim bytes (a separator and a digit per number): allocate
    # no more rows than the file can hold, whatever the header claims.
    remaining = max(0, os.fstat(fin.fileno()).st_size - fin.tell())
    vectors = np.empty((min(count, remaining // (2 * dim)), dim), dtype=np.float32)
    keys = []
    rest = []
    while len(keys) < count:
        lines = fin.readlines(_TEXT_CHUNK_BYTES)
        if not lines:
            raise _fail(path, f"truncated: expected {count} vectors of dim {dim}, found {len(keys)}")
        lines, rest = lines[:count - len(keys)], lines[count - len(keys):]
        line_no = first_line_no + len(keys)
        if len(keys) + len(lines) > vectors.shape[0]:  # then some line is too short
            for j, line in enumerate(lines):
                if len(line.split()) != dim + 1:
                    raise _fail(path, f"line {line_no + j}: expected {dim + 1} fields, "
                                      f"got {len(line.split())}")
        raw = _parse_text_chunk(path, lines, line_no, dim, vectors[len(keys):len(keys) + len(lines)])
        keys.extend(_decode_key(path, key, f"line {line_no + j}", encoding, unicode_errors)
                    for j, key in enumerate(raw))
    more = any(line.strip() for line in rest) or bool(fin.read(64).strip())
    return keys, vectors, more


def _count_text_records(path, fin, limit):
    """For header-less files: number of non-empty lines (at most `limit`) and their dim.

    Reads `fin` from where it is and leaves it there.
    """
    count, dim, blank = 0, None, None
    start = fin.tell()
    for line_no, line in enumerate(fin, 1):
        if limit is not None and count >= limit:
            break
        if not line.strip():
            blank = blank or line_no
            continue
        if blank is not None:
            # (gensim refuses such a file too; reading up to the blank line lost the rest)
            raise _fail(path, f"line {blank} is blank, and vectors follow it")
        if dim is None:
            dim = len(line.split()) - 1
            if dim < 1:
                raise _fail(path, f"line {line_no}: expected a key and at least one number")
        count += 1
    fin.seek(start)
    if dim is None and limit != 0:
        raise _fail(path, "no vectors: the file is empty")
    return count, (dim or 1)


def _check_finite(path, vectors, first_line, binary, datatype=None):
    """Refuse a vector holding inf or NaN (a damaged file; every similarity with it is NaN).

    ``first_line``: the line of the first record in a text file. With
    ``datatype``, ``vectors`` were converted to it from finite values, so a
    non-finite one overflowed the type.
    """
    if all_finite(vectors):
        return
    i = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
    where = f"vector {i + 1}" if binary else f"line {first_line + i}"
    if datatype is not None:
        raise _fail(path, f"{where}: a value exceeds the range of {np.dtype(datatype).name}")
    raise _fail(path, f"{where}: the vector holds inf or NaN")


def _drop_duplicates(path, keys, vectors):
    if len(set(keys)) == len(keys):
        return keys, vectors
    seen, keep = set(), []
    for i, key in enumerate(keys):
        if key in seen:
            logger.warning("%s: duplicate key %r, keeping only its first vector", path, key)
        else:
            seen.add(key)
            keep.append(i)
    return [keys[i] for i in keep], np.ascontiguousarray(vectors[keep])


def read_word2vec(path, binary=None, limit=None, unicode_errors="replace",
                  datatype=np.float32, encoding="utf-8", no_header=False):
    """Read a word2vec text or binary file (also fastText ``.vec``), gzip-compressed or not.

    Accepted variations: CRLF line ends, trailing spaces, a final line without newline,
    a ``</s>`` entry (kept as an ordinary key), binary records with or without the
    ``"\\n"`` that word2vec.c writes after each vector. Keys whose bytes are not valid in
    `encoding` (word2vec.c cuts long words in the middle of a UTF-8 sequence) are decoded
    with ``errors=unicode_errors``: by default ``'replace'``, so such a key reads as
    ``'caf\\ufffd'``; pass ``'strict'`` to get a :class:`VectorsFormatError` instead. When
    a key occurs twice only its first vector is kept, with a warning (as gensim does).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    binary : bool or None
        True for binary, False for text, None to detect it (see :func:`detect_binary`).
        A text file read as binary, or a binary file read as text, is refused.
    limit : int, optional
        Read at most this many vectors (the first ones in the file).
    unicode_errors : str
        ``errors`` argument for decoding keys.
    datatype : numpy dtype
        dtype of the returned vectors (e.g. ``np.float16`` to halve memory).
    encoding : str
        Encoding of the keys.
    no_header : bool
        The text file has no ``"<count> <dim>"`` line (GloVe style); sizes are found by
        a first pass. Not supported for binary files.

    Returns
    -------
    keys : list of str, length n
    vectors : numpy.ndarray, shape (n, dim), dtype `datatype`

    Raises
    ------
    VectorsFormatError
        Bad header, wrong number of fields on a line, invalid numbers, undecodable keys
        with ``unicode_errors='strict'``, fewer vectors than the header announces (checked
        against the file size before allocating), data left after them in a binary file,
        or a file of the other kind than `binary` says, a vector holding inf or NaN (or
        a value beyond the range of `datatype`).
    ValueError
        `limit` is negative or not a whole number; `datatype` is not a floating-point type.
    """
    path = os.fspath(path)
    if limit is not None and (not isinstance(limit, Integral) or limit < 0):
        raise ValueError(f"limit must be a whole number of vectors (>= 0) or None, not {limit!r}")
    try:
        floating = np.issubdtype(np.dtype(datatype), np.floating)
    except TypeError:
        floating = False
    if not floating:  # an integer type made every value in (-1, 1) a zero vector
        raise ValueError(f"datatype must be a floating-point type (float16, float32), "
                         f"not {datatype!r}")
    first_line = 2
    if no_header:
        if binary:
            raise ValueError("no_header is only supported for text files")
        first_line = 1
        with _open_vectors(path) as fin:
            count, dim = _count_text_records(path, fin, limit)
            keys, vectors, _ = _read_text(path, fin, count, dim, 1, encoding, unicode_errors)
    else:
        with _open_vectors(path) as fin:
            count, dim = _parse_header(path, fin.readline())
            if count:
                binary = _first_record_kind(path, _read_head(fin, dim), dim, binary)
            everything = limit is None or int(limit) >= count
            if limit is not None:
                count = min(count, int(limit))
            if binary:
                keys, vectors = _read_binary(path, fin, count, dim, encoding, unicode_errors,
                                             check_end=everything)
            else:
                keys, vectors, more = _read_text(path, fin, count, dim, 2, encoding,
                                                 unicode_errors)
                if more and everything:  # gensim reads such a file silently
                    logger.warning("%s: more lines follow the %d vectors that the header "
                                   "announces; they were not read", path, count)
    _check_finite(path, vectors, first_line, binary)
    with np.errstate(over="ignore"):  # an overflow is reported just below, with its line
        converted = vectors.astype(datatype, copy=False)
    if converted is not vectors and np.issubdtype(converted.dtype, np.floating):
        _check_finite(path, converted, first_line, binary, datatype)
    return _drop_duplicates(path, keys, converted)
