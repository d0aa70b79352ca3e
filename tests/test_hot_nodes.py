"""Hierarchical softmax's hottest inner nodes: one copy per thread, merged between kernel calls."""

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.config import TrainConfig
from fastw2v.replicas import HOT_NODES, hot_nodes
from fastw2v.word2vec import KernelCall

from corpora import topic_corpus
from helpers import record_merges


def test_the_copied_nodes_are_the_heaviest_in_whole_cache_lines():
    cfg = TrainConfig(hs=True, negative=0)
    assert hot_nodes(cfg, 100_000) == HOT_NODES
    assert hot_nodes(cfg, 100) == 96 and hot_nodes(cfg, 20) == 0
    assert hot_nodes(TrainConfig(), 100_000) == 0  # no HS, nothing copied


@pytest.fixture(scope="module")
def trained():
    sentences, _ = topic_corpus(n_sentences=1500, words_per_topic=20)
    m = Word2Vec(sentences, hs=True, negative=0, dim=16, min_count=1, epochs=1, threads=2)
    return m


def test_after_a_call_the_model_holds_the_mean_of_the_threads_copies(trained, monkeypatch):
    m = trained
    cfg = m.config
    n = len(m.corpus)
    nodes_before = m.syn1.copy()
    kernel = KernelCall(cfg, m.vocab.counts, m.corpus, m.wv.vectors, None, m.syn1, 0.025, 0.001,
                        float(n))
    hot_from = kernel.settings.hot_from
    assert hot_from == len(m.vocab) - 1 - hot_nodes(cfg, len(m.vocab)) and hot_from < m.syn1.shape[0]
    merged = record_merges(monkeypatch)
    kernel(0, n, 0.0, 1000)
    copies = merged[0]  # as the threads left them
    assert copies.shape == (2, m.syn1.shape[0] - hot_from, cfg.dim)
    assert not np.allclose(copies[0], copies[1])  # each thread trained its own copy
    np.testing.assert_allclose(m.syn1[hot_from:], copies.mean(axis=0), rtol=1e-6)
    # and both copies now hold the mean, where the next call starts
    assert all(np.array_equal(copy, m.syn1[hot_from:]) for copy in kernel.scratch.hot)
    assert not np.allclose(m.syn1[hot_from:], nodes_before[hot_from:])
    # the root is the last node, and every word's path starts there
    root = m.syn1.shape[0] - 1
    assert (kernel.tables.points[:, 0] == root).all()


def test_with_one_thread_the_copy_changes_nothing(monkeypatch):
    # with one copy the mean is that copy: byte-identical to training every node in
    # place, which the resume tests rely on (tests/test_model_state.py)
    from fastw2v import replicas

    sentences, _ = topic_corpus(n_sentences=300, words_per_topic=20)
    settings = dict(hs=True, negative=0, dim=16, min_count=1, epochs=2, threads=1, seed=3)
    copied = Word2Vec(sentences, **settings)
    monkeypatch.setattr(replicas, "HOT_NODES", 0)
    in_place = Word2Vec(sentences, **settings)
    assert hot_nodes(in_place.config, len(in_place.vocab)) == 0
    assert np.array_equal(copied.syn1, in_place.syn1)
    assert np.array_equal(copied.wv.vectors, in_place.wv.vectors)
