"""The cluster mode on a Dask LocalCluster: vocabulary, quality, combine rules, failures, CLI."""

import os
import signal
import subprocess
import sys
import threading
import time

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


@pytest.mark.parametrize("settings", [dict(model="skipgram"), dict(hs=True, negative=0),
                                      dict(model="skipgram", hs=True)])
def test_cluster_training_with_skipgram_and_hierarchical_softmax(processes, planted, settings):
    folder, groups = planted
    model = fd.train(processes, folder, round_words=5000, **{**SETTINGS, **settings})
    purity = neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups)
    assert purity >= 0.9, f"{settings}: only {purity:.0%} of neighbours share the topic"
    assert (model.syn1 is not None) == bool(settings.get("hs"))
    assert not model.distributed.failures


def test_the_vocabulary_is_the_one_a_local_run_builds(processes, planted):
    folder, _ = planted
    local = Word2Vec(**{**SETTINGS, "epochs": 1}, threads=1)
    local.build_vocab(corpus_file=folder)
    model = fd.train(processes, folder, round_words=5000, **{**SETTINGS, "epochs": 1})
    assert model.wv.index_to_key == local.wv.index_to_key
    assert np.array_equal(model.vocab.counts, local.vocab.counts)
    assert model.distributed.workers == 2 and model.distributed.shards == 2


@pytest.mark.parametrize("rule,overlap,half",
                         [(rule, True, True) for rule in fd.RULES] + [("hot", False, False)])
def test_cluster_training_recovers_planted_topics(processes, planted, rule, overlap, half):
    folder, groups = planted
    model = fd.train(processes, folder, round_words=5000, rule=rule, overlap=overlap, half=half,
                     **SETTINGS)
    purity = neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups)
    assert purity >= 0.9, f"{rule}: only {purity:.0%} of neighbours share the topic"
    loss = model.result.epoch_loss
    assert len(loss) == SETTINGS["epochs"] and loss[-1] < 0.9 * loss[0]
    report = model.distributed
    assert report.rounds >= SETTINGS["epochs"] * 2 and not report.failures
    assert all(b > 0 for b in report.bytes_per_round)
    assert model.result.trained_words > 0 and model.state.epochs_trained == SETTINGS["epochs"]


def test_combine_rules():
    from fastw2v.replicas import combine

    deltas = [{"syn0": (np.array([0, 1]), np.ones((2, 2), np.float32))},
              {"syn0": (np.array([1, 3]), np.full((2, 2), 3.0, np.float32))}]

    def combined(rule, hot=None):
        base = {"syn0": np.full((4, 2), 10.0, np.float32)}
        rows, change = combine(base, deltas, [1, 3], rule, hot)["syn0"]
        assert np.array_equal(base["syn0"][rows], 10.0 + change)  # returned = applied
        return (base["syn0"][:, 0] - 10.0).tolist(), rows.tolist()

    assert combined("sum") == ([1, 4, 0, 3], [0, 1, 3])
    assert combined("mean")[0] == [0.25, 0.25 + 2.25, 0, 2.25]
    assert combined("rows")[0] == [1, 2, 0, 3]  # row 1 moved by both: their mean
    # "hot": the rows named hot are averaged over the replicas that moved them, the rest summed
    assert combined("hot", {"syn0": slice(0, 2)})[0] == [1, 2, 0, 3]
    assert combined("hot", {"syn0": slice(2, 4)})[0] == [1, 4, 0, 3]
    assert combined("hot")[0] == [1, 4, 0, 3]
    # "hot" moves a row at most twice its movers' mean change: three replicas, 3 -> 2
    three = [{"syn0": (np.array([0]), np.ones((1, 2), np.float32))}] * 3
    for rule, expected in (("hot", 2.0), ("sum", 3.0)):
        model = {"syn0": np.zeros((1, 2), np.float32)}
        combine(model, three, [1, 1, 1], rule)
        assert model["syn0"][0, 0] == expected, rule
    with pytest.raises(ValueError, match="rule must be"):
        combine({"syn0": np.zeros((4, 2), np.float32)}, deltas, [1, 3], "median")


