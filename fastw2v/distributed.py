"""Training on a Dask cluster: corpus shards on the workers, the same kernels, synchronous rounds.

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
   and returns the rows it changed (sparse: index and delta). The learning
   rate follows global progress, as if all workers were threads of one run.
3. **Combine.** The driver adds the workers' deltas to the model
   (:func:`combine`) and sends every worker the new values of the rows that
   any worker changed; rows nobody touched are never sent. Bytes moved and
   the time spent outside the kernels are measured every round
   (:attr:`DistributedReport`).

A worker that fails or disappears does not end the run: its task is retried
by Dask (``retries``); if it still fails, the round goes on without that
shard (logged, and counted in the report), and the shard is rebuilt, from
its files and the current model, on whichever worker is available next round.

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
from dataclasses import dataclass, field

import numpy as np

from .config import ConfigError, TrainConfig, _check_int

logger = logging.getLogger("fastw2v")

#: Kept tokens a worker trains per round by default. Rounds must be long
#: enough that the exchange (the rows the round touched, twice) stays small
#: next to the training, and short enough that replicas do not drift apart:
#: measured on wiki17m with 2 workers (benchmarks/README.md, "bench_cluster.py").
ROUND_WORDS = 2_000_000

#: The combine rules :func:`combine` knows.
RULES = ("rows", "sum", "mean")

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
        Bytes of model rows sent and received per round (deltas in, updates out).
    round_seconds : list of float
        Wall time of each round at the driver.
    compute_seconds : list of float
        The slowest shard's kernel time in each round.
    failures : list of str
        Shards that failed in a round, and why.
    """

    workers: int = 0
    shards: int = 0
    rounds: int = 0
    bytes_per_round: list = field(default_factory=list)
    round_seconds: list = field(default_factory=list)
    compute_seconds: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    @property
    def communication_share(self):
        """Fraction of the rounds' wall time not spent in the slowest shard's kernel."""
        wall = sum(self.round_seconds)
        return 0.0 if wall == 0 else max(0.0, 1.0 - sum(self.compute_seconds) / wall)


# --------------------------------------------------------------------------- combine


def combine(matrices, deltas, weights, rule="sum"):
    """Apply the workers' sparse deltas to the model; return the rows that changed.

    Parameters
    ----------
    matrices : dict of str to ndarray
        The model's matrices, updated in place.
    deltas : list of dict of str to (ndarray of int64, ndarray of float32)
        Per worker, per matrix: the rows it changed and by how much.
    weights : list of float
        Per worker: the words it trained this round (for ``"mean"``).
    rule : {"rows", "sum", "mean"}
        ``"sum"`` applies every worker's change in full, as if the workers had
        been Hogwild threads on one model that saw each other's updates only
        at the end of the round: a row one worker touched moves as in a
        single run, but a frequent row that every worker moved the same way
        moves ``W`` times as far (with 4 workers on wiki17m it diverged).
        ``"mean"`` is model averaging (Spark MLlib's rule):
        ``sum_w (words_w / words) delta_w``, which cannot diverge but shrinks
        a row touched by one worker of ``W`` to ``1/W`` of its step.
        ``"rows"`` averages each row over the workers that changed it: a
        rare word's row moves fully, a frequent one by the replicas' mean.

    Returns
    -------
    dict of str to (ndarray of int64, ndarray of float32)
        For each matrix, the changed rows and their new values.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    total = float(sum(weights)) or 1.0
    changed = {}
    for name, matrix in matrices.items():
        parts = [d[name] for d in deltas if name in d]
        if not parts:
            continue
        every = np.concatenate([rows for rows, _ in parts])
        touched = np.bincount(every, minlength=matrix.shape[0]).astype(np.float32)
        for (rows, delta), weight in zip(parts, weights):
            if rule == "rows":
                matrix[rows] += delta / touched[rows, None]
            else:
                scale = 1.0 if rule == "sum" else weight / total
                matrix[rows] += delta * np.float32(scale)
        rows = np.unique(every)
        changed[name] = (rows, matrix[rows])
    return changed


def changed_rows(before, after):
    """The rows of ``after`` that differ from ``before``, and by how much (float32)."""
    rows = np.flatnonzero(np.any(after != before, axis=1))
    return rows, after[rows] - before[rows]


# --------------------------------------------------------------------------- worker side


def _scan_shard(run, shard, files, threads):
    """Worker: read a shard's files once; keep them; return their words and counts."""
    from .corpus import scan_corpus

    scanned = scan_corpus(files, threads=threads)
    _SHARDS[run, shard] = {"scanned": scanned, "files": files}
    return scanned.words, scanned.counts


