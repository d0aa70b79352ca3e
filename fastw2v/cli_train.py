"""``fastw2v train``: train, checkpoint, resume, and train on from a saved model.

Three ways in, one way out:

- ``fastw2v train CORPUS... -o OUT`` trains a new model;
- ``--resume DIR`` finishes the stopped run saved in DIR (its settings, its
  schedule, its random streams, its corpus re-read and checked);
- ``--init DIR CORPUS...`` loads DIR, adds CORPUS's new words and trains a
  new run on CORPUS from DIR's vectors.

Every way writes the vectors to OUT and, with ``--save-model`` (``--resume``
keeps saving to its DIR), the whole model after every epoch and when
stopped, so a run killed at any point resumes from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
import time

import click
from click.core import ParameterSource

from . import __version__
from .cli_common import (EXIT_INTERRUPTED, check_output_path, config_error, default,
                         output_format, validated_config, write_vectors)
from .config import MODELS, ConfigError
from .formats import OutputPathError
from .interrupts import (StopSignals, deferred_sigint, keyboard_interrupt_in,
                         sigint_ignored_by_children)
from .progress import ProgressPrinter, human

#: Settings a run from a saved model may change: with --resume only the thread
#: count (the run goes on as it was), with --init the new run's length and schedule.
RESUME_SETTINGS = {"threads"}
INIT_SETTINGS = {"threads", "epochs", "alpha", "min_alpha"}


#: ``--local-workers`` starts this many worker processes per CPU at most: more
#: than one a CPU is slower but shows the quality of combining more replicas
#: (benchmarks/bench_cluster.py ran 8 on 2 CPUs); thousands would only exhaust
#: the machine before training started.
MAX_LOCAL_WORKERS_PER_CPU = 8


@click.command()
@click.argument("corpus", nargs=-1, type=click.Path())
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Vectors file to write (word2vec format) [with --resume: the run's own].")
@click.option("--model", type=click.Choice(MODELS), default=default("model"), show_default=True,
              help="cbow: predict a word from its context; skipgram: predict the context.")
@click.option("--dim", type=int, default=default("dim"), show_default=True,
              help="Vector dimension.")
@click.option("--window", type=int, default=default("window"), show_default=True,
              help="Largest distance between centre and context word.")
@click.option("--negative", type=int, default=default("negative"), show_default=True,
              help="Negative samples per positive pair (0: none; needs --hs).")
@click.option("--hs", is_flag=True, default=default("hs"),
              help="Hierarchical softmax (with --negative 0 alone, as word2vec.c's -hs 1 "
                   "-negative 0; else with negative sampling, the gradients summed).")
@click.option("--sample", type=float, default=default("sample"), show_default=True,
              help="Subsampling threshold for frequent words (0 disables; 1 or more is a "
                   "count, as in gensim).")
@click.option("--min-count", type=int, default=default("min_count"), show_default=True,
              help="Ignore words seen fewer times.")
@click.option("--max-final-vocab", type=int, default=None,
              help="Keep at most this many most frequent words.")
@click.option("--max-vocab-size", type=int, default=None, hidden=True,
              help="Deprecated name of --max-final-vocab.")
@click.option("--epochs", type=int, default=default("epochs"), show_default=True,
              help="Passes over the corpus.")
@click.option("--threads", type=int, default=None,
              help="Worker threads [default: all cores].")
@click.option("--alpha", type=float, default=None,
              help="Starting learning rate [default: 0.05 cbow (0.025 with --hs), 0.025 skipgram].")
@click.option("--min-alpha", type=float, default=None,
              help="Final learning rate [default: the schedule's, see README].")
@click.option("--seed", type=int, default=default("seed"), show_default=True,
              help="Random seed (with --threads 1 runs are byte-identical).")
@click.option("--shared-negatives", is_flag=True, default=default("shared_negatives"),
              help="Skip-gram: one set of negatives per window, shared by its context "
                   "words (faster; pWord2Vec).")
@click.option("--format", "fmt", type=click.Choice(["binary", "text"]), default=None,
              help="Output format [default: text for .txt/.vec, else binary; "
                   "a name ending in .gz is gzip-compressed].")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@click.option("--report", type=click.Path(), default=None,
              help="Write a JSON report (vocabulary, losses, speed, timings) here.")
@click.option("--save-model", type=click.Path(), default=None,
              help="Also keep the whole model in this directory, saved after every epoch "
                   "and when stopped, for --resume and --init.")
@click.option("--resume", type=click.Path(), default=None,
              help="Finish the stopped run saved in this model directory (and keep saving there).")
@click.option("--init", type=click.Path(), default=None,
              help="Start from this model directory: add CORPUS's new words, train on CORPUS.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Train on this Dask cluster (tcp://host:8786); needs fastw2v[dask].")
@click.option("--local-workers", type=int, default=None,
              help="Train on a Dask LocalCluster of this many worker processes (to try the "
                   "cluster mode on one machine).")
@click.option("--round-words", type=int, default=None,
              help="Cluster mode: words each worker trains between two exchanges "
                   "[default: 125,000].")
@click.option("--lockstep", is_flag=True, default=None,
              help="Cluster mode: start each round from the model with every earlier round "
                   "in it, instead of overlapping the exchange with the next round (better "
                   "vectors at the same --round-words, slower).")
def train(corpus, output, fmt, quiet, report, save_model, resume, init, scheduler, local_workers,
          round_words, lockstep, **settings):
    """Train word vectors on CORPUS (UTF-8 text, one sentence a line) and write them to OUTPUT.

    CORPUS is one or more files or directories, read in order as one corpus (a
    directory: its files in name order, hidden files and subdirectories skipped;
    a file's end ends a sentence). Files may be gzip, bzip2 or xz compressed;
    "-" reads standard input (a pipe, a FIFO and <(...) are read in one pass too).

    Example: fastw2v train part1.txt part2.txt.gz -o vectors.bin --model skipgram

    Ctrl-C (or SIGTERM) once stops after the current block and saves the partial
    vectors, and the model with --save-model (exit 130, or 143 for SIGTERM); twice
    quits without writing. "fastw2v train --resume DIR" then finishes the run.
    If the --report file cannot be written, the vectors stay written and the exit
    status is 1.
    """
    with deferred_sigint():
        from .corpus import CorpusError
        from .persist import ModelFormatError
        from .sources import corpus_paths
        from .word2vec import TrainingDiverged

    started = time.perf_counter()
    given = _given_settings(settings)
    for flag, value in (("--report", report), ("--save-model", save_model),
                        ("--resume", resume), ("--init", init)):
        if value == "":  # (an unset variable in a script: the option was silently dropped)
            raise click.UsageError(f"{flag}: the path is empty")
    if resume and init:
        raise click.ClickException("give either --resume or --init, not both")
    if scheduler is not None or local_workers is not None or round_words is not None \
            or lockstep:
        return _train_on_cluster(corpus, output, fmt, quiet, report, save_model, resume or init,
                                 scheduler, local_workers, round_words, lockstep, settings,
                                 started)
    if not corpus and not resume:
        raise click.UsageError("Missing argument 'CORPUS...'.")
    printer = ProgressPrinter(quiet=quiet)
    try:
        if resume or init:
            model = _load(resume or init, given, settings, RESUME_SETTINGS if resume else INIT_SETTINGS)
        else:
            model = _new_model(settings)
        files = corpus_paths(list(corpus)) if corpus else None
    except (ModelFormatError, CorpusError) as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        output = model.metadata.get("output") if resume else None
        if output is None:
            raise click.UsageError("Missing option '-o' / '--output'.")
    fmt = output_format(output, fmt or (model.metadata.get("format") if resume else None))
    save_to = save_model or resume
    _check_outputs(output, report, save_to, files or _recorded_files(model))
    model.metadata.update(output=os.path.abspath(output), format=fmt)
    if resume and _run_complete(model):
        # The run ended after its last checkpoint and before its vectors were
        # written (a full disk, a crash, a second Ctrl-C): finishing it is
        # writing them.
        write_vectors(output, model.wv, fmt)
        state = model.state
        printer.line(f"{resume}: its run was already complete ({state.epoch} of "
                     f"{state.run_epochs} epochs); its vectors were written to {output} "
                     f"(to train on, use --init {resume} CORPUS)", force=True)
        if report:
            printer.line("no report written: nothing was trained", force=True)
        return
    try:
        if resume:
            _check_resumable(model, resume, files)
        else:
            with deferred_sigint():
                _load_readers()
            _read(model, files, printer, update=bool(init))
    except ConfigError as exc:  # what the settings would allocate (see Word2Vec)
        raise config_error(exc) from None
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    except (KeyboardInterrupt, SystemError) as exc:
        if keyboard_interrupt_in(exc) is None:
            raise
        printer.line("aborted while reading the corpus: nothing written", force=True)
        sys.exit(EXIT_INTERRUPTED)

    def announce(signum):
        what = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        saved = "vectors and model" if save_to else "vectors"
        printer.line(f"interrupted ({what}): stopping after the current block and saving the "
                     f"partial {saved} (Ctrl-C again to quit without saving)", force=True)

    try:
        # The handlers stay until the command ends: a press after the save has nothing
        # left to stop and must not become a traceback (StopSignals.done).
        with StopSignals(on_first=announce) as stop:
            result = _train(model, resume, files, given, settings, save_to, printer, stop)
            stop.saving = True
            t0 = time.perf_counter()
            if result.stopped and save_to:
                _save_model(model, save_to)
            write_vectors(output, model.wv, fmt)
            model.timings["save"] = time.perf_counter() - t0
            total = time.perf_counter() - started
            if report:
                _write_report(report, model, result, total, output, fmt)
            stop.done = True
            _finish(printer, model, result, total, output, save_to, stop.status)
    except TrainingDiverged as exc:
        raise click.ClickException(f"{exc}; nothing written") from None
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt as exc:
        kept = f" ({save_to} keeps its last checkpoint)" if save_to and os.path.isdir(save_to) else ""
        printer.line(f"aborted: nothing written{kept}", force=True)
        sys.exit(getattr(exc, "status", EXIT_INTERRUPTED))


def _given_settings(settings):
    """The settings given on the command line (not defaults); ``--max-vocab-size`` renamed."""
    ctx = click.get_current_context()
    given = {name for name in settings if ctx.get_parameter_source(name) != ParameterSource.DEFAULT}
    old = settings.pop("max_vocab_size")
    if "max_vocab_size" in given:
        given.discard("max_vocab_size")
        if "max_final_vocab" in given:
            raise click.UsageError("give either --max-vocab-size or --max-final-vocab, not both")
        click.echo("warning: --max-vocab-size is deprecated; it is now --max-final-vocab", err=True)
        settings["max_final_vocab"] = old
        given.add("max_final_vocab")
    return given


def _new_model(settings):
    from .word2vec import Word2Vec

    config = validated_config(**settings)
    try:
        return Word2Vec(**dataclasses.asdict(config))
    except ConfigError as exc:
        raise config_error(exc) from None


def _load(path, given, settings, allowed):
    """The model saved in ``path``, with the allowed settings given on the command line."""
    from .word2vec import Word2Vec

    refused = sorted(given - allowed)
    if refused:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in refused)
        what = "--resume finishes the run with its saved settings" if allowed is RESUME_SETTINGS \
            else "--init keeps the saved model's settings"
        raise click.UsageError(f"{what}; {flags} cannot be changed (only "
                               f"{', '.join('--' + a.replace('_', '-') for a in sorted(allowed))})")
    overrides = {name: settings[name] for name in given & {"threads", "epochs"}}
    try:
        model = Word2Vec.load(path, **overrides)
    except ConfigError as exc:
        raise config_error(exc) from None
    model.metadata = dict(model.metadata)
    return model


def _recorded_files(model):
    return (model.state.corpus or {}).get("files") or []


#: How long ``--scheduler`` waits for a Dask scheduler to answer.
CONNECT_SECONDS = 30


def _check_outputs(output, report, save_to, files):
    """Every path the run will write, checked before it reads or trains anything."""
    from .persist import check_target

    check_output_path(output, files)
    if report:
        check_output_path(report, files, other=output)
    if save_to:
        try:
            check_target(save_to)
        except OutputPathError as exc:
            raise click.ClickException(str(exc)) from None
        # The model is a folder: saved first at a path the vectors or the report
        # are to be written to, it would turn that file into a folder.
        # Written inside the model's folder, they would replace its model.json or
        # one of its files.
        folder = os.path.realpath(save_to)
        for path, what in ((output, "the vectors output"), (report, "the --report file")):
            if not path:
                continue
            target = os.path.realpath(path)
            if target == folder:
                raise click.ClickException(f"--save-model {save_to} is also {what}; "
                                           "choose another path")
            if os.path.commonpath([folder, target]) == folder:
                raise click.ClickException(f"{what} {path} is inside the model folder "
                                           f"{save_to}; choose a path outside it")
        _lock_model_folder(save_to)


def _lock_model_folder(path):
    """Hold the model folder for this command: a second run saving there is refused.

    Two runs saving to one folder each removed the other's data folder, and
    one of them failed after training without its vectors (4 tries in 4). An
    exclusive ``flock`` on the folder itself, released when the command ends
    (or its process dies); a folder made for it and still empty then is
    removed.
    """
    try:
        import fcntl
    except ImportError:  # (not POSIX: no lock)
        return
    made = not os.path.exists(path)
    os.makedirs(path, exist_ok=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise click.ClickException(f"{path} is in use by another fastw2v run saving there; "
                                   "wait for it to end or choose another folder") from None

    def release():
        try:
            # only the folder locked, if still empty (it may have been moved or removed)
            if made and os.path.samestat(os.stat(path), os.fstat(fd)) and not os.listdir(path):
                os.rmdir(path)
        except OSError:
            pass
        finally:
            os.close(fd)

    click.get_current_context().call_on_close(release)


def _run_complete(model):
    return not model.state.unfinished and model.state.run_epochs > 0


def _check_resumable(model, path, files):
    state = model.state
    if not state.unfinished:
        raise click.ClickException(f"{path}: it was never trained; nothing to resume (to "
                                   f"train on, use --init {path} CORPUS)")
    if files is None and not _recorded_files(model):
        raise click.ClickException(f"{path}: the stopped run read standard input or "
                                   "in-memory sentences; give its corpus again")


def _read(model, files, printer, update):
    """Read the corpus: a new vocabulary, or (``update``) the saved one grown with it."""
    from .sources import corpus_name

    model.build_vocab(corpus_file=files, update=update, progress=printer.reading)
    if len(model.vocab) < 2:
        raise click.ClickException(
            f"{corpus_name(files)}: only {len(model.vocab)} distinct word(s) reach "
            f"min_count={model.config.min_count}; negative sampling needs at least 2")
    printer.line(f"vocabulary: {len(model.vocab)} words, {human(model.corpus.raw_tokens)} tokens "
                 f"({model.timings['read']:.1f} s)")


def _save_model(model, path):
    try:
        model.save(path)
    except OSError as exc:
        raise click.ClickException(f"cannot save the model to {path}: {exc.strerror or exc}") from None


def _train(model, resume, files, given, settings, save_to, printer, stop):
    """Run the training this command asked for, checkpointing to ``save_to`` after every epoch."""
    callbacks = [lambda m, epoch, loss: _save_model(m, save_to)] if save_to else []
    if resume:
        printer.line(f"resuming {resume}: epoch {model.state.epoch + 1} of {model.state.run_epochs}, "
                     f"{model.config.model}, {len(model.vocab)} words")
        return model.train(corpus_file=files, resume=True, progress=printer.training,
                           callbacks=callbacks, stop=stop)
    schedule = {}
    if "alpha" in given:
        schedule["start_alpha"] = settings["alpha"]
    if "min_alpha" in given:
        schedule["end_alpha"] = settings["min_alpha"]
    # --init asks for a new run on the loaded vectors: the library's warning that
    # train() restarts the learning rate speaks to Python callers, not to it
    from .word2vec import logger as log

    log.addFilter(_not_a_restart)
    try:
        return model.train(progress=printer.training, callbacks=callbacks, stop=stop, **schedule)
    except ConfigError as exc:
        raise config_error(exc) from None
    finally:
        log.removeFilter(_not_a_restart)


def _not_a_restart(record):
    return not record.getMessage().startswith("train() called again")


def _finish(printer, model, result, total, output, save_to, status):
    """The last line of a run; a run stopped early exits with ``status`` (130 or 143)."""
    state = model.state
    if result.stopped:
        printer.line(f"partial vectors ({state.epoch} of {state.run_epochs} epochs "
                     f"complete) written to {output}", force=True)
        if save_to:
            printer.line(f"model saved to {save_to}; finish the run with: "
                         f"fastw2v train --resume {save_to}", force=True)
        sys.exit(status)
    loss = result.epoch_loss[-1] if result.epoch_loss else float("nan")
    # (over no examples the loss is no figure: "loss 0.0000" looked like a perfect fit)
    shown = f"loss {loss:.4f}" if result.examples else "nothing trained"
    config = model.config
    printer.line(
        f"{config.model}: {len(model.vocab)} words x {config.dim} dims, "
        f"{human(result.raw_words)} words in {result.seconds:.1f} s "
        f"({human(result.words_per_sec)} words/s), {shown}; "
        f"{human(result.raw_words / total)} words/s overall "
        f"in {total:.1f} s -> {output}" + (f" (model: {save_to})" if save_to else "")
    )


def _write_report(path, model, result, total, output, fmt):
    """The ``--report`` JSON: what was trained, how fast, and the settings.

    Written after the vectors: if it fails the vectors are kept (they are complete
    and the report is only a summary) and the error says so.
    """
    from .formats import atomic_write

    data = {
        "version": __version__,
        "output": os.path.abspath(output),
        "format": fmt,
        "settings": model.config.as_dict(),
        "vocab_size": len(model.vocab),
        "corpus_tokens": model.state.corpus["raw_tokens"],
        "trained_tokens_per_epoch": model.state.corpus["tokens"],
        "epoch_loss": result.epoch_loss,
        "stopped_early": result.stopped,
        "train_words_per_sec": result.words_per_sec,
        "words_per_sec": result.raw_words / total,
        "phases": {**{k: round(v, 4) for k, v in model.timings.items()}, "total": round(total, 4)},
    }
    try:
        with atomic_write(path, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise click.ClickException(f"vectors written to {output}, but the report {path} could not "
                                   f"be written: {exc.strerror or exc}") from None


def _load_readers():
    """Read a three-word corpus, so that the reading kernels' compiled code is loaded.

    Numba loads a kernel's cached machine code at its first call; a Ctrl-C
    landing in that (unpickling, LLVM objects freed in finalizers) came out
    as a SystemError traceback instead of "aborted while reading". Called
    under :func:`~fastw2v.interrupts.deferred_sigint`, so that the real
    read starts with everything loaded and stays interruptible.
    """
    import tempfile

    from .vocab import build_corpus

    try:
        with tempfile.TemporaryDirectory(prefix="fastw2v-") as tmp:
            path = os.path.join(tmp, "warm-up.txt")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("a b a\n")
            build_corpus(path, min_count=1)
    except OSError:  # no writable temporary folder: the real read loads them instead
        pass


def _train_on_cluster(corpus, output, fmt, quiet, report, save_model, from_model, scheduler,
                      local_workers, round_words, lockstep, settings, started):
    """``--scheduler`` / ``--local-workers``: the same command on a Dask cluster (fastw2v.distributed)."""
    with deferred_sigint():
        from .corpus import CorpusError
        from .sources import corpus_paths
        from .word2vec import TrainingDiverged
    if from_model:
        raise click.UsageError("--resume and --init train on one machine; the cluster mode "
                               "starts a new model")
    if scheduler is not None and local_workers is not None:
        raise click.UsageError("give either --scheduler or --local-workers, not both")
    if scheduler is None and local_workers is None:
        raise click.UsageError("--round-words and --lockstep need --scheduler or "
                               "--local-workers")
    if not corpus or output is None:
        raise click.UsageError("the cluster mode needs CORPUS... and -o")
    if local_workers is not None and local_workers < 1:
        raise click.ClickException(f"invalid --local-workers: must be at least 1, not {local_workers}")
    most = MAX_LOCAL_WORKERS_PER_CPU * (os.cpu_count() or 1)
    if local_workers is not None and local_workers > most:
        raise click.ClickException(
            f"invalid --local-workers: {local_workers} worker processes on this machine's "
            f"{os.cpu_count()} CPUs (at most {most}); use --scheduler for a larger cluster")
    if round_words is not None and round_words < 1:
        raise click.ClickException(f"invalid --round-words: must be at least 1, not {round_words}")
    config = validated_config(**settings)
    try:
        files = corpus_paths(list(corpus))
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    if "-" in files:
        raise click.ClickException("standard input cannot be read by cluster workers; give files")
    fmt = output_format(output, fmt)
    _check_outputs(output, report, save_model, files)
    try:
        from dask.distributed import Client, LocalCluster

        from .distributed import ROUND_WORDS, ClusterError, call_within, train as cluster_train
    except ImportError:
        raise click.ClickException('the cluster mode needs Dask: pip install "fastw2v[dask]"') from None
    printer = ProgressPrinter(quiet=quiet)
    threads = settings.get("threads")
    try:
        if local_workers is not None:
            # Ctrl-C stops the driver's rounds, not the workers; Dask's own log lines
            # (a worker's heartbeat failing as the cluster shuts down, with its
            # traceback) are silenced: this command reports the run and its failures.
            # The LocalCluster's scheduler runs in this process: a send abandoned for
            # a dead worker (fastw2v.distributed._send) ends in its asyncio task,
            # which asyncio logged with a traceback at exit
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            with sigint_ignored_by_children():
                # (":0", a free port: None still asks for 8787, and a notebook's own
                # cluster holding it made Dask print a warning with its file path)
                cluster = LocalCluster(n_workers=local_workers, threads_per_worker=threads or 1,
                                       processes=True, dashboard_address=":0",
                                       silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            # Dask's timeout bounds the connection, not the handshake after it: a port
            # that accepts and never answers (the dashboard's, 8787, given for the
            # scheduler's) held the command as long as the peer held the connection
            client = call_within(CONNECT_SECONDS, Client, scheduler, timeout=f"{CONNECT_SECONDS}s")
            cluster = None
    except (OSError, TimeoutError, ValueError) as exc:
        raise click.ClickException(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever Dask makes of a peer that is no scheduler
        # (an HTTP server's reply read as a message header asked for exabytes)
        raise click.ClickException(f"cannot reach the Dask scheduler {scheduler}: what answers "
                                   f"there is not a Dask scheduler ({type(exc).__name__})") from None
    settings = dataclasses.asdict(config)
    if threads is None:  # each worker's own thread count
        settings.pop("threads")
    try:
        # The handlers stay while the cluster closes (seconds, for a LocalCluster): a
        # second Ctrl-C after the vectors were written landed there, and printed a bare
        # "aborted" under "partial vectors ... written".
        with StopSignals() as stop:
            try:
                model = cluster_train(client, files, round_words=round_words or ROUND_WORDS,
                                      overlap=not lockstep,
                                      progress=printer.training, stop=stop, **settings)
                stop.saving = True
                if save_model:
                    _save_model(model, save_model)
                write_vectors(output, model.wv, fmt)
                total = time.perf_counter() - started
                if report:
                    _write_report(report, model, model.result, total, output, fmt)
                stop.done = True
                shown = model.distributed
                printer.line(f"cluster: {shown.workers} workers, {shown.rounds} rounds "
                             f"{'in lockstep' if lockstep else 'overlapped'}, "
                             f"{human(sum(shown.bytes_per_round) / max(shown.rounds, 1))}B a "
                             f"round, {shown.communication_share:.0%} of the time outside the "
                             "kernels" + (f", {len(shown.failures)} failed shard rounds"
                                          if shown.failures else ""))
                _finish(printer, model, model.result, total, output, None, stop.status)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    except (TrainingDiverged, CorpusError, ConfigError, ClusterError) as exc:
        raise click.ClickException(f"{exc}; nothing written") from None
    except KeyboardInterrupt as exc:
        printer.line("aborted: nothing written", force=True)
        sys.exit(getattr(exc, "status", EXIT_INTERRUPTED))
