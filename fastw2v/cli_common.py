"""What the commands share: settings from flags, output checks, writing vectors, exit codes."""

from __future__ import annotations

import dataclasses
import os

import click

from .config import ConfigError, TrainConfig
from .atomic import OutputPathError, resolve_output
from .interrupts import EXIT_SIGINT

#: Exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = EXIT_SIGINT

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
TEXT_EXTENSIONS = (".txt", ".vec")


def default(name):
    """The default of a :class:`TrainConfig` field: defined once, shown in --help."""
    return _FIELDS[name].default


def output_format(path, fmt):
    """``binary`` or ``text``: as given, else ``.txt``/``.vec`` text, anything else binary.

    A ``.gz`` after the name (the file is then compressed) does not count:
    ``vectors.txt.gz`` is text.
    """
    if fmt:
        return fmt
    name = os.fspath(path).lower()
    name = name[:-3] if name.endswith(".gz") else name
    return "text" if name.endswith(TEXT_EXTENSIONS) else "binary"


def validated_config(**settings):
    """A :class:`TrainConfig`, or a one-line error naming the offending flag."""
    try:
        return TrainConfig.from_kwargs(**settings)
    except ConfigError as exc:
        raise config_error(exc) from None


def config_error(exc):
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

    ``output`` must pass :func:`fastw2v.atomic.resolve_output` and, links followed,
    be neither one of the ``corpus`` files (a path, or a list as
    :func:`fastw2v.sources.corpus_paths` gives) nor ``other`` (the vectors file,
    for ``--report``).
    """
    try:
        real = resolve_output(output)
    except OutputPathError as exc:
        raise click.ClickException(str(exc)) from None
    files = [corpus] if isinstance(corpus, (str, os.PathLike)) else corpus
    for path in files:
        if path != "-" and os.path.exists(path) and os.path.exists(real) and os.path.samefile(path, real):
            what = "itself" if os.fspath(path) == os.fspath(output) else path
            raise click.ClickException(f"{output} is the corpus file {what}; choose another path")
    if other is not None and real == os.path.realpath(other):
        raise click.ClickException(f"{output} is also the vectors output; choose another path")
    return real
