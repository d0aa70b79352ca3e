"""Compiled tokeniser: bytes in, provisional word ids and line lengths out.

Splitting text into Python strings and looking each up in a dict costs about
300 ns a token; this module does the same work on raw bytes in compiled code
(tens of nanoseconds a token). Tokens are maximal runs of bytes other than
ASCII whitespace (space, tab, newline, carriage return, vertical tab, form
feed), as in word2vec.c; a newline also ends a sentence.

Distinct tokens live in an open-addressing hash table keyed by the FNV-1a
hash of their bytes; their bytes are kept once, in an arena, and decoded to
``str`` only at the end (:meth:`ByteVocab.words`).
"""

import numpy as np
from numba import njit

# FNV-1a, 64-bit: offset basis and prime from the FNV specification.
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_NEWLINE = 10
# Fibonacci hashing: the slot is the top bits of hash * 2**64/phi. FNV-1a's
# low bits cluster on short, similar words, and linear probing on them ran
# ten times slower on Wikipedia text.
_FIB = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always")
def _slot(h, shift):
    return (h * _FIB) >> shift


@njit(cache=True, inline="always")
def _is_space(c):
    # space, \t \n \v \f \r
    return c == 32 or (c >= 9 and c <= 13)


@njit(cache=True)
def _shift(size):
    """64 - log2(size) for a power-of-two table size."""
    k = 0
    while (1 << k) < size:
        k += 1
    return np.uint64(64 - k)


@njit(cache=True)
def _grow(a, size):
    out = np.empty(size, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _rehash(slots, hashes, n_words):
    """Double the slot table and reinsert every word."""
    new = np.full(slots.shape[0] * 2, -1, dtype=np.int32)
    mask = np.uint64(new.shape[0] - 1)
    shift = _shift(new.shape[0])
    for w in range(n_words):
        s = _slot(hashes[w], shift)
        while new[s] >= 0:
            s = (s + np.uint64(1)) & mask
        new[s] = w
    return new


@njit(cache=True)
def scan_bytes(buf, slots, hashes, starts, lens, counts, arena, n_words, arena_used,
               ids, n_ids, lengths, n_lengths, pending):
    """Tokenise ``buf`` and append to the running state.

    ``buf`` (uint8) must end at a whitespace byte or at the end of the file,
    so no token is cut. ``ids`` and ``lengths`` must have room for every token
    and line of ``buf`` (the caller ensures it); the word tables grow here.
    ``pending`` counts the tokens of a line still open from earlier buffers.

    Returns the (possibly reallocated) tables and the updated counters, in
    argument order from ``slots`` to ``pending``.
    """
    n = buf.shape[0]
    mask = np.uint64(slots.shape[0] - 1)
    shift = _shift(slots.shape[0])
    i = 0
    while i < n:
        c = buf[i]
        if _is_space(c):
            if c == _NEWLINE and pending > 0:
                lengths[n_lengths] = pending
                n_lengths += 1
                pending = 0
            i += 1
            continue
        j = i
        h = _FNV_OFFSET
        while j < n and not _is_space(buf[j]):
            h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
            j += 1
        length = j - i
        s = _slot(h, shift)
        while True:
            w = slots[s]
            if w < 0:
                w = n_words
                if w == hashes.shape[0]:
                    hashes = _grow(hashes, 2 * w)
                    starts = _grow(starts, 2 * w)
                    lens = _grow(lens, 2 * w)
                    counts = _grow(counts, 2 * w)
                if arena_used + length > arena.shape[0]:
                    arena = _grow(arena, max(2 * arena.shape[0], arena_used + length))
                arena[arena_used: arena_used + length] = buf[i:j]
                hashes[w] = h
                starts[w] = arena_used
                lens[w] = length
                counts[w] = 0
                arena_used += length
                n_words += 1
                slots[s] = w
                if 2 * n_words > slots.shape[0]:  # keep the load factor under 1/2
                    slots = _rehash(slots, hashes, n_words)
                    mask = np.uint64(slots.shape[0] - 1)
                    shift = _shift(slots.shape[0])
                break
            if hashes[w] == h and lens[w] == length:
                a = starts[w]
                same = True
                for k in range(length):
                    if arena[a + k] != buf[i + k]:
                        same = False
                        break
                if same:
                    break
            s = (s + np.uint64(1)) & mask
        ids[n_ids] = w
        n_ids += 1
        counts[w] += 1
        pending += 1
        i = j
    return (slots, hashes, starts, lens, counts, arena, n_words, arena_used,
            ids, n_ids, lengths, n_lengths, pending)


class ByteVocab:
    """Running state of :func:`scan_bytes` over a whole file.

    Parameters
    ----------
    id_capacity : int
        Initial room for token ids; the array grows by doubling when needed.
    """

    def __init__(self, id_capacity=1 << 16):
        self._state = [
            np.full(1 << 16, -1, dtype=np.int32),  # slots
            np.empty(1 << 15, dtype=np.uint64),  # hashes
            np.empty(1 << 15, dtype=np.int64),  # starts
            np.empty(1 << 15, dtype=np.int32),  # lens
            np.empty(1 << 15, dtype=np.int64),  # counts
            np.empty(1 << 20, dtype=np.uint8),  # arena
            0,  # n_words
            0,  # arena_used
            np.empty(max(int(id_capacity), 1 << 16), dtype=np.int32),  # ids
            0,  # n_ids
            np.empty(1 << 12, dtype=np.int64),  # lengths
            0,  # n_lengths
            0,  # pending
        ]

    def feed(self, data):
        """Tokenise ``data`` (bytes ending at whitespace or end of file)."""
        st = self._state
        need_ids = st[9] + len(data) // 2 + 1  # a token takes >= 2 bytes with its separator
        if need_ids > st[8].shape[0]:
            st[8] = _grow(st[8], max(2 * st[8].shape[0], need_ids))
        need_lines = st[11] + data.count(b"\n") + 1
        if need_lines > st[10].shape[0]:
            st[10] = _grow(st[10], max(2 * st[10].shape[0], need_lines))
        self._state = list(scan_bytes(np.frombuffer(data, dtype=np.uint8), *st))

    def finish(self):
        """Close the last line; returns ``(ids, sentence_lengths, raw_words, counts)``.

        ``raw_words`` are the distinct tokens as bytes, by provisional id.
        """
        st = self._state
        if st[12] > 0:
            if st[11] == st[10].shape[0]:
                st[10] = _grow(st[10], st[11] + 1)
            st[10][st[11]] = st[12]
            st[11] += 1
            st[12] = 0
        n_words, starts, lens, arena = st[6], st[2], st[3], st[5]
        raw = [arena[starts[w]: starts[w] + lens[w]].tobytes() for w in range(n_words)]
        return st[8][: st[9]], st[10][: st[11]].copy(), raw, st[4][:n_words].copy()

    @property
    def n_tokens(self):
        return self._state[9]

