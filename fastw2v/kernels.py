"""Hogwild SGD kernels for word2vec with negative sampling.

Notation. ``syn0`` (V, dim) float32 holds the input ("word") vectors, the
ones users keep; ``syn1`` (V, dim) float32 the output ("context") vectors.
For a hidden vector ``h`` and an output word ``w`` with label ``y`` (1 for
the true word, 0 for a sampled negative) the loss is the binary cross-entropy
``-log σ(f)`` or ``-log(1 - σ(f))`` of the score ``f = h · syn1[w]``. Its
gradients are ``∂L/∂syn1[w] = (σ(f) - y) h`` and ``∂L/∂h = (σ(f) - y) syn1[w]``,
so an SGD step of rate ``lr`` with ``g = (y - σ(f)) lr`` is
``syn1[w] += g h`` and ``h += g syn1[w]`` (the latter accumulated in ``grad``
and applied by the caller). That step is :func:`ns_update`, the one update
primitive; CBOW and skip-gram differ only in how they form ``h`` and where
they add ``grad`` back.

Scores are not clipped: σ is computed exactly from ``exp(-|f|)``, which
cannot overflow. word2vec.c reads σ from a table on [-6, 6] and treats it
as exactly 0 or 1 outside, which is the same step in the limit; gensim
instead skips such pairs, dropping the full gradient of a confidently wrong
pair. The loss uses the same ``exp(-|f|)``: ``softplus(±f) = max(±f, 0) +
log1p(exp(-|f|))``, with ``log1p`` from a short series (:func:`log1p_unit`).

Arguments. The kernels take named bundles (:mod:`fastw2v.bundles`):
:class:`~fastw2v.bundles.Weights` (``syn0``, ``syn1``),
:class:`~fastw2v.bundles.Corpus`, :class:`~fastw2v.bundles.Tables`,
:class:`~fastw2v.bundles.Settings`, :class:`~fastw2v.bundles.Schedule`,
:class:`~fastw2v.bundles.Scratch` and :class:`~fastw2v.bundles.Outputs`,
plus the model code and a few positions. The call chain is
:func:`train_range` → :func:`train_block` → :func:`train_piece` →
:func:`plan_window` and :func:`window_step`, the one dispatch on the model,
which the debug entry :func:`train_window` calls too. The last two are
inlined into :func:`train_piece` (see "Calls per window" below).

Concurrency. :func:`train_range` splits a range of the corpus into one block
per thread (``prange``). Every thread reads and writes ``syn0`` and ``syn1``
in place without locks: this is Hogwild (Recht et al., 2011), the intended
and only race; with sparse updates, colliding writes are rare and cost a
little noise, not correctness. The exception are the rows that every
thread writes all the time, those of the most frequent words
(``Settings.hot_rows``) and the inner nodes next to the root
(``Settings.hot_from``): each thread reads and writes its own copies,
merged between calls (:mod:`fastw2v.replicas`). A thread's copies of the
words' rows are rows of ``syn0`` and ``syn1`` themselves, appended after
the model's ``V`` rows (:class:`~fastw2v.bundles.Weights`), so that a copied
word only changes the row index (``Scratch.copies + w``), never the array
the loops run over; the inner nodes' copies are in
:class:`~fastw2v.bundles.Scratch`. Everything else a thread touches (its random
state, and its window buffer, negatives, ``h`` and ``grad`` in
:class:`~fastw2v.bundles.Scratch`) is its own: a scalar, or its preallocated
row of each scratch array (:func:`~fastw2v.bundles.thread_part`). With one
thread the result is a pure function of the inputs and the seed.

Reference counts. Numba counts references to an array with an atomic add
on its ``MemInfo`` whenever a compiled function receives or slices it: every
window used to make dozens of such locked operations, on counters that both
threads share (``syn0``'s, and the scratch buffer's that all threads' rows
are views of). :func:`train_range` therefore hands each thread bundles of
borrowed (uncounted) views of every array (:mod:`fastw2v.borrowed`). On the
hosts measured so far this was speed-neutral (wiki17m CBOW, one thread,
2.91M words/s before, 2.84M after; two threads likewise), but it removes a
cross-thread write per window and makes reading a bundle's fields cheap.

False sharing. Each thread's scratch starts 128 bytes from the next
thread's, not 64 (:data:`fastw2v.word2vec.CACHE_LINE`): Intel cores fetch
lines in pairs. That took two threads from 1.19x to 1.41x one thread on
wiki17m CBOW. Copies of the frequent words' rows took skip-gram from 1.40x
to 1.80x, and, kept as rows of the matrices themselves rather than arrays
of their own, CBOW from 1.41x to 1.64x (benchmarks/README.md, "Thread
scaling"). The small scratch now sits a whole page apart
(:data:`fastw2v.word2vec.SCRATCH_PAGE`: the L2 streamer prefetches within a
page), CBOW from about 1.78x to 1.88x.

Calls per window. Every array a compiled call receives costs an
out-of-line incref and decref (null-checked for borrowed arrays, so cheap
but still two calls each), and the call's arguments are spilled and
reloaded. :func:`window_step` and :func:`plan_window` took more than a
dozen arrays each per window; inlined into :func:`train_piece` (at Numba IR
level, ``inline="always"``) they took one thread 1.18x as fast on wiki17m
CBOW and 1.12x for skip-gram, with the same vectors (benchmarks/README.md,
"Single-thread speed"); the kernels' first compile takes about 8 s longer.
:func:`ns_update` and :func:`hs_update` stay calls: inlined code takes the
caller's flags, and their dot products need ``fastmath`` to vectorise.

Memory. With a vocabulary of tens of thousands of words the matrices
outgrow the caches and every window waits on a dozen scattered rows. Three
measured choices hide that latency: all rows of the next window are
prefetched while the current one trains (:func:`plan_window`), all scores of
an example are computed before any row is updated (:func:`ns_update`), and
the loss uses a short series instead of a libm ``log1p``. On wiki17m with
one thread they took CBOW from about 1.35M to 2.0M words/s and skip-gram
from 0.31M to 0.41M. Negatives are drawn without a branch, from a packed
alias table (:func:`fastw2v.sampling.draw_negative`): a mispredicted draw
held up the prefetches of the window's rows (one thread 1.11x as fast for
CBOW, 1.21x for skip-gram, the same vectors).
"""

