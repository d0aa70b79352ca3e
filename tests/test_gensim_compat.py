"""A gensim user's scripts run with only the import changed; gensim's arguments and callbacks."""

import textwrap
import warnings

import numpy as np
import pytest

from fastw2v import Word2Vec
from fastw2v.callbacks import CallbackAny2Vec
from fastw2v.config import ConfigError, TrainConfig

from corpora import topic_corpus

#: Three everyday gensim scripts. Each is run as written for gensim with the
#: imports swapped (IMPORTS), and, where gensim is installed, with gensim's
#: own imports, which proves the script is genuine gensim code.
SCRIPTS = {
    # (a) train on token lists with gensim's flags, query, save, reload
    "train-query-save": """
        model = Word2Vec(sentences=sentences, vector_size=24, window=4, min_count=1, workers=1,
                         sg=1, negative=5, epochs=8, seed=3)
        sims = model.wv.most_similar("t0w1", topn=5)
        model.wv.save_word2vec_format(folder + "/vectors.bin", binary=True)
        model.save(folder + "/w2v.model")
        model = Word2Vec.load(folder + "/w2v.model")
        kv = KeyedVectors.load_word2vec_format(folder + "/vectors.bin", binary=True)
        assert kv.most_similar("t0w1", topn=5)[0][0] == sims[0][0]
        assert model.wv.most_similar("t0w1", topn=5)[0][0] == sims[0][0]
        outcome = {"sims": sims, "sg": model.sg, "dim": model.wv.vector_size}
    """,
    # (b) save, load later, add the words of new sentences, continue training
    "continue-training": """
        model = Word2Vec(sentences=part1, vector_size=24, min_count=1, workers=1, epochs=5, seed=3)
        model.save(folder + "/w2v.model")
        model = Word2Vec.load(folder + "/w2v.model")
        before = model.wv["t0w1"].copy()
        model.build_vocab(part2, update=True)
        model.train(part2, total_examples=model.corpus_count, epochs=model.epochs)
        outcome = {"old": "t0w1" in model.wv, "new": "t5w1" in model.wv,
                   "moved": float(abs(model.wv["t0w1"] - before).max()),
                   "neighbours": [w for w, _ in model.wv.most_similar("t5w1", topn=3)]}
    """,
    # (c) a per-epoch loss logger
    "loss-callback": """
        class LossLogger(CallbackAny2Vec):
            def __init__(self):
                self.losses = []
                self.epochs = 0

            def on_epoch_end(self, model):
                self.losses.append(model.get_latest_training_loss())
                self.epochs += 1

        logger = LossLogger()
        model = Word2Vec(sentences, vector_size=24, min_count=1, workers=1, epochs=4,
                         compute_loss=True, callbacks=[logger], seed=3)
        outcome = {"losses": logger.losses, "epochs": logger.epochs}
    """,
}

IMPORTS = {
    "fastw2v": "from fastw2v import Word2Vec, KeyedVectors\n"
               "from fastw2v.callbacks import CallbackAny2Vec\n",
    "gensim": "from gensim.models import Word2Vec, KeyedVectors\n"
              "from gensim.models.callbacks import CallbackAny2Vec\n",
}


@pytest.fixture(scope="module")
def corpus():
    sentences, _ = topic_corpus(n_sentences=800)
    part1 = [s for s in sentences if not any(w.startswith("t5") for w in s)]
    return {"sentences": sentences, "part1": part1, "part2": sentences[:400]}


def run_script(name, library, corpus, folder):
    if library == "gensim":
        pytest.importorskip("gensim")
    namespace = {**corpus, "folder": str(folder)}
    exec(IMPORTS[library] + textwrap.dedent(SCRIPTS[name]), namespace)
    return namespace["outcome"]


@pytest.mark.parametrize("library", ["fastw2v", "gensim"])
def test_script_a_trains_skipgram_from_gensim_flags(corpus, tmp_path, library):
    outcome = run_script("train-query-save", library, corpus, tmp_path)
    assert outcome["sg"] == 1 and outcome["dim"] == 24
    assert all(word.startswith("t0") for word, _ in outcome["sims"][:3])


@pytest.mark.parametrize("library", ["fastw2v", "gensim"])
def test_script_b_continues_training_on_new_words(corpus, tmp_path, library):
    outcome = run_script("continue-training", library, corpus, tmp_path)
    assert outcome["old"] and outcome["new"] and outcome["moved"] > 0
    assert all(w.startswith("t5") for w in outcome["neighbours"]), outcome["neighbours"]


