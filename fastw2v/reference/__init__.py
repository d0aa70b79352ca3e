r"""The textbook NumPy word2vec: correctness oracle and speed baseline.

This subpackage is a fresh, layer-by-layer NumPy implementation of the
"word2vec speed-up" design (CBOW and skip-gram with an ``Embedding`` input
layer and negative sampling or hierarchical softmax). It exists for two
reasons:

1. it is the *oracle* for the Numba kernels: every layer has an analytic
   gradient that the tests check against central differences, and the models
   accept explicit negative samples so a kernel step and a reference step can
   be fed identical inputs;
2. it is the *baseline* the throughput benchmark compares words/sec against,
   so it is vectorised over the minibatch (one gather per batch, one
   ``np.add.at`` scatter per matrix) rather than written as a strawman.

It is pure NumPy and imports nothing from the fast path (and never Numba).

The maths, in three steps (and an alternative to the second)
------------------------------------------------------------
**Embedding instead of a one-hot MatMul.** The naive network multiplies a
one-hot row vector :math:`x \in \{0, 1\}^V` by :math:`W_{in} \in
\mathbb{R}^{V \times H}`. Because :math:`x` has a single 1 at index
:math:`i`, :math:`x W_{in}` is just row :math:`i` of :math:`W_{in}`, so the
:math:`O(VH)` product is replaced by an :math:`O(H)` row lookup. Backward,
:math:`\partial L / \partial W_{in} = x^\top \, \delta` is zero except on row
:math:`i`, which receives :math:`\delta`; with a minibatch the same id can
appear several times and its contributions must be *added* (``np.add.at``),
never overwritten.

**Negative sampling instead of the softmax.** A softmax over the whole
vocabulary costs :math:`O(VH)` per example for the output scores and their
normaliser. Negative sampling replaces the :math:`V`-way classification by
:math:`1 + k` binary ones: "is word :math:`o` the true target?" for the
target (label 1) and for :math:`k` words drawn from a noise distribution
(label 0). With :math:`s_o = h \cdot W_{out}[o]` and :math:`\sigma` the
logistic function the loss per example is

.. math::

    L = -\log \sigma(s_{target}) - \sum_{j=1}^{k} \log \sigma(-s_{neg_j}),

which touches only :math:`1 + k` rows of :math:`W_{out}`, and its gradient
with respect to each score is simply :math:`\sigma(s) - t`.

**Why** ``counts ** 0.75``. Negatives are drawn from the unigram distribution
raised to the power 0.75 and renormalised. Sampling by raw frequency would
spend almost all negatives on a handful of very frequent function words;
uniform sampling would waste them on rare words that carry little signal.
The exponent 0.75 (found empirically by Mikolov et al.) flattens the
distribution in between: it raises the probability of rare words relative to
frequent ones while keeping the ranking.

**Hierarchical softmax instead of negative sampling** (or with it). The
words are the leaves of a Huffman tree of their counts; predicting word
:math:`w` is a walk of :math:`\ell_w \approx \log_2 V` binary decisions
down its path, each a logistic unit with its own inner-node vector, and the
loss is the sum of their binary cross-entropies (:mod:`.hierarchical_softmax`).
The leaf probabilities sum to 1 exactly, with no sampling; frequent words
have the shortest paths.

Modules
-------
``layers``               Embedding, EmbeddingDot, SigmoidWithLoss, sigmoid
``sampler``              UnigramSampler
``negative_sampling``    NegativeSamplingLoss
``huffman``              huffman_tree (points, codes, lengths of each word's path)
``hierarchical_softmax`` HierarchicalSoftmaxLoss
``models``               CBOW, SkipGram
``optimizers``           SGD, Adam
``trainer``              Trainer, remove_duplicate, clip_grads
``text``                 preprocess, create_contexts_target
``similarity``           normalize, cos_similarity, most_similar, analogy
"""

from .hierarchical_softmax import HierarchicalSoftmaxLoss
from .huffman import huffman_tree
from .layers import Embedding, EmbeddingDot, SigmoidWithLoss, sigmoid
from .models import CBOW, SkipGram
from .negative_sampling import NegativeSamplingLoss
from .optimizers import SGD, Adam
from .sampler import UnigramSampler
from .similarity import analogy, cos_similarity, most_similar, normalize
from .text import create_contexts_target, preprocess
from .trainer import Trainer, clip_grads, remove_duplicate

__all__ = [
    "Adam",
    "CBOW",
    "Embedding",
    "EmbeddingDot",
    "HierarchicalSoftmaxLoss",
    "NegativeSamplingLoss",
    "SGD",
    "SigmoidWithLoss",
    "SkipGram",
    "Trainer",
    "UnigramSampler",
    "analogy",
    "clip_grads",
    "cos_similarity",
    "create_contexts_target",
    "most_similar",
    "normalize",
    "preprocess",
    "huffman_tree",
    "remove_duplicate",
    "sigmoid",
]
