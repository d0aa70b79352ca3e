"""Settings that used to crash in the kernel or allocate absurdly (issue 13 items 6, 9, 10, 17)."""

import logging

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.config import ConfigError, TrainConfig
from fastw2v.word2vec import TrainingDiverged

from corpora import topic_corpus, write_corpus
from helpers import assert_clean_error, run

SENTENCES = topic_corpus(n_sentences=200, seed=5)[0]


def test_min_alpha_is_checked_against_the_default_alpha_too():
    with pytest.raises(ConfigError, match=r"must not exceed the default cbow alpha \(0.05\)"):
        TrainConfig(min_alpha=1.0)
    with pytest.raises(ConfigError, match=r"must not exceed alpha \(0.5\)"):
        TrainConfig(alpha=0.5, min_alpha=0.6)
    assert TrainConfig(model="skipgram", min_alpha=0.025).start_alpha == 0.025


def test_a_run_starting_below_the_models_min_alpha_names_where_the_end_came_from():
    w2v = Word2Vec(min_alpha=0.001, dim=8, min_count=1, threads=1)
    w2v.build_vocab(sentences=SENTENCES)
    with pytest.raises(ConfigError, match=r"min_alpha \(this model's setting\) \(0.001\) must "
                                          r"not exceed start_alpha \(0.0005\); give train\(\) an end_alpha"):
        w2v.train(start_alpha=0.0005)
    with pytest.raises(ConfigError, match=r"^end_alpha \(0.01\) must not exceed"):
        w2v.train(start_alpha=0.0005, end_alpha=0.01)
    w2v.train(start_alpha=0.0005, end_alpha=0.0001, epochs=1)


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_a_huge_learning_rate_is_a_clear_error_not_a_kernel_crash(model):
    # item 6: ZeroDivisionError then SystemError inside the kernel
    w2v = Word2Vec(model=model, alpha=1e30, dim=8, min_count=1, threads=1, epochs=2)
    w2v.build_vocab(sentences=SENTENCES)
    with pytest.raises(TrainingDiverged, match="alpha=1e\\+30 is too large"):
        w2v.train()


def test_cli_reports_divergence_and_writes_nothing(tmp_path):
    corpus = write_corpus(tmp_path / "c.txt", SENTENCES)
    out = tmp_path / "v.bin"
    out.write_bytes(b"old")
    result = run("train", corpus, "-o", out, "--alpha", "1e30", "--min-count", "1", "--threads", "1",
                 "--epochs", "1", "-q")
    assert_clean_error(result, "training diverged")
    assert out.read_bytes() == b"old"
    assert_clean_error(run("train", corpus, "-o", out, "--min-alpha", "1.0"), "--min-alpha")


def test_seed_range_is_the_rng_state():
    # item 9: 2**64 was a numba TypingError; 2**64 - 1 is a valid uint64 seed
    with pytest.raises(ConfigError, match="seed must be at most 18446744073709551615"):
        TrainConfig(seed=2**64)
    w2v = Word2Vec(seed=2**64 - 1, dim=8, min_count=1, threads=1, epochs=1)
    w2v.build_vocab(sentences=SENTENCES)
    assert np.isfinite(w2v.train().epoch_loss[0])


@pytest.fixture
def eight_gib(monkeypatch):
    monkeypatch.setattr("fastw2v.word2vec._physical_memory", lambda: 8 << 30)


def test_absurd_sizes_fail_before_anything_is_allocated(eight_gib):
    for setting, value in (("dim", 10**9), ("window", 10**9), ("negative", 10**9), ("threads", 10**7)):
        with pytest.raises(ConfigError, match="GiB of memory here"):
            Word2Vec(**{setting: value})


@pytest.mark.parametrize("flag, value", [("--dim", 10**9), ("--window", 10**9),
                                         ("--negative", 10**9), ("--threads", 10**7)])
def test_absurd_sizes_fail_before_the_corpus_is_read(tmp_path, eight_gib, flag, value):
    # item 10: the corpus does not even exist, so reading it would fail differently
    result = run("train", tmp_path / "not-read.txt", "-o", tmp_path / "v.bin", flag, value)
    assert_clean_error(result, "GiB of memory here")


def test_a_dim_too_large_for_the_vocabulary_fails_before_allocating(tmp_path, eight_gib):
    corpus = write_corpus(tmp_path / "c.txt", SENTENCES)  # 94 words x 10**8 dims x 2 matrices
    result = run("train", corpus, "-o", tmp_path / "v.bin", "--dim", 10**8, "--min-count", "1",
                 "--threads", "1")
    assert_clean_error(result, "GiB for 94 words")


def test_train_epochs_must_be_a_positive_integer_and_a_second_call_warns(caplog):
    # item 17
    w2v = Word2Vec(dim=8, min_count=1, threads=1, epochs=1)
    w2v.build_vocab(sentences=SENTENCES)
    for bad in (-3, 0, 2.7, "2", True):
        with pytest.raises(ConfigError, match="epochs must be"):
            w2v.train(epochs=bad)
    w2v.train(epochs=np.int64(1))
    with caplog.at_level(logging.WARNING, logger="fastw2v"):
        w2v.train(epochs=1)
    assert "learning rate restarts at 0.05" in caplog.text
