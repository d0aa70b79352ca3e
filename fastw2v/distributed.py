"""Training on a Dask cluster: corpus shards on the workers, the same kernels, rounds of exchange.

``pip install "fastw2v[dask]"``, then::

    from dask.distributed import Client, LocalCluster
    from fastw2v.distributed import train

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # or Client("tcp://host:8786")
    model = train(client, ["part-000.txt", "part-001.txt", ...], model="skipgram", epochs=5)
    model.wv.most_similar("king")

How it works
------------
1. **Vocabulary.** The corpus files are cut into one run of consecutive
   files per worker, of similar sizes. Each worker reads its files once with the
   compiled tokeniser and keeps them; the driver merges the counts, in file
   order, into one vocabulary exactly as a local run would build it
   (:func:`fastw2v.vocab.select_vocabulary`), and each worker encodes its shard
   with it.
2. **Rounds.** An epoch is cut into rounds; in each round every worker trains
   the next slice of its shard (the same fraction of every shard) with
   :class:`fastw2v.word2vec.KernelCall`, on its own replica of the model,
   and returns the rows it changed (sparse: index and change, found against
   a copy of the replica kept since the last round,
   :func:`fastw2v.replicas.changed_rows_packed`). Not every row every
   round: the heaviest rows (:data:`EVERY_ROUND`, the most frequent words'),
   which every worker moves many times a round, are exchanged every round;
   the others in turns, a :data:`COLD_ROUNDS`-th of them a round
   (:func:`exchanged_rows`), each with all its changes since its last turn,
   and what a worker still holds after the last round is collected then.
   The learning rate follows global progress, as if all workers were
   threads of one run.
3. **Combine.** The driver adds the workers' changes to the model
   (:func:`fastw2v.replicas.combine`: by default ``"align"``, which sums
   the changes of a row that point different ways, as Hogwild threads
   would, and scales down those that agree, which are the same step taken
   by every worker) and sends every worker the combined change of the
   rows that any worker moved; a worker adds what the others contributed
   (the combined change minus its own). Rows nobody touched are never sent.
4. **Overlap.** A worker does not wait for the exchange: round ``k`` is
   queued before round ``k - 1`` is collected, and carries the combination
   of round ``k - 2``, so the driver combines while the workers train and a
   worker sees the others' changes one round later than it would in
   lockstep (``overlap=False``). Bytes moved and the share of the wall time
   outside the kernels are measured every round (:attr:`DistributedReport`).

A worker that fails or disappears does not end the run: its task is retried
by Dask (``retries``); if it still fails, the round goes on without that
shard (logged, and counted in the report), and the shard is rebuilt, from
its files and the current model, on whichever worker is available next round
(the changes it held for their turn are lost with it).

Limits: a shard is a whole file (give at least as many files as workers: a
directory of parts works, ``split -n l/8 big.txt part-`` makes them); runs
are not resumable with ``--resume`` (save the result with
:meth:`fastw2v.Word2Vec.save` and train on with ``--init``).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import uuid
from concurrent.futures import CancelledError
from dataclasses import dataclass, field

import numpy as np

from .config import ConfigError, TrainConfig, _check_int
from .replicas import (COMBINE_RULES, as_rows, changed_rows, changed_rows_packed, combine,
                       hot_slices, take_in)

logger = logging.getLogger("fastw2v")

#: Kept tokens a worker trains per round by default. A worker sees the
#: others' changes ``ROUND_WORDS`` words late in lockstep, twice that with
#: overlap, and quality falls with that delay; shorter rounds cost more
#: exchanges. Measured on wiki17m (CBOW, 3 epochs, 2 workers x 1 thread,
#: overlap, median of seeds 1-3, analogy / WS353 as a share of one 2-thread
#: process; Intel Xeon, 2 vCPUs shared by the workers and the driver), every
#: row every round: 125,000 words 97% / 99% with 60% of the wall time
#: outside the kernels, 250,000 95% / 101% (36-41%), 500,000 90% / 101%,
#: 2,000,000 88% / 95%; with the rarer rows in turns (:data:`COLD_ROUNDS`),
#: 125,000 words 96.7% / 98.6% at 7%, 250,000 94.9% / 101% at 7-8.5%
#: (rule ``"hot"``), and with the default rule ``"align"`` 125,000 words
#: 97.3% / 99.2% at 8.0% (benchmarks/README.md, "bench_cluster.py").
ROUND_WORDS = 125_000

#: Rows of each matrix exchanged every round: the most frequent words'
#: (ids ``0:EVERY_ROUND``; the inner nodes next to the root with
#: hierarchical softmax), which every worker moves many times a round.
#: The other rows are exchanged in turns (:data:`COLD_ROUNDS`). 16,384
#: instead scored the same (125,000-word rounds, 97.0% / 99%) and moved
#: twice the bytes.
EVERY_ROUND = 4096

#: Rounds in which every row outside :data:`EVERY_ROUND` is exchanged once,
#: a ``1 / COLD_ROUNDS`` run of them a round (:func:`exchanged_rows`): a
#: rarer word's row is moved by few examples a round, so it can wait for
#: its turn. The exchange is the worker's share of a round that does not
#: train (applying the combined change, finding and packing its own),
#: which grows with the rows exchanged, not with the round: on wiki17m
#: (125,000-word rounds, as for :data:`ROUND_WORDS`) every row every round
#: kept 60% of the wall time outside the kernels, in 8 turns 13.5%, in 16
#: 7.0%, at the same scores within the seeds' spread (97.1% / 99.1% and
#: 96.7% / 98.6%).
COLD_ROUNDS = 16

#: The combine rules (:func:`fastw2v.replicas.combine`).
RULES = COMBINE_RULES

class ClusterError(RuntimeError):
    """The cluster cannot go on: no workers left, or the model cannot reach them."""


#: Seconds between two checks, while a round runs, that its workers are still there.
HEARTBEAT = 1.0

#: Seconds one try of sending a combined round to one worker may take, and
#: how many tries (:func:`_send`): generous, as a round of a large model is
#: tens of megabytes a worker; a try only runs out when a worker is gone.
SEND_SECONDS = 30.0
SEND_TRIES = 5

# Worker-side state: each shard's corpus, model replica and kernel, by (run, shard).
# A module global, so that it outlives the tasks on the worker process.
_SHARDS = {}


@dataclass
class DistributedReport:
    """How a cluster run went: rounds, bytes moved, time outside the kernels, failures.

    Attributes
    ----------
    workers : int
    shards : int
    rounds : int
    bytes_per_round : list of int
        Bytes of model rows moved per round: every worker's changes in, the combined
        change out to every worker (packed, with ``half``).
    round_seconds : list of float
        Wall time of each round at the driver.
    compute_seconds : list of float
        The slowest shard's kernel time in each round.
    combine_seconds : list of float
        The driver's time to combine each round's changes.
    failures : list of str
        Shards that failed in a round, and why.
    flush_bytes : int
        Bytes of the changes the workers still held after the last round
        (rows whose turn had not come again), collected once.
    """

    workers: int = 0
    shards: int = 0
    rounds: int = 0
    bytes_per_round: list = field(default_factory=list)
    round_seconds: list = field(default_factory=list)
    compute_seconds: list = field(default_factory=list)
    combine_seconds: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    flush_bytes: int = 0

    @property
    def communication_share(self):
        """Fraction of the rounds' wall time not spent in the slowest shard's kernel."""
        wall = sum(self.round_seconds)
        return 0.0 if wall == 0 else max(0.0, 1.0 - sum(self.compute_seconds) / wall)


# --------------------------------------------------------------------------- worker side


def _scan_shard(run, shard, files, threads):
    """Worker: read a shard's files once; keep them; return their words and counts.

    A corpus error (an unreadable file) is returned, not raised: raised,
    Dask's worker would log it with a traceback before the driver reports it
    in one line. A shard of no tokens (empty files, as the ``_SUCCESS`` file
    of a Spark or Hadoop job) returns None: it adds nothing, as empty files
    add nothing to a local run.
    """
    from .corpus import CorpusError, scan_corpus
    from .sources import EmptyCorpusError

    try:
        scanned = scan_corpus(files, threads=threads)
    except EmptyCorpusError:
        return None
    except CorpusError as exc:
        return exc
    _SHARDS[run, shard] = {"scanned": scanned, "files": files}
    return scanned.words, scanned.counts


def _setup_shard(run, shard, files, vocab_words, counts, settings, matrices, synced=-1):
    """Worker: encode the shard with the vocabulary and take a replica of the model.

    Rebuilds the shard from its files when this worker has not read them
    (a new or restarted worker taking over a lost one's shard). ``synced``:
    the last round whose combined change ``matrices`` already hold.
    """
    from . import vocab_update
    from .corpus import scan_corpus
    from .vocab import Vocabulary

    cfg = TrainConfig(**settings)
    state = _SHARDS.get((run, shard))
    scanned = state.get("scanned") if state else None
    if scanned is None:
        scanned = scan_corpus(files, threads=cfg.threads)
    vocab = Vocabulary(list(vocab_words), np.asarray(counts))
    corpus = vocab_update.encode_with(scanned, vocab)
    replica = {name: np.array(matrix) for name, matrix in matrices.items()}
    # base: the replica as the shard's last round left it (changed_rows keeps it so);
    # sent: the shard's own changes of the rounds whose combination has not come back
    _SHARDS[run, shard] = {"files": files, "corpus": corpus, "replica": replica,
                           "base": {name: m.copy() for name, m in replica.items()},
                           "sent": {}, "synced": synced, "cfg": cfg, "counts": vocab.counts,
                           "kernel": None}
    return len(corpus), int(corpus.raw_tokens)


def _catch_up(state, combined):
    """Worker: add the other replicas' part of a combined round to this replica.

    ``combined`` is ``(round, {name: (rows, change)})`` (or packed, see
    :func:`fastw2v.replicas.as_rows`): the model's change
    in that round, which includes this shard's own change (kept in
    ``state["sent"]`` since it was sent), already in the replica. So the
    replica takes ``change - own``: afterwards it is the model as the driver
    holds it, plus this shard's rounds since then. A replica set up after
    that round (``state["synced"]``) already holds it and takes nothing.
    The base takes the same change, so that ``replica - base`` stays this
    shard's changes not sent yet (the rows whose turn has not come:
    :func:`exchanged_rows`).
    """
    if combined is None:
        return
    q, changes = combined
    own = state["sent"].pop(q, {})
    for old in [k for k in state["sent"] if k < q]:
        del state["sent"][old]  # a round the driver went on without
    if q <= state["synced"]:
        return
    state["synced"] = q
    for name, part in changes.items():
        replica, base = state["replica"][name], state["base"][name]
        # the same change to the base as to the replica: their difference stays
        # the changes not sent yet (rows whose turn has not come, exchanged_rows)
        rows, values, scale = as_rows(part)
        mine = as_rows(own[name]) if name in own else (rows[:0], values[:0], scale[:0])
        take_in(replica, base, rows, values, scale, *mine)


def _train_round(run, shard, combined, index, start_fraction, end_fraction, words_before,
                 total_words, alpha, min_alpha, first_stream, half, scan=None):
    """Worker: take in a combined round, train this round's slice, return the changed rows.

    Only the rows of ``scan`` (per matrix, row ranges: :func:`exchanged_rows`;
    None: all) are looked at and sent; the others keep their changes for
    their turn. The changes go back packed (:func:`fastw2v.replicas.pack`)
    when ``half``.

    Returns None when the worker holds no state for the shard (it restarted):
    the driver then sets the shard up again and goes on without its round.
    """
    from .word2vec import KernelCall, numba_threads

    state = _SHARDS.get((run, shard))
    if state is None or "replica" not in state:
        return None
    _catch_up(state, combined)
    replica, cfg, corpus = state["replica"], state["cfg"], state["corpus"]
    if state["kernel"] is None or state["kernel"].schedule.total_words != total_words:
        # one call trains the whole round: threads' copies of the frequent rows
        # would stay apart that long, so a worker's threads share every row
        state["kernel"] = KernelCall(cfg, state["counts"], corpus, replica["syn0"],
                                     replica.get("syn1neg"), replica.get("syn1"),
                                     alpha, min_alpha, total_words, copy_rows=False)
    n = len(corpus)
    start, end = int(round(start_fraction * n)), int(round(end_fraction * n))
    t0 = time.perf_counter()
    with numba_threads(cfg.threads):
        loss, examples, kept = state["kernel"](start, end, words_before, first_stream)
    seconds = time.perf_counter() - t0
    deltas = _changes(state, half, scan)
    state["sent"][index] = deltas
    return {"loss": loss, "examples": examples, "kept": kept, "words": end - start,
            "seconds": seconds, "deltas": deltas}


def _flush(run, shard, half):
    """Worker: every change of the replica not sent yet (after the last round)."""
    state = _SHARDS.get((run, shard))
    if state is None or "replica" not in state:
        return None
    # one replica's weight in the "mean" rule: each trained as many words
    return {"words": 1, "deltas": _changes(state, half)}


def _changes(state, half, scan=None):
    """Worker: the replica's changes since they were last sent, of the rows in ``scan``.

    Per matrix, the rows of ``scan[name]`` (row ranges, :func:`exchanged_rows`;
    None: all) that moved, and by how much: packed in 16 bits
    (:func:`fastw2v.replicas.pack`) when ``half``, float32 otherwise. The
    base catches up on them (:func:`fastw2v.replicas.changed_rows`).
    """
    find = changed_rows_packed if half else changed_rows
    return {name: find(state["base"][name], replica, None if scan is None else scan[name])
            for name, replica in state["replica"].items()}


def _forget(run):
    """Worker: drop a finished run's shards."""
    for key in [k for k in _SHARDS if k[0] == run]:
        del _SHARDS[key]


