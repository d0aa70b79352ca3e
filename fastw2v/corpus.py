"""Reading a text corpus into a flat id array in one streaming pass.

A corpus is UTF-8 text, from one file or several read in order, or a stream,
gzip, bzip2 or xz compressed or not (:mod:`fastw2v.sources` lists and opens
them); one line is one sentence, and a file's end ends one; tokens are
separated by ASCII whitespace (as in word2vec.c).
Bytes that are not valid UTF-8 are replaced by U+FFFD, so such a file trains
instead of failing.

The pass (compiled, in :mod:`fastw2v.tokenizer`) gives every distinct token
a *provisional* id in order of first appearance and writes the ids into an
int32 array (4 bytes a token; the text itself is never held, only one chunk
of it at a time), counting each token as it goes. The final vocabulary is
then applied by :func:`fastw2v.encoding.encode`, so the whole corpus costs
one read. A plain file is cut into one part per thread at whitespace;
the parts are tokenised at the same time and merged (the vocabulary keeps
first-appearance order, lines cut at a part boundary are joined again);
files read one after the other are merged the same way.
Only the words finally kept are decoded to ``str``.
Lines of any length work: a 100 MB single-line file is read in chunks cut at
whitespace, never split mid-token and never truncated.
"""

from __future__ import annotations

import array
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .sources import (DECOMPRESSION_ERRORS, CorpusError, CorpusStream, EmptyCorpusError,
                      corpus_name, corpus_paths)
from .tokenizer import ByteVocab

logger = logging.getLogger(__name__)

