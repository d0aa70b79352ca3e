"""KeyedVectors: lookups, similarity queries against brute-force numpy, evaluation, gensim parity."""

import math

import numpy as np
import pytest

from fastw2v import evaluation
from fastw2v.evaluation import BUNDLED_ANALOGIES, BUNDLED_WORD_PAIRS
from fastw2v.keyedvectors import KeyedVectors


def random_kv(n=60, dim=12, seed=0, counts=True):
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)]
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return KeyedVectors(vectors, keys, np.arange(n, 0, -1) * 10 if counts else None)


def unit(m):
    m = np.asarray(m, dtype=np.float64)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def brute_most_similar(kv, positive, negative, topn, limit=None):
    """3CosAdd by hand, in float64."""
    vecs = unit(kv.vectors)
    mean = sum(vecs[kv.key_to_index[k]] for k in positive) - sum(vecs[kv.key_to_index[k]] for k in negative)
    mean = unit(mean / (len(positive) + len(negative)))
    scores = vecs[:limit] @ mean
    order = [i for i in np.argsort(-scores, kind="stable") if kv.index_to_key[i] not in positive + negative]
    return [(kv.index_to_key[i], scores[i]) for i in order[:topn]]


def assert_same_results(ours, expected, tol=1e-5):
    assert [k for k, _ in ours] == [k for k, _ in expected]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in expected], atol=tol)


# ---------------------------------------------------------------- basics

def test_basics():
    kv = random_kv()
    assert len(kv) == 60 and kv.vector_size == 12
    assert "w3" in kv and "zzz" not in kv
    assert kv.get_index("w3") == 3 and kv.key_to_index["w3"] == 3
    assert kv.get_index("zzz", default=-1) == -1
    np.testing.assert_array_equal(kv["w3"], kv.vectors[3])
    assert kv[["w1", "w2"]].shape == (2, 12)
    np.testing.assert_allclose(np.linalg.norm(kv.get_vector("w5", norm=True)), 1.0, rtol=1e-6)
    assert kv.get_vecattr("w0", "count") == 600
    assert not kv["w3"].flags.writeable
    assert str(kv) == "KeyedVectors<vector_size=12, 60 keys>"


def test_unknown_key_message():
    kv = random_kv()
    for call in (lambda: kv["xyz"], lambda: kv.get_vector("xyz"), lambda: kv.most_similar("xyz"),
                 lambda: kv.similarity("w1", "xyz"), lambda: kv[["w1", "xyz"]]):
        with pytest.raises(KeyError, match="Key 'xyz' not present in vocabulary"):
            call()
    with pytest.raises(KeyError, match="count"):
        random_kv(counts=False).get_vecattr("w1", "count")


def test_constructor_validation():
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        KeyedVectors(np.zeros((3, 2), np.float32), ["a", "b", "a"])
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors(np.zeros((3, 2), np.float32), ["a", "b"])
    with pytest.raises(ValueError, match="counts"):
        KeyedVectors(np.zeros((2, 2), np.float32), ["a", "b"], counts=[1])
    assert KeyedVectors(np.zeros((2, 2)), ["a", "b"]).vectors.dtype == np.float32


def test_float16_storage_float32_compute():
    kv32 = random_kv()
    kv16 = KeyedVectors(kv32.vectors.astype(np.float16), kv32.index_to_key)
    assert kv16.vectors.dtype == np.float16
    assert kv16["w1"].dtype == np.float32 and kv16.norms.dtype == np.float32
    assert [k for k, _ in kv16.most_similar("w1", topn=5)] == [k for k, _ in kv32.most_similar("w1", topn=5)]


def test_replacing_vectors_invalidates_caches():
    kv = random_kv()
    before = kv.most_similar("w1", topn=3)
    old_norms = kv.norms.copy()
    kv.vectors = kv.vectors * 2.0
    np.testing.assert_allclose(kv.norms, old_norms * 2, rtol=1e-6)
    kv.vectors = np.random.default_rng(9).standard_normal(kv.vectors.shape).astype(np.float32)
    assert kv.most_similar("w1", topn=3) != before
    np.testing.assert_allclose(np.linalg.norm(kv.get_normed_vectors(), axis=1), 1.0, rtol=1e-6)


# ---------------------------------------------------------------- similarity against brute force

@pytest.mark.parametrize("positive,negative,limit", [
    (["w1"], [], None), (["w1", "w2"], ["w3"], None), (["w4", "w5"], ["w6", "w7"], 30)])
