"""The training driver: :class:`Word2Vec` owns the state and calls the kernels."""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numba
import numpy as np

from . import kernels
from .bundles import Corpus, Outputs, Schedule, Scratch, Settings, Tables, Weights
from .config import ConfigError, TrainConfig, _check_int
from .sampling import UnigramTable, keep_probabilities, learning_rate
from .vocab import build_corpus

logger = logging.getLogger("fastw2v")

#: Raw tokens per thread per kernel call. Between calls the driver reports
#: progress and can stop cleanly; 2**18 tokens take about 0.1-1 s a thread,
#: so reports are frequent while the call overhead (tens of microseconds)
#: stays far below 1%.
BLOCK_TOKENS = 1 << 18

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
#: Scratch rows are padded to a multiple of 32 float32 (128 bytes) and each
#: thread's part starts on such a boundary (:func:`_per_thread`), so that two
#: threads never write the same pair of lines.
_PAD = CACHE_LINE // 4


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
    seconds : float
    words_per_sec : float
        ``raw_words / seconds``.
    """

    epoch_loss: list = field(default_factory=list)
    raw_words: int = 0
    trained_words: int = 0
    seconds: float = 0.0
    words_per_sec: float = 0.0
    stopped: bool = False


def _padded(n):
    """``n`` rounded up to a whole number of :data:`CACHE_LINE` blocks of float32."""
    return -(-n // _PAD) * _PAD


def _per_thread(blocks, shape, dtype):
    """Scratch of shape ``(blocks, *shape)`` whose parts each start a :data:`CACHE_LINE` boundary.

    NumPy aligns small arrays to 16 bytes only, so rows padded to whole lines
    still straddle them, and two threads writing their own rows would share
    a line at the seam (false sharing: every write sends the line across the
    cores). ``shape`` must fill whole ``CACHE_LINE`` blocks; the buffer is
    over-allocated by one block and cut at the first boundary.
    """
    dtype = np.dtype(dtype)
    part = int(np.prod(shape)) * dtype.itemsize
    if part % CACHE_LINE:
        raise ValueError(f"scratch of shape {shape} does not fill whole cache lines")
    raw = np.zeros(blocks * part + CACHE_LINE, dtype=np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start: start + blocks * part].view(dtype).reshape((blocks, *shape))


def _scratch_shapes(cfg):
    """Shape and dtype of one thread's part of each field of :class:`fastw2v.bundles.Scratch`."""
    # rows of negatives: 2 * window, rounded up to a multiple of
    # CACHE_LINE / 8 so that a thread's part (2 x rows x negative int32, a
    # multiple of CACHE_LINE bytes whatever ``negative``) fills whole lines
    rows_step = CACHE_LINE // 8
    neg_rows = -(-2 * cfg.window // rows_step) * rows_step
    return {
        "buf": ((_padded(max(BUFFER_WORDS, 4 * cfg.window + 4)),), np.int32),
        "negs": ((2, neg_rows, cfg.negative), np.int32),
        "hidden": ((_padded(cfg.dim),), np.float32),
        "grad": ((_padded(cfg.dim),), np.float32),
        "scores": ((_padded(cfg.negative + 1),), np.float32),
    }


def training_bytes(cfg, vocab_size):
    """Bytes that training allocates: both matrices and every thread's scratch."""
    shapes = _scratch_shapes(cfg).values()
    scratch = sum(int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
                  for shape, dtype in shapes)
    # _per_thread over-allocates each scratch array (not each thread) by one block
    return 2 * vocab_size * cfg.dim * 4 + cfg.threads * scratch + len(shapes) * CACHE_LINE


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


class Word2Vec:
    """Train word2vec (CBOW or skip-gram with negative sampling).

    Parameters
    ----------
    sentences : iterable of list of str, optional
        An in-memory corpus, one token list a sentence.
    corpus_file : str or os.PathLike, optional
        A UTF-8 text file, one sentence a line (gzip is unpacked on the fly).
        With either corpus the model is built and trained at once; with
        neither, call :meth:`build_vocab` and :meth:`train`.
    progress : callable, optional
        Called with a :class:`TrainProgress` after every kernel call.
    callbacks : sequence of callable, optional
        Each is called as ``callback(model, epoch, loss)`` after every epoch.
    **settings
        Any field of :class:`fastw2v.config.TrainConfig` (``model``, ``dim``,
        ``window``, ``negative``, ``sample``, ``min_count``, ``epochs``,
        ``threads``, ``alpha``, ``min_alpha``, ``seed``, ...); gensim's
        ``vector_size`` and ``workers`` are accepted for ``dim`` and ``threads``.

    Attributes
    ----------
    wv : fastw2v.KeyedVectors
        The trained word vectors (shares memory with the input matrix).
    syn1neg : ndarray of float32, shape (V, dim)
        The output vectors.
    vocab : fastw2v.vocab.Vocabulary
    corpus : fastw2v.vocab.EncodedCorpus
    timings : dict of str to float
        Seconds spent in each phase ("read", "train").
    result : TrainResult
        The last training run.

    Examples
    --------
    >>> model = Word2Vec(corpus_file="corpus.txt", model="skipgram", dim=100)  # doctest: +SKIP
    >>> model.wv.most_similar("king", topn=5)  # doctest: +SKIP
    """

    def __init__(self, sentences=None, corpus_file=None, progress=None, callbacks=(), **settings):
        self.config = TrainConfig.from_kwargs(**settings)
        check_memory(self.config, 2)
        self.progress = progress
        self.callbacks = list(callbacks)
        self.vocab = None
        self.corpus = None
        self.wv = None
        self.syn1neg = None
        self.timings = {}
        self.result = None
        if sentences is not None and corpus_file is not None:
            raise ValueError("give either sentences or corpus_file, not both")
        source = corpus_file if corpus_file is not None else sentences
        if source is not None:
            self.build_vocab(source)
            self.train()

    def build_vocab(self, corpus_file=None, sentences=None, progress=None):
        """Read the corpus once: count, choose the vocabulary, encode to ids.

        Parameters
        ----------
        corpus_file : str or os.PathLike, optional
        sentences : iterable of list of str, optional
        progress : callable, optional
            Called as ``progress(bytes_read, total_bytes, tokens)`` while reading a file.
        """
        source = corpus_file if corpus_file is not None else sentences
        if source is None:
            raise ValueError("build_vocab needs corpus_file or sentences")
        t0 = time.perf_counter()
        self.vocab, self.corpus = build_corpus(
            source, self.config.min_count, self.config.max_vocab_size, progress,
            threads=self.config.threads,
        )
        self.timings["read"] = time.perf_counter() - t0
        self._init_weights()
        logger.info(
            "vocabulary: %d words (min_count=%d), %d raw tokens, %d kept, %d sentences",
            len(self.vocab), self.config.min_count, self.corpus.raw_tokens,
            len(self.corpus), self.corpus.sentence_starts.size - 1,
        )
        return self

    def _init_weights(self):
        """Inputs uniform on [-1/dim, 1/dim), outputs zero.

        gensim 4's range, twice word2vec.c's ±0.5/dim: on PTB over nine seeds
        it raised CBOW's median analogy accuracy from 0.0367 to 0.0387
        (gensim 0.0420), with WordSim-353 unchanged.
        """
        from .keyedvectors import KeyedVectors

        n, dim = len(self.vocab), self.config.dim
        check_memory(self.config, n)
        rng = np.random.default_rng(self.config.seed)
        syn0 = rng.random((n, dim), dtype=np.float32)
        syn0 -= np.float32(0.5)
        syn0 *= np.float32(2.0 / dim)
        self.syn1neg = np.zeros((n, dim), dtype=np.float32)
        self.wv = KeyedVectors(syn0, self.vocab.index_to_key, counts=self.vocab.counts)

    def train(self, epochs=None, progress=None, callbacks=None, stop=None):
        """Train for ``epochs`` passes (default: the configured number).

        Each call is one complete run of the learning-rate schedule: the rate
        falls linearly from ``alpha`` to ``min_alpha`` over this call's epochs
        (by default to ``alpha / (epochs + 1)`` of this call's ``epochs``).
        A second call therefore goes on from the current vectors with the rate
        back at ``alpha`` (as word2vec.c restarted on its own output would),
        not where the first call left it; it logs a warning saying so.

        Parameters
        ----------
        epochs : int, optional
            A positive integer.
        progress : callable, optional
            Overrides the constructor's ``progress`` callback.
        callbacks : sequence of callable, optional
            Overrides the constructor's epoch callbacks.
        stop : callable, optional
            Polled between kernel calls; when it returns True training stops
            early and the result covers what was trained (``TrainResult.seconds``
            and the losses so far).

        Returns
        -------
        TrainResult
        """
        if self.corpus is None:
            raise RuntimeError("call build_vocab before train")
        cfg = self.config
        if epochs is None:
            epochs = cfg.epochs
        _check_int("epochs", epochs, 1)
        if self.result is not None:
            logger.warning("train() called again: the learning rate restarts at %g and falls to "
                           "%g over these %d epochs, from the current vectors",
                           cfg.start_alpha, cfg.end_alpha(epochs), epochs)
        progress = self.progress if progress is None else progress
        callbacks = self.callbacks if callbacks is None else list(callbacks)
        syn0, syn1 = self.wv.vectors, self.syn1neg
        n = len(self.corpus)
        raw_ratio = self.corpus.raw_tokens / max(n, 1)
        total = float(epochs * n)
        blocks = cfg.threads
        per_call = blocks * BLOCK_TOKENS
        calls = max(1, -(-n // per_call))
        alpha, min_alpha = cfg.start_alpha, cfg.end_alpha(epochs)
        # the kernels' arguments (fastw2v.bundles), built once; only the
        # schedule's words_before changes from call to call
        table = UnigramTable(self.vocab.counts, cfg.ns_exponent)
        settings = Settings(window=cfg.window, seed=_seed_bits(cfg.seed))
        weights = Weights(syn0=syn0, syn1=syn1)
        corpus = Corpus(codes=self.corpus.codes, escapes=self.corpus.escapes,
                        marks=self.corpus.marks, sent_starts=self.corpus.sentence_starts,
                        keep_prob=keep_probabilities(self.vocab.counts, cfg.sample))
        tables = Tables(threshold=table.threshold, alias=table.alias)
        schedule = Schedule(alpha=alpha, min_alpha=min_alpha, words_before=0.0, total_words=total)
        scratch = Scratch(**{name: _per_thread(blocks, shape, dtype)
                             for name, (shape, dtype) in _scratch_shapes(cfg).items()})
        out = Outputs(loss=np.zeros(blocks, dtype=np.float64),
                      examples=np.zeros(blocks, dtype=np.int64),
                      kept=np.zeros(blocks, dtype=np.int64))
        result = TrainResult()
        t0 = time.perf_counter()
        done = 0
        stopped = False
        with numba_threads(cfg.threads):
            for epoch in range(epochs):
                loss_sum, examples = 0.0, 0
                for call in range(calls):
                    if stop is not None and stop():
                        stopped = True
                        break
                    start = call * per_call
                    end = min(n, start + per_call)
                    first = (epoch * calls + call) * blocks
                    streams = np.arange(first, first + blocks, dtype=np.uint64)
                    kernels.train_range(
                        cfg.model_code, settings, weights, corpus, tables,
                        schedule._replace(words_before=float(done)), start, end, streams,
                        scratch, out,
                    )
                    done += end - start
                    if not np.isfinite(out.loss.sum()):
                        raise self._diverged(epoch)
                    loss_sum += out.loss.sum()
                    examples += int(out.examples.sum())
                    result.trained_words += int(out.kept.sum())
                    if progress is not None:
                        elapsed = time.perf_counter() - t0
                        progress(TrainProgress(
                            epoch + 1, epochs, done / total, done * raw_ratio / max(elapsed, 1e-9),
                            learning_rate(alpha, min_alpha, done / total),
                            loss_sum / max(examples, 1), elapsed,
                        ))
                if stopped:
                    break
                epoch_loss = loss_sum / max(examples, 1)
                result.epoch_loss.append(epoch_loss)
                logger.info("epoch %d/%d: loss %.4f", epoch + 1, epochs, epoch_loss)
                for callback in callbacks:
                    callback(self, epoch + 1, epoch_loss)
        # float64 sums propagate any inf or NaN without a temporary the matrices' size
        if not np.isfinite(syn0.sum(dtype=np.float64) + syn1.sum(dtype=np.float64)):
            raise self._diverged(epoch)
        result.seconds = time.perf_counter() - t0
        result.raw_words = int(round(done * raw_ratio))
        result.words_per_sec = result.raw_words / max(result.seconds, 1e-9)
        result.stopped = stopped
        self.timings["train"] = self.timings.get("train", 0.0) + result.seconds
        self.result = result
        logger.info("trained %d raw words in %.1f s (%.0f words/s)",
                    result.raw_words, result.seconds, result.words_per_sec)
        return result

    def _diverged(self, epoch):
        return TrainingDiverged(
            f"training diverged in epoch {epoch + 1} (the loss became inf or NaN): "
            f"the learning rate alpha={self.config.start_alpha:g} is too large")