def _setup_shard(run, shard, files, vocab_words, counts, settings, matrices):
    """Worker: encode the shard with the vocabulary and take a replica of the model.

    Rebuilds the shard from its files when this worker has not read them
    (a new or restarted worker taking over a lost one's shard).
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
    _SHARDS[run, shard] = {"files": files, "corpus": corpus, "replica": replica,
                           "cfg": cfg, "counts": vocab.counts, "kernel": None}
    return len(corpus), int(corpus.raw_tokens)


def _train_round(run, shard, update, start_fraction, end_fraction, words_before, total_words,
                 alpha, min_alpha, first_stream):
    """Worker: apply the last round's update, train this round's slice, return the changed rows.

    Returns None when the worker holds no state for the shard (it restarted):
    the driver then sets the shard up again and repeats the round for it.
    """
    from .word2vec import KernelCall, numba_threads

    state = _SHARDS.get((run, shard))
    if state is None or "replica" not in state:
        return None
    replica, cfg, corpus = state["replica"], state["cfg"], state["corpus"]
    for name, (rows, values) in update.items():
        replica[name][rows] = values
    if state["kernel"] is None or state["kernel"].schedule.total_words != total_words:
        # one call trains the whole round: threads' copies of the frequent rows
        # would stay apart that long, so a worker's threads share every row
        state["kernel"] = KernelCall(cfg, state["counts"], corpus, replica["syn0"],
                                     replica.get("syn1neg"), replica.get("syn1"),
                                     alpha, min_alpha, total_words, copy_rows=False)
    n = len(corpus)
    start, end = int(round(start_fraction * n)), int(round(end_fraction * n))
    before = {name: matrix.copy() for name, matrix in replica.items()}
    t0 = time.perf_counter()
    with numba_threads(cfg.threads):
        loss, examples, kept = state["kernel"](start, end, words_before, first_stream)
    seconds = time.perf_counter() - t0
    deltas = {name: changed_rows(before[name], replica[name]) for name in replica}
    return {"loss": loss, "examples": examples, "kept": kept, "words": end - start,
            "seconds": seconds, "deltas": deltas}


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


def _merge_counts(results):
    """One vocabulary's words (first appearance over the shards in order) and counts."""
    totals = {}
    for words, counts in results:
        for word, count in zip(words, counts.tolist()):
            totals[word] = totals.get(word, 0) + count
    return list(totals), np.fromiter(totals.values(), dtype=np.int64, count=len(totals))


