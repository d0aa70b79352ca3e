import numpy as np
import pytest

from fastw2v.word2vec import Word2Vec

from corpora import neighbour_purity, topic_corpus, write_corpus

SETTINGS = dict(dim=32, window=5, negative=5, min_count=1, epochs=8, seed=7)
#: Each model, and skip-gram with the window's negatives shared (its own kernel).
MODELS = {"cbow": {"model": "cbow"}, "skipgram": {"model": "skipgram"},
          "skipgram-shared": {"model": "skipgram", "shared_negatives": True},
          "cbow-hs": {"model": "cbow", "hs": True, "negative": 0},
          "skipgram-hs": {"model": "skipgram", "hs": True, "negative": 0},
          "skipgram-shared-hs": {"model": "skipgram", "shared_negatives": True, "hs": True,
                                 "negative": 0},
          "cbow-hs-ns": {"model": "cbow", "hs": True},
          "skipgram-hs-ns": {"model": "skipgram", "hs": True}}


@pytest.fixture(scope="module")
def planted():
    return topic_corpus()


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("threads", [1, 2])
def test_neighbours_recover_planted_topics(tmp_path, planted, model, threads):
    sentences, groups = planted
    path = write_corpus(tmp_path / "topics.txt", sentences)
    m = Word2Vec(corpus_file=path, threads=threads, **{**SETTINGS, **MODELS[model]})
    purity = neighbour_purity(m.wv.vectors, m.wv.index_to_key, groups)
    assert purity >= 0.9, f"{model}/{threads} threads: only {purity:.0%} of neighbours share the topic"
    # the loss is reported per epoch and falls as the model learns
    loss = m.result.epoch_loss
    assert len(loss) == SETTINGS["epochs"] and all(np.isfinite(loss))
    assert loss[-1] < 0.9 * loss[0]


def test_untrained_vectors_do_not_show_the_structure(planted):
    # guards the quality test: random starting vectors must fail it
    sentences, groups = planted
    m = Word2Vec(**SETTINGS)
    m.build_vocab(sentences=sentences)
    assert neighbour_purity(m.wv.vectors, m.wv.index_to_key, groups) < 0.5


@pytest.mark.parametrize("model", list(MODELS))
def test_one_thread_and_one_seed_are_byte_identical(planted, model):
    sentences, _ = planted
    runs = [Word2Vec(sentences=sentences, threads=1, **{**SETTINGS, **MODELS[model]})
            for _ in range(2)]
    assert np.array_equal(runs[0].wv.vectors, runs[1].wv.vectors)
    assert runs[0].result.epoch_loss == runs[1].result.epoch_loss
    other = Word2Vec(sentences=sentences, threads=1, **{**SETTINGS, **MODELS[model], "seed": 8})
    assert not np.array_equal(runs[0].wv.vectors, other.wv.vectors)