import numpy as np
from numba import njit, prange

from .borrowed import borrowed
from .bundles import Scratch, Settings, Tables, Weights, thread_part
from .config import CBOW, SKIPGRAM, SKIPGRAM_SHARED
from .encoding import escape_index, read_id
from .prefetch import prefetch_row
from .rng import below, next_u64, seed_stream, uniform
from .sampling import draw_negative, learning_rate


@njit(cache=True, fastmath=True, inline="always")
def log1p_unit(e):
    """``log(1 + e)`` for ``e`` in [0, 1], to about 1e-7, without a libm call.

    ``log(1 + e) = 2 artanh(u)`` with ``u = e / (2 + e)`` in [0, 1/3], and
    ``artanh(u) = u + u**3/3 + u**5/5 + ...``; stopping after ``u**11/11``
    leaves at most ``2 (1/3)**13 / 13 / (1 - 1/9) < 2e-7``. The libm
    ``log1p`` cost a fifth of the CBOW step (measured on wiki17m).
    """
    u = e / (np.float32(2.0) + e)
    u2 = u * u
    p = np.float32(1.0 / 11.0)
    p = p * u2 + np.float32(1.0 / 9.0)
    p = p * u2 + np.float32(1.0 / 7.0)
    p = p * u2 + np.float32(1.0 / 5.0)
    p = p * u2 + np.float32(1.0 / 3.0)
    p = p * u2 + np.float32(1.0)
    return np.float32(2.0) * u * p


# error_model="numpy": a step too large for float32 makes scores inf or NaN, which
# fastmath assumes away, and numba's default divide-by-zero check then raised
# ZeroDivisionError; with numpy's model the values just stay non-finite and the
# driver reports the divergence (fastw2v.word2vec.TrainingDiverged).
@njit(cache=True, fastmath=True, error_model="numpy", inline="always")
def logistic_step(h, rows, w, label, f, lr, grad):
    """One binary-logistic SGD step on output row ``rows[w]``: the step both losses share.

    With ``f = h · rows[w]`` (computed by the caller, before any row of the
    example moved) and label ``y`` in {0, 1}: ``g = (y - σ(f)) lr``, then
    ``grad += g rows[w]`` and ``rows[w] += g h``; returns the binary
    cross-entropy ``softplus(-f)`` for ``y = 1``, ``softplus(f)`` for ``y = 0``,
    and ``g``.
    Negative sampling calls it for the target and each negative; hierarchical
    softmax for each inner node on the target's Huffman path (fastText's
    ``Loss::binaryLogistic``).
    """
    dim = rows.shape[1]  # not h's: a thread's hidden vector is padded to whole cache lines
    e = np.exp(-np.abs(f))
    s = np.float32(1.0) / (np.float32(1.0) + e)
    if f < 0:
        s = e * s
    g = (label - s) * lr
    for d in range(dim):
        grad[d] += g * rows[w, d]
        rows[w, d] += g * h[d]
    z = -f if label > 0 else f
    return max(z, np.float32(0.0)) + log1p_unit(e), g


@njit(cache=True, inline="always")
def row_of(w, copies, hot_rows):
    """The row of ``syn0`` or ``syn1`` that this thread trains word ``w`` in.

    Words below ``hot_rows`` (the most frequent) in the thread's own copy,
    row ``copies + w`` (:class:`~fastw2v.bundles.Weights`); the rest in
    place. The rule every kernel uses, a row index and not a choice of
    matrix: choosing between the copies' own array and ``syn1`` cost one
    thread 8-12% of its speed on wiki17m CBOW (benchmarks/README.md,
    "Thread scaling").
    """
    return copies + w if w < hot_rows else w