@pytest.mark.parametrize("library", ["fastw2v", "gensim"])
def test_script_c_logs_a_loss_per_epoch(corpus, tmp_path, library):
    outcome = run_script("loss-callback", library, corpus, tmp_path)
    assert outcome["epochs"] == 4 and len(outcome["losses"]) == 4
    if library == "fastw2v":  # gensim's is a running sum; ours is each epoch's mean, falling
        assert outcome["losses"][-1] < outcome["losses"][0]


def test_gensim_hooks_are_called_in_order(corpus):
    calls = []

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            calls.append("train_begin")

        def on_epoch_begin(self, model):
            calls.append("epoch_begin")

        def on_epoch_end(self, model):
            calls.append(("epoch_end", model.get_latest_training_loss()))

        def on_train_end(self, model):
            calls.append("train_end")

    plain = []
    m = Word2Vec(corpus["sentences"][:200], min_count=1, epochs=2, threads=1,
                 callbacks=[Recorder(), lambda model, epoch, loss: plain.append((epoch, loss))])
    losses = m.result.epoch_loss
    assert calls == ["train_begin", "epoch_begin", ("epoch_end", losses[0]),
                     "epoch_begin", ("epoch_end", losses[1]), "train_end"]
    assert plain == [(1, losses[0]), (2, losses[1])]


@pytest.mark.parametrize("bad", [[3], [CallbackAny2Vec], 5])
def test_a_callback_that_cannot_be_called_fails_before_training(bad):
    with pytest.raises(TypeError, match="callbacks must be"):
        Word2Vec([["a", "b"]] * 10, min_count=1, callbacks=bad)


def test_gensim_names_map_to_fastw2v_settings():
    assert TrainConfig.from_kwargs(hs=1, negative=0).hs is True
    cfg = TrainConfig.from_kwargs(sg=1, vector_size=30, workers=3, hs=0, cbow_mean=1,
                                  batch_words=5000, null_word=0, sorted_vocab=1,
                                  trim_rule=None, max_final_vocab=100)
    assert (cfg.model, cfg.dim, cfg.threads, cfg.max_final_vocab) == ("skipgram", 30, 3, 100)
    assert TrainConfig.from_kwargs(sg=0).model == "cbow"


@pytest.mark.parametrize("settings, message", [
    ({"hs": 2}, "hs must be True or False"),
    ({"hs": 0, "negative": 0}, "nothing would be trained"),
    ({"cbow_mean": 0}, "averages the context"),
    ({"sorted_vocab": 0}, "sorts the vocabulary"),
    ({"trim_rule": len}, "filter the tokens"),
    ({"shrink_windows": False}, "1..window"),
    ({"sg": 2}, "sg must be 0"),
    ({"sg": 1, "model": "cbow"}, "either sg or model"),
    ({"vector_size": 10, "dim": 10}, "either vector_size or dim"),
    ({"max_vocab_size": 10, "max_final_vocab": 10}, "either max_vocab_size or max_final_vocab"),
    ({"hashfxn": id}, "seed alone"),
    ({"no_such_setting": 1}, "unknown setting"),
])
def test_gensim_settings_that_cannot_be_honoured_are_refused_at_construction(settings, message):
    with pytest.raises(ConfigError, match=message):
        Word2Vec(**settings)


