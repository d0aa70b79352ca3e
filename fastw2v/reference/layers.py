r"""Layers of the reference word2vec: Embedding, EmbeddingDot, SigmoidWithLoss.

Every layer follows the textbook interface:

* ``params`` -- list of parameter arrays (shared by reference, never copied);
* ``grads`` -- list of gradient arrays of the same shapes, overwritten *in
  place* (``grad[...] = ...``) by ``backward`` so an optimizer that holds
  references to them sees the new values;
* ``forward(...)`` caches what ``backward`` needs;
* ``backward(dout)`` returns the gradient with respect to the input.

All arithmetic keeps the dtype of the parameters (float32 for training,
float64 when the tests check gradients numerically).
"""

import numpy as np


def sigmoid(x):
    r"""Logistic function :math:`\sigma(x) = 1 / (1 + e^{-x})`, overflow-free.

    Uses the identity :math:`\sigma(x) = (1 + \tanh(x / 2)) / 2`, which never
    evaluates ``exp`` of a large positive number.

    Parameters
    ----------
    x : ndarray of float, any shape

    Returns
    -------
    ndarray, same shape and dtype as `x`, values in [0, 1].
    """
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Embedding:
    r"""Row lookup ``W[idx]``: the one-hot MatMul without the one-hot.

    For a one-hot :math:`x` with its 1 at index :math:`i`, :math:`x W = W[i]`,
    and :math:`\partial L / \partial W = x^\top \delta` is zero except for row
    :math:`i`, which gets :math:`\delta`. When an id occurs several times in a
    batch its row gets the *sum* of the corresponding :math:`\delta` s.

    Parameters
    ----------
    W : ndarray, shape (vocab_size, dim), float
        The embedding matrix; held by reference (updates to it are seen here).

    Attributes
    ----------
    params : list of ndarray
        ``[W]``.
    grads : list of ndarray
        ``[dW]``, shape (vocab_size, dim), same dtype as `W`.
    """

    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        """Gather rows.

        Parameters
        ----------
        idx : ndarray of int, any shape ``S``
            Word ids; repeats allowed.

        Returns
        -------
        ndarray, shape ``S + (dim,)``, dtype of `W`
            ``W[idx]``.
        """
        (W,) = self.params
        self.idx = np.asarray(idx)
        return W[self.idx]

    def backward(self, dout):
        """Scatter-add the upstream gradient into ``dW``.

        ``dW`` is zeroed first, then ``dW[idx[n]] += dout[n]`` for every
        position ``n``; repeated ids accumulate (``np.add.at``), they are never
        overwritten.

        Parameters
        ----------
        dout : ndarray, shape ``idx.shape + (dim,)``
            Gradient of the loss with respect to the forward output.

        Returns
        -------
        None
            The input ids have no gradient.
        """
        (dW,) = self.grads
        dW[...] = 0
        # Flatten to one index axis: np.add.at has a fast path for a 1-D index.
        np.add.at(dW, self.idx.ravel(), dout.reshape(-1, dW.shape[1]))
        return None


class EmbeddingDot:
    r"""Scores :math:`s = h \cdot W[idx]`: the only columns of the output MatMul we need.

    The full output layer :math:`h W_{out}^\top` would score all :math:`V`
    words; negative sampling needs only the target and a few negatives, so
    this layer gathers those rows and takes one dot product each.

    `idx` may carry extra axes after the batch axis (e.g. ``(batch, 1 + k)``
    for a target and its negatives, or ``(batch, 2w, 1 + k)`` in skip-gram);
    every score in row ``b`` uses the same hidden vector ``h[b]``.

    Parameters
    ----------
    W : ndarray, shape (vocab_size, dim), float
        Output embedding matrix, held by reference.

    Attributes
    ----------
    params : list of ndarray
        ``[W]`` (the same object as ``embed.params``).
    grads : list of ndarray
        ``[dW]`` (the same object as ``embed.grads``).
    embed : Embedding
        The gather/scatter layer over `W`.
    """

    def __init__(self, W):
        self.embed = Embedding(W)
        self.params = self.embed.params
        self.grads = self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        r"""Row-wise dot products.

        Parameters
        ----------
        h : ndarray, shape (batch, dim), float
            Hidden vectors.
        idx : ndarray of int, shape (batch,) or (batch, ...)
            Ids of the output rows to score against ``h[b]``.

        Returns
        -------
        ndarray, shape ``idx.shape``, dtype of `W`
            ``out[b, ...] = h[b] . W[idx[b, ...]]``.
        """
        target_W = self.embed.forward(idx)  # (batch, ..., dim)
        # View the extra axes as one axis of k scores per row: (batch, k, dim).
        flat_W = target_W.reshape(h.shape[0], -1, h.shape[1])
        self.cache = (h, flat_W)
        return np.einsum("bkd,bd->bk", flat_W, h).reshape(target_W.shape[:-1])

    def backward(self, dout):
        r"""Gradients of :math:`s = h \cdot w`: :math:`ds/dh = w`, :math:`ds/dw = h`.

        Parameters
        ----------
        dout : ndarray, shape ``idx.shape``
            Gradient with respect to the scores.

        Returns
        -------
        dh : ndarray, shape (batch, dim)
            Summed over every score that used ``h[b]``. ``dW`` is filled in
            place through the Embedding (repeated ids accumulate).
        """
        h, flat_W = self.cache
        flat_dout = dout.reshape(flat_W.shape[:2])  # (batch, k)
        # Each gathered row w_bk receives dout_bk * h_b ...
        self.embed.backward(np.einsum("bk,bd->bkd", flat_dout, h))
        # ... and h_b receives the sum over its k rows of dout_bk * w_bk.
        return np.einsum("bk,bkd->bd", flat_dout, flat_W)


class SigmoidWithLoss:
    r"""Logistic output plus binary cross-entropy, averaged over the batch axis.

    For a score :math:`x` and label :math:`t \in \{0, 1\}`,
    :math:`y = \sigma(x)` and

    .. math::

        \ell = -t \log y - (1 - t) \log (1 - y)
             = \operatorname{softplus}(x) - t x,

    the second form being evaluated with ``np.logaddexp(0, x)`` so that no
    ``log(0)`` or ``exp`` overflow can occur. The loss is the sum of
    :math:`\ell` over all elements divided by ``batch = x.shape[0]``: the
    plain mean for a 1-D input, and for an input with more axes the *sum over
    the trailing axes* of per-column batch means -- exactly the textbook's sum
    of one mean loss per (target or negative) column.
    The gradient is the famously simple :math:`\partial \ell / \partial x = y - t`.

    Attributes
    ----------
    params, grads : list
        Empty: the layer has no parameters.
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        """Loss of scores `x` against labels `t`.

        Parameters
        ----------
        x : ndarray, shape (batch, ...), float
            Scores (logits).
        t : ndarray, same shape as `x`, int or float
            Labels, 1 for a true pair and 0 for a negative.

        Returns
        -------
        float
            ``sum(BCE) / batch``.
        """
        self.t = np.asarray(t).astype(x.dtype, copy=False)
        self.y = sigmoid(x)
        loss = np.sum(np.logaddexp(0, x) - self.t * x) / x.shape[0]
        return float(loss)

    def backward(self, dout=1):
        """Gradient ``(y - t) * dout / batch``.

        Parameters
        ----------
        dout : float, default 1
            Upstream gradient of the (scalar) loss.

        Returns
        -------
        ndarray, shape and dtype of the forward input `x`
        """
        batch = self.y.shape[0]
        dx = (self.y - self.t) * (dout / batch)
        return dx.astype(self.y.dtype, copy=False)