@njit(cache=True, fastmath=True, error_model="numpy")
def ns_update(h, syn1, copies, hot_rows, target, negs, lr, grad, scores):
    """One negative-sampling SGD step: the positive word and its negatives.

    All scores are computed first, from the rows as they were: the dot
    products are independent, so the CPU overlaps them (and their cache
    misses) instead of waiting for each sigmoid and update in turn. The step
    is then exactly one SGD step on this example's loss, as in the reference,
    also when a negative is drawn twice.

    Parameters
    ----------
    h : ndarray of float32, shape (dim,)
        Hidden vector (read only).
    syn1 : ndarray of float32, shape (V + T * hot_rows, dim)
        Output vectors, followed by every thread's copies of the most
        frequent words' rows; the rows of ``target`` and ``negs`` are updated
        in place.
    copies, hot_rows : int
        Word ``w < hot_rows`` is read and written in this thread's copy,
        row ``copies + w``, instead of row ``w`` (:mod:`fastw2v.replicas`).
    target : int
        The word to predict (label 1).
    negs : ndarray of int32, shape (negative,)
        Sampled words (label 0); a draw equal to ``target`` is skipped, as in
        word2vec.c.
    lr : float32
        Learning rate.
    grad : ndarray of float32, shape (dim,)
        ``-lr * ∂L/∂h`` is added to it (the caller applies it to the inputs).
    scores : ndarray of float32, shape (>= negative + 1,)
        Scratch.

    Returns
    -------
    float
        The loss of this example before the step.
    """
    dim = syn1.shape[1]
    n = negs.shape[0] + 1
    for k in range(n):
        w = target if k == 0 else negs[k - 1]
        r = row_of(w, copies, hot_rows)
        f = np.float32(0.0)
        for d in range(dim):
            f += h[d] * syn1[r, d]
        scores[k] = f
    r = row_of(target, copies, hot_rows)
    loss, _ = logistic_step(h, syn1, r, np.float32(1.0), scores[0], lr, grad)
    for k in range(1, n):
        w = negs[k - 1]
        if w == target:
            continue
        # A negative drawn twice: its first draw has already moved the row by
        # g' h, and this draw's input gradient must come from the row as the
        # example found it, or the input rows would take an extra g' g h.
        # Rare (about negative**2 / 2 / V of the examples), so the earlier
        # draws' g (kept in scores once used) are taken off the row only then.
        r = row_of(w, copies, hot_rows)
        prior = np.float32(0.0)
        for k2 in range(1, k):
            if negs[k2 - 1] == w:
                prior += scores[k2]
        if prior != 0:
            for d in range(dim):
                syn1[r, d] -= prior * h[d]
        l, g = logistic_step(h, syn1, r, np.float32(0.0), scores[k], lr, grad)
        if prior != 0:
            for d in range(dim):
                syn1[r, d] += prior * h[d]
        loss += l
        scores[k] = g
    return loss


@njit(cache=True, fastmath=True, error_model="numpy")
def hs_update(h, nodes, hot, hot_from, points, codes, length, lr, grad, scores):
    """One hierarchical-softmax SGD step: the binary decisions on the target's path.

    The probability of the target is the product over its path of
    ``σ(h · nodes[points[d]])`` for label ``1 - codes[d]`` and of its
    complement otherwise, so the loss is the sum of the decisions' binary
    cross-entropies, each a :func:`logistic_step`. As in :func:`ns_update`
    all scores are computed before any node moves.

    Parameters
    ----------
    h : ndarray of float32, shape (dim,)
        Hidden vector (read only).
    nodes : ndarray of float32, shape (V - 1, dim)
        Inner-node vectors; the path's rows are updated in place.
    hot : ndarray of float32, shape (V - 1 - hot_from, dim)
        This thread's own copy of the nodes ``hot_from`` and above, the
        heaviest (nearest the root), read and written instead of ``nodes``
        (see :class:`fastw2v.word2vec.KernelCall`).
    hot_from : int
    points : ndarray of int32, shape (>= length,)
    codes : ndarray of uint8, shape (>= length,)
        The target's path, root first (:mod:`fastw2v.huffman`).
    length : int
    lr : float32
    grad : ndarray of float32, shape (dim,)
        ``-lr * ∂L/∂h`` is added to it.
    scores : ndarray of float32, shape (>= length,)
        Scratch.

    Returns
    -------
    float
        The loss of this example before the step.
    """
    dim = nodes.shape[1]
    for k in range(length):
        node = points[k]
        f = np.float32(0.0)
        if node >= hot_from:
            node -= hot_from
            for d in range(dim):
                f += h[d] * hot[node, d]
        else:
            for d in range(dim):
                f += h[d] * nodes[node, d]
        scores[k] = f
    loss = 0.0
    for k in range(length):
        label = np.float32(1.0) - np.float32(codes[k])
        node = points[k]
        if node >= hot_from:
            l, _ = logistic_step(h, hot, node - hot_from, label, scores[k], lr, grad)
        else:
            l, _ = logistic_step(h, nodes, node, label, scores[k], lr, grad)
        loss += l
    return loss


