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


def test_shards_of_no_tokens_add_nothing_as_empty_files_add_nothing_locally(processes, planted,
                                                                           tmp_path):
    # a Spark job's empty _SUCCESS file, dealt a shard of its own, ended the run
    folder, _ = planted
    (tmp_path / "_SUCCESS").write_text("")  # sorts first: the first of two shards
    (tmp_path / "part-00000").write_bytes(b"".join((folder / part).read_bytes()
                                                   for part in sorted(os.listdir(folder))))
    assert [len(shard) for shard in fd.deal(sorted(tmp_path.iterdir()), ["w1", "w2"])] == [1, 1]
    local = Word2Vec(**{**SETTINGS, "epochs": 1}, threads=1)
    local.build_vocab(corpus_file=tmp_path)
    model = fd.train(processes, tmp_path, round_words=5000, **{**SETTINGS, "epochs": 1})
    assert model.wv.index_to_key == local.wv.index_to_key
    assert np.array_equal(model.vocab.counts, local.vocab.counts)
    assert model.distributed.shards == 1


@pytest.mark.parametrize("rule,overlap,half,turns",
                         [(rule, True, True, {}) for rule in fd.RULES]
                         + [("hot", False, False, {}),
                            ("hot", True, True, dict(every_round=8, cold_rounds=3)),
                            ("sum", False, True, dict(every_round=8, cold_rounds=5))])
def test_cluster_training_recovers_planted_topics(processes, planted, rule, overlap, half, turns):
    folder, groups = planted
    model = fd.train(processes, folder, round_words=5000, rule=rule, overlap=overlap, half=half,
                     **turns, **SETTINGS)
    purity = neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups)
    assert purity >= 0.9, f"{rule}: only {purity:.0%} of neighbours share the topic"
    loss = model.result.epoch_loss
    assert len(loss) == SETTINGS["epochs"] and loss[-1] < 0.9 * loss[0]
    report = model.distributed
    assert report.rounds >= SETTINGS["epochs"] * 2 and not report.failures
    assert all(b > 0 for b in report.bytes_per_round)
    assert model.result.trained_words > 0 and model.state.epochs_trained == SETTINGS["epochs"]
    # the rarer rows' last changes, held back for their turn, were collected at the end
    assert (report.flush_bytes > 0) == bool(turns)


def test_exchanged_rows_take_the_heaviest_every_round_and_the_rest_in_turns():
    n, every, turns = 103, 10, 4
    for name, heavy in (("syn0", range(0, 10)), ("syn1neg", range(0, 10)),
                        ("syn1", range(93, 103))):  # the inner nodes next to the root are last
        seen = np.zeros(n, dtype=int)
        for k in range(turns):
            ranges = fd.exchanged_rows(name, n, k, every, turns)
            rows = np.concatenate([np.arange(lo, hi) for lo, hi in ranges])
            assert np.all(np.diff(rows) > 0), "ranges are increasing and disjoint"
            assert set(heavy) <= set(rows.tolist())
            assert ranges == fd.exchanged_rows(name, n, k + turns, every, turns)  # a cycle
            seen[rows] += 1
        assert np.all(seen[list(heavy)] == turns)
        cold = np.setdiff1d(np.arange(n), list(heavy))
        assert np.all(seen[cold] == 1), f"{name}: every other row once in {turns} rounds"
    assert fd.exchanged_rows("syn0", n, 3, every, 1) == ((0, n),)
    assert fd.exchanged_rows("syn0", n, 3, n, turns) == ((0, n),)


@pytest.mark.parametrize("packed", [False, True])
def test_changed_rows_outside_the_ranges_keep_their_change_for_later(packed):
    from fastw2v.replicas import changed_rows, changed_rows_packed, unpack

    find = (lambda *a: unpack(changed_rows_packed(*a))) if packed else changed_rows
    base = np.zeros((20, 3), np.float32)
    replica = base.copy()
    replica[[2, 7, 15]] = 1.0
    replica[15, 1] = -1.0  # (values packed exactly)
    rows, delta = find(base, replica, ((0, 5), (14, 20)))
    assert rows.tolist() == [2, 15] and np.array_equal(delta, replica[[2, 15]])
    held = np.zeros((20, 3), np.float32)
    held[7] = 1.0
    assert np.array_equal(replica - base, held)
    rows, delta = find(base, replica)
    assert rows.tolist() == [7] and np.all(delta == 1.0)
    assert np.array_equal(base, replica)