# --------------------------------------------------------------------------- driver side


def deal(files, workers):
    """Cut the file list into at most ``len(workers)`` runs of consecutive files of similar size.

    Consecutive, so that merging the shards' counts in shard order sees the
    words in corpus order, and the vocabulary breaks ties by first
    appearance exactly as a local run does. Shard ``k`` ends at the first
    file that takes the running total past ``k + 1`` equal parts of the bytes.
    """
    sizes = np.array([os.path.getsize(f) for f in files], dtype=np.float64)
    ends = np.cumsum(sizes)
    parts = min(len(workers), len(files))
    shards, start = [], 0
    for k in range(parts):
        if k == parts - 1:
            stop = len(files)
        else:
            stop = int(np.searchsorted(ends, ends[-1] * (k + 1) / parts, side="left")) + 1
            stop = min(max(stop, start + 1), len(files) - (parts - 1 - k))
        shards.append(files[start:stop])
        start = stop
    return shards


def exchanged_rows(name, n_rows, k, every_round=EVERY_ROUND, cold_rounds=COLD_ROUNDS):
    """The row ranges of matrix ``name`` that round ``k`` exchanges, as ``((lo, hi), ...)``.

    The ``every_round`` heaviest rows every round: the first ones of
    ``syn0`` and ``syn1neg`` (the vocabulary is sorted by count), the last
    ones of ``syn1`` (the inner nodes next to the root). The others are cut
    into ``cold_rounds`` runs of consecutive rows, and round ``k`` takes run
    ``k % cold_rounds``: each is exchanged once every ``cold_rounds``
    rounds, with all its changes since its last turn. ``cold_rounds`` 1:
    every row every round.
    """
    if cold_rounds <= 1 or every_round >= n_rows:
        return ((0, n_rows),)
    cold = n_rows - every_round
    turn = k % cold_rounds
    lo, hi = cold * turn // cold_rounds, cold * (turn + 1) // cold_rounds
    if name == "syn1":  # heaviest last; the cold rows come first
        return ((lo, hi), (cold, n_rows))
    return ((0, every_round), (every_round + lo, every_round + hi))


