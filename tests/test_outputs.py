"""Where ``fastw2v train`` writes: checked before training, never a device or a lost file."""

import errno
import json
import os
import stat

import pytest

from fastw2v import KeyedVectors
from fastw2v.atomic import OutputPathError, resolve_output
from fastw2v.formats import write_word2vec

from corpora import topic_corpus, write_corpus
from helpers import assert_clean_error, run

FAST = ["--dim", "8", "--epochs", "1", "--min-count", "1", "--threads", "1", "-q"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("out") / "c.txt", topic_corpus(n_sentences=100)[0])


def test_special_files_are_refused_before_anything_is_written(tmp_path, corpus):
    # item 1: a FIFO made here, and /dev/null only checked (nothing is ever written to /dev)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert_clean_error(run("train", corpus, "-o", fifo, *FAST), "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(OutputPathError, match="not a regular file"):
        resolve_output("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_dev_stdout_into_a_pipe_is_refused_before_training(tmp_path, corpus):
    # /proc/self/fd/N links to "pipe:[123]", no path: it passed as a new file, and the
    # write failed after the whole run
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "fastw2v", "train", str(corpus), "-o",
                           "/dev/stdout", *FAST], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "not a regular file" in proc.stderr
    assert "vocabulary" not in proc.stderr and proc.stdout == ""


def test_a_symlink_is_followed_to_its_target(tmp_path, corpus):
    target = tmp_path / "real.bin"
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    result = run("train", corpus, "-o", link, *FAST)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(KeyedVectors.load_word2vec_format(target, binary=True)) > 10
    assert sorted(os.listdir(tmp_path)) == ["link.bin", "real.bin"]


def test_a_read_only_file_is_respected(tmp_path, corpus):
    out = tmp_path / "v.bin"
    out.write_bytes(b"keep me")
    out.chmod(0o444)
    assert_clean_error(run("train", corpus, "-o", out, *FAST), "read-only")
    assert out.read_bytes() == b"keep me"
    with pytest.raises(OutputPathError, match="read-only"):  # the library refuses it too
        write_word2vec(out, ["a"], [[1.0]])
    assert out.read_bytes() == b"keep me"


def test_report_may_not_be_the_output_even_through_a_link(tmp_path, corpus):
    # item 2
    out = tmp_path / "v.bin"
    assert_clean_error(run("train", corpus, "-o", out, "--report", out, *FAST), "also the vectors output")
    link = tmp_path / "r.json"
    link.symlink_to(out)
    assert_clean_error(run("train", corpus, "-o", out, "--report", link, *FAST), "also the vectors output")
    assert not out.exists()


def test_folder_names_and_long_names_fail_before_training(tmp_path, corpus):
    # item 19: the temp name is short, so a 255-byte name that the folder accepts works
    assert_clean_error(run("train", corpus, "-o", f"{tmp_path}/newdir/", *FAST), "names a folder")
    assert_clean_error(run("train", corpus, "-o", "", *FAST), "the output path is empty")
    # (an unset variable: the checkpoint or the report was silently not written, exit 0)
    for flag in ("--report", "--save-model", "--init"):
        result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST, flag, "")
        assert result.exit_code == 2 and f"{flag}: the path is empty" in result.output
    assert run("train", "--resume", "").exit_code == 2
    assert_clean_error(run("train", corpus, "-o", tmp_path / ("x" * 256), *FAST), "too long")
    longest = tmp_path / ("v" * 251 + ".bin")
    result = run("train", corpus, "-o", longest, *FAST)
    assert result.exit_code == 0, result.output
    assert os.listdir(tmp_path) == [longest.name]


def test_a_failing_report_is_one_line_and_keeps_the_vectors(tmp_path, corpus, monkeypatch):
    # item 12: the vectors are complete when the report is written, so they stay
    import fastw2v.cli
    import fastw2v.cli_train

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fastw2v.cli_train.json, "dump", disk_full)
    out, report = tmp_path / "v.bin", tmp_path / "r.json"
    result = run("train", corpus, "-o", out, "--report", report, *FAST)
    assert_clean_error(result, "but the report")
    assert "No space left on device" in result.output
    assert len(KeyedVectors.load_word2vec_format(out, binary=True)) > 10
    assert sorted(os.listdir(tmp_path)) == ["v.bin"]
    monkeypatch.undo()
    assert run("train", corpus, "-o", out, "--report", report, *FAST).exit_code == 0
    assert json.loads(report.read_text())["output"] == str(out)


def test_demo_output_failure_is_one_line(tmp_path, monkeypatch):
    # item 12: demo -o on a full disk
    import fastw2v.cli
    import fastw2v.cli_train
    import fastw2v.formats

    words = [*fastw2v.cli.DEMO_WORDS, *fastw2v.cli.DEMO_ANALOGY, "the", "a", "of", "and"]
    small = write_corpus(tmp_path / "demo.txt", [words] * 50)
    monkeypatch.setattr(fastw2v.cli, "DEMO_CORPUS", str(small))

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fastw2v.formats, "write_word2vec", disk_full)
    result = run("demo", "--epochs", "1", "--threads", "1", "-o", tmp_path / "d.bin")
    assert_clean_error(result, "cannot write")
    assert not (tmp_path / "d.bin").exists()
