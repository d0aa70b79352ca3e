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

**Hierarchical softmax.** Given a Huffman tree (``tree=(points, codes,
lengths)``, :func:`.huffman.huffman_tree`) the models also own the inner-node
matrix :math:`W_{hs}` (vocab_size - 1, hidden_size) and add the
HierarchicalSoftmaxLoss of the same ``h`` against the same output word(s):
``HS(h, target)`` for CBOW, ``HS(h, contexts)`` for skip-gram.
``sample_size=0`` switches negative sampling off (no :math:`W_{out}`); with
both on, the two losses and their gradients are summed, as gensim does
(``hs=1, negative=k``): one SGD step on the sum moves :math:`W_{out}` and
:math:`W_{hs}` by their own gradients and the input rows by the sum of both.
"""

import numpy as np

from .hierarchical_softmax import HierarchicalSoftmaxLoss
from .layers import Embedding
from .negative_sampling import NegativeSamplingLoss

# The textbook's initial scale: small enough that sigma(h . w) starts near
# 1/2 for every pair (no early saturation), large enough to break symmetry.
INIT_SCALE = 0.01


def _init_matrices(vocab_size, hidden_size, seed, W_in, W_out, W_hs=None, ns=True, hs=False):
    """Return copies of the given matrices, or ``0.01 * randn`` float32 ones.

    Without a `seed` the global ``np.random`` state is used, as in the book;
    an int or ``np.random.Generator`` gives a private, reproducible stream.
    ``W_out`` is made only with `ns`, ``W_hs`` (vocab_size - 1 rows) only
    with `hs`; the random matrices are drawn in the order ``W_in, W_out,
    W_hs``, so a model with HS added starts from the same ``W_in`` and
    ``W_out`` as without. Returns ``[W_in, W_out or None, W_hs or None]``.
    """
    if seed is None:
        # Same stream as the book's np.random.randn(V, H).
        randn = np.random.standard_normal
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        randn = rng.standard_normal
    square = (vocab_size, hidden_size)
    out = []
    for name, given, wanted, shape in (("W_in", W_in, True, square), ("W_out", W_out, ns, square),
                                       ("W_hs", W_hs, hs, (vocab_size - 1, hidden_size))):
        if not wanted:
            if given is not None:
                raise ValueError(f"{name} is given but its loss is off")
            out.append(None)
            continue
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
    """Shared construction: matrices, input Embedding, the output losses."""

    def __init__(self, vocab_size, hidden_size, window_size, corpus, *,
                 sample_size=5, power=0.75, seed=None, W_in=None, W_out=None, tree=None,
                 W_hs=None):
        sample_size = int(sample_size)
        if sample_size < 0:
            raise ValueError(f"sample_size must be >= 0, got {sample_size}")
        if sample_size == 0 and tree is None:
            raise ValueError("sample_size=0 without a tree leaves no loss to train")
        ns, hs = sample_size > 0, tree is not None
        W_in, W_out, W_hs = _init_matrices(vocab_size, hidden_size, seed, W_in, W_out, W_hs,
                                           ns=ns, hs=hs)
        self.window_size = int(window_size)
        self.in_layer = Embedding(W_in)
        self.ns_loss = self.hs_loss = None
        self.params, self.grads = list(self.in_layer.params), list(self.in_layer.grads)
        if ns:
            self.ns_loss = NegativeSamplingLoss(W_out, corpus, power=power, sample_size=sample_size)
            self.params += self.ns_loss.params
            self.grads += self.ns_loss.grads
        if hs:
            self.hs_loss = HierarchicalSoftmaxLoss(W_hs, tree)
            if self.hs_loss.lengths.shape[0] != vocab_size:
                raise ValueError(f"the tree has {self.hs_loss.lengths.shape[0]} leaves, "
                                 f"expected vocab_size={vocab_size}")
            self.params += self.hs_loss.params
            self.grads += self.hs_loss.grads
        self.word_vecs = W_in

    def _output_forward(self, h, target, negatives):
        """Summed loss of the enabled output layers for hidden `h` and `target`."""
        loss = 0.0
        if self.ns_loss is not None:
            loss += self.ns_loss.forward(h, target, negatives)
        elif negatives is not None and np.asarray(negatives).size:
            raise ValueError("negatives given but negative sampling is off (sample_size=0)")
        if self.hs_loss is not None:
            loss += self.hs_loss.forward(h, target)
        return loss

    def _output_backward(self, dout):
        """Sum of the enabled output layers' ``dh``; fills their grads."""
        dh = 0
        for layer in (self.ns_loss, self.hs_loss):
            if layer is not None:
                dh = dh + layer.backward(dout)
        return dh


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
        Negatives per positive; 0 switches negative sampling off (then
        `tree` is required and `corpus` unused).
    power : float, default 0.75
    seed : int or numpy.random.Generator, optional
        Source for the initial weights; ``None`` uses the global ``np.random``
        like the textbook. Negative sampling always uses ``np.random``.
    W_in, W_out : ndarray, shape (vocab_size, hidden_size), optional
        Exact initial matrices (copied, dtype kept). Default:
        ``0.01 * randn`` as float32. No `W_out` when ``sample_size=0``.
    tree : tuple of (points, codes, lengths), optional
        A Huffman tree over the vocabulary (:func:`fastw2v.reference.huffman_tree`):
        adds hierarchical softmax.
    W_hs : ndarray, shape (vocab_size - 1, hidden_size), optional
        Exact initial inner-node matrix (copied, dtype kept); only with
        `tree`. Default: ``0.01 * randn`` as float32, drawn after the others.

    Attributes
    ----------
    params : list of ndarray
        ``[W_in, W_out]``; ``W_out`` only with negative sampling, and
        ``W_hs`` appended with hierarchical softmax.
    grads : list of ndarray
        The gradients of ``params`` in the same order, overwritten in place
        by ``backward``.
    ns_loss : NegativeSamplingLoss or None
    hs_loss : HierarchicalSoftmaxLoss or None
    word_vecs : ndarray, shape (vocab_size, hidden_size)
        ``W_in`` (the same object, so it reflects training).