def test_most_similar_brute_force(positive, negative, limit):
    kv = random_kv()
    ours = kv.most_similar(positive=positive, negative=negative, topn=7, restrict_vocab=limit)
    assert_same_results(ours, brute_most_similar(kv, positive, negative, 7, limit))


def test_most_similar_inputs():
    kv = random_kv()
    assert kv.most_similar("w1", topn=4) == kv.most_similar(positive=["w1"], topn=4)
    assert kv.most_similar("w1", topn=4) == kv.similar_by_word("w1", topn=4) == kv.similar_by_key("w1", topn=4)
    # a raw vector: the key itself is not excluded, and comes first
    assert kv.similar_by_vector(kv["w1"], topn=1)[0][0] == "w1"
    a = kv.most_similar(positive=[("w1", 2.0)], negative=[("w2", -2.0)], topn=3)
    b = kv.most_similar(positive=["w1"], negative=["w2"], topn=3)
    assert_same_results(a, b, tol=1e-6)  # proportional weights give the same normalised mean
    assert kv.most_similar(1, topn=3) == kv.most_similar("w1", topn=3)  # int = index
    assert kv.most_similar("w1", topn=0) == []
    assert len(kv.most_similar("w1", topn=1000)) == 59
    scores = kv.most_similar("w1", topn=None)
    assert scores.shape == (60,)
    np.testing.assert_allclose(scores, unit(kv.vectors) @ unit(kv.vectors[1]), atol=1e-6)
    assert kv.most_similar("w1", topn=None, restrict_vocab=10).shape == (10,)


def test_most_similar_cosmul_brute_force():
    kv = random_kv()
    vecs = unit(kv.vectors)
    shifted = (1 + vecs @ vecs[[1, 2, 3]].T) / 2
    scores = shifted[:, 1] * shifted[:, 2] / (shifted[:, 0] + 1e-6)
    order = [i for i in np.argsort(-scores) if i not in (1, 2, 3)][:5]
    expected = [(kv.index_to_key[i], scores[i]) for i in order]
    assert_same_results(kv.most_similar_cosmul(positive=["w2", "w3"], negative=["w1"], topn=5), expected)
    single = kv.most_similar_cosmul("w1", topn=5)
    assert [k for k, _ in single] == [k for k, _ in kv.most_similar("w1", topn=5)]
    assert kv.most_similar_cosmul("w1", topn=None, restrict_vocab=20).shape == (20,)
    assert all(kv.key_to_index[k] < 20 for k, _ in kv.most_similar_cosmul("w1", topn=5, restrict_vocab=20))


def test_pairwise_measures():
    kv = random_kv()
    v = kv.vectors.astype(np.float64)
    cos = float(unit(v[1]) @ unit(v[2]))
    assert kv.similarity("w1", "w2") == pytest.approx(cos, abs=1e-6)
    assert kv.distance("w1", "w2") == pytest.approx(1 - cos, abs=1e-6)
    expected = float(unit(v[[1, 2]].mean(0)) @ unit(v[[3, 4, 5]].mean(0)))
    assert kv.n_similarity(["w1", "w2"], ["w3", "w4", "w5"]) == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ZeroDivisionError):
        kv.n_similarity([], ["w1"])
    all_dist = 1 - unit(v) @ unit(v[1])
    np.testing.assert_allclose(kv.distances("w1"), all_dist, atol=1e-6)
    np.testing.assert_allclose(kv.distances(kv["w1"], ["w2", "w3"]), all_dist[[2, 3]], atol=1e-6)
    closer = [kv.index_to_key[i] for i in np.flatnonzero(all_dist < all_dist[7]) if i != 1]
    assert kv.closer_than("w1", "w7") == closer
    assert kv.rank("w1", "w7") == len(closer) + 1
    units = unit(v[[1, 2, 3, 4]])
    centre = unit(units.mean(0))
    assert kv.doesnt_match(["w1", "w2", "w3", "w4", "nope"]) == ["w1", "w2", "w3", "w4"][int(np.argmin(units @ centre))]


# ---------------------------------------------------------------- evaluation

