"""Command line: a thin layer over the library.

Each command parses its options, calls the library, and turns the errors a
user can cause (bad settings, unreadable files) into one-line messages with a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time

import click

from . import __version__
from .config import MODELS, ConfigError, TrainConfig
from .formats import OutputPathError, resolve_output
from .interrupts import EXIT_SIGINT, StopSignals, deferred_sigint
from .progress import ProgressPrinter, human

# The numba-compiled modules (corpus reading, training) are imported inside the
# commands: ``--help`` stays fast, and a Ctrl-C while they load is a KeyboardInterrupt
# inside a command, which the group turns into exit 130 without a traceback.

#: Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = EXIT_SIGINT

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
TEXT_EXTENSIONS = (".txt", ".vec")


def _default(name):
    """The default of a :class:`TrainConfig` field: defined once, shown in --help."""
    return _FIELDS[name].default


class _Group(click.Group):
    """The command group; a Ctrl-C that no command handled ends with exit 130, not click's 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            click.echo("\naborted", err=True)
            ctx.exit(getattr(exc, "status", EXIT_INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="fastw2v")
def main():
    """fastw2v: train word2vec embeddings (CBOW or skip-gram) fast, from Python."""


def output_format(path, fmt):
    """``binary`` or ``text``: as given, else ``.txt``/``.vec`` text, anything else binary."""
    if fmt:
        return fmt
    return "text" if os.fspath(path).lower().endswith(TEXT_EXTENSIONS) else "binary"


def validated_config(**settings):
    """A :class:`TrainConfig`, or a one-line error naming the offending flag."""
    try:
        return TrainConfig.from_kwargs(**settings)
    except ConfigError as exc:
        raise _config_error(exc) from None


def _config_error(exc):
    flag = f"--{exc.field.replace('_', '-')}" if exc.field else "setting"
    return click.ClickException(f"invalid {flag}: {exc}")


def write_vectors(output, wv, fmt):
    """Write ``wv`` to ``output`` in word2vec ``fmt`` ("binary" or "text"), atomically.

    Raises
    ------
    click.ClickException
        The file cannot be written (disk full, permissions, ...); the old file is kept.
    """
    from .formats import write_word2vec

    try:
        write_word2vec(output, wv.index_to_key, wv.vectors, binary=fmt == "binary")
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None


def check_output_path(output, corpus, other=None):
    """Fail before training if ``output`` could not be written at the end.

    ``output`` must pass :func:`fastw2v.formats.resolve_output` and, links followed,
    be neither the corpus nor ``other`` (the vectors file, for ``--report``).
    """
    try:
        real = resolve_output(output)
    except OutputPathError as exc:
        raise click.ClickException(str(exc)) from None
    if corpus != "-" and os.path.exists(corpus) and os.path.exists(real) and os.path.samefile(corpus, real):
        raise click.ClickException(f"{output} is the corpus file itself; choose another path")
    if other is not None and real == os.path.realpath(other):
        raise click.ClickException(f"{output} is also the vectors output; choose another path")
    return real


@main.command()
@click.argument("corpus", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Vectors file to write (word2vec format).")
@click.option("--model", type=click.Choice(MODELS), default=_default("model"), show_default=True,
              help="cbow: predict a word from its context; skipgram: predict the context.")
@click.option("--dim", type=int, default=_default("dim"), show_default=True,
              help="Vector dimension.")
@click.option("--window", type=int, default=_default("window"), show_default=True,
              help="Largest distance between centre and context word.")
@click.option("--negative", type=int, default=_default("negative"), show_default=True,
              help="Negative samples per positive pair.")
@click.option("--sample", type=float, default=_default("sample"), show_default=True,
              help="Subsampling threshold for frequent words (0 disables).")
@click.option("--min-count", type=int, default=_default("min_count"), show_default=True,
              help="Ignore words seen fewer times.")
@click.option("--max-vocab-size", type=int, default=None,
              help="Keep at most this many most frequent words.")
@click.option("--epochs", type=int, default=_default("epochs"), show_default=True,
              help="Passes over the corpus.")
@click.option("--threads", type=int, default=None,
              help="Worker threads [default: all cores].")
@click.option("--alpha", type=float, default=None,
              help="Starting learning rate [default: 0.05 cbow, 0.025 skipgram].")
@click.option("--min-alpha", type=float, default=None,
              help="Final learning rate [default: the schedule's, see README].")
@click.option("--seed", type=int, default=_default("seed"), show_default=True,
              help="Random seed (with --threads 1 runs are byte-identical).")
@click.option("--shared-negatives", is_flag=True, default=_default("shared_negatives"),
              help="Skip-gram: one set of negatives per window, shared by its context "
                   "words (faster; pWord2Vec).")
@click.option("--format", "fmt", type=click.Choice(["binary", "text"]), default=None,
              help="Output format [default: text for .txt/.vec, else binary].")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@click.option("--report", type=click.Path(), default=None,
              help="Write a JSON report (vocabulary, losses, speed, timings) here.")
def train(corpus, output, fmt, quiet, report, **settings):
    """Train word vectors on CORPUS (UTF-8 text, one sentence a line) and write them to OUTPUT.

    CORPUS may be gzip, bzip2 or xz compressed, or "-" for standard input (a pipe,
    a FIFO and <(...) are read in one pass too).

    Example: fastw2v train corpus.txt -o vectors.bin --model skipgram

    Ctrl-C (or SIGTERM) once stops after the current block and saves the partial
    vectors (exit 130, or 143 for SIGTERM); twice quits without writing. If the
    --report file cannot be written, the vectors stay written and the exit status is 1.
    """
    with deferred_sigint():
        from .corpus import CorpusError
        from .word2vec import TrainingDiverged, Word2Vec

    started = time.perf_counter()
    config = validated_config(**settings)
    check_output_path(output, corpus)
    if report:
        check_output_path(report, corpus, other=output)
    fmt = output_format(output, fmt)
    printer = ProgressPrinter(quiet=quiet)
    try:
        model = Word2Vec(**dataclasses.asdict(config))
        model.build_vocab(corpus, progress=printer.reading)
    except ConfigError as exc:  # what the settings would allocate (see Word2Vec)
        raise _config_error(exc) from None
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        printer.line("aborted while reading the corpus: nothing written", force=True)
        sys.exit(EXIT_INTERRUPTED)
    if len(model.vocab) < 2:
        raise click.ClickException(
            f"{corpus}: only {len(model.vocab)} distinct word(s) reach min_count={config.min_count}; "
            "negative sampling needs at least 2"
        )
    printer.line(f"vocabulary: {len(model.vocab)} words, {human(model.corpus.raw_tokens)} tokens "
                 f"({model.timings['read']:.1f} s)")

    def announce(signum):
        what = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        printer.line(f"interrupted ({what}): stopping after the current block and saving the "
                     "partial vectors (Ctrl-C again to quit without saving)", force=True)

    try:
        # The handlers stay until the command ends: a press after the save has nothing
        # left to stop and must not become a traceback (StopSignals.done).
        with StopSignals(on_first=announce) as stop:
            result = model.train(progress=printer.training, stop=stop)
            stop.saving = True
            t0 = time.perf_counter()
            write_vectors(output, model.wv, fmt)
            model.timings["save"] = time.perf_counter() - t0
            total = time.perf_counter() - started
            if report:
                _write_report(report, model, result, total, output, fmt)
            stop.done = True
            _finish(printer, config, model, result, total, output, stop.status)
    except TrainingDiverged as exc:
        raise click.ClickException(f"{exc}; nothing written") from None
    except KeyboardInterrupt as exc:
        printer.line("aborted: nothing written", force=True)
        sys.exit(getattr(exc, "status", EXIT_INTERRUPTED))


def _finish(printer, config, model, result, total, output, status):
    """The last line of a run; a run stopped early exits with ``status`` (130 or 143)."""
    if result.stopped:
        printer.line(f"partial vectors ({len(result.epoch_loss)} of {config.epochs} epochs "
                     f"complete) written to {output}", force=True)
        sys.exit(status)
    loss = result.epoch_loss[-1] if result.epoch_loss else float("nan")
    printer.line(
        f"{config.model}: {len(model.vocab)} words x {config.dim} dims, "
        f"{human(result.raw_words)} words in {result.seconds:.1f} s "
        f"({human(result.words_per_sec)} words/s), loss {loss:.4f}; "
        f"{human(model.corpus.raw_tokens * config.epochs / total)} words/s overall "
        f"in {total:.1f} s -> {output}"
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
        "corpus_tokens": model.corpus.raw_tokens,
        "trained_tokens_per_epoch": len(model.corpus),
        "epoch_loss": result.epoch_loss,
        "stopped_early": result.stopped,
        "train_words_per_sec": result.words_per_sec,
        "words_per_sec": model.corpus.raw_tokens * len(result.epoch_loss) / total,
        "phases": {**{k: round(v, 4) for k, v in model.timings.items()}, "total": round(total, 4)},
    }
    try:
        with atomic_write(path, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise click.ClickException(f"vectors written to {output}, but the report {path} could not "
                                   f"be written: {exc.strerror or exc}") from None


DEMO_CORPUS = os.path.join(os.path.dirname(__file__), "data", "demo.txt.gz")
DEMO_WORDS = ("you", "year", "car")
DEMO_ANALOGY = ("king", "man", "queen")  # king is to man as queen is to ?


@main.command()
@click.option("--model", type=click.Choice(MODELS), default="cbow", show_default=True,
              help="Model to train.")
@click.option("--epochs", type=int, default=10, show_default=True, help="Passes over the sample.")
@click.option("--threads", type=int, default=None, help="Worker threads [default: all cores].")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Also save the vectors here (word2vec format).")
def demo(model, epochs, threads, output):
    """Train on a bundled 1M-token Wikipedia sample and show what the vectors learned.

    The sample is the first million tokens of a 2015 English Wikipedia dump
    (CC BY-SA 3.0, Wikipedia's contributors; see fastw2v/data/README.md).
    """
    with deferred_sigint():
        from .word2vec import Word2Vec

    config = validated_config(model=model, epochs=epochs, threads=threads)
    if output:
        check_output_path(output, DEMO_CORPUS)
    # Ctrl-C anywhere here ends with exit 130 (see _Group): nothing is written before
    # the end, and write_vectors is atomic.
    printer = ProgressPrinter()
    w2v = Word2Vec(**dataclasses.asdict(config))
    w2v.build_vocab(DEMO_CORPUS)
    result = w2v.train(progress=printer.training)
    printer.line(f"{model}: {len(w2v.vocab)} words, {human(result.words_per_sec)} words/s, "
                 f"{result.seconds:.1f} s, loss {result.epoch_loss[-1]:.4f}")
    wv = w2v.wv
    for word in DEMO_WORDS:
        neighbours = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(word, topn=8))
        click.echo(f"{word}: {neighbours}")
    a, b, c = DEMO_ANALOGY
    answers = ", ".join(f"{w} ({s:.2f})" for w, s in wv.most_similar(positive=[b, c], negative=[a], topn=5))
    click.echo(f"{a} : {b} = {c} : ?  {answers}")
    if output:
        write_vectors(output, wv, output_format(output, None))
        click.echo(f"vectors written to {output}")


def _register_query_commands():
    from .cli_query import analogy, evaluate, similar

    for command in (similar, analogy, evaluate):
        main.add_command(command)


_register_query_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
