r"""Hierarchical-softmax loss: a word as a walk of binary decisions down a Huffman tree.

The full softmax scores all :math:`V` words to normalise one probability.
Hierarchical softmax puts the words at the leaves of a binary tree (the
Huffman tree of their counts, :mod:`.huffman`) and gives every *inner* node
:math:`n` a vector :math:`W[n]`, rows of a (V - 1, dim) matrix. At node
:math:`n` the walk goes to branch 0 with probability
:math:`\sigma(h \cdot W[n])` and to branch 1 with
:math:`1 - \sigma(h \cdot W[n]) = \sigma(-h \cdot W[n])`. A word's
probability is the product over its path,

.. math::

    p(w \mid h) = \prod_{d=0}^{\ell_w - 1} \sigma\bigl(\pm h \cdot W[n_{w,d}]\bigr),

the sign being + where the path takes branch 0. The probabilities of all
leaves sum to 1 by construction (each node splits its mass in two), so no
normaliser is needed, and a word costs :math:`\ell_w` dot products, about
:math:`\log_2 V`, instead of :math:`V`.

With the word2vec.c conventions -- points :math:`n_{w,d}` from the root
down, codes :math:`c_{w,d} \in \{0, 1\}` -- the negative log-likelihood is
a sum of binary cross-entropies, one per node on the path, with score
:math:`f_d = h \cdot W[n_{w,d}]` and label :math:`y_d = 1 - c_{w,d}`:

.. math::

    L = -\log p(w \mid h) = \sum_{d=0}^{\ell_w - 1}
        -\bigl[y_d \log \sigma(f_d) + (1 - y_d) \log(1 - \sigma(f_d))\bigr].

Its gradient is the one of every logistic output,
:math:`\partial L / \partial f_d = \sigma(f_d) - y_d`, hence
:math:`\partial L / \partial W[n_{w,d}] = (\sigma(f_d) - y_d)\, h` and
:math:`\partial L / \partial h = \sum_d (\sigma(f_d) - y_d)\, W[n_{w,d}]`;
word2vec.c's step ``g = (1 - code - f) * alpha`` is :math:`-\alpha` times
it. This is the binary loss of negative sampling (:mod:`.negative_sampling`)
with the path's nodes in place of the target and its negatives, so it is
built from the same layers: one EmbeddingDot scores the nodes, one
SigmoidWithLoss judges them.

Paths differ in length, so instead of padding (whose dummy entries would add
loss) the (example, node) pairs of the batch are flattened into one list of
:math:`P` pairs: ``h`` is repeated to the pairs, and ``dh`` is summed back
per example. SigmoidWithLoss divides by the number of rows it sees, here
:math:`P`; the loss is rescaled by :math:`P / \text{batch}` so that it is,
like NegativeSamplingLoss's, the sum over positions of batch means.
"""

import numpy as np

from .layers import EmbeddingDot, SigmoidWithLoss


class HierarchicalSoftmaxLoss:
    """Binary logistic loss over the inner nodes on each target word's Huffman path.

    Parameters
    ----------
    W : ndarray, shape (vocab_size - 1, dim), float
        Inner-node matrix, held by reference; row ``k`` is inner node ``k``.
    tree : tuple of (points, codes, lengths)
        The Huffman tree (:func:`fastw2v.reference.huffman_tree`, or any
        tuple with the same conventions): points int (V, L), codes {0, 1}
        (V, L), lengths int (V,).

    Attributes
    ----------
    params : list of ndarray
        ``[W]``.
    grads : list of ndarray
        ``[dW]``, same shape and dtype as `W`.
    points, codes, lengths : ndarray
        The tree.
    """

    def __init__(self, W, tree):
        points, codes, lengths = (np.asarray(a) for a in tree)
        V = lengths.shape[0]
        if W.shape[0] != V - 1:
            raise ValueError(f"W has {W.shape[0]} rows, expected {V - 1} (one per inner node)")
        if points.shape != codes.shape or points.shape[0] != V:
            raise ValueError("points and codes must both have shape (V, L) with V = len(lengths)")
        self.points, self.codes, self.lengths = points, codes, lengths
        self.embed_dot = EmbeddingDot(W)
        self.loss_layer = SigmoidWithLoss()
        self.params = self.embed_dot.params
        self.grads = self.embed_dot.grads
        self.cache = None

    def forward(self, h, target):
        """Loss of `h` against the paths of its targets.

        Parameters
        ----------
        h : ndarray, shape (batch, dim), float
            Hidden vectors.
        target : ndarray of int, shape (batch,) or (batch, m)
            True output word(s). With shape (batch, m) every ``target[b, i]``
            is its own path for the same ``h[b]`` (skip-gram) and the losses
            of the m positions are summed.

        Returns
        -------
        float
            ``(1 / batch) * sum over positions and path nodes of
            BCE(h . W[point], 1 - code)``.
        """
        target = np.asarray(target)
        batch = h.shape[0]
        if target.shape[:1] != (batch,) or target.ndim > 2:
            raise ValueError(f"target must have shape ({batch},) or ({batch}, m), "
                             f"got {target.shape}")
        words = target.reshape(batch, -1)  # (batch, m)
        owner = np.repeat(np.arange(batch), words.shape[1])  # example of each position
        lengths = self.lengths[words.ravel()]
        # One row per (position, depth) pair on a path.
        pair_owner = np.repeat(owner, lengths)
        pair_word = np.repeat(words.ravel(), lengths)
        pair_depth = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        nodes = self.points[pair_word, pair_depth]
        labels = 1 - self.codes[pair_word, pair_depth].astype(np.int8)
        n_pairs = nodes.shape[0]
        self.cache = (batch, pair_owner, n_pairs)
        if n_pairs == 0:
            return 0.0
        scores = self.embed_dot.forward(h[pair_owner], nodes)  # (P,)
        return self.loss_layer.forward(scores, labels) * n_pairs / batch

    def backward(self, dout=1):
        """Back-propagate; fills ``grads[0]`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        dh : ndarray, shape (batch, dim), dtype of `W`
        """
        batch, pair_owner, n_pairs = self.cache
        (W,), (dW,) = self.params, self.grads
        dh = np.zeros((batch, W.shape[1]), dtype=W.dtype)
        if n_pairs == 0:
            dW[...] = 0
            return dh
        # SigmoidWithLoss divides by its P rows; the loss is per batch example.
        dscores = self.loss_layer.backward(dout * n_pairs / batch)
        dh_pairs = self.embed_dot.backward(dscores)  # (P, dim)
        np.add.at(dh, pair_owner, dh_pairs)
        return dh