def _merge_counts(results):
    """One vocabulary's words (first appearance over the shards in order) and counts."""
    totals = {}
    for words, counts in results:
        for word, count in zip(words, counts.tolist()):
            totals[word] = totals.get(word, 0) + count
    return list(totals), np.fromiter(totals.values(), dtype=np.int64, count=len(totals))


def train(client, paths, round_words=ROUND_WORDS, rule="align", overlap=True, half=True,
          every_round=EVERY_ROUND, cold_rounds=COLD_ROUNDS, retries=1, progress=None, stop=None,
          **settings):
    """Train on a Dask cluster; returns a :class:`fastw2v.Word2Vec` like a local run.

    Parameters
    ----------
    client : dask.distributed.Client
    paths : str, os.PathLike, list of them, or a directory
        The corpus files (see :func:`fastw2v.sources.corpus_paths`); each
        worker must be able to read them at these paths (a shared file
        system, or the same machine). Standard input cannot be distributed.
    round_words : int
        Kept tokens each worker trains between two exchanges (see :data:`ROUND_WORDS`).
    rule : {"align", "hot", "sum", "mean", "rows"}
        How the workers' changes are combined (:func:`fastw2v.replicas.combine`).
        ``"align"`` (default) is the sum with two workers and, with more,
        kept 88% of one process's analogy with 4 workers and 68% with 8
        where ``"hot"`` kept 75% and 48% (wiki17m, 125,000-word rounds,
        benchmarks/README.md); with two workers and long rounds (500,000
        words) ``"hot"`` scored better (89% against 84%).
    overlap : bool
        Train each round while the one before is collected and combined
        (default); False waits for every exchange, so that each round starts
        from the model with every earlier round in it.
    half : bool
        Send the rows' changes in 16 bits scaled per row
        (:func:`fastw2v.replicas.pack`, default): half the bytes, each value
        within 1.5e-5 of its row's largest change; False sends float32.
    every_round, cold_rounds : int
        The heaviest ``every_round`` rows of each matrix are exchanged every
        round, the others in turns, each once every ``cold_rounds`` rounds
        (:func:`exchanged_rows`; :data:`EVERY_ROUND`, :data:`COLD_ROUNDS`);
        what a worker holds back is collected after the last round.
        ``cold_rounds=1`` exchanges every row every round.
    retries : int
        Dask retries of a failed round task before the round goes on without it.
    progress : callable, optional
        Called with a :class:`fastw2v.word2vec.TrainProgress` after every round.
    stop : callable, optional
        Polled between rounds; True ends training (the result says ``stopped``).
    **settings
        As for :class:`fastw2v.Word2Vec`; ``threads`` is the threads of each
        worker's kernel (default: the worker's thread count).

    Returns
    -------
    fastw2v.Word2Vec
        With ``result`` (a :class:`fastw2v.word2vec.TrainResult`) and
        ``distributed`` (a :class:`DistributedReport`); ``corpus`` is None
        (the corpus stays on the workers).
    """
    from .corpus import CorpusError
    from .sources import corpus_paths
    from .vocab import select_vocabulary
    from .word2vec import TrainResult, Word2Vec

    if rule not in RULES:
        raise ConfigError(f"rule must be one of {', '.join(RULES)}, not {rule!r}", "rule")
    _check_int("round_words", round_words, 1)
    _check_int("every_round", every_round, 0)
    _check_int("cold_rounds", cold_rounds, 1)
    files = corpus_paths(paths)
    if "-" in files:
        raise CorpusError("standard input cannot be read by cluster workers; give files")
    files = [os.path.abspath(f) for f in files]
    status = getattr(client, "status", None)
    if not callable(getattr(client, "nthreads", None)) or status != "running":
        raise TypeError(f"client must be an open dask.distributed.Client, not "
                        f"{status or type(client).__name__} "
                        f"{client!r:.60}")
    nthreads = client.nthreads()
    if not nthreads:
        raise ClusterError("the Dask cluster has no workers")
    workers = sorted(nthreads)
    if settings.get("threads") is None and settings.get("workers") is None:
        settings["threads"] = max(1, min(nthreads.values()))
    model = Word2Vec(**settings)
    cfg = model.config
    run = uuid.uuid4().hex
    t_start = time.perf_counter()
    try:
        # 1. vocabulary: every shard read once where it will train; a shard of no
        # tokens trains nothing, so its files are left out and the rest dealt again
        while True:
            shards = deal(files, workers)
            home = {s: workers[s % len(workers)] for s in range(len(shards))}
            counted = client.gather([
                client.submit(_scan_shard, run, s, shards[s], cfg.threads, workers=[home[s]],
                              pure=False, key=f"fastw2v-scan-{run}-{len(files)}-{s}")
                for s in range(len(shards))])
            for outcome in counted:
                if isinstance(outcome, CorpusError):
                    raise outcome
            if None not in counted:
                break
            files = [f for shard, outcome in zip(shards, counted) if outcome is not None
                     for f in shard]
            if not files:
                raise CorpusError("the corpus is empty (no tokens)")
            client.run(_forget, run)
        report = DistributedReport(workers=len(workers), shards=len(shards))
        words, counts = _merge_counts(counted)
        del counted
        vocab, _ = select_vocabulary(words, counts, cfg.min_count, cfg.max_final_vocab)
        if len(vocab) < 2:
            raise CorpusError(f"only {len(vocab)} distinct word(s) reach min_count="
                              f"{cfg.min_count}; negative sampling needs at least 2")
        model.vocab = vocab
        model._init_weights()
        matrices = _matrices(model)
        setup = dict(vocab_words=vocab.index_to_key, counts=vocab.counts,
                     settings=dataclasses.asdict(cfg))
        sizes = _setup(client, run, shards, home, setup, matrices)
        read_seconds = time.perf_counter() - t_start
        n_total = sum(n for n, _ in sizes)
        raw_total = sum(raw for _, raw in sizes)
        # 2. rounds: the same fraction of every shard, so that the epochs stay aligned
        per_epoch = max(1, -(-max(n for n, _ in sizes) // round_words))
        result = TrainResult()
        rounds = _Rounds(client, run, shards, home, setup, matrices, rule, half, retries, report,
                         result, model, per_epoch, n_total, (every_round, cold_rounds))
        t0 = time.perf_counter()
        for k in range(cfg.epochs * per_epoch):
            if stop is not None and stop():
                result.stopped = True
                break
            rounds.submit(k)
            # with overlap, round k trains while round k - 1 is collected and combined;
            # in lockstep, round k is collected before round k + 1 is sent
            if rounds.finish_all(keep=1 if overlap else 0) and progress is not None:
                progress(rounds.progress(t0, raw_total))
        if rounds.finish_all() and progress is not None:
            progress(rounds.progress(t0, raw_total))
        if cold_rounds > 1:
            rounds.flush()
    finally:
        client.run(_forget, run)
    result.seconds = time.perf_counter() - t0
    result.raw_words = int(round(raw_total * (len(result.epoch_loss)
                                              + (report.rounds % per_epoch) / per_epoch)))
    result.words_per_sec = result.raw_words / max(result.seconds, 1e-9)
    _finish_model(model, result, report, read_seconds, len(result.epoch_loss),
                  cfg.start_alpha, cfg.end_alpha(), raw_total, n_total)
    return model


class _Rounds:
    """The driver's side of the rounds: submit them, collect them, combine them, report.

    Round ``k`` is epoch ``k // per_epoch``, slice ``k % per_epoch`` of every
    shard. Each round's task carries the newest combined round the driver
    has (:func:`_catch_up`); with ``overlap`` that is the round before the
    one still training, so a worker never waits for the exchange.
    """

    def __init__(self, client, run, shards, home, setup, matrices, rule, half, retries, report,
                 result, model, per_epoch, n_total, turns):
        self.client, self.run, self.shards, self.home = client, run, shards, home
        self.setup, self.matrices, self.rule, self.retries = setup, matrices, rule, retries
        self.half = half
        self.report, self.result, self.model = report, result, model
        self.per_epoch, self.n_total = per_epoch, n_total
        self.turns = turns  # (every_round, cold_rounds): see exchanged_rows
        self.cfg = model.config
        self.hot = hot_slices(matrices)
        self.in_flight = []  # (round, {shard: future}), oldest first
        self.combined = None  # (round, {name: (rows, change)}): the newest combination
        self.queued = set()  # (shard, round) queued on a worker before the shard was rebuilt
        self.loss = [0.0, 0]  # this epoch's loss and examples so far
        self.last_finish = time.perf_counter()

    def submit(self, k):
        cfg, per_epoch, n_shards = self.cfg, self.per_epoch, len(self.shards)
        epoch, r = divmod(k, per_epoch)
        # the kernel's schedule assumes its threads are all there is:
        # with W shards advancing together, scale the run down by W
        done = (epoch + r / per_epoch) * self.n_total / n_shards
        total = cfg.epochs * self.n_total / n_shards
        # every shard's threads take random streams no other shard or round takes
        first = k * n_shards * cfg.threads
        combined = self._send_combined(k)
        scan = {name: exchanged_rows(name, m.shape[0], k, *self.turns)
                for name, m in self.matrices.items()}
        futures = {s: self.client.submit(
            _train_round, self.run, s, combined.get(self.home[s]), k, r / per_epoch,
            (r + 1) / per_epoch,
            done, float(total), cfg.start_alpha, cfg.end_alpha(), first + s * cfg.threads,
            self.half, scan, workers=[self.home[s]], allow_other_workers=False,
            retries=self.retries, pure=False) for s in range(n_shards)}
        self.in_flight.append((k, futures))

    def _send_combined(self, k):
        """The newest combined round on every shard's worker: ``{worker: future}``.

        A shard whose worker left before it got the round is set up again
        on a live worker (:meth:`_lost`), which is then sent the round.
        """
        if self.combined is None:
            return {}
        sent = {}
        while True:
            homes = sorted(set(self.home.values()) - set(sent))
            if not homes:
                return sent
            sent.update(_send(self.client, self.combined, homes))
            for s in range(len(self.shards)):
                if self.home[s] not in sent:
                    self._lost(s, k, f"shard {s}'s worker left before this round was sent to "
                                     "it; the shard was rebuilt on another from its files and "
                                     "the current model")

    def flush(self):
        """Collect and combine what the workers hold back after the last round.

        The rows whose turn had not come again since they last moved
        (:func:`exchanged_rows`); counted in :attr:`DistributedReport.flush_bytes`.
        """
        futures = {s: self.client.submit(_flush, self.run, s, self.half,
                                         workers=[self.home[s]], allow_other_workers=False,
                                         retries=self.retries, pure=False)
                   for s in range(len(self.shards))}
        gone = self._wait(futures)
        outcomes = []
        for s, future in futures.items():
            outcome = None if s in gone or future.status == "error" else future.result()
            if outcome is None:
                why = f"after the last round: shard {s}'s rows not yet exchanged were lost"
                logger.warning(why)
                self.report.failures.append(why)
                continue
            outcomes.append(outcome)
        combine(self.matrices, [o["deltas"] for o in outcomes], [o["words"] for o in outcomes],
                self.rule, self.hot, self.half)
        self.report.flush_bytes = sum(_nbytes(o["deltas"]) for o in outcomes)

    def finish_all(self, keep=0):
        """Collect and combine the rounds in flight but the newest ``keep``; True if any."""
        finished = False
        while len(self.in_flight) > keep:
            self._finish(*self.in_flight.pop(0))
            finished = True
        return finished

    def _finish(self, k, futures):
        epoch, r = divmod(k, self.per_epoch)
        gone = self._wait(futures)
        outcomes = []
        for s, future in futures.items():
            if s in gone:
                self._lost(s, k, f"shard {s}'s worker left; the shard was rebuilt on another "
                                 "from its files and the current model, its round skipped")
                continue
            if future.cancelled():  # its shard moved; reported when it did
                continue
            if future.status == "error":
                self._lost(s, k, f"shard {s} failed ({future.exception()!r}); "
                                 "the round went on without it")
                continue
            try:
                outcome = future.result()
            except CancelledError:
                # cancelled by Dask itself after the checks above: the scheduler
                # forgot the task of a worker that died (a traceback ended the run)
                self._lost(s, k, f"shard {s}'s round was cancelled with its worker; the shard "
                                 "was rebuilt from its files and the current model, its round "
                                 "skipped")
                continue
            if outcome is None:
                if (s, k) not in self.queued:  # not a round queued before its shard's rebuild
                    self._lost(s, k, f"shard {s} was lost with its worker; rebuilt from its "
                                     "files and the current model, its round skipped")
                continue
            outcomes.append(outcome)
        t_combine = time.perf_counter()
        deltas = [o["deltas"] for o in outcomes]
        changes = combine(self.matrices, deltas, [o["words"] for o in outcomes], self.rule,
                          self.hot, self.half)
        self.report.combine_seconds.append(time.perf_counter() - t_combine)
        self.combined = (k, changes)
        report, result = self.report, self.result
        self.loss[0] += sum(o["loss"] for o in outcomes)
        self.loss[1] += sum(o["examples"] for o in outcomes)
        result.trained_words += sum(o["kept"] for o in outcomes)
        result.examples += sum(o["examples"] for o in outcomes)
        report.rounds += 1
        report.bytes_per_round.append(sum(_nbytes(o["deltas"]) for o in outcomes)
                                      + len(self.shards) * _nbytes(changes))
        now = time.perf_counter()
        report.round_seconds.append(now - self.last_finish)
        report.compute_seconds.append(max((o["seconds"] for o in outcomes), default=0.0))
        self.last_finish = now
        if not np.isfinite(self.loss[0]):
            raise self.model._diverged(epoch)
        if r == self.per_epoch - 1:
            result.epoch_loss.append(self.loss[0] / max(self.loss[1], 1))
            logger.info("epoch %d/%d: loss %.4f", epoch + 1, self.cfg.epochs,
                        result.epoch_loss[-1])
            self.loss = [0.0, 0]

    def _wait(self, futures):
        """Wait for a round's tasks; return the shards whose worker left before theirs ran.

        A task bound to a worker that is gone would wait for it for ever, so
        the cluster's workers are checked every :data:`HEARTBEAT` seconds.
        """
        from distributed import wait

        gone = set()
        while True:
            # a cancelled future makes wait() raise: its shard moved (see _rehome)
            pending = [f for s, f in futures.items() if not f.cancelled() and s not in gone]
            try:
                wait(pending, timeout=HEARTBEAT)
                return gone
            except TimeoutError:
                live = set(self.client.nthreads())
                for s, future in futures.items():
                    if not future.done() and self.home[s] not in live:
                        self.client.cancel(future)
                        gone.add(s)

    def _lost(self, s, k, what):
        epoch, r = divmod(k, self.per_epoch)
        why = f"epoch {epoch + 1} round {r + 1}: {what}"
        logger.warning(why)
        self.report.failures.append(why)
        self._rehome(s)

    def _rehome(self, s):
        """Set shard ``s`` up again on a live worker, from its files and the current model.

        A round of ``s`` already queued on its old worker is cancelled if the
        shard moves; if it stays, that round runs first (on what the worker
        still holds) and its outcome is used, or skipped if it has none.
        """
        live = sorted(self.client.nthreads())
        if not live:
            raise ClusterError("every worker of the Dask cluster is gone")
        if self.home[s] not in live:
            self.home[s] = live[s % len(live)]
            for _, futures in self.in_flight:
                self.client.cancel(futures[s])
        self.queued.update((s, later) for later, _ in self.in_flight)
        synced = -1 if self.combined is None else self.combined[0]
        self.client.submit(_setup_shard, self.run, s, self.shards[s], matrices=self.matrices,
                           synced=synced, workers=[self.home[s]], pure=False,
                           **self.setup).result()

    def progress(self, t0, raw_total):
        """A :class:`fastw2v.word2vec.TrainProgress` after the last finished round."""
        from .sampling import learning_rate
        from .word2vec import TrainProgress

        cfg = self.cfg
        done = self.report.rounds
        fraction = done / (cfg.epochs * self.per_epoch)
        elapsed = time.perf_counter() - t0
        loss = (self.loss[0] / self.loss[1] if self.loss[1]
                else (self.result.epoch_loss or [0.0])[-1])
        return TrainProgress((done - 1) // self.per_epoch + 1, cfg.epochs, fraction,
                             fraction * cfg.epochs * raw_total / max(elapsed, 1e-9),
                             learning_rate(cfg.start_alpha, cfg.end_alpha(), fraction),
                             loss, elapsed)


def _matrices(model):
    """The model's matrices by the names the workers' replicas use."""
    out = {"syn0": model.wv.vectors}
    if model.syn1neg is not None:
        out["syn1neg"] = model.syn1neg
    if model.syn1 is not None:
        out["syn1"] = model.syn1
    return out


def _setup(client, run, shards, home, setup, matrices):
    """Every shard encoded and given a replica on its worker; returns (kept, raw) tokens per shard."""
    sent = _send(client, matrices, sorted(set(home.values())))
    if len(sent) < len(set(home.values())):
        raise ClusterError("a Dask worker left while the model was being set up")
    return client.gather([
        client.submit(_setup_shard, run, s, shards[s], matrices=sent[home[s]],
                      workers=[home[s]], pure=False, **setup)
        for s in range(len(shards))])


def call_within(seconds, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or TimeoutError once it has run ``seconds`` without returning.

    For calls into Dask that its own timeouts do not bound (a scatter to a
    worker that died, the handshake with a port that never answers): the
    call runs in a daemon thread, waited for with a deadline; one that never
    returns is left there, waiting on a connection that is gone.
    """
    import threading

    done = {}

    def call():
        try:
            done["value"] = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - raised again in the caller's thread
            done["error"] = exc

    thread = threading.Thread(target=call, name=f"fastw2v-{fn.__name__}", daemon=True)
    thread.start()
    thread.join(seconds)
    if "error" in done:
        raise done["error"]
    if "value" not in done:
        raise TimeoutError(f"no answer within {seconds:g} s")
    return done["value"]


def _send(client, data, workers):
    """``data`` on each of ``workers``, as ``{worker: future}`` (not hashed: it is large and new).

    Each worker's copy is a scatter to that worker alone, not Dask's
    ``broadcast=True``: a broadcast copies the data from worker to worker
    until every listed worker holds it, and the scheduler's loop doing that
    never ends when one of them dies meanwhile (a worker killed mid-run hung
    the run there, and the scheduler's list, read just before, can name a
    worker already gone: a KeyError from the scheduler). A try is bounded by
    :data:`SEND_SECONDS` (:func:`call_within`); a worker that fails is tried
    again while the cluster still lists it, up to :data:`SEND_TRIES` times.
    A worker that leaves the cluster is left out of the answer: the caller
    moves its shards. Raises :class:`ClusterError` when one still listed
    cannot be reached.
    """
    sent, failure = {}, None
    for _ in range(SEND_TRIES):
        for worker in workers:
            if worker in sent:
                continue
            try:
                sent[worker] = call_within(SEND_SECONDS, client.scatter, [data],
                                           workers=[worker], hash=False)[0]
            except (TimeoutError, OSError, KeyError) as exc:
                # Dask's CommClosedError is an OSError; KeyError: the scheduler no
                # longer knows the worker
                failure = exc
                logger.warning("sending the combined round to %s failed (%s: %s)", worker,
                               type(exc).__name__, exc)
        live = set(client.nthreads())
        workers = [w for w in workers if w in live]
        if all(w in sent for w in workers):
            return {w: f for w, f in sent.items() if w in live}
    raise ClusterError(f"could not send the combined round to the Dask workers in "
                       f"{SEND_TRIES} tries of {SEND_SECONDS:g} s ({type(failure).__name__}: "
                       f"{failure})")


def _nbytes(message):
    return sum(array.nbytes for part in message.values() for array in part)


def _finish_model(model, result, report, read_seconds, epochs_done, alpha, min_alpha,
                  raw_total, n_total):
    """Fill in the model's state and result as a local run would."""
    st = model.state
    st.epochs_trained = st.epoch = epochs_done
    st.run_epochs = model.config.epochs
    st.start_alpha, st.end_alpha = alpha, min_alpha
    st.epoch_loss = list(result.epoch_loss)
    st.corpus = {"files": None, "raw_tokens": raw_total, "tokens": n_total, "sentences": 0,
                 "crc32": 0}
    model.wv.vectors = model.wv.vectors  # drop cached norms
    model.result = result
    model.timings.update(read=read_seconds, train=result.seconds)
    model.distributed = report
