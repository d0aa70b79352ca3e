"""Whole-model save and load, resuming a stopped run, and training on with new text."""

import json
import os

import numpy as np
import pytest

from fastw2v import persist, word2vec
from fastw2v.config import ConfigError
from fastw2v.corpus import CorpusError
from fastw2v.atomic import OutputPathError
from fastw2v.word2vec import Word2Vec

from corpora import neighbour_purity, topic_corpus, write_corpus

SETTINGS = dict(model="skipgram", dim=16, window=3, negative=4, min_count=1, epochs=3,
                threads=1, seed=5)


@pytest.fixture(scope="module")
def planted():
    return topic_corpus(n_sentences=600)


@pytest.fixture
def small_blocks(monkeypatch):
    """Kernel calls of 500 tokens: an epoch of the planted corpus takes ~17 of them."""
    monkeypatch.setattr(word2vec, "BLOCK_TOKENS", 500)


def _stop_after(calls):
    seen = []
    return lambda: seen.append(1) or len(seen) > calls


def _same(a, b):
    return (np.array_equal(a.wv.vectors, b.wv.vectors) and np.array_equal(a.syn1neg, b.syn1neg)
            and a.state.epoch_loss == b.state.epoch_loss)


@pytest.mark.parametrize("where", ["epoch boundary", "mid-epoch"])
@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_a_stopped_run_saved_loaded_and_resumed_is_byte_identical(
        tmp_path, planted, small_blocks, model, where):
    sentences, _ = planted
    path = write_corpus(tmp_path / "c.txt", sentences)
    settings = {**SETTINGS, "model": model}
    whole = Word2Vec(corpus_file=path, **settings)
    calls = len(whole.corpus) // 500 + 1          # kernel calls an epoch
    stopped = Word2Vec(**settings)
    stopped.build_vocab(corpus_file=path)
    after = calls if where == "epoch boundary" else calls + calls // 2
    result = stopped.train(stop=_stop_after(after))
    assert result.stopped and stopped.state.unfinished
    assert stopped.state.epoch == 1
    assert (stopped.state.position == 0) == (where == "epoch boundary")
    stopped.save(tmp_path / "model")
    resumed = Word2Vec.load(tmp_path / "model")
    assert not _same(resumed, whole)
    resumed.train(resume=True)  # the corpus is re-read from the file the run recorded
    assert _same(resumed, whole)
    assert resumed.state.epochs_trained == 3 and not resumed.state.unfinished


def test_resume_needs_a_stopped_run_and_the_same_corpus(tmp_path, planted):
    sentences, _ = planted
    path = write_corpus(tmp_path / "c.txt", sentences)
    m = Word2Vec(**SETTINGS)
    with pytest.raises(RuntimeError, match="never trained"):
        m.build_vocab(corpus_file=path).train(resume=True)
    m.train(stop=_stop_after(0))
    m.save(tmp_path / "model")
    path.rename(tmp_path / "moved.txt")  # "no such file" alone did not say what to do
    with pytest.raises(CorpusError, match="not where it was read; if it moved, give it again"):
        Word2Vec.load(tmp_path / "model").train(resume=True)
    (tmp_path / "moved.txt").rename(path)
    write_corpus(path, sentences[:-1])  # the corpus changed on disk
    loaded = Word2Vec.load(tmp_path / "model")
    with pytest.raises(CorpusError, match="differs from the one the stopped run trained on"):
        loaded.train(resume=True)
    with pytest.raises(ValueError, match="own schedule"):
        loaded.train(resume=True, epochs=2)
    loaded.train(corpus_file=tmp_path / "c.txt", epochs=1)  # a new run on the new text is fine
    with pytest.raises(RuntimeError, match="the last run finished"):
        loaded.train(resume=True)


def test_in_memory_sentences_must_be_given_again_to_resume(tmp_path, planted):
    sentences, _ = planted
    m = Word2Vec(**SETTINGS)
    m.build_vocab(sentences)
    m.train(stop=_stop_after(0))
    m.save(tmp_path / "model")
    loaded = Word2Vec.load(tmp_path / "model")
    with pytest.raises(CorpusError, match="give its corpus again"):
        loaded.train(resume=True)
    loaded.train(sentences, resume=True)
    assert loaded.state.epoch == 3


