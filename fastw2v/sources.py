"""Opening a corpus for one sequential pass: files, pipes, compression and encodings.

A corpus is one file or several (:func:`corpus_paths` lists them: paths,
directories, ``-``). A file may be a regular file, ``-`` (standard input),
``/dev/stdin``, a FIFO or a shell's ``<(...)``: nothing here seeks, so streams
are read once like files. gzip, bzip2 and xz are recognised by their leading
bytes (not the file name) and unpacked with the standard library. Before any
token is read the first block is checked:

* a UTF-8 byte-order mark is dropped (else it stays glued to the first word);
* UTF-16 and UTF-32 (a BOM, or NUL bytes) are refused with a hint to convert, since
  tokens are split at ASCII whitespace bytes, which those encodings do not have;
* NUL bytes mean binary data (an archive, a model file): refused rather than trained
  into a vocabulary of junk words. UTF-8 text never holds a NUL.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import sys
import zlib

#: Leading bytes of the compressed formats read on the fly.
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"))
_OPENERS = {"gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
            "bz2": lambda f: bz2.BZ2File(f, mode="rb"),
            "xz": lambda f: lzma.LZMAFile(f, mode="rb")}
#: Formats recognised only to be refused clearly.
_ARCHIVES = ((b"PK\x03\x04", "a zip archive"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
             (b"\x28\xb5\x2f\xfd", "zstd-compressed"))
_MAGIC_BYTES = 6
_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))
#: Bytes checked for a BOM and NULs: enough to see binary data, read once anyway.
SNIFF_BYTES = 1 << 16
#: What the decompressors raise on damaged or truncated data.
DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


def compression_of(magic):
    """The compressed format whose leading bytes `magic` starts with ('gzip', 'bz2', 'xz'), or None.

    bzip2's "BZh" is followed by its block size, a digit 1-9: text that
    starts with "BZh" (a word) is not taken for it.
    """
    name = next((name for sig, name in _COMPRESSED if magic.startswith(sig)), None)
    if name == "bz2" and not b"1" <= magic[3:4] <= b"9":
        return None
    return name


def open_decompressed(fileobj, compression):
    """A binary file object reading `fileobj` decompressed (`compression` from :func:`compression_of`)."""
    return _OPENERS[compression](fileobj)


class CorpusError(ValueError):
    """The corpus cannot be read or holds nothing to train on."""


class EmptyCorpusError(CorpusError):
    """The corpus (or one shard of it, in the cluster mode) holds no tokens."""


def _is_path(item):
    return isinstance(item, (str, bytes)) or hasattr(item, "__fspath__")


def is_file_spec(source):
    """True if ``source`` names corpus files rather than holding sentences.

    A path (``str``, ``bytes``, ``os.PathLike``) or a non-empty list or tuple of
    ``str``/``os.PathLike`` is a file spec; a list of token lists is sentences.
    """
    if _is_path(source):
        return True
    return (isinstance(source, (list, tuple)) and len(source) > 0
            and all(isinstance(p, str) or hasattr(p, "__fspath__") for p in source))


def corpus_paths(spec):
    """The files a corpus spec names, in the order they are read.

    Parameters
    ----------
    spec : str, os.PathLike, or list or tuple of them
        A file; ``"-"`` for standard input; a directory, standing for its
        regular files in sorted name order (not recursive, hidden files
        skipped, as gensim's ``PathLineSentences``); or a list of these,
        each expanded in turn.

    Returns
    -------
    list of str
        Paths as given (a directory's files joined to it); ``"-"`` stays ``"-"``.

    Raises
    ------
    CorpusError
        A path that does not exist, a directory without files, an empty list,
        or ``"-"`` given more than once.
    """
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if not items:
        raise CorpusError("no corpus files given")
    paths = []
    for item in items:
        if not _is_path(item):
            raise TypeError(f"corpus paths must be str or os.PathLike, not {type(item).__name__}")
        path = os.fsdecode(os.fspath(item))
        if path == "-":
            paths.append(path)
        elif os.path.isdir(path):
            paths.extend(_directory_files(path))
        elif os.path.exists(path):
            paths.append(path)
        else:
            raise CorpusError(f"{path}: no such file")
    if paths.count("-") > 1:
        raise CorpusError("-: standard input can be read only once")
    return paths


def _directory_files(path):
    """Regular files (links followed) directly in ``path``, hidden ones skipped, by name."""
    try:
        with os.scandir(path) as entries:
            names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_file())
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the directory: {exc.strerror or exc}") from None
    if not names:
        raise CorpusError(f"{path}: no files in this directory (subdirectories and hidden "
                          "files are skipped)")
    return [os.path.join(path, name) for name in names]


def corpus_name(spec):
    """How messages name a corpus spec: the path, or the first of several."""
    items = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    names = [os.fsdecode(os.fspath(p)) if _is_path(p) else repr(p) for p in items]
    if len(names) <= 1:
        return names[0] if names else "corpus"
    return f"{names[0]} (and {len(names) - 1} more)"


class _Prefixed:
    """A stream that first returns ``head``, then the rest of ``stream``; counts raw bytes."""

    def __init__(self, stream, head=b""):
        self._stream = stream
        self._head = head
        self.consumed = 0

    def read(self, size=-1):
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
            else:
                data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._stream.read(size)
        self.consumed += len(data)
        return data


def _read_up_to(stream, size):
    """Up to ``size`` bytes; pipes return what is there, so read until full or at the end."""
    parts, got = [], 0
    while got < size:
        data = stream.read(size - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


class CorpusStream:
    """A corpus opened for one pass: decompressed, checked, without a BOM.

    Parameters
    ----------
    path : str
        A file, ``-`` for standard input, or any path ``open`` reads (FIFO, /dev/stdin).

    Attributes
    ----------
    compression : {None, 'gzip', 'bz2', 'xz'}
    size : int or None
        Bytes on disk for a regular file; None for a stream.
    offset : int
        Bytes skipped at the start of an uncompressed file (a UTF-8 BOM).
    consumed : int
        Bytes read from the file so far (compressed bytes for compressed input).

    Raises
    ------
    CorpusError
        Missing, unreadable, damaged, binary or UTF-16/32 input.
    """

    def __init__(self, path):
        self.path = path
        self._owned = path != "-"
        if not self._owned:
            handle = sys.stdin.buffer
        elif os.path.isdir(path):
            raise CorpusError(f"{path}: is a directory, not a corpus file")
        else:
            try:
                handle = open(path, "rb")
            except FileNotFoundError:
                raise CorpusError(f"{path}: no such file") from None
            except OSError as exc:
                raise CorpusError(f"{path}: cannot read: {exc.strerror or exc}") from None
        self._handle = handle
        try:
            self._open(handle)
        except BaseException:
            self.close()
            raise

    def _open(self, handle):
        mode = os.fstat(handle.fileno()).st_mode
        self.size = os.fstat(handle.fileno()).st_size if stat.S_ISREG(mode) else None
        try:
            magic = _read_up_to(handle, _MAGIC_BYTES)
            self._raw = _Prefixed(handle, magic)
            self.compression = compression_of(magic)
            for sig, name in _ARCHIVES:
                if magic.startswith(sig):
                    raise CorpusError(f"{self.path}: {name}, not text; unpack it first")
            text = self._raw if self.compression is None else open_decompressed(self._raw, self.compression)
            head = _read_up_to(text, SNIFF_BYTES)
        except DECOMPRESSION_ERRORS as exc:
            raise self.damaged(exc) from None
        self.offset = 0
        if head.startswith(_UTF8_BOM):
            head = head[len(_UTF8_BOM):]
            self.offset = len(_UTF8_BOM) if self.compression is None else 0
        for bom, name in _WIDE_BOMS:
            if head.startswith(bom):
                raise CorpusError(f"{self.path}: {name} text; convert it to UTF-8 first "
                                  f"(iconv -f {name} -t UTF-8)")
        if b"\x00" in head:
            raise CorpusError(f"{self.path}: binary data (NUL bytes in the first "
                              f"{len(head)} bytes), not UTF-8 text; UTF-16 or UTF-32 text "
                              "must be converted to UTF-8 first")
        self._text = _Prefixed(text, head)

    def damaged(self, exc):
        """The CorpusError for a decompression error ``exc``."""
        if isinstance(exc, EOFError):
            return CorpusError(f"{self.path}: truncated compressed file")
        what = f"damaged {self.compression} data" if getattr(self, "compression", None) else "cannot read"
        return CorpusError(f"{self.path}: {what}: {getattr(exc, 'strerror', None) or exc}")

    @property
    def consumed(self):
        return self._raw.consumed

    def read(self, size=-1):
        """Decompressed bytes; decompression errors surface here (see :meth:`damaged`)."""
        return self._text.read(size)

    def close(self):
        if self._owned:
            self._handle.close()
