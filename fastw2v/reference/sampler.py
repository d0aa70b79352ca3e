r"""Negative sampling from the unigram distribution raised to the power 0.75.

A word :math:`w` with corpus count :math:`c_w` is drawn with probability

.. math::

    P(w) = \frac{c_w^{\,p}}{\sum_v c_v^{\,p}}, \qquad p = 0.75 \text{ by default}.

The exponent below 1 flattens the frequency distribution: raw counts would
spend nearly every negative on a few function words, a uniform draw would
waste them on rare words; 0.75 is the empirical compromise of the original
word2vec. Words never seen in the corpus have probability 0.

Draws use NumPy's *global* random state (``np.random``), as the textbook does,
so ``np.random.seed`` makes them repeatable. Sampling is inverse-CDF: a
uniform number ``u`` picks the first word whose cumulative probability exceeds
``u`` -- the same algorithm ``np.random.choice(..., p=...)`` uses, but
without re-building the CDF on every call.
"""

import numpy as np


class UnigramSampler:
    """Draw negative word ids from ``counts ** power``, excluding the target.

    Parameters
    ----------
    corpus : array_like of int, shape (n_tokens,)
        Token ids; their counts define the distribution.
    power : float
        Exponent applied to the counts (0.75 in word2vec).
    sample_size : int
        Number of negatives drawn per target.
    vocab_size : int, optional
        Number of word ids; defaults to ``max(corpus) + 1``. Ids that never
        occur get probability 0.

    Attributes
    ----------
    vocab_size : int
    sample_size : int
    power : float
    word_p : ndarray, shape (vocab_size,), float64
        The sampling distribution ``counts ** power / sum(counts ** power)``.
    """

    def __init__(self, corpus, power, sample_size, vocab_size=None):
        corpus = np.asarray(corpus).ravel()
        if corpus.size == 0:
            raise ValueError("corpus is empty")
        counts = np.bincount(corpus, minlength=0 if vocab_size is None else vocab_size)
        if vocab_size is not None and counts.size > vocab_size:
            raise ValueError("corpus contains ids >= vocab_size")
        weights = counts.astype(np.float64) ** power
        # 0 ** 0 == 1: with power=0 an unseen word must still get no mass.
        weights[counts == 0] = 0.0
        self.vocab_size = counts.size
        self.sample_size = int(sample_size)
        self.power = power
        self.word_p = weights / weights.sum()
        # Normalising by the last entry makes cdf[-1] exactly 1.0, so a
        # uniform u in [0, 1) always lands on a word with non-zero mass.
        cdf = np.cumsum(weights)
        self._cdf = cdf / cdf[-1]
        self._n_support = int(np.count_nonzero(weights))

    def _draw(self, size):
        """Draw i.i.d. ids from ``word_p`` by inverse CDF (global ``np.random``)."""
        u = np.random.random_sample(size)
        return np.searchsorted(self._cdf, u, side="right")

    def get_negative_sample(self, target):
        """Draw ``sample_size`` negatives per target, never the target itself.

        Negatives are drawn with replacement (a word may repeat within a row,
        as in the original word2vec). Any draw equal to its row's target is
        redrawn until none is left, vectorised over all collisions at once, so
        each entry follows ``word_p`` conditioned on ``!= target``, i.e.
        ``word_p[w] / (1 - word_p[target])`` for ``w != target``.

        Parameters
        ----------
        target : array_like of int, shape (batch,) or any shape ``S``
            Positive word ids.

        Returns
        -------
        ndarray of intp, shape ``S + (sample_size,)``
            Negative ids.

        Raises
        ------
        ValueError
            If a target is the only word with non-zero probability (no
            negative could ever be drawn for it).
        """
        target = np.asarray(target)
        if self._n_support < 2 and np.any(self.word_p[target] > 0):
            raise ValueError("cannot sample negatives: the target is the only word in the corpus")
        negatives = self._draw(target.shape + (self.sample_size,))
        collide = negatives == target[..., None]
        while collide.any():
            negatives[collide] = self._draw(int(collide.sum()))
            collide = negatives == target[..., None]
        return negatives
