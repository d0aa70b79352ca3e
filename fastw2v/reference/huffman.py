r"""Huffman tree of the vocabulary: the paths of hierarchical softmax.

Hierarchical softmax (Morin & Bengio, 2005; Mikolov et al., 2013) replaces
the V-way softmax by a walk down a binary tree whose V leaves are the words:
predicting word :math:`w` means taking the right branch at each of the
inner nodes on its path, one binary decision per node. Built by Huffman's
algorithm on the word counts, the tree gives frequent words short paths, so
the expected cost per example is the entropy-optimal
:math:`\sum_w p_w \, \ell_w` node visits (about :math:`\log_2 V` for a flat
distribution, fewer for a Zipfian one).

Huffman's algorithm: start with the V leaves as V one-node trees weighted by
their counts; repeatedly take the two lightest trees off a heap and join
them under a new inner node whose weight is their sum, until one tree is
left. Every merge adds its weight to the depth-weighted total, so the total
cost :math:`\sum_w c_w \ell_w` equals the sum of the merged weights, and no
binary tree has a smaller one.

Conventions (those of word2vec.c, which the kernels follow):

* the ``k``-th merge creates inner node ``k``, so the V - 1 inner nodes are
  numbered ``0 .. V-2`` in creation order and the root, made last, is
  ``V - 2``; inner node ``k`` is row ``k`` of the (V - 1, dim) output matrix;
* of the two trees joined, the lighter (popped first) hangs on branch 0 and
  the other on branch 1;
* ``points[w, :lengths[w]]`` lists the inner nodes from the root down to
  ``w``'s parent and ``codes[w, d]`` the branch taken at ``points[w, d]``;
  the label of that binary decision is ``1 - codes[w, d]``.

Ties between equal weights are broken by creation order (leaves by id, then
inner nodes by number); another builder may break them differently and get
a different tree of the same optimal cost.

This module is the oracle for :mod:`fastw2v.huffman`: plain ``heapq``,
written independently of it.
"""

import heapq

import numpy as np


def huffman_tree(counts):
    """Build the Huffman tree of `counts`.

    Parameters
    ----------
    counts : array_like of int or float, shape (V,)
        Non-negative word counts, ``V >= 2``.

    Returns
    -------
    points : ndarray of int32, shape (V, L)
        ``points[w, :lengths[w]]`` are the inner nodes (0 .. V-2) on the path
        of word ``w``, root (``V - 2``) first; padded with 0.
    codes : ndarray of uint8, shape (V, L)
        ``codes[w, d]`` in {0, 1} is the branch taken at ``points[w, d]``;
        padded with 0.
    lengths : ndarray of int32, shape (V,)
        Path lengths, ``1 <= lengths[w] <= V - 1``; ``L = max(lengths)``.

    Raises
    ------
    ValueError
        If `counts` is not 1-D, has fewer than 2 entries, or has a negative
        or non-finite entry.
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or counts.shape[0] < 2:
        raise ValueError(f"a Huffman tree needs a 1-D array of at least 2 counts, "
                         f"got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("counts must be finite and non-negative")
    V = counts.shape[0]
    # Heap entries (weight, tie, node); leaves are nodes 0..V-1 and inner
    # node k is node V + k. `tie` is the node number, so equal weights pop
    # leaves by id first, then inner nodes by age.
    heap = [(counts[w].item(), w, w) for w in range(V)]
    heapq.heapify(heap)
    parent = np.empty(2 * V - 1, dtype=np.int64)
    branch = np.zeros(2 * V - 1, dtype=np.uint8)
    for k in range(V - 1):
        weight0, _, node0 = heapq.heappop(heap)
        weight1, _, node1 = heapq.heappop(heap)
        parent[node0], branch[node0] = V + k, 0
        parent[node1], branch[node1] = V + k, 1
        heapq.heappush(heap, (weight0 + weight1, V + k, V + k))
    root = 2 * V - 2
    paths = []
    for w in range(V):
        # Walk up from the leaf, then reverse: root first.
        nodes, bits = [], []
        node = w
        while node != root:
            nodes.append(parent[node] - V)
            bits.append(branch[node])
            node = parent[node]
        paths.append((nodes[::-1], bits[::-1]))
    lengths = np.array([len(nodes) for nodes, _ in paths], dtype=np.int32)
    L = int(lengths.max())
    points = np.zeros((V, L), dtype=np.int32)
    codes = np.zeros((V, L), dtype=np.uint8)
    for w, (nodes, bits) in enumerate(paths):
        points[w, : len(nodes)] = nodes
        codes[w, : len(bits)] = bits
    return points, codes, lengths
