"""The Numba kernels against the NumPy reference (the textbook layers)."""

import numpy as np
import pytest

from fastw2v import reference
from fastw2v.kernels import ns_update, train_window

V, DIM, WINDOW, NEG = 40, 16, 2, 3


def setup(seed):
    rng = np.random.default_rng(seed)
    w_in = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    w_out = (rng.standard_normal((V, DIM)) * 0.3).astype(np.float32)
    # distinct ids everywhere, so no output row is touched twice in one step
    ids = rng.permutation(V)
    return w_in, w_out, ids


def reference_step(model_cls, w_in, w_out, contexts, centre, negatives, lr):
    model = model_cls(V, DIM, WINDOW, np.arange(V), sample_size=NEG, W_in=w_in, W_out=w_out)
    loss = model.forward(contexts[None, :], np.array([centre]), negatives=negatives[None])
    model.backward()
    reference.SGD(lr).update(model.params, model.grads)
    return loss, model.params[0], model.params[1]


def kernel_step(model, w_in, w_out, contexts, centre, negatives, lr):
    """The kernel's step on the window ``contexts[:WINDOW] + [centre] + contexts[WINDOW:]``."""
    syn0, syn1 = w_in.copy(), w_out.copy()
    words = np.concatenate([contexts[:WINDOW], [centre], contexts[WINDOW:]])
    loss = train_window(model, syn0, syn1, words, WINDOW, negatives, lr)
    return loss, syn0, syn1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cbow_kernel_step_matches_reference_sgd_step(seed):
    w_in, w_out, ids = setup(seed)
    contexts, centre, negatives = ids[: 2 * WINDOW], ids[2 * WINDOW], ids[2 * WINDOW + 1:][:NEG]
    lr = 0.05
    # the reference gives each context row the exact gradient of the mean,
    # dh / n_context; the kernel (like word2vec.c and gensim) adds dh itself,
    # so it equals a reference step whose input rows move n_context times as far.
    ref_loss, _, ref_out = reference_step(reference.CBOW, w_in, w_out, contexts, centre, negatives, lr)
    _, ref_in_scaled, _ = reference_step(reference.CBOW, w_in, w_out, contexts, centre, negatives,
                                         lr * 2 * WINDOW)
    loss, syn0, syn1 = kernel_step("cbow", w_in, w_out, contexts, centre, negatives[None], lr)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)
    np.testing.assert_allclose(syn0, ref_in_scaled, atol=1e-6)
    assert not np.allclose(syn0, w_in) and not np.allclose(syn1, w_out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_skipgram_kernel_step_matches_reference_sgd_step(seed):
    w_in, w_out, ids = setup(seed)
    contexts, centre = ids[: 2 * WINDOW], ids[2 * WINDOW]
    negatives = ids[2 * WINDOW + 1:][: 2 * WINDOW * NEG].reshape(2 * WINDOW, NEG)
    lr = 0.025
    ref_loss, ref_in, ref_out = reference_step(reference.SkipGram, w_in, w_out, contexts, centre,
                                               negatives, lr)
    loss, syn0, syn1 = kernel_step("skipgram", w_in, w_out, contexts, centre, negatives, lr)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, ref_in, atol=1e-6)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)
    # only the centre's input row moves in skip-gram
    moved = np.flatnonzero(np.any(syn0 != w_in, axis=1))
    assert moved.tolist() == [centre]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shared_negatives_skipgram_is_one_reference_step_per_context_word(seed):
    # each context word's row, in order, is the hidden vector of one
    # reference step against the centre and the window's one set of negatives
    w_in, w_out, ids = setup(seed)
    contexts, centre, negatives = ids[: 2 * WINDOW], ids[2 * WINDOW], ids[2 * WINDOW + 1:][:NEG]
    lr = 0.025
    ref_in, ref_out = w_in.astype(np.float64), w_out.astype(np.float64)
    ref_loss = 0.0
    for c in contexts:
        ns = reference.NegativeSamplingLoss(ref_out, np.arange(V), sample_size=NEG)
        ref_loss += ns.forward(ref_in[[c]], np.array([centre]), negatives=negatives[None])
        dh = ns.backward()
        ref_out -= lr * ns.grads[0]
        ref_in[c] -= lr * dh[0]
    loss, syn0, syn1 = kernel_step("skipgram_shared", w_in, w_out, contexts, centre,
                                   negatives[None], lr)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(syn0, ref_in, atol=1e-6)
    np.testing.assert_allclose(syn1, ref_out, atol=1e-6)
    # the context rows move, the centre's input row does not; only the
    # centre and the shared negatives move among the output rows
    assert np.flatnonzero(np.any(syn0 != w_in, axis=1)).tolist() == sorted(contexts)
    moved_out = np.flatnonzero(np.any(syn1 != w_out, axis=1)).tolist()
    assert moved_out == sorted([centre, *negatives])


