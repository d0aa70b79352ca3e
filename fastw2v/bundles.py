"""Named bundles of kernel arguments.

The training kernels of :mod:`fastw2v.kernels` once took up to 27 positional
arguments, six same-typed scalars side by side (``window, alpha, min_alpha,
words_before, total_words, seed``): swapping two still compiled and trained
wrong. They now take a handful of these namedtuples instead. Numba types a
namedtuple of arrays and scalars as a tuple with named fields and resolves
``bundle.field`` at compile time (no lookup at run time), and kernels that
take bundles are cached (``cache=True``, under ``parallel=True``
too) like any other. The classes live at module level so that the cache
index can name them; ``jitclass`` would hide the state in an object and
cannot be cached.

One trap: under ``parallel=True`` a write through a bundle's array field
made directly in a ``prange`` body (``out.loss[b] = x``) is silently lost
(numba issues 5872, 7135, 10338, open in numba 0.68). Unpack the array into
a local before the loop, or write in a function the body calls (as every
kernel below :func:`fastw2v.kernels.train_range` does); reads are fine.

Read a bundle's array fields into locals at the top of a kernel, not inside
its loops: each read makes a new array value, which Numba increfs and
decrefs with out-of-line calls (null-checked, for the borrowed arrays of
:mod:`fastw2v.borrowed`). Reading ``tables.slots`` and ``weights.syn1``
per negative and per pair cost skip-gram about 10% (PTB, one thread).

Build a bundle with keyword arguments (``Schedule(alpha=0.025, ...)``), so
the construction site cannot swap two fields either; a forgotten field is a
TypeError.

Adding a field: add it to the namedtuple's field list and docstring, and
where the bundle is built (:meth:`fastw2v.word2vec.Word2Vec.train`; for
:class:`Weights` and :class:`Scratch` also :func:`fastw2v.kernels.train_window`).
A :class:`Scratch` field needs its shape in
:func:`fastw2v.word2vec._scratch_shapes` (keyed by field name) and its line
in :func:`thread_part`. Kernels read fields by name, so no signature changes,
and :func:`fastw2v.kernels.train_range` borrows every bundle whole
(:mod:`fastw2v.borrowed`), so a new array field is borrowed too.
"""

from collections import namedtuple

from numba import njit

Weights = namedtuple("Weights", ["syn0", "syn1", "nodes"])
Weights.__doc__ = """The model's matrices, shared by all threads and written without locks.

With several threads, the words' rows are followed by every thread's
copies of the most frequent words' rows (:mod:`fastw2v.replicas`): rows
``V + t R : V + (t + 1) R`` are thread ``t``'s copies of rows ``0:R``,
``R = Settings.hot_rows``, and ``Scratch.copies`` of thread ``t`` is
``V + t R``.

Attributes
----------
syn0 : ndarray of float32, shape (V + T R, dim)
    Input ("word") vectors, the ones users keep (rows ``0:V``).
syn1 : ndarray of float32, shape (V + T R, dim)
    Output ("context") vectors of negative sampling (gensim's ``syn1neg``);
    shape (1, dim) and unused without it.
nodes : ndarray of float32, shape (V - 1, dim)
    Inner-node vectors of hierarchical softmax (gensim's ``syn1``); shape
    (1, dim) and unused without it.
"""

Corpus = namedtuple("Corpus", ["codes", "escapes", "marks", "sent_starts", "keep_prob"])
Corpus.__doc__ = """The encoded corpus and the subsampling that picks the words trained.

Attributes
----------
codes : ndarray of uint16, shape (N,)
escapes : ndarray of int32, shape (E,)
marks : ndarray of int64, shape (N // MARK + 1,)
    The encoded corpus (:class:`fastw2v.vocab.EncodedCorpus`, read with
    :func:`fastw2v.encoding.read_id`).
sent_starts : ndarray of int64, shape (S + 1,)
    Offsets of the sentences in ``codes``; the last entry is N.
keep_prob : ndarray of float32, shape (V,)
    Subsampling keep probability of each word
    (:func:`fastw2v.sampling.keep_probabilities`).
"""

Tables = namedtuple("Tables", ["slots", "points", "codes", "code_len"])
Tables.__doc__ = """Lookup tables of the output layers.

Attributes
----------
slots : ndarray of uint64, shape (V,)
    The negative-sampling alias table, threshold and alias packed in one
    word a slot (:attr:`fastw2v.sampling.UnigramTable.slots`, read by
    :func:`fastw2v.sampling.draw_negative`).
points : ndarray of int32, shape (V, L)
codes : ndarray of uint8, shape (V, L)
code_len : ndarray of int32, shape (V,)
    Every word's Huffman path for hierarchical softmax
    (:class:`fastw2v.huffman.HuffmanTree`); shape (1, 1) and (1,) without it.
"""

