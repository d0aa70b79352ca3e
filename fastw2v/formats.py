"""Reading and writing word vectors: the word2vec formats and fastw2v's native format.

Three formats are supported:

* **word2vec text** (also fastText's ``.vec``): a header line ``"<count> <dim>"``, then one
  line per key: the key, a space, and ``dim`` decimal numbers separated by spaces.
* **word2vec binary** (``word2vec.c -binary 1``): the same header line, then for each key
  its UTF-8 bytes, one space, ``dim`` little-endian float32 values (``4 * dim`` raw bytes),
  and, as ``word2vec.c`` writes but gensim does not, an optional ``"\\n"``.
* **word2vec vocabulary** (``word2vec.c -save-vocab``, gensim's ``fvocab``): one
  ``key count`` line per key, UTF-8.
* **native**: a directory holding ``vectors.npy`` (read back with
  ``np.load(mmap_mode='r')``), ``vocab.txt`` (UTF-8, one ``key<TAB>count`` or ``key`` per
  line) and ``meta.json`` (shape, dtype, whether counts are stored). Nothing is pickled.

Every write is atomic (:func:`atomic_write`): the data goes to a temporary file in the
destination folder, is flushed and fsync'ed, and only then renamed over the destination,
so a crash or an exception never leaves a half-written file behind.

Malformed or truncated input raises :class:`VectorsFormatError` (a ``ValueError``) whose
message starts with the file name and says what is wrong.
"""

import contextlib
import json
import logging
import mmap as mmap_module
import os
import shutil
import stat
import tempfile

import numpy as np

logger = logging.getLogger(__name__)

#: Name and version written into ``meta.json`` of the native format.
NATIVE_FORMAT = "fastw2v-keyedvectors"
NATIVE_VERSION = 1
_VECTORS_FILE, _VOCAB_FILE, _META_FILE = "vectors.npy", "vocab.txt", "meta.json"

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


# --------------------------------------------------------------------------- atomic writes

#: A temporary file is named ``.<at most this many characters of the name>.<8 random>.tmp``:
#: at most 4 * 40 + 14 bytes, so any name the folder accepts leaves room for it.
_TEMP_NAME_CHARS = 40
#: File-name limit where ``pathconf`` cannot tell (Linux, macOS and Windows all allow 255).
_DEFAULT_NAME_MAX = 255

_UMASK = None


class OutputPathError(OSError):
    """An output path cannot or must not be written; the message says why."""


def _temp_prefix(path):
    return f".{os.path.basename(path)[:_TEMP_NAME_CHARS]}."


