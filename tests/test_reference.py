"""Tests of the NumPy reference word2vec (the oracle for the Numba kernels).

Gradients are checked against central differences on float64 copies; the
sampler against its target distribution; training against a generated corpus
with planted topic structure.
"""

import numpy as np
import pytest

from fastw2v.reference import (
    CBOW,
    SGD,
    Adam,
    Embedding,
    EmbeddingDot,
    NegativeSamplingLoss,
    SigmoidWithLoss,
    SkipGram,
    Trainer,
    UnigramSampler,
    analogy,
    clip_grads,
    cos_similarity,
    create_contexts_target,
    most_similar,
    preprocess,
    remove_duplicate,
)

# ---------------------------------------------------------------- helpers


def numerical_gradient(f, x, eps=1e-6):
    """Central differences (f(x + e) - f(x - e)) / 2e of scalar f() wrt array x, in place."""
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
    """||a - b|| / (||a|| + ||b||): scale-free, 0 when equal."""
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)


TOL = 1e-7  # float64 central differences with eps=1e-6 are good to ~1e-9


def small_problem(seed, vocab=7, dim=4, batch=5, window=2, k=3):
    """Random float64 weights, contexts with repeats, targets and explicit negatives."""
    rng = np.random.default_rng(seed)
    corpus = rng.integers(0, vocab, size=200)
    corpus[:vocab] = np.arange(vocab)  # every word occurs
    W_in = 0.5 * rng.standard_normal((vocab, dim))
    W_out = 0.5 * rng.standard_normal((vocab, dim))
    contexts = rng.integers(0, vocab, size=(batch, 2 * window))
    contexts[0, :] = 3  # a row made of one repeated id
    target = rng.integers(0, vocab, size=batch)
    return rng, corpus, W_in, W_out, contexts, target


# ---------------------------------------------------------------- layers


def test_embedding_forward_and_repeated_ids_accumulate():
    W = np.arange(15, dtype=np.float32).reshape(5, 3)
    layer = Embedding(W)
    idx = np.array([1, 1, 3, 1])
    np.testing.assert_array_equal(layer.forward(idx), W[idx])
    dW = layer.grads[0]
    layer.backward(np.ones((4, 3), dtype=np.float32))
    expected = np.zeros_like(W)
    expected[1] = 3.0  # three contributions added, not the last one kept
    expected[3] = 1.0
    np.testing.assert_array_equal(layer.grads[0], expected)
    assert layer.grads[0] is dW  # updated in place

    # A second backward starts from zero rather than adding to the first.
    layer.forward(np.array([0]))
    layer.backward(np.full((1, 3), 2.0, dtype=np.float32))
    expected = np.zeros_like(W)
    expected[0] = 2.0
    np.testing.assert_array_equal(layer.grads[0], expected)


def test_embedding_gradient_check():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 3))
    idx = np.array([[0, 2, 2], [5, 2, 0]])
    R = rng.standard_normal(idx.shape + (3,))  # loss = sum(R * W[idx])
    layer = Embedding(W)
    layer.forward(idx)
    layer.backward(R)
    num = numerical_gradient(lambda: float(np.sum(R * layer.forward(idx))), W)
    assert rel_error(layer.grads[0], num) < TOL


@pytest.mark.parametrize("idx_shape", [(4,), (4, 3), (4, 2, 3)])
def test_embedding_dot_gradient_check(idx_shape):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 5))
    h = rng.standard_normal((4, 5))
    idx = rng.integers(0, 6, size=idx_shape)
    idx.flat[0] = idx.flat[1]  # a repeated id
    R = rng.standard_normal(idx_shape)
    layer = EmbeddingDot(W)
    out = layer.forward(h, idx)
    assert out.shape == idx_shape
    expected = np.einsum("b...d,bd->b...", W[idx], h)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    dh = layer.backward(R)
    loss = lambda: float(np.sum(R * layer.forward(h, idx)))  # noqa: E731
    assert rel_error(dh, numerical_gradient(loss, h)) < TOL
    layer.forward(h, idx)
    layer.backward(R)
    assert rel_error(layer.grads[0], numerical_gradient(loss, W)) < TOL


