"""``fastw2v train --save-model / --resume / --init``: checkpoints, resuming, training on."""

import os
import signal

import numpy as np
import pytest

import fastw2v.cli_train
from fastw2v import word2vec
from fastw2v.interrupts import EXIT_SIGINT
from fastw2v.word2vec import Word2Vec

from corpora import topic_corpus, write_corpus
from helpers import assert_clean_error, run, start_training

FAST = ("--min-count", "1", "--threads", "1", "--dim", "16", "--epochs", "3", "-q")


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=500, seed=2)[0])


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(word2vec, "BLOCK_TOKENS", 500)  # ~17 kernel calls an epoch


class StopAfter:
    """Stands for StopSignals: "Ctrl-C" is pressed before kernel call ``calls + 1``.

    Real signals land anywhere; this lands the stop at a chosen block, so the
    resumed run can be compared byte for byte with a run never stopped.
    """

    def __init__(self, calls):
        self.calls = calls
        self.status, self.saving, self.done = EXIT_SIGINT, False, False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self):  # polled by Word2Vec.train between kernel calls
        self.calls -= 1
        return self.calls < 0


def test_a_stopped_run_resumed_writes_the_vectors_of_a_run_never_stopped(
        tmp_path, corpus, small_blocks, monkeypatch):
    full = tmp_path / "full.bin"
    assert run("train", corpus, "-o", full, *FAST).exit_code == 0
    # stops in the middle of epoch 2
    monkeypatch.setattr(fastw2v.cli_train, "StopSignals", lambda on_first=None: StopAfter(25))
    part = tmp_path / "part.bin"
    result = run("train", corpus, "-o", part, *FAST, "--save-model", tmp_path / "m")
    assert result.exit_code == 130, result.output
    assert f"fastw2v train --resume {tmp_path / 'm'}" in result.output
    saved = Word2Vec.load(tmp_path / "m")
    assert saved.state.epoch == 1 and saved.state.position > 0
    assert part.read_bytes() != full.read_bytes()
    monkeypatch.undo()
    monkeypatch.setattr(word2vec, "BLOCK_TOKENS", 500)
    result = run("train", "--resume", tmp_path / "m", "-q")  # the output is the run's own
    assert result.exit_code == 0, result.output
    assert part.read_bytes() == full.read_bytes()
    assert not Word2Vec.load(tmp_path / "m").state.unfinished


def test_the_model_is_saved_after_every_epoch(tmp_path, corpus, monkeypatch):
    saved = []
    real_save = Word2Vec.save
    monkeypatch.setattr(Word2Vec, "save", lambda self, path: saved.append(
        (self.state.epoch, self.state.position)) or real_save(self, path))
    result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert saved == [(1, 0), (2, 0), (3, 0)]
    model = Word2Vec.load(tmp_path / "m")
    assert model.state.epochs_trained == 3 and model.config.dim == 16
    assert model.metadata["output"] == str(tmp_path / "v.bin")


def test_resume_of_a_finished_run_writes_its_vectors(tmp_path, corpus):
    # a run that failed after its last checkpoint (a full disk writing the vectors, a
    # second Ctrl-C) left a complete model, no vectors, and "nothing to resume"
    run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", tmp_path / "m")
    written = (tmp_path / "v.bin").read_bytes()
    (tmp_path / "v.bin").unlink()
    result = run("train", "--resume", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert "its run was already complete (3 of 3 epochs)" in result.output
    assert (tmp_path / "v.bin").read_bytes() == written
    result = run("train", "--resume", tmp_path / "m", "-o", tmp_path / "w.bin")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w.bin").read_bytes() == written


def test_resume_refuses_changed_settings_and_a_missing_model(tmp_path, corpus):
    run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", tmp_path / "m")
    result = run("train", "--resume", tmp_path / "m", "--dim", "50")
    assert result.exit_code == 2 and "--dim cannot be changed" in result.output
    assert_clean_error(run("train", "--resume", tmp_path / "nowhere"), "no such model directory")
    result = run("train", corpus, "-o", tmp_path / "w.bin", "--resume", tmp_path / "m",
                 "--init", tmp_path / "m")
    assert_clean_error(result, "either --resume or --init")


def test_save_model_paths_are_checked_before_training(tmp_path, corpus):
    (tmp_path / "file").write_text("keep")
    result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", tmp_path / "file")
    assert_clean_error(result, "is not a directory")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", tmp_path / "mine")
    assert_clean_error(result, "not a fastw2v model")
    assert not (tmp_path / "v.bin").exists()
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]
    assert (tmp_path / "file").read_text() == "keep"