@njit(cache=True, inline="always")
def output_update(h, target, negs, lr, grad, scores, syn1, nodes, tables_rows, hot_out, use):
    """The output layers' step for hidden ``h`` and ``target``: negative sampling, HS, or both.

    With both the gradients are summed (as gensim does): each layer adds
    its part of ``-lr ∂L/∂h`` to ``grad`` from the same ``h``.
    ``tables_rows`` is ``(points, codes, code_len, hot, hot_from)`` (the paths
    and this thread's copy of the hottest nodes), ``hot_out`` is
    ``(copies, hot_rows)`` (where this thread's copies of the most frequent
    words' output rows start in ``syn1``, and how many; :func:`row_of`),
    ``use`` is ``(negative > 0, hs)``: read from the bundles once per window
    by the caller (see :mod:`fastw2v.bundles` on reading
    fields inside loops).
    """
    loss = 0.0
    if use[0]:
        loss += ns_update(h, syn1, hot_out[0], hot_out[1], target, negs, lr, grad, scores)
    if use[1]:
        points, codes, code_len, hot, hot_from = tables_rows
        loss += hs_update(h, nodes, hot, hot_from, points[target], codes[target],
                          code_len[target], lr, grad, scores)
    return loss


# The three window kernels are inlined into window_step, and window_step and
# plan_window into train_piece (at Numba IR level), so that a window costs no
# call of its own: see "Calls per window" in the module's docstring. Inlined
# code is compiled with the flags of the function it lands in, so they carry
# none of their own: their loops need no fastmath, and the dot products that
# do are in ns_update and hs_update, which stay calls.
@njit(cache=True, inline="always")
def cbow_window(settings, weights, tables, words, j, lo, hi, negs, lr, scratch):
    """CBOW step for the centre ``words[j]`` and context ``words[lo:hi]`` minus ``j``.

    ``h`` is the mean of the context rows; after :func:`output_update` (the
    centre against the negatives, and/or along its Huffman path) the whole
    ``grad`` is added to every context row. That is word2vec.c's and gensim's
    convention (the exact gradient of the mean would be ``grad / n_context``);
    it is what the default CBOW learning rate of 0.05 is tuned for.

    Parameters
    ----------
    settings : Settings
        ``negative`` and ``hs`` choose the output layers.
    weights : Weights
        ``syn0`` rows of the context, ``syn1`` rows of the centre and the
        negatives, ``nodes`` rows of the centre's path are updated in place.
    tables : Tables
        The Huffman paths (for ``hs``).
    words : ndarray of int32, shape (n,)
    j, lo, hi : int
        Centre position and the half-open context span, ``lo <= j < hi``.
    negs : ndarray of int32, shape (>=1, negative)
        Row 0 holds the negatives of this window.
    lr : float32
        Learning rate.
    scratch : Scratch
        This thread's part; ``hidden``, ``grad`` and ``scores`` are used.

    Returns
    -------
    (float, int)
        Loss and number of examples (0 when the context is empty).
    """
    syn0, syn1, nodes = weights.syn0, weights.syn1, weights.nodes
    paths = (tables.points, tables.codes, tables.code_len, scratch.hot, settings.hot_from)
    hot_rows, copies = settings.hot_rows, scratch.copies[0]
    hot_out = (copies, hot_rows)
    use = (settings.negative > 0, settings.hs != 0)
    h, grad, scores = scratch.hidden, scratch.grad, scratch.scores
    dim = syn0.shape[1]
    for d in range(dim):
        h[d] = 0.0
        grad[d] = 0.0
    count = 0
    for k in range(lo, hi):
        if k != j:
            c = words[k]
            r = row_of(c, copies, hot_rows)
            for d in range(dim):
                h[d] += syn0[r, d]
            count += 1
    if count == 0:
        return 0.0, 0
    inv = np.float32(1.0) / np.float32(count)
    for d in range(dim):
        h[d] *= inv
    loss = output_update(h, words[j], negs[0], lr, grad, scores, syn1, nodes, paths, hot_out,
                         use)
    for k in range(lo, hi):
        if k != j:
            c = words[k]
            r = row_of(c, copies, hot_rows)
            for d in range(dim):
                syn0[r, d] += grad[d]
    return loss, 1