def test_max_vocab_size_is_a_deprecated_alias_of_max_final_vocab():
    sentences = [[f"w{i}" for i in range(j)] for j in range(1, 30)]
    with pytest.warns(FutureWarning, match="max_final_vocab"):
        m = Word2Vec(sentences, max_vocab_size=5, min_count=1, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        n = Word2Vec(sentences, max_final_vocab=5, min_count=1, epochs=1)
        # gensim's default written out (code copied from gensim's docs): no cap, no warning
        everything = Word2Vec(sentences, max_vocab_size=None, min_count=1, epochs=1)
    assert m.wv.index_to_key == n.wv.index_to_key == ["w0", "w1", "w2", "w3", "w4"]
    assert len(everything.wv) == 29


def test_train_accepts_gensim_arguments_and_refuses_unknown_ones(corpus):
    m = Word2Vec(min_count=1, threads=1)
    m.build_vocab(corpus_iterable=corpus["sentences"][:100], progress_per=1000)
    m.train(corpus_iterable=corpus["sentences"][:100], total_examples=m.corpus_count,
            total_words=m.corpus_total_words, epochs=1, start_alpha=0.03, end_alpha=0.01,
            compute_loss=True, queue_factor=2, report_delay=1.0)
    assert m.state.start_alpha == 0.03 and m.state.end_alpha == 0.01
    with pytest.raises(TypeError, match="unexpected argument"):
        m.train(epochs=1, bogus=1)
    with pytest.raises(ConfigError, match="word_count"):
        m.train(epochs=1, word_count=10)
    with pytest.raises(ConfigError, match="end_alpha"):
        m.train(epochs=1, start_alpha=0.01, end_alpha=0.02)


def test_start_alpha_alone_decays_to_the_default_end(corpus):
    m = Word2Vec(min_count=1, threads=1)
    m.build_vocab(corpus["sentences"][:100])
    m.train(epochs=3, start_alpha=0.02)
    assert m.state.end_alpha == pytest.approx(0.02 / 4)


def test_gensim_attributes(corpus):
    m = Word2Vec(corpus["sentences"][:100], sg=1, vector_size=12, window=3, min_count=1, epochs=2)
    assert (m.sg, m.vector_size, m.window, m.epochs) == (1, 12, 3, 2)
    assert m.corpus_count == 100
    assert m.corpus_total_words == sum(len(s) for s in corpus["sentences"][:100])
    assert np.isfinite(m.get_latest_training_loss())


def test_a_generator_is_read_once_and_trained_on(corpus):
    reads = []

    def sentences():
        reads.append(1)
        yield from corpus["sentences"][:200]

    m = Word2Vec(sentences(), min_count=1, epochs=2, threads=1)
    assert reads == [1] and m.state.epochs_trained == 2 and m.corpus_count == 200


def test_corpus_file_may_be_a_list_of_files_or_a_directory(corpus, tmp_path):
    from corpora import write_corpus

    (tmp_path / "parts").mkdir()
    write_corpus(tmp_path / "parts" / "a.txt", corpus["sentences"][:100])
    write_corpus(tmp_path / "parts" / "b.txt", corpus["sentences"][100:200])
    whole = Word2Vec(corpus["sentences"][:200], min_count=1, epochs=1, threads=1)
    for spec in ([tmp_path / "parts" / "a.txt", tmp_path / "parts" / "b.txt"], tmp_path / "parts"):
        m = Word2Vec(corpus_file=spec, min_count=1, epochs=1, threads=1)
        assert m.wv.index_to_key == whole.wv.index_to_key
        assert np.array_equal(m.wv.vectors, whole.wv.vectors)


def test_lines_given_as_sentences_are_refused_with_the_reason():
    with pytest.raises(TypeError, match="lists of str tokens"):
        Word2Vec(sentences=["the cat sat", "on the mat"], min_count=1)


GENSIM_ATTRIBUTES = ("vector_size", "layer1_size", "window", "sg", "hs", "negative", "alpha",
                     "min_alpha", "min_count", "max_final_vocab", "sample", "ns_exponent",
                     "workers", "seed", "cbow_mean", "epochs")


def test_gensims_setting_attributes_read_as_gensims_and_refuse_assignment():
    settings = dict(vector_size=24, window=4, sg=1, hs=1, negative=3, alpha=0.03, min_alpha=0.001,
                    min_count=2, max_final_vocab=500, sample=1e-4, ns_exponent=0.5, workers=2,
                    seed=7, epochs=3)
    ours = Word2Vec(**settings)
    expected = {**settings, "layer1_size": 24, "cbow_mean": 1}
    assert {name: getattr(ours, name) for name in GENSIM_ATTRIBUTES} == expected
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.Word2Vec(**settings)
    assert {name: getattr(theirs, name) for name in GENSIM_ATTRIBUTES} == expected
    # gensim 3's idiom (set the rate, then train) would be ignored in silence: refused
    with pytest.raises(AttributeError, match=r"alpha is a setting .* train\(start_alpha=..."):
        ours.alpha = 0.01
    for name in GENSIM_ATTRIBUTES:
        with pytest.raises(AttributeError, match=f"^{name} is a setting of the model"):
            setattr(ours, name, getattr(ours, name))