def test_save_model_may_be_neither_the_vectors_output_nor_the_report(tmp_path, corpus):
    # Found trained in full, then failing with the model folder left where the
    # vectors were to go (so every later -o at that path failed too).
    vectors, report = tmp_path / "v.bin", tmp_path / "r.json"
    result = run("train", corpus, "-o", vectors, *FAST, "--save-model", vectors)
    assert_clean_error(result, "is also the vectors output")
    result = run("train", corpus, "-o", vectors, *FAST, "--report", report, "--save-model",
                 tmp_path / "." / "r.json")
    assert_clean_error(result, "is also the --report file")
    assert os.listdir(tmp_path) == ["c.txt"]
    # nor a file inside the model's folder: it replaced model.json, exit 0
    model = tmp_path / "m"
    assert run("train", corpus, "-o", vectors, *FAST, "--save-model", model).exit_code == 0
    saved = (model / "model.json").read_bytes()
    for option, path in (("--report", model / "model.json"), ("-o", model / "v.bin")):
        args = ["-o", vectors, option, path] if option == "--report" else ["-o", path]
        result = run("train", corpus, *args, *FAST, "--save-model", model)
        assert_clean_error(result, "is inside the model folder")
    assert (model / "model.json").read_bytes() == saved


def test_saving_a_model_removes_only_its_own_data_folders(tmp_path, corpus):
    # data-raw/ beside the model, holding the corpus, was deleted by the save (and a
    # folder holding only such "data-" entries was taken for empty)
    project = tmp_path / "proj"
    (project / "data-raw").mkdir(parents=True)
    text = (project / "data-raw" / "corpus.txt")
    text.write_bytes(open(corpus, "rb").read())
    result = run("train", text, "-o", tmp_path / "v.bin", *FAST, "--save-model", project)
    assert_clean_error(result, "holds other files, not a fastw2v model")
    model = tmp_path / "m"
    assert run("train", text, "-o", tmp_path / "v.bin", *FAST, "--save-model", model).exit_code == 0
    (model / "data-eval").mkdir()  # the user's, added beside the model
    (model / "data-eval" / "notes.txt").write_text("mine\n")
    (model / "data-raw").mkdir()  # named like ours in part, holding a file named like ours
    (model / "data-raw" / "vocab.txt").write_text("mine\n")
    (model / "data-2024-notes").mkdir()
    (model / ".model.json.ab12cd34.tmp").write_text("{")  # an interrupted save's
    stale = model / "data-old00001"  # a save's leftover: only our files, and a partial one
    stale.mkdir()
    (stale / "vocab.txt").write_text("a\t1\n")
    (stale / ".vectors.npy.x1y2.tmp").write_bytes(b"\x93NUMPY")
    result = run("train", text, "-o", tmp_path / "v.bin", *FAST, "--save-model", model)
    assert result.exit_code == 0, result.output
    assert (model / "data-eval" / "notes.txt").read_text() == "mine\n"
    assert (model / "data-raw" / "vocab.txt").read_text() == "mine\n"
    assert (model / "data-2024-notes").is_dir()
    assert not stale.exists() and not (model / ".model.json.ab12cd34.tmp").exists()
    assert Word2Vec.load(model).wv.vectors.shape[0] > 0
    assert len([n for n in os.listdir(model) if n.startswith("data-")]) == 4


def test_another_program_s_model_json_is_not_saved_over(tmp_path, corpus):
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.json").write_text('{"architecture": "bert"}\n')
    result = run("train", corpus, "-o", tmp_path / "v.bin", *FAST, "--save-model", other)
    assert_clean_error(result, "holds a model.json that is not a fastw2v model's")
    assert (other / "model.json").read_text() == '{"architecture": "bert"}\n'