@njit(cache=True, inline="always")
def skipgram_window(settings, weights, tables, words, j, lo, hi, negs, lr, scratch):
    """Skip-gram step: the centre ``words[j]`` predicts each context word.

    As in fastText (and the textbook), the centre's row is the hidden vector
    and each context word is a target with its own negatives (and/or its own
    Huffman path). The centre's gradient is summed over the window and
    applied once at the end, so every pair sees the same ``h``. The output
    rows move pair by pair, as in word2vec.c and gensim: a row that two pairs
    share (a repeated context word or negative, and with hierarchical softmax
    always the root's few nodes) is scored by the second pair after the
    first moved it. With distinct output rows the window's step equals one
    plain SGD step on its summed loss.

    Parameters
    ----------
    negs : ndarray of int32, shape (>= n_context, negative)
        Row ``r`` holds the negatives of the ``r``-th context word.
    scratch : Scratch
        This thread's part; ``grad`` and ``scores`` are used.

    The others as in :func:`cbow_window`.

    Returns
    -------
    (float, int)
        Loss and number of (centre, context) pairs.
    """
    syn0, syn1, nodes = weights.syn0, weights.syn1, weights.nodes
    paths = (tables.points, tables.codes, tables.code_len, scratch.hot, settings.hot_from)
    hot_rows, copies = settings.hot_rows, scratch.copies[0]
    hot_out = (copies, hot_rows)
    use = (settings.negative > 0, settings.hs != 0)
    grad, scores = scratch.grad, scratch.scores
    dim = syn0.shape[1]
    c = words[j]
    h = syn0[row_of(c, copies, hot_rows)]
    for d in range(dim):
        grad[d] = 0.0
    loss = 0.0
    r = 0
    for k in range(lo, hi):
        if k != j:
            loss += output_update(h, words[k], negs[r], lr, grad, scores, syn1, nodes, paths,
                                  hot_out, use)
            r += 1
    for d in range(dim):
        h[d] += grad[d]
    return loss, r


@njit(cache=True, inline="always")
def skipgram_shared_window(settings, weights, tables, words, j, lo, hi, negs, lr, scratch):
    """Skip-gram with the window's negatives shared: each context word predicts the centre.

    The direction of word2vec.c's skip-gram: every context word's row is the
    hidden vector of one :func:`ns_update` against the centre ``words[j]``
    and the one set of negatives ``negs[0]``, and takes its own gradient at
    once. The output rows of a window are then the centre and ``negative``
    words, the same for every pair, so they stay in L1 across the window:
    a window touches ``n_context + negative + 1`` rows instead of
    ``1 + n_context (negative + 1)`` (Ji et al., 2016, "Parallelizing
    Word2Vec in Shared and Distributed Memory", pWord2Vec, who also share
    the negatives and report the same quality). With hierarchical softmax
    the window's pairs likewise share the centre's one path. The steps are
    plain sequential SGD steps, each on the rows as the step before left them.

    Parameters
    ----------
    negs : ndarray of int32, shape (>= 1, negative)
        Row 0 holds the negatives of this window.
    scratch : Scratch
        This thread's part; ``grad`` and ``scores`` are used.

    The others as in :func:`cbow_window`.

    Returns
    -------
    (float, int)
        Loss and number of (context, centre) pairs.
    """
    syn0, syn1, nodes = weights.syn0, weights.syn1, weights.nodes
    paths = (tables.points, tables.codes, tables.code_len, scratch.hot, settings.hot_from)
    hot_rows, copies = settings.hot_rows, scratch.copies[0]
    hot_out = (copies, hot_rows)
    use = (settings.negative > 0, settings.hs != 0)
    grad, scores = scratch.grad, scratch.scores
    dim = syn0.shape[1]
    centre = words[j]
    loss = 0.0
    r = 0
    for k in range(lo, hi):
        if k != j:
            c = words[k]
            h = syn0[row_of(c, copies, hot_rows)]
            for d in range(dim):
                grad[d] = 0.0
            loss += output_update(h, centre, negs[0], lr, grad, scores, syn1, nodes, paths,
                                  hot_out, use)
            for d in range(dim):
                h[d] += grad[d]
            r += 1
    return loss, r


@njit(cache=True, inline="always")
def window_step(settings, weights, tables, words, j, lo, hi, negs, lr, scratch):
    """One training step on one window: the dispatch on the model.

    The single place that picks :func:`cbow_window`, :func:`skipgram_window`
    or :func:`skipgram_shared_window` (inlined into it); training
    (:func:`train_piece`, into which it is inlined in turn) and the debug
    entry :func:`train_window` both call it, with arguments of the same
    types. Inlined code is compiled with the flags of the function it lands
    in, and ``window_step`` and ``train_piece`` have the same (no
    ``fastmath``), so the debug entry does the very arithmetic of training.

    Parameters
    ----------
    settings : Settings
        ``model`` (:data:`CBOW`, :data:`SKIPGRAM` or :data:`SKIPGRAM_SHARED`)
        picks the kernel; ``negative`` and ``hs`` the output layers.
    weights : Weights
        Updated in place.
    tables : Tables
        The Huffman paths.
    words : ndarray of int32, shape (n,)
    j, lo, hi : int
        Centre position and the half-open context span, ``lo <= j < hi``.
    negs : ndarray of int32, shape (rows, negative)
        The window's negatives: row 0 for CBOW and shared skip-gram, one row
        per context word (in order) for skip-gram.
    lr : float32
        Learning rate.
    scratch : Scratch
        This thread's part.

    Returns
    -------
    (float, int)
        Loss and number of examples.
    """
    model = settings.model
    if model == CBOW:
        return cbow_window(settings, weights, tables, words, j, lo, hi, negs, lr, scratch)
    if model == SKIPGRAM_SHARED:
        return skipgram_shared_window(settings, weights, tables, words, j, lo, hi, negs, lr,
                                      scratch)
    return skipgram_window(settings, weights, tables, words, j, lo, hi, negs, lr, scratch)