Settings = namedtuple("Settings", ["model", "window", "negative", "hs", "hot_from", "hot_rows",
                                   "seed"])
Settings.__doc__ = """Integer settings of the run, fixed for a whole :meth:`~fastw2v.word2vec.Word2Vec.train`.

Attributes
----------
model : int
    :data:`~fastw2v.config.CBOW`, :data:`~fastw2v.config.SKIPGRAM` or
    :data:`~fastw2v.config.SKIPGRAM_SHARED`: the dispatch of
    :func:`fastw2v.kernels.window_step`.
window : int
    Largest distance of a context word (before the random reduction).
negative : int
    Negatives per positive; 0 turns negative sampling off.
hs : int
    1 to train hierarchical softmax too (or alone, with ``negative`` 0).
hot_from : int
    Inner nodes from this id up (the heaviest, nearest the root) are read
    and written in each thread's own copy, :attr:`Scratch.hot`
    (:class:`fastw2v.word2vec.KernelCall` merges the copies between calls).
hot_rows : int
    Rows of ``syn0`` and ``syn1`` below this id (the most frequent words:
    the vocabulary is sorted by count) are read and written in each
    thread's own copies, rows ``Scratch.copies + w`` of the same matrices
    (:class:`Weights`; merged between calls by :mod:`fastw2v.replicas`).
seed : int64
    The run seed, as the int64 with the seed's bits; each block derives its
    random stream from it (:func:`fastw2v.rng.seed_stream`).
"""

Schedule = namedtuple("Schedule", ["alpha", "min_alpha", "words_before", "total_words"])
Schedule.__doc__ = """The learning-rate schedule and where this kernel call stands in it.

The rate falls linearly from ``alpha`` to ``min_alpha`` as the fraction of
``total_words`` done grows (:func:`fastw2v.sampling.learning_rate`).

Attributes
----------
alpha, min_alpha : float
    The rate at the start and at the end of the run.
words_before : float
    Corpus positions trained before this call (all epochs so far); the only
    field that changes from one call to the next.
total_words : float
    Corpus positions of the whole run (all epochs).
"""

Scratch = namedtuple("Scratch", ["buf", "negs", "hidden", "grad", "scores", "hot", "copies"])
Scratch.__doc__ = """Per-thread scratch, preallocated outside the parallel loop.

The driver allocates every field with a leading axis of B blocks, each
block's part on its own cache lines (:func:`fastw2v.word2vec._per_thread`);
inside ``prange`` each block takes its own part with :func:`thread_part`.
The shapes below are those of one block's part.

Attributes
----------
buf : ndarray of int32, shape (cap,)
    Ids of the kept words of the sentence (piece) being trained.
negs : ndarray of int32, shape (2, >= 2 * window, negative)
    Negatives of the current and of the next centre (software pipelining,
    :func:`fastw2v.kernels.train_piece`); one row per output word.
hidden : ndarray of float32, shape (>= dim,)
    The hidden vector ``h`` of CBOW.
grad : ndarray of float32, shape (>= dim,)
    Gradient accumulated for the input rows.
scores : ndarray of float32, shape (>= max(negative + 1, L),)
    Scores of one example (:func:`fastw2v.kernels.ns_update`,
    :func:`fastw2v.kernels.hs_update`: the negatives, or the Huffman path).
hot : ndarray of float32, shape (K, dim)
    The thread's own copy of the ``K`` hottest inner nodes of hierarchical
    softmax (ids ``Settings.hot_from`` and up).
copies : ndarray of int64, shape (16,)
    ``copies[0]``: the row of ``syn0`` and ``syn1`` where the thread's own
    copies of rows ``0:Settings.hot_rows`` start (:class:`Weights`); the
    rest pads the part to whole cache lines.
"""

Outputs = namedtuple("Outputs", ["loss", "examples", "kept"])
Outputs.__doc__ = """What each block of a kernel call reports, one entry per block.

Attributes
----------
loss : ndarray of float64, shape (B,)
    Summed loss of the block's examples.
examples : ndarray of int64, shape (B,)
    Examples trained: centre words for CBOW, (centre, context) pairs for skip-gram.
kept : ndarray of int64, shape (B,)
    Centre words trained, after dropping out-of-vocabulary words and subsampling.
"""


@njit(cache=True)
def thread_part(scratch, b):
    """Block ``b``'s part of a :class:`Scratch` whose fields have a leading axis of blocks.

    Parameters
    ----------
    scratch : Scratch
        Each field of shape ``(B, ...)``.
    b : int
        Block, ``0 <= b < B``.

    Returns
    -------
    Scratch
        Views of row ``b`` of every field (nothing is copied).
    """
    return Scratch(buf=scratch.buf[b], negs=scratch.negs[b], hidden=scratch.hidden[b],
                   grad=scratch.grad[b], scores=scratch.scores[b], hot=scratch.hot[b],
                   copies=scratch.copies[b])
