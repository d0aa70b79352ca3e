"""The training corpus in memory: two bytes a token.

Trainers that re-read the file every epoch (gensim's ``corpus_file`` mode,
word2vec.c) hold no corpus; we read it once and keep the ids, which is what
makes the read free after the first epoch but costs memory. Ids follow
descending frequency, so all but the rarest words of any vocabulary fit in
16 bits: a token is stored as its id in a uint16 *code*, except that ids of
:data:`ESCAPE` and above are stored as the code :data:`ESCAPE` with the id
itself appended to an int32 side array, in corpus order. On wiki17m (71,290
words) 0.2% of tokens are escaped and the corpus takes 34 MB instead of 68.

A reader starting at token ``lo`` needs to know how many escapes come
before it: ``marks[m]`` counts the escapes before token ``m * MARK``, so
:func:`escape_index` scans at most ``MARK - 1`` codes.
"""

import numpy as np
from numba import njit

#: The code that stands for "read the id from the escapes"; ids below it are
#: stored as themselves.
ESCAPE = 65535

#: Tokens between two marks: 4096 keeps the marks at 1/2048 of the codes'
#: size while :func:`escape_index` scans at most 8 KB.
MARK_SHIFT = 12
MARK = 1 << MARK_SHIFT


@njit(cache=True)
def encode(src, part_starts, part_lengths, remap, remap_starts, sentence_lengths,
           codes, escapes, marks):
    """Apply the vocabulary to provisional ids and store the kept tokens as codes.

    The provisional ids come in parts (one per thread that read the file):
    part ``p`` is ``src[part_starts[p]:part_starts[p] + part_lengths[p]]``
    and its ids map to final ids through ``remap[remap_starts[p]:]``, with
    -1 for a dropped word. Sentences run across parts as the text did.

    Parameters
    ----------
    src : ndarray of int32
    part_starts, part_lengths, remap_starts : ndarray of int64, shape (P,)
    remap : ndarray of int32
    sentence_lengths : ndarray of int64, shape (S,)
        Tokens of each line; they sum to the parts' total.
    codes : ndarray of uint16, shape (K,)
    escapes : ndarray of int32, shape (E,)
    marks : ndarray of int64, shape (K // MARK + 1,)
        Outputs, sized from the vocabulary's counts: ``K`` kept tokens of
        which ``E`` have ids of :data:`ESCAPE` or more.

    Returns
    -------
    ndarray of int64, shape (S' + 1,)
        Offsets of the sentences in ``codes``; sentences left empty are dropped.
    """
    starts = np.empty(sentence_lengths.shape[0] + 1, dtype=np.int64)
    starts[0] = 0
    n_sent = 0
    write = 0
    n_esc = 0
    part = -1
    pos = 0
    left = 0
    base = 0
    for s in range(sentence_lengths.shape[0]):
        begin = write
        for _ in range(sentence_lengths[s]):
            while left == 0:
                part += 1
                pos = part_starts[part]
                left = part_lengths[part]
                base = remap_starts[part]
            w = remap[base + src[pos]]
            pos += 1
            left -= 1
            if w < 0:
                continue
            if (write & (MARK - 1)) == 0:
                marks[write >> MARK_SHIFT] = n_esc
            if w >= ESCAPE:
                codes[write] = ESCAPE
                escapes[n_esc] = w
                n_esc += 1
            else:
                codes[write] = w
            write += 1
        if write > begin:
            n_sent += 1
            starts[n_sent] = write
    if (write & (MARK - 1)) == 0:
        marks[write >> MARK_SHIFT] = n_esc
    return starts[: n_sent + 1].copy()


@njit(cache=True, inline="always")
def read_id(codes, escapes, i, esc):
    """Id of token ``i``, given the ``esc`` escapes before it.

    Returns ``(id, escapes before token i + 1)``; readers go forward from
    :func:`escape_index` calling this for every token in turn.
    """
    w = np.int32(codes[i])
    if w == ESCAPE:
        return escapes[esc], esc + 1
    return w, esc


@njit(cache=True)
def ids_between(codes, escapes, marks, lo, hi):
    """Ids of tokens ``lo:hi``, read as the training kernels read them."""
    out = np.empty(max(hi - lo, 0), dtype=np.int32)
    esc = escape_index(codes, marks, lo)
    for i in range(lo, hi):
        out[i - lo], esc = read_id(codes, escapes, i, esc)
    return out


@njit(cache=True, inline="always")
def escape_index(codes, marks, lo):
    """Number of escaped tokens before token ``lo`` (``0 <= lo <= len(codes)``)."""
    m = lo >> MARK_SHIFT
    e = marks[m]
    for i in range(m << MARK_SHIFT, lo):
        if codes[i] == ESCAPE:
            e += 1
    return e


def decode(codes, escapes):
    """The token ids as an int32 array (a copy, for inspection and tests)."""
    ids = codes.astype(np.int32)
    ids[codes == ESCAPE] = escapes
    return ids


def encoded_sizes(counts):
    """``(K, E)``: kept tokens and escaped tokens, from the kept words' counts by id."""
    counts = np.asarray(counts, dtype=np.int64)
    return int(counts.sum()), int(counts[ESCAPE:].sum())