def analogy_kv(seed=0, dim=16, fillers=200, variants=True):
    """Vocabulary = analogy words (lower-case) + case variants + fillers, planted offsets."""
    rng = np.random.default_rng(seed)
    words, pairs = {}, []
    for line in open(BUNDLED_ANALOGIES, encoding="utf-8"):
        if not line.startswith(":"):
            a, b, c, d = line.lower().split()
            words.update(dict.fromkeys((a, b, c, d)))
            pairs += [(a, b), (c, d)]
    keys = list(words) + [f"f{i}" for i in range(fillers)]
    if variants:
        keys += ["Athens", "GREECE", "Paris", "king"[::-1]]
    keys = [keys[i] for i in rng.permutation(len(keys))]
    index = {k: i for i, k in enumerate(keys)}
    vectors = rng.standard_normal((len(keys), dim)).astype(np.float32)
    offset = rng.standard_normal(dim).astype(np.float32)
    for a, b in pairs[::7]:
        vectors[index[b]] = vectors[index[a]] + offset + 0.3 * rng.standard_normal(dim).astype(np.float32)
    if variants:
        vectors[index["Athens"]] = vectors[index["athens"]] * 1.01
    return KeyedVectors(vectors, keys)


@pytest.mark.parametrize("limit,case_insensitive", [(None, True), (500, True), (None, False)])
def test_batched_answers_equal_exact_path(limit, case_insensitive):
    kv = analogy_kv()
    # exact ties (duplicate rows) and a zero vector make the fallback path work too
    vectors = kv.vectors.copy()
    vectors[10] = vectors[11]
    vectors[12] = 0
    kv.vectors = vectors
    lookup = evaluation.vocab_lookup(kv.index_to_key, limit, case_insensitive)
    n = len(kv.index_to_key[:limit])
    canon = evaluation._canonical_indices(kv.index_to_key, n, lookup, case_insensitive)
    rng = np.random.default_rng(1)
    questions = canon[rng.integers(0, n, (400, 3))]
    questions[:5, 2] = canon[[10, 11, 12, 10, 11]]
    batched = evaluation.answer_analogies(kv, questions, n, canon, chunk_elements=37 * n)
    exact = [evaluation._exact_answer(kv, *map(int, q), n, canon) for q in questions]
    np.testing.assert_array_equal(batched, exact)


def test_evaluate_word_analogies_structure(tmp_path):
    kv = KeyedVectors(np.eye(6, dtype=np.float32) + 0.1, ["a", "b", "c", "d", "e", "f"])
    path = tmp_path / "q.txt"
    path.write_text(": one\na b c d\nA B C zzz\nbad line\n: two\nc d a b\n", encoding="utf-8")
    score, sections = kv.evaluate_word_analogies(str(path))
    assert [s["section"] for s in sections] == ["one", "two", "Total accuracy"]
    total = sections[-1]
    assert len(total["correct"]) + len(total["incorrect"]) == 2  # OOV skipped, bad line skipped
    assert all(w.isupper() for quad in total["correct"] + total["incorrect"] for w in quad)
    _, with_dummy = kv.evaluate_word_analogies(str(path), dummy4unknown=True)
    assert ("A", "B", "C", "ZZZ") in with_dummy[0]["incorrect"]
    path.write_text("a b c d\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Missing section header"):
        kv.evaluate_word_analogies(str(path))


def test_evaluate_word_pairs_semantics(tmp_path):
    kv = random_kv()
    path = tmp_path / "p.tsv"
    path.write_text("# comment\nw1\tw2\t3.0\nW3\tw4\t1.5\nw5\tw6\t9\nw7\tnope\t2\nbroken\n", encoding="utf-8")
    (pr, pp), (sr, sp), oov = kv.evaluate_word_pairs(str(path))
    model = [kv.similarity("w1", "w2"), kv.similarity("w3", "w4"), kv.similarity("w5", "w6")]
    assert pr == pytest.approx(np.corrcoef([3.0, 1.5, 9], model)[0, 1], abs=1e-6)
    assert oov == pytest.approx(25.0)
    *_, oov_dummy = kv.evaluate_word_pairs(str(path), dummy4unknown=True)
    assert oov_dummy == pytest.approx(25.0)
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        kv.evaluate_word_pairs(str(path), case_insensitive=False, restrict_vocab=1)


