"""The reduced window: a word at distance d is in it with probability (window - d + 1) / window.

word2vec.c draws ``b`` uniform on ``0 .. window-1`` for every centre and
uses the ``window - b`` words on each side, so the effective half-width
``k = window - b`` is uniform on ``1 .. window`` and a word at distance
``d`` is in the window when ``k >= d``. Near words count more, as if
weighted by ``(window - d + 1) / window``.

:func:`fastw2v.kernels.plan_window` is called here many times from Python
with bundles built as :meth:`fastw2v.word2vec.Word2Vec._run` builds them,
threading the random state through, and the half-widths it draws are
compared with that distribution.
"""

import numpy as np
import pytest

from fastw2v.bundles import Settings, Tables, Weights
from fastw2v.config import CBOW, SKIPGRAM, SKIPGRAM_SHARED
from fastw2v.huffman import build_tree
from fastw2v.kernels import plan_window
from fastw2v.sampling import UnigramTable

WINDOW, DRAWS, V, DIM = 5, 20_000, 6, 8
#: scipy.stats.chi2.isf(1e-6, WINDOW - 1): a false alarm once in a million
#: runs (the draws are seeded, so never here).
CHI2_CRITICAL = 33.38


def bundles(model, negative, hs):
    """Tiny-vocabulary bundles of the types training passes (``Word2Vec._run``)."""
    counts = np.arange(V, 0, -1) * 10
    stand_in = np.zeros((1, DIM), dtype=np.float32)
    tree = build_tree(counts)
    if not hs:  # _run's one-element stand-ins
        tree = tree._replace(points=np.zeros((1, 1), np.int32), codes=np.zeros((1, 1), np.uint8),
                             lengths=np.zeros(1, np.int32))
    table = UnigramTable(counts)
    settings = Settings(model=model, window=WINDOW, negative=negative, hs=int(hs),
                        hot_from=V - 1, hot_rows=0, seed=0)
    weights = Weights(syn0=np.zeros((V, DIM), np.float32),
                      syn1=np.zeros((V, DIM), np.float32) if negative else stand_in,
                      nodes=np.zeros((V - 1, DIM), np.float32) if hs else stand_in)
    tables = Tables(slots=table.slots, points=tree.points,
                    codes=tree.codes, code_len=tree.lengths)
    negs = np.zeros((2 * WINDOW, negative), dtype=np.int32)
    return settings, weights, tables, negs


def draw_spans(model, negative, hs, j, n, draws=DRAWS, seed=12345):
    """``(lo, hi)`` of ``draws`` consecutive calls for centre ``j`` of ``n`` words."""
    settings, weights, tables, negs = bundles(model, negative, hs)
    words = (np.arange(n) % V).astype(np.int32)
    state = np.uint64(seed)
    spans = np.empty((draws, 2), dtype=np.int64)
    for i in range(draws):
        state, lo, hi = plan_window(settings, weights, tables, words, j, n, negs, state, 0)
        # the state comes back as a Python int; passed on as one, Numba would
        # type it int64 (below 2**63), and int64 + uint64 is float64 there
        state = np.uint64(state)
        spans[i] = lo, hi
    return spans


def use_probability(window):
    """Probability that a word at distance ``d = 1 .. window`` is in the window."""
    d = np.arange(1, window + 1)
    return (window - d + 1) / window


def fits(half_widths, p_use):
    """Do the drawn half-widths fit ``P(k >= d) = p_use[d - 1]``?

    Two checks: every distance's frequency within 4 binomial standard
    deviations of ``p_use`` (exact where ``p_use`` is 0 or 1), and a
    chi-square test of the histogram of ``k`` against the distribution that
    ``p_use`` implies (``P(k = d) = p_use[d-1] - p_use[d]``).
    """
    n, window = half_widths.size, p_use.size
    d = np.arange(1, window + 1)
    freq = (half_widths[:, None] >= d[None, :]).mean(axis=0)
    sigma = np.sqrt(p_use * (1 - p_use) / n)
    if np.any(np.abs(freq - p_use) > 4 * sigma):
        return False
    p_k = p_use - np.append(p_use[1:], 0.0)  # P(k = d)
    observed = np.bincount(half_widths, minlength=window + 1)
    if observed[0] or observed.size > window + 1:
        return False  # an empty window, or one wider than the setting
    expected = n * p_k
    chi2 = np.sum((observed[1:] - expected) ** 2 / np.where(expected > 0, expected, 1.0))
    return bool(chi2 < CHI2_CRITICAL) and not np.any(observed[1:][expected == 0])


@pytest.mark.parametrize("model", [CBOW, SKIPGRAM, SKIPGRAM_SHARED])
@pytest.mark.parametrize("negative, hs", [(3, False), (0, True)])
def test_context_at_distance_d_is_used_with_probability_window_minus_d_plus_1_over_window(
        model, negative, hs):
    j, n = 3 * WINDOW, 6 * WINDOW  # a centre whose full window fits
    spans = draw_spans(model, negative, hs, j, n)
    left, right = j - spans[:, 0], spans[:, 1] - j - 1
    assert np.array_equal(left, right)  # the same reduction on both sides
    p_use = use_probability(WINDOW)
    assert fits(right, p_use)
    # the check can fail: an off-by-one, (window - d) / window, does not fit
    assert not fits(right, use_probability(WINDOW) - 1 / WINDOW)
    # ... nor does a window never reduced, or a uniform choice of 0 .. window words
    assert not fits(right, np.ones(WINDOW))
    assert not fits(right, (WINDOW - np.arange(1, WINDOW + 1) + 1) / (WINDOW + 1))


def test_reduced_window_is_cut_at_the_sentence_ends():
    spans = draw_spans(CBOW, 3, False, j=1, n=4, draws=2_000)
    # k is still drawn on 1 .. window, then the span is clipped to 0 .. n
    assert spans[:, 0].min() == 0 and spans[:, 1].max() == 4
    assert np.all(spans[:, 0] == 0)  # k >= 1 always reaches the first word
    widths = spans[:, 1] - 1 - 1  # right half-width, at most n - j - 1 = 2
    assert set(widths.tolist()) == {1, 2}
    assert np.mean(widths == 1) == pytest.approx(1 / WINDOW, abs=4 * np.sqrt(0.16 / 2_000))


def test_draws_follow_the_state_and_a_different_state_draws_differently():
    a = draw_spans(SKIPGRAM, 3, False, 3 * WINDOW, 6 * WINDOW, draws=200, seed=1)
    b = draw_spans(SKIPGRAM, 3, False, 3 * WINDOW, 6 * WINDOW, draws=200, seed=1)
    c = draw_spans(SKIPGRAM, 3, False, 3 * WINDOW, 6 * WINDOW, draws=200, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
