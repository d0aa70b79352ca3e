"""Reading a text corpus into a flat id array in one streaming pass.

A corpus is UTF-8 text, from a file or a stream, gzip, bzip2 or xz compressed
or not (:mod:`fastw2v.sources` opens it); one line is one sentence, tokens are separated by ASCII whitespace (as in word2vec.c).
Bytes that are not valid UTF-8 are replaced by U+FFFD, so such a file trains
instead of failing.

The pass (compiled, in :mod:`fastw2v.tokenizer`) gives every distinct token
a *provisional* id in order of first appearance and writes the ids into an
int32 array (4 bytes a token; the text itself is never held, only one chunk
of it at a time), counting each token as it goes. The final vocabulary is
then applied by :func:`fastw2v.encoding.encode`, so the whole corpus costs
one read. A plain file is cut into one part per thread at whitespace;
the parts are tokenised at the same time and merged (the vocabulary keeps
first-appearance order, lines cut at a part boundary are joined again).
Only the words finally kept are decoded to ``str``.
Lines of any length work: a 100 MB single-line file is read in chunks cut at
whitespace, never split mid-token and never truncated.
"""

from __future__ import annotations

import array
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .sources import DECOMPRESSION_ERRORS, CorpusError, CorpusStream
from .tokenizer import ByteVocab

__all__ = ["CorpusError", "ScannedCorpus", "scan_corpus", "scan_sentences"]

#: Bytes read at a time: 4 MiB keeps the chunk and its copy small next to
#: the id array while the per-chunk call overhead stays negligible.
CHUNK_BYTES = 1 << 22

#: Smallest part worth a thread of its own: below 1 MiB (a few milliseconds
#: of tokenising) the thread start and the merge of the parts' vocabularies
#: cost more than they save.
MIN_PART_BYTES = 1 << 20

_WHITESPACE = b" \t\r\n\x0b\x0c"


@dataclass
class ScannedCorpus:
    """Result of :func:`scan_corpus`.

    The provisional ids come in parts, one per thread that read the file,
    each numbered in its own vocabulary and mapped to the shared provisional
    ids by its remap. Copying them into one array would cost a second array
    the size of the corpus; :func:`fastw2v.encoding.encode` reads the parts
    where they lie.

    Attributes
    ----------
    buffer : ndarray of int32
        Holds every part.
    part_starts, part_lengths : ndarray of int64, shape (P,)
        Part ``p`` is ``buffer[part_starts[p]:part_starts[p] + part_lengths[p]]``.
    part_remaps : list of (ndarray of int32 or None)
        Provisional id of each of a part's ids (None: they already are).
    sentence_lengths : ndarray of int64, shape (S,)
        Tokens per non-empty line, in order; they sum to the parts' lengths.
    counts : ndarray of int64, shape (W,)
        Occurrences of each distinct token, by provisional id (ids follow
        first appearance).
    words_at : callable
        ``words_at(indices)`` is the list of tokens (``str``) with those
        provisional ids; decoding only the words kept saves building
        hundreds of thousands of strings for words that ``min_count`` drops.
    """

    buffer: np.ndarray
    part_starts: np.ndarray
    part_lengths: np.ndarray
    part_remaps: list
    sentence_lengths: np.ndarray
    counts: np.ndarray
    words_at: Callable

    @classmethod
    def single(cls, ids, sentence_lengths, counts, words_at):
        """A scan whose ids form one array already in provisional numbering."""
        zero = np.zeros(1, dtype=np.int64)
        return cls(ids, zero, np.array([ids.shape[0]], dtype=np.int64), [None],
                   sentence_lengths, counts, words_at)

    @property
    def n_tokens(self) -> int:
        return int(self.part_lengths.sum())

    @property
    def ids(self) -> np.ndarray:
        """Provisional id of every token, in corpus order (a copy)."""
        pieces = []
        for start, length, remap in zip(self.part_starts, self.part_lengths, self.part_remaps):
            piece = self.buffer[start: start + length]
            pieces.append(piece.copy() if remap is None else remap[piece])
        return np.concatenate(pieces).astype(np.int32, copy=False)

    @property
    def words(self) -> list:
        """Every distinct token, by provisional id."""
        return self.words_at(range(self.counts.shape[0]))


def iter_chunks(fh, chunk_bytes=CHUNK_BYTES, limit=None):
    """Yield the bytes of a binary stream in pieces that end at whitespace.

    A piece ends at the last whitespace byte of what was read, so no token is
    cut; the final piece ends where the stream (or ``limit`` bytes) does.
    Whitespace bytes are ASCII and never occur inside a UTF-8 multi-byte
    sequence.
    """
    rest = b""
    left = limit
    while True:
        size = chunk_bytes if left is None else min(chunk_bytes, left)
        data = fh.read(size) if size > 0 else b""
        if left is not None:
            left -= len(data)
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


