"""Helpers shared by the tests: run a command, check a refusal, start a training, watch merges."""

import subprocess
import sys
import time

from click.testing import CliRunner

from fastw2v.cli import main


def run(*args):
    """``fastw2v ARGS...`` through click's CliRunner."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_error(result, message):
    """A one-line user error: exit 1 through SystemExit, ``message`` shown, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.output and "Traceback" not in result.output, result.output


def start_training(corpus, out, epochs=2000, settle=0.5, extra=(), args=None, **popen):
    """Start ``fastw2v train`` in a real subprocess and return it once training runs.

    The default 2,000 epochs of skip-gram on one thread run for minutes: the
    tests signal the process long before. ``settle`` seconds after the
    vocabulary line, the first kernel calls are under way. ``extra``: more arguments;
    ``args``: all of them instead (after ``train``).
    """
    if args is None:
        args = [corpus, "-o", out, "--model", "skipgram", "--epochs", epochs, "--min-count", 1,
                "--threads", 1, *extra]
    cmd = [sys.executable, "-m", "fastw2v", "train", *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    line = proc.stderr.readline()  # printed once the corpus is read
    while line and not line.startswith(("vocabulary:", "resuming")):
        line = proc.stderr.readline()
    assert line.startswith(("vocabulary:", "resuming")), "training did not start"
    time.sleep(settle)
    return proc


def record_merges(monkeypatch):
    """Keep a copy of the threads' copies as every merge finds them, before it overwrites them.

    Returns the list the copies go into, one array of shape (T, K, dim) per
    merge, in the order :class:`fastw2v.word2vec.KernelCall` merges them.
    """
    from fastw2v import word2vec
    from fastw2v.replicas import merge

    found = []

    def keep_then_merge(shared, copies, rule):
        found.append(copies.copy())
        merge(shared, copies, rule)

    monkeypatch.setattr(word2vec, "merge", keep_then_merge)
    return found