def test_packed_changes_keep_each_value_to_a_step_of_its_row():
    from fastw2v.replicas import PACK_LEVELS, pack, unpack

    rng = np.random.default_rng(2)
    values = (rng.standard_normal((40, 9)) * np.logspace(-8, 1, 40)[:, None]).astype(np.float32)
    values[7] = 0.0  # a row that did not move at all
    rows = np.arange(3, 43)
    packed = pack(rows, values)
    assert packed[0].dtype == np.int32 and packed[2].dtype == np.int16
    assert sum(a.nbytes for a in packed) < 0.6 * (rows.astype(np.int64).nbytes + values.nbytes)
    back_rows, back = unpack(packed)
    assert back_rows.tolist() == rows.tolist()
    top = np.abs(values).max(axis=1, keepdims=True)
    assert np.all(np.abs(back - values) <= top / (2 * PACK_LEVELS) * 1.001 + 1e-30)
    assert np.all(back[7] == 0.0) and np.all(np.abs(back).max(axis=1)[top[:, 0] > 0] > 0)
    again = pack(rows, back)  # what the driver applied is exactly what the replicas receive
    assert all(np.array_equal(x, y) for x, y in zip(again, packed))


def test_combining_packed_changes_applies_what_is_sent():
    from fastw2v.replicas import combine, unpack

    rng = np.random.default_rng(3)
    deltas = [{"syn0": (np.array([0, 2, 5]), rng.standard_normal((3, 6)).astype(np.float32))},
              {"syn0": (np.array([2, 3]), rng.standard_normal((2, 6)).astype(np.float32))}]
    exact = {"syn0": np.zeros((8, 6), np.float32)}
    combine(exact, deltas, [1, 1], "sum")
    model = {"syn0": np.zeros((8, 6), np.float32)}
    message = combine(model, deltas, [1, 1], "sum", half=True)["syn0"]
    rows, change = unpack(message)
    assert rows.tolist() == [0, 2, 3, 5] and np.array_equal(model["syn0"][rows], change)
    assert np.allclose(model["syn0"], exact["syn0"], rtol=0, atol=1e-4)


def test_hot_rows_are_the_output_rows_every_example_moves():
    from fastw2v.replicas import HOT_NODES, HOT_ROWS, hot_slices

    matrices = {name: np.zeros((5000, 4), np.float32) for name in ("syn0", "syn1neg", "syn1")}
    hot = hot_slices(matrices)
    assert set(hot) == {"syn1neg", "syn1"}  # input rows are summed
    assert np.arange(5000)[hot["syn1neg"]].tolist() == list(range(HOT_ROWS))
    assert np.arange(5000)[hot["syn1"]].tolist() == list(range(5000 - HOT_NODES, 5000))


def test_changed_rows_are_the_rows_a_round_moved_and_the_base_catches_up():
    from fastw2v.replicas import changed_rows

    rng = np.random.default_rng(0)
    base = rng.standard_normal((50, 7)).astype(np.float32)
    replica = base.copy()
    replica[[1, 4, 49]] += 0.5
    replica[20, 6] = -3.0  # one value of a row is enough
    expected = replica[[1, 4, 20, 49]] - base[[1, 4, 20, 49]]
    rows, delta = changed_rows(base, replica)
    assert rows.tolist() == [1, 4, 20, 49] and np.array_equal(delta, expected)
    assert np.array_equal(base, replica)
    rows, delta = changed_rows(base, replica)
    assert rows.size == 0 and delta.shape == (0, 7)


@pytest.mark.parametrize("half", [False, True])
def test_a_worker_catching_up_holds_the_model_plus_its_own_newer_rounds(half):
    """Overlapped rounds: the replica takes the combined round minus its own part of it."""
    from fastw2v.replicas import changed_rows, combine

    rng = np.random.default_rng(1)
    model = {"syn0": rng.standard_normal((30, 4)).astype(np.float32)}
    replicas = [{"syn0": model["syn0"].copy()} for _ in range(2)]
    states = [{"replica": r, "base": {"syn0": r["syn0"].copy()}, "sent": {}, "synced": -1}
              for r in replicas]

    def train_round(state, k, rows):
        state["replica"]["syn0"][rows] += rng.standard_normal((len(rows), 4)).astype(np.float32)
        state["sent"][k] = {"syn0": changed_rows(state["base"]["syn0"], state["replica"]["syn0"])}
        return state["sent"][k]

    sent0 = [train_round(states[0], 0, [1, 2, 3]), train_round(states[1], 0, [3, 4, 5])]
    combined0 = (0, combine(model, sent0, [1, 1], "sum", half=half))
    own1 = train_round(states[0], 1, [2, 9])  # worker 0 trains round 1 before round 0 comes back
    fd._catch_up(states[0], combined0)
    expected = model["syn0"].copy()
    expected[own1["syn0"][0]] += own1["syn0"][1]
    assert np.allclose(states[0]["replica"]["syn0"], expected, atol=1e-6)
    assert np.array_equal(states[0]["base"]["syn0"], states[0]["replica"]["syn0"])
    assert 0 not in states[0]["sent"] and 1 in states[0]["sent"]
    # a replica set up from the model after round 0 takes nothing of it
    fresh = {"replica": {"syn0": model["syn0"].copy()}, "base": {"syn0": model["syn0"].copy()},
             "sent": {}, "synced": 0}
    fd._catch_up(fresh, combined0)
    assert np.array_equal(fresh["replica"]["syn0"], model["syn0"])


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


