"""The training driver: :class:`Word2Vec` owns the state and calls the kernels."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field

import numba
import numpy as np

from . import kernels, persist, vocab_update
from .bundles import Corpus, Outputs, Schedule, Scratch, Settings, Tables, Weights
from .callbacks import EpochCallbacks
from .config import (CBOW, GENSIM_FIXED, GENSIM_IGNORED, ConfigError, TrainConfig, _check_float,
                     _check_int, default_end_alpha, from_gensim)
from .corpus import CorpusError, scan_corpus, scan_sentences, warn_unsplit_spaces
from .huffman import HuffmanTree, build_tree
from .replicas import (HOT_NODES, MERGE_TOKENS, extended, hot_nodes, hot_rows, merge, room,
                       with_room)
from .sampling import UnigramTable, keep_probabilities, learning_rate
from .sources import corpus_paths, is_file_spec
from .vecmath import all_finite
from .vocab import build_corpus

logger = logging.getLogger("fastw2v")

#: Raw tokens per thread per kernel call. Between calls the driver reports
#: progress and can stop cleanly; 2**18 tokens take about 0.1-1 s a thread,
#: so reports are frequent while the call overhead (tens of microseconds)
#: stays far below 1%. With the threads' copied rows the calls are
#: :data:`fastw2v.replicas.MERGE_TOKENS` long instead (``KernelCall.span``).
BLOCK_TOKENS = 1 << 18

#: Multiply-adds one thread may do in one kernel call, whatever the settings
#: (:func:`call_span`). A compiled kernel never sees a signal, so Ctrl-C,
#: even a second one, acts only between calls: where one word costs a great
#: deal (thousands of negatives, a wide window, a large ``dim``) calls of
#: :data:`BLOCK_TOKENS` ran for minutes. ``2**34`` (1.7e10) is about 2 s of
#: one thread (skip-gram at the defaults does about 8e9 a second as counted
#: here, wiki17m, Intel Xeon) and more than a whole block costs with negative
#: sampling at any window up to 10 and ``dim`` up to 300, or with
#: hierarchical softmax at ``dim`` 100, so those calls keep their length.
CALL_WORK = 1 << 34

#: Window buffer per thread (kept words). Longer sentences are trained in
#: overlapping pieces of this size; see :func:`fastw2v.kernels.train_block`.
BUFFER_WORDS = 1 << 13

#: Bytes that keep two threads' scratch apart. A cache line is 64 bytes, but
#: Intel cores fetch lines in aligned 128-byte pairs (the L2 adjacent-line
#: prefetcher), so a thread writing its own line still pulls its neighbour's
#: pair line out of the other core, and that core then writes it back
#: (false sharing one line further out). With parts 64 bytes apart, 2 threads
#: trained CBOW on wiki17m at 3.2-3.4M words/s; 128 bytes apart, 3.9-4.1M
#: (1 thread: 2.8-3.0M; Intel Xeon, AVX-512, KVM).
CACHE_LINE = 128

#: Bytes that keep two threads' small scratch apart: a page. The L2 streamer
#: prefetches the lines ahead of a run of accesses, up to the end of their
#: 4 KiB page, so a thread whose small parts (hidden vector, gradient,
#: scores, negatives) shared pages with its neighbour's pulled the
#: neighbour's lines into its own cache, and each of the neighbour's writes,
#: one an example, then had to take them back. So each thread's part of
#: those fields fills whole pages and starts on one (:func:`_padded`,
#: :func:`_per_thread`): CBOW on wiki17m, 2 threads against 1, 1.74x, 1.80x,
#: 1.74x and 1.84x with parts 128 bytes apart, 1.90x, 1.84x, 1.87x and 1.91x
#: a page apart (bench_scaling, 3 rounds a run, builds alternated; skip-gram,
#: with more work an example, 1.86x and 1.87x; Intel Xeon, AVX-512, KVM).
SCRATCH_PAGE = 4096


class TrainingDiverged(ArithmeticError):
    """The loss or the vectors became inf or NaN: the learning rate is too large."""


@dataclass
class TrainProgress:
    """A snapshot of training, passed to the ``progress`` callback.

    Attributes
    ----------
    epoch : int
        Current epoch, from 1.
    epochs : int
    fraction : float
        Fraction of all training done, in [0, 1].
    words_per_sec : float
        Raw corpus words per second so far (out-of-vocabulary words included).
    alpha : float
        Current learning rate.
    loss : float
        Mean loss per example of the current epoch so far.
    elapsed : float
        Seconds since training started.
    """

    epoch: int
    epochs: int
    fraction: float
    words_per_sec: float
    alpha: float
    loss: float
    elapsed: float


@dataclass
class TrainResult:
    """Summary of one call of :meth:`Word2Vec.train`.

    Attributes
    ----------
    epoch_loss : list of float
        Mean loss per example (per centre word for CBOW, per pair for
        skip-gram) of each epoch, summed in float64 on each thread.
    raw_words : int
        Raw corpus tokens times epochs.
    trained_words : int
        Centre words actually trained (after dropping rare words and subsampling).
    examples : int
        Examples the loss is the mean of (centre words for CBOW, pairs for
        skip-gram); 0 when no sentence had two words of the vocabulary, and
        then the loss, 0, means nothing.
    seconds : float
    words_per_sec : float
        ``raw_words / seconds``.
    """

    epoch_loss: list = field(default_factory=list)
    raw_words: int = 0
    trained_words: int = 0
    examples: int = 0
    seconds: float = 0.0
    words_per_sec: float = 0.0
    stopped: bool = False


def _padded(n, itemsize=4):
    """``n`` items of ``itemsize`` bytes rounded up to whole :data:`SCRATCH_PAGE` pages."""
    per_page = SCRATCH_PAGE // itemsize
    return -(-n // per_page) * per_page


def _per_thread(blocks, shape, dtype):
    """Scratch ``(blocks, *shape)``: each part on lines of its own, on pages where ``shape`` fills them.

    NumPy aligns small arrays to 16 bytes only, so rows padded to whole lines
    still straddle them, and two threads writing their own rows would share
    a line at the seam (false sharing: every write sends the line across the
    cores). ``shape`` must fill whole :data:`CACHE_LINE` blocks, and fills
    whole pages where :func:`_scratch_shapes` pads it (all but the HS nodes'
    copies, hundreds of KiB a thread, whose neighbours meet at one page);
    the buffer is over-allocated by one page and cut at the first boundary.
    """
    dtype = np.dtype(dtype)
    part = int(np.prod(shape)) * dtype.itemsize
    if part % CACHE_LINE:
        raise ValueError(f"scratch of shape {shape} does not fill whole cache lines")
    raw = np.zeros(blocks * part + SCRATCH_PAGE, dtype=np.uint8)
    start = -raw.ctypes.data % SCRATCH_PAGE
    return raw[start: start + blocks * part].view(dtype).reshape((blocks, *shape))


#: Huffman path length assumed by the memory estimate before the tree is
#: built: word2vec.c's MAX_CODE_LENGTH. Zipfian vocabularies of 10^4 to 10^7
#: words give trees 20-35 deep (wiki17m: 26).
PATH_ESTIMATE = 40


def _scratch_shapes(cfg, longest=PATH_ESTIMATE, hot=HOT_NODES):
    """Shape and dtype of one thread's part of each field of :class:`fastw2v.bundles.Scratch`.

    ``longest``: the longest Huffman path (hierarchical softmax scores a path
    in ``scores``); ``hot``: the inner nodes a thread copies (:data:`HOT_NODES`).
    """
    # rows of negatives: 2 * window, rounded up to a multiple of
    # SCRATCH_PAGE / 8 so that a thread's part (2 x rows x negative int32, a
    # multiple of SCRATCH_PAGE bytes whatever ``negative``) fills whole pages
    rows_step = SCRATCH_PAGE // 8
    neg_rows = -(-2 * cfg.window // rows_step) * rows_step
    return {
        "buf": ((_padded(max(BUFFER_WORDS, 4 * cfg.window + 4)),), np.int32),
        "negs": ((2, neg_rows, cfg.negative), np.int32),
        "hidden": ((_padded(cfg.dim),), np.float32),
        "grad": ((_padded(cfg.dim),), np.float32),
        "scores": ((_padded(max(cfg.negative + 1, longest if cfg.hs else 1)),), np.float32),
        "hot": ((hot if cfg.hs else 0, cfg.dim), np.float32),
        "copies": ((_padded(1, 8),), np.int64),
    }


def training_bytes(cfg, vocab_size):
    """Bytes that training allocates: the matrices, the Huffman paths and every thread's scratch."""
    shapes = _scratch_shapes(cfg).values()
    scratch = sum(int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
                  for shape, dtype in shapes)
    matrices = 1 + (cfg.negative > 0) + cfg.hs  # syn0, syn1neg, the HS nodes
    # the threads' copies of the frequent words' rows, after syn0's and syn1neg's
    copies = (1 + (cfg.negative > 0)) * room(cfg, vocab_size) * cfg.dim * 4
    # the paths: int32 points and uint8 codes a step
    paths = vocab_size * PATH_ESTIMATE * 5 if cfg.hs else 0
    # _per_thread over-allocates each scratch array (not each thread) by one page
    return (matrices * vocab_size * cfg.dim * 4 + copies + paths + cfg.threads * scratch
            + len(shapes) * SCRATCH_PAGE)