def test_sigmoid_with_loss_values_and_gradient():
    rng = np.random.default_rng(2)
    x = 3.0 * rng.standard_normal((6, 4))
    t = rng.integers(0, 2, size=(6, 4))
    layer = SigmoidWithLoss()
    loss = layer.forward(x, t)
    y = 1.0 / (1.0 + np.exp(-x))
    bce = -(t * np.log(y) + (1 - t) * np.log(1 - y))
    # Sum over the trailing axis of per-column batch means.
    assert loss == pytest.approx(bce.mean(axis=0).sum(), rel=1e-12)
    dx = layer.backward(2.0)
    np.testing.assert_allclose(dx, (y - t) * 2.0 / 6, rtol=1e-10)
    num = numerical_gradient(lambda: 2.0 * SigmoidWithLoss().forward(x, t), x)
    assert rel_error(dx, num) < TOL


def test_sigmoid_with_loss_is_stable_for_large_scores():
    layer = SigmoidWithLoss()
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=np.float32)
    t = np.array([1, 0, 0, 1])
    loss = layer.forward(x, t)
    assert np.isfinite(loss) and loss == pytest.approx(500.0)  # (0 + 0 + 1000 + 1000) / 4
    dx = layer.backward()
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, [0.0, 0.0, 0.25, -0.25])


def test_negative_sampling_loss_gradient_and_formula():
    rng, corpus, _, W_out, _, target = small_problem(3)
    h = rng.standard_normal((5, 4))
    negatives = rng.integers(0, 7, size=(5, 3))
    layer = NegativeSamplingLoss(W_out, corpus, sample_size=3)
    loss = layer.forward(h, target, negatives)

    # The textbook formula, written out example by example.
    def log_sigmoid(s):
        return -np.logaddexp(0, -s)

    expected = 0.0
    for b in range(5):
        expected -= log_sigmoid(h[b] @ W_out[target[b]])
        for n in negatives[b]:
            expected -= log_sigmoid(-(h[b] @ W_out[n]))
    assert loss == pytest.approx(expected / 5, rel=1e-12)

    dh = layer.backward()
    dW = layer.grads[0].copy()
    f = lambda: layer.forward(h, target, negatives)  # noqa: E731
    assert rel_error(dh, numerical_gradient(f, h)) < TOL
    assert rel_error(dW, numerical_gradient(f, W_out)) < TOL


def test_negative_sampling_loss_rejects_bad_negatives_shape():
    _, corpus, _, W_out, _, target = small_problem(4)
    layer = NegativeSamplingLoss(W_out, corpus, sample_size=3)
    with pytest.raises(ValueError):
        layer.forward(np.zeros((5, 4)), target, np.zeros((5, 2), dtype=int))


# ---------------------------------------------------------------- models


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_model_gradient_check(model_cls):
    rng, corpus, W_in, W_out, contexts, target = small_problem(5)
    neg_shape = (5, 3) if model_cls is CBOW else (5, 4, 3)
    negatives = rng.integers(0, 7, size=neg_shape)
    model = model_cls(7, 4, 2, corpus, sample_size=3, W_in=W_in, W_out=W_out)
    model.forward(contexts, target, negatives)
    model.backward()
    analytic = [g.copy() for g in model.grads]
    f = lambda: model.forward(contexts, target, negatives)  # noqa: E731
    for param, grad in zip(model.params, analytic):
        assert param.dtype == np.float64
        assert rel_error(grad, numerical_gradient(f, param)) < TOL


def test_cbow_equals_negative_sampling_on_mean_context():
    rng, corpus, W_in, W_out, contexts, target = small_problem(6)
    negatives = rng.integers(0, 7, size=(5, 3))
    model = CBOW(7, 4, 2, corpus, sample_size=3, W_in=W_in, W_out=W_out)
    ns = NegativeSamplingLoss(W_out.copy(), corpus, sample_size=3)
    h = W_in[contexts].mean(axis=1)
    assert model.forward(contexts, target, negatives) == pytest.approx(
        ns.forward(h, target, negatives), rel=1e-12)