def test_statistics_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(3)
    for n in (3, 5, 30, 353, 5000):
        for rho in (0.0, 0.05, 0.5, 0.95, 0.9999):
            x = rng.standard_normal(n)
            y = rho * x + math.sqrt(1 - rho ** 2) * rng.standard_normal(n)
            for ours, ref in ((evaluation.pearsonr(x, y), stats.pearsonr(x, y)),
                              (evaluation.spearmanr(x.round(1), y.round(1)), stats.spearmanr(x.round(1), y.round(1)))):
                np.testing.assert_allclose(ours[0], ref[0], rtol=1e-9, atol=1e-15)
                np.testing.assert_allclose(ours[1], ref[1], rtol=1e-6, atol=1e-300)
    for a, b, x in ((0.5, 0.5, 0.3), (175.5, 0.5, 0.999), (5e4, 0.5, 0.99), (2, 3, 0.9), (0.5, 200, 0.001)):
        assert evaluation.betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-9)
    values = rng.integers(0, 5, 50)
    np.testing.assert_array_equal(evaluation.rankdata(values), stats.rankdata(values))
    assert all(math.isnan(v) for v in evaluation.spearmanr([1, 1, 1], [1, 2, 3]))


# ---------------------------------------------------------------- gensim parity

@pytest.fixture(scope="module")
def gensim_pair():
    gensim = pytest.importorskip("gensim")
    kv = analogy_kv(seed=4, dim=24, fillers=100)
    vectors = kv.vectors.copy()
    vectors[5:9] = vectors[4]  # exact ties: order must match gensim's
    kv.vectors = vectors
    theirs = gensim.models.KeyedVectors(kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    return kv, theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_gensim_queries(gensim_pair):
    ours, theirs = gensim_pair
    k = ours.index_to_key
    queries = [dict(positive=[k[3]]), dict(positive=[k[1], k[2]], negative=[k[3]]),
               dict(positive=[k[4]], topn=8), dict(positive=[k[1], ours[k[9]]], negative=[(k[2], 0.5)]),
               dict(positive=[k[5]], restrict_vocab=300)]
    for query in queries:
        a, b = ours.most_similar(**query), theirs.most_similar(**query)
        assert [w for w, _ in a] == [w for w, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
    for query in queries[:3]:
        a, b = ours.most_similar_cosmul(**query), theirs.most_similar_cosmul(**query)
        assert [w for w, _ in a] == [w for w, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
    np.testing.assert_allclose(ours.most_similar(k[1], topn=None), theirs.most_similar(k[1], topn=None), atol=1e-6)
    assert ours.similarity(k[1], k[2]) == pytest.approx(float(theirs.similarity(k[1], k[2])), abs=1e-6)
    assert ours.n_similarity(k[1:3], k[3:6]) == pytest.approx(float(theirs.n_similarity(k[1:3], k[3:6])), abs=1e-6)
    assert ours.doesnt_match(k[:6]) == theirs.doesnt_match(k[:6])
    assert ours.closer_than(k[1], k[2]) == theirs.closer_than(k[1], k[2])
    assert ours.rank(k[1], k[2]) == theirs.rank(k[1], k[2])
    np.testing.assert_allclose(ours.distances(k[1], k[2:9]), theirs.distances(k[1], k[2:9]), atol=1e-6)


def test_gensim_small_analogy_file(gensim_pair, tmp_path):
    ours, theirs = gensim_pair
    k = ours.index_to_key
    lines = [": first"] + [" ".join(k[i:i + 4]) for i in range(0, 80, 4)]
    lines += [": second", f"{k[1]} {k[2]} {k[3]} unknownword"] + [" ".join(k[i + 2:i + 6]) for i in range(0, 60, 5)]
    path = tmp_path / "small.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for kwargs in (dict(), dict(restrict_vocab=200), dict(case_insensitive=False, dummy4unknown=True)):
        assert ours.evaluate_word_analogies(str(path), **kwargs) == theirs.evaluate_word_analogies(str(path), **kwargs)


def test_gensim_bundled_evaluation(gensim_pair):
    ours, theirs = gensim_pair
    score, sections = ours.evaluate_word_analogies()
    assert (score, sections) == theirs.evaluate_word_analogies(BUNDLED_ANALOGIES)
    assert 0 < len(sections[-1]["correct"]) < 19544  # planted structure: some right, some wrong
    (pr, pp), (sr, sp), oov = ours.evaluate_word_pairs()
    (gpr, gpp), (gsr, gsp), goov = theirs.evaluate_word_pairs(BUNDLED_WORD_PAIRS)
    np.testing.assert_allclose([pr, sr], [gpr, gsr], atol=1e-5)
    np.testing.assert_allclose([pp, sp], [gpp, gsp], rtol=1e-4)
    assert oov == pytest.approx(goov)
