"""The kernel subsamples frequent words at the rate word2vec.c's formula gives.

Each occurrence of word ``w`` is kept, independently, with probability
``p_w = keep_probabilities(counts, sample)[w]``, so the centre words trained
in an epoch are a sum of independent Bernoulli draws: mean
``sum_w count_w p_w``, variance ``sum_w count_w p_w (1 - p_w)``. The
trained words the driver reports (``result.trained_words``) must lie within
a few standard deviations of that mean; the corpus is large enough that the
rates of plausible bugs lie far outside.
"""

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.sampling import keep_probabilities

SAMPLE = 1e-3
EPOCHS = 2
SIGMAS = 4  # a false alarm about once in 16,000 runs (the draws are seeded, so never here)


def zipf_sentences(seed=0, V=300, n_tokens=120_000):
    """Zipfian tokens cut into sentences of 1-40 words, and three of 9,000.

    The long sentences exceed the kernel's window buffer (8,192 words), so
    they are trained in overlapping pieces, whose kept words must each be
    counted once too.
    """
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, V + 1)
    tokens = rng.choice(V, size=n_tokens, p=p / p.sum())
    cuts = [9_000, 18_000, 27_000]
    pos = cuts[-1]
    while pos < n_tokens:
        pos += int(rng.integers(1, 41))
        cuts.append(min(pos, n_tokens))
    words = np.array([f"w{i}" for i in range(V)])
    return [list(words[tokens[a:b]]) for a, b in zip([0] + cuts[:-1], cuts)]


@pytest.fixture(scope="module")
def trained():
    m = Word2Vec(sentences=zipf_sentences(), model="cbow", dim=8, window=2, negative=1,
                 sample=SAMPLE, min_count=1, epochs=EPOCHS, threads=2, seed=11)
    counts = np.bincount(m.corpus.ids, minlength=len(m.vocab))
    return m, counts


def mean_and_sigma(counts, keep):
    keep = keep.astype(np.float64)
    return EPOCHS * np.sum(counts * keep), np.sqrt(EPOCHS * np.sum(counts * keep * (1 - keep)))


def test_trained_centre_words_follow_the_keep_probabilities(trained):
    m, counts = trained
    assert np.array_equal(counts, m.vocab.counts)  # every kept word is in the corpus once per count
    keep = keep_probabilities(m.vocab.counts, SAMPLE)
    assert keep.min() < 0.1 and keep.max() == 1.0  # frequent words are mostly dropped, rare kept
    mean, sigma = mean_and_sigma(counts, keep)
    observed = m.result.trained_words
    assert abs(observed - mean) <= SIGMAS * sigma, (observed, mean, sigma)
    # ... and the test can tell: plausible wrong rates lie far outside it
    wrong = {
        "sample ten times larger": keep_probabilities(m.vocab.counts, 10 * SAMPLE),
        "sample ten times smaller": keep_probabilities(m.vocab.counts, SAMPLE / 10),
        "sqrt(t/f) without the t/f term": np.minimum(1.0, np.sqrt(SAMPLE * counts.sum() / counts)),
        "keep and drop swapped": 1.0 - keep,
    }
    for name, rate in wrong.items():
        wrong_mean, wrong_sigma = mean_and_sigma(counts, rate)
        assert abs(observed - wrong_mean) > SIGMAS * wrong_sigma, name

