"""The two-bytes-a-token corpus: ids at and above ESCAPE go to a side array."""

import numpy as np
import pytest

from fastw2v import corpus as corpus_module
from fastw2v.encoding import ESCAPE, MARK, escape_index, ids_between
from fastw2v.vocab import build_corpus
from fastw2v.word2vec import Word2Vec


@pytest.fixture(scope="module")
def big_vocab_file(tmp_path_factory):
    """A corpus of more distinct words than 16 bits can number.

    Words with an even number only ever stand alone on a line; odd ones only
    in lines of 2-40 tokens. Each word occurs at least twice.
    """
    rng = np.random.default_rng(3)
    n_words = ESCAPE + 4000
    odd = np.arange(1, n_words, 2)
    head = 2 * ((rng.zipf(1.3, 40_000) - 1) % (n_words // 2)) + 1
    tokens = np.concatenate([odd, odd, head])
    rng.shuffle(tokens)
    words = np.array([f"w{i}" for i in range(n_words)])
    lines, pos = [], 0
    while pos < len(tokens):
        n = int(rng.integers(2, 41))
        lines.append(" ".join(words[tokens[pos:pos + n]]))
        pos += n
    lines += [words[i] for i in range(0, n_words, 2)] * 2
    rng.shuffle(lines)
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


@pytest.mark.parametrize("threads", [1, 3])
def test_escaped_ids_decode_exactly(big_vocab_file, monkeypatch, threads):
    path, lines = big_vocab_file
    monkeypatch.setattr(corpus_module, "MIN_PART_BYTES", 1 << 14)
    vocab, corpus = build_corpus(path, min_count=1, threads=threads)
    assert len(vocab) > ESCAPE
    expected = [vocab.key_to_index[w] for line in lines for w in line.split()]
    assert corpus.ids.tolist() == expected
    assert corpus.codes.dtype == np.uint16 and corpus.codes.nbytes == 2 * len(expected)
    escaped = corpus.codes == ESCAPE
    assert escaped.sum() == corpus.escapes.size > 0
    assert corpus.sentence_starts.tolist() == np.cumsum([0] + [len(s.split()) for s in lines]).tolist()
    # how a kernel thread finds its place: escapes before any start position
    before = np.concatenate([[0], np.cumsum(escaped)])
    for lo in [0, 1, MARK - 1, MARK, MARK + 1, 5 * MARK + 7, len(expected) - 1, len(expected)]:
        assert escape_index(corpus.codes, corpus.marks, lo) == before[lo]
    rng = np.random.default_rng(0)
    for lo, hi in rng.integers(0, len(expected), (20, 2)):
        lo, hi = min(lo, hi), max(lo, hi)
        got = ids_between(corpus.codes, corpus.escapes, corpus.marks, lo, hi)
        assert got.tolist() == expected[lo:hi]


def test_training_reads_escaped_words(big_vocab_file):
    path, lines = big_vocab_file
    m = Word2Vec(model="cbow", dim=8, min_count=1, epochs=1, threads=1, sample=0, seed=1)
    m.build_vocab(path)
    assert len(m.vocab) > ESCAPE and m.corpus.escapes.size > 0
    before = m.wv.vectors.copy()
    m.train()
    assert np.isfinite(m.wv.vectors).all() and np.isfinite(m.result.epoch_loss).all()
    # An input row moves exactly when its word is someone's context: the
    # odd words, which share lines (no subsampling; one thread, so no line is
    # cut). A misread escape would move some even rows and miss odd ones.
    odd = np.array([int(w[1:]) % 2 == 1 for w in m.wv.index_to_key])
    moved = (m.wv.vectors != before).any(axis=1)
    np.testing.assert_array_equal(moved, odd)
    assert odd[ESCAPE:].sum() > 1000 and (~odd[ESCAPE:]).sum() > 1000