def numerical_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + eps
        hi = f()
        x.flat[i] = old - eps
        lo = f()
        x.flat[i] = old
        g.flat[i] = (hi - lo) / (2 * eps)
    return g


def test_update_primitive_is_minus_lr_times_numerical_gradient():
    # ns_update's step, divided by -lr, is the gradient of the loss it returns.
    rng = np.random.default_rng(5)
    h = rng.standard_normal(DIM)
    syn1 = rng.standard_normal((V, DIM))
    target, negs = 3, np.array([7, 11, 3, 20], dtype=np.int32)  # a draw equal to the target is skipped

    def loss():
        s = h @ syn1[target]
        total = np.logaddexp(0, -s)
        for w in negs:
            if w != target:
                total += np.logaddexp(0, h @ syn1[w])
        return total

    dh, dsyn1 = numerical_grad(loss, h), numerical_grad(loss, syn1)
    lr = 1e-3
    h32, s32 = h.astype(np.float32), syn1.astype(np.float32)
    grad = np.zeros(DIM, dtype=np.float32)
    value = ns_update(h32, s32, 0, 0, target, negs, np.float32(lr), grad, np.zeros(8, np.float32))
    assert value == pytest.approx(loss(), rel=1e-5)
    np.testing.assert_allclose(grad / -lr, dh, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose((s32 - syn1.astype(np.float32)) / -lr, dsyn1, rtol=1e-2, atol=1e-2)


def test_saturated_scores_give_finite_loss_and_the_limit_gradient():
    # far outside word2vec.c's ±6 table the step is the limit of the exact
    # one: a confidently wrong negative still gets the full gradient.
    h = np.full(DIM, 10.0, dtype=np.float32)
    syn1 = np.zeros((V, DIM), dtype=np.float32)
    syn1[1] = 10.0  # score 1600: a confident positive for word 1
    syn1[2] = 10.0  # ...and a confidently wrong negative
    grad = np.zeros(DIM, dtype=np.float32)
    loss = ns_update(h, syn1, 0, 0, 1, np.array([2], dtype=np.int32), np.float32(0.1), grad,
                     np.zeros(2, np.float32))
    assert np.isfinite(loss) and loss == pytest.approx(1600.0)
    np.testing.assert_allclose(grad, -0.1 * 10.0)  # from the negative alone
    np.testing.assert_allclose(syn1[2], 10.0 - 0.1 * 10.0)
    np.testing.assert_allclose(syn1[1], 10.0)  # the positive is already right


def test_series_log1p_matches_libm_on_the_unit_interval():
    from fastw2v.kernels import log1p_unit

    for e in np.linspace(0.0, 1.0, 2001, dtype=np.float32):
        assert abs(log1p_unit(e) - np.log1p(np.float64(e))) < 3e-7


def test_debug_entry_compiles_window_step_with_the_flags_of_training():
    # Training inlines window_step into train_piece, the debug entry compiles it
    # alone. Inlined code takes its caller's flags, so the tests above check the
    # arithmetic training does only while the two agree on every flag that changes it.
    from fastw2v import kernels

    for flag in ("fastmath", "error_model", "boundscheck"):
        assert (kernels.window_step.targetoptions.get(flag)
                == kernels.train_piece.targetoptions.get(flag)), flag
