"""Training on more text with an existing vocabulary: encode against it, or grow it.

A model keeps its rows: word ``i`` is row ``i`` of both matrices for the
model's whole life. New text is therefore encoded against the existing ids
(:func:`encode_with`), and a vocabulary update appends the new words after
the old ones (:func:`grow`), so every old row stays where it was.
"""

from __future__ import annotations

import numpy as np

from .vocab import Vocabulary, encode_corpus


def _ids_in(scanned, vocab):
    """For each provisional id of ``scanned``, its id in ``vocab`` or -1."""
    index = vocab.key_to_index
    return np.fromiter((index.get(word, -1) for word in scanned.words),
                       dtype=np.int32, count=scanned.counts.shape[0])


def _counts_by_id(remap, scanned_counts, size):
    """Occurrences of each of ``size`` ids, from provisional counts and their remap."""
    kept = remap >= 0
    return np.bincount(remap[kept], weights=scanned_counts[kept],
                       minlength=size).astype(np.int64)


def encode_with(scanned, vocab):
    """Encode a :class:`~fastw2v.corpus.ScannedCorpus` with ``vocab``'s ids.

    Words outside ``vocab`` are dropped, as in training on the first corpus.

    Returns
    -------
    fastw2v.vocab.EncodedCorpus
    """
    remap = _ids_in(scanned, vocab)
    return encode_corpus(scanned, remap, _counts_by_id(remap, scanned.counts, len(vocab)))


def grow(vocab, scanned, min_count, max_final_vocab=None):
    """``vocab`` with the words of ``scanned`` added, and its counts merged.

    Old words keep their ids and gain this corpus's counts (they stay in the
    vocabulary whatever their new count, as in gensim's update). New words
    seen at least ``min_count`` times in this corpus are appended after them,
    by descending count, ties by first appearance; with ``max_final_vocab``
    only as many as fit under that cap are added.

    Returns
    -------
    (Vocabulary, int)
        The grown vocabulary and the number of words added.
    """
    remap = _ids_in(scanned, vocab)
    counts = vocab.counts + _counts_by_id(remap, scanned.counts, len(vocab))
    fresh = np.flatnonzero((remap < 0) & (scanned.counts >= min_count))
    fresh = fresh[np.argsort(-scanned.counts[fresh], kind="stable")]
    if max_final_vocab is not None:
        fresh = fresh[:max(0, max_final_vocab - len(vocab))]
    words = list(vocab.index_to_key) + list(scanned.words_at(fresh))
    grown = Vocabulary(words, np.concatenate([counts, scanned.counts[fresh]]))
    return grown, int(fresh.size)
