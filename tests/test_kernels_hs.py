"""Hierarchical softmax in the kernels: the tree builder and a window step against the reference.

``fastw2v.huffman.build_tree`` is checked against the independent oracle
``fastw2v.reference.huffman_tree``; a kernel step
(``fastw2v.kernels.train_window`` with ``nodes`` and ``tree``) against
the reference layers in the kernel's order (:mod:`kernel_reference`):

* CBOW: ``h`` = mean of the context rows, the centre's path;
* skip-gram: ``h`` = the centre's row, each context word's path, in window
  order; the root is on every path, so each context word's nodes move
  before the next is scored;
* shared skip-gram: ``h`` = each context word's row, the centre's path.

With negative sampling on too, the two losses and their input gradients are
summed (gensim's ``hs=1, negative=k``).
"""

import numpy as np
import pytest

from fastw2v import reference
from fastw2v.huffman import build_tree
from fastw2v.kernels import hs_update, train_window

from kernel_reference import window_step
from trees import check_is_a_tree, zipf_counts

V, DIM, NEG = 40, 16, 3
LR = {"cbow": 0.05, "skipgram": 0.025, "skipgram_shared": 0.025}


# ---------------------------------------------------------------- the tree


@pytest.mark.parametrize("seed, n", [(0, 2), (1, 3), (2, 17), (3, 100), (4, 1000), (5, 5000)])
def test_build_tree_has_the_oracles_optimal_cost(seed, n):
    # Zipf counts are full of ties (many words seen once): the two builders
    # may break them differently, so the trees may differ, not their cost
    counts = zipf_counts(seed, n)
    tree = build_tree(counts)
    points, codes, lengths = reference.huffman_tree(counts)
    check_is_a_tree(tree.points, tree.codes, tree.lengths)
    assert tree.points.dtype == np.int32 and tree.codes.dtype == np.uint8
    assert tree.lengths.dtype == np.int32
    assert np.sum(counts * tree.lengths) == np.sum(counts * lengths)
    # rarer words never have shorter paths
    rarer = counts[:, None] < counts[None, :]
    assert not np.any(rarer & (tree.lengths[:, None] < tree.lengths[None, :]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_build_tree_without_ties_is_the_oracles_tree(seed):
    # counts spread over 1 .. 10**12: no two counts or merged weights tie
    # (a chance of about 1e-9), so Huffman's tree is unique and the
    # conventions (lighter subtree on branch 0, inner nodes numbered in
    # order of creation) fix every point and code
    rng = np.random.default_rng(seed)
    counts = np.unique(rng.integers(1, 10**12, size=300))
    counts = rng.permutation(counts)
    tree = build_tree(counts)
    points, codes, lengths = reference.huffman_tree(counts)
    np.testing.assert_array_equal(tree.lengths, lengths)
    np.testing.assert_array_equal(tree.points, points)
    np.testing.assert_array_equal(tree.codes, codes)


def test_build_tree_refuses_fewer_than_two_words():
    for counts in ([], [5]):
        with pytest.raises(ValueError):
            build_tree(np.array(counts, dtype=np.int64))


# ---------------------------------------------------------------- a window step


def problem(seed):
    rng = np.random.default_rng(seed)
    tree = build_tree(zipf_counts(seed, V, total=5_000))
    w_in = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    w_out = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    w_hs = (rng.standard_normal((V - 1, DIM)) * 0.3).astype(np.float32)
    ids = rng.permutation(V)
    return tree, w_in, w_out, w_hs, ids


def window(model, ids, ns, repeated=False):
    contexts, centre = ids[:4].copy(), ids[4]
    if repeated:
        contexts[2] = contexts[0]
    rows = 4 if model == "skipgram" else 1
    negatives = ids[5:5 + rows * NEG].reshape(rows, NEG) if ns else np.zeros((rows, 0), np.int64)
    return contexts, centre, negatives


def kernel_step(model, tree, w_in, w_out, w_hs, contexts, centre, negatives):
    syn0, syn1, nodes = w_in.copy(), w_out.copy(), w_hs.copy()
    words = np.concatenate([contexts[:2], [centre], contexts[2:]])
    loss = train_window(model, syn0, syn1, words, 2, negatives, LR[model], nodes=nodes, tree=tree)
    return loss, syn0, syn1, nodes


def reference_step(model, tree, w_in, w_out, w_hs, contexts, centre, negatives, ns):
    W_in, W_out, W_hs = (w.astype(np.float64) for w in (w_in, w_out, w_hs))
    loss = window_step(model, W_in, contexts, centre, negatives, LR[model],
                       W_out=W_out if ns else None, W_hs=W_hs, tree=tree)
    return loss, W_in, W_out, W_hs


@pytest.mark.parametrize("model", ["cbow", "skipgram", "skipgram_shared"])
@pytest.mark.parametrize("ns", [False, True], ids=["hs", "hs+ns"])
@pytest.mark.parametrize("repeated", [False, True], ids=["distinct", "repeated-context"])
@pytest.mark.parametrize("seed", [0, 1])
def test_hs_kernel_step_matches_the_reference(model, ns, repeated, seed):
    tree, w_in, w_out, w_hs, ids = problem(seed)
    contexts, centre, negatives = window(model, ids, ns, repeated)
    loss, syn0, syn1, nodes = kernel_step(model, tree, w_in, w_out, w_hs, contexts, centre,
                                          negatives)
    ref_loss, ref_in, ref_out, ref_hs = reference_step(model, tree, w_in, w_out, w_hs, contexts,
                                                       centre, negatives, ns)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, ref_in, atol=1e-6)
    np.testing.assert_allclose(nodes, ref_hs, atol=1e-6)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)
    if not ns:
        assert np.array_equal(syn1, w_out)  # negative sampling off: its matrix is not touched
    # exactly the nodes on the predicted paths move, the root among them
    predicted = [centre] if model != "skipgram" else list(contexts)
    on_paths = {int(p) for w in predicted for p in tree.points[w, :tree.lengths[w]]}
    moved = set(np.flatnonzero(np.any(nodes != w_hs, axis=1)).tolist())
    assert moved == on_paths and V - 2 in moved


