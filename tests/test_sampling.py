import numpy as np
import pytest

from fastw2v.rng import below, low32, next_u64
from fastw2v.sampling import UnigramTable, keep_probabilities, learning_rate


@pytest.mark.parametrize("power", [0.75, 1.0, 0.0])
def test_alias_table_probabilities_are_exactly_counts_to_the_power(power):
    counts = np.array([1000, 1, 37, 5, 5, 250_000, 2, 90])
    table = UnigramTable(counts, power)
    expected = counts.astype(float) ** power
    expected /= expected.sum()
    # exact up to the 2**-32 quantisation of the thresholds
    np.testing.assert_allclose(table.probabilities(), expected, atol=len(counts) * 2.0 ** -32)


def test_alias_table_draws_match_counts_to_the_075_power():
    rng = np.random.default_rng(1)
    counts = rng.zipf(1.3, size=300).clip(max=10**6)
    table = UnigramTable(counts)
    n = 2_000_000
    freq = np.bincount(table.draw(n, seed=3), minlength=counts.size) / n
    p = counts ** 0.75 / (counts ** 0.75).sum()
    # each frequency within 5 binomial standard deviations
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-6)
    # same seed, same draws
    assert np.array_equal(table.draw(100, seed=3), table.draw(100, seed=3))


def test_packed_branch_free_draw_is_the_alias_rule():
    # draw_negative picks word i or its alias with bit masks on one packed
    # slot; replay its random stream and apply the rule with the two halves
    rng = np.random.default_rng(2)
    table = UnigramTable(rng.zipf(1.5, size=1000).clip(max=10**6))
    threshold, alias = table.threshold, table.alias
    assert 0 < np.count_nonzero(threshold < 2**32 - 1) < threshold.size  # both cases occur
    state = np.uint64(11)
    expected, aliased = [], 0
    for _ in range(20_000):
        state, z = next_u64(state)
        state, z = np.uint64(state), np.uint64(z)  # Python ints would type as int64
        i = below(z, threshold.size)
        to_alias = low32(z) >= threshold[i]
        aliased += bool(to_alias)
        expected.append(alias[i] if to_alias else i)
    assert 1000 < aliased < 19_000  # both halves of the rule are exercised
    assert np.array_equal(table.draw(20_000, seed=11), expected)


def test_alias_table_rejects_empty_or_zero_counts():
    with pytest.raises(ValueError):
        UnigramTable(np.array([], dtype=np.int64))
    with pytest.raises(ValueError):
        UnigramTable(np.array([0, 0]))


def test_keep_probability_is_word2vec_formula():
    counts = np.array([50_000, 1000, 10, 1], dtype=np.int64)
    t = 1e-3
    f = counts / counts.sum()
    expected = np.minimum(1.0, np.sqrt(t / f) + t / f)
    np.testing.assert_allclose(keep_probabilities(counts, t), expected, rtol=1e-6)
    assert keep_probabilities(counts, t)[0] < 0.2  # the frequent word is mostly dropped
    assert keep_probabilities(counts, t)[-1] == 1.0  # rare words are always kept
    assert np.all(keep_probabilities(counts, 0.0) == 1.0)


def test_a_sample_of_one_or_more_is_gensims_count_threshold():
    # it turned subsampling off before (sample * total exceeded every count)
    counts = np.array([50_000, 1000, 40, 10, 1], dtype=np.int64)
    probs = keep_probabilities(counts, 15.0)
    threshold = int(15.0 * (3 + np.sqrt(5)) / 2)  # gensim's count threshold: 39
    np.testing.assert_allclose(probs, np.minimum(1.0, (np.sqrt(counts / threshold) + 1)
                                                 * threshold / counts), rtol=1e-6)
    assert probs[0] < 0.05 and probs[1] < 0.3 and np.all(probs[2:] == 1.0)
    # a count beyond any float (int() of it raised OverflowError, a traceback) keeps all
    assert np.all(keep_probabilities(counts, 1e308) == 1.0)
    gensim = pytest.importorskip("gensim")
    sentences = [[f"w{i}"] * int(c) for i, c in enumerate(counts)]
    model = gensim.models.Word2Vec(vector_size=4, min_count=1, sample=15.0)
    model.build_vocab(sentences)
    theirs = [model.wv.get_vecattr(f"w{i}", "sample_int") / 2.0 ** 32 for i in range(len(counts))]
    np.testing.assert_allclose(probs, np.minimum(theirs, 1.0), rtol=1e-6)


def test_learning_rate_decays_linearly_and_clips():
    assert learning_rate(0.05, 0.0001, 0.0) == 0.05
    assert learning_rate(0.05, 0.0001, 1.0) == pytest.approx(0.0001)
    assert learning_rate(0.05, 0.0001, 0.5) == pytest.approx((0.05 + 0.0001) / 2)
    assert learning_rate(0.05, 0.0001, 1.7) == pytest.approx(0.0001)
    assert learning_rate(0.05, 0.0001, -1.0) == 0.05