#: Unicode spaces, which Python's ``str.split()`` (so gensim's ``LineSentence``)
#: splits on and ASCII-whitespace tokenizers (word2vec.c's, this one) do not.
_UNICODE_SPACES = re.compile("[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def warn_unsplit_spaces(words):
    """Warn when words of the vocabulary hold Unicode spaces: they were not split there.

    (A corpus spaced with U+3000 or U+00A0 trained one token a line, at loss
    0, without a word.)
    """
    if not _UNICODE_SPACES.search("\n".join(words)):
        return
    spaced = [w for w in words if _UNICODE_SPACES.search(w)]
    logger.warning("%d words of the vocabulary hold Unicode spaces (U+00A0, U+3000, ...; "
                   "the first: %r), which do not separate tokens here (ASCII whitespace does, "
                   "as in word2vec.c); replace them with spaces to split the words there",
                   len(spaced), spaced[0][:60])


def _warn_invalid_utf8(name, raw_words, counts):
    """Warn about tokens that are not valid UTF-8 (read with U+FFFD for their bad bytes)."""
    bad = []
    for i, word in enumerate(raw_words):
        try:
            word.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
    if bad:
        logger.warning("%s: %d distinct words (%d occurrences) are not valid UTF-8: their bad "
                       "bytes were read as U+FFFD, and words differing only there merged "
                       "(is the corpus in another encoding, such as latin-1?)", name, len(bad),
                       int(np.asarray(counts)[bad].sum()))

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

    The provisional ids come in parts (one per thread that read a large
    file, one per run of files read in turn), each numbered in its own
    vocabulary and mapped to the shared provisional ids by its remap.
    Copying them into one array would cost a second array the size of the
    corpus; :func:`fastw2v.encoding.encode` reads the parts where they lie.

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


def _reopenable(stream):
    """A regular file named by its path can be opened again; stdin and pipes cannot."""
    return stream.path != "-" and stream.size is not None


def _check_files(paths):
    """Open every file once before any is read, so a bad one fails at once, not hours later.

    Returns their :class:`~fastw2v.sources.CorpusStream` (size, compression, BOM
    offset). A regular file's is closed again, since a corpus may be more files
    than may be open at once, and reopened when its turn comes; a stream's stays open.
    """
    streams = []
    try:
        for path in paths:
            streams.append(CorpusStream(path))
            if _reopenable(streams[-1]):
                streams[-1].close()
    except BaseException:
        for stream in streams:
            stream.close()
        raise
    return streams


def _n_parts(stream, threads):
    """Parts a file is read in: one a thread for a plain file of MIN_PART_BYTES a thread."""
    if stream.compression is not None or not _reopenable(stream):
        return 1
    return max(1, min(int(threads), stream.size // MIN_PART_BYTES))


def _room(stream, n_parts):
    """Tokens to reserve for a file's ids.

    Plain text holds at most one token per two bytes (a token and its
    separator), plus one per part (a last token without separator) and one for
    the newline fed after the file; compressed text gets a guess of two tokens
    per compressed byte, a stream none. Pages no part writes are never
    touched, so the room costs address space, not memory. Text beyond the
    room makes its ids grow into an array of their own (then all the ids are
    copied once into one array at the end).
    """
    if stream.size is None:
        return 0
    if stream.compression is not None:
        return stream.size * 2
    return (stream.size - stream.offset) // 2 + n_parts + 1


class _Reader:
    """Reads the files of a corpus in order into one id buffer (see :func:`scan_corpus`).

    Consecutive files read on this thread share one :class:`ByteVocab` (a part);
    a large plain file is read in parts on several threads. Each part writes its
    ids to its own stretch of ``buffer``, reserved from the files' sizes, so no
    id is copied; the first part's vocabulary takes in the later parts' words,
    in order, so provisional ids follow first appearance over all the files.
    """

    def __init__(self, streams, progress, chunk_bytes, threads):
        self.streams = streams
        self.plans = [_n_parts(s, threads) for s in streams]
        self.buffer = np.empty(sum(_room(s, n) for s, n in zip(streams, self.plans)), dtype=np.int32)
        self.free = 0  # where the next part's ids go in buffer
        self.progress, self.chunk_bytes = progress, chunk_bytes
        sizes = [s.size for s in streams]
        self.total = 0 if None in sizes else sum(sizes)  # 0: unknown (a stream)
        self.bytes_done = 0  # of the files read
        self.tokens_done = 0  # of the parts taken in
        self.base = None  # the first part's vocabulary; takes in the others'
        self.pieces = []  # (ids, start in buffer or None, remap) of each part
        self.lengths = []  # sentence lengths of each run of parts

    def read(self):
        """Read every file; returns what :class:`ScannedCorpus` is made of."""
        running, start = None, 0  # the part reading files in turn, and where its ids start
        for stream, n_parts in zip(self.streams, self.plans):
            if n_parts > 1:
                if running is not None:
                    self._take([running], [start])
                    running = None
                self._read_parts(stream, n_parts)
                continue
            if running is None:
                start = self.free
                running = ByteVocab(self.buffer[start:] if start < self.buffer.size else None)
            self._read_stream(stream, running)
        if running is not None:
            self._take([running], [start])
        if self.progress is not None:
            self.progress(self.bytes_done, self.total, self.tokens_done)
        return self._gather()

    def _report(self, file_bytes, tokens):
        if self.progress is not None:
            self.progress(self.bytes_done + file_bytes, self.total, self.tokens_done + tokens)

    def _read_stream(self, stream, state):
        """Tokenise one file on this thread, appending to ``state``."""
        if _reopenable(stream):
            stream = CorpusStream(stream.path)
        try:
            for data in iter_chunks(stream, self.chunk_bytes):
                state.feed(data)
                self._report(stream.consumed, state.n_tokens)
        except DECOMPRESSION_ERRORS as exc:  # damaged compressed data, a read error
            raise stream.damaged(exc) from None
        finally:
            stream.close()
        if state.pending:
            state.feed(b"\n")  # a file's end ends its last line
        self.bytes_done += stream.consumed

    def _read_parts(self, stream, n_parts):
        """Read a plain file in ``n_parts`` parts on as many threads (BOM skipped)."""
        path, size = stream.path, stream.size
        try:
            with open(path, "rb") as fh:
                cuts = split_points(fh, size, n_parts)
            cuts[0] = stream.offset
            # each part's room: a token takes at least two bytes with its separator
            room = [(cuts[k + 1] - cuts[k]) // 2 + 1 for k in range(n_parts)]
            offsets = self.free + np.concatenate([[0], np.cumsum(room)]).astype(np.int64)
            parts = [ByteVocab(self.buffer[offsets[k]: offsets[k + 1]], continues_line=k > 0)
                     for k in range(n_parts)]
            done = [0] * n_parts
            cancel = threading.Event()
            with ThreadPoolExecutor(n_parts) as pool:
                futures = [pool.submit(_read_part, path, cuts[k], cuts[k + 1], parts[k],
                                       self.chunk_bytes, done, k, cancel) for k in range(n_parts)]
                try:
                    for future in futures:
                        while True:
                            try:
                                future.result(timeout=0.2)
                                break
                            except FutureTimeout:
                                self._report(sum(done), sum(p.n_tokens for p in parts))
                except BaseException:
                    cancel.set()
                    raise
        except DECOMPRESSION_ERRORS as exc:  # a read error
            raise stream.damaged(exc) from None
        self._take(parts, offsets[:-1])
        self.bytes_done += size

    def _take(self, parts, starts):
        """Take in finished parts (a run of files, or the parts of one file) and their lines."""
        self.lengths.append(join_lines(parts))
        for part, start in zip(parts, starts):
            if self.base is None:
                self.base, remap = part, None
            else:
                remap = self.base.absorb(part)
            ids = part.ids
            in_buffer = ids.base is self.buffer  # else it outgrew its room
            if in_buffer:
                self.free = int(start) + part.n_tokens
            self.pieces.append((ids, int(start) if in_buffer else None, remap))
            self.tokens_done += part.n_tokens

    def _gather(self):
        """``(vocabulary, buffer, part_starts, part_lengths, part_remaps, sentence_lengths)``."""
        ids, starts, remaps = zip(*self.pieces)
        n_tokens = np.array([a.shape[0] for a in ids], dtype=np.int64)
        if None not in starts:
            buffer, starts = self.buffer, np.array(starts, dtype=np.int64)
        elif len(ids) == 1:
            buffer, starts = ids[0], np.zeros(1, dtype=np.int64)
        else:  # some ids outgrew their room: gather them all in one array
            buffer = np.concatenate(ids)
            starts = np.concatenate([[0], np.cumsum(n_tokens)[:-1]]).astype(np.int64)
        return self.base, buffer, starts, n_tokens, list(remaps), np.concatenate(self.lengths)


def scan_corpus(spec, progress=None, chunk_bytes=CHUNK_BYTES, threads=1):
    """Read a corpus once into provisional ids, sentence lengths and counts.

    Several files are read in order as one corpus; each line is a sentence and
    the end of a file ends one. Provisional ids follow first appearance over
    all of them, as for their concatenation.

    Parameters
    ----------
    spec : str, os.PathLike, or list or tuple of them
        A file, ``"-"`` for standard input, a directory (its files in name
        order), or a list of these (see :func:`fastw2v.sources.corpus_paths`
        and :mod:`fastw2v.sources`).
    progress : callable, optional
        Called as ``progress(bytes_read, total_bytes, tokens_so_far)`` as
        reading goes, over all the files (``total_bytes`` is their size on
        disk, 0 if one is a stream; for compressed input the compressed
        position is reported against it).
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
        If a file is missing, unreadable, damaged or not text (the message
        names it), or the corpus holds no tokens. Every file is opened and
        checked before any is read.
    """
    streams = _check_files(corpus_paths(spec))
    try:
        vocab, buffer, starts, n_tokens, remaps, lengths = _Reader(
            streams, progress, chunk_bytes, threads).read()
    finally:
        for stream in streams:
            stream.close()
    if n_tokens.sum() == 0:
        raise EmptyCorpusError(f"{corpus_name(spec)}: the corpus is empty (no tokens)")
    counts = vocab.counts.copy()
    if vocab.utf8_clean():
        return ScannedCorpus(buffer, starts, n_tokens, remaps, lengths, counts, vocab.decode)
    # Some words are not valid UTF-8: decode them all and merge those that
    # come out alike (rare, and only then is every word decoded here).
    raw_words = vocab.raw_words()
    _warn_invalid_utf8(corpus_name(spec), raw_words, counts)
    words, merged, counts = decode_words(raw_words, counts)
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
        if "\n" in token or "\r" in token:  # refused now rather than when saving, after training
            raise ValueError(f"token {token!r} holds a line break, which no vectors file or "
                             "saved model can hold")
        try:
            token.encode("utf-8")
        except UnicodeEncodeError:  # (likewise: every save failed after training)
            raise ValueError(f"token {token!r} holds a lone surrogate, which is no Unicode "
                             "character: no file can hold it (text decoded with "
                             "errors='surrogateescape'?)") from None
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
    ValueError
        A token holds a line break or a lone surrogate (likewise).
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
        except (TypeError, ValueError) as exc:  # a token of another type or with a line
            # break, or a sentence that is no iterable
            raise type(exc)(f"sentence {number}: {exc}") from None
        if chunk.size:
            pieces.append(chunk)
            lengths.append(chunk.size)
    if not pieces:
        raise CorpusError("the corpus is empty (no tokens)")
    flat = np.concatenate(pieces)
    counts = np.bincount(flat, minlength=len(vocab)).astype(np.int64)
    lengths = np.frombuffer(lengths, dtype=np.int64).copy()
    return ScannedCorpus.single(flat, lengths, counts, _list_decoder(list(vocab)))