def resolve_output(path):
    """The regular file that writing `path` will create or replace, checked before any write.

    Symbolic links are followed, so the link stays and its target gets the new content
    (as ``cp`` or a shell redirection do). Refused, with a one-line reason: a folder or a
    path ending in a separator, anything that is not a regular file (a device such as
    ``/dev/null``, a FIFO, a socket: renaming over it would replace it), a file without
    write permission (even for root: read-only is the owner's wish), a missing or
    unwritable folder, and a name longer than the folder allows.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        The absolute real path to write.

    Raises
    ------
    OutputPathError
    """
    path = os.fspath(path)
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        raise OutputPathError(f"{path}: names a folder; give a file name")
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a symlink loop, a component that is a file, ...
        raise OutputPathError(f"{path}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(f"{path} is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise OutputPathError(f"{path} is not a regular file (a device, FIFO or socket); "
                                  "only regular files are written")
        if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
            raise OutputPathError(f"{path} is read-only; make it writable or choose another name")
    folder, name = os.path.split(real)
    if not os.path.isdir(folder):
        raise OutputPathError(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"output folder {folder} is not writable")
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        name_max = _DEFAULT_NAME_MAX
    if len(os.fsencode(name)) > name_max:
        raise OutputPathError(f"{path}: file name too long (the folder allows {name_max} bytes)")
    return real


def _umask():
    """The process umask (os.umask can only be read by setting it: done once, restored at once)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def _fsync_dir(folder):
    """Make a rename inside `folder` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file next to `path`; on success rename it over `path`.

    The temporary file lives in the destination folder (``os.replace`` is only atomic within
    one file system), is flushed and fsync'ed before the rename, and is deleted if the
    ``with`` block raises, so `path` holds either its old content or the complete new one.

    `path` is first checked by :func:`resolve_output`: through a symbolic link the link's
    target is written; devices, FIFOs and read-only files are refused.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    mode : {'wb', 'w'}
        Binary or text mode for the yielded file object.
    encoding : str, optional
        Encoding for text mode (default UTF-8).

    Yields
    ------
    file object
        The open temporary file.
    """
    path = resolve_output(path)
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=folder)
    try:
        try:
            file_mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            file_mode = 0o666 & ~_umask()  # what open(path, 'w') would give
        os.chmod(tmp, file_mode)  # mkstemp creates 0o600; give the usual permissions
        with os.fdopen(fd, mode, encoding=encoding) as fout:
            fd = None
            yield fout
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


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


def write_word2vec(path, keys, vectors, binary=False, write_header=True, order=None, prefix="",
                   total_vec=None, append=False):
    """Write keys and vectors in word2vec text or binary format, atomically.

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
    if order is not None:
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError(f"order must be a permutation of the {n} row indices")
    rows_per_chunk = max(1, _TEXT_CHUNK_BYTES // max(1, 12 * dim))
    line = "%s " + " ".join([_TEXT_FLOAT_FORMAT] * dim) + "\n"
    with atomic_write(path, "wb") as fout:
        if append:
            _copy_existing(path, fout)
        if write_header:
            fout.write(f"{n if total_vec is None else int(total_vec)} {dim}\n".encode("ascii"))
        for start in range(0, n, rows_per_chunk):
            if order is None:
                block, block_keys = vectors[start:start + rows_per_chunk], keys[start:start + rows_per_chunk]
            else:
                rows = order[start:start + rows_per_chunk]
                block, block_keys = vectors[rows], [keys[i] for i in rows]
            block = np.asarray(block, dtype=_BINARY_DTYPE)
            if binary:
                fout.write(b"".join(
                    key.encode("utf-8") + b" " + row.tobytes() + b"\n" for key, row in zip(block_keys, block)))
            else:
                fout.write("".join(
                    line % (key, *row) for key, row in zip(block_keys, block.tolist())).encode("utf-8"))


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

def _parse_header(path, line):
    parts = line.split()
    try:
        count, dim = (int(p) for p in parts)
    except ValueError:
        count = dim = -1
    if len(parts) != 2 or count < 0 or dim < 1:
        shown = line[:60].decode("utf-8", "replace").strip()
        raise _fail(path, f"not a word2vec file: header must be '<count> <dim>', got {shown!r}")
    return count, dim


def _looks_like_text_record(data, dim):
    """True if `data` (bytes after the header) starts with a text line of a key + `dim` numbers."""
    end = data.find(b"\n")
    line = data if end < 0 else data[:end]
    fields = line.split()
    if len(fields) != dim + 1:
        return False
    try:
        np.array(fields[1:], dtype=np.float64)
    except ValueError:
        return False
    return True


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
    if _looks_like_text_record(head, dim):
        texty = True
    else:
        space = head.find(b" ")
        texty = _is_text(head[space + 1: space + 1 + 4 * dim] if space >= 0 else head)
    if binary is None:
        if texty and not _looks_like_text_record(head, dim):
            end = head.find(b"\n")
            fields = len((head if end < 0 else head[:end]).split())
            raise _fail(path, f"line 2: expected a key and {dim} numbers ({dim + 1} fields, as the "
                              f"header says), got {fields} fields: a key with a space, or a wrong "
                              "header")
        return not texty
    if binary and texty:
        raise _fail(path, "line 2 is text: a word2vec text file, not binary; read it with binary=False")
    if not binary and not texty:
        raise _fail(path, "binary data after the header: a binary word2vec file, not text; "
                          "read it with binary=True")
    return binary


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
    with open(path, "rb") as fin:
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
            raise _fail(path, f"{size - pos} bytes follow the {count} vectors of dim {dim} that the "
                              "header announces: its count or dim is wrong")
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
    """Read `count` text records from `fin`; the first one is on line `first_line_no`."""
    # A record takes at least 2 * dim bytes (a separator and a digit per number): allocate
    # no more rows than the file can hold, whatever the header claims.
    remaining = max(0, os.fstat(fin.fileno()).st_size - fin.tell())
    vectors = np.empty((min(count, remaining // (2 * dim)), dim), dtype=np.float32)
    keys = []
    while len(keys) < count:
        lines = fin.readlines(_TEXT_CHUNK_BYTES)
        if not lines:
            raise _fail(path, f"truncated: expected {count} vectors of dim {dim}, found {len(keys)}")
        lines = lines[:count - len(keys)]
        line_no = first_line_no + len(keys)
        if len(keys) + len(lines) > vectors.shape[0]:  # then some line is too short
            for j, line in enumerate(lines):
                if len(line.split()) != dim + 1:
                    raise _fail(path, f"line {line_no + j}: expected {dim + 1} fields, "
                                      f"got {len(line.split())}")
        raw = _parse_text_chunk(path, lines, line_no, dim, vectors[len(keys):len(keys) + len(lines)])
        keys.extend(_decode_key(path, key, f"line {line_no + j}", encoding, unicode_errors)
                    for j, key in enumerate(raw))
    return keys, vectors


def _count_text_records(path, limit):
    """For header-less files: number of non-empty lines (at most `limit`) and their dim."""
    count, dim = 0, None
    with open(path, "rb") as fin:
        for line in fin:
            if limit is not None and count >= limit:
                break
            if not line.strip():
                break
            if dim is None:
                dim = len(line.split()) - 1
                if dim < 1:
                    raise _fail(path, "line 1: expected a key and at least one number")
            count += 1
    return count, (dim or 1)


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
    """Read a word2vec text or binary file (also fastText ``.vec``).

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
        or a file of the other kind than `binary` says.
    """
    path = os.fspath(path)
    if no_header:
        if binary:
            raise ValueError("no_header is only supported for text files")
        count, dim = _count_text_records(path, limit)
        with open(path, "rb") as fin:
            keys, vectors = _read_text(path, fin, count, dim, 1, encoding, unicode_errors)
    else:
        with open(path, "rb") as fin:
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
                keys, vectors = _read_text(path, fin, count, dim, 2, encoding, unicode_errors)
    keys, vectors = _drop_duplicates(path, keys, vectors)
    return keys, vectors.astype(datatype, copy=False)


# --------------------------------------------------------------------------- native format

def is_native(path):
    """True if `path` is a directory written by :func:`save_native`."""
    return os.path.isfile(os.path.join(os.fspath(path), _META_FILE))


def _check_native_keys(keys):
    for key in keys:
        if not isinstance(key, str):  # an int key, or None for an unfilled preallocated slot
            raise ValueError(f"keys must be str to be saved, got {type(key).__name__}: {key!r}")
        if any(ch in key for ch in ("\t", "\n", "\r")):
            raise ValueError(f"key {key!r} cannot be stored in vocab.txt (tab or line break)")


def _write_native_files(folder, keys, vectors, counts):
    with atomic_write(os.path.join(folder, _VECTORS_FILE)) as fout:
        np.save(fout, vectors, allow_pickle=False)
    with atomic_write(os.path.join(folder, _VOCAB_FILE)) as fout:
        if counts is None:
            text = "".join(f"{key}\n" for key in keys)
        else:
            text = "".join(f"{key}\t{int(c)}\n" for key, c in zip(keys, counts))
        fout.write(text.encode("utf-8"))
    meta = {"format": NATIVE_FORMAT, "version": NATIVE_VERSION, "count": len(keys),
            "vector_size": int(vectors.shape[1]), "dtype": vectors.dtype.name,
            "has_counts": counts is not None}
    # meta.json goes last: load() checks the other files against it.
    with atomic_write(os.path.join(folder, _META_FILE)) as fout:
        fout.write(json.dumps(meta, indent=1).encode("utf-8") + b"\n")


def save_native(path, keys, vectors, counts=None, dtype=None):
    """Save vectors in the native format: a directory with vectors.npy, vocab.txt, meta.json.

    A new directory is built under a temporary name and renamed into place, so it appears
    complete or not at all. An existing directory has its three files replaced one by one,
    each atomically, ``meta.json`` last; :func:`load_native` checks that the three agree.

    Parameters
    ----------
    path : str or os.PathLike
        Directory to create or update.
    keys : sequence of str, length n
        Keys; they must not contain tabs or line breaks.
    vectors : numpy.ndarray, shape (n, dim), float
        The vectors.
    counts : numpy.ndarray, shape (n,), int64, optional
        Corpus frequency of each key.
    dtype : numpy dtype, optional
        Storage dtype, e.g. ``np.float16`` to halve the file (values must fit: |v| <= 65504).
    """
    path = os.fspath(path)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"vectors of shape {vectors.shape} do not match {len(keys)} keys")
    _check_native_keys(keys)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype == np.float16 and vectors.size and np.abs(vectors).max() > np.finfo(np.float16).max:
            raise ValueError("vectors exceed the float16 range (65504); store them as float32")
        vectors = vectors.astype(dtype)
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(keys),):
            raise ValueError(f"counts of shape {counts.shape} do not match {len(keys)} keys")
    if os.path.isdir(path):
        _write_native_files(path, keys, vectors, counts)
        return
    parent = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=parent)
    try:
        _write_native_files(tmp, keys, vectors, counts)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0o700
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(parent)


def _read_native_meta(path):
    meta_path = os.path.join(path, _META_FILE)
    with open(meta_path, "rb") as fin:
        raw = fin.read()
    try:
        meta = json.loads(raw.decode("utf-8"))
    except ValueError as err:  # UnicodeDecodeError is a ValueError too
        raise _fail(meta_path, f"invalid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != NATIVE_FORMAT:
        raise _fail(meta_path, f"not a {NATIVE_FORMAT} metadata file")
    if meta.get("version") != NATIVE_VERSION:
        raise _fail(meta_path, f"unsupported version {meta.get('version')!r}")
    for field, kind in (("count", int), ("vector_size", int), ("dtype", str)):
        if not isinstance(meta.get(field), kind):
            raise _fail(meta_path, f"missing or invalid {field!r}")
    return meta


def load_native(path, mmap=True):
    """Load a directory written by :func:`save_native`.

    Parameters
    ----------
    path : str or os.PathLike
        The directory.
    mmap : bool
        Memory-map ``vectors.npy`` read-only (``np.load(mmap_mode='r')``) instead of
        reading it into memory.

    Returns
    -------
    keys : list of str, length n
    vectors : numpy.ndarray or numpy.memmap, shape (n, dim), the stored dtype
    counts : numpy.ndarray, shape (n,), int64, or None

    Raises
    ------
    VectorsFormatError
        The files are malformed or disagree with each other.
    """
    path = os.fspath(path)
    meta = _read_native_meta(path)
    vec_path = os.path.join(path, _VECTORS_FILE)
    try:
        vectors = np.load(vec_path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as err:
        raise _fail(vec_path, f"not a valid .npy file ({err})") from None
    expected = (meta["count"], meta["vector_size"])
    if vectors.shape != expected or vectors.dtype.name != meta["dtype"]:
        raise _fail(vec_path, f"holds {vectors.dtype.name} {vectors.shape}, "
                              f"meta.json says {meta['dtype']} {expected}")
    vocab_path = os.path.join(path, _VOCAB_FILE)
    with open(vocab_path, "rb") as fin:
        try:
            text = fin.read().decode("utf-8")
        except UnicodeDecodeError as err:
            raise _fail(vocab_path, f"not UTF-8 ({err.reason})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != meta["count"]:
        raise _fail(vocab_path, f"truncated: expected {meta['count']} keys, found {len(lines)}")
    counts = None
    if meta.get("has_counts"):
        keys, counts = [], np.empty(len(lines), dtype=np.int64)
        for i, line in enumerate(lines):
            key, tab, count = line.rpartition("\t")
            try:
                counts[i] = int(count)
            except ValueError:
                tab = ""
            if not tab:
                raise _fail(vocab_path, f"line {i + 1}: expected 'key<TAB>count', got {line[:60]!r}")
            keys.append(key)
    else:
        keys = lines
    return keys, vectors, counts