def test_rows_found_and_packed_in_one_pass_are_the_packed_changed_rows():
    from fastw2v.replicas import changed_rows, changed_rows_packed, pack

    rng = np.random.default_rng(5)
    base = rng.standard_normal((300, 17)).astype(np.float32)
    replica = base.copy()
    moved = rng.choice(300, size=90, replace=False)
    replica[moved] += (rng.standard_normal((90, 17)) * np.logspace(-7, 0, 90)[:, None]).astype(
        np.float32)
    replica[moved[0], 3] = base[moved[0], 3] + np.float32(1e-3)  # one value is enough
    two = base.copy()
    ranges = ((0, 40), (100, 300))
    expected = pack(*changed_rows(base, replica, ranges))
    got = changed_rows_packed(two, replica, ranges)
    assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(got, expected))
    assert np.array_equal(two, base)  # both bases caught up on the same rows


@pytest.mark.parametrize("overlap", [True, False])
def test_rows_exchanged_in_turns_reach_the_model_once_each(overlap):
    """Overlapped rounds with turns, and the flush: every change is in the model, once."""
    from fastw2v.replicas import changed_rows, combine

    rng = np.random.default_rng(4)
    n, every, turns = 40, 4, 3
    model = {"syn0": rng.standard_normal((n, 3)).astype(np.float32)}
    expected = model["syn0"].astype(np.float64)
    states = [{"replica": {"syn0": model["syn0"].copy()}, "base": {"syn0": model["syn0"].copy()},
               "sent": {}, "synced": -1} for _ in range(2)]
    combined, in_flight = None, []
    for k in range(7):
        sent = []
        for state in states:
            fd._catch_up(state, combined)
            rows = rng.choice(n, size=9, replace=False)
            change = rng.standard_normal((9, 3)).astype(np.float32)
            state["replica"]["syn0"][rows] += change
            expected[rows] += change
            ranges = fd.exchanged_rows("syn0", n, k, every, turns)
            state["sent"][k] = {"syn0": changed_rows(state["base"]["syn0"],
                                                     state["replica"]["syn0"], ranges)}
            sent.append(state["sent"][k])
        in_flight.append((k, sent))
        while len(in_flight) > (1 if overlap else 0):
            q, deltas = in_flight.pop(0)
            combined = (q, combine(model, deltas, [1, 1], "sum"))
    for q, deltas in in_flight:  # the last round, still in flight
        combine(model, deltas, [1, 1], "sum")
    held = [{"syn0": changed_rows(s["base"]["syn0"], s["replica"]["syn0"])} for s in states]
    assert all(h["syn0"][0].size for h in held), "some rows were waiting for their turn"
    combine(model, held, [1, 1], "sum")
    assert np.allclose(model["syn0"], expected, atol=1e-5)


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


@pytest.mark.parametrize("half", [False, True])
def test_rule_align_sums_independent_changes_and_scales_aligned_ones_down(half):
    from fastw2v.replicas import combine, unpack

    def d(rows, values):
        return {"syn0": (np.array(rows), np.array(values, np.float32))}

    # rows 0-3, two replicas or one: the sum, whatever the angle;
    # row 4, four equal changes: twice their mean (the floor, 2 / n of the sum);
    # row 5, four changes: |S|^2 = 9 against 1 + 1 + 1 + 2 = 5, so 5 / 9 of the sum
    deltas = [d([0, 1, 2, 3, 4, 5], [[2, 0], [1, 0], [0, 3], [1, 0], [1, 0], [1, 0]]),
              d([0, 1, 3, 4, 5], [[2, 0], [0, 1], [-1, 0.5], [1, 0], [0, 1]]),
              d([4, 5], [[1, 0], [0, 1]]),
              d([4, 5], [[1, 0], [-1, 1]])]
    model = {"syn0": np.full((6, 2), 10.0, np.float32)}
    message = combine(model, deltas, [1, 1, 1, 1], "align", half=half)["syn0"]
    rows, change = unpack(message) if half else message
    assert rows.tolist() == [0, 1, 2, 3, 4, 5]
    expected = np.array([[4, 0], [1, 1], [0, 3], [0, 0.5], [2, 0], [0, 3 * 5 / 9]], np.float32)
    assert np.allclose(change, expected, atol=1e-4)
    assert np.allclose(model["syn0"], 10.0 + expected, atol=1e-4)  # returned = applied
    # two replicas: exactly rule "sum"
    two = deltas[:2]
    summed = {"syn0": np.zeros((6, 2), np.float32)}
    aligned = {"syn0": np.zeros((6, 2), np.float32)}
    combine(summed, two, [1, 1], "sum")
    combine(aligned, two, [1, 1], "align")
    assert np.array_equal(summed["syn0"], aligned["syn0"])


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