@njit(cache=True)
def fill_negatives(state, tables, negs, rows):
    """Draw ``negs[:rows]`` from the alias table of ``tables``; returns the new state."""
    slots = tables.slots
    for r in range(rows):
        for k in range(negs.shape[1]):
            state, negs[r, k] = draw_negative(state, slots)
    return state


@njit(cache=True, inline="always")
def plan_window(settings, weights, tables, words, j, n, negs, state, copies):
    """Draw centre ``words[j]``'s window and negatives; prefetch the rows it will touch.

    Each centre draws ``b`` uniform on ``0..window-1`` and uses the window
    ``window - b`` on each side (word2vec.c), so a word at distance ``d`` is
    used with probability ``(window - d + 1) / window``.

    Parameters
    ----------
    settings : Settings
        ``model``, ``window``, ``negative`` and ``hs`` are used.
    weights : Weights
        Only prefetched.
    tables : Tables
        Negatives are drawn from its alias table; the Huffman paths are prefetched.
    words : ndarray of int32, shape (>= n,)
    j, n : int
        The centre's position and the number of words to draw context from.
    negs : ndarray of int32, shape (>= 2 * window, negative)
        Filled with the window's negatives (as :func:`window_step` reads them).
    state : uint64
        Random state.
    copies : int
        Where this thread's copies of the most frequent words' rows start in
        ``syn0`` and ``syn1`` (:attr:`~fastw2v.bundles.Scratch.copies`): a
        copied word's row is prefetched there.

    Returns
    -------
    (uint64, int, int)
        New random state and the context span ``lo, hi``.
    """
    syn0, syn1, nodes = weights.syn0, weights.syn1, weights.nodes
    model, window, ns, hs = settings.model, settings.window, settings.negative > 0, settings.hs
    hot_rows = settings.hot_rows
    state, z = next_u64(state)
    b = below(z, window)
    lo = max(0, j - window + b)
    hi = min(n, j + window - b + 1)
    if model == CBOW or model == SKIPGRAM_SHARED:
        rows = 1
        for k in range(lo, hi):
            c = words[k]
            prefetch_row(syn0, row_of(c, copies, hot_rows))
        if ns:
            c = words[j]
            prefetch_row(syn1, row_of(c, copies, hot_rows))
        if hs:
            prefetch_path(nodes, tables, words[j], settings.hot_from)
    else:
        rows = hi - lo - 1
        c = words[j]
        prefetch_row(syn0, row_of(c, copies, hot_rows))
        for k in range(lo, hi):
            if ns:
                c = words[k]
                prefetch_row(syn1, row_of(c, copies, hot_rows))
            if hs and k != j:
                prefetch_path(nodes, tables, words[k], settings.hot_from)
    if ns:
        state = fill_negatives(state, tables, negs, rows)
        for r in range(rows):
            for k in range(negs.shape[1]):
                c = negs[r, k]
                prefetch_row(syn1, row_of(c, copies, hot_rows))
    return state, lo, hi


@njit(cache=True, inline="always")
def prefetch_path(nodes, tables, w, hot_from):
    """Prefetch the inner-node rows of word ``w``'s Huffman path below the hot ones.

    The hot nodes near the root are in the thread's own copy, in cache; the
    deeper nodes of a rare word are scattered over the matrix like any
    output row.
    """
    points = tables.points
    for d in range(tables.code_len[w]):
        if points[w, d] < hot_from:
            prefetch_row(nodes, points[w, d])


@njit(cache=True)
def train_piece(settings, weights, tables, scratch, c0, c1, n, lr, state):
    """Train the centres ``scratch.buf[c0:c1]`` with context from ``scratch.buf[:n]``.

    Software pipelining: while centre ``j`` trains, the window and negatives
    of centre ``j + 1`` are already drawn (into the other half of
    ``scratch.negs``) and their rows are on their way into the cache.

    Parameters
    ----------
    settings : Settings
    weights : Weights
        Updated in place.
    tables : Tables
    scratch : Scratch
        This thread's part; ``buf`` holds the words.
    c0, c1, n : int
        Centres ``c0:c1`` of the ``n`` words in ``buf``.
    lr : float32
        Learning rate.
    state : uint64
        Random state.

    Returns
    -------
    (uint64, float, int)
        New random state, summed loss, number of examples.
    """
    words, negs, copies = scratch.buf, scratch.negs, scratch.copies[0]
    loss = 0.0
    examples = 0
    if c0 >= c1:
        return state, loss, examples
    state, lo, hi = plan_window(settings, weights, tables, words, c0, n, negs[0], state, copies)
    next_lo = next_hi = 0
    for j in range(c0, c1):
        cur = (j - c0) & 1
        if j + 1 < c1:
            state, next_lo, next_hi = plan_window(settings, weights, tables, words, j + 1, n,
                                                  negs[1 - cur], state, copies)
        l, e = window_step(settings, weights, tables, words, j, lo, hi, negs[cur], lr, scratch)
        loss += l
        examples += e
        lo, hi = next_lo, next_hi
    return state, loss, examples