def test_init_adds_the_new_words_and_trains_on_the_new_text(tmp_path, caplog):
    sentences, _ = topic_corpus(n_sentences=800, seed=4)
    old = write_corpus(tmp_path / "old.txt", [s for s in sentences if not any(w.startswith("t5") for w in s)])
    new = write_corpus(tmp_path / "new.txt", sentences[:400])
    assert run("train", old, "-o", tmp_path / "a.bin", *FAST, "--save-model", tmp_path / "m").exit_code == 0
    result = run("train", new, "--init", tmp_path / "m", "-o", tmp_path / "b.txt", "--epochs", "4",
                 "--alpha", "0.02", "--save-model", tmp_path / "m2", "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    # nor the library's warning to Python callers that train() restarts the rate
    assert "train() called again" not in caplog.text
    first, grown = Word2Vec.load(tmp_path / "m"), Word2Vec.load(tmp_path / "m2")
    n = len(first.wv)
    assert grown.wv.index_to_key[:n] == first.wv.index_to_key
    assert any(w.startswith("t5") for w in grown.wv.index_to_key[n:])
    assert grown.state.run_epochs == 4 and grown.state.start_alpha == 0.02
    assert grown.state.epochs_trained == 7
    text = (tmp_path / "b.txt").read_text().splitlines()
    assert text[0] == f"{len(grown.wv)} 16"
    result = run("train", new, "--init", tmp_path / "m", "-o", tmp_path / "c.bin", "--window", "2")
    assert result.exit_code == 2 and "--window cannot be changed" in result.output


def test_max_vocab_size_still_works_with_a_warning(tmp_path, corpus):
    result = run("train", corpus, "-o", tmp_path / "v.txt", *FAST, "--max-vocab-size", "10")
    assert result.exit_code == 0, result.output
    assert "--max-vocab-size is deprecated" in result.output
    assert (tmp_path / "v.txt").read_text().splitlines()[0] == "10 16"


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_a_real_ctrl_c_saves_the_model_and_resume_goes_on(tmp_path):
    corpus = write_corpus(tmp_path / "c.txt", topic_corpus(n_sentences=20_000, seed=3)[0])
    model = tmp_path / "m"
    proc = start_training(corpus, tmp_path / "v.bin", extra=("--save-model", model))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"fastw2v train --resume {model}" in err and "Traceback" not in err
    first = Word2Vec.load(model).state
    assert first.unfinished and first.streams > 0
    # (a second of training at least: at half of one, on a loaded machine, the resumed
    # run was sometimes stopped before its first call returned)
    proc = start_training(corpus, tmp_path / "v.bin", args=("--resume", model), settle=1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    later = Word2Vec.load(model).state
    assert later.streams > first.streams and later.epoch_loss[:len(first.epoch_loss)] == first.epoch_loss
    assert np.isfinite(Word2Vec.load(model).wv.vectors).all()


@pytest.mark.skipif(os.name != "posix", reason="needs flock")
def test_a_second_run_saving_to_the_same_model_folder_is_refused(tmp_path, corpus):
    # each removed the other's data folder, and one failed after training, its vectors lost
    model = tmp_path / "m"
    proc = start_training(corpus, tmp_path / "v.bin", extra=("--save-model", model))
    try:
        result = run("train", corpus, "-o", tmp_path / "w.bin", *FAST, "--save-model", model)
        assert_clean_error(result, "is in use by another fastw2v run saving there")
        assert not (tmp_path / "w.bin").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 130
    result = run("train", corpus, "-o", tmp_path / "w.bin", *FAST, "--save-model", model)
    assert result.exit_code == 0, result.output  # released when the first ended
    # a folder made for a run that failed before saving is not left behind
    one_word = tmp_path / "one.txt"
    one_word.write_text("same same same\n")  # refused once read, after the folder was made
    result = run("train", one_word, "-o", tmp_path / "x.bin", *FAST, "--save-model",
                 tmp_path / "new")
    assert_clean_error(result, "only 1 distinct word(s)")
    assert not (tmp_path / "new").exists()


def test_a_model_folder_moved_during_the_run_is_left_alone(tmp_path, monkeypatch):
    # the lock's clean-up listed the folder it had made: moved meanwhile, a traceback
    import fastw2v.cli_train

    one_word = tmp_path / "one.txt"
    one_word.write_text("same same same\n")  # refused once read
    real_read = fastw2v.cli_train._read

    def move_then_read(*args, **kwargs):
        (tmp_path / "new").rename(tmp_path / "moved")
        return real_read(*args, **kwargs)

    monkeypatch.setattr(fastw2v.cli_train, "_read", move_then_read)
    result = run("train", one_word, "-o", tmp_path / "x.bin", *FAST, "--save-model",
                 tmp_path / "new")
    assert_clean_error(result, "only 1 distinct word(s)")
    assert (tmp_path / "moved").is_dir() and not (tmp_path / "new").exists()


def test_hierarchical_softmax_from_the_command_line(tmp_path, corpus):
    result = run("train", corpus, "-o", tmp_path / "v.txt", *FAST, "--hs", "--negative", "0",
                 "--save-model", tmp_path / "m")
    assert result.exit_code == 0, result.output
    model = Word2Vec.load(tmp_path / "m")
    assert model.config.hs and model.syn1neg is None and model.syn1.any()
    assert_clean_error(run("train", corpus, "-o", tmp_path / "w.txt", "--negative", "0"),
                       "nothing would be trained")
