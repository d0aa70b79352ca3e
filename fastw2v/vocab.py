"""Vocabulary: which words are kept, their ids and counts, and the encoded corpus.

Ids follow descending count; ties keep the order of first appearance in the
corpus (a stable sort), which is deterministic and is the order gensim uses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import encoding
from .corpus import CorpusError, scan_corpus, scan_sentences
from .sources import corpus_name, is_file_spec


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
    """A corpus as ids of a :class:`Vocabulary`, two bytes a token.

    Words outside the vocabulary are dropped, as word2vec.c and gensim do.
    See :mod:`fastw2v.encoding` for the format.

    Attributes
    ----------
    codes : ndarray of uint16, shape (N,)
        Kept tokens in corpus order: the id, or ``encoding.ESCAPE``.
    escapes : ndarray of int32, shape (E,)
        Ids of the escaped tokens, in corpus order.
    marks : ndarray of int64, shape (N // encoding.MARK + 1,)
        Escapes before every ``encoding.MARK``-th token.
    sentence_starts : ndarray of int64, shape (S + 1,)
        Offsets of the sentences in ``codes``; ``sentence_starts[-1] == N``.
    raw_tokens : int
        Tokens in the file before dropping rare words.
    """

    codes: np.ndarray
    escapes: np.ndarray
    marks: np.ndarray
    sentence_starts: np.ndarray
    raw_tokens: int

    @property
    def ids(self):
        """The kept tokens' ids as int32 (a copy; training reads the codes)."""
        return encoding.decode(self.codes, self.escapes)

    @property
    def nbytes(self):
        return self.codes.nbytes + self.escapes.nbytes + self.marks.nbytes

    def __len__(self):
        return int(self.codes.shape[0])


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
    source : str, os.PathLike, list of them, or iterable of list of str
        Corpus files (one sentence a line; see
        :func:`fastw2v.sources.corpus_paths`), or sentences already tokenised.
    min_count, max_vocab_size
        See :func:`select_vocabulary`.
    progress : callable, optional
        Passed to :func:`fastw2v.corpus.scan_corpus` for files.
    threads : int
        Threads that tokenise a large plain file in parallel.

    Raises
    ------
    CorpusError
        If the file is unreadable, empty, or no word reaches ``min_count``.
    """
    if is_file_spec(source):  # a path or a list of paths; a list of token lists is sentences
        scanned = scan_corpus(source, progress=progress, threads=threads)
        path = corpus_name(source)
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
    scanned.words_at = None  # the kept words are decoded: free the tokeniser's tables first
    return vocab, encode_corpus(scanned, remap, vocab.counts)


def encode_corpus(scanned, remap, counts):
    """Encode a :class:`~fastw2v.corpus.ScannedCorpus` with a vocabulary's id remap.

    Parameters
    ----------
    scanned : fastw2v.corpus.ScannedCorpus
    remap : ndarray of int32, shape (W,)
        Final id of each provisional id, or -1 for a dropped word.
    counts : ndarray of int64, shape (V,)
        The kept words' counts by final id; they size the outputs exactly.
    """
    n_kept, n_escaped = encoding.encoded_sizes(counts)
    # each part's ids go straight to final ids: the vocabulary's remap
    # composed with the part's own
    remaps = [remap if r is None else remap[r] for r in scanned.part_remaps]
    remap_starts = np.cumsum([0] + [r.shape[0] for r in remaps[:-1]]).astype(np.int64)
    codes = np.empty(n_kept, dtype=np.uint16)
    escapes = np.empty(n_escaped, dtype=np.int32)
    marks = np.empty(n_kept // encoding.MARK + 1, dtype=np.int64)
    starts = encoding.encode(scanned.buffer, scanned.part_starts, scanned.part_lengths,
                             np.concatenate(remaps).astype(np.int32, copy=False), remap_starts,
                             scanned.sentence_lengths, codes, escapes, marks)
    return EncodedCorpus(codes, escapes, marks, starts, scanned.n_tokens)
