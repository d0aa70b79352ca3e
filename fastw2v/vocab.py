"""Vocabulary: which words are kept, their ids and counts, and the encoded corpus.

Ids follow descending count; ties keep the order of first appearance in the
corpus (a stable sort), which is deterministic and is the order gensim uses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .corpus import CorpusError, remap_and_compact, scan_corpus, scan_sentences


@dataclass
class Vocabulary:
    """Kept words and their counts.

    Attributes
    ----------
    index_to_key : list of str
        Words by id, most frequent first.
    counts : ndarray of int64, shape (V,)
    key_to_index : dict of str to int
    """

    index_to_key: list
    counts: np.ndarray

    @functools.cached_property
    def key_to_index(self):
        # built on first use only: training needs ids, not this dict, and the
        # trained KeyedVectors holds its own
        return {w: i for i, w in enumerate(self.index_to_key)}

    def __len__(self):
        return len(self.index_to_key)


@dataclass
class EncodedCorpus:
    """A corpus as ids of a :class:`Vocabulary`.

    Attributes
    ----------
    ids : ndarray of int32, shape (N,)
        Kept tokens in corpus order (words outside the vocabulary dropped,
        as word2vec.c and gensim do).
    sentence_starts : ndarray of int64, shape (S + 1,)
        Offsets of the sentences in ``ids``; ``sentence_starts[-1] == N``.
    raw_tokens : int
        Tokens in the file before dropping rare words.
    """

    ids: np.ndarray
    sentence_starts: np.ndarray
    raw_tokens: int

    def __len__(self):
        return int(self.ids.shape[0])


def select_vocabulary(words, counts, min_count=5, max_vocab_size=None):
    """Choose the kept words from provisional words and counts.

    Parameters
    ----------
    words : list of str, or callable
        Distinct tokens in order of first appearance, or a function mapping
        an array of their indices to a list of them (so that only the kept
        words are ever decoded).
    counts : ndarray of int64, shape (len(words),)
    min_count : int
        Words seen fewer times are dropped.
    max_vocab_size : int, optional
        Keep at most this many of the most frequent words (gensim calls this
        cap ``max_final_vocab``; its ``max_vocab_size`` bounds memory while
        counting, which our counting pass does not need).

    Returns
    -------
    (Vocabulary, ndarray of int32)
        The vocabulary, and for each provisional id its final id or -1.
    """
    counts = np.asarray(counts, dtype=np.int64)
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_count]
    if max_vocab_size is not None:
        order = order[:max_vocab_size]
    remap = np.full(counts.shape[0], -1, dtype=np.int32)
    remap[order] = np.arange(order.size, dtype=np.int32)
    kept = words(order) if callable(words) else [words[i] for i in order]
    vocab = Vocabulary(list(kept), counts[order])
    return vocab, remap


def build_corpus(source, min_count=5, max_vocab_size=None, progress=None, threads=1):
    """Read a corpus once and return its vocabulary and encoded corpus.

    Parameters
    ----------
    source : str, os.PathLike, or iterable of list of str
        A corpus file (one sentence a line), or sentences already tokenised.
    min_count, max_vocab_size
        See :func:`select_vocabulary`.
    progress : callable, optional
        Passed to :func:`fastw2v.corpus.scan_corpus` for a file.
    threads : int
        Threads that tokenise a large plain file in parallel.

    Raises
    ------
    CorpusError
        If the file is unreadable, empty, or no word reaches ``min_count``.
    """
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        scanned = scan_corpus(source, progress=progress, threads=threads)
        path = source
    else:
        scanned = scan_sentences(source)
        path = "corpus"
    vocab, remap = select_vocabulary(scanned.words_at, scanned.counts, min_count, max_vocab_size)
    if len(vocab) == 0:
        top = int(scanned.counts.max())
        raise CorpusError(
            f"{path}: no word occurs at least min_count={min_count} times "
            f"(the most frequent occurs {top} times); lower --min-count"
        )
    raw = scanned.n_tokens
    kept, starts = remap_and_compact(scanned.ids, remap, scanned.sentence_lengths)
    return vocab, EncodedCorpus(scanned.ids[:kept], starts, raw)
