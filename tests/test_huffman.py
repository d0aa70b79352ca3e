"""The compiled Huffman builder of hierarchical softmax."""

import heapq

import numpy as np
import pytest

from fastw2v.huffman import build_tree


def optimal_cost(counts):
    """sum(count x code length) of any Huffman code: the sum of all merge costs (heapq)."""
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paths_form_an_optimal_prefix_code_rooted_at_v_minus_2(seed):
    rng = np.random.default_rng(seed)
    counts = np.minimum(rng.zipf(1.4, size=3000), 10**6)
    rng.shuffle(counts)  # any order: a vocabulary update appends words unsorted
    tree = build_tree(counts)
    v = counts.size
    assert (tree.lengths * counts).sum() == optimal_cost(counts)
    assert (tree.points[:, 0] == v - 2).all()
    assert tree.points.max() == v - 2 and tree.points.min() >= 0
    codes = {tuple(tree.codes[w, :tree.lengths[w]]) for w in range(v)}
    assert len(codes) == v  # distinct ...
    for w in range(0, v, 97):  # ... and no code is a prefix of another
        code = tuple(tree.codes[w, :tree.lengths[w]])
        assert not any(code[:k] in codes for k in range(1, len(code)))
    # a node's children: the two branches below every inner node lead to distinct subtrees
    for w in range(0, v, 50):
        for d in range(1, tree.lengths[w]):
            assert tree.points[w, d] < tree.points[w, d - 1]  # created before its parent


def test_frequent_words_get_shorter_paths():
    counts = np.array([1000, 500, 100, 50, 10, 5, 1, 1])
    tree = build_tree(counts)
    assert (np.diff(tree.lengths) >= 0).all()
    assert tree.lengths[0] == 1 and tree.lengths[-1] == tree.lengths.max()


def test_two_words_and_too_few():
    tree = build_tree([3, 1])
    assert tree.lengths.tolist() == [1, 1] and tree.points[:, 0].tolist() == [0, 0]
    assert sorted(tree.codes[:, 0].tolist()) == [0, 1]
    with pytest.raises(ValueError, match="needs a vocabulary of at least 2 words, not 1$"):
        build_tree([5])
    with pytest.raises(ValueError, match=r"counts must be 1-D, not of shape \(2, 2\)"):
        build_tree([[1, 2], [3, 4]])