def test_a_round_dask_cancels_itself_is_a_lost_round_not_a_traceback(threads, planted,
                                                                    monkeypatch):
    # Found killing a worker process mid-run: between the driver's checks and result(),
    # the scheduler forgot the dead worker's task, and FutureCancelledError ended the run.
    folder, groups = planted
    real = distributed.Future.result
    calls = []

    def result(future, *args, **kwargs):
        calls.append(future.key)
        if len(calls) == 7:  # a round's outcome, well into the run
            raise distributed.client.FutureCancelledError(future.key, reason="already forgotten")
        return real(future, *args, **kwargs)

    monkeypatch.setattr(distributed.Future, "result", result)
    model = fd.train(threads, folder, round_words=5000, **SETTINGS)
    failures = model.distributed.failures
    assert len(failures) == 1 and "was cancelled with its worker" in failures[0], failures
    assert neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups) >= 0.9
    assert model.state.epochs_trained == SETTINGS["epochs"]


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
    # found when the next round is sent to it: that shard's round trains on its new worker
    assert len(failures) == 1 and "worker left before this round was sent" in failures[0], \
        failures
    assert sorted(threads.nthreads()) != [] and leaving not in threads.nthreads()
    assert neighbour_purity(model.wv.vectors, model.wv.index_to_key, groups) >= 0.9
    assert model.state.epochs_trained == SETTINGS["epochs"]


def test_anything_but_an_open_client_is_refused_in_words(planted):
    # AttributeError: 'NoneType' object has no attribute 'ncores' (a closed client), or
    # 'str' object has no attribute 'nthreads' (an address given for the client)
    folder, _ = planted
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        client = distributed.Client(cluster)
        client.close()
        for wrong, shown in ((client, "closed"), ("tcp://127.0.0.1:8786", "str"), (None, "NoneType")):
            with pytest.raises(TypeError, match=f"client must be an open dask.distributed.Client, "
                                                f"not {shown}"):
                fd.train(wrong, folder, **SETTINGS)


def test_standard_input_is_refused(threads, planted):
    from fastw2v.corpus import CorpusError

    with pytest.raises(CorpusError, match="standard input"):
        fd.train(threads, "-", **SETTINGS)


@pytest.mark.parametrize("bad", [dict(cold_rounds=0), dict(every_round=-1),
                                 dict(cold_rounds=2.5), dict(round_words=0)])
def test_exchange_settings_are_checked_before_anything_runs(threads, planted, bad):
    from fastw2v.config import ConfigError

    name = next(iter(bad))
    with pytest.raises(ConfigError, match=name):
        fd.train(threads, planted[0], **bad, **SETTINGS)


def test_the_command_line_trains_on_a_local_cluster(tmp_path, planted):
    folder, groups = planted
    out = tmp_path / "v.txt"
    result = run("train", folder, "-o", out, "--local-workers", 2, "--threads", 1,
                 "--round-words", 5000, "--dim", 32, "--min-count", 1, "--epochs", 8)
    assert result.exit_code == 0, result.output
    assert "cluster: 2 workers" in result.output and "overlapped" in result.output
    assert ", loss " in result.output and "nothing trained" not in result.output
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
    # a second Ctrl-C once the vectors are written lands while the cluster closes
    # (seconds): it printed a bare "aborted" under "partial vectors ... written"
    while "partial vectors" not in "".join(err) and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    text = "".join(err)
    assert proc.returncode == 130, text
    assert "partial vectors" in text and "Traceback" not in text
    assert "aborted" not in text, text
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


def test_a_scheduler_address_where_something_else_answers_is_one_line_of_error(tmp_path):
    # an HTTP server's reply, read as a Dask message header, asked NumPy for exabytes
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_in_http():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 10)
                time.sleep(0.5)

    threading.Thread(target=answer_in_http, daemon=True).start()
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=50)[0])
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fastw2v", "train", str(corpus), "-o", str(tmp_path / "v.bin"),
             "--scheduler", f"tcp://127.0.0.1:{port}", "-q"],
            capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()  # (what Dask raises varies with its version)
    assert len(lines) == 1 and lines[0].startswith(
        f"Error: cannot reach the Dask scheduler tcp://127.0.0.1:{port}: "), result.stderr
    assert not (tmp_path / "v.bin").exists()