"""


class CBOW(_Word2VecModel):
    __doc__ = ("Continuous bag of words with negative sampling and/or hierarchical softmax.\n"
               + _PARAMS_DOC)

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
            ``h_b = mean_i W_in[contexts_bi]``, plus ``mean_b HS(h_b,
            target_b)`` with a tree.
        """
        contexts, target = _check_batch(contexts, target, self.window_size)
        h = self.in_layer.forward(contexts).mean(axis=1)  # (batch, H)
        return self._output_forward(h, target, negatives)

    def backward(self, dout=1):
        """Fill ``grads`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        None
        """
        dh = self._output_backward(dout)  # (batch, H)
        n_context = self.in_layer.idx.shape[1]
        # d mean / d row = 1 / 2w for every context row; np.add.at inside the
        # Embedding sums the shares of repeated context ids.
        dctx = np.broadcast_to((dh / n_context)[:, None, :], self.in_layer.idx.shape + dh.shape[1:])
        self.in_layer.backward(dctx)
        return None


class SkipGram(_Word2VecModel):
    __doc__ = "Skip-gram with negative sampling and/or hierarchical softmax.\n" + _PARAMS_DOC

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
            ``h_b = W_in[target_b]``, plus ``sum_i mean_b HS(h_b,
            contexts_bi)`` with a tree.
        """
        contexts, target = _check_batch(contexts, target, self.window_size)
        h = self.in_layer.forward(target)  # (batch, H)
        return self._output_forward(h, contexts, negatives)

    def backward(self, dout=1):
        """Fill ``grads`` in place.

        Parameters
        ----------
        dout : float, default 1

        Returns
        -------
        None
        """
        dh = self._output_backward(dout)  # summed over the 2w positions (and both losses)
        self.in_layer.backward(dh)
        return None