@njit(cache=True)
def train_block(settings, weights, corpus, tables, schedule, lo, hi, n_blocks, scratch, state):
    """Train the corpus positions ``lo:hi`` (one thread's block).

    The corpus is read as :mod:`fastw2v.encoding` stores it: a code below
    ``ESCAPE`` is the id, an ``ESCAPE`` takes the next id from ``escapes``.

    Sentences are cut at ``sent_starts`` and at the block's ends; windows never
    cross them. Subsampled words are dropped before windowing, as in
    word2vec.c, so windows stretch over them. Kept words go into
    ``scratch.buf``; a sentence longer than the buffer is trained in pieces
    that overlap by ``window`` words on each side, so no window is cut short.

    The learning rate follows global progress, estimated as the words done
    before this call plus ``n_blocks`` times this thread's own progress
    (all threads advance at about the same pace).

    Parameters
    ----------
    settings : Settings
    weights : Weights
        Updated in place.
    corpus : Corpus
    tables : Tables
    schedule : Schedule
    lo, hi : int
        The block's corpus positions.
    n_blocks : int
        Blocks of this call, all advancing together.
    scratch : Scratch
        This thread's part.
    state : uint64
        Random state.

    Returns
    -------
    (float, int, int)
        Summed loss, examples, kept (trained) centre words.
    """
    codes, escapes, sent_starts = corpus.codes, corpus.escapes, corpus.sent_starts
    keep_prob = corpus.keep_prob
    buf = scratch.buf
    window = settings.window
    cap = buf.shape[0]
    s = np.searchsorted(sent_starts, lo, side="right") - 1
    esc = escape_index(codes, corpus.marks, lo) if lo < hi else 0
    loss = 0.0
    examples = 0
    kept = 0
    p = lo
    while p < hi:
        end = min(sent_starts[s + 1], hi)
        n = 0
        c0 = 0
        for i in range(p, end):
            w, esc = read_id(codes, escapes, i, esc)
            kp = keep_prob[w]
            if kp < 1.0:
                state, z = next_u64(state)
                if uniform(z) >= kp:
                    continue
            buf[n] = w
            n += 1
            if n == cap:
                progress = (schedule.words_before + (i - lo) * n_blocks) / schedule.total_words
                lr = np.float32(learning_rate(schedule.alpha, schedule.min_alpha, progress))
                state, l, e = train_piece(settings, weights, tables, scratch, c0, n - window, n,
                                          lr, state)
                loss += l
                examples += e
                kept += n - window - c0
                # Carry the last 2 * window words: the first half is left
                # context only, the second half are centres still to train.
                for k in range(2 * window):
                    buf[k] = buf[n - 2 * window + k]
                n = 2 * window
                c0 = window
        if n > c0:
            progress = (schedule.words_before + (end - lo) * n_blocks) / schedule.total_words
            lr = np.float32(learning_rate(schedule.alpha, schedule.min_alpha, progress))
            state, l, e = train_piece(settings, weights, tables, scratch, c0, n, n, lr, state)
            loss += l
            examples += e
            kept += n - c0
        p = end
        s += 1
    return loss, examples, kept