def test_a_worker_that_leaves_hands_its_shard_to_another(threads, planted):
    """A worker retired mid-run: its queued round is dropped and its shard moves."""
    folder, groups = planted
    leaving = sorted(threads.nthreads())[1]
    rounds = []

    def progress(_):
        rounds.append(1)
        if len(rounds) == 3:
            threads.retire_workers([leaving], close_workers=True)

    model = fd.train(threads, folder, round_words=5000, progress=progress, **SETTINGS)
    failures = model.distributed.failures
    assert len(failures) == 1 and "worker left" in failures[0], failures
    assert sorted(threads.nthreads()) != [] and leaving not in threads.nthreads()
    assert neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups) >= 0.9
    assert model.state.epochs_trained == SETTINGS["epochs"]


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
    assert "cluster: 2 workers" in result.output and "overlapped" in result.output
    from fastw2v import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(out)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9
    mixed = run("train", folder, "-o", out, "--local-workers", 2, "--init", tmp_path)
    assert mixed.exit_code == 2 and "starts a new model" in mixed.output
    bad = run("train", folder, "-o", out, "--local-workers", 0)
    assert_clean_error(bad, "--local-workers")
    too_many = run("train", folder, "-o", out, "--local-workers", 100_000)
    assert_clean_error(too_many, "--local-workers")
    alone = run("train", folder, "-o", out, "--lockstep")
    assert alone.exit_code == 2 and "--lockstep need --scheduler" in alone.output


def test_the_command_line_trains_in_lockstep(tmp_path, planted):
    folder, groups = planted
    out = tmp_path / "v.txt"
    result = run("train", folder, "-o", out, "--local-workers", 2, "--threads", 1, "--lockstep",
                 "--round-words", 5000, "--dim", 32, "--min-count", 1, "--epochs", 8)
    assert result.exit_code == 0, result.output
    assert "rounds in lockstep" in result.output
    from fastw2v import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(out)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9


def test_the_command_line_states_the_default_round_length():
    result = run("train", "--help")
    assert f"[default: {fd.ROUND_WORDS:,}]" in " ".join(result.output.split())


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_ctrl_c_stops_a_local_cluster_run_after_its_round_and_writes_the_vectors(tmp_path,
                                                                               planted):
    """A terminal's Ctrl-C reaches the whole process group, the LocalCluster's workers too."""
    folder, _ = planted
    out = tmp_path / "v.txt"
    cmd = [sys.executable, "-m", "fastw2v", "train", str(folder), "-o", str(out),
           "--local-workers", "2", "--threads", "1", "--round-words", "2000", "--dim", "16",
           "--min-count", "1", "--epochs", "100000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    err = []
    reader = threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")))
    reader.start()
    deadline = time.monotonic() + 60
    while "training" not in "".join(err) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # a few rounds in
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    text = "".join(err)
    assert proc.returncode == 130, text
    assert "partial vectors" in text and "Traceback" not in text
    from fastw2v import KeyedVectors

    assert len(KeyedVectors.load_word2vec_format(out).index_to_key) > 0


def test_an_empty_shard_is_one_line_of_error_not_a_worker_traceback(tmp_path):
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "b.txt").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "fastw2v", "train", str(tmp_path), "-o", str(tmp_path / "v.txt"),
         "--local-workers", "2", "--threads", "1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "the corpus is empty" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "v.txt").exists()
