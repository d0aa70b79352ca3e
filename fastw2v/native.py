"""fastw2v's native format for word vectors: a directory of plain files, nothing pickled.

The directory holds:

* ``vectors.npy``: the vectors, shape (n, dim), float32 or the dtype asked for; read
  back with ``np.load(mmap_mode='r')`` so that a large model is memory-mapped;
* ``vocab.txt``: UTF-8, one ``key<TAB>count`` (or ``key`` when no counts are stored)
  per line, in row order;
* ``meta.json``: format name and version, shape, dtype and whether counts are stored;
  written last, and checked against the other two files on load.

Every file is written atomically (:mod:`fastw2v.atomic`), and a new directory appears
complete or not at all. Malformed or inconsistent files raise
:class:`~fastw2v.formats.VectorsFormatError` naming the file.
"""

import errno
import json
import os

import numpy as np

from .atomic import OutputPathError, atomic_directory, atomic_write, is_temp_name
from .formats import _fail  # VectorsFormatError('<file>: <problem>'), as the word2vec readers raise
from .vecmath import all_finite

#: Name and version written into ``meta.json``.
NATIVE_FORMAT = "fastw2v-keyedvectors"
NATIVE_VERSION = 1
_VECTORS_FILE, _VOCAB_FILE, _META_FILE = "vectors.npy", "vocab.txt", "meta.json"


def is_native(path):
    """True if `path` is a directory written by :func:`save_native`."""
    return os.path.isfile(os.path.join(os.fspath(path), _META_FILE))


def _check_native_keys(keys):
    for key in keys:
        if not isinstance(key, str):  # an int key, or None for an unfilled preallocated slot
            raise ValueError(f"keys must be str to be saved, got {type(key).__name__}: {key!r}")
        # a tab is fine: a count is split off at the line's last one
        if "\n" in key or "\r" in key:
            raise ValueError(f"key {key!r} cannot be stored in vocab.txt (line break)")


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

    The directory is built under a temporary name and renamed into place, so it appears
    complete or not at all; one saved before is swapped for it as a whole
    (:func:`fastw2v.atomic.atomic_directory`). A directory holding anything but
    saved vectors is refused (its ``meta.json`` or ``vocab.txt`` were replaced).

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
    if not all_finite(vectors):  # load() would refuse them
        raise ValueError("vectors hold inf or NaN: not saved")
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype == np.float16 and vectors.size and np.abs(vectors).max() > np.finfo(np.float16).max:
            raise ValueError("vectors exceed the float16 range (65504); store them as float32")
        vectors = vectors.astype(dtype)
    if counts is not None:
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(keys),):
            raise ValueError(f"counts of shape {counts.shape} do not match {len(keys)} keys")
    if os.path.lexists(path) and not os.path.isdir(path):  # (a gensim pickle, say)
        raise OutputPathError(f"{path} exists and is not a directory; vectors are saved to "
                              "a directory (save_word2vec_format writes one file)")
    if os.path.isdir(path):
        # through a link to its target, as files are written (the link was replaced)
        path = os.path.realpath(path)
        entries = os.listdir(path)
        if not entries:  # (a save_model data folder, just made)
            _write_native_files(path, keys, vectors, counts)
            return
        # only a folder of saved vectors is replaced: the whole folder goes, so
        # anything else in it (a user's notes beside the vectors) would go with it
        if not set(entries) <= NATIVE_FILES | {e for e in entries if is_temp_name(e)} \
                or not _is_native(path):
            raise OutputPathError(f"{path} is a directory that holds other files, not saved "
                                  "vectors; choose a new or empty directory")
    try:
        with atomic_directory(path) as tmp:
            _write_native_files(tmp, keys, vectors, counts)
    except OSError as exc:
        # a folder that cannot be swapped (a mount point, the current directory:
        # EBUSY) or built beside (a read-only parent): rewritten in place, file by
        # file, meta.json last, as before the swap
        if not os.path.isdir(path) or exc.errno not in _IN_PLACE_ERRORS:
            raise
        _write_native_files(path, keys, vectors, counts)


#: The files of a saved-vectors directory.
NATIVE_FILES = frozenset({_VECTORS_FILE, _VOCAB_FILE, _META_FILE})
#: Errors of a directory swap after which the files are rewritten in place.
_IN_PLACE_ERRORS = (errno.EBUSY, errno.EXDEV, errno.EACCES, errno.EPERM, errno.EROFS)


def _is_native(path):
    """True if directory ``path`` holds vectors saved by :func:`save_native` (by its meta.json)."""
    try:
        _read_native_meta(path)
    except (OSError, ValueError):
        return False
    return True


def _read_native_meta(path):
    if os.path.isfile(path):  # a gensim pickle (.kv, .model) or a word2vec file
        raise _fail(path, "a file, not a directory written by KeyedVectors.save; word2vec "
                          "files load with KeyedVectors.load_word2vec_format, and gensim's "
                          "pickles are not read (save them with save_word2vec_format)")
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
    mmap : bool, None, 'r' or 'c'
        Memory-map ``vectors.npy`` read-only (True or ``'r'``: ``np.load(mmap_mode='r')``)
        or copy-on-write (``'c'``: edits stay in memory, the file is never changed)
        instead of reading it into memory (False or None).

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
    if mmap not in (True, False, None, "r", "c"):
        raise ValueError(f"mmap must be True or 'r' (read-only), 'c' (copy-on-write), or False "
                         f"or None (read into memory), not {mmap!r}")
    mode = "r" if mmap in (True, "r") else mmap or None
    path = os.fspath(path)
    meta = _read_native_meta(path)
    vec_path = os.path.join(path, _VECTORS_FILE)
    try:
        vectors = np.load(vec_path, mmap_mode=mode, allow_pickle=False)
    except (ValueError, EOFError) as err:  # (EOFError: an empty file; click said "Aborted!")
        raise _fail(vec_path, f"not a valid .npy file ({err or 'empty'})") from None
    expected = (meta["count"], meta["vector_size"])
    if vectors.shape != expected or vectors.dtype.name != meta["dtype"]:
        raise _fail(vec_path, f"holds {vectors.dtype.name} {vectors.shape}, "
                              f"meta.json says {meta['dtype']} {expected}")
    # (a memory map is left unread: checking it would read the whole file)
    if mode is None and not all_finite(vectors):
        raise _fail(vec_path, "holds inf or NaN")
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
            except (ValueError, OverflowError):
                tab = ""
            if not tab or counts[i] < 0:
                raise _fail(vocab_path, f"line {i + 1}: expected 'key<TAB>count', got {line[:60]!r}")
            keys.append(key)
    else:
        keys = lines
    if len(set(keys)) != len(keys):  # (a duplicate became a traceback in the vocabulary)
        seen = set()
        twice = next(key for key in keys if key in seen or seen.add(key))
        raise _fail(vocab_path, f"the key {twice[:60]!r} is listed twice")
    return keys, vectors, counts