def split_points(fh, size, parts):
    """Offsets that cut a seekable file of ``size`` bytes into ``parts`` parts.

    Each inner cut lies just after the first whitespace byte at or after an
    even share of the file, so no token is split (a line may be: see
    :func:`join_lines`). Returns ``parts + 1`` non-decreasing offsets from 0
    to ``size``; a part may be empty.
    """
    cuts = [0]
    for k in range(1, parts):
        pos = max(cuts[-1], k * size // parts)
        fh.seek(pos)
        while True:
            block = fh.read(1 << 16)
            if not block:
                pos = size
                break
            hit = [i for i in (block.find(c) for c in _WHITESPACE) if i >= 0]
            if hit:
                pos += min(hit) + 1
                break
            pos += len(block)
        cuts.append(pos)
    cuts.append(size)
    return cuts


def join_lines(parts):
    """Sentence lengths of consecutive parts of one file, in order.

    Every part but the first may start inside a line left open by the part
    before it; such a part records its first line even when empty (see
    :class:`~fastw2v.tokenizer.ByteVocab`), and that count is added to the
    open one. Lines left without tokens are dropped.
    """
    pieces = []
    carry = 0
    for k, part in enumerate(parts):
        lengths = part.line_lengths()
        if k > 0 and lengths.size:
            lengths[0] += carry
            carry = 0
        pieces.append(lengths)
        carry += part.pending
    pieces.append(np.array([carry], dtype=np.int64))
    lengths = np.concatenate(pieces)
    return lengths[lengths > 0]


def _read_part(path, start, stop, part, chunk_bytes, done, k, cancel):
    """Tokenise bytes ``start:stop`` of ``path`` into ``part`` (runs in a thread)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        for data in iter_chunks(fh, chunk_bytes, limit=stop - start):
            if cancel.is_set():
                return
            part.feed(data)
            done[k] = fh.tell() - start


def _scan_parts(path, total_bytes, n_parts, progress, chunk_bytes, offset=0):
    """Read a plain file in ``n_parts`` parts on as many threads; merge their words.

    The first ``offset`` bytes (a byte-order mark) are skipped. Returns ``(vocabulary, buffer, part_starts, part_lengths, part_remaps,
    sentence_lengths)`` as in :class:`ScannedCorpus`.
    """
    with open(path, "rb") as fh:
        cuts = split_points(fh, total_bytes, n_parts)
    cuts[0] = offset
    # One buffer with room for each part's tokens (a token takes at least two
    # bytes with its separator); pages no part writes are never touched, so
    # the room costs address space, not memory.
    room = [(cuts[k + 1] - cuts[k]) // 2 + 1 for k in range(n_parts)]
    offsets = np.concatenate([[0], np.cumsum(room)])
    buffer = np.empty(int(offsets[-1]), dtype=np.int32)
    parts = [ByteVocab(buffer[offsets[k]: offsets[k + 1]], continues_line=k > 0)
             for k in range(n_parts)]
    done = [0] * n_parts
    cancel = threading.Event()
    with ThreadPoolExecutor(n_parts) as pool:
        futures = [pool.submit(_read_part, path, cuts[k], cuts[k + 1], parts[k], chunk_bytes,
                               done, k, cancel) for k in range(n_parts)]
        try:
            for future in futures:
                while True:
                    try:
                        future.result(timeout=0.2)
                        break
                    except FutureTimeout:
                        if progress is not None:
                            progress(sum(done), total_bytes, sum(p.n_tokens for p in parts))
        except BaseException:
            cancel.set()
            raise
    base = parts[0]
    remaps = [None] + [base.absorb(part) for part in parts[1:]]
    lengths = join_lines(parts)
    if any(part.ids.base is not buffer for part in parts):  # a part outgrew its room
        buffer = np.concatenate([part.ids for part in parts])
        offsets = np.concatenate([[0], np.cumsum([part.n_tokens for part in parts])])
    starts = offsets[:-1].astype(np.int64)
    n_tokens = np.array([part.n_tokens for part in parts], dtype=np.int64)
    if progress is not None:
        progress(total_bytes, total_bytes, int(n_tokens.sum()))
    return base, buffer, starts, n_tokens, remaps, lengths


def _scan_stream(stream, progress, chunk_bytes):
    """Read a :class:`~fastw2v.sources.CorpusStream` in one pass on this thread."""
    # Every token takes at least two bytes with its separator, so for plain
    # text of known size this never needs to grow; pages never written are
    # never touched, so the over-estimate costs address space, not memory.
    # Other input grows the ids as it goes.
    if stream.size is None:
        ids = None
    else:
        ids = np.empty(stream.size * 2 if stream.compression else stream.size // 2 + 1, dtype=np.int32)
    state = ByteVocab(ids)
    for data in iter_chunks(stream, chunk_bytes):
        state.feed(data)
        if progress is not None:
            progress(stream.consumed, stream.size or 0, state.n_tokens)
    ids = state.ids
    return (state, ids, np.zeros(1, dtype=np.int64), np.array([ids.size], dtype=np.int64),
            [None], join_lines([state]))


def scan_corpus(path, progress=None, chunk_bytes=CHUNK_BYTES, threads=1):
    """Read ``path`` once into provisional ids, sentence lengths and counts.

    Parameters
    ----------
    path : str or os.PathLike
        A file, or ``"-"`` for standard input (see :mod:`fastw2v.sources`).
    progress : callable, optional
        Called as ``progress(bytes_read, total_bytes, tokens_so_far)`` as
        reading goes (``total_bytes`` is the size on disk, 0 for a stream; for
        compressed input the compressed position is reported against it).
    chunk_bytes : int
        Bytes read at a time.
    threads : int
        A plain (not compressed) file of at least :data:`MIN_PART_BYTES` a
        thread is cut into this many parts, tokenised in parallel.

    Returns
    -------
    ScannedCorpus

    Raises
    ------
    CorpusError
        If the file is missing, unreadable, damaged, not text, or holds no tokens.
    """
    path = os.fspath(path)
    stream = CorpusStream(path)
    n_parts = 1
    if stream.compression is None and stream.size is not None:
        n_parts = max(1, min(int(threads), stream.size // MIN_PART_BYTES))
    try:
        if n_parts == 1:
            scan = _scan_stream(stream, progress, chunk_bytes)
        else:
            stream.close()
            scan = _scan_parts(path, stream.size, n_parts, progress, chunk_bytes, stream.offset)
    except DECOMPRESSION_ERRORS as exc:  # damaged compressed data, a read error
        raise stream.damaged(exc) from None
    finally:
        stream.close()
    vocab, buffer, starts, n_tokens, remaps, lengths = scan
    if n_tokens.sum() == 0:
        raise CorpusError(f"{path}: the corpus is empty (no tokens)")
    counts = vocab.counts.copy()
    if vocab.utf8_clean():
        return ScannedCorpus(buffer, starts, n_tokens, remaps, lengths, counts, vocab.decode)
    # Some words are not valid UTF-8: decode them all and merge those that
    # come out alike (rare, and only then is every word decoded here).
    words, merged, counts = decode_words(vocab.raw_words(), counts)
    if merged is not None:
        merged = merged.astype(np.int32)
        remaps = [merged if r is None else merged[r] for r in remaps]
    return ScannedCorpus(buffer, starts, n_tokens, remaps, lengths, counts, _list_decoder(words))


def _list_decoder(words):
    return lambda indices: [words[i] for i in indices]


class _Vocab(dict):
    """Provisional ids by first appearance; each new token's type is checked once."""

    def __missing__(self, token):
        if not isinstance(token, str):
            raise TypeError(f"tokens must be str, not {type(token).__name__} ({token!r})")
        self[token] = index = len(self)
        return index


def scan_sentences(sentences):
    """Like :func:`scan_corpus`, for an in-memory iterable of token lists.

    Parameters
    ----------
    sentences : iterable of list of str

    Returns
    -------
    ScannedCorpus

    Raises
    ------
    TypeError
        A sentence is a ``str`` or ``bytes`` (not a list of tokens), or holds a token
        that is not a ``str``; the message names the sentence, counted from 0.
    """
    vocab = _Vocab()
    lookup = vocab.__getitem__
    pieces = []
    lengths = array.array("q")
    for number, sentence in enumerate(sentences):
        # a str or bytes would be split into characters or byte values
        if isinstance(sentence, (str, bytes, bytearray)):
            raise TypeError(f"sentence {number}: sentences must be lists of str tokens, "
                            f"not {type(sentence).__name__}: {sentence[:40]!r}")
        try:
            chunk = np.fromiter(map(lookup, sentence), dtype=np.int32)
        except TypeError as exc:  # a token of another type, or a sentence that is no iterable
            raise TypeError(f"sentence {number}: {exc}") from None
        if chunk.size:
            pieces.append(chunk)
            lengths.append(chunk.size)
    if not pieces:
        raise CorpusError("the corpus is empty (no tokens)")
    flat = np.concatenate(pieces)
    counts = np.bincount(flat, minlength=len(vocab)).astype(np.int64)
    lengths = np.frombuffer(lengths, dtype=np.int64).copy()
    return ScannedCorpus.single(flat, lengths, counts, _list_decoder(list(vocab)))