def test_each_run_draws_new_random_streams(planted, monkeypatch):
    sentences, _ = planted
    seen = []
    train_range = word2vec.kernels.train_range

    def spy(*args):
        seen.append(args[7].copy())  # the streams argument
        return train_range(*args)

    monkeypatch.setattr(word2vec.kernels, "train_range", spy)
    m = Word2Vec(sentences=sentences, **{**SETTINGS, "threads": 2, "epochs": 2})
    first = np.concatenate(seen)
    seen.clear()
    m.train(epochs=2)
    second = np.concatenate(seen)
    assert np.intersect1d(first, second).size == 0
    assert m.state.streams == first.size + second.size


def test_save_and_load_restore_everything(tmp_path, planted):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS, compute_loss=True)
    m.save(tmp_path / "model")
    loaded = Word2Vec.load(tmp_path / "model")
    assert loaded.config == m.config and loaded.state == m.state
    assert loaded.wv.index_to_key == m.wv.index_to_key
    assert np.array_equal(loaded.vocab.counts, m.vocab.counts)
    assert np.array_equal(loaded.wv.vectors, m.wv.vectors)
    assert np.array_equal(loaded.syn1neg, m.syn1neg)
    assert loaded.compute_loss and loaded.get_latest_training_loss() == m.result.epoch_loss[-1]
    # saving again replaces the data and leaves one data folder
    loaded.train(sentences, epochs=1)
    loaded.save(tmp_path / "model")
    again = Word2Vec.load(tmp_path / "model", threads=2)
    assert np.array_equal(again.wv.vectors, loaded.wv.vectors) and again.config.threads == 2
    assert sorted(os.listdir(tmp_path / "model"))[-1] == "model.json"
    assert len(os.listdir(tmp_path / "model")) == 2
    with pytest.raises(ValueError, match="only threads and epochs"):
        Word2Vec.load(tmp_path / "model", dim=8)


def test_mmap_read_only_queries_and_copy_on_write_trains(tmp_path, planted):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS)
    m.save(tmp_path / "model")
    ro = Word2Vec.load(tmp_path / "model", mmap="r")
    assert ro.wv.most_similar(m.wv.index_to_key[0], topn=1) == m.wv.most_similar(m.wv.index_to_key[0], topn=1)
    with pytest.raises(RuntimeError, match="mmap='r'"):
        ro.train(sentences, epochs=1)
    cow = Word2Vec.load(tmp_path / "model", mmap="c")
    cow.train(sentences, epochs=1)
    assert not np.array_equal(cow.wv.vectors, m.wv.vectors)
    assert np.array_equal(Word2Vec.load(tmp_path / "model").wv.vectors, m.wv.vectors)


def test_damaged_or_foreign_model_directories_are_refused(tmp_path, planted):
    sentences, _ = planted
    with pytest.raises(persist.ModelFormatError, match="no such model"):
        Word2Vec.load(tmp_path / "missing")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(persist.ModelFormatError, match="not a fastw2v model"):
        Word2Vec.load(tmp_path / "other")
    m = Word2Vec(sentences=sentences, **SETTINGS)
    with pytest.raises(OutputPathError, match="holds other files"):
        m.save(tmp_path / "other")
    assert os.listdir(tmp_path / "other") == ["notes.txt"]
    (tmp_path / "file").write_text("mine")
    with pytest.raises(OutputPathError, match="not a directory"):
        m.save(tmp_path / "file")
    m.save(tmp_path / "model")
    meta_path = tmp_path / "model" / "model.json"
    data = tmp_path / "model" / json.loads(meta_path.read_text())["data"]
    good = np.load(data / "syn1neg.npy")
    bad = good.copy()
    bad[3, 2] = np.nan  # found resumed, and reported as a learning rate too large
    np.save(data / "syn1neg.npy", bad)
    for mmap in (None, "c"):
        with pytest.raises(persist.ModelFormatError, match="damaged model: syn1neg holds inf or NaN"):
            Word2Vec.load(tmp_path / "model", mmap=mmap)
    np.save(data / "syn1neg.npy", good)
    with open(data / "syn1neg.npy", "r+b") as fh:
        fh.truncate(200)
    with pytest.raises(persist.ModelFormatError, match="damaged model"):
        Word2Vec.load(tmp_path / "model")
    meta_path.write_text(meta_path.read_text()[:50])
    with pytest.raises(persist.ModelFormatError, match="invalid JSON"):
        Word2Vec.load(tmp_path / "model")


@pytest.mark.parametrize("field, value", [
    ("epoch_loss", "abc"), ("loss_sum", "a"), ("start_alpha", "x"), ("streams", 2 ** 70),
    ("corpus", "abc"), ("corpus.files", [1]), ("position", 10 ** 12), ("epoch", True)])
