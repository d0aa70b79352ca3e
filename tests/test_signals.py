"""Signals, second pass (issue 13 items 3, 13, 18): real processes and real signals."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from fastw2v.cli import main

from corpora import topic_corpus, write_corpus
from helpers import start_training

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


@pytest.fixture(scope="module")
def many_words(tmp_path_factory):
    # 20,000 distinct words: saving their vectors takes tens of milliseconds, longer than
    # the gap between two quick presses, so whether the first press stops training inside
    # a kernel call or between two, the second one arrives before the save is complete
    rng = np.random.default_rng(7)
    ids = np.minimum(rng.zipf(1.2, size=300_000), 20_000) - 1
    ids[:20_000] = np.arange(20_000)
    lines = [" ".join(f"w{i}" for i in ids[k:k + 15]) for k in range(0, ids.size, 15)]
    path = tmp_path_factory.mktemp("many") / "c.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    # about 280k tokens: one kernel call (2**18 tokens a thread) takes 0.2-1 s of skip-gram
    sentences, _ = topic_corpus(n_sentences=20_000, seed=3)
    return write_corpus(tmp_path_factory.mktemp("signals") / "c.txt", sentences)


def wait_delivered(pid, signum, timeout=5.0):
    """Wait until ``signum`` is no longer pending for process ``pid`` (Linux /proc), or 10 ms."""
    bit = 1 << (signum - 1)
    status = f"/proc/{pid}/status"
    if not os.path.exists(status):
        time.sleep(0.01)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(status) as fh:
            masks = [int(line.split()[1], 16) for line in fh
                     if line.startswith(("SigPnd:", "ShdPnd:"))]
        if not any(mask & bit for mask in masks):
            return
        time.sleep(0.001)
    raise AssertionError(f"signal {signum} still pending after {timeout} s")


def start(corpus, out, epochs=2000, **popen):
    return start_training(corpus, out, epochs, settle=0.5, **popen)


def test_two_quick_ctrl_c_always_quit_without_writing(tmp_path, many_words):
    # item 3: both presses usually land inside one kernel call, where Python sees one signal
    out = tmp_path / "v.bin"
    out.write_bytes(b"previous contents")
    proc = start(many_words, out)
    proc.send_signal(signal.SIGINT)
    # two presses still pending at once are one signal to the kernel (a busy CI machine
    # may not run the child between them): send the second once the first is delivered
    wait_delivered(proc.pid, signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "aborted: nothing written" in err and "Traceback" not in err
    assert out.read_bytes() == b"previous contents"
    assert sorted(os.listdir(tmp_path)) == ["v.bin"]


def test_ctrl_c_stops_soon_where_each_word_costs_a_great_deal(tmp_path, corpus):
    # 20,000 negatives a pair: a call of 2**18 positions would run for ten minutes or
    # more, and a compiled call never sees the signal; the calls are cut to about two
    # seconds of work instead (fastw2v.word2vec.CALL_WORK). The signal is sent once a
    # progress line shows kernel calls returning (one a LOG_INTERVAL in a log), not
    # while the kernels compile, when any build would stop before its first call.
    out = tmp_path / "v.bin"
    # (a small rate: 20,000 negatives sum 20,000 gradients into each input row)
    proc = start(corpus, out, extra=("--negative", 20_000, "--dim", 50, "--alpha", 1e-5))
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        line = ""
        while not line.startswith("training") and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
        assert line.startswith("training"), "no kernel call returned within 120 s"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    reader.join(timeout=10)
    err = "".join(lines.queue)
    assert proc.returncode == 130, err
    assert "saving the partial vectors" in err and "Traceback" not in err
    assert out.read_bytes().startswith(b"%d 50\n" % len({w for line in open(corpus) for w in line.split()}))


def test_second_ctrl_c_during_the_partial_save_keeps_the_old_file(tmp_path, monkeypatch):
    # item 3: the save is interrupted from inside the write, after the first press
    import fastw2v.atomic
    import fastw2v.formats

    real_write = fastw2v.formats.write_word2vec

    def slow_write(path, keys, vectors, **kwargs):
        with fastw2v.atomic.atomic_write(path) as fh:
            fh.write(b"partial")
            os.kill(os.getpid(), signal.SIGINT)  # the second press, mid-write
            time.sleep(0.1)
        raise AssertionError("not reached")

    def stop_at_once(self, progress=None, stop=None, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the first press, during training
        time.sleep(0.1)
        return real_train(self, progress=progress, stop=stop, **kwargs)

    from fastw2v.word2vec import Word2Vec

    real_train = Word2Vec.train
    monkeypatch.setattr(Word2Vec, "train", stop_at_once)
    monkeypatch.setattr(fastw2v.formats, "write_word2vec", slow_write)
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=100)[0])
    out = tmp_path / "v.bin"
    out.write_bytes(b"previous contents")
    result = CliRunner().invoke(main, ["train", str(corpus), "-o", str(out), "--min-count", "1", "-q"])
    assert result.exit_code == 130, result.output
    assert out.read_bytes() == b"previous contents"
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "v.bin"]
    assert real_write is not None


def test_sigterm_during_the_save_removes_the_temporary_file(tmp_path, monkeypatch):
    # item 18: a real SIGTERM arrives while the output is being written
    import fastw2v.atomic
    import fastw2v.formats

    def write_then_terminated(path, keys, vectors, **kwargs):
        with fastw2v.atomic.atomic_write(path) as fh:
            fh.write(b"half")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)

    monkeypatch.setattr(fastw2v.formats, "write_word2vec", write_then_terminated)
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=100)[0])
    out = tmp_path / "v.bin"
    out.write_bytes(b"previous contents")
    result = CliRunner().invoke(main, ["train", str(corpus), "-o", str(out), "--min-count", "1", "-q",
                                       "--epochs", "1"])
    assert result.exit_code == 143, result.output
    assert out.read_bytes() == b"previous contents"
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "v.bin"]


def test_an_ignored_sigint_stays_ignored(tmp_path, corpus):
    # item 13: nohup-style runs must not be stopped by SIGINT
    out = tmp_path / "v.bin"
    proc = start(corpus, out, epochs=3,
                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "interrupted" not in err


def test_ctrl_c_during_start_up_is_quiet(tmp_path, corpus):
    # item 13: the signal lands while Python loads the command or numba; never a traceback
    for delay in (0.15, 0.3, 0.6, 1.0):
        proc = subprocess.Popen([sys.executable, "-m", "fastw2v", "train", str(corpus), "-o",
                                 str(tmp_path / "v.bin"), "--epochs", "1000", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, (delay, err)
        # 130 from fastw2v, or killed by SIGINT before Python set its handlers up
        assert proc.returncode in (130, -signal.SIGINT), (delay, proc.returncode, err)


def test_a_ctrl_c_wrapped_by_a_compiled_call_is_recognised():
    # a Ctrl-C raised inside numba's callback into Python reaches the caller as SystemError
    from fastw2v.interrupts import keyboard_interrupt_in

    def wrapped():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("returned a result with an exception set") from exc

    try:
        try:
            wrapped()
        except SystemError as exc:
            raise SystemError("outer") from exc
    except SystemError as exc:
        assert isinstance(keyboard_interrupt_in(exc), KeyboardInterrupt)
    assert keyboard_interrupt_in(SystemError("a real error")) is None

    # the command group exits 130 for it, as for a plain Ctrl-C
    @main.command("wrapped-interrupt")
    def wrapped_interrupt():
        wrapped()

    try:
        result = CliRunner().invoke(main, ["wrapped-interrupt"])
    finally:
        main.commands.pop("wrapped-interrupt")
    assert result.exit_code == 130 and "aborted" in result.output


def test_demo_exits_130_on_ctrl_c(monkeypatch):
    # item 13: click's Abort gave exit 1
    from fastw2v.word2vec import Word2Vec

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Word2Vec, "build_vocab", interrupted)
    result = CliRunner().invoke(main, ["demo", "--epochs", "1"])
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
