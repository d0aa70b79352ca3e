r"""Negative-sampling loss: 1 + k binary classifications instead of a V-way softmax.

For a hidden vector :math:`h`, its true output word :math:`o` and negatives
:math:`n_1, \dots, n_k` drawn from the unigram**0.75 distribution, with
:math:`s_w = h \cdot W_{out}[w]`,

.. math::

    L = -\log \sigma(s_o) - \sum_{j=1}^{k} \log \sigma(-s_{n_j}),

averaged over the batch. The softmax it replaces needs all :math:`V` scores
and their normaliser, :math:`O(VH)` per example; this needs :math:`(1+k)H`.

The textbook builds ``1 + k`` separate EmbeddingDot / SigmoidWithLoss pairs
that share :math:`W_{out}`. Here the target is stacked in front of its
negatives into one ``(batch, 1 + k)`` index array, scored by *one*
EmbeddingDot and judged by *one* SigmoidWithLoss with labels
``[1, 0, ..., 0]``. Because SigmoidWithLoss divides the summed loss by the
batch size only, the result is exactly the textbook's sum of one batch-mean
loss per column, and ``W_out`` appears once in ``params`` (no duplicates to
merge).
"""

import numpy as np

from .layers import EmbeddingDot, SigmoidWithLoss
from .sampler import UnigramSampler


class NegativeSamplingLoss:
    """Binary logistic loss on the true word plus `sample_size` sampled negatives.

    Parameters
    ----------
    W : ndarray, shape (vocab_size, dim), float
        Output embedding matrix ``W_out``, held by reference.
    corpus : array_like of int, shape (n_tokens,)
        Corpus whose counts define the negative distribution.
    power : float, default 0.75
        Exponent on the counts.
    sample_size : int, default 5
        Negatives per positive.

    Attributes
    ----------
    params : list of ndarray
        ``[W]``.
    grads : list of ndarray
        ``[dW]``, same shape and dtype as `W`.
    sampler : UnigramSampler
    sample_size : int
    """

    def __init__(self, W, corpus, power=0.75, sample_size=5):
        self.sample_size = int(sample_size)
        self.sampler = UnigramSampler(corpus, power, sample_size, vocab_size=W.shape[0])
        self.embed_dot = EmbeddingDot(W)
        self.loss_layer = SigmoidWithLoss()
        self.params = self.embed_dot.params
        self.grads = self.embed_dot.grads

    def forward(self, h, target, negatives=None):
        """Loss of `h` against its targets and negatives.

        Parameters
        ----------
        h : ndarray, shape (batch, dim), float
            Hidden vectors.
        target : ndarray of int, shape (batch,) or (batch, m)
            True output word(s). With shape (batch, m) every ``target[b, i]``
            is its own positive for the same ``h[b]`` (skip-gram) and the
            losses of the m positions are summed.
        negatives : ndarray of int, shape ``target.shape + (sample_size,)``, optional
            Explicit negatives, used instead of sampling (for cross-checks).
            They are used as given: no exclusion of the target is applied.

        Returns
        -------
        float
            ``(1 / batch) * sum over positions of [BCE(s_target, 1) +
            sum_j BCE(s_neg_j, 0)]``.
        """
        target = np.asarray(target)
        if negatives is None:
            negatives = self.sampler.get_negative_sample(target)
        else:
            negatives = np.asarray(negatives)
            expected = target.shape + (self.sample_size,)
            if negatives.shape != expected:
                raise ValueError(f"negatives has shape {negatives.shape}, expected {expected}")
        # Column 0 holds the positive, columns 1..k the negatives.
        ids = np.concatenate([target[..., None], negatives], axis=-1)
        labels = np.zeros(ids.shape, dtype=np.int8)
        labels[..., 0] = 1
        scores = self.embed_dot.forward(h, ids)
        return self.loss_layer.forward(scores, labels)

    def backward(self, dout=1):
        """Back-propagate; fills ``grads[0]`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        dh : ndarray, shape (batch, dim), dtype of `W`
        """
        dscores = self.loss_layer.backward(dout)
        return self.embed_dot.backward(dscores)
