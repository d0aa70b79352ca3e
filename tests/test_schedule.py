"""The learning rate the kernel really uses, read back from the trained rows.

A corpus whose steps are known in closed form: sentence ``i`` is ``[u_i,
t_i]`` with both words unique to it, and every negative is one "sink" word
(``ns_exponent=30`` gives the once-seen words a weight of about 1e-30 of the
sink's, so the alias table never draws them). With CBOW, ``window=1`` (never
reduced) and no subsampling, the step whose centre is ``t_i`` has the hidden
vector ``h = syn0[u_i]``, untouched so far in its epoch, and scores it
against ``syn1[t_i]``, which nothing else writes, so the score is
``h · 0 = 0``, ``σ = 1/2`` and the SGD step sets
``syn1[t_i] = (1 - 1/2) * lr * syn0[u_i]``. Dividing gives the ``lr`` of
every step; an epoch callback reads them and resets the rows for the next
epoch.
"""

import numpy as np
import pytest

from fastw2v.word2vec import Word2Vec

PAIRS, SINKS = 300, 40


def kernel_learning_rates(**settings):
    """``(progress, lr)`` of every ``t_i`` step of every epoch, as the kernel ran it."""
    sentences = [[f"u{i}", f"t{i}"] for i in range(PAIRS)] + [["sink"]] * SINKS
    m = Word2Vec(model="cbow", dim=8, window=1, negative=2, sample=0, min_count=1,
                 ns_exponent=30.0, threads=1, **settings)
    m.build_vocab(sentences=sentences)
    u = np.array([m.wv.key_to_index[f"u{i}"] for i in range(PAIRS)])
    t = np.array([m.wv.key_to_index[f"t{i}"] for i in range(PAIRS)])
    start = {"syn0_u": m.wv.vectors[u].copy()}
    rates = []

    def read_back(model, epoch, loss):
        syn1_t, syn0_u = model.syn1neg[t], start["syn0_u"]
        # the largest component of each row gives the ratio most precisely
        k = np.argmax(np.abs(syn0_u), axis=1)
        rows = np.arange(PAIRS)
        rates.append(syn1_t[rows, k] / (0.5 * syn0_u[rows, k]))
        model.syn1neg[t] = 0.0
        start["syn0_u"] = model.wv.vectors[u].copy()

    m.train(callbacks=[read_back])
    n = len(m.corpus)  # 2 * PAIRS + SINKS tokens an epoch
    epochs = m.config.epochs
    # the kernel takes the progress at the end of each sentence: 2i + 2 tokens in
    progress = np.concatenate([(e * n + 2 * np.arange(PAIRS) + 2) / (epochs * n)
                               for e in range(epochs)])
    return m, progress, np.concatenate(rates)


@pytest.mark.parametrize("epochs", [1, 3])
def test_explicit_alpha_and_min_alpha_mean_exactly_what_they_say(epochs):
    m, progress, lr = kernel_learning_rates(epochs=epochs, alpha=0.04, min_alpha=0.002)
    assert m.config.end_alpha() == 0.002
    np.testing.assert_allclose(lr, 0.04 - (0.04 - 0.002) * progress, rtol=1e-4)


def test_the_sink_construction_holds():
    # guards the closed form: no once-seen word was ever drawn as a negative
    # (a draw would have moved a t row away from the exact ratio above, and
    # then the rates of a run with alpha == min_alpha would not all be equal)
    _, _, lr = kernel_learning_rates(epochs=2, alpha=0.01, min_alpha=0.01)
    np.testing.assert_allclose(lr, 0.01, rtol=1e-4)


@pytest.mark.parametrize("epochs", [1, 3])
def test_default_schedule_decays_as_if_one_more_epoch_followed(epochs):
    # alpha / (epochs + 1) at the end: the linear decay towards 0 over
    # epochs + 1 epochs, stopped after ``epochs``
    m, progress, lr = kernel_learning_rates(epochs=epochs)
    alpha = m.config.start_alpha
    assert alpha == 0.05  # CBOW's default start
    np.testing.assert_allclose(lr, alpha * (1 - progress * epochs / (epochs + 1)), rtol=1e-4)
    assert m.config.end_alpha() == pytest.approx(alpha / (epochs + 1))


def test_default_schedule_does_not_depend_on_the_thread_count():
    from fastw2v.config import TrainConfig

    ends = {TrainConfig(model="cbow", epochs=3, threads=t).end_alpha()
            for t in (1, 2, 64)}
    assert ends == {0.05 / 4}
    # an explicit min_alpha is kept as given, whatever the epochs
    assert TrainConfig(epochs=7, min_alpha=0.0001).end_alpha() == 0.0001
    # a train() call of other epochs than configured ends by its own count
    assert TrainConfig(epochs=5).end_alpha(1) == 0.025


def test_hierarchical_softmax_defaults():
    from fastw2v.config import HS_CBOW_ALPHA, HS_END_FRACTION, TrainConfig

    hs = TrainConfig(model="cbow", hs=True, negative=0, epochs=5)
    assert hs.start_alpha == HS_CBOW_ALPHA == 0.025
    assert hs.end_alpha() == pytest.approx(0.025 * HS_END_FRACTION)
    both = TrainConfig(model="cbow", hs=True, epochs=5)  # with negative sampling: its schedule
    assert both.start_alpha == 0.025 and both.end_alpha() == pytest.approx(0.025 / 6)
    assert TrainConfig(model="skipgram", hs=True, negative=0).start_alpha == 0.025
    assert TrainConfig(model="cbow", hs=True, negative=0, alpha=0.05, min_alpha=0.01).end_alpha() == 0.01