def test_a_state_edited_by_hand_is_a_damaged_model_not_a_traceback(tmp_path, planted, field,
                                                                     value):
    # each became a traceback inside training (a numba typing error for start_alpha),
    # or, for the position, a resumed run that trained past the corpus
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS)
    m.save(tmp_path / "model")
    meta_path = tmp_path / "model" / "model.json"
    meta = json.loads(meta_path.read_text())
    state = meta["state"]
    if field == "corpus.files":
        state["corpus"] = {"files": value, "raw_tokens": 5, "tokens": 5, "sentences": 1,
                           "crc32": 1}
    else:
        state[field] = value
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(persist.ModelFormatError, match="damaged model settings or state"):
        Word2Vec.load(tmp_path / "model")


def test_a_damaged_vocabulary_or_an_empty_matrix_is_a_damaged_model(tmp_path, planted):
    sentences, _ = planted
    Word2Vec(sentences=sentences, **SETTINGS).save(tmp_path / "model")
    data = tmp_path / "model" / json.loads((tmp_path / "model" / "model.json").read_text())["data"]
    vocab = (data / "vocab.txt").read_text().split("\n")
    for edit, message in ((lambda lines: [lines[0]] + lines[:1] + lines[2:], "listed twice"),
                          (lambda lines: lines[:1] + [lines[1].split("\t")[0] + "\t-5"]
                           + lines[2:], "line 2: expected 'key<TAB>count'")):
        (data / "vocab.txt").write_text("\n".join(edit(vocab)))
        with pytest.raises(persist.ModelFormatError, match=message):
            Word2Vec.load(tmp_path / "model")
    (data / "vocab.txt").write_text("\n".join(vocab))
    (data / "vectors.npy").write_bytes(b"")  # np.load's EOFError: click said "Aborted!"
    with pytest.raises(persist.ModelFormatError, match="not a valid .npy file"):
        Word2Vec.load(tmp_path / "model")


def test_a_bad_override_on_load_is_the_caller_s_error_not_the_model_s(tmp_path, planted):
    sentences, _ = planted
    Word2Vec(sentences=sentences, **SETTINGS).save(tmp_path / "model")
    with pytest.raises(ConfigError, match="threads must be at least 1") as caught:
        Word2Vec.load(tmp_path / "model", threads=0)
    assert not isinstance(caught.value, persist.ModelFormatError)
    assert Word2Vec.load(tmp_path / "model", threads=None).config.threads == SETTINGS["threads"]


def test_an_interrupted_save_keeps_the_previous_model(tmp_path, planted, monkeypatch):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS)
    m.save(tmp_path / "model")
    before = sorted(os.listdir(tmp_path / "model"))
    m.train(epochs=1)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist.np, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        m.save(tmp_path / "model")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path / "model")) == before
    old = Word2Vec.load(tmp_path / "model")
    assert old.state.epochs_trained == 3 and not np.array_equal(old.wv.vectors, m.wv.vectors)


def test_vocabulary_update_keeps_old_rows_and_adds_new_words(planted):
    sentences, groups = planted
    part1 = [s for s in sentences if not any(w.startswith("t5") for w in s)]
    m = Word2Vec(sentences=part1, **{**SETTINGS, "epochs": 5})
    old_keys, old_rows = list(m.wv.index_to_key), m.wv.vectors.copy()
    old_out, old_counts = m.syn1neg.copy(), m.vocab.counts.copy()
    assert not any(w.startswith("t5") for w in old_keys)
    part2 = sentences[:300]
    m.build_vocab(part2, update=True)
    n_old = len(old_keys)
    assert m.wv.index_to_key[:n_old] == old_keys
    new = m.wv.index_to_key[n_old:]
    assert new and all(w.startswith("t5") for w in new)
    assert np.array_equal(m.wv.vectors[:n_old], old_rows)
    assert np.array_equal(m.syn1neg[:n_old], old_out) and not m.syn1neg[n_old:].any()
    assert np.abs(m.wv.vectors[n_old:]).max() <= 1.0 / SETTINGS["dim"]
    extra = {w: sum(s.count(w) for s in part2) for w in m.wv.index_to_key}
    expected = [old_counts[i] + extra[w] for i, w in enumerate(old_keys)] + [extra[w] for w in new]
    assert m.vocab.counts.tolist() == expected
    m.train(part2, total_examples=m.corpus_count, epochs=5)
    t5 = {w: g for w, g in groups.items() if w in m.wv}
    assert neighbour_purity(m.wv.vectors, m.wv.index_to_key, t5) >= 0.8
    # the old words are still there and still trained: their rows moved
    assert not np.array_equal(m.wv.vectors[:n_old], old_rows)