def test_a_local_cluster_takes_a_free_dashboard_port_without_a_warning(tmp_path, planted):
    # with 8787 taken (a notebook's own Dask cluster), Dask warned with its file path
    import socket
    import warnings

    folder, _ = planted
    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))
        holder.listen(1)
    except OSError:
        pass  # taken already: the case itself
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run("train", folder, "-o", tmp_path / "v.txt", "--local-workers", 2,
                         "--threads", 1, "--min-count", 1, "--epochs", 1, "-q")
    finally:
        holder.close()
    assert result.exit_code == 0, result.output
    assert not [w for w in caught if "8787" in str(w.message)], [str(w.message) for w in caught]


def test_a_scheduler_port_that_never_answers_is_given_up_on(tmp_path, monkeypatch):
    # the dashboard's port given for the scheduler's: it accepts and never answers, and
    # the command waited for as long as the peer kept the connection open
    import socket

    import fastw2v.cli_train

    monkeypatch.setattr(fastw2v.cli_train, "CONNECT_SECONDS", 2)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    held = []

    def accept_and_wait():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_and_wait, daemon=True).start()
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=50)[0])
    t0 = time.monotonic()
    try:
        result = run("train", corpus, "-o", tmp_path / "v.bin", "--scheduler",
                     f"tcp://127.0.0.1:{port}", "-q")
    finally:
        for conn in held:
            conn.close()
        server.close()
    assert time.monotonic() - t0 < 30
    assert_clean_error(result, "cannot reach the Dask scheduler tcp://127.0.0.1:")
    assert "no answer within 2 s" in result.output
    assert not (tmp_path / "v.bin").exists()


def test_the_command_line_trains_on_a_running_scheduler(processes, tmp_path, planted):
    folder, groups = planted
    out = tmp_path / "v.txt"
    result = run("train", folder, "-o", out, "--scheduler", processes.scheduler.address,
                 "--threads", 1, "--round-words", 5000, "--dim", 32, "--min-count", 1,
                 "--epochs", 8)
    assert result.exit_code == 0, result.output
    assert "cluster: 2 workers" in result.output
    from fastw2v import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(out)
    assert neighbour_purity(kv.vectors, kv.index_to_key, groups) >= 0.9


def test_a_send_that_hangs_or_fails_is_tried_again_left_out_or_given_up_on(monkeypatch):
    # Dask's broadcast copied a round among the workers in a scheduler loop that never
    # ended once one of them died (a killed worker hung the run); each worker now has its
    # own scatter, tried again while the cluster lists the worker, left out once it does not
    monkeypatch.setattr(fd, "SEND_SECONDS", 0.2)
    release = threading.Event()

    class Client:
        def __init__(self, behaviours, leaves=()):
            self.behaviours, self.leaves, self.sent_to = behaviours, set(leaves), []

        def nthreads(self):
            return {w: 1 for w in ("tcp://a", "tcp://b") if w not in self.leaves}

        def scatter(self, data, workers, hash):
            (worker,) = workers
            self.sent_to.append(worker)
            behaviour = self.behaviours[worker].pop(0)
            if behaviour == "hang":
                release.wait(10)
            elif behaviour == "closed":
                raise distributed.comm.core.CommClosedError("Stream is closed")
            elif behaviour == "unknown":  # the scheduler had removed it already
                raise KeyError(worker)
            return [("future of", data[0], worker)]

    try:
        client = Client({"tcp://a": ["hang", "ok"], "tcp://b": ["closed", "unknown", "ok"]})
        assert fd._send(client, "round", ["tcp://a", "tcp://b"]) == {
            "tcp://a": ("future of", "round", "tcp://a"),
            "tcp://b": ("future of", "round", "tcp://b")}
        assert client.sent_to == ["tcp://a", "tcp://b", "tcp://a", "tcp://b", "tcp://b"]
        # a worker that fails and is no longer listed is left out, not waited for
        client = Client({"tcp://a": ["ok"], "tcp://b": ["closed"]}, leaves={"tcp://b"})
        assert fd._send(client, "round", ["tcp://a", "tcp://b"]) == {
            "tcp://a": ("future of", "round", "tcp://a")}
        # one still listed that never takes it ends the run with one line
        client = Client({"tcp://a": ["ok"], "tcp://b": ["closed"] * fd.SEND_TRIES})
        with pytest.raises(fd.ClusterError, match="could not send the combined round.*Comm"):
            fd._send(client, "round", ["tcp://a", "tcp://b"])
        assert client.sent_to.count("tcp://a") == 1
    finally:
        release.set()