def test_skipgram_equals_textbook_sum_over_positions():
    """One batched loss == the book's 2w separate NegativeSamplingLoss layers."""
    rng, corpus, W_in, W_out, contexts, target = small_problem(7)
    negatives = rng.integers(0, 7, size=(5, 4, 3))
    model = SkipGram(7, 4, 2, corpus, sample_size=3, W_in=W_in, W_out=W_out)
    loss = model.forward(contexts, target, negatives)
    model.backward()
    h = W_in[target]
    layers = [NegativeSamplingLoss(W_out, corpus, sample_size=3) for _ in range(4)]
    book_loss = sum(layer.forward(h, contexts[:, i], negatives[:, i]) for i, layer in enumerate(layers))
    dh = sum(layer.backward() for layer in layers)
    assert loss == pytest.approx(book_loss, rel=1e-12)
    np.testing.assert_allclose(model.grads[1], sum(layer.grads[0] for layer in layers), atol=1e-12)
    dW_in = np.zeros_like(W_in)
    np.add.at(dW_in, target, dh)
    np.testing.assert_allclose(model.grads[0], dW_in, atol=1e-12)


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_model_defaults_are_float32_and_seedable(model_cls):
    corpus, word_to_id, _ = preprocess("You say goodbye and I say hello.")
    contexts, target = create_contexts_target(corpus, 1)
    a = model_cls(len(word_to_id), 5, 1, corpus, seed=3)
    b = model_cls(len(word_to_id), 5, 1, corpus, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.params[0], b.params[0])
    assert a.word_vecs is a.params[0]
    assert a.params[0].dtype == np.float32 and a.params[1].dtype == np.float32
    np.random.seed(0)
    loss = a.forward(contexts, target)
    assert isinstance(loss, float) and np.isfinite(loss)
    dWs = list(a.grads)
    a.backward()
    assert all(g is d for g, d in zip(a.grads, dWs))  # in place
    assert all(g.dtype == np.float32 for g in a.grads)


def test_model_copies_given_matrices_and_validates_shapes():
    corpus = np.arange(5)
    W = np.ones((5, 2))
    model = CBOW(5, 2, 1, corpus, W_in=W, W_out=W)
    assert model.params[0] is not W and model.params[1] is not model.params[0]
    with pytest.raises(ValueError):
        CBOW(5, 3, 1, corpus, W_in=W)
    with pytest.raises(ValueError):
        model.forward(np.zeros((2, 4), dtype=int), np.zeros(2, dtype=int))  # 2w = 2, not 4


# ---------------------------------------------------------------- sampler


def test_sampler_distribution_matches_counts_to_the_075():
    counts = np.array([50, 30, 10, 5, 1, 0, 4])
    corpus = np.repeat(np.arange(7), counts)
    sampler = UnigramSampler(corpus, 0.75, 5)
    p = counts ** 0.75 / np.sum(counts ** 0.75)
    np.testing.assert_allclose(sampler.word_p, p)

    np.random.seed(123)
    n_rows = 40000
    # Target 5 never occurs, so exclusion changes nothing: draws follow p exactly.
    draws = sampler.get_negative_sample(np.full(n_rows, 5))
    assert draws.shape == (n_rows, 5)
    freq = np.bincount(draws.ravel(), minlength=7) / draws.size
    assert freq[5] == 0
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / draws.size))

    # Target 0 is excluded, so the rest follow p conditioned on != 0.
    draws = sampler.get_negative_sample(np.zeros(n_rows, dtype=int))
    freq = np.bincount(draws.ravel(), minlength=7) / draws.size
    q = p.copy()
    q[0] = 0
    q /= q.sum()
    assert freq[0] == 0
    assert np.all(np.abs(freq - q) <= 5 * np.sqrt(q * (1 - q) / draws.size))