def test_another_corpus_is_encoded_with_the_model_vocabulary(planted):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences[:200], **SETTINGS)
    vocab = list(m.wv.index_to_key)
    m.train([["t0w0", "unknown", "t0w1"]] * 50, epochs=1)
    assert m.wv.index_to_key == vocab and "unknown" not in m.wv
    assert m.corpus_count == 50 and len(m.corpus) == 100


def test_build_vocab_without_update_starts_afresh(planted):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences[:100], **SETTINGS)
    m.build_vocab([["x", "y", "z"]] * 5)
    assert m.wv.index_to_key == ["x", "y", "z"] and m.state.epochs_trained == 0


def test_cached_norms_follow_training(planted):
    sentences, _ = planted
    scores = []

    def query(model, epoch, loss):
        scores.append(model.wv.most_similar(model.wv.index_to_key[0], topn=3))

    m = Word2Vec(sentences=sentences, callbacks=[query], **SETTINGS)
    key = m.wv.index_to_key[0]
    final = m.wv.most_similar(key, topn=3)
    assert final == scores[-1]
    m.train(epochs=1)
    vectors = m.wv.vectors
    for word, score in m.wv.most_similar(key, topn=10):
        a, b = vectors[m.wv.key_to_index[key]], vectors[m.wv.key_to_index[word]]
        assert score == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), abs=1e-5)


@pytest.mark.parametrize("layers", [{"hs": True, "negative": 0}, {"hs": True, "negative": 3}])
def test_hierarchical_softmax_models_save_resume_and_grow(tmp_path, planted, small_blocks, layers):
    sentences, _ = planted
    path = write_corpus(tmp_path / "c.txt", sentences)
    settings = {**SETTINGS, **layers}
    whole = Word2Vec(corpus_file=path, **settings)
    assert whole.syn1.shape == (len(whole.wv) - 1, SETTINGS["dim"]) and whole.syn1.any()
    assert (whole.syn1neg is None) == (layers["negative"] == 0)
    stopped = Word2Vec(**settings)
    stopped.build_vocab(corpus_file=path)
    stopped.train(stop=_stop_after(20))
    stopped.save(tmp_path / "m")
    resumed = Word2Vec.load(tmp_path / "m")
    resumed.train(resume=True)
    assert np.array_equal(resumed.wv.vectors, whole.wv.vectors)
    assert np.array_equal(resumed.syn1, whole.syn1)
    n = len(resumed.wv)
    resumed.build_vocab([["brand", "new", "words"]] * 3, update=True)
    assert resumed.syn1.shape == (n + 2, SETTINGS["dim"]) and not resumed.syn1[n - 1:].any()
    resumed.train([["brand", "new", "words", "t0w1"]] * 20, epochs=1)
    assert np.isfinite(resumed.syn1).all()


def test_a_model_whose_output_matrices_disagree_with_its_settings_is_refused(tmp_path, planted):
    sentences, _ = planted
    m = Word2Vec(sentences, **SETTINGS)
    m.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["hs"] = True
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(persist.ModelFormatError, match="do not match"):
        Word2Vec.load(tmp_path / "m")


def test_a_model_whose_wv_was_edited_is_neither_trained_nor_saved(tmp_path, planted):
    # Found: after wv.add_vector, two threads' copied rows overwrote the added row, and
    # build_vocab(update=True) then train() wrote past the end of syn0 (the process
    # died at exit); after wv.sort_by_descending_frequency, save() paired keys with
    # other words' vectors.
    sentences, _ = planted
    for edit in (lambda wv: wv.add_vector("extra", np.ones(16, np.float32)),
                 lambda wv: wv.sort_by_descending_frequency()):
        m = Word2Vec(sentences=sentences, **{**SETTINGS, "threads": 2})
        edit(m.wv)
        assert m.wv.index_to_key != m.vocab.index_to_key  # (ties are reversed, as in gensim)
        edited = m.wv.vectors.copy()
        for action in (lambda: m.train(), lambda: m.save(tmp_path / "m"),
                       lambda: m.build_vocab([["brand", "new"] * 3], update=True)):
            with pytest.raises(ValueError, match="model.wv was edited"):
                action()
        assert np.array_equal(m.wv.vectors, edited) and not (tmp_path / "m").exists()