def _physical_memory():
    """Bytes of RAM, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(cfg, vocab_size):
    """Raise ConfigError if training would need more memory than the machine has.

    Called with a vocabulary of 2 (the least that trains) before the corpus is
    read, so absurd ``dim``, ``window``, ``negative`` or ``threads`` fail at once,
    and with the real vocabulary before the matrices are allocated.
    """
    need, have = training_bytes(cfg, vocab_size), _physical_memory()
    if have is not None and need > have:
        raise ConfigError(
            f"dim={cfg.dim}, window={cfg.window}, negative={cfg.negative} and "
            f"threads={cfg.threads} need {need / 2**30:.1f} GiB for {vocab_size} words, "
            f"more than the {have / 2**30:.1f} GiB of memory here")


def _seed_bits(seed):
    """``seed`` (0..2**64-1) as the int64 with the same bits: the kernels' argument type."""
    return seed - (1 << 64) if seed >= 1 << 63 else seed


@contextmanager
def numba_threads(n):
    """Run with ``n`` Numba threads (capped at the pool size), then restore."""
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _same_or_rows(rows, whole):
    """``rows`` itself where ``whole`` starts with it, else ``whole``'s first ``len(rows)`` rows."""
    return rows if whole.ctypes.data == rows.ctypes.data else whole[:rows.shape[0]]