def test_learning_rate_decays_linearly_over_the_whole_run(planted):
    sentences, _ = planted
    seen = []
    m = Word2Vec(**{**SETTINGS, "epochs": 3}, model="cbow", alpha=0.04, min_alpha=0.001, threads=1)
    m.build_vocab(sentences=sentences)
    m.train(progress=seen.append)
    fractions = np.array([p.fraction for p in seen])
    alphas = np.array([p.alpha for p in seen])
    assert fractions[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(alphas, 0.04 - (0.04 - 0.001) * fractions, rtol=1e-6)
    assert [p.epoch for p in seen] == sorted(p.epoch for p in seen)


def test_epoch_callbacks_and_early_stop(planted):
    sentences, _ = planted
    calls = []
    m = Word2Vec(**SETTINGS, callbacks=[lambda model, epoch, loss: calls.append((epoch, loss))])
    m.build_vocab(sentences=sentences)
    result = m.train(epochs=2)
    assert [e for e, _ in calls] == [1, 2]
    assert [loss for _, loss in calls] == result.epoch_loss
    stopped = m.train(stop=lambda: True)
    assert stopped.stopped and stopped.epoch_loss == [] and stopped.raw_words == 0


def test_training_reads_a_single_line_corpus_whole(tmp_path, planted):
    # one line of ~35k tokens: longer than the kernel's window buffer, so it is
    # trained in overlapping pieces; every kept word must be trained once.
    sentences, groups = planted
    path = tmp_path / "one_line.txt"
    path.write_text(" ".join(w for s in sentences for w in s))
    m = Word2Vec(corpus_file=path, model="cbow", sample=0, threads=1, **SETTINGS)
    assert m.corpus.sentence_starts.tolist() == [0, sum(map(len, sentences))]
    assert m.result.trained_words == SETTINGS["epochs"] * len(m.corpus)
    assert neighbour_purity(m.wv.vectors, m.wv.index_to_key, groups) >= 0.7


def test_per_thread_scratch_parts_start_on_their_own_page():
    from fastw2v.word2vec import CACHE_LINE, SCRATCH_PAGE, _per_thread

    # parts at least 128 bytes long (Intel cores fetch 64-byte lines in pairs),
    # each starting a page (the L2 streamer prefetches up to a page's end)
    assert CACHE_LINE == 128 and SCRATCH_PAGE == 4096
    for shape, dtype in [((1024,), np.float32), ((2, 512, 5), np.int32), ((32,), np.float32)]:
        for _ in range(4):  # NumPy's own alignment varies from one array to the next
            scratch = _per_thread(3, shape, dtype)
            assert scratch.shape == (3, *shape) and scratch.flags.c_contiguous
            assert scratch[0].ctypes.data % SCRATCH_PAGE == 0
            assert all(part.ctypes.data % CACHE_LINE == 0 for part in scratch)
    with pytest.raises(ValueError, match="whole cache lines"):
        _per_thread(2, (112,), np.float32)  # 448 bytes: 3.5 blocks of 128


def test_each_thread_takes_its_own_row_of_every_scratch_field():
    # the Scratch bundle as Word2Vec.train builds it, split as train_range splits it
    from fastw2v.bundles import Scratch, thread_part
    from fastw2v.config import TrainConfig
    from fastw2v.word2vec import SCRATCH_PAGE, _per_thread, _scratch_shapes

    shapes = _scratch_shapes(TrainConfig(dim=20, window=3, negative=4, hs=True))
    assert set(shapes) == set(Scratch._fields)
    scratch = Scratch(**{name: _per_thread(3, shape, dtype) for name, (shape, dtype) in shapes.items()})
    for b in range(3):
        part = thread_part(scratch, b)
        for name in Scratch._fields:
            mine, whole = getattr(part, name), getattr(scratch, name)
            assert mine.shape == whole.shape[1:], name
            if mine.size:  # an empty field (``hot`` without HS) has no memory to place
                assert mine.ctypes.data == whole[b].ctypes.data, name
                # every part on pages of its own (the HS nodes' copies are not
                # padded, but 1,024 nodes fill whole pages at any dim)
                assert mine.ctypes.data % SCRATCH_PAGE == 0, name


def test_kernel_calls_are_cut_to_a_bounded_amount_of_work():
    # A second Ctrl-C acts only between kernel calls: a call must stay short
    # whatever one word costs, and keep its full length at common settings.
    from fastw2v.config import TrainConfig
    from fastw2v.word2vec import BLOCK_TOKENS, CALL_WORK, _paths, call_span

    counts = (1_000_000 / np.arange(1, 50_001)).astype(np.int64)  # Zipf, 50,000 words
    common = [dict(window=w, dim=d) for w in (5, 10) for d in (100, 300)]
    common += [dict(window=w, hs=True, negative=n) for w in (5, 10) for n in (0, 5)]
    for settings in common:
        settings["model"] = "skipgram"  # CBOW costs less
        cfg = TrainConfig(**settings)
        assert call_span(cfg, _paths(counts, cfg.hs), counts, BLOCK_TOKENS) == BLOCK_TOKENS, settings
    for settings, cost in ((dict(model="skipgram", negative=20_000, dim=50),
                            6 * (3 * 50 * 20_001 + 20_000 ** 2 / 2)),
                           (dict(model="cbow", negative=100_000),
                            2 * 100 * 6 + 3 * 100 * 100_001 + 100_000 ** 2 / 2),
                           (dict(model="skipgram", window=50, dim=1000), 51 * (3 * 1000 * 6 + 12.5))):
        span = call_span(TrainConfig(**settings), _paths(counts, False), counts, BLOCK_TOKENS)
        assert span == CALL_WORK // cost and span < BLOCK_TOKENS, settings
    huge = TrainConfig(model="skipgram", negative=10**7, window=100, dim=10_000)
    assert call_span(huge, _paths(counts, False), counts, BLOCK_TOKENS) == 1