@njit(parallel=True, cache=True)
def train_range(settings, weights, corpus, tables, schedule, start, stop, streams, scratch, out):
    """Hogwild training of corpus positions ``start:stop``, one block per thread.

    Parameters
    ----------
    settings : Settings
        The model, ``window``, the output layers and the run ``seed``.
    weights : Weights
        ``syn0``, ``syn1`` and ``nodes``, float32, updated in place by all
        threads.
    corpus : Corpus
        The encoded corpus, its sentence starts and the keep probabilities.
    tables : Tables
        The negative-sampling alias table and the Huffman paths.
    schedule : Schedule
        The learning-rate schedule and the words trained before this call.
    start, stop : int
        Corpus positions to train.
    streams : ndarray of uint64, shape (B,)
        One random stream number per block; B blocks run in parallel.
    scratch : Scratch
        Per-thread scratch, every field of shape (B, ...); block ``b`` uses
        ``thread_part(scratch, b)``.
    out : Outputs
        Per-block loss, examples and kept words, arrays of shape (B,),
        overwritten.
    """
    n_blocks = streams.shape[0]
    per = (stop - start + n_blocks - 1) // n_blocks
    # Unpacked out of the bundle before the loop: a write through a
    # namedtuple's array field in the prange body itself is silently lost
    # under parallel=True (numba issues 5872, 7135, 10338, open in 0.68);
    # writes in the functions the body calls, and all reads, are fine.
    out_loss, out_examples, out_kept = out.loss, out.examples, out.kept
    for b in prange(n_blocks):
        lo = min(stop, start + b * per)
        hi = min(stop, lo + per)
        state = seed_stream(settings.seed, streams[b])
        # Borrowed (uncounted) views of every array of every bundle: see
        # fastw2v.borrowed; the arrays live as long as this call.
        l, e, k = train_block(borrowed(settings), borrowed(weights), borrowed(corpus),
                              borrowed(tables), borrowed(schedule), lo, hi, n_blocks,
                              thread_part(borrowed(scratch), b), state)
        out_loss[b] = l
        out_examples[b] = e
        out_kept[b] = k


def train_window(model, syn0, syn1, words, centre, negatives, lr, nodes=None, tree=None,
                 hot_rows=0):
    """Debug entry: one kernel step on one window with given negatives.

    Calls :func:`window_step`, the very function training calls for every
    window (and through it :func:`cbow_window`, :func:`skipgram_window` or
    :func:`skipgram_shared_window`, :func:`output_update`, :func:`ns_update`
    and :func:`hs_update`), with bundles of the types training passes, on the
    whole of ``words`` as the window: without subsampling, window reduction
    or random draws, so tests can compare it with the NumPy reference step.

    Parameters
    ----------
    model : {"cbow", "skipgram", "skipgram_shared"} or int
    syn0, syn1 : ndarray of float32, shape (V, dim)
        Updated in place.
    words : array of int, shape (n,)
        The window, centre included.
    centre : int
        Index of the centre word in ``words``.
    negatives : array of int, shape (1, negative) for CBOW and shared skip-gram,
        or (n - 1, negative) for skip-gram (one row per context word, in order);
        ``negative`` may be 0 (no negative sampling) when ``tree`` is given.
    lr : float
    nodes : ndarray of float32, shape (V - 1, dim), optional
        Hierarchical-softmax inner-node vectors, updated in place.
    tree : fastw2v.huffman.HuffmanTree, optional
        With ``nodes``: train hierarchical softmax too.
    hot_rows : int, optional
        Rows ``0:hot_rows`` of ``syn0`` and ``syn1`` are trained in a
        thread's copies (:mod:`fastw2v.replicas`: rows appended after the
        model's), copied back after the step.

    Returns
    -------
    float
        The loss before the step.
    """
    codes = {"cbow": CBOW, "skipgram": SKIPGRAM, "skipgram_shared": SKIPGRAM_SHARED}
    code = codes.get(model, model)
    words = np.ascontiguousarray(words, dtype=np.int32)
    negs = np.ascontiguousarray(np.atleast_2d(negatives), dtype=np.int32)
    dim = syn0.shape[1]
    hs = tree is not None
    if hs:
        paths = (tree.points, tree.codes, tree.lengths)
    else:
        nodes = np.zeros((1, dim), dtype=np.float32)
        paths = (np.zeros((1, 1), np.int32), np.zeros((1, 1), np.uint8), np.zeros(1, np.int32))
    longest = paths[0].shape[1]
    scratch = Scratch(buf=words, negs=negs[None], hidden=np.zeros(dim, dtype=np.float32),
                      grad=np.zeros(dim, dtype=np.float32),
                      scores=np.zeros(max(negs.shape[1] + 1, longest), dtype=np.float32),
                      hot=np.zeros((0, dim), dtype=np.float32),
                      copies=np.array([syn0.shape[0]], dtype=np.int64))
    settings = Settings(model=code, window=len(words), negative=negs.shape[1], hs=int(hs),
                        hot_from=nodes.shape[0], hot_rows=hot_rows, seed=0)
    tables = Tables(slots=np.zeros(1, np.uint64),
                    points=paths[0], codes=paths[1], code_len=paths[2])
    # the model's rows followed by one thread's copies of rows 0:hot_rows, as in training
    n0, n1 = syn0.shape[0], syn1.shape[0]
    if hot_rows and n0 != n1:
        raise ValueError("hot_rows needs syn0 and syn1 of the same number of rows")
    with_copies = [np.concatenate([m, m[:hot_rows]]) for m in (syn0, syn1)]
    loss, _ = window_step(settings, Weights(syn0=with_copies[0], syn1=with_copies[1], nodes=nodes),
                          tables, words, centre, 0, len(words), negs, np.float32(lr), scratch)
    for m, n, trained in ((syn0, n0, with_copies[0]), (syn1, n1, with_copies[1])):
        m[:] = trained[:n]
        m[:hot_rows] = trained[n:]
    return loss
