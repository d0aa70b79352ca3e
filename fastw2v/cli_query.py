"""Command-line queries on saved vectors: ``similar``, ``analogy`` and ``evaluate``.

Each command is a plain click command; ``fastw2v.cli`` registers them on the main group.
VECTORS may be a native directory (``KeyedVectors.save``) or a word2vec text/binary
file (``.vec`` included; binary or text is detected). Known errors (missing or malformed
file, unknown word) end with a one-line message and exit status 1, never a traceback.
"""

import math
import os

import click
import numpy as np

from fastw2v import evaluation
from fastw2v.keyedvectors import KeyedVectors
from fastw2v.vecmath import all_finite

_CONTEXT = {"help_option_names": ["-h", "--help"]}


def load_vectors(path):
    """Load a native directory or a word2vec file (format detected), as a KeyedVectors.

    Keys that are not valid UTF-8 are decoded with replacement characters.

    Raises
    ------
    click.ClickException
        The path does not exist, cannot be read, or is not a vectors file.
    """
    try:
        if os.path.isdir(path):
            kv = KeyedVectors.load(path, mmap=True)
            # (the library leaves a memory map unread; every query here reads it all)
            if not all_finite(kv.vectors):
                raise click.ClickException(f"cannot read vectors from {path}: they hold inf "
                                           "or NaN (a damaged model)")
            return kv
        return KeyedVectors.load_word2vec_format(path, binary=None, unicode_errors="replace")
    except FileNotFoundError as err:
        raise click.ClickException(f"cannot read vectors: {err.filename or path}: no such file") from None
    except (OSError, ValueError) as err:
        raise click.ClickException(f"cannot read vectors from {path}: {err}") from None


def _check_direction(kv, *words):
    """Refuse a query word whose vector is zero: it has no direction, every cosine is NaN.

    (GloVe and fastText files hold such rows for padding and unknown tokens.)
    """
    for word in words:
        if kv.norms[kv.get_index(word)] == 0:
            raise click.ClickException(f"{word!r} has a zero vector: it has no direction, so "
                                       "no word is nearer to it than another")


def _neighbours(kv, topn, **query):
    """``most_similar(topn=topn, **query)`` without the keys of zero vectors.

    Their cosine is NaN (as in gensim): they are no one's neighbours.
    """
    zero = int(np.count_nonzero(kv.norms == 0))
    results = kv.most_similar(topn=topn + zero, **query)
    return [(key, score) for key, score in results if not math.isnan(score)][:topn]


def _print_neighbours(results):
    for key, score in results:
        click.echo(f"{_one_line(key)}\t{score:.4f}")


def _one_line(key):
    """``key`` with tabs, line breaks and other unprintable characters escaped (``\\t``, ``\\x0b``).

    (A key holding a tab or a line break broke the word, tab, score lines.)
    """
    if key.isprintable():
        return key
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in key)


def _key_error(err):
    return click.ClickException(err.args[0] if err.args else str(err))


vectors_argument = click.argument("vectors", type=click.Path(dir_okay=True))


@click.command("similar", context_settings=_CONTEXT)
@vectors_argument
@click.argument("word")
@click.option("--topn", type=click.IntRange(min=1), default=10, show_default=True,
              help="Number of neighbours to print.")
def similar(vectors, word, topn):
    """Print the TOPN nearest neighbours of WORD by cosine similarity.

    One neighbour per line: word, a tab, the similarity with 4 decimals.
    """
    kv = load_vectors(vectors)
    try:
        _check_direction(kv, word)
        _print_neighbours(_neighbours(kv, topn, positive=[word]))
    except KeyError as err:
        raise _key_error(err) from None


@click.command("analogy", context_settings=_CONTEXT)
@vectors_argument
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("--topn", type=click.IntRange(min=1), default=5, show_default=True,
              help="Number of answers to print.")
def analogy(vectors, a, b, c, topn):
    """Solve "A is to B as C is to ?" with 3CosAdd: nearest to B + C - A.

    Prints the TOPN answers, one per line: word, a tab, the score with 4 decimals.
    A, B and C themselves are never answers.
    """
    kv = load_vectors(vectors)
    try:
        _check_direction(kv, a, b, c)
        _print_neighbours(_neighbours(kv, topn, positive=[b, c], negative=[a]))
    except KeyError as err:
        raise _key_error(err) from None


@click.command("evaluate", context_settings=_CONTEXT)
@vectors_argument
@click.option("--analogies", type=click.Path(dir_okay=False), default=evaluation.BUNDLED_ANALOGIES,
              show_default="bundled questions-words.txt", help="Analogy test file.")
@click.option("--pairs", type=click.Path(dir_okay=False), default=evaluation.BUNDLED_WORD_PAIRS,
              show_default="bundled wordsim353.tsv", help="Word-pair similarity file (tab-separated).")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=300000, show_default=True,
              help="Use only the first N words of the vocabulary.")
def evaluate(vectors, analogies, pairs, restrict_vocab):
    """Evaluate vectors on word analogies and word-pair similarities.

    Prints the analogy accuracy of each section and in total (questions with a word
    outside the vocabulary are skipped), then the Pearson and Spearman correlations with
    the human scores and the percentage of pairs with an unknown word.
    """
    for kind, path in (("analogies", analogies), ("word pairs", pairs)):
        if not os.path.exists(path):  # fail before the (long) evaluation starts
            raise click.ClickException(f"cannot read {kind}: {path}: no such file")
    kv = load_vectors(vectors)
    # the word pairs first: a bad file is found before the (long) analogies
    try:
        pearson, spearman, oov = kv.evaluate_word_pairs(pairs, restrict_vocab=restrict_vocab)
    except OSError as err:
        raise click.ClickException(f"cannot read word pairs: {err.filename or pairs}: "
                                   f"{err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise click.ClickException(f"cannot read word pairs: {pairs}: not {err.encoding} text "
                                   f"(byte {err.start})") from None
    except ValueError as err:
        raise click.ClickException(f"cannot evaluate word pairs: {err}") from None
    try:
        score, sections = kv.evaluate_word_analogies(analogies, restrict_vocab=restrict_vocab)
    except OSError as err:
        raise click.ClickException(f"cannot read analogies: {err.filename or analogies}: "
                                   f"{err.strerror or err}") from None
    except ValueError as err:
        raise click.ClickException(f"cannot read analogies: {err}") from None
    for section in sections:
        right, wrong = len(section["correct"]), len(section["incorrect"])
        accuracy = 100.0 * right / (right + wrong) if right + wrong else 0.0
        click.echo(f"{section['section']}: {accuracy:.1f}% ({right}/{right + wrong})")
    click.echo(f"pearson\t{pearson[0]:.4f}\tp={pearson[1]:.3g}")
    click.echo(f"spearman\t{spearman[0]:.4f}\tp={spearman[1]:.3g}")
    click.echo(f"oov\t{oov:.1f}%")
