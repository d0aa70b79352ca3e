"""Reading a text corpus into a flat id array in one streaming pass.

A corpus is a UTF-8 text file (``.gz`` is unpacked on the fly); one line is
one sentence, tokens are separated by ASCII whitespace (as in word2vec.c).
Bytes that are not valid UTF-8 are replaced by U+FFFD, so such a file trains
instead of failing.

The pass (compiled, in :mod:`fastw2v.tokenizer`) gives every distinct token
a *provisional* id in order of first appearance and writes the ids into an
int32 array (4 bytes a token; the text itself is never held, only one chunk
of it at a time), counting each token as it goes. The final vocabulary is
then applied by :func:`remap_and_compact` in place, so the whole corpus
costs one read.
Lines of any length work: a 100 MB single-line file is read in chunks cut at
whitespace, never split mid-token and never truncated.
"""

from __future__ import annotations

import array
import gzip
import os
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numba import njit

from .tokenizer import ByteVocab

#: Bytes read at a time: 4 MiB keeps the chunk and its copy small next to
#: the id array while the per-chunk call overhead stays negligible.
CHUNK_BYTES = 1 << 22

_WHITESPACE = b" \t\r\n\x0b\x0c"


class CorpusError(ValueError):
    """The corpus cannot be read or holds nothing to train on."""


@dataclass
class ScannedCorpus:
    """Result of :func:`scan_corpus`.

    Attributes
    ----------
    ids : ndarray of int32, shape (N,)
        Provisional id of every token, in corpus order.
    sentence_lengths : ndarray of int64, shape (S,)
        Tokens per non-empty line, in order; they sum to N.
    words : list of str
        Distinct tokens; ``words[i]`` has provisional id ``i`` (first appearance order).
    counts : ndarray of int64, shape (len(words),)
    """

    ids: np.ndarray
    sentence_lengths: np.ndarray
    words: list
    counts: np.ndarray

    @property
    def n_tokens(self) -> int:
        return int(self.ids.shape[0])


def open_corpus(path):
    """Open ``path`` for binary reading, unpacking gzip by its magic bytes."""
    if os.path.isdir(path):
        raise CorpusError(f"{path}: is a directory, not a corpus file")
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if fh.read(2) == b"\x1f\x8b":
        fh.seek(0)
        return gzip.GzipFile(fileobj=fh, mode="rb")
    fh.seek(0)
    return fh


def iter_chunks(fh, chunk_bytes=CHUNK_BYTES):
    """Yield the bytes of a binary stream in pieces that end at whitespace.

    A piece ends at the last whitespace byte of what was read, so no token is
    cut; the final piece ends where the file does. Whitespace bytes are ASCII
    and never occur inside a UTF-8 multi-byte sequence.
    """
    rest = b""
    while True:
        data = fh.read(chunk_bytes)
        if not data:
            if rest:
                yield rest
            return
        data = rest + data
        cut = max(data.rfind(c) for c in _WHITESPACE) + 1
        if cut == 0:  # a single token longer than a chunk: keep reading
            rest = data
            continue
        rest = data[cut:]
        yield data[:cut]


def decode_words(raw_words, counts):
    """Decode distinct byte tokens to ``str``, merging tokens that decode alike.

    Invalid UTF-8 is replaced by U+FFFD, so two different invalid byte
    strings can decode to the same word; their ids are merged.

    Returns
    -------
    (list of str, ndarray of int64 or None, ndarray of int64)
        Words, a provisional-id remap (None when nothing merged), and counts.
    """
    words = [w.decode("utf-8", "replace") for w in raw_words]
    first = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    if len(first) == len(words):
        return words, None, counts
    merged = np.array([first[w] for w in words], dtype=np.int64)
    keep = np.unique(merged)
    new_id = np.full(len(words), -1, dtype=np.int64)
    new_id[keep] = np.arange(keep.size)
    remap = new_id[merged]
    new_counts = np.bincount(remap, weights=counts, minlength=keep.size).astype(np.int64)
    return [words[i] for i in keep], remap, new_counts


