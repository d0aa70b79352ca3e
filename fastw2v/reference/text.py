"""Text helpers: tokenising a string and building (contexts, target) pairs."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def preprocess(text):
    """Lower-case, split off full stops, split on whitespace, assign ids.

    Ids are given in order of first appearance.

    Parameters
    ----------
    text : str

    Returns
    -------
    corpus : ndarray of int64, shape (n_tokens,)
        The text as word ids.
    word_to_id : dict of str to int
    id_to_word : dict of int to str
    """
    words = text.lower().replace(".", " .").split()
    word_to_id, id_to_word = {}, {}
    for word in words:
        if word not in word_to_id:
            new_id = len(word_to_id)
            word_to_id[word] = new_id
            id_to_word[new_id] = word
    corpus = np.array([word_to_id[w] for w in words], dtype=np.int64)
    return corpus, word_to_id, id_to_word


def create_contexts_target(corpus, window_size=1):
    """Every position with a full window: its 2w neighbours and the word itself.

    Parameters
    ----------
    corpus : array_like of int, shape (n_tokens,)
    window_size : int, default 1

    Returns
    -------
    contexts : ndarray, shape (n_tokens - 2 * window_size, 2 * window_size)
        Columns are the offsets ``-w, ..., -1, +1, ..., +w`` in that order.
    target : ndarray, shape (n_tokens - 2 * window_size,)
        ``corpus[window_size:-window_size]``.
    """
    corpus = np.asarray(corpus)
    if window_size < 1:
        raise ValueError("window_size must be >= 1")
    span = 2 * window_size + 1
    if corpus.size < span:
        return np.empty((0, span - 1), dtype=corpus.dtype), np.empty(0, dtype=corpus.dtype)
    windows = sliding_window_view(corpus, span)  # (n - 2w, 2w + 1), a view
    target = windows[:, window_size].copy()
    contexts = np.delete(windows, window_size, axis=1)  # copies
    return contexts, target
