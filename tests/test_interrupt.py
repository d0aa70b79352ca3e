"""Ctrl-C during ``fastw2v train``: a real process, a real SIGINT."""

import os
import signal
import time

import pytest

from fastw2v import KeyedVectors

from corpora import topic_corpus, write_corpus
from helpers import start_training

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory):
    sentences, _ = topic_corpus(n_sentences=20_000, seed=3)
    return write_corpus(tmp_path_factory.mktemp("sigint") / "c.txt", sentences)


def start(corpus, out):
    return start_training(corpus, out, settle=1.0)


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_ctrl_c_or_sigterm_saves_partial_vectors(tmp_path, long_corpus, signum, status):
    # SIGTERM during training acts as a first Ctrl-C, with the shell's 128 + 15
    out = tmp_path / "v.bin"
    proc = start(long_corpus, out)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert "partial vectors" in err and "Traceback" not in err
    kv = KeyedVectors.load_word2vec_format(out, binary=True)
    assert len(kv) > 90
    assert os.listdir(tmp_path) == ["v.bin"]  # no temporary files left behind


def test_second_ctrl_c_quits_without_writing(tmp_path, monkeypatch):
    # Two signals sent at once coalesce, so the second is raised from inside
    # training, after the first has been handled, as a user's second Ctrl-C
    # during a long block would be.
    from click.testing import CliRunner

    from fastw2v.cli import main
    from fastw2v.word2vec import Word2Vec

    real_train = Word2Vec.train

    def train_interrupted_twice(self, progress=None, stop=None, **kwargs):
        def stop_after_two_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            return stop()

        return real_train(self, progress=progress, stop=stop_after_two_signals, **kwargs)

    monkeypatch.setattr(Word2Vec, "train", train_interrupted_twice)
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=200)[0])
    out = tmp_path / "v.bin"
    out.write_bytes(b"previous contents")
    result = CliRunner().invoke(main, ["train", str(corpus), "-o", str(out), "--min-count", "1"])
    assert result.exit_code == 130
    assert "aborted: nothing written" in result.output
    assert out.read_bytes() == b"previous contents"
    assert sorted(os.listdir(tmp_path)) == ["c.txt", "v.bin"]
