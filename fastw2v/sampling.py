"""Sampling tables: negative-sampling distribution, subsampling, learning-rate schedule.

Negative words are drawn from the unigram distribution raised to the power
0.75 (``P(w) ∝ count(w) ** 0.75``). word2vec.c fills a 1e8-entry table with
word ids in proportion to ``P(w)`` and indexes it at random; that is O(1) a
draw but 400 MB, a cache miss per draw, and it rounds ``P(w)`` to multiples
of 1e-8. We precompute Walker's alias table instead (Vose's construction):
one slot per word, O(1) a draw (one random slot, one comparison), exact
probabilities, and 8 bytes a word.
"""

import math

import numpy as np
from numba import njit

from .rng import below, low32, next_u64

#: Thresholds are stored as ``uint32`` fractions of 2**32 so a draw compares
#: the low 32 random bits against them without touching floating point.
_THRESH_SCALE = 2.0 ** 32
_S32 = np.uint64(32)
_S63 = np.uint64(63)


def unigram_weights(counts, ns_exponent=0.75):
    """Unnormalised negative-sampling weights ``counts ** ns_exponent``.

    Parameters
    ----------
    counts : ndarray of int64, shape (V,)
    ns_exponent : float

    Returns
    -------
    ndarray of float64, shape (V,)
    """
    return np.power(np.asarray(counts, dtype=np.float64), ns_exponent)


class UnigramTable:
    """Alias table for O(1) draws from ``counts ** ns_exponent``.

    Slot ``i`` is chosen uniformly; it yields word ``i`` when the low 32 random
    bits are below ``threshold[i]`` and word ``alias[i]`` otherwise. Both
    halves of a slot are packed into one ``uint64`` (:attr:`slots`), so a
    draw reads one 8-byte word wherever the table lies in the caches.

    Attributes
    ----------
    slots : ndarray of uint64, shape (V,)
        ``threshold | alias << 32``: what the kernels read
        (:func:`draw_negative`).
    threshold : ndarray of uint32, shape (V,)
    alias : ndarray of int32, shape (V,)
        The two halves, unpacked (copies, for checks).
    """

    def __init__(self, counts, ns_exponent=0.75):
        weights = unigram_weights(counts, ns_exponent)
        if weights.size == 0 or not np.isfinite(weights).all() or weights.sum() <= 0:
            raise ValueError("the negative-sampling distribution needs positive counts")
        prob = weights * (weights.size / weights.sum())
        threshold, alias = _build_alias(prob)
        self.slots = threshold.astype(np.uint64) | (alias.astype(np.uint64) << _S32)

    @property
    def threshold(self):
        return (self.slots & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    @property
    def alias(self):
        return (self.slots >> _S32).astype(np.int32)

    def probabilities(self):
        """Exact probability of each word under the table (for checks).

        Returns
        -------
        ndarray of float64, shape (V,)
        """
        n = self.slots.size
        keep = self.threshold.astype(np.float64) / _THRESH_SCALE
        p = keep / n
        np.add.at(p, self.alias, (1.0 - keep) / n)
        return p

    def draw(self, n, seed=0):
        """Draw ``n`` words (for checks; the kernels draw inline).

        Returns
        -------
        ndarray of int32, shape (n,)
        """
        out = np.empty(n, dtype=np.int32)
        _draw_many(np.uint64(seed), self.slots, out)
        return out


@njit(cache=True)
def _build_alias(prob):
    """Vose's alias construction on ``prob`` scaled to mean 1 (float64, (V,))."""
    n = prob.shape[0]
    prob = prob.copy()
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        alias[s] = g
        # The large slot gives the small one what it lacks to reach 1.
        prob[g] = (prob[g] + prob[s]) - 1.0
        if prob[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    # Leftovers are 1 up to rounding: they always keep their own word.
    for k in range(nl):
        prob[large[k]] = 1.0
    for k in range(ns):
        prob[small[k]] = 1.0
    threshold = np.empty(n, dtype=np.uint32)
    for i in range(n):
        t = prob[i] * _THRESH_SCALE
        threshold[i] = np.uint32(0xFFFFFFFF) if t >= 4294967295.0 else np.uint32(t)
    # A threshold of 2**32-1 still sends one draw in 2**32 to the alias; make
    # such slots their own alias so that they always yield their own word.
    for i in range(n):
        if threshold[i] == np.uint32(0xFFFFFFFF):
            alias[i] = i
    return threshold, alias


@njit(cache=True)
def draw_negative(state, slots):
    """One draw from the packed alias table ``slots``: returns ``(state, word)``.

    Branch-free: ``take`` is all ones when the low 32 bits of ``z`` are below
    the slot's threshold (their difference, as a uint64, then wraps round
    and sets bit 63) and 0 otherwise, and picks ``i`` or the alias with
    masks. The branch ``if low32(z) >= threshold[i]`` this replaces goes
    either way at random (to the alias in two draws of three on wiki17m,
    so about one in three is mispredicted), and it waits on a table that
    the rows streaming through the caches keep pushing out to L3: each
    mispredicted draw held up the window's other negatives and the
    prefetches of their rows. Without it, and with one load instead of
    two, one thread trains wiki17m CBOW 1.11x and skip-gram 1.21x as fast
    (benchmarks/README.md, "Single-thread speed"); the words drawn are the
    same.
    """
    state, z = next_u64(state)
    i = below(z, slots.shape[0])
    slot = slots[i]
    take = np.uint64(0) - ((low32(z) - low32(slot)) >> _S63)
    return state, np.int64((np.uint64(i) & take) | ((slot >> _S32) & ~take))


@njit(cache=True)
def _draw_many(state, slots, out):
    for k in range(out.shape[0]):
        state, out[k] = draw_negative(state, slots)
    return state


def keep_probabilities(counts, sample):
    """Probability that subsampling keeps each occurrence of a word.

    word2vec.c keeps a word of corpus frequency ``f = count / total`` with
    probability ``sqrt(t/f) + t/f`` (capped at 1), where ``t = sample``.
    Words rarer than about ``t`` are always kept; a word making up 5% of the
    corpus with ``t = 1e-3`` is kept about 16% of the time. This discards
    frequent, uninformative words and stretches the window over the rest.

    A ``sample`` of 1 or more is gensim's other form, a count: the threshold
    count ``int(sample * (3 + sqrt(5)) / 2)`` takes the place of
    ``t * total`` (gensim's rule, constant included), so a word is kept
    always up to about 2.6 times that count and thinned above it.

    Parameters
    ----------
    counts : ndarray of int64, shape (V,)
    sample : float
        The threshold ``t``; 0 keeps every word.

    Returns
    -------
    ndarray of float32, shape (V,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0 or counts.size == 0:
        return np.ones(counts.size, dtype=np.float32)
    # (np.floor is gensim's int() without its OverflowError: a huge count is inf, keeping all)
    threshold = sample * counts.sum() if sample < 1 else float(np.floor(sample * (3 + math.sqrt(5)) / 2))
    ratio = threshold / counts  # t / f
    return np.minimum(1.0, np.sqrt(ratio) + ratio).astype(np.float32)


@njit(cache=True)
def learning_rate(alpha, min_alpha, progress):
    """Linear decay from ``alpha`` at progress 0 to ``min_alpha`` at progress 1.

    ``progress`` is the fraction of all raw words of all epochs already seen;
    it is clipped to [0, 1].
    """
    if progress < 0.0:
        progress = 0.0
    elif progress > 1.0:
        progress = 1.0
    return alpha - (alpha - min_alpha) * progress
