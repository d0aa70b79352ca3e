"""The Huffman tree of hierarchical softmax: every word's path of inner nodes and branches.

Hierarchical softmax (Morin and Bengio, 2005; Mikolov et al., 2013) replaces
the V-way softmax by a binary tree with the words at its leaves: the
probability of a word is the product of the binary decisions on its path
from the root, each a logistic regression on one inner node's vector. With
a Huffman tree over the word counts (word2vec.c's choice) frequent words
have short paths, so the expected cost of an example is the entropy of the
unigram distribution in nodes, about 15-20 for English vocabularies of
10^4-10^6 words, instead of V.

Conventions (word2vec.c's): V leaves, V - 1 inner nodes numbered
``0 .. V-2`` with the root ``V - 2``; word ``w``'s path is
``points[w, :lengths[w]]``, root first, and ``codes[w, d]`` is the branch
taken below ``points[w, d]``. The binary decision at that node predicts
label ``1 - codes[w, d]`` (word2vec.c's ``g = (1 - code - f) * alpha``).
"""

from collections import namedtuple

import numpy as np
from numba import njit

HuffmanTree = namedtuple("HuffmanTree", ["points", "codes", "lengths"])
HuffmanTree.__doc__ = """Every word's path in the Huffman tree (conventions in :mod:`fastw2v.huffman`).

Attributes
----------
points : ndarray of int32, shape (V, L)
    Inner nodes from the root down to the word's parent; padded with 0.
codes : ndarray of uint8, shape (V, L)
    Branch taken at each of those nodes (0 or 1); padded with 0.
lengths : ndarray of int32, shape (V,)
    Path lengths; ``L = lengths.max()``.
"""


@njit(cache=True)
def _merge(sorted_counts):
    """Build the tree over counts sorted ascending: parents and branch bits of all nodes.

    The classic two-queue construction, linear after the sort: leaves wait in
    ascending order, and inner nodes are created in ascending order of count,
    so the two smallest nodes are always at the heads of the two queues. A
    leaf is taken before an inner node only when strictly smaller (as in
    word2vec.c). Node ids: leaf ``i`` is the ``i``-th smallest word, inner
    node ``k`` is ``V + k``; the last one created, ``2V - 2``, is the root.
    The second node taken at each merge gets branch bit 1.
    """
    v = sorted_counts.shape[0]
    inner = np.empty(v - 1, dtype=np.int64)
    parent = np.empty(2 * v - 1, dtype=np.int64)
    bit = np.zeros(2 * v - 1, dtype=np.uint8)
    leaf = 0
    head = 0
    for k in range(v - 1):
        for side in range(2):
            if leaf < v and (head >= k or sorted_counts[leaf] < inner[head]):
                node, count = leaf, sorted_counts[leaf]
                leaf += 1
            else:
                node, count = v + head, inner[head]
                head += 1
            if side == 0:
                first, total = node, count
            else:
                total += count
                bit[node] = 1
        inner[k] = total
        parent[first] = v + k
        parent[node] = v + k
    return parent, bit


@njit(cache=True)
def _paths(parent, bit, order):
    """Root-first paths of every word from the merge's parents and bits.

    ``order[i]`` is the word at leaf ``i``. Depths come first (a node's
    parent has a larger id, so one pass from the root down sets them all),
    then each word's path is written from its leaf upwards.
    """
    v = order.shape[0]
    root = 2 * v - 2
    depth = np.zeros(2 * v - 1, dtype=np.int64)
    for node in range(root - 1, -1, -1):
        depth[node] = depth[parent[node]] + 1
    longest = 0
    for i in range(v):
        longest = max(longest, depth[i])
    points = np.zeros((v, max(longest, 1)), dtype=np.int32)
    codes = np.zeros((v, max(longest, 1)), dtype=np.uint8)
    lengths = np.empty(v, dtype=np.int32)
    for i in range(v):
        w = order[i]
        lengths[w] = depth[i]
        node = i
        d = depth[i]
        while node != root:
            d -= 1
            codes[w, d] = bit[node]
            points[w, d] = parent[node] - v
            node = parent[node]
    return points, codes, lengths


def build_tree(counts):
    """The Huffman tree of ``counts`` (any order; ties broken by word id).

    Parameters
    ----------
    counts : array of int, shape (V,), V >= 2

    Returns
    -------
    HuffmanTree

    Examples
    --------
    >>> tree = build_tree([5, 3, 1, 1])
    >>> tree.lengths.tolist()
    [1, 2, 3, 3]
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1:
        raise ValueError(f"counts must be 1-D, not of shape {counts.shape}")
    if counts.shape[0] < 2:  # a tree of one word has no inner node to train
        raise ValueError(f"hierarchical softmax needs a vocabulary of at least 2 words, "
                         f"not {counts.shape[0]}")
    # ascending by count, and among equal counts the higher id first: the
    # order in which word2vec.c, walking its count-sorted vocabulary from the
    # end, takes the leaves
    order = np.lexsort((-np.arange(counts.shape[0]), counts))
    parent, bit = _merge(counts[order])
    return HuffmanTree(*_paths(parent, bit, order.astype(np.int64)))