def test_training_left_by_an_exception_leaves_no_stale_norms(planted):
    # a callback queried neighbours (caching the norms), then training was interrupted:
    # most_similar gave cosines near 2 until fill_norms(force=True)
    from fastw2v.callbacks import CallbackAny2Vec

    class Neighbours(CallbackAny2Vec):
        def on_epoch_end(self, model):
            model.wv.most_similar(model.wv.index_to_key[0])  # caches the norms

    def interrupt(progress):
        if progress.epoch == 2:
            raise KeyboardInterrupt

    sentences, _ = planted
    m = Word2Vec(**{**SETTINGS, "epochs": 3})
    m.build_vocab(sentences)
    with pytest.raises(KeyboardInterrupt):
        m.train(progress=interrupt, callbacks=[Neighbours()])
    best = m.wv.most_similar(m.wv.index_to_key[0], topn=3)
    unit = m.wv.vectors / np.linalg.norm(m.wv.vectors, axis=1, keepdims=True)
    assert all(abs(score - float(unit[0] @ unit[m.wv.get_index(word)])) < 1e-5 for word, score in best)


def test_a_diverged_model_is_not_saved_over_a_good_one(tmp_path, planted):
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS)
    m.save(tmp_path / "m")
    before = np.load(tmp_path / "m" / json.loads((tmp_path / "m" / "model.json").read_text())["data"]
                     / "syn1neg.npy")
    with pytest.raises(word2vec.TrainingDiverged):
        m.train(start_alpha=1e4, end_alpha=1e4)
    with pytest.raises(ValueError, match="training diverged.*left as it was"):
        m.save(tmp_path / "m")
    np.testing.assert_array_equal(Word2Vec.load(tmp_path / "m").syn1neg, before)


def test_numpy_scalar_settings_are_saved_as_numbers(tmp_path, planted):
    # np.int64 and np.float32 passed every check, trained, then failed json.dump in save()
    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **{**SETTINGS, "dim": np.int64(16), "negative": np.int32(4),
                                         "alpha": np.float32(0.02), "sample": np.float64(1e-3)})
    m.train(epochs=np.int64(1))
    m.save(tmp_path / "m")
    back = Word2Vec.load(tmp_path / "m")
    assert type(back.config.dim) is int and type(back.config.alpha) is float
    assert back.config.dim == 16 and back.config.alpha == pytest.approx(0.02)


def test_a_token_with_a_line_break_is_refused_before_training(planted):
    with pytest.raises(ValueError, match=r"sentence 1: token 'x\\ny' holds a line break"):
        Word2Vec(sentences=[["a", "b"], ["a", "x\ny"]], **SETTINGS)
    # a lone surrogate (bytes decoded with surrogateescape): every save failed after training
    with pytest.raises(ValueError, match=r"sentence 0: token 'caf\\udce9' holds a lone surrogate"):
        Word2Vec(sentences=[[b"caf\xe9".decode("utf-8", "surrogateescape"), "b"]], **SETTINGS)


def test_a_whole_model_directory_loads_as_its_word_vectors(tmp_path, planted):
    # `fastw2v similar model/ WORD` on a --save-model folder said ".../meta.json: no such file"
    from click.testing import CliRunner

    from fastw2v.cli import main
    from fastw2v.keyedvectors import KeyedVectors

    sentences, _ = planted
    m = Word2Vec(sentences=sentences, **SETTINGS)
    m.save(tmp_path / "m")
    for mmap in (True, False, "r", "c", None):
        kv = KeyedVectors.load(tmp_path / "m", mmap=mmap)
        assert kv.index_to_key == m.wv.index_to_key and np.array_equal(kv.vectors, m.wv.vectors)
    word = m.wv.index_to_key[3]
    result = CliRunner().invoke(main, ["similar", str(tmp_path / "m"), word, "--topn", "3"])
    assert result.exit_code == 0, result.output
    assert [line.split("\t")[0] for line in result.output.splitlines()] == \
        [w for w, _ in m.wv.most_similar(word, topn=3)]
    # copy-on-write: edits stay in memory, the file never changes
    kv = KeyedVectors.load(tmp_path / "m", mmap="c")
    kv.vectors[0] = 0
    assert np.array_equal(KeyedVectors.load(tmp_path / "m").vectors, m.wv.vectors)
    with pytest.raises(ValueError, match="mmap must be True or 'r'"):
        KeyedVectors.load(tmp_path / "m", mmap="w")