class KernelCall:
    """The training kernel bound to one model and one corpus: ``call(start, end, ...)`` trains a range.

    Builds the kernels' arguments (:mod:`fastw2v.bundles`) once; only where
    the call stands in the schedule and its random streams change from call
    to call. Used by :meth:`Word2Vec.train` and by the workers of
    :mod:`fastw2v.distributed`, which train shards of a corpus the same way.

    Parameters
    ----------
    cfg : TrainConfig
    counts : ndarray of int64, shape (V,)
        Vocabulary counts: subsampling, the negative table and the Huffman tree.
    corpus : fastw2v.vocab.EncodedCorpus
    syn0 : ndarray of float32, shape (V, dim)
    syn1neg, syn1 : ndarray of float32, or None
        Negative sampling's output rows and hierarchical softmax's inner nodes
        (None for a layer that is off). All matrices are updated in place.
    alpha, min_alpha : float
        The run's schedule.
    total_words : float
        Corpus positions of the whole run, over which the rate falls.
    copy_rows : bool
        With two threads, each trains its own copy of the most frequent
        words' rows (:mod:`fastw2v.replicas`), merged after every call; a
        caller whose calls are long (a cluster round) turns it off.

    Attributes
    ----------
    syn0, syn1neg : ndarray of float32
        The model's rows the kernels train: the arrays given, or copies of
        them where the copied rows of several threads need room after the
        model's and the arrays given have none (:func:`fastw2v.replicas.extended`);
        the caller keeps these as its model.
    """

    def __init__(self, cfg, counts, corpus, syn0, syn1neg, syn1, alpha, min_alpha, total_words,
                 copy_rows=True):
        blocks = cfg.threads
        # a layer that is off gets a one-row stand-in: the kernels' types stay the same
        stand_in = np.zeros((1, cfg.dim), dtype=np.float32)
        table = UnigramTable(counts, cfg.ns_exponent)
        tree = _paths(counts, cfg.hs)
        self.threads = cfg.threads
        n_nodes = max(counts.shape[0] - 1, 1)
        hot = hot_nodes(cfg, counts.shape[0])
        vocab = counts.shape[0]
        rows = hot_rows(cfg, vocab) if copy_rows else 0
        # the model's rows, then each thread's copies of rows 0:rows (fastw2v.replicas);
        # the room the model was allocated with (Word2Vec._init_weights)
        spare = room(cfg, vocab) if copy_rows else 0
        whole0 = extended(syn0, spare)
        self.syn0 = _same_or_rows(syn0, whole0)
        whole1 = self.syn1neg = syn1neg
        if syn1neg is not None:
            whole1 = extended(syn1neg, spare)
            self.syn1neg = _same_or_rows(syn1neg, whole1)
        self.settings = Settings(model=cfg.model_code, window=cfg.window, negative=cfg.negative,
                                 hs=int(cfg.hs), hot_from=n_nodes - hot, hot_rows=rows,
                                 seed=_seed_bits(cfg.seed))
        self.weights = Weights(syn0=whole0, syn1=whole1 if whole1 is not None else stand_in,
                               nodes=syn1 if syn1 is not None else stand_in)
        self.corpus = Corpus(codes=corpus.codes, escapes=corpus.escapes, marks=corpus.marks,
                             sent_starts=corpus.sentence_starts,
                             keep_prob=keep_probabilities(counts, cfg.sample))
        self.tables = Tables(slots=table.slots, points=tree.points,
                             codes=tree.codes, code_len=tree.lengths)
        self.schedule = Schedule(alpha=alpha, min_alpha=min_alpha, words_before=0.0,
                                 total_words=float(total_words))
        self.scratch = Scratch(**{name: _per_thread(blocks, shape, dtype)
                                  for name, (shape, dtype)
                                  in _scratch_shapes(cfg, tree.points.shape[1], hot).items()})
        self.scratch.copies[:, 0] = vocab + rows * np.arange(blocks)
        # (the model's rows, the threads' copies, the merge rule): see fastw2v.replicas
        self.replicas = [(self.weights.nodes[self.settings.hot_from:], self.scratch.hot, "mean")]
        for whole in (whole0, whole1):
            if rows and whole is not None:
                copies = whole[vocab:vocab + blocks * rows].reshape(blocks, rows, cfg.dim)
                self.replicas.append((whole[:rows], copies, "sum"))
        #: Corpus positions per thread per call: copied rows are merged after
        #: every call, so with them the calls are short (fastw2v.replicas).
        self.span = call_span(cfg, tree, counts, MERGE_TOKENS if rows else BLOCK_TOKENS)
        self.out = Outputs(loss=np.zeros(blocks, dtype=np.float64),
                           examples=np.zeros(blocks, dtype=np.int64),
                           kept=np.zeros(blocks, dtype=np.int64))

    def __call__(self, start, end, words_before, first_stream, fresh=True):
        """Train corpus positions ``start:end``, one block per thread.

        ``words_before``: positions of the run trained before this call (the
        schedule); ``first_stream``: the first of the ``threads`` random
        streams this call takes. ``fresh``: the model's rows may have
        changed since the last call (or there was none), so the threads'
        copies are taken from them first; a caller that changed nothing in
        between passes False, since each merge leaves every copy equal to
        the model's rows. Returns (summed loss, examples, kept words).
        """
        streams = np.arange(first_stream, first_stream + self.threads, dtype=np.uint64)
        if fresh:
            for shared, copies, _ in self.replicas:
                copies[:] = shared  # every thread starts the call from the merged rows
        kernels.train_range(self.settings, self.weights, self.corpus, self.tables,
                            self.schedule._replace(words_before=float(words_before)),
                            start, end, streams, self.scratch, self.out)
        # each copy took its own thread's steps; with one thread the model
        # takes exactly that thread's copy; every copy is left equal to the model
        for shared, copies, rule in self.replicas:
            merge(shared, copies, rule)
        out = self.out
        return float(out.loss.sum()), int(out.examples.sum()), int(out.kept.sum())

    def finite(self):
        """True if no matrix holds an inf or NaN.

        The model's rows only: the threads' copies after them are stale
        between calls (and unset before the first).
        """
        matrices = (self.syn0, self.syn1neg, self.weights.nodes)
        return all(all_finite(m) for m in matrices if m is not None)


@dataclass
class TrainState:
    """Where training stands: saved with the model, so a stopped run resumes exactly.

    A *run* is one call of :meth:`Word2Vec.train`: ``run_epochs`` passes over
    one corpus while the learning rate falls linearly from ``start_alpha`` to
    ``end_alpha``. Training proceeds in kernel calls over consecutive ranges
    of the encoded corpus; between two calls, this state and the matrices
    are everything the rest of the run depends on.

    Attributes
    ----------
    epochs_trained : int
        Complete epochs over the model's life, all runs together.
    run_epochs : int
        Epochs of the current (or last) run; 0 before the first.
    epoch : int
        Complete epochs of the current run; the run is finished when it equals ``run_epochs``.
    position : int
        Kept tokens of the current epoch already trained (0 at an epoch boundary).
    start_alpha, end_alpha : float
        The current run's learning-rate schedule.
    streams : int
        Random streams used so far. Every thread's block of every kernel call
        seeds its generator from ``(seed, next stream)``, so a later run, or the
        rest of a resumed one, never replays an earlier block's draws.
    loss_sum : float
        Summed loss of the current epoch so far (float64).
    examples : int
        Examples behind ``loss_sum``.
    epoch_loss : list of float
        Mean loss per example of each complete epoch of the current run.
    corpus : dict or None
        The corpus the run trains on (:func:`corpus_fingerprint`).
    """

    epochs_trained: int = 0
    run_epochs: int = 0
    epoch: int = 0
    position: int = 0
    start_alpha: float = 0.0
    end_alpha: float = 0.0
    streams: int = 0
    loss_sum: float = 0.0
    examples: int = 0
    epoch_loss: list = field(default_factory=list)
    corpus: dict = None

    @property
    def unfinished(self):
        """True if the last run stopped before its last epoch ended."""
        return self.epoch < self.run_epochs

    @classmethod
    def from_dict(cls, data):
        """The state saved by :meth:`Word2Vec.save`; ValueError if fields are missing or wrong."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict) or set(data) != names:
            raise ValueError(f"training state fields {sorted(data) if isinstance(data, dict) else data!r}")
        state = cls(**data)
        # (each field checked for its type: a string or a huge number here, in a
        # directory edited by hand, became a traceback inside training)
        ints = ("epochs_trained", "run_epochs", "epoch", "position", "streams", "examples")
        if not all(_whole(getattr(state, k)) for k in ints):
            raise ValueError("training state counters must be integers from 0 to 2**62")
        if state.epoch > state.run_epochs:
            raise ValueError(f"training state epoch {state.epoch} > run_epochs {state.run_epochs}")
        numbers = [state.start_alpha, state.end_alpha, state.loss_sum]
        if not isinstance(state.epoch_loss, list) or not all(
                _finite(x) for x in numbers + state.epoch_loss) or min(numbers[:2]) < 0:
            raise ValueError("training state rates and losses must be finite numbers")
        corpus = state.corpus
        if corpus is not None:
            files = corpus.get("files") if isinstance(corpus, dict) else None
            if not (isinstance(corpus, dict)
                    and all(_whole(corpus.get(k)) for k in ("raw_tokens", "tokens", "sentences",
                                                            "crc32"))
                    and (files is None or isinstance(files, list)
                         and all(isinstance(f, str) for f in files))):
                raise ValueError(f"training state corpus {str(corpus)[:80]}")
            if state.position > corpus["tokens"]:
                raise ValueError(f"training state position {state.position} is beyond the "
                                 f"corpus's {corpus['tokens']} tokens")
        return state


def _whole(value):
    """True for an int (not a bool) from 0 to 2**62."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2 ** 62