def test_skipgram_hs_scores_each_context_after_the_previous_moved_the_root():
    # guards the order above: one simultaneous step on the window's summed
    # loss (reference.SkipGram) differs from the kernel by far more than the
    # tolerance, because every context word's path starts at the root
    tree, w_in, w_out, w_hs, ids = problem(0)
    contexts, centre, negatives = window("skipgram", ids, ns=False)
    _, syn0, _, nodes = kernel_step("skipgram", tree, w_in, w_out, w_hs, contexts, centre,
                                    negatives)
    model = reference.SkipGram(V, DIM, 2, None, sample_size=0, tree=tree,
                               W_in=w_in.astype(float), W_hs=w_hs.astype(float))
    model.forward(contexts[None], np.array([centre]))
    model.backward()
    reference.SGD(LR["skipgram"]).update(model.params, model.grads)
    assert np.abs(nodes - model.params[1]).max() > 1e-5


@pytest.mark.parametrize("ns", [False, True])
def test_cbow_order_is_the_reference_cbow_model_step(ns):
    # kernel_reference's CBOW is reference.CBOW's one SGD step, with the
    # input rows moved n_context times as far (the kernel adds the whole
    # gradient of h to every context row, as word2vec.c does)
    tree, w_in, w_out, w_hs, ids = problem(3)
    contexts, centre, negatives = window("cbow", ids, ns, repeated=True)
    _, ref_in, ref_out, ref_hs = reference_step("cbow", tree, w_in, w_out, w_hs, contexts, centre,
                                                negatives, ns)

    def model_step(lr):
        model = reference.CBOW(V, DIM, 2, np.arange(V), sample_size=NEG if ns else 0, tree=tree,
                               W_in=w_in.astype(float), W_out=w_out.astype(float) if ns else None,
                               W_hs=w_hs.astype(float))
        model.forward(contexts[None], np.array([centre]), negatives if ns else None)
        model.backward()
        reference.SGD(lr).update(model.params, model.grads)
        return model.params

    params = model_step(LR["cbow"])
    np.testing.assert_allclose(params[-1], ref_hs, atol=1e-12)
    if ns:
        np.testing.assert_allclose(params[1], ref_out, atol=1e-12)
    np.testing.assert_allclose(model_step(4 * LR["cbow"])[0], ref_in, atol=1e-12)


def test_hs_update_is_minus_lr_times_the_gradient_of_the_path_loss():
    tree, _, _, w_hs, _ = problem(4)
    rng = np.random.default_rng(4)
    h = (rng.standard_normal(DIM) * 0.5).astype(np.float32)
    w = int(np.argmax(tree.lengths))  # the longest path
    layer = reference.HierarchicalSoftmaxLoss(w_hs.astype(np.float64), tree)
    expected = layer.forward(h[None].astype(np.float64), np.array([w]))
    dh = layer.backward()[0]
    lr = np.float32(1e-3)
    # the nodes from `hot_from` up are read and written in a thread's own copy
    for hot_from in (w_hs.shape[0], w_hs.shape[0] - 4, 0):
        nodes, grad = w_hs.copy(), np.zeros(DIM, np.float32)
        hot = nodes[hot_from:].copy()
        scores = np.zeros(tree.points.shape[1], np.float32)
        loss = hs_update(h, nodes, hot, hot_from, tree.points[w], tree.codes[w], tree.lengths[w],
                         lr, grad, scores)
        assert np.array_equal(nodes[hot_from:], w_hs[hot_from:])  # only the copy moved there
        nodes[hot_from:] = hot
        assert loss == pytest.approx(expected, rel=1e-5)
        np.testing.assert_allclose(grad, -lr * dh, rtol=1e-4, atol=1e-8)
        # float32 rows moved by ~1e-4: their difference is good to ~1e-7
        np.testing.assert_allclose(nodes - w_hs, -lr * layer.grads[0], rtol=0, atol=1e-7)
    assert np.abs(nodes - w_hs).max() > 1e-5
