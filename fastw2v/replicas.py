"""Threads' own copies of the hottest rows, and how copies are merged.

Hogwild threads share ``syn0`` and ``syn1``. The rows of the most frequent
words are written by both threads many times a millisecond, so each write
pulls the row's cache lines over from the other core, which then waits to
get them back. Instead each thread trains its own copy of the
:data:`HOT_ROWS` most frequent words' rows (the vocabulary is sorted by
count, so they are ids ``0:HOT_ROWS``) through one kernel call, and the
model takes the threads' changes after it. Copies that stay apart too long
drift, so with copies a kernel call trains only :data:`MERGE_TOKENS`
positions a thread. Measured on wiki17m, 2 threads, 1 epoch, median of 3
seeds (Intel Xeon, AVX-512, 2 vCPUs; benchmarks/README.md, "Thread
scaling"):

======================  =============  ==================  =================
merge every (a thread)  CBOW words/s   CBOW analogy/WS353  skip-gram words/s
======================  =============  ==================  =================
no copies (shared)      3.43-3.54M     0.187 / 0.542       0.79-0.95M
262,144 tokens          3.75-3.85M     0.158 / 0.541       1.20M
16,384 tokens           3.43-3.56M     0.183 / 0.552       1.14-1.18M
======================  =============  ==================  =================

Hierarchical softmax copies its inner nodes near the root instead
(:data:`HOT_NODES`, merged after calls of the usual length), and no
words' rows (:func:`hot_rows`). With one thread nothing is copied. Two
rules combine copies that started a call from the same ``base``:

``"sum"``
    ``base + sum_t (copy_t - base)``: every thread's change in full, what
    Hogwild threads would have done had they seen each other's writes only
    at the end of the call. Used for the words' rows, which each thread
    moves by its own examples.
``"mean"``
    ``base + mean_t (copy_t - base)``, model averaging. Used for the inner
    nodes next to the root, which every example of every thread moves
    (summed, the root would take ``T`` steps per step).
"""

import numpy as np

#: The combine rules.
RULES = ("sum", "mean")

#: Inner nodes of hierarchical softmax that each thread keeps its own copy
#: of: the heaviest, nearest the root (the root is on every word's path,
#: the next level on half of them, ...). Shared, they were written by both
#: cores for nearly every example: two threads trained CBOW 0.64x as fast
#: as one on wiki17m, skip-gram 0.52x (Intel Xeon, 2 vCPUs). A multiple of
#: 32, so that a thread's copy fills whole cache lines whatever ``dim``.
HOT_NODES = 1024

#: Rows of ``syn0`` and ``syn1`` (the most frequent words) that each thread
#: keeps its own copy of. A multiple of 32, as :data:`HOT_NODES`.
HOT_ROWS = 1024

#: Corpus positions each thread trains between two merges of the copies
#: of :data:`HOT_ROWS` (the table above): about 5-15 ms of a thread's work,
#: while a call and its merge cost tens of microseconds.
MERGE_TOKENS = 1 << 14


def hot_nodes(cfg, vocab_size):
    """How many inner nodes each thread copies (0 without hierarchical softmax)."""
    if not cfg.hs:
        return 0
    return min(HOT_NODES, (vocab_size - 1) // 32 * 32)


def hot_rows(cfg, vocab_size):
    """How many of the most frequent words' rows each thread copies.

    None with one thread, and none with hierarchical softmax: there the
    short calls the copies need make the mean-merged inner nodes
    (:data:`HOT_NODES`) learn too slowly (wiki17m, skip-gram ``hs=True,
    negative=0``, 5 epochs, 2 threads, seeds 1-3: analogy / WS353 0.348 /
    0.638 with copied rows, 0.370 / 0.646 without, at the same speed).
    """
    if cfg.threads < 2 or cfg.hs:
        return 0
    return min(HOT_ROWS, vocab_size // 32 * 32)


def merge(shared, copies, rule):
    """Set ``shared`` to the merge of ``copies``, which all started from ``shared``.

    Parameters
    ----------
    shared : ndarray of float32, shape (K, dim)
        The model's rows as every copy started; overwritten with the merge.
    copies : ndarray of float32, shape (T, K, dim)
        Each replica's rows after its steps.
    rule : {"sum", "mean"}
        See the module docstring.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    if copies.shape[0] == 1 or copies.shape[1] == 0:
        if copies.shape[1]:
            shared[:] = copies[0]  # one replica: its rows, exactly
        return
    if rule == "mean":
        np.mean(copies, axis=0, out=shared)
    else:
        # base + sum_t (copy_t - base) = sum_t copy_t - (T - 1) base
        total = copies.sum(axis=0)
        total -= np.float32(copies.shape[0] - 1) * shared
        shared[:] = total
