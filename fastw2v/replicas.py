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

Where the copies live. A thread's copies of the words' rows are rows of
the matrices themselves, appended after the model's ``V`` rows
(:func:`extended`): the kernels then find a copied word at another row
index of the same matrix. Kept in arrays of their own, they made every
loop over a row choose between two matrices, which cost a thread 8-12% of
its speed (wiki17m CBOW, 1 thread with copies 2.04-2.12M words/s against
2.35-2.42M without; appended, 2.15M against 2.28M; 2 threads 3.24-3.34M
before, 3.55-3.62M after; Intel Xeon, AVX-512, 2 vCPUs). The model's
matrices are therefore allocated with room for the copies of its
configured threads (:func:`with_room`), so training uses them in place.

Hierarchical softmax copies its inner nodes near the root instead
(:data:`HOT_NODES`, merged after calls of the usual length), and no
words' rows (:func:`hot_rows`). With one thread nothing is copied, nor
with more than two: merged, the copies of more threads overshot (summed)
or lagged (averaged) where rows every thread shares did not
(:func:`hot_rows`, :func:`hot_nodes`). Two rules combine copies that
started a call from the same ``base``:

``"sum"``
    ``base + sum_t (copy_t - base)``: every thread's change in full, what
    Hogwild threads would have done had they seen each other's writes only
    at the end of the call. Used for the words' rows, which each thread
    moves by its own examples.
``"mean"``
    ``base + mean_t (copy_t - base)``, model averaging. Used for the inner
    nodes next to the root, which every example of every thread moves
    (summed, the root would take ``T`` steps per step).

