"""Hierarchical softmax in the NumPy reference: the Huffman oracle, the loss, the models.

The Huffman tree is checked against what makes it one (a full binary tree:
consistent, prefix-free paths from one root) and against an optimum computed
two other ways; the loss against its formula, against ``-log p(w | h)`` of a
distribution that sums to 1 over the leaves, and against central
differences; the models end to end by central differences on every matrix.
"""

import numpy as np
import pytest

from fastw2v.reference import (
    CBOW,
    HierarchicalSoftmaxLoss,
    NegativeSamplingLoss,
    SkipGram,
    huffman_tree,
)

from trees import brute_force_optimum, check_is_a_tree, two_queue_optimum, zipf_counts

TOL = 1e-7  # float64 central differences with eps=1e-6 are good to ~1e-9


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of scalar ``f()`` with respect to array ``x`` (perturbed in place)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        orig = x[i]
        x[i] = orig + eps
        f_plus = f()
        x[i] = orig - eps
        f_minus = f()
        x[i] = orig
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


# ---------------------------------------------------------------- Huffman tree


def test_huffman_tree_of_a_small_vocabulary_by_hand():
    # merges: (w3, w4) -> node 0 (2); (w2, node 0) -> node 1 (4);
    # (w1, node 1) -> node 2 (7); (w0, node 2) -> node 3, the root (12)
    points, codes, lengths = huffman_tree([5, 3, 2, 1, 1])
    assert lengths.tolist() == [1, 2, 3, 4, 4]
    assert points.tolist() == [[3, 0, 0, 0], [3, 2, 0, 0], [3, 2, 1, 0], [3, 2, 1, 0], [3, 2, 1, 0]]
    assert codes.tolist() == [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    assert points.dtype == np.int32 and codes.dtype == np.uint8 and lengths.dtype == np.int32
    points, codes, lengths = huffman_tree([7, 7])
    assert points.tolist() == [[0], [0]] and codes.tolist() == [[0], [1]]
    assert lengths.tolist() == [1, 1]


@pytest.mark.parametrize("counts", [[], [5], [[1, 2], [3, 4]], [3, -1, 2], [1.0, np.nan]])
def test_huffman_tree_refuses_bad_counts(counts):
    with pytest.raises(ValueError):
        huffman_tree(np.array(counts, dtype=float))


@pytest.mark.parametrize("seed, V", [(0, 2), (1, 3), (2, 6), (3, 17), (4, 100), (5, 1000)])
def test_huffman_tree_is_a_prefix_code_of_optimal_cost(seed, V):
    counts = zipf_counts(seed, V)
    points, codes, lengths = huffman_tree(counts)
    check_is_a_tree(points, codes, lengths)
    assert int(np.sum(counts * lengths)) == two_queue_optimum(counts)
    # rarer words never have shorter paths (else swapping two would cost less)
    rarer = counts[:, None] < counts[None, :]
    assert not np.any(rarer & (lengths[:, None] < lengths[None, :]))
    if V > 2:
        assert lengths[np.argmin(counts)] > lengths[np.argmax(counts)]


@pytest.mark.parametrize("counts", [[1, 1, 1, 1], [10, 1, 1, 1, 1, 1], [4, 4, 3, 2, 2, 1],
                                    [100, 50, 20, 10, 5, 1], [1, 2, 3, 5, 8]])
def test_huffman_cost_equals_brute_force_optimum(counts):
    _, _, lengths = huffman_tree(counts)
    assert int(np.sum(np.array(counts) * lengths)) == brute_force_optimum(counts)
    assert two_queue_optimum(counts) == brute_force_optimum(counts)


def test_the_tree_checks_can_fail():
    # a balanced code is a prefix code, but not of optimal cost for skewed counts
    counts = np.array([100, 50, 20, 10])
    assert np.sum(counts * 2) != two_queue_optimum(counts)
    # and a flipped branch makes a code that no longer describes a tree
    points, codes, lengths = huffman_tree(counts)
    bad = codes.copy()
    bad[0, 0] = 1 - bad[0, 0]  # word 0's code becomes a prefix of another's
    with pytest.raises(AssertionError):
        check_is_a_tree(points, bad, lengths)


# ---------------------------------------------------------------- loss


def hs_problem(seed, V=9, dim=4, batch=5):
    rng = np.random.default_rng(seed)
    counts = zipf_counts(seed, V, total=200)
    tree = huffman_tree(counts)
    W = 0.7 * rng.standard_normal((V - 1, dim))
    h = rng.standard_normal((batch, dim))
    return rng, tree, W, h


def path_loss(h, W, tree, w):
    """``-log p(w | h)`` written out node by node, label ``1 - code``."""
    points, codes, lengths = tree
    loss = 0.0
    for d in range(lengths[w]):
        f = h @ W[points[w, d]]
        y = 1 - int(codes[w, d])
        loss += np.logaddexp(0, -f) if y == 1 else np.logaddexp(0, f)
    return loss


def test_hs_loss_matches_its_formula_and_is_a_distribution_over_words():
    rng, tree, W, h = hs_problem(0)
    V = tree[2].shape[0]
    target = np.array([0, 3, 3, 8, 5])  # a repeated target
    layer = HierarchicalSoftmaxLoss(W, tree)
    loss = layer.forward(h, target)
    expected = sum(path_loss(h[b], W, tree, w) for b, w in enumerate(target)) / 5
    assert loss == pytest.approx(expected, rel=1e-12)
    # p(w | h) = exp(-loss) sums to 1 over the leaves, for any h
    for b in range(5):
        p = [np.exp(-path_loss(h[b], W, tree, w)) for w in range(V)]
        assert sum(p) == pytest.approx(1.0, rel=1e-12)
    # a (batch, m) target is the sum of its m columns' losses
    targets = rng.integers(0, V, size=(5, 3))
    total = layer.forward(h, targets)
    columns = sum(HierarchicalSoftmaxLoss(W, tree).forward(h, targets[:, i]) for i in range(3))
    assert total == pytest.approx(columns, rel=1e-12)


@pytest.mark.parametrize("target_shape", [(5,), (5, 3)])
def test_hs_loss_gradient_check(target_shape):
    rng, tree, W, h = hs_problem(1)
    target = rng.integers(0, 9, size=target_shape)
    target.flat[1] = target.flat[0]  # repeated target: its path's rows accumulate
    layer = HierarchicalSoftmaxLoss(W, tree)
    layer.forward(h, target)
    dh = layer.backward(1.5)
    dW = layer.grads[0].copy()
    f = lambda: 1.5 * layer.forward(h, target)  # noqa: E731
    assert rel_error(dh, numerical_gradient(f, h)) < TOL
    assert rel_error(dW, numerical_gradient(f, W)) < TOL
    assert dh.dtype == np.float64 and np.any(dW != 0)


def test_hs_loss_keeps_float32_and_validates():
    _, tree, W, h = hs_problem(2)
    layer = HierarchicalSoftmaxLoss(W.astype(np.float32), tree)
    layer.forward(h.astype(np.float32), np.array([1, 2, 3, 4, 5]))
    assert layer.backward().dtype == np.float32 and layer.grads[0].dtype == np.float32
    with pytest.raises(ValueError):
        HierarchicalSoftmaxLoss(np.zeros((9, 4)), tree)  # V rows, not V - 1
    with pytest.raises(ValueError):
        layer.forward(h, np.zeros((4,), dtype=int))  # batch mismatch


# ---------------------------------------------------------------- models


def model_problem(seed, vocab=7, dim=4, batch=5, window=2, k=3):
    rng = np.random.default_rng(seed)
    corpus = rng.integers(0, vocab, size=200)
    corpus[:vocab] = np.arange(vocab)
    tree = huffman_tree(np.bincount(corpus, minlength=vocab))
    W_in = 0.5 * rng.standard_normal((vocab, dim))
    W_out = 0.5 * rng.standard_normal((vocab, dim))
    W_hs = 0.5 * rng.standard_normal((vocab - 1, dim))
    contexts = rng.integers(0, vocab, size=(batch, 2 * window))
    contexts[0, :] = 3  # a row made of one repeated id
    target = rng.integers(0, vocab, size=batch)
    return rng, corpus, tree, W_in, W_out, W_hs, contexts, target


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
@pytest.mark.parametrize("sample_size", [0, 3])
def test_model_with_hs_gradient_check(model_cls, sample_size):
    rng, corpus, tree, W_in, W_out, W_hs, contexts, target = model_problem(5)
    negatives = None
    if sample_size:
        shape = (5, sample_size) if model_cls is CBOW else (5, 4, sample_size)
        negatives = rng.integers(0, 7, size=shape)
    model = model_cls(7, 4, 2, corpus, sample_size=sample_size, tree=tree, W_in=W_in,
                      W_out=W_out if sample_size else None, W_hs=W_hs)
    assert len(model.params) == (3 if sample_size else 2)
    assert model.params[-1].shape == (6, 4) and model.hs_loss is not None
    assert (model.ns_loss is None) == (sample_size == 0)
    model.forward(contexts, target, negatives)
    model.backward()
    analytic = [g.copy() for g in model.grads]
    f = lambda: model.forward(contexts, target, negatives)  # noqa: E731
    for param, grad in zip(model.params, analytic):
        assert param.dtype == np.float64 and np.any(grad != 0)
        assert rel_error(grad, numerical_gradient(f, param)) < TOL


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_ns_plus_hs_is_the_sum_of_the_two_models(model_cls):
    rng, corpus, tree, W_in, W_out, W_hs, contexts, target = model_problem(6)
    shape = (5, 3) if model_cls is CBOW else (5, 4, 3)
    negatives = rng.integers(0, 7, size=shape)
    both = model_cls(7, 4, 2, corpus, sample_size=3, tree=tree, W_in=W_in, W_out=W_out, W_hs=W_hs)
    ns = model_cls(7, 4, 2, corpus, sample_size=3, W_in=W_in, W_out=W_out)
    hs = model_cls(7, 4, 2, corpus, sample_size=0, tree=tree, W_in=W_in, W_hs=W_hs)
    loss = both.forward(contexts, target, negatives)
    assert loss == pytest.approx(ns.forward(contexts, target, negatives)
                                 + hs.forward(contexts, target), rel=1e-12)
    for model in (both, ns, hs):
        model.backward()
    np.testing.assert_allclose(both.grads[0], ns.grads[0] + hs.grads[0], atol=1e-12)
    np.testing.assert_allclose(both.grads[1], ns.grads[1], atol=1e-12)
    np.testing.assert_allclose(both.grads[2], hs.grads[1], atol=1e-12)
    # the HS part is HierarchicalSoftmaxLoss on the model's hidden vector
    h = W_in[contexts].mean(axis=1) if model_cls is CBOW else W_in[target]
    out = target if model_cls is CBOW else contexts
    assert hs.forward(contexts, target) == pytest.approx(
        HierarchicalSoftmaxLoss(W_hs.copy(), tree).forward(h, out), rel=1e-12)
    assert ns.forward(contexts, target, negatives) == pytest.approx(
        NegativeSamplingLoss(W_out.copy(), corpus, sample_size=3).forward(h, out, negatives),
        rel=1e-12)


def test_models_without_a_tree_are_unchanged_and_options_are_validated():
    _, corpus, tree, W_in, W_out, W_hs, _, _ = model_problem(7)
    a = CBOW(7, 4, 2, corpus, seed=3)
    b = CBOW(7, 4, 2, corpus, seed=3, tree=tree)
    assert a.hs_loss is None and len(a.params) == 2
    # the HS matrix is drawn last: the other matrices start the same
    np.testing.assert_array_equal(a.params[0], b.params[0])
    np.testing.assert_array_equal(a.params[1], b.params[1])
    assert b.params[2].shape == (6, 4) and b.params[2].dtype == np.float32
    with pytest.raises(ValueError, match="no loss"):
        CBOW(7, 4, 2, corpus, sample_size=0)
    with pytest.raises(ValueError):
        CBOW(7, 4, 2, corpus, tree=tree, W_hs=W_in)  # V rows, not V - 1
    with pytest.raises(ValueError):
        CBOW(7, 4, 2, corpus, W_hs=W_hs)  # no tree
    with pytest.raises(ValueError):
        CBOW(8, 4, 2, corpus, tree=tree)  # a tree over another vocabulary
    hs_only = SkipGram(7, 4, 2, None, sample_size=0, tree=tree)
    with pytest.raises(ValueError, match="negative sampling is off"):
        hs_only.forward(np.zeros((1, 4), dtype=int), np.zeros(1, dtype=int),
                        np.zeros((1, 4, 2), dtype=int))


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_training_with_hs_alone_finds_the_topics(model_cls):
    from fastw2v.reference import Adam, Trainer, create_contexts_target

    # sentences of 10 words drawn uniformly from one of 4 topics of 8 words
    rng = np.random.default_rng(0)
    topics = rng.integers(0, 4, size=400)
    corpus = (topics[:, None] * 8 + rng.integers(0, 8, size=(400, 10))).ravel()
    contexts, target = create_contexts_target(corpus, 2)
    np.random.seed(0)
    model = model_cls(32, 16, 2, corpus, seed=0, sample_size=0,
                      tree=huffman_tree(np.bincount(corpus, minlength=32)))
    losses = Trainer(model, Adam(lr=0.01), verbose=False).fit(
        contexts, target, max_epoch=6, batch_size=32, eval_interval=20)
    # an output word is one of 32 at first: log(32) nats a prediction (all
    # scores start near 0, so every node is a coin flip); the best possible
    # is about log(8), the topic's words being equally likely (observed:
    # CBOW 2.26, skip-gram 4 x 2.54, against log(8) = 2.08, log(16) = 2.77)
    per_prediction = 1 if model_cls is CBOW else 4
    assert losses[0] == pytest.approx(per_prediction * np.log(32), rel=0.01)
    assert per_prediction * np.log(8) < np.mean(losses[-3:]) < per_prediction * np.log(16)
    vecs = model.word_vecs / np.linalg.norm(model.word_vecs, axis=1, keepdims=True)
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    assert np.mean(sim.argmax(axis=1) // 8 == np.arange(32) // 8) > 0.9
