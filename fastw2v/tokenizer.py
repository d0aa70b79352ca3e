"""Compiled tokeniser: bytes in, provisional word ids and line lengths out.

Splitting text into Python strings and looking each up in a dict costs about
300 ns a token; this module does the same work on raw bytes in compiled code
(about 40 ns a token on wiki17m). Tokens are maximal runs of bytes other than
ASCII whitespace (space, tab, newline, carriage return, vertical tab, form
feed), as in word2vec.c; a newline also ends a sentence.

Distinct tokens live in an open-addressing hash table keyed by the FNV-1a
hash of their bytes; their bytes are kept once, in an arena, and decoded to
``str`` only for the words that are finally kept (:meth:`ByteVocab.decode`).

The hot loop (:func:`_scan`) never reallocates: when a new word finds the
tables full it returns, the driver grows them and calls it again. Arrays
that may be reassigned inside a loop cost Numba a reload of their data
pointer at every access; keeping growth outside halved the time per token.

The kernels release the GIL, so several :class:`ByteVocab` can tokenise
different parts of one file in Python threads at the same time; one
vocabulary then takes in the others' words with :meth:`ByteVocab.absorb`.
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

# Layout of the counters array ``st`` (int64) shared by the kernels.
_N_WORDS = 0  # distinct words so far
_ARENA_USED = 1  # bytes of the arena in use
_N_IDS = 2  # tokens written to ids
_N_LINES = 3  # line lengths written to lengths
_PENDING = 4  # tokens of the line still open
_HEAD_OPEN = 5  # 1 while the first line continues an earlier part of the file
_NEED = 6  # arena bytes the word that stopped the kernel needs
_N_COUNTERS = 7


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


@njit(cache=True, inline="always")
def _find(slots, shift, hashes, starts, lens, arena, src, i, length, h):
    """Look up the token ``src[i:i + length]`` of hash ``h``.

    Returns ``(slot, id)``: its id and slot, or -1 and the empty slot where
    it belongs. The table is at most half full, so the probe ends quickly.
    """
    mask = np.uint64(slots.shape[0] - 1)
    s = (h * _FIB) >> shift
    while True:
        w = slots[s]
        if w < 0:
            return s, w
        if hashes[w] == h and lens[w] == length:
            a = starts[w]
            k = 0
            while k < length and arena[a + k] == src[i + k]:
                k += 1
            if k == length:
                return s, w
        s = (s + np.uint64(1)) & mask


@njit(cache=True, inline="always")
def _insert(slots, s, hashes, starts, lens, counts, arena, st, src, i, length, h):
    """Add the token ``src[i:i + length]`` at empty slot ``s``; returns its id,
    or -1 (with ``st[_NEED]`` set) when a table is full."""
    w = st[_N_WORDS]
    used = st[_ARENA_USED]
    if 2 * (w + 1) > slots.shape[0] or w == hashes.shape[0] or used + length > arena.shape[0]:
        st[_NEED] = length
        return -1
    for k in range(length):
        arena[used + k] = src[i + k]
    hashes[w] = h
    starts[w] = used
    lens[w] = length
    counts[w] = 0
    slots[s] = w
    st[_ARENA_USED] = used + length
    st[_N_WORDS] = w + 1
    return w


@njit(cache=True, nogil=True)
def _scan(buf, i, slots, hashes, starts, lens, counts, arena, st, ids, lengths):
    """Tokenise ``buf[i:]`` into the tables; returns where it stopped.

    That is ``len(buf)`` when done, or the start of a new token that found
    the tables full. Counters are read from and written back to ``st``.
    """
    n = buf.shape[0]
    shift = _shift(slots.shape[0])
    n_ids = st[_N_IDS]
    n_lines = st[_N_LINES]
    pending = st[_PENDING]
    head_open = st[_HEAD_OPEN] != 0
    while i < n:
        c = buf[i]
        if _is_space(c):
            # A part that continues a line records its first line even when
            # it holds no token, so that the parts can be joined later.
            if c == _NEWLINE and (pending > 0 or head_open):
                lengths[n_lines] = pending
                n_lines += 1
                pending = 0
                head_open = False
            i += 1
            continue
        j = i
        h = _FNV_OFFSET
        while j < n and not _is_space(buf[j]):
            h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
            j += 1
        length = j - i
        s, w = _find(slots, shift, hashes, starts, lens, arena, buf, i, length, h)
        if w < 0:
            w = _insert(slots, s, hashes, starts, lens, counts, arena, st, buf, i, length, h)
            if w < 0:
                break
        ids[n_ids] = w
        n_ids += 1
        counts[w] += 1
        pending += 1
        i = j
    st[_N_IDS] = n_ids
    st[_N_LINES] = n_lines
    st[_PENDING] = pending
    st[_HEAD_OPEN] = 1 if head_open else 0
    return i


@njit(cache=True, nogil=True)
def _make_room(slots, hashes, starts, lens, counts, arena, st):
    """Grow whichever table stopped an insertion (the slots double and are rehashed)."""
    n_words = st[_N_WORDS]
    if 2 * (n_words + 1) > slots.shape[0]:  # keep the load factor under 1/2
        new = np.full(slots.shape[0] * 2, -1, dtype=np.int32)
        mask = np.uint64(new.shape[0] - 1)
        shift = _shift(new.shape[0])
        for w in range(n_words):
            s = (hashes[w] * _FIB) >> shift
            while new[s] >= 0:
                s = (s + np.uint64(1)) & mask
            new[s] = w
        slots = new
    if n_words == hashes.shape[0]:
        hashes = _grow(hashes, 2 * n_words)
        starts = _grow(starts, 2 * n_words)
        lens = _grow(lens, 2 * n_words)
        counts = _grow(counts, 2 * n_words)
    need = st[_ARENA_USED] + st[_NEED]
    if need > arena.shape[0]:
        arena = _grow(arena, max(2 * arena.shape[0], need))
    return slots, hashes, starts, lens, counts, arena


@njit(cache=True, nogil=True)
def scan_bytes(buf, slots, hashes, starts, lens, counts, arena, st, ids, lengths):
    """Tokenise ``buf`` (uint8) and append to the running state.

    ``buf`` must end at a whitespace byte or at the end of the file, so no
    token is cut. ``ids`` and ``lengths`` must have room for every token and
    line of ``buf`` (the caller ensures it); the word tables grow here, so
    they are returned.
    """
    i = 0
    while True:
        i = _scan(buf, i, slots, hashes, starts, lens, counts, arena, st, ids, lengths)
        if i >= buf.shape[0]:
            return slots, hashes, starts, lens, counts, arena
        slots, hashes, starts, lens, counts, arena = _make_room(
            slots, hashes, starts, lens, counts, arena, st)


@njit(cache=True, nogil=True)
def _absorb(slots, hashes, starts, lens, counts, arena, st,
            o_hashes, o_starts, o_lens, o_counts, o_arena, n_other, remap):
    """Add the ``n_other`` words of another vocabulary, counts included.

    ``remap[k]`` receives the id here of the other's word ``k``; new words
    get the next ids in the other's order, so ids stay in order of first
    appearance when the other vocabulary read a later part of the file.
    Returns the tables (grown when needed).
    """
    shift = _shift(slots.shape[0])
    k = 0
    while k < n_other:
        length = o_lens[k]
        a = o_starts[k]
        h = o_hashes[k]
        s, w = _find(slots, shift, hashes, starts, lens, arena, o_arena, a, length, h)
        if w < 0:
            w = _insert(slots, s, hashes, starts, lens, counts, arena, st, o_arena, a, length, h)
            if w < 0:
                slots, hashes, starts, lens, counts, arena = _make_room(
                    slots, hashes, starts, lens, counts, arena, st)
                shift = _shift(slots.shape[0])
                continue
        counts[w] += o_counts[k]
        remap[k] = w
        k += 1
    return slots, hashes, starts, lens, counts, arena


class ByteVocab:
    """Running state of :func:`scan_bytes` over (part of) a file.

    Parameters
    ----------
    ids : ndarray of int32, optional
        Where to write the token ids; it is replaced by a larger copy if it
        runs out of room (never for plain text given ``len(text) // 2 + 1``
        slots: a token takes at least two bytes with its separator).
    continues_line : bool
        The text fed starts inside a line begun earlier (a later part of a
        file read in parallel). Its first line is then always recorded, even
        when it holds no token, so :func:`join_lines` can add it to the
        previous part's open line.
    """

    def __init__(self, ids=None, continues_line=False):
        self._tables = [
            np.full(1 << 16, -1, dtype=np.int32),  # slots: word id or -1
            np.empty(1 << 15, dtype=np.uint64),  # hashes
            np.empty(1 << 15, dtype=np.int64),  # starts: offset in the arena
            np.empty(1 << 15, dtype=np.int32),  # lens: bytes
            np.empty(1 << 15, dtype=np.int64),  # counts
            np.empty(1 << 20, dtype=np.uint8),  # arena: the words' bytes
        ]
        self._st = np.zeros(_N_COUNTERS, dtype=np.int64)
        self._st[_HEAD_OPEN] = 1 if continues_line else 0
        self._ids = ids if ids is not None else np.empty(1 << 16, dtype=np.int32)
        self._lengths = np.empty(1 << 12, dtype=np.int64)

    def feed(self, data):
        """Tokenise ``data`` (bytes ending at whitespace or end of file)."""
        st = self._st
        need_ids = st[_N_IDS] + len(data) // 2 + 1  # a token takes >= 2 bytes with its separator
        if need_ids > self._ids.shape[0]:
            self._ids = _grow(self._ids, max(2 * self._ids.shape[0], need_ids))
        need_lines = st[_N_LINES] + data.count(b"\n") + 1
        if need_lines > self._lengths.shape[0]:
            self._lengths = _grow(self._lengths, max(2 * self._lengths.shape[0], need_lines))
        buf = np.frombuffer(data, dtype=np.uint8)
        self._tables = list(scan_bytes(buf, *self._tables, st, self._ids, self._lengths))

    @property
    def n_tokens(self):
        return int(self._st[_N_IDS])

    @property
    def n_words(self):
        return int(self._st[_N_WORDS])

    @property
    def pending(self):
        """Tokens of the last line, not yet ended by a newline."""
        return int(self._st[_PENDING])

    @property
    def ids(self):
        """Provisional id of every token, in order (a view)."""
        return self._ids[: self.n_tokens]

    @property
    def counts(self):
        """Occurrences of each word, by provisional id (a view)."""
        return self._tables[4][: self.n_words]

    def line_lengths(self):
        """Tokens of each line ended by a newline, in order (a copy)."""
        return self._lengths[: self._st[_N_LINES]].copy()

    def absorb(self, other):
        """Take in the words and counts of ``other``; returns its id remap.

        Returns
        -------
        ndarray of int32, shape (other.n_words,)
            For each provisional id of ``other``, the id of the word here.
        """
        n = other.n_words
        remap = np.empty(n, dtype=np.int32)
        o = other._tables
        self._tables = list(_absorb(*self._tables, self._st, o[1], o[2], o[3], o[4], o[5], n,
                                    remap))
        return remap

    def raw_words(self):
        """Every word's bytes, by provisional id."""
        _, _, starts, lens, _, arena = self._tables
        return [arena[starts[w]: starts[w] + lens[w]].tobytes() for w in range(self.n_words)]

    def decode(self, indices):
        """The words at provisional ``indices`` as ``str`` (bad UTF-8 becomes U+FFFD)."""
        _, _, starts, lens, _, arena = self._tables
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            return []
        # Gather the words into one buffer, each followed by a newline, and
        # decode it at once (word by word cost 1.5 us a word, 0.1 s on
        # wiki17m). A word never holds a newline (it is whitespace), and a
        # newline is never part of a multi-byte character, so the decoder's
        # replacements stop at each word's end exactly as they would alone.
        size = lens[indices].astype(np.int64) + 1
        ends = np.cumsum(size)
        out = np.arange(ends[-1], dtype=np.int64)
        src = out - np.repeat(ends - size - starts[indices], size)
        out = arena[np.minimum(src, arena.shape[0] - 1)]
        out[ends - 1] = ord("\n")
        return out.tobytes().decode("utf-8", "replace").split("\n")[:-1]

    def utf8_clean(self):
        """True when every word is valid UTF-8, so distinct words decode to distinct strings.

        The arena holds the words back to back in id order. If it decodes as
        a whole and no word starts with a continuation byte (``10xxxxxx``),
        every word boundary is a character boundary and each word is valid
        on its own. A word that fails this check may still be valid; the
        caller then decodes word by word.
        """
        _, _, starts, _, _, arena = self._tables
        used = int(self._st[_ARENA_USED])
        if np.any((arena[starts[: self.n_words]] & 0xC0) == 0x80):
            return False
        try:
            arena[:used].tobytes().decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