The cluster mode (:mod:`fastw2v.distributed`) merges its workers' replicas
with the same rules, on sparse changes (:func:`combine`): a worker sends
only the rows it moved (:func:`changed_rows`), and its rounds are long, so
it adds rules that treat rows differently (``"rows"``, ``"hot"``, and
``"align"``, which tells from the changes themselves whether to sum or
average a row, the cluster's default).
"""

import math
import weakref

import numpy as np
from numba import njit, prange

#: The rules :func:`merge` knows (dense copies, every row moved by every thread).
RULES = ("sum", "mean")

#: The rules :func:`combine` knows (sparse changes, each worker's own rows).
COMBINE_RULES = ("align", "hot", "sum", "mean", "rows")

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

#: Words of the vocabulary per copied row: at most ``1 / HOT_ROWS_SHARE`` of a
#: small vocabulary is copied (:func:`hot_rows`).
HOT_ROWS_SHARE = 8

#: Corpus positions each thread trains between two merges of the copies
#: of :data:`HOT_ROWS` (the table above): about 5-15 ms of a thread's work,
#: while a call and its merge cost about 50 microseconds (a call training
#: nothing, 2 threads, dim 100; 350 microseconds when NumPy merged and
#: copied the rows back on one core, which cost CBOW 2-4% of its speed).
MERGE_TOKENS = 1 << 14


#: Matrices made by :func:`with_room`, by ``id``: :func:`extended` grows
#: into the room after a matrix's rows only where it made that room itself,
#: never into memory that follows a view of someone else's array.
_ROOMY = weakref.WeakValueDictionary()


def with_room(rows, spare):
    """A copy of ``rows`` (float32, 2-D) with room for ``spare`` more rows after it.

    Returns the copy, a view of the first ``rows.shape[0]`` rows of a larger
    matrix that :func:`extended` can grow into without copying.
    """
    n, dim = rows.shape
    whole = np.zeros((n + spare, dim), dtype=np.float32)
    whole[:n] = rows
    _ROOMY[id(whole)] = whole
    return whole[:n]


def extended(rows, spare):
    """``rows`` followed by ``spare`` more rows, as one C-contiguous float32 matrix.

    The matrix ``rows`` was made in by :func:`with_room` when it has the
    room (no copy: the first rows are ``rows`` itself); otherwise a new one
    holding a copy, whose first rows the caller must use as the model's from
    then on. The rows after ``rows`` are zero in a new matrix, and hold
    whatever copies were last trained there in one made before.
    """
    if spare == 0:
        return rows
    n, dim = rows.shape
    whole = rows.base
    if (whole is not None and _ROOMY.get(id(whole)) is whole and whole.shape[0] >= n + spare
            and whole.shape[1] == dim and rows.ctypes.data == whole.ctypes.data):
        return whole[:n + spare]
    return with_room(rows, spare).base[:n + spare]


def room(cfg, vocab_size):
    """Rows each matrix needs after the model's for the copies of ``cfg.threads`` threads."""
    return cfg.threads * hot_rows(cfg, vocab_size)


def hot_nodes(cfg, vocab_size):
    """How many inner nodes each thread copies (0 without hierarchical softmax).

    None with more than two threads either: the mean of ``T`` copies moves a
    node ``1 / T`` as far as its examples took it, so the nodes near the
    root learned too slowly (the 1M-token demo corpus, CBOW ``hs=True,
    negative=0``, 5 epochs, seed 1, analogy / WS353: 8 threads 0.023 / 0.437
    with copies, 0.052 / 0.459 with every node shared; one thread 0.043 /
    0.471, two 0.041 / 0.460).
    """
    if not cfg.hs or cfg.threads > 2:
        return 0
    return min(HOT_NODES, (vocab_size - 1) // 32 * 32)


def hot_rows(cfg, vocab_size):
    """How many of the most frequent words' rows each thread copies: with two threads only.

    None with one thread, and none with hierarchical softmax: there the
    short calls the copies need make the mean-merged inner nodes
    (:data:`HOT_NODES`) learn too slowly (wiki17m, skip-gram ``hs=True,
    negative=0``, 5 epochs, 2 threads, seeds 1-3: analogy / WS353 0.348 /
    0.638 with copied rows, 0.370 / 0.646 without, at the same speed).

    Nor with more than two threads. Each thread takes its copy of a frequent
    word's output row (everyone's negative, many times a call) most of the
    way to where its own examples want it, and the sum of ``T`` such changes
    overshoots ``T - 1`` times that far: from 4 threads on, training
    diverged (``fastw2v train`` on the 1M-token demo corpus, CBOW, 5 epochs:
    final loss 2.04 with one thread, 2.05 with two, 2.1e9 with four, 4.4e24
    with eight, even on one core). Summing less where the changes agree
    (:func:`combine`'s ``"align"``, no less than twice their mean) still
    lost to rows every thread shares: ``Word2Vec`` defaults on the same
    corpus, seeds 1-2, final loss 1.855 against 1.742 shared at 8 threads
    (1.806 merging every 1,024 positions), WS353 0.44-0.45 against
    0.48-0.52; shared rows matched one thread (1.743) at 4 and 8 threads.

    And never more than an eighth of the vocabulary (:data:`HOT_ROWS_SHARE`):
    where the copied rows are nearly every row, every example moves them and
    even two threads' sum overshoots. A generated corpus of 160 words (6
    topics of 20 and 40 function words, 600,000 tokens, ``dim=24``, 4
    epochs) ended at loss 1.87 with two threads copying all 160 rows, 1.48
    with one thread; of 1,840 words, 1.412 copying 1,024 rows, 1.409 copying
    224, 1.401 copying none, 1.402 with one thread. Vocabularies of 8,192
    words and more (wiki17m's 71,000) copy :data:`HOT_ROWS` as before.
    """
    if cfg.threads != 2 or cfg.hs:
        return 0
    return min(HOT_ROWS, vocab_size // HOT_ROWS_SHARE // 32 * 32)


def merge(shared, copies, rule):
    """Set ``shared``, and every copy, to the merge of ``copies``, which all started from ``shared``.

    Parameters
    ----------
    shared : ndarray of float32, shape (K, dim)
        The model's rows as every copy started; overwritten with the merge.
    copies : ndarray of float32, shape (T, K, dim)
        Each replica's rows after its steps; each is overwritten with the
        merge too, so the next call's copies already start from the model.
    rule : {"sum", "mean"}
        See the module docstring.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    if copies.shape[1] == 0:
        return
    if copies.shape[0] == 1:
        shared[:] = copies[0]  # one replica: its rows, exactly
        return
    _merge_rows(shared, copies, rule == "mean")


@njit(parallel=True, cache=True)
def _merge_rows(shared, copies, mean):
    """:func:`merge` row by row, the rows shared out among the threads.

    The merge runs between two training calls, while every thread but the
    caller's would wait: done in NumPy (a sum over the copies, then copying
    the result back into each) it was one core's work in every call of
    :data:`MERGE_TOKENS` positions a thread. Every loop runs along a row,
    so that it vectorises.
    """
    n, k, dim = copies.shape
    others = np.float32(n - 1)
    for r in prange(k):
        row = shared[r]
        if mean:
            for d in range(dim):
                row[d] = copies[0, r, d]
        else:
            for d in range(dim):  # base + sum_t (copy_t - base)
                row[d] = copies[0, r, d] - others * row[d]
        for t in range(1, n):
            for d in range(dim):
                row[d] += copies[t, r, d]
        if mean:
            for d in range(dim):
                row[d] /= np.float32(n)
        for t in range(n):
            for d in range(dim):
                copies[t, r, d] = row[d]


#: The largest magnitude of :func:`pack`'s 16-bit integers.
PACK_LEVELS = 32767


def pack(rows, values):
    """Rows' changes in half the bytes: ``(rows as int32, each row's scale, int16 values)``.

    Each row is divided by its largest absolute value and stored as 16-bit
    integers in ``[-PACK_LEVELS, PACK_LEVELS]``, so every value is kept to
    within ``scale / (2 PACK_LEVELS)``, 1.5e-5 of its row's largest: far
    below the noise of one SGD step. 208 bytes a row at dim 100 instead of
    408. :func:`unpack` reverses it, and packing what it returns gives the
    same integers again.
    """
    scale = np.empty(values.shape[0], dtype=np.float32)
    ints = np.empty(values.shape, dtype=np.int16)
    _pack(values, scale, ints)
    return rows.astype(np.int32), scale, ints


def unpack(packed):
    """The ``(rows as int64, float32 values)`` that :func:`pack` packed.

    The same float32 products :func:`add_rows` adds for a packed change.
    """
    rows, scale, ints = packed
    return rows.astype(np.int64), ints.astype(np.float32) * scale[:, None]


@njit(cache=True, inline="always")
def _steps(top):
    """A row's scale (the step of one 16-bit level) for its largest magnitude ``top``, and 1 / step."""
    if top > 0:
        return top / np.float32(PACK_LEVELS), np.float32(PACK_LEVELS) / top
    return np.float32(1.0), np.float32(0.0)


@njit(cache=True, inline="always")
def _level(x, inv):
    """``x`` in steps of ``1 / inv``, rounded half away from zero, as int16.

    By adding ``±0.5`` and truncating: a multiply and an add a value, where
    NumPy's ``round`` (half to even) after a division took 2.3 ns a value
    (wiki17m, a 125,000-word round's changes: 5.8 ms a round).
    """
    q = x * inv
    return np.int16(q + np.float32(math.copysign(0.5, q)))


@njit(cache=True)
def _pack(values, scale, ints):
    dim = values.shape[1]
    for k in range(values.shape[0]):
        top = np.float32(0.0)
        for d in range(dim):
            top = max(top, abs(values[k, d]))
        scale[k], inv = _steps(top)
        for d in range(dim):
            ints[k, d] = _level(values[k, d], inv)


def combine(matrices, deltas, weights, rule="align", hot=None, half=False):
    """Add the replicas' sparse changes to the model; return the combined change.

    Parameters
    ----------
    matrices : dict of str to ndarray
        The model's matrices, updated in place.
    deltas : list of dict of str to (ndarray of int, ndarray of float32)
        Per replica, per matrix: the rows it changed (increasing) and by how
        much, all from the same model; or :func:`pack`'s triple.
    weights : list of float
        Per replica: the words it trained (for ``"mean"``).
    rule : {"align", "hot", "sum", "mean", "rows"}
        ``"sum"`` applies every replica's change in full, as if the replicas
        had been Hogwild threads that saw each other's writes only at the
        end: a row one replica moved moves as in a single run, but a row that
        every replica moved the same way moves ``W`` times as far (with 4
        workers on wiki17m it diverged). ``"mean"`` is model averaging
        (Spark MLlib's rule): ``sum_w (words_w / words) delta_w``, which
        cannot diverge but moves a row changed by one replica of ``W`` by
        ``1/W`` of its change. ``"rows"`` averages each row over the
        replicas that changed it, which halves every frequent row's step as
        ``"mean"`` does. ``"hot"`` averages the rows in ``hot`` over the
        replicas that changed them: the output rows that every example of
        every replica moves (the most frequent words' rows of ``syn1neg``,
        the inner nodes next to the root), where the replicas' changes are
        the same step taken ``W`` times. It sums the others, but moves no
        row more than twice the mean change of the ``n`` replicas that moved
        it (``min(1, 2 / n)`` of the sum): with two replicas that is the
        sum; a row whose replicas each took it most of the way to the same
        place would otherwise overshoot ``n - 1`` times that far, and with
        4 workers on wiki17m an uncapped sum diverged (analogy 0.007; capped
        0.237). ``"align"`` decides row by row from the changes themselves:
        the sum scaled by ``1 / a``, where ``a = |sum_i d_i|^2 / sum_i
        |d_i|^2`` is 1 for changes at right angles (independent steps,
        summed as Hogwild would) and ``n`` for ``n`` equal changes (the same
        step taken ``n`` times, averaged), but never below twice the mean
        of the ``n`` changes (``min(1, 2 / n)`` of the sum, ``"hot"``'s cap
        as a floor): with two replicas it is the sum. On wiki17m (CBOW, 3
        epochs, 125,000-word rounds, the rarer rows in turns, analogy /
        WS353 as a share of one process) it scored 88.0% / 99.4% with 4
        workers and 67.5% / 90.5% with 8 (seed 1; ``"hot"`` 75.0% / 90.3%
        and 47.9% / 76.9%), and with 2 (the sum) 97.3% / 99.2% (seeds 1-3;
        ``"hot"`` 96.7% / 98.7%); clipped at the mean instead of twice the
        mean, 94.8% / 97.3% with 2 workers. See benchmarks/README.md.
    hot : dict of str to slice, optional
        For ``"hot"``: per matrix, the rows it averages (see
        :func:`hot_slices`).
    half : bool
        Pack the combined change (:func:`pack`) and apply it as the replicas
        that receive it will (:func:`add_rows` on the packed integers), so
        that they and the model stay the same; the result is then packed.

    Returns
    -------
    dict of str to (ndarray of int64, ndarray of float32)
        For each matrix, the rows that changed and by how much in all
        (with ``half``, :func:`pack`'s triple).
    """
    if rule not in COMBINE_RULES:
        raise ValueError(f"rule must be one of {', '.join(COMBINE_RULES)}, not {rule!r}")
    total = float(sum(weights)) or 1.0
    combined = {}
    for name, matrix in matrices.items():
        parts = [(d[name], w) for d, w in zip(deltas, weights) if name in d]
        if not parts:
            continue
        every = np.concatenate([part[0] for part, _ in parts])
        touched = np.bincount(every, minlength=matrix.shape[0]).astype(np.float32)
        if rule == "align":
            combined[name] = _aligned(matrix, parts, np.flatnonzero(touched), touched, half)
            continue
        averaged = np.zeros(matrix.shape[0], dtype=bool)
        if rule == "rows":
            averaged[:] = True
        elif rule == "hot" and hot and name in hot:
            averaged[hot[name]] = True
        moved = np.flatnonzero(touched)
        change = np.zeros((moved.size, matrix.shape[1]), dtype=np.float32)
        for part, weight in parts:
            rows, delta, factor = as_rows(part)
            at = np.searchsorted(moved, rows)  # rows are distinct within a replica
            if rule == "mean":
                scale = np.full(rows.size, weight / total, dtype=np.float32)
            else:
                if rule == "hot":
                    # at most twice the mean change of the replicas that moved the row
                    summed = np.minimum(1.0, 2.0 / touched[rows])
                else:
                    summed = 1.0
                scale = np.where(averaged[rows], 1.0 / touched[rows], summed).astype(np.float32)
            add_rows(change, at, delta, factor * scale)
        combined[name] = pack(moved, change) if half else (moved, change)
        add_rows(matrix, *as_rows(combined[name]))  # what the replicas will add
    return combined


def _aligned(matrix, parts, moved, touched, half):
    """Rule ``"align"`` of :func:`combine` for one matrix; returns its combined change.

    Each row's summed change ``S = sum_i d_i`` is scaled by ``1 / a``, with
    ``a = |S|^2 / sum_i |d_i|^2`` how aligned the ``n`` replicas' changes
    are: 1 when they are at right angles (independent steps: the sum, as
    Hogwild), ``n`` when they are equal (the same step taken ``n`` times:
    the mean). The scale is clipped to ``[min(1, 2 / n), 1]``: no row moves
    less than twice the mean of its movers' changes, the cap of rule
    ``"hot"`` turned into a floor, so that with two replicas this is the sum.
    """
    change = np.zeros((moved.size, matrix.shape[1]), dtype=np.float32)
    squares = np.zeros(moved.size, dtype=np.float32)
    for part, _ in parts:
        rows, delta, factor = as_rows(part)
        at = np.searchsorted(moved, rows)  # rows are distinct within a replica
        _add_rows_and_squares(change, squares, at, delta, factor)
    floor = np.minimum(np.float32(1.0), np.float32(2.0) / touched[moved])
    _scale_aligned(change, squares, floor)
    out = pack(moved, change) if half else (moved, change)
    add_rows(matrix, *as_rows(out))
    return out


@njit(cache=True)
def _add_rows_and_squares(change, squares, at, values, scale):
    """:func:`add_rows` into ``change``, and each added row's squared norm into ``squares``."""
    dim = change.shape[1]
    for k in range(at.shape[0]):
        i = at[k]
        s = scale[k]
        total = np.float32(0.0)
        for d in range(dim):
            v = s * np.float32(values[k, d])
            change[i, d] += v
            total += v * v
        squares[i] += total


@njit(cache=True)
def _scale_aligned(change, squares, floor):
    """Scale row ``k`` of ``change`` by ``squares[k] / |change[k]|^2``, clipped to ``[floor[k], 1]``."""
    dim = change.shape[1]
    for k in range(change.shape[0]):
        if floor[k] >= 1:
            continue
        total = np.float32(0.0)
        for d in range(dim):
            total += change[k, d] * change[k, d]
        f = squares[k] / total if total > 0 else np.float32(1.0)
        f = min(np.float32(1.0), max(floor[k], f))
        for d in range(dim):
            change[k, d] *= f


def as_rows(part):
    """A sparse change as ``(rows, values, factors)``: row ``rows[k]`` changes by ``factors[k] * values[k]``.

    ``part`` is plain, ``(rows, values)``, or packed, ``(rows, scale, ints)``
    (:func:`pack`): :func:`add_rows` takes the packed integers as they are,
    without unpacking them first.
    """
    if len(part) == 3:
        rows, scale, ints = part
        return rows, ints, scale
    rows, values = part
    return rows, values, np.ones(rows.size, dtype=np.float32)


@njit(cache=True)
def add_rows(matrix, rows, values, scale):
    """``matrix[rows[k]] += scale[k] * values[k]`` for every ``k``, in one pass.

    ``values`` may be float32 or :func:`pack`'s int16 (then ``scale`` is the
    rows' steps, times any weight); either way the sum is float32 (the
    driver and the replicas add the same change to the same bits). NumPy's
    ``matrix[rows] += ...`` gathers, adds and scatters through temporaries
    of the full size: on wiki17m's 71,058 x 100 matrices that was a tenth
    of a second a round, a compiled loop a few milliseconds. ``rows`` may
    repeat (each repeat adds).
    """
    dim = matrix.shape[1]
    for k in range(rows.shape[0]):
        i = rows[k]
        s = scale[k]
        for d in range(dim):
            matrix[i, d] += s * np.float32(values[k, d])


def hot_slices(matrices):
    """The rows rule ``"hot"`` averages: the output rows every example moves.

    The :data:`HOT_ROWS` most frequent words' rows of ``syn1neg`` (each is a
    target or a negative of a large share of all examples) and the
    :data:`HOT_NODES` inner nodes next to the root in ``syn1`` (the root is
    on every path). Not ``syn0``: a frequent word's input row is moved only
    where the word is in a context, and subsampling thins those. Measured
    on wiki17m, CBOW, 3 epochs, 2 workers, 500,000-word rounds, median of
    seeds 1-3, analogy / WS353: every row summed 0.296 / 0.635; these rows
    averaged 0.313 / 0.638; ``syn0``'s frequent rows averaged as well 0.310
    / 0.623 (benchmarks/README.md, "bench_cluster.py").
    """
    out = {}
    if "syn1neg" in matrices:
        out["syn1neg"] = slice(0, HOT_ROWS)
    if "syn1" in matrices:
        out["syn1"] = slice(max(0, matrices["syn1"].shape[0] - HOT_NODES), None)
    return out


@njit(cache=True)
def _moved_rows(base, replica, lo, hi, rows, delta, n):
    """Rows ``lo:hi`` of ``replica`` that differ from ``base``; their change; ``base`` caught up.

    One pass over both matrices, stopping at a row's first differing value
    (most rows of a long round moved): appends the changed rows' indices to
    ``rows[n:]`` and ``replica - base`` to ``delta[n:]``, sets those rows of
    ``base`` to ``replica``'s, and returns the new count.
    """
    dim = base.shape[1]
    for i in range(lo, hi):
        for d in range(dim):
            if replica[i, d] != base[i, d]:
                break
        else:
            continue
        rows[n] = i
        for d in range(dim):
            delta[n, d] = replica[i, d] - base[i, d]
            base[i, d] = replica[i, d]
        n += 1
    return n


def changed_rows(base, replica, ranges=None):
    """The rows of ``replica`` that differ from ``base``, and by how much; ``base`` catches up.

    ``base`` is the replica as it was at the last call: afterwards it equals
    ``replica`` again on the rows looked at, so a worker keeps one copy of
    the model for this and never copies it whole. ``ranges``: the
    ``(lo, hi)`` row ranges to look at, in increasing order (default: every
    row); a row outside them keeps its change, ``replica - base``, for a
    later call. Returns (rows as int64, increasing; changes as float32);
    both are views of buffers sized for the rows looked at, of which only
    the rows written take memory (large buffers are mapped page by page as
    they are first touched), and a view is pickled without the rest of its
    buffer.
    """
    if ranges is None:
        ranges = ((0, base.shape[0]),)
    size = sum(hi - lo for lo, hi in ranges)
    rows = np.empty(size, dtype=np.int64)
    delta = np.empty((size, base.shape[1]), dtype=np.float32)
    n = 0
    for lo, hi in ranges:
        n = _moved_rows(base, replica, lo, hi, rows, delta, n)
    return rows[:n], delta[:n]


@njit(cache=True)
def _moved_rows_packed(base, replica, lo, hi, rows, scale, ints, n):
    """:func:`_moved_rows`, writing each change packed (:func:`pack`) instead of as float32.

    A row moved if its largest change is not zero (the difference of two
    finite float32 values is zero only when they are equal).
    """
    dim = base.shape[1]
    for i in range(lo, hi):
        top = np.float32(0.0)
        for d in range(dim):
            top = max(top, abs(replica[i, d] - base[i, d]))
        if top == 0:
            continue
        rows[n] = i
        scale[n], inv = _steps(top)
        for d in range(dim):
            ints[n, d] = _level(replica[i, d] - base[i, d], inv)
            base[i, d] = replica[i, d]
        n += 1
    return n


def changed_rows_packed(base, replica, ranges=None):
    """:func:`changed_rows` with the changes packed: ``pack(*changed_rows(base, replica, ranges))``.

    In one pass, without the float32 changes in between: a worker's scan
    of a 125,000-word round's rows took 6 ms and packing them 6 ms more
    (wiki17m, CBOW); packed as they are found, less than either.
    """
    if ranges is None:
        ranges = ((0, base.shape[0]),)
    size = sum(hi - lo for lo, hi in ranges)
    rows = np.empty(size, dtype=np.int32)
    scale = np.empty(size, dtype=np.float32)
    ints = np.empty((size, base.shape[1]), dtype=np.int16)
    n = 0
    for lo, hi in ranges:
        n = _moved_rows_packed(base, replica, lo, hi, rows, scale, ints, n)
    return rows[:n], scale[:n], ints[:n]


@njit(cache=True)
def take_in(replica, base, rows, values, scale, own_rows, own_values, own_scale):
    """Add a combined change, minus this replica's own part of it, to ``replica`` and ``base``.

    ``rows[k]`` changes by ``scale[k] * values[k]``, less ``own_scale[j] *
    own_values[j]`` where ``own_rows[j]`` is the same row (both increasing,
    as :func:`combine` and :func:`changed_rows` give them; a row of its own
    that the combined change lacks is taken off alone). ``replica`` and
    ``base`` take the same change, so that their difference stays this
    replica's changes not sent yet (:func:`fastw2v.distributed._catch_up`).
    One pass over each row: on wiki17m (125,000-word rounds, 8 turns) a
    worker took 7.3 ms a round with four :func:`add_rows`, 4.6 ms with two
    passes, 3.1 ms with one.
    """
    dim = replica.shape[1]
    m = own_rows.shape[0]
    j = 0
    for k in range(rows.shape[0] + 1):
        i = rows[k] if k < rows.shape[0] else np.iinfo(np.int64).max
        while j < m and own_rows[j] < i:  # a row of its own the combination lacks
            r, t = own_rows[j], own_scale[j]
            for d in range(dim):
                v = t * np.float32(own_values[j, d])
                replica[r, d] -= v
                base[r, d] -= v
            j += 1
        if k == rows.shape[0]:
            break
        s = scale[k]
        if j < m and own_rows[j] == i:
            t = own_scale[j]
            for d in range(dim):
                v = s * np.float32(values[k, d]) - t * np.float32(own_values[j, d])
                replica[i, d] += v
                base[i, d] += v
            j += 1
        else:
            for d in range(dim):
                v = s * np.float32(values[k, d])
                replica[i, d] += v
                base[i, d] += v