def train(client, paths, round_words=ROUND_WORDS, rule="mean", retries=1, progress=None,
          stop=None, **settings):
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
    rule : {"mean", "rows", "sum"}
        How the workers' changes are combined (:func:`combine`); ``"mean"``,
        the default, cannot diverge (``"sum"`` did with 4 workers on wiki17m).
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
    from .sampling import learning_rate
    from .word2vec import TrainProgress, TrainResult, Word2Vec

    if rule not in RULES:
        raise ConfigError(f"rule must be one of {', '.join(RULES)}, not {rule!r}", "rule")
    _check_int("round_words", round_words, 1)
    files = corpus_paths(paths)
    if "-" in files:
        raise CorpusError("standard input cannot be read by cluster workers; give files")
    files = [os.path.abspath(f) for f in files]
    nthreads = client.nthreads()
    if not nthreads:
        raise RuntimeError("the Dask cluster has no workers")
    workers = sorted(nthreads)
    if settings.get("threads") is None and settings.get("workers") is None:
        settings["threads"] = max(1, min(nthreads.values()))
    model = Word2Vec(**settings)
    cfg = model.config
    shards = deal(files, workers)
    run = uuid.uuid4().hex
    report = DistributedReport(workers=len(workers), shards=len(shards))
    home = {s: workers[s % len(workers)] for s in range(len(shards))}
    t_start = time.perf_counter()
    try:
        # 1. vocabulary: every shard read once where it will train
        counted = client.gather([
            client.submit(_scan_shard, run, s, shards[s], cfg.threads, workers=[home[s]],
                          pure=False, key=f"fastw2v-scan-{run}-{s}")
            for s in range(len(shards))])
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
        total_words = float(cfg.epochs * n_total)
        alpha, min_alpha = cfg.start_alpha, cfg.end_alpha()
        result, update = TrainResult(), {}
        t0 = time.perf_counter()
        for epoch in range(cfg.epochs):
            loss_sum, examples = 0.0, 0
            for r in range(per_epoch):
                if stop is not None and stop():
                    result.stopped = True
                    break
                t_round = time.perf_counter()
                done = (epoch + r / per_epoch) * n_total
                # the kernel's schedule assumes its threads are all there is:
                # with W shards advancing together, scale the run down by W
                scale = len(shards)
                # every shard's threads take random streams no other shard or round takes
                first = (epoch * per_epoch + r) * len(shards) * cfg.threads
                sent = _broadcast(client, update)
                futures = {s: client.submit(
                    _train_round, run, s, sent, r / per_epoch, (r + 1) / per_epoch,
                    done / scale, total_words / scale, alpha, min_alpha,
                    first + s * cfg.threads, workers=[home[s]],
                    allow_other_workers=False, retries=retries, pure=False)
                    for s in range(len(shards))}
                outcomes = _collect(client, run, futures, shards, home, setup, matrices,
                                    report, epoch, r)
                deltas = [o["deltas"] for o in outcomes]
                weights = [o["words"] for o in outcomes]
                update = combine(matrices, deltas, weights, rule)
                loss_sum += sum(o["loss"] for o in outcomes)
                examples += sum(o["examples"] for o in outcomes)
                result.trained_words += sum(o["kept"] for o in outcomes)
                report.rounds += 1
                report.bytes_per_round.append(
                    sum(_nbytes(d) for d in deltas) + len(outcomes) * _nbytes(update))
                report.round_seconds.append(time.perf_counter() - t_round)
                report.compute_seconds.append(max((o["seconds"] for o in outcomes), default=0.0))
                if not np.isfinite(loss_sum):
                    raise model._diverged(epoch)
                if progress is not None:
                    fraction = (epoch * per_epoch + r + 1) / (cfg.epochs * per_epoch)
                    elapsed = time.perf_counter() - t0
                    progress(TrainProgress(epoch + 1, cfg.epochs, fraction,
                                           fraction * cfg.epochs * raw_total / max(elapsed, 1e-9),
                                           learning_rate(alpha, min_alpha, fraction),
                                           loss_sum / max(examples, 1), elapsed))
            if result.stopped:
                break
            result.epoch_loss.append(loss_sum / max(examples, 1))
            logger.info("epoch %d/%d: loss %.4f", epoch + 1, cfg.epochs, result.epoch_loss[-1])
    finally:
        client.run(_forget, run)
    result.seconds = time.perf_counter() - t0
    result.raw_words = int(round(raw_total * (len(result.epoch_loss)
                                              + (report.rounds % per_epoch) / per_epoch)))
    result.words_per_sec = result.raw_words / max(result.seconds, 1e-9)
    _finish_model(model, result, report, read_seconds, len(result.epoch_loss), alpha, min_alpha,
                  raw_total, n_total)
    return model


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
    model_future = _broadcast(client, matrices)
    return client.gather([
        client.submit(_setup_shard, run, s, shards[s], matrices=model_future,
                      workers=[home[s]], pure=False, **setup)
        for s in range(len(shards))])


def _collect(client, run, futures, shards, home, setup, matrices, report, epoch, r):
    """The round's outcomes; a shard that failed is left out and moved to another worker.

    A shard whose worker lost its state (restarted) is set up again from its
    files and the current model; its slice of this round is not trained.
    """
    from distributed import wait

    wait(list(futures.values()))
    outcomes = []
    for s, future in futures.items():
        if future.status == "error":
            why = f"epoch {epoch + 1} round {r + 1}: shard {s} failed ({future.exception()!r}); " \
                  "the round went on without it"
            logger.warning(why)
            report.failures.append(why)
            _rehome(client, run, s, shards, home, setup, matrices)
            continue
        outcome = future.result()
        if outcome is None:  # the worker restarted: rebuild the shard there, skip its round
            _rehome(client, run, s, shards, home, setup, matrices)
            why = f"epoch {epoch + 1} round {r + 1}: shard {s} was lost with its worker; " \
                  "rebuilt from its files and the current model, its round skipped"
            logger.warning(why)
            report.failures.append(why)
            continue
        outcomes.append(outcome)
    return outcomes


def _rehome(client, run, s, shards, home, setup, matrices):
    """Set shard ``s`` up again on a live worker, from its files and the current model."""
    live = sorted(client.nthreads())
    if not live:
        raise RuntimeError("every worker of the Dask cluster is gone")
    if home[s] not in live:
        home[s] = live[s % len(live)]
    client.submit(_setup_shard, run, s, shards[s], matrices=matrices, workers=[home[s]],
                  pure=False, **setup).result()


def _broadcast(client, data):
    """``data`` on every worker once, as one future (not hashed: it is large and new)."""
    return client.scatter([data], broadcast=True, hash=False)[0]


def _nbytes(sparse):
    return sum(rows.nbytes + values.nbytes for rows, values in sparse.values())


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