def test_sampler_never_returns_the_target_and_accepts_any_shape():
    counts = np.array([1000, 1, 1, 1])  # word 0 would collide in most draws
    sampler = UnigramSampler(np.repeat(np.arange(4), counts), 0.75, 6)
    np.random.seed(1)
    target = np.random.randint(0, 4, size=(300, 4))
    negatives = sampler.get_negative_sample(target)
    assert negatives.shape == (300, 4, 6)
    assert not np.any(negatives == target[..., None])


def test_sampler_is_repeatable_with_np_random_seed():
    sampler = UnigramSampler(np.array([0, 1, 1, 2, 3, 3, 3, 4]), 0.75, 3)
    target = np.array([1, 3, 0, 4])
    np.random.seed(42)
    a = sampler.get_negative_sample(target)
    np.random.seed(42)
    b = sampler.get_negative_sample(target)
    np.random.seed(43)
    c = sampler.get_negative_sample(np.repeat(target, 50))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.repeat(a, 50, axis=0), c)


def test_sampler_refuses_a_single_word_corpus():
    sampler = UnigramSampler(np.zeros(10, dtype=int), 0.75, 2)
    with pytest.raises(ValueError):
        sampler.get_negative_sample(np.array([0]))


# ---------------------------------------------------------------- text, optimizers, trainer


def test_preprocess_and_contexts_target():
    corpus, word_to_id, id_to_word = preprocess("You say goodbye and I say hello.")
    np.testing.assert_array_equal(corpus, [0, 1, 2, 3, 4, 1, 5, 6])
    assert word_to_id["say"] == 1 and id_to_word[6] == "."
    contexts, target = create_contexts_target(corpus, 1)
    np.testing.assert_array_equal(target, [1, 2, 3, 4, 1, 5])
    np.testing.assert_array_equal(contexts, [[0, 2], [1, 3], [2, 4], [3, 1], [4, 5], [1, 6]])
    contexts, target = create_contexts_target(corpus, 2)
    np.testing.assert_array_equal(contexts[0], [0, 1, 3, 4])  # offsets -2, -1, +1, +2
    assert target[0] == 2 and contexts.shape == (4, 4)


def test_sgd_and_adam_update_in_place():
    W = np.ones((2, 3), dtype=np.float32)
    g = np.array([[1, -2, 0.5], [0, 3, -1]], dtype=np.float32)
    ref = W
    SGD(lr=0.1).update([W], [g])
    assert W is ref and W.dtype == np.float32
    np.testing.assert_allclose(W, 1 - 0.1 * g)
    # Adam's first step moves each entry by about lr * sign(g).
    W = np.zeros((2, 3))
    Adam(lr=0.01).update([W], [g.astype(np.float64)])
    np.testing.assert_allclose(W, -0.01 * np.sign(g), atol=1e-6)


def test_remove_duplicate_and_clip_grads():
    W = np.ones((2, 3))
    V = np.ones(4)
    g1, g2, g3, g4 = np.ones((2, 3)), 2 * np.ones((2, 3)), np.ones(4), np.arange(6.0).reshape(3, 2)
    params, grads = remove_duplicate([W, W, V, W.T], [g1, g2, g3, g4])
    assert len(params) == 2 and params[0] is W and params[1] is V
    np.testing.assert_allclose(grads[0], 3 + g4.T)
    grads = [np.full(4, 3.0), np.full(4, 4.0)]  # joint norm 10
    clip_grads(grads, 5.0)
    assert np.sqrt(sum(np.sum(g * g) for g in grads)) == pytest.approx(5.0, rel=1e-6)


def planted_corpus(seed, n_topics=4, words_per_topic=8, n_sentences=400, sentence_len=10):
    """Sentences each drawn from one topic's words: co-occurrence reveals the topics."""
    rng = np.random.default_rng(seed)
    topics = rng.integers(0, n_topics, size=n_sentences)
    words = rng.integers(0, words_per_topic, size=(n_sentences, sentence_len))
    return (topics[:, None] * words_per_topic + words).ravel(), words_per_topic


