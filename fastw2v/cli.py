"""Command line: a thin layer over the library.

Each command parses its options, calls the library, and turns the errors a
user can cause (bad settings, unreadable files) into one-line messages with a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import dataclasses
import os

import click

from . import __version__
from .cli_common import (EXIT_INTERRUPTED, check_output_path, output_format, validated_config,
                         write_vectors)
from .config import MODELS
from .interrupts import deferred_sigint, keyboard_interrupt_in
from .progress import ProgressPrinter, human

# The numba-compiled modules (corpus reading, training) are imported inside the
# commands: ``--help`` stays fast, and a Ctrl-C while they load is a KeyboardInterrupt
# inside a command, which the group turns into exit 130 without a traceback.


class _Group(click.Group):
    """The command group; a Ctrl-C that no command handled ends with exit 130, not click's 1.

    Also when a compiled call wrapped it in a SystemError
    (:func:`fastw2v.interrupts.keyboard_interrupt_in`).
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, SystemError) as exc:
            interrupt = keyboard_interrupt_in(exc)
            if interrupt is None:
                raise
            click.echo("\naborted", err=True)
            ctx.exit(getattr(interrupt, "status", EXIT_INTERRUPTED))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="fastw2v")
def main():
    """fastw2v: train word2vec embeddings (CBOW or skip-gram) fast, from Python."""


DEMO_CORPUS = os.path.join(os.path.dirname(__file__), "data", "demo.txt.gz")
DEMO_WORDS = ("you", "year", "car")
# berlin is to germany as paris is to ? (france, with 1 and 2 threads: the sample's
# 1M tokens are too few for king : man = queen : ?, which answered "spider")
DEMO_ANALOGY = ("berlin", "germany", "paris")


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


def _register_commands():
    from .cli_query import analogy, evaluate, similar
    from .cli_train import train

    for command in (train, similar, analogy, evaluate):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
