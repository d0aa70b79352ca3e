"""The window steps of :mod:`fastw2v.kernels`, written with the NumPy reference layers.

Shared by the kernel tests. Everything here is float64 and built from
:class:`fastw2v.reference.NegativeSamplingLoss` and
:class:`fastw2v.reference.HierarchicalSoftmaxLoss`; the functions only say
in which order the reference's SGD steps are taken, which is what the
kernels promise:

* an *example* (one hidden vector ``h``, one output word, its negatives
  and/or its Huffman path) is one reference SGD step: every score and
  gradient from the rows as the example found them, the gradients of a row
  used twice added (``np.add.at``), NS and HS gradients of ``h`` summed;
* a negative equal to the example's output word is skipped (word2vec.c's
  ``if (target == word) continue``: a word is no negative of itself);
* **CBOW**: one example per window, ``h`` the mean of the context rows, and
  the whole ``-lr dL/dh`` added to every context position (word2vec.c's and
  gensim's convention, not the exact ``1 / n_context`` of the mean);
* **skip-gram**: one example per context word, in window order, all with
  ``h`` the centre's row as the window found it; each example's output rows
  move before the next example is scored, and the centre's row moves once,
  at the end, by the sum of the examples' input gradients;
* **shared skip-gram**: one example per context word, in order, ``h`` that
  word's row, which moves at once (the next example sees it moved).

With distinct ids everywhere the skip-gram order does not matter and a
window is one step on its summed loss (what ``reference.SkipGram`` does);
the root of a Huffman tree, though, is on every path, so with hierarchical
softmax it always matters.
"""

import numpy as np

from fastw2v import reference


def example_step(h, target, negatives, lr, W_out=None, W_hs=None, tree=None):
    """One reference SGD step of one example; the output matrices are updated in place.

    Parameters
    ----------
    h : ndarray of float64, shape (dim,)
    target : int
    negatives : sequence of int, or None
        Used with `W_out` (negative sampling); draws equal to `target` are skipped.
    lr : float
    W_out : ndarray of float64, shape (V, dim), optional
    W_hs, tree : optional
        The inner-node matrix (V - 1, dim) and the Huffman tree (hierarchical softmax).

    Returns
    -------
    loss : float
    dh : ndarray of float64, shape (dim,)
        ``dL/dh`` from the rows as they were before the step.
    """
    loss, dh = 0.0, np.zeros_like(h)
    if W_out is not None:
        kept = np.array([n for n in negatives if n != target], dtype=np.int64)
        ns = reference.NegativeSamplingLoss(W_out, np.arange(W_out.shape[0]), sample_size=kept.size)
        loss += ns.forward(h[None], np.array([target]), negatives=kept[None])
        dh += ns.backward()[0]
        W_out -= lr * ns.grads[0]
    if tree is not None:
        hs = reference.HierarchicalSoftmaxLoss(W_hs, tree)
        loss += hs.forward(h[None], np.array([target]))
        dh += hs.backward()[0]
        W_hs -= lr * hs.grads[0]
    return loss, dh


def window_step(model, W_in, contexts, centre, negatives, lr, W_out=None, W_hs=None, tree=None):
    """The reference steps of one window, in the kernel's order; all matrices updated in place.

    Parameters
    ----------
    model : {"cbow", "skipgram", "skipgram_shared"}
    W_in : ndarray of float64, shape (V, dim)
    contexts : sequence of int
        The context words in window order (the centre left out).
    centre : int
    negatives : ndarray of int, shape (rows, k)
        Row 0 for CBOW and shared skip-gram, row ``r`` for the ``r``-th
        context word in skip-gram; ignored without `W_out`.
    lr : float
    W_out, W_hs, tree
        As in :func:`example_step`.

    Returns
    -------
    float
        The summed loss of the window's examples.
    """
    outputs = dict(W_out=W_out, W_hs=W_hs, tree=tree)
    if model == "cbow":
        h = W_in[list(contexts)].mean(axis=0)
        loss, dh = example_step(h, centre, negatives[0], lr, **outputs)
        for c in contexts:  # a repeated context word moves once per position
            W_in[c] -= lr * dh
        return loss
    total = 0.0
    if model == "skipgram":
        h = W_in[centre].copy()
        dh_sum = np.zeros_like(h)
        for r, c in enumerate(contexts):
            loss, dh = example_step(h, c, negatives[r], lr, **outputs)
            total += loss
            dh_sum += dh
        W_in[centre] -= lr * dh_sum
        return total
    for c in contexts:  # skipgram_shared
        loss, dh = example_step(W_in[c].copy(), centre, negatives[0], lr, **outputs)
        total += loss
        W_in[c] -= lr * dh
    return total
