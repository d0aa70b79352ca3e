"""Progress display on stderr for the CLI: live on a terminal, sparse in a log."""

from __future__ import annotations

import sys
import time

#: A terminal line is redrawn at most this often (seconds); faster redraws
#: cost time and are unreadable anyway.
TTY_INTERVAL = 0.2
#: A log (stderr not a terminal) gets at most one line this often, so a long
#: run in CI or under nohup does not flood its log.
LOG_INTERVAL = 10.0


def human(n):
    """``1234567`` -> ``'1.23M'``."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{n:.3g}"


def duration(seconds):
    """``3725`` -> ``'1:02:05'``; ``65`` -> ``'1:05'``."""
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressPrinter:
    """Prints reading and training progress; does nothing when ``quiet``.

    Parameters
    ----------
    stream : file, optional
        Defaults to ``sys.stderr``.
    quiet : bool
    """

    def __init__(self, stream=None, quiet=False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = TTY_INTERVAL if self.tty else LOG_INTERVAL
        self._last = 0.0
        self._started = time.perf_counter()
        self._open_line = False

    def _emit(self, text, force=False):
        if self.quiet:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self._open_line = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def reading(self, done_bytes, total_bytes, tokens):
        """Callback of the vocabulary pass."""
        rate = tokens / max(time.perf_counter() - self._started, 1e-9)
        # a stream (stdin, a pipe) has no size: show what was read instead of a percentage
        done = f"{100.0 * done_bytes / total_bytes:5.1f}%" if total_bytes else f"{human(done_bytes)}B"
        self._emit(f"reading  {done}  {human(tokens)} tokens  {human(rate)} tokens/s")

    def training(self, p):
        """Callback of training, given a :class:`fastw2v.word2vec.TrainProgress`."""
        eta = p.elapsed * (1.0 - p.fraction) / p.fraction if p.fraction > 0 else 0.0
        self._emit(
            f"training {100.0 * p.fraction:5.1f}%  epoch {p.epoch}/{p.epochs}  "
            f"{human(p.words_per_sec)} words/s  loss {p.loss:.4f}  "
            f"alpha {p.alpha:.5f}  ETA {duration(eta)}",
            force=p.fraction >= 1.0,
        )

    def line(self, text, force=False):
        """Print a complete line, ending any live line first; ``force`` prints even when quiet."""
        if self.quiet and not force:
            return
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(text + "\n")
        self.stream.flush()
