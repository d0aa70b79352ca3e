r"""CBOW and skip-gram models built from the reference layers.

Both models own an input matrix :math:`W_{in}` (the word vectors) and an
output matrix :math:`W_{out}`, both (vocab_size, hidden_size), and differ only
in how they form the hidden vector and which words it must predict:

* **CBOW** -- :math:`h = \frac{1}{2w} \sum_{c \in \text{context}} W_{in}[c]`
  predicts the centre word: ``loss = NS(h, target)``. Backward, each of the
  2w context rows receives :math:`\partial L / \partial h \,/\, 2w`.
* **Skip-gram** -- :math:`h = W_{in}[\text{target}]` predicts each of the 2w
  context words: ``loss = sum_i NS(h, contexts[:, i])``, and :math:`h`
  collects the gradient of all 2w losses.

Instead of one Embedding / NegativeSamplingLoss object per context position
(as in the textbook), one Embedding gathers the whole ``(batch, 2w)`` context
array and one NegativeSamplingLoss scores all positions; the maths is
identical and the batch is processed by a handful of vectorised calls.
"""

import numpy as np

from .layers import Embedding
from .negative_sampling import NegativeSamplingLoss

# The textbook's initial scale: small enough that sigma(h . w) starts near
# 1/2 for every pair (no early saturation), large enough to break symmetry.
INIT_SCALE = 0.01


def _init_matrices(vocab_size, hidden_size, seed, W_in, W_out):
    """Return copies of the given matrices, or ``0.01 * randn`` float32 ones.

    Without a `seed` the global ``np.random`` state is used, as in the book;
    an int or ``np.random.Generator`` gives a private, reproducible stream.
    """
    if seed is None:
        # Same stream as the book's np.random.randn(V, H).
        randn = np.random.standard_normal
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        randn = rng.standard_normal
    shape = (vocab_size, hidden_size)
    out = []
    for name, given in (("W_in", W_in), ("W_out", W_out)):
        if given is None:
            W = (INIT_SCALE * randn(shape)).astype(np.float32)
        else:
            # Copy so the model never aliases the caller's array; keep its
            # dtype (float64 is what the gradient checks use).
            W = np.array(given, copy=True)
            if W.shape != shape:
                raise ValueError(f"{name} has shape {W.shape}, expected {shape}")
        out.append(W)
    return out


def _check_batch(contexts, target, window_size):
    """Validate and return ``contexts`` (batch, 2w) and ``target`` (batch,)."""
    contexts = np.asarray(contexts)
    target = np.asarray(target)
    if contexts.ndim != 2 or contexts.shape[1] != 2 * window_size:
        raise ValueError(f"contexts must have shape (batch, {2 * window_size}), got {contexts.shape}")
    if target.shape != (contexts.shape[0],):
        raise ValueError(f"target must have shape ({contexts.shape[0]},), got {target.shape}")
    return contexts, target


class _Word2VecModel:
    """Shared construction: matrices, input Embedding, NegativeSamplingLoss."""

    def __init__(self, vocab_size, hidden_size, window_size, corpus, *,
                 sample_size=5, power=0.75, seed=None, W_in=None, W_out=None):
        W_in, W_out = _init_matrices(vocab_size, hidden_size, seed, W_in, W_out)
        self.window_size = int(window_size)
        self.in_layer = Embedding(W_in)
        self.ns_loss = NegativeSamplingLoss(W_out, corpus, power=power, sample_size=sample_size)
        self.params = self.in_layer.params + self.ns_loss.params
        self.grads = self.in_layer.grads + self.ns_loss.grads
        self.word_vecs = W_in


_PARAMS_DOC = """
    Parameters
    ----------
    vocab_size : int
    hidden_size : int
        Dimension of the word vectors.
    window_size : int
        Context words on each side; contexts have ``2 * window_size`` columns.
    corpus : array_like of int, shape (n_tokens,)
        Defines the negative-sampling distribution (counts ** power).
    sample_size : int, default 5
        Negatives per positive.
    power : float, default 0.75
    seed : int or numpy.random.Generator, optional
        Source for the initial weights; ``None`` uses the global ``np.random``
        like the textbook. Negative sampling always uses ``np.random``.
    W_in, W_out : ndarray, shape (vocab_size, hidden_size), optional
        Exact initial matrices (copied, dtype kept). Default:
        ``0.01 * randn`` as float32.

    Attributes
    ----------
    params : list of ndarray
        ``[W_in, W_out]``.
    grads : list of ndarray
        ``[dW_in, dW_out]``, overwritten in place by ``backward``.
    word_vecs : ndarray, shape (vocab_size, hidden_size)
        ``W_in`` (the same object, so it reflects training).
"""


class CBOW(_Word2VecModel):
    __doc__ = "Continuous bag of words with negative sampling.\n" + _PARAMS_DOC

    def forward(self, contexts, target, negatives=None):
        """Loss of predicting `target` from the mean of its context vectors.

        Parameters
        ----------
        contexts : ndarray of int, shape (batch, 2 * window_size)
        target : ndarray of int, shape (batch,)
        negatives : ndarray of int, shape (batch, sample_size), optional
            Explicit negatives for the single positive ``target[b]``; used
            as given instead of sampling.

        Returns
        -------
        float
            ``mean_b [BCE(h_b . W_out[target_b], 1)
            + sum_j BCE(h_b . W_out[negatives_bj], 0)]`` with
            ``h_b = mean_i W_in[contexts_bi]``.
        """
        contexts, target = _check_batch(contexts, target, self.window_size)
        h = self.in_layer.forward(contexts).mean(axis=1)  # (batch, H)
        return self.ns_loss.forward(h, target, negatives)

    def backward(self, dout=1):
        """Fill ``grads`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        None
        """
        dh = self.ns_loss.backward(dout)  # (batch, H)
        n_context = self.in_layer.idx.shape[1]
        # d mean / d row = 1 / 2w for every context row; np.add.at inside the
        # Embedding sums the shares of repeated context ids.
        dctx = np.broadcast_to((dh / n_context)[:, None, :], self.in_layer.idx.shape + dh.shape[1:])
        self.in_layer.backward(dctx)
        return None


class SkipGram(_Word2VecModel):
    __doc__ = "Skip-gram with negative sampling.\n" + _PARAMS_DOC

    def forward(self, contexts, target, negatives=None):
        """Loss of predicting every context word from the target's vector.

        Parameters
        ----------
        contexts : ndarray of int, shape (batch, 2 * window_size)
        target : ndarray of int, shape (batch,)
        negatives : ndarray of int, shape (batch, 2 * window_size, sample_size), optional
            Explicit negatives: ``negatives[b, i]`` are the negatives of the
            positive pair ``(target[b], contexts[b, i])``; used as given.

        Returns
        -------
        float
            ``sum_i mean_b [BCE(h_b . W_out[contexts_bi], 1)
            + sum_j BCE(h_b . W_out[negatives_bij], 0)]`` with
            ``h_b = W_in[target_b]``.
        """
        contexts, target = _check_batch(contexts, target, self.window_size)
        h = self.in_layer.forward(target)  # (batch, H)
        return self.ns_loss.forward(h, contexts, negatives)

    def backward(self, dout=1):
        """Fill ``grads`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        None
        """
        dh = self.ns_loss.backward(dout)  # summed over the 2w positions
        self.in_layer.backward(dh)
        return None
