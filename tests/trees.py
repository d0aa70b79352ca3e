"""Huffman-tree checks shared by the tests of the reference oracle and of fastw2v.huffman."""

import itertools

import numpy as np


def zipf_counts(seed, V, total=10_000):
    """Zipf-like counts with ties and ones among them (rounded, at least 1)."""
    rng = np.random.default_rng(seed)
    counts = np.maximum(1, np.round(total / np.arange(1, V + 1) ** rng.uniform(0.8, 1.3)))
    return rng.permutation(counts.astype(np.int64))  # ids in no particular order


def two_queue_optimum(counts):
    """Least ``sum(count * depth)`` of a binary tree over ``counts``: sum of merge weights.

    The linear-time two-queue form of Huffman's algorithm (word2vec.c's):
    leaves sorted ascending in one queue, merged weights, which come out
    ascending, in the other; no heap.
    """
    leaves = sorted(int(c) for c in counts)
    merged = []
    i = j = 0
    cost = 0

    def pop():
        nonlocal i, j
        if j >= len(merged) or (i < len(leaves) and leaves[i] <= merged[j]):
            i += 1
            return leaves[i - 1]
        j += 1
        return merged[j - 1]

    for _ in range(len(leaves) - 1):
        weight = pop() + pop()
        cost += weight
        merged.append(weight)
    return cost


def brute_force_optimum(counts):
    """Least ``sum(count * length)`` over all length vectors of a prefix code (Kraft sum <= 1)."""
    V = len(counts)
    best = None
    for lengths in itertools.product(range(1, V), repeat=V):
        if sum(2.0 ** -l for l in lengths) <= 1.0:
            cost = sum(int(c) * l for c, l in zip(counts, lengths))
            best = cost if best is None else min(best, cost)
    return best


def check_is_a_tree(points, codes, lengths):
    """The paths describe one full binary tree with the word2vec.c numbering."""
    V = lengths.shape[0]
    L = points.shape[1]
    assert points.shape == codes.shape == (V, L) and L == lengths.max()
    assert lengths.min() >= 1 and lengths.max() <= V - 1
    assert np.all(points[:, 0] == V - 2)  # every path starts at the root
    node_of_prefix = {}
    for w in range(V):
        n = lengths[w]
        assert np.all(points[w, n:] == 0) and np.all(codes[w, n:] == 0)  # padding
        assert set(codes[w, :n].tolist()) <= {0, 1}
        # inner node k is made by the k-th merge, after its children
        assert np.all(np.diff(points[w, :n]) < 0)
        for d in range(n):
            # the node reached by a branch sequence is the same for every word
            key = tuple(codes[w, :d].tolist())
            assert node_of_prefix.setdefault(key, points[w, d]) == points[w, d]
    # V - 1 distinct prefixes are the V - 1 distinct inner nodes
    assert len(node_of_prefix) == V - 1
    assert sorted(node_of_prefix.values()) == list(range(V - 1))
    # prefix-free: sorted, a code that is a prefix of another sorts right before one it prefixes
    words = sorted("".join(map(str, codes[w, :lengths[w]])) for w in range(V))
    assert all(not b.startswith(a) for a, b in zip(words, words[1:]))
    # full tree: Kraft's sum is exactly 1
    assert np.sum(2.0 ** -lengths.astype(np.float64)) == 1.0