def scan_corpus(path, progress=None, chunk_bytes=CHUNK_BYTES):
    """Read ``path`` once into provisional ids, sentence lengths and counts.

    Parameters
    ----------
    path : str or os.PathLike
    progress : callable, optional
        Called as ``progress(bytes_read, total_bytes, tokens_so_far)`` after
        each chunk (``total_bytes`` is the size on disk; for gzip input the
        compressed position is reported against it).
    chunk_bytes : int
        Bytes read at a time.

    Returns
    -------
    ScannedCorpus

    Raises
    ------
    CorpusError
        If the file is missing, unreadable, or holds no tokens.
    """
    path = os.fspath(path)
    fh = open_corpus(path)
    total_bytes = os.path.getsize(path)
    gz = isinstance(fh, gzip.GzipFile)
    # Every token takes at least two bytes with its separator, so for plain
    # text this never needs to grow; pages never written are never touched,
    # so the over-estimate costs address space, not memory.
    state = ByteVocab(total_bytes * 2 if gz else total_bytes // 2 + 1)
    raw = fh.fileobj if gz else fh
    try:
        for data in iter_chunks(fh, chunk_bytes):
            state.feed(data)
            if progress is not None:
                progress(raw.tell(), total_bytes, state.n_tokens)
    except OSError as exc:  # e.g. a corrupt gzip stream
        raise CorpusError(f"{path}: cannot read: {exc}") from None
    except EOFError:
        raise CorpusError(f"{path}: truncated compressed file") from None
    finally:
        fh.close()
    ids, lengths, raw_words, counts = state.finish()
    if ids.size == 0:
        raise CorpusError(f"{path}: the corpus is empty (no tokens)")
    words, remap, counts = decode_words(raw_words, counts)
    if remap is not None:
        ids[:] = remap[ids]
    return ScannedCorpus(ids, lengths, words, counts)


@njit(cache=True)
def remap_and_compact(ids, remap, sentence_lengths):
    """Apply ``remap`` to ``ids`` in place, dropping ids that map to -1.

    Parameters
    ----------
    ids : ndarray of int32, shape (N,)
        Provisional ids; overwritten with the kept final ids at the front.
    remap : ndarray of int32, shape (n_provisional,)
        Final id of each provisional id, or -1 to drop it.
    sentence_lengths : ndarray of int64, shape (S,)

    Returns
    -------
    (int, ndarray of int64)
        The number of kept tokens ``K`` (``ids[:K]`` is the encoded corpus)
        and the sentence offsets ``(S' + 1,)`` into it; sentences left empty
        are dropped.
    """
    starts = np.empty(sentence_lengths.shape[0] + 1, dtype=np.int64)
    starts[0] = 0
    n_sent = 0
    read = 0
    write = 0
    for s in range(sentence_lengths.shape[0]):
        begin = write
        for _ in range(sentence_lengths[s]):
            w = remap[ids[read]]
            read += 1
            if w >= 0:
                ids[write] = w
                write += 1
        if write > begin:
            n_sent += 1
            starts[n_sent] = write
    return write, starts[: n_sent + 1].copy()


def scan_sentences(sentences):
    """Like :func:`scan_corpus`, for an in-memory iterable of token lists.

    Parameters
    ----------
    sentences : iterable of list of str

    Returns
    -------
    ScannedCorpus
    """
    vocab = defaultdict()
    vocab.default_factory = vocab.__len__
    lookup = vocab.__getitem__
    pieces = []
    lengths = array.array("q")
    for sentence in sentences:
        if isinstance(sentence, str):
            raise CorpusError("sentences must be lists of tokens, not strings")
        chunk = np.fromiter(map(lookup, sentence), dtype=np.int32)
        if chunk.size:
            pieces.append(chunk)
            lengths.append(chunk.size)
    if not pieces:
        raise CorpusError("the corpus is empty (no tokens)")
    flat = np.concatenate(pieces)
    counts = np.bincount(flat, minlength=len(vocab)).astype(np.int64)
    return ScannedCorpus(flat, np.frombuffer(lengths, dtype=np.int64).copy(), list(vocab), counts)