@pytest.mark.parametrize("model_cls", [CBOW, SkipGram])
def test_training_lowers_loss_and_finds_topics(model_cls, capsys):
    corpus, words_per_topic = planted_corpus(0)
    vocab = int(corpus.max()) + 1
    contexts, target = create_contexts_target(corpus, 2)
    np.random.seed(0)
    model = model_cls(vocab, 16, 2, corpus, seed=0)
    trainer = Trainer(model, Adam(lr=0.01), verbose=False)
    losses = trainer.fit(contexts, target, max_epoch=6, batch_size=32, eval_interval=20)
    assert capsys.readouterr().out == ""
    assert len(losses) > 5
    assert np.mean(losses[-3:]) < 0.6 * losses[0]  # observed ~0.45
    # Nearest neighbour of most words lies in the same topic.
    vecs = model.word_vecs / np.linalg.norm(model.word_vecs, axis=1, keepdims=True)
    sim = vecs @ vecs.T
    np.fill_diagonal(sim, -np.inf)
    nearest = sim.argmax(axis=1)
    same_topic = nearest // words_per_topic == np.arange(vocab) // words_per_topic
    assert same_topic.mean() > 0.9


def test_trainer_prints_when_verbose_and_rejects_tiny_data(capsys):
    corpus, _ = planted_corpus(1, n_sentences=20)
    contexts, target = create_contexts_target(corpus, 1)
    model = CBOW(int(corpus.max()) + 1, 4, 1, corpus, seed=1)
    trainer = Trainer(model, SGD(lr=0.5))
    trainer.fit(contexts, target, max_epoch=2, batch_size=16, eval_interval=5)
    assert "| epoch 2 |" in capsys.readouterr().out
    with pytest.raises(ValueError):
        trainer.fit(contexts[:3], target[:3], batch_size=16)


# ---------------------------------------------------------------- similarity


def word_space():
    # Axes: person, royal, female, fruit.
    words = ["king", "queen", "man", "woman", "apple", "prince"]
    matrix = np.array([
        [1.0, 1.0, 0.0, 0.0],
        [1.0, 1.0, 1.0, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [1.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
        [1.0, 0.9, 0.0, 0.1],
    ])
    return {w: i for i, w in enumerate(words)}, dict(enumerate(words)), matrix


def test_cos_similarity():
    assert cos_similarity(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert cos_similarity(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert cos_similarity(np.zeros(2), np.ones(2)) == 0.0


def test_most_similar_orders_and_prints(capsys):
    word_to_id, id_to_word, matrix = word_space()
    result = most_similar("king", word_to_id, id_to_word, matrix, top=3)
    words = [w for w, _ in result]
    assert words == ["prince", "queen", "man"]
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True)
    assert scores[1] == pytest.approx(cos_similarity(matrix[0], matrix[1]))
    out = capsys.readouterr().out
    assert "[query] king" in out and "\n prince: 0.99" in out
    assert most_similar("emperor", word_to_id, id_to_word, matrix) == []
    assert "emperor is not found" in capsys.readouterr().out


def test_analogy(capsys):
    word_to_id, id_to_word, matrix = word_space()
    result = analogy("man", "king", "woman", word_to_id, id_to_word, matrix, top=2)
    assert result[0][0] == "queen" and result[0][1] == pytest.approx(1.0)
    assert {w for w, _ in result}.isdisjoint({"man", "king", "woman"})
    assert "[analogy] man:king = woman:?" in capsys.readouterr().out
    assert analogy("man", "king", "duchess", word_to_id, id_to_word, matrix) == []


def test_reference_is_pure_numpy():
    """Only numpy, the standard library and sibling modules may be imported.

    Checked on the source, because importing ``fastw2v`` itself may load
    Numba for the fast path.
    """
    import ast
    import pathlib

    import fastw2v.reference

    allowed = {"numpy", "heapq", "math", "time"}
    for path in pathlib.Path(fastw2v.reference.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}"
