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
from .corpus import CorpusError
from .progress import ProgressPrinter, human

#: Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
TEXT_EXTENSIONS = (".txt", ".vec")


def _default(name):
    """The default of a :class:`TrainConfig` field: defined once, shown in --help."""
    return _FIELDS[name].default


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
        flag = f"--{exc.field.replace('_', '-')}" if exc.field else "setting"
        raise click.ClickException(f"invalid {flag}: {exc}") from None


def write_vectors(output, wv, fmt):
    """Write ``wv`` to ``output`` in word2vec ``fmt`` ("binary" or "text"), atomically."""
    from .formats import write_word2vec

    write_word2vec(output, wv.index_to_key, wv.vectors, binary=fmt == "binary")


def check_output_path(output, corpus):
    """Fail before training if ``output`` could not be written at the end."""
    output = os.path.abspath(output)
    folder = os.path.dirname(output)
    if os.path.isdir(output):
        raise click.ClickException(f"output {output} is a directory")
    if not os.path.isdir(folder):
        raise click.ClickException(f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"output folder {folder} is not writable")
    if os.path.exists(corpus) and os.path.exists(output) and os.path.samefile(corpus, output):
        raise click.ClickException("output is the corpus file itself; choose another path")


class _Interrupts:
    """First Ctrl-C: ask training to stop at the next block; second: abort."""

    def __init__(self, printer):
        self.printer = printer
        self.requested = False
        self._previous = None

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)
        return False

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.printer.line("interrupted: stopping after the current block and saving the "
                          "partial vectors (Ctrl-C again to quit without saving)", force=True)

    def __call__(self):
        return self.requested


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

    Example: fastw2v train corpus.txt -o vectors.bin --model skipgram
    """
    from .word2vec import Word2Vec

    started = time.perf_counter()
    config = validated_config(**settings)
    check_output_path(output, corpus)
    if report:
        check_output_path(report, corpus)
    fmt = output_format(output, fmt)
    printer = ProgressPrinter(quiet=quiet)
    model = Word2Vec(**dataclasses.asdict(config))
    try:
        model.build_vocab(corpus, progress=printer.reading)
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
    try:
        with _Interrupts(printer) as interrupts:
            result = model.train(progress=printer.training, stop=interrupts)
            t0 = time.perf_counter()
            write_vectors(output, model.wv, fmt)
            model.timings["save"] = time.perf_counter() - t0
    except KeyboardInterrupt:
        printer.line("aborted: nothing written", force=True)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    total = time.perf_counter() - started
    loss = result.epoch_loss[-1] if result.epoch_loss else float("nan")
    if report:
        _write_report(report, model, result, total, output, fmt)
    if result.stopped:
        printer.line(f"partial vectors ({len(result.epoch_loss)} of {config.epochs} epochs "
                     f"complete) written to {output}", force=True)
        sys.exit(EXIT_INTERRUPTED)
    printer.line(
        f"{config.model}: {len(model.vocab)} words x {config.dim} dims, "
        f"{human(result.raw_words)} words in {result.seconds:.1f} s "
        f"({human(result.words_per_sec)} words/s), loss {loss:.4f}; "
        f"{human(model.corpus.raw_tokens * config.epochs / total)} words/s overall "
        f"in {total:.1f} s -> {output}"
    )


def _write_report(path, model, result, total, output, fmt):
    """The ``--report`` JSON: what was trained, how fast, and the settings."""
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
    with atomic_write(path, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")


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
    from .word2vec import Word2Vec

    config = validated_config(model=model, epochs=epochs, threads=threads)
    if output:
        check_output_path(output, DEMO_CORPUS)
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
