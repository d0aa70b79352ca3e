"""Stopping a training run from the keyboard (SIGINT) or a process manager (SIGTERM).

The first signal asks training to stop after the current block, so the partial
vectors can be saved; a second one, or SIGTERM while a file is being saved,
aborts at once: :class:`Interrupted` propagates, :func:`fastw2v.atomic.atomic_write`
deletes its temporary file and the old output stays as it was.

Counting needs care. Python runs a signal handler only between bytecodes, so
while a compiled kernel runs (0.1-2 s a block, whatever the settings:
:data:`fastw2v.word2vec.CALL_WORK`) two Ctrl-C set the same "tripped" flag
and the handler would run once. Python's C-level handler also
writes one byte per delivered signal to the wakeup fd
(:func:`signal.set_wakeup_fd`): the handler reads that pipe to count every
press, however close together.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

#: Exit statuses as shells report a process ended by the signal: 128 + its number.
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A run aborted by a signal; ``status`` is the exit status to report (130 or 143)."""

    def __init__(self, status=EXIT_SIGINT):
        super().__init__(status)
        self.status = status


class StopSignals:
    """Context manager: SIGINT and SIGTERM stop training cleanly, a second one aborts.

    Called with no argument it tells whether a stop was requested (the ``stop``
    callback of :meth:`fastw2v.Word2Vec.train`). Set ``saving`` while writing
    the output: SIGTERM then aborts at once (a process manager will not wait).
    Set ``done`` once the output is complete: later signals are then ignored, as
    there is nothing left to stop (the exit status is already decided).
    A signal the parent process ignores (``nohup``, background jobs of a
    non-interactive shell) stays ignored. Outside the main thread, where
    Python cannot install handlers, it does nothing.

    Parameters
    ----------
    on_first : callable, optional
        Called as ``on_first(signum)`` when the first signal arrives.
    """

    def __init__(self, on_first=None):
        self.on_first = on_first
        self.requested = False
        self.status = EXIT_SIGINT
        self.saving = False
        self.done = False
        self._count = 0
        self._previous = {}
        self._pipe = None
        self._old_wakeup = None

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        caught = [s for s in _STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN]
        if caught:
            # the pipe first: a signal between a handler's installation and the
            # pipe's would reach the handler with no byte to count, and be lost
            self._pipe = os.pipe()
            for fd in self._pipe:
                os.set_blocking(fd, False)
            self._old_wakeup = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
        for signum in caught:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
            for fd in self._pipe:
                os.close(fd)
        self._previous, self._pipe = {}, None
        return False

    def __call__(self):
        return self.requested

    def _deliveries(self):
        """Stop signals delivered since the last call, read from the wakeup pipe."""
        data = b""
        while True:
            try:
                chunk = os.read(self._pipe[0], 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        return sum(data.count(bytes([s])) for s in _STOP_SIGNALS)

    def _handle(self, signum, frame):
        # One handler call may stand for several deliveries; zero means an earlier
        # call of this batch already counted this one.
        delivered = self._deliveries() if self._pipe is not None else 1
        if delivered == 0 or self.done:
            return
        self._count += delivered
        status = 128 + signum
        if self._count >= 2 or (self.saving and signum == signal.SIGTERM):
            self._count = -(1 << 30)  # abort once; later handler calls are no-ops
            raise Interrupted(status)
        if self._count == 1:
            self.requested = True
            self.status = status
            if self.on_first is not None:
                self.on_first(signum)


@contextlib.contextmanager
def deferred_sigint():
    """Hold a Ctrl-C until the block ends, then raise KeyboardInterrupt.

    For loading numba and the compiled modules: llvmlite frees objects in ``__del__``
    finalizers, and a KeyboardInterrupt raised inside one is printed as "Exception
    ignored ... Traceback" and lost. Only the default handler is replaced (an ignored
    SIGINT stays ignored); outside the main thread it does nothing.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def sigint_ignored_by_children():
    """Processes started in the block ignore SIGINT (Ctrl-C), and so does this one meanwhile.

    A Ctrl-C at a terminal goes to every process of the foreground group, so
    the worker processes of a ``LocalCluster`` (``--local-workers``) died of
    it mid-round and the run was lost, instead of stopping after the round
    like a local one. A signal set to be ignored stays ignored across
    ``exec``, and Python then installs no KeyboardInterrupt handler, so the
    workers leave the Ctrl-C to the driver. Only an ignored disposition is
    inherited, not a handler, so this process ignores SIGINT too while the
    block runs (the cluster's start, about two seconds): a press then is
    lost. An ignored SIGINT stays ignored; outside the main thread it does
    nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def keyboard_interrupt_in(exc):
    """The KeyboardInterrupt (Ctrl-C) that caused ``exc``, however wrapped, or None.

    A compiled kernel boxes some results by calling back into Python (numba's
    ``_numba_unpickle``); a Ctrl-C that lands there is raised inside it, and
    the kernel's caller gets a SystemError whose cause is the
    KeyboardInterrupt. Follows ``__cause__`` and ``__context__``.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