def _finite(value):
    """True for a finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def corpus_fingerprint(corpus, files=None):
    """What identifies an encoded corpus: its sizes and a CRC of its codes.

    A resumed run re-reads its corpus and must find exactly this, or it would
    train on other tokens than the position and schedule it resumes describe.
    ``files``: the corpus files (absolute paths) to re-read it from, or None
    (in-memory sentences, standard input).
    """
    crc = zlib.crc32(memoryview(corpus.codes).cast("B"))
    crc = zlib.crc32(memoryview(corpus.escapes).cast("B"), crc)
    return {"files": files, "raw_tokens": int(corpus.raw_tokens), "tokens": len(corpus),
            "sentences": int(corpus.sentence_starts.size - 1), "crc32": crc}


def _corpus_files(source):
    """Absolute paths of a corpus file spec, or None where it cannot be re-read."""
    if not is_file_spec(source):
        return None
    paths = corpus_paths(source)
    if "-" in paths:
        return None
    return [os.path.abspath(p) for p in paths]


def _setting(name, get, doc):
    """A read-only attribute of :class:`Word2Vec` with gensim's name, ``get(config)``.

    Assigning it raises AttributeError saying where the setting goes: the
    settings are validated once, at construction (:class:`TrainConfig`).
    """
    def read(model):
        return get(model.config)

    def refuse(model, value):
        where = ("train(start_alpha=..., end_alpha=...) for one run"
                 if name in ("alpha", "min_alpha") else
                 "train(epochs=...) for one run" if name == "epochs" else
                 "Word2Vec.load(path, threads=...)" if name == "workers" else None)
        hint = f"; use {where}, or give it to Word2Vec(...)" if where else \
            "; give it to Word2Vec(...) when the model is made"
        raise AttributeError(f"{name} is a setting of the model and cannot be assigned{hint}")

    return property(read, refuse, doc=doc)


class Word2Vec:
    """Train word2vec (CBOW or skip-gram with negative sampling).

    Parameters
    ----------
    sentences : iterable of list of str, or a corpus file spec, optional
        The corpus. With a corpus the model is built and trained at once;
        without, call :meth:`build_vocab` and :meth:`train`. ``corpus_iterable``
        (gensim's name) is the same.
    corpus_file : str, os.PathLike, list of them, or a directory, optional
        UTF-8 text, one sentence a line (gzip, bzip2 and xz are unpacked on the
        fly; ``"-"`` is standard input; a directory's files are read in sorted order).
    progress : callable, optional
        Called with a :class:`TrainProgress` after every kernel call.
    callbacks : sequence, optional
        Callables ``f(model, epoch, loss)``, called after every epoch, or
        gensim ``CallbackAny2Vec`` objects (``on_train_begin``,
        ``on_epoch_begin``, ``on_epoch_end``, ``on_train_end``).
    compute_loss : bool
        gensim's flag. fastw2v always computes the loss (it costs nothing
        measurable); the flag is kept for :attr:`compute_loss`.
    **settings
        Any field of :class:`fastw2v.config.TrainConfig` (``model``, ``dim``,
        ``window``, ``negative``, ``sample``, ``min_count``, ``epochs``,
        ``threads``, ``alpha``, ``min_alpha``, ``seed``, ...), or gensim's
        name for it (``sg``, ``vector_size``, ``workers``, ...; see
        :func:`fastw2v.config.from_gensim` and the README's "Coming from gensim").

    Attributes
    ----------
    wv : fastw2v.KeyedVectors
        The word vectors (shares memory with the input matrix).
    syn1neg : ndarray of float32, shape (V, dim), or None
        The output vectors of negative sampling (None with ``negative=0``).
    syn1 : ndarray of float32, shape (V - 1, dim), or None
        The inner-node vectors of hierarchical softmax (None without ``hs``).
    vocab : fastw2v.vocab.Vocabulary
    corpus : fastw2v.vocab.EncodedCorpus
        The corpus the next :meth:`train` trains on.
    state : TrainState
        Where training stands (saved by :meth:`save`).
    timings : dict of str to float
        Seconds spent in each phase ("read", "train").
    result : TrainResult
        The last training call.
    metadata : dict
        Free JSON-serialisable notes saved and loaded with the model (the
        command line keeps its output path and format here for ``--resume``).

    Examples
    --------
    >>> model = Word2Vec(corpus_file="corpus.txt", model="skipgram", dim=100)  # doctest: +SKIP
    >>> model.wv.most_similar("king", topn=5)  # doctest: +SKIP
    """

    def __init__(self, sentences=None, corpus_file=None, progress=None, callbacks=(),
                 corpus_iterable=None, compute_loss=False, **settings):
        self.config = TrainConfig.from_kwargs(**settings)
        check_memory(self.config, 2)
        self.progress = progress
        self.callbacks = EpochCallbacks(callbacks).items
        self.compute_loss = bool(compute_loss)
        self.vocab = None
        self.corpus = None
        self.wv = None
        self.syn1neg = self.syn1 = None
        self.timings = {}
        self.result = None
        self.state = TrainState()
        self.metadata = {}
        self._source = None  # the object build_vocab last read, to know it in train()
        if _one_source(sentences=sentences, corpus_iterable=corpus_iterable,
                       corpus_file=corpus_file) is not None:
            self.build_vocab(sentences=sentences, corpus_iterable=corpus_iterable,
                             corpus_file=corpus_file)
            self.train()

    # ------------------------------------------------------------------ gensim's attributes

    # gensim's settings, read from the validated config; assigning one raises
    # (see _setting): gensim 3 scripts set model.alpha and model.min_alpha
    # before train(), which fastw2v would otherwise ignore in silence.
    epochs = _setting("epochs", lambda cfg: cfg.epochs,
                      "int: epochs of a :meth:`train` call that gives none.")
    vector_size = _setting("vector_size", lambda cfg: cfg.dim, "int: ``dim``.")
    layer1_size = _setting("layer1_size", lambda cfg: cfg.dim, "int: ``dim`` (gensim's old name).")
    window = _setting("window", lambda cfg: cfg.window, "int: the maximum window.")
    sg = _setting("sg", lambda cfg: int(cfg.model == "skipgram"), "1 for skip-gram, 0 for CBOW.")
    hs = _setting("hs", lambda cfg: int(cfg.hs), "1 with hierarchical softmax, else 0.")
    negative = _setting("negative", lambda cfg: cfg.negative, "int: negatives per example.")
    alpha = _setting("alpha", lambda cfg: cfg.start_alpha,
                     "float: the starting learning rate of a :meth:`train` call that gives none.")
    min_alpha = _setting("min_alpha", lambda cfg: cfg.end_alpha(),
                         "float: the final learning rate of a :meth:`train` call of "
                         ":attr:`epochs` that gives none.")
    min_count = _setting("min_count", lambda cfg: cfg.min_count, "int: the vocabulary cut-off.")
    max_final_vocab = _setting("max_final_vocab", lambda cfg: cfg.max_final_vocab,
                               "int or None: the vocabulary cap.")
    sample = _setting("sample", lambda cfg: cfg.sample, "float: the subsampling threshold.")
    ns_exponent = _setting("ns_exponent", lambda cfg: cfg.ns_exponent,
                           "float: the power of the counts negatives are drawn by.")
    workers = _setting("workers", lambda cfg: cfg.threads, "int: ``threads``.")
    seed = _setting("seed", lambda cfg: cfg.seed, "int: the run's seed.")
    cbow_mean = _setting("cbow_mean", lambda cfg: 1, "1: CBOW averages its context (always).")

    @property
    def corpus_count(self):
        """int: sentences of the corpus read last (gensim's ``total_examples``)."""
        return 0 if self.corpus is None else int(self.corpus.sentence_starts.size - 1)

    @property
    def corpus_total_words(self):
        """int: raw tokens of the corpus read last (gensim's ``total_words``)."""
        return 0 if self.corpus is None else int(self.corpus.raw_tokens)

    def get_latest_training_loss(self):
        """Mean loss per example of the latest complete epoch (0.0 before the first).

        Unlike gensim's, whose value is a running sum since the start of the
        ``train()`` call (so a per-epoch figure needs differences), this is
        already per epoch and per example: per centre word for CBOW, per
        (centre, context) pair for skip-gram, in float64.
        """
        return self.state.epoch_loss[-1] if self.state.epoch_loss else 0.0

    # ------------------------------------------------------------------ vocabulary

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress=None,
                    sentences=None, **gensim_only):
        """Read the corpus once: count, choose the vocabulary, encode to ids.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, or a corpus file spec, optional
            Sentences (read once: a generator works), or, as the first
            positional argument, a path. ``sentences`` is the same.
        corpus_file : str, os.PathLike, list of them, or a directory, optional
        update : bool
            Keep the vocabulary and every row, and add this corpus's words:
            old words keep their ids and add this corpus's counts; new words
            seen ``min_count`` times here are appended, their input rows drawn
            as a new model's would be and their output rows zero. Negative
            sampling and subsampling then follow the merged counts. Without
            ``update`` the vocabulary and the vectors start afresh.
        progress : callable, optional
            Called as ``progress(bytes_read, total_bytes, tokens)`` while reading files.
        **gensim_only
            gensim's ``progress_per``, ``keep_raw_vocab`` (no effect) and
            ``trim_rule`` (None only); see :func:`fastw2v.config.from_gensim`.
        """
        from_gensim(gensim_only)  # refuses what cannot be honoured
        unknown = set(gensim_only) - set(GENSIM_FIXED) - set(GENSIM_IGNORED)
        if unknown:
            raise TypeError(f"build_vocab() got unexpected argument(s) {', '.join(sorted(unknown))}")
        source = _one_source(sentences=sentences, corpus_iterable=corpus_iterable,
                             corpus_file=corpus_file)
        if source is None:
            raise ValueError("build_vocab needs a corpus: corpus_iterable, sentences or corpus_file")
        cfg = self.config
        t0 = time.perf_counter()
        if update:
            if self.vocab is None:
                raise RuntimeError("build_vocab(update=True) needs a vocabulary: build or load one first")
            self._check_wv_unedited("update the vocabulary")
            scanned = scan(source, progress, cfg.threads)
            old = len(self.vocab)
            self.vocab, added = vocab_update.grow(self.vocab, scanned, cfg.min_count,
                                                  cfg.max_final_vocab)
            self.corpus = vocab_update.encode_with(scanned, self.vocab)
            self._grow_weights(old)
            logger.info("vocabulary update: %d new words, %d in all", added, len(self.vocab))
        else:
            self.vocab, self.corpus = build_corpus(
                source, cfg.min_count, cfg.max_final_vocab, progress, threads=cfg.threads)
            self._init_weights()
            self.state = TrainState()
        warn_unsplit_spaces(self.vocab.index_to_key)
        self._source = source
        self._source_files = _corpus_files(source)
        self.timings["read"] = time.perf_counter() - t0
        logger.info(
            "vocabulary: %d words (min_count=%d), %d raw tokens, %d kept, %d sentences",
            len(self.vocab), cfg.min_count, self.corpus.raw_tokens,
            len(self.corpus), self.corpus.sentence_starts.size - 1,
        )
        return self

    def _check_wv_unedited(self, action):
        """ValueError unless :attr:`wv` still holds the vocabulary's keys, in its order, one row each.

        ``wv`` is a view of the model (gensim's ``model.wv``), and its
        editing methods work on it; but the vocabulary, the output rows,
        the encoded corpus and the room after the rows for the threads'
        copies (:mod:`fastw2v.replicas`) are indexed as the vocabulary is.
        Trained or saved after ``add_vector`` or ``sort_by_descending_frequency``,
        the model overwrote the added rows, wrote keys beside other words'
        vectors, or wrote past the end of ``syn0``.
        """
        wv = self.wv
        if (len(wv) != len(self.vocab) or wv.vectors.shape != (len(self.vocab), self.config.dim)
                or wv.index_to_key != self.vocab.index_to_key):
            raise ValueError(f"cannot {action}: model.wv was edited (keys added, removed or "
                             "reordered), so its rows no longer match the model's vocabulary and "
                             "output weights; edit a copy instead (KeyedVectors(model.wv.vectors."
                             "copy(), list(model.wv.index_to_key)))")

    def _init_weights(self):
        """Inputs uniform on [-1/dim, 1/dim), outputs zero.

        gensim 4's range, twice word2vec.c's ±0.5/dim: on PTB over nine seeds
        it raised CBOW's median analogy accuracy from 0.0367 to 0.0387
        (gensim 0.0420), with WordSim-353 unchanged.
        """
        from .keyedvectors import KeyedVectors

        n = len(self.vocab)
        check_memory(self.config, n)
        # room after the rows for the threads' copies (fastw2v.replicas.extended)
        spare = room(self.config, n)
        syn0 = with_room(_initial_rows(np.random.default_rng(self.config.seed), n, self.config.dim),
                         spare)
        self.syn1neg = self.syn1 = None
        if self.config.negative:
            self.syn1neg = with_room(np.zeros((n, self.config.dim), dtype=np.float32), spare)
        if self.config.hs:
            self.syn1 = np.zeros((n - 1, self.config.dim), dtype=np.float32)
        self.wv = KeyedVectors(syn0, self.vocab.index_to_key, counts=self.vocab.counts)

    def _grow_weights(self, old):
        """Rows for the words a vocabulary update appended after the first ``old``.

        Their input rows are drawn as a fresh model's (:meth:`_init_weights`),
        from a generator seeded by ``(seed, old)``: reproducible, and not a
        replay of the rows the first ``old`` words were given; their output
        rows start at zero. Hierarchical softmax gains as many inner nodes
        (zero) and its tree is rebuilt from the merged counts, so old nodes
        may sit at new places in it, as in gensim's update.
        """
        from .keyedvectors import KeyedVectors

        n, dim = len(self.vocab), self.config.dim
        check_memory(self.config, n)
        fresh = _initial_rows(np.random.default_rng([self.config.seed, old]), n - old, dim)
        spare = room(self.config, n)
        syn0 = with_room(np.concatenate([self.wv.vectors, fresh]), spare)
        zeros = np.zeros((n - old, dim), dtype=np.float32)
        if self.syn1neg is not None:
            self.syn1neg = with_room(np.concatenate([self.syn1neg, zeros]), spare)
        if self.syn1 is not None:
            self.syn1 = np.concatenate([self.syn1, zeros])
        self.wv = KeyedVectors(syn0, self.vocab.index_to_key, counts=self.vocab.counts)

    def _use_corpus(self, source, progress=None):
        """Make ``source`` the corpus to train on, encoded with the current vocabulary.

        The corpus :meth:`build_vocab` read last is not read again (a
        generator could not be); any other is read and encoded, its words
        outside the vocabulary dropped.
        """
        if source is self._source or (is_file_spec(source) and source == self._source):
            return
        t0 = time.perf_counter()
        self.corpus = vocab_update.encode_with(scan(source, progress, self.config.threads),
                                               self.vocab)
        self._source = source
        self._source_files = _corpus_files(source)
        self.timings["read"] = self.timings.get("read", 0.0) + time.perf_counter() - t0

    # ------------------------------------------------------------------ training

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, compute_loss=None, callbacks=None,
              progress=None, stop=None, resume=False, sentences=None, **gensim_only):
        """Train: one run of ``epochs`` passes with its own learning-rate schedule.

        Each call is a run: the rate falls linearly from ``start_alpha``
        (default: the ``alpha`` setting) to ``end_alpha`` (default:
        ``min_alpha`` if set, else ``start_alpha / (epochs + 1)``) over this
        call's epochs, from the current vectors. Random streams go on from
        where the previous run left them, so a second run never replays the
        first's draws.

        Parameters
        ----------
        corpus_iterable, sentences, corpus_file : optional
            The corpus to train on; default the one :meth:`build_vocab` read.
            Another corpus is read and encoded with the current vocabulary
            (its unknown words dropped; use ``build_vocab(..., update=True)``
            first to add them).
        total_examples, total_words : int, optional
            gensim's required hints; fastw2v counts the corpus itself, so they are
            only checked to be non-negative integers.
        epochs : int, optional
            Default: the ``epochs`` setting.
        start_alpha, end_alpha : float, optional
            This run's schedule (gensim's names).
        compute_loss : bool, optional
            Sets :attr:`compute_loss` (the loss is always computed).
        callbacks : sequence, optional
            Overrides the constructor's (same two forms).
        progress : callable, optional
            Overrides the constructor's ``progress`` callback.
        stop : callable, optional
            Polled between kernel calls; when it returns True training stops
            after the current call, the state records where, and
            ``train(resume=True)`` (after :meth:`save` and :meth:`load` if need
            be) goes on from there.
        resume : bool
            Finish the run that was stopped, exactly where it stopped: same
            schedule, same random streams, same corpus (re-read from its files
            when the model was loaded; it must be unchanged). With
            ``threads=1`` the result is byte-identical to a run never stopped.
        **gensim_only
            gensim's ``word_count`` (0 only), ``queue_factor`` and
            ``report_delay`` (no effect).

        Returns
        -------
        TrainResult
        """
        from_gensim(gensim_only)
        unknown = set(gensim_only) - set(GENSIM_FIXED) - set(GENSIM_IGNORED)
        if unknown:
            raise TypeError(f"train() got unexpected argument(s) {', '.join(sorted(unknown))}")
        for name, value in (("total_examples", total_examples), ("total_words", total_words)):
            if value is not None:
                _check_int(name, value, 0)
        if compute_loss is not None:
            self.compute_loss = bool(compute_loss)
        if self.vocab is None:
            raise RuntimeError("call build_vocab before train")
        self._check_wv_unedited("train")
        if not self.wv.vectors.flags.writeable:
            raise RuntimeError("this model was loaded with mmap='r' (read-only) and cannot be "
                               "trained; load it with mmap=None or mmap='c'")
        source = _one_source(sentences=sentences, corpus_iterable=corpus_iterable,
                             corpus_file=corpus_file)
        if resume:
            if epochs is not None or start_alpha is not None or end_alpha is not None:
                raise ValueError("resume=True finishes the stopped run on its own schedule; "
                                 "epochs, start_alpha and end_alpha cannot be given with it")
            self._resume_corpus(source)
        else:
            if source is not None:
                self._use_corpus(source)
            if self.corpus is None:
                raise RuntimeError("call build_vocab before train, or give train a corpus")
            self._start_run(epochs, start_alpha, end_alpha)
        callbacks = self.callbacks if callbacks is None else EpochCallbacks(callbacks).items
        return self._run(self.progress if progress is None else progress, EpochCallbacks(callbacks), stop)

    def _start_run(self, epochs, start_alpha, end_alpha):
        """Set the state for a new run of ``epochs`` on :attr:`corpus` (validating the schedule)."""
        cfg = self.config
        epochs = cfg.epochs if epochs is None else epochs
        _check_int("epochs", epochs, 1)
        start = cfg.start_alpha if start_alpha is None else start_alpha
        _check_float("start_alpha", start, 0.0, strict=True)
        given_end = end_alpha
        if end_alpha is None:
            end_alpha = cfg.end_alpha(epochs) if start_alpha is None or cfg.min_alpha is not None \
                else default_end_alpha(start, epochs, cfg.negative > 0)
        _check_float("end_alpha", end_alpha, 0.0)
        if end_alpha > start:
            came = "end_alpha" if given_end is not None else "min_alpha (this model's setting)"
            raise ConfigError(f"{came} ({end_alpha}) must not exceed start_alpha ({start}); "
                              "give train() an end_alpha below it", "end_alpha")
        if self.state.run_epochs:
            logger.warning("train() called again: the learning rate restarts at %g and falls to "
                           "%g over these %d epochs, from the current vectors (start_alpha and "
                           "end_alpha choose them)", start, end_alpha, epochs)
        st = self.state
        st.run_epochs, st.epoch, st.position = int(epochs), 0, 0
        st.start_alpha, st.end_alpha = float(start), float(end_alpha)
        st.loss_sum, st.examples, st.epoch_loss = 0.0, 0, []
        st.corpus = corpus_fingerprint(self.corpus, self._source_files)

    def _resume_corpus(self, source):
        """Make :attr:`corpus` the stopped run's corpus, re-read if need be, and check it."""
        st = self.state
        if not st.unfinished:
            raise RuntimeError("there is no stopped run to resume: the last run finished "
                               f"({st.epoch} of {st.run_epochs} epochs)" if st.run_epochs else
                               "there is no stopped run to resume: this model was never trained")
        saved = st.corpus
        recorded = False
        if source is None and (self.corpus is None or corpus_fingerprint(self.corpus) != {**saved, "files": None}):
            if not saved.get("files"):
                raise CorpusError("the stopped run read standard input or in-memory sentences; "
                                  "give its corpus again to resume")
            source, recorded = saved["files"], True
        if source is not None:
            try:
                scanned = scan(source, None, self.config.threads)
            except CorpusError as exc:
                if not recorded:
                    raise
                raise CorpusError(f"{exc} (the stopped run's corpus is not where it was read; "
                                  "if it moved, give it again to resume)") from None
            self.corpus = vocab_update.encode_with(scanned, self.vocab)
            self._source = source
            self._source_files = _corpus_files(source)
        now = corpus_fingerprint(self.corpus)
        if {**now, "files": None} != {**saved, "files": None}:
            raise CorpusError(
                f"the corpus differs from the one the stopped run trained on "
                f"({saved['raw_tokens']} tokens in {saved['sentences']} sentences then, "
                f"{now['raw_tokens']} in {now['sentences']} now, or other words); "
                "resume with the same corpus")

    def _run(self, progress, callbacks, stop):
        """Train from :attr:`state` to the end of its run, or until ``stop()``."""
        cfg, st = self.config, self.state
        syn0 = self.wv.vectors
        n = len(self.corpus)
        raw_ratio = self.corpus.raw_tokens / max(n, 1)
        total = float(st.run_epochs * n)
        alpha, min_alpha = st.start_alpha, st.end_alpha
        kernel = KernelCall(cfg, self.vocab.counts, self.corpus, syn0, self.syn1neg, self.syn1,
                            alpha, min_alpha, total)
        # the same arrays, unless they had to move to make room for the threads' copies
        syn0, self.syn1neg = kernel.syn0, kernel.syn1neg
        self.wv.vectors = syn0
        per_call = cfg.threads * kernel.span
        result = TrainResult()
        t0 = time.perf_counter()
        before = done = st.epoch * n + st.position
        stopped = False
        callbacks.hook("on_train_begin", self)
        try:
            with numba_threads(cfg.threads):
                while st.epoch < st.run_epochs:
                    if st.position == 0:
                        callbacks.hook("on_epoch_begin", self)
                    # the callbacks may have changed the model: the first call of an
                    # epoch (or of a resumed one) takes the copied rows from it again
                    fresh = True
                    while st.position < n:
                        if stop is not None and stop():
                            stopped = True
                            break
                        start, end = st.position, min(n, st.position + per_call)
                        loss, examples, kept = kernel(start, end, done, st.streams, fresh)
                        fresh = False
                        st.streams += cfg.threads
                        st.position = end
                        done += end - start
                        if not np.isfinite(loss):
                            raise self._diverged(st.epoch)
                        st.loss_sum += loss
                        st.examples += examples
                        result.examples += examples
                        result.trained_words += kept
                        if progress is not None:
                            elapsed = time.perf_counter() - t0
                            progress(TrainProgress(
                                st.epoch + 1, st.run_epochs, done / total,
                                (done - before) * raw_ratio / max(elapsed, 1e-9),
                                learning_rate(alpha, min_alpha, done / total),
                                st.loss_sum / max(st.examples, 1), elapsed,
                            ))
                    if stopped:
                        break
                    epoch_loss = st.loss_sum / max(st.examples, 1)
                    st.epoch_loss.append(epoch_loss)
                    st.epoch += 1
                    st.epochs_trained += 1
                    st.position, st.loss_sum, st.examples = 0, 0.0, 0
                    self.wv.vectors = syn0  # the vectors changed in place: drop cached norms
                    logger.info("epoch %d/%d: loss %.4f", st.epoch, st.run_epochs, epoch_loss)
                    callbacks.epoch_end(self, st.epoch, epoch_loss)
        finally:
            # however the loop ends (a stop, an exception in a callback or in
            # progress, Ctrl-C), the vectors changed in place: drop cached norms
            self.wv.vectors = syn0
        if not kernel.finite():
            raise self._diverged(st.epoch)
        result.epoch_loss = list(st.epoch_loss)
        result.seconds = time.perf_counter() - t0
        result.raw_words = int(round((done - before) * raw_ratio))
        result.words_per_sec = result.raw_words / max(result.seconds, 1e-9)
        result.stopped = stopped
        if not stopped and result.examples == 0 and done > before:
            logger.warning("nothing was trained: no sentence holds two words of the vocabulary "
                           "(one word a line? words of other sentences only?), so the vectors "
                           "are still their random start")
        self.timings["train"] = self.timings.get("train", 0.0) + result.seconds
        self.result = result
        if not stopped:
            callbacks.hook("on_train_end", self)
        logger.info("trained %d raw words in %.1f s (%.0f words/s)",
                    result.raw_words, result.seconds, result.words_per_sec)
        return result

    def _diverged(self, epoch):
        return TrainingDiverged(
            f"training diverged in epoch {epoch + 1} (the loss became inf or NaN): "
            f"the learning rate alpha={self.state.start_alpha:g} is too large")

    # ------------------------------------------------------------------ persistence

    def save(self, path):
        """Save the whole model to directory ``path``: vectors, vocabulary, settings, state.

        The format is :mod:`fastw2v.persist`'s (NumPy arrays and JSON, no
        pickle), written atomically: an interrupted save leaves the previous
        model at ``path`` intact. :meth:`load` restores everything needed to
        query, to continue training, or to resume a stopped run.
        """
        if self.vocab is None:
            raise RuntimeError("nothing to save: build the vocabulary first")
        self._check_wv_unedited("save the model")
        for name, matrix in (("the vectors", self.wv.vectors), ("syn1neg", self.syn1neg),
                             ("syn1", self.syn1)):
            # a diverged run (TrainingDiverged) leaves them so; saved, they would replace
            # a good model with one that load() refuses as damaged
            if matrix is not None and not all_finite(matrix):
                raise ValueError(f"{name} hold inf or NaN (training diverged): not saved, "
                                 f"{os.fspath(path)} is left as it was")
        meta = {"config": dataclasses.asdict(self.config),
                "state": dataclasses.asdict(self.state),
                "compute_loss": self.compute_loss, "metadata": self.metadata}
        outputs = {name: matrix for name, matrix in (("syn1neg", self.syn1neg), ("syn1", self.syn1))
                   if matrix is not None}
        persist.save_model(path, self.vocab.index_to_key, self.wv.vectors, outputs,
                           self.vocab.counts, meta)

    @classmethod
    def load(cls, path, mmap=None, **overrides):
        """Load a model saved by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
        mmap : {None, 'r', 'c'}
            None reads the matrices into memory; ``'r'`` maps them read-only
            (queries only); ``'c'`` maps them copy-on-write.
        **overrides
            Settings that may differ from the saved ones without changing the
            model: ``threads`` (``workers``) and the ``epochs`` default.

        Raises
        ------
        fastw2v.persist.ModelFormatError
            Not a model directory, or a damaged one.
        """
        from .keyedvectors import KeyedVectors
        from .vocab import Vocabulary

        meta, keys, syn0, outputs, counts = persist.load_model(path, mmap=mmap)
        overrides = from_gensim(overrides)
        bad = set(overrides) - {"threads", "epochs"}
        if bad:
            raise ConfigError(f"only threads and epochs may be changed when loading, not "
                              f"{', '.join(sorted(bad))}")
        try:
            settings = dict(meta["config"])
            if settings.get("threads") is None:
                settings.pop("threads", None)
            config = TrainConfig(**settings)
            state = TrainState.from_dict(meta["state"])
        except (KeyError, TypeError, ValueError) as exc:
            raise persist.ModelFormatError(f"{os.fspath(path)}: damaged model settings or "
                                           f"state ({exc})") from None
        if overrides.get("threads", 0) is None:
            del overrides["threads"]  # (None: the saved number)
        if overrides:  # a bad one is the caller's ConfigError, not the model's damage
            config = TrainConfig(**{**dataclasses.asdict(config), **overrides})
        if config.dim != syn0.shape[1]:
            raise persist.ModelFormatError(f"{os.fspath(path)}: damaged model: dim {config.dim} "
                                           f"but vectors of {syn0.shape[1]}")
        model = cls.__new__(cls)
        model.config, model.state = config, state
        model.progress, model.callbacks = None, []
        model.compute_loss = bool(meta.get("compute_loss", False))
        model.metadata = meta.get("metadata") if isinstance(meta.get("metadata"), dict) else {}
        model.vocab = Vocabulary(list(keys), counts)
        model.wv = KeyedVectors(syn0, model.vocab.index_to_key, counts=counts)
        model.syn1neg, model.syn1 = outputs.get("syn1neg"), outputs.get("syn1")
        if (model.syn1neg is not None) != (config.negative > 0) or (model.syn1 is not None) != config.hs:
            raise persist.ModelFormatError(f"{os.fspath(path)}: damaged model: its output "
                                           f"matrices {sorted(outputs)} do not match negative="
                                           f"{config.negative}, hs={config.hs}")
        model.corpus, model._source = None, None
        model._source_files = (state.corpus or {}).get("files")
        model.timings, model.result = {}, None
        return model


def call_span(cfg, tree, counts, longest):
    """Corpus positions per thread per kernel call: ``longest``, or fewer where words cost more.

    A centre word costs, in multiply-adds (counted as if every word were
    kept: subsampling only makes a call shorter), ``3 dim`` per output row
    (its score, then ``grad += g row`` and ``row += g h``), over the target
    and ``negative`` sampled words and, with hierarchical softmax, the inner
    nodes of a path (``tree``'s lengths, weighted by ``counts``); negative
    sampling also compares each negative with those drawn before it
    (``negative**2 / 2``, the repeated draws of :func:`fastw2v.kernels.ns_update`,
    which outweigh the rows from a few hundred negatives on). The reduced
    window has ``window + 1`` context words on average: skip-gram does that
    many steps; CBOW one, after summing the context rows, and adds ``grad``
    back to them (``2 dim`` each). The call is cut to :data:`CALL_WORK`.
    """
    rows = cfg.negative + 1 if cfg.negative else 0
    if cfg.hs:
        rows += float(np.dot(counts, tree.lengths)) / max(float(counts.sum()), 1.0)
    step = 3 * cfg.dim * rows + cfg.negative ** 2 / 2
    context = cfg.window + 1
    word = 2 * cfg.dim * context + step if cfg.model_code == CBOW else context * step
    return int(max(1, min(longest, CALL_WORK // max(word, 1))))


def _paths(counts, hs):
    """The Huffman paths of hierarchical softmax, or one-element stand-ins without it."""
    if hs:
        return build_tree(counts)
    return HuffmanTree(points=np.zeros((1, 1), np.int32), codes=np.zeros((1, 1), np.uint8),
                       lengths=np.zeros(1, np.int32))


def _initial_rows(rng, n, dim):
    """``n`` input rows uniform on [-1/dim, 1/dim), float32 (see :meth:`Word2Vec._init_weights`)."""
    rows = rng.random((n, dim), dtype=np.float32)
    rows -= np.float32(0.5)
    rows *= np.float32(2.0 / dim)
    return rows


def _one_source(sentences=None, corpus_iterable=None, corpus_file=None):
    """The one corpus given under any of its names, or None; ValueError if several."""
    given = [s for s in (sentences, corpus_iterable, corpus_file) if s is not None]
    if len(given) > 1:
        raise ValueError("give one corpus: sentences (corpus_iterable) or corpus_file, not both")
    if corpus_file is not None and not is_file_spec(corpus_file):
        raise TypeError(f"corpus_file must be a path or a list of paths, not {type(corpus_file).__name__}")
    iterable = sentences if sentences is not None else corpus_iterable
    # a single path is taken as a file for convenience, but a list of str as
    # sentences would be whole lines, not token lists: gensim would train on
    # their characters; say so instead of guessing
    if isinstance(iterable, (list, tuple)) and is_file_spec(iterable):
        raise TypeError("sentences must be lists of str tokens, not str (split each line, "
                        "or pass file names as corpus_file=[...])")
    return given[0] if given else None


def scan(source, progress, threads):
    """Read a corpus (file spec or sentences) into a :class:`~fastw2v.corpus.ScannedCorpus`."""
    if is_file_spec(source):
        return scan_corpus(source, progress=progress, threads=threads)
    return scan_sentences(source)
