"""The cluster mode on a Dask LocalCluster: vocabulary, quality, combine rules, failures, CLI."""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import fastw2v.distributed as fd  # noqa: E402
from fastw2v import Word2Vec  # noqa: E402

from corpora import neighbour_purity, topic_corpus, write_corpus  # noqa: E402
from helpers import assert_clean_error, run  # noqa: E402

SETTINGS = dict(dim=32, min_count=1, epochs=8, seed=7)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    sentences, groups = topic_corpus()
    folder = tmp_path_factory.mktemp("parts")
    for i in range(4):
        write_corpus(folder / f"part-{i}.txt", sentences[i::4])
    return folder, groups


@pytest.fixture(scope="module")
def processes():
    """Two worker processes, one thread each: the workers' state lives in other processes."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture
def threads():
    """Two in-process workers: the tests can replace the worker function."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_the_vocabulary_is_the_one_a_local_run_builds(processes, planted):
    folder, _ = planted
    local = Word2Vec(**{**SETTINGS, "epochs": 1}, threads=1)
    local.build_vocab(corpus_file=folder)
    model = fd.train(processes, folder, round_words=5000, **{**SETTINGS, "epochs": 1})
    assert model.wv.index_to_key == local.wv.index_to_key
    assert np.array_equal(model.vocab.counts, local.vocab.counts)
    assert model.distributed.workers == 2 and model.distributed.shards == 2


@pytest.mark.parametrize("rule", fd.RULES)
def test_cluster_training_recovers_planted_topics(processes, planted, rule):
    folder, groups = planted
    model = fd.train(processes, folder, round_words=5000, rule=rule, **SETTINGS)
    purity = neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups)
    assert purity >= 0.9, f"{rule}: only {purity:.0%} of neighbours share the topic"
    loss = model.result.epoch_loss
    assert len(loss) == SETTINGS["epochs"] and loss[-1] < 0.9 * loss[0]
    report = model.distributed
    assert report.rounds >= SETTINGS["epochs"] * 2 and not report.failures
    assert all(b > 0 for b in report.bytes_per_round)
    assert model.result.trained_words > 0 and model.state.epochs_trained == SETTINGS["epochs"]


def test_combine_rules():
    base = {"syn0": np.zeros((4, 2), np.float32)}
    deltas = [{"syn0": (np.array([0, 1]), np.ones((2, 2), np.float32))},
              {"syn0": (np.array([1, 3]), np.full((2, 2), 3.0, np.float32))}]
    changed = fd.combine(base, deltas, [1, 3], "sum")
    assert base["syn0"][:, 0].tolist() == [1, 4, 0, 3]
    assert changed["syn0"][0].tolist() == [0, 1, 3]
    base = {"syn0": np.zeros((4, 2), np.float32)}
    fd.combine(base, deltas, [1, 3], "mean")
    assert base["syn0"][:, 0].tolist() == [0.25, 0.25 + 2.25, 0, 2.25]
    base = {"syn0": np.zeros((4, 2), np.float32)}
    fd.combine(base, deltas, [1, 3], "rows")  # row 1 moved by both: their mean
    assert base["syn0"][:, 0].tolist() == [1, 2, 0, 3]
    with pytest.raises(ValueError, match="rule must be"):
        fd.combine(base, deltas, [1, 3], "median")


def test_changed_rows_are_the_rows_a_round_moved():
    before = np.zeros((5, 3), np.float32)
    after = before.copy()
    after[[1, 4]] += 0.5
    rows, delta = fd.changed_rows(before, after)
    assert rows.tolist() == [1, 4] and np.allclose(delta, 0.5)


#: The round tasks seen by :func:`flaky_round`. Module level, like the function:
#: Dask pickles a module's top-level function by reference, so the in-process
#: workers share this list (a closure would be copied into every task).
ROUND_CALLS = []
REAL_ROUND = fd._train_round


def flaky_round(run_id, shard, *args):
    """Shard 1 fails in round 3 (both tries); shard 0's worker "restarts" in round 5."""
    ROUND_CALLS.append(shard)
    if shard == 1 and ROUND_CALLS.count(1) == 3:
        raise OSError("disk went away")
    if shard == 0 and ROUND_CALLS.count(0) == 5:
        fd._SHARDS.pop((run_id, shard))
    return REAL_ROUND(run_id, shard, *args)


def test_a_failing_shard_does_not_end_the_run(threads, planted, monkeypatch):
    folder, groups = planted
    ROUND_CALLS.clear()
    monkeypatch.setattr(fd, "_train_round", flaky_round)
    model = fd.train(threads, folder, round_words=5000, retries=0, **SETTINGS)
    failures = model.distributed.failures
    assert len(failures) == 2, failures
    assert "shard 1 failed" in failures[0] and "disk went away" in failures[0]
    assert "shard 0 was lost" in failures[1]
    assert neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups) >= 0.9
    assert model.distributed.rounds == len(ROUND_CALLS) // 2


def test_standard_input_is_refused(threads, planted):
    from fastw2v.corpus import CorpusError

    with pytest.raises(CorpusError, match="standard input"):
        fd.train(threads, "-", **SETTINGS)


def test_the_command_line_trains_on_a_local_cluster(tmp_path, planted):
    folder, groups = planted
    out = tmp_path / "v.txt"
    result = run("train", folder, "-o", out, "--local-workers", 2, "--threads", 1,
                 "--round-words", 5000, "--dim", 32, "--min-count", 1, "--epochs", 8)
    assert result.exit_code == 0, result.output
    assert "cluster: 2 workers" in result.output
    from fastw2v import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(out)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9
    mixed = run("train", folder, "-o", out, "--local-workers", 2, "--init", tmp_path)
    assert mixed.exit_code == 2 and "starts a new model" in mixed.output
    bad = run("train", folder, "-o", out, "--local-workers", 0)
    assert_clean_error(bad, "--local-workers")
