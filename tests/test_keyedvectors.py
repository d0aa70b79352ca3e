"""KeyedVectors: lookups, similarity queries against brute-force numpy, evaluation, gensim parity."""

import math

import numpy as np
import pytest

from fastw2v import correlation, evaluation
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
    # non-finite gold scores ("nan", "inf" parse as floats) are invalid lines
    path.write_text("# comment\nw1\tw2\t3.0\nW3\tw4\t1.5\nw5\tw6\t9\nw7\tnope\t2\nbroken\n"
                    "w8\tw9\tnan\nw10\tw11\t-inf\n", encoding="utf-8")
    (pr, pp), (sr, sp), oov = kv.evaluate_word_pairs(str(path))
    model = [kv.similarity("w1", "w2"), kv.similarity("w3", "w4"), kv.similarity("w5", "w6")]
    assert pr == pytest.approx(np.corrcoef([3.0, 1.5, 9], model)[0, 1], abs=1e-6)
    assert oov == pytest.approx(25.0)
    *_, oov_dummy = kv.evaluate_word_pairs(str(path), dummy4unknown=True)
    assert oov_dummy == pytest.approx(25.0)
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        kv.evaluate_word_pairs(str(path), case_insensitive=False, restrict_vocab=1)
    # gensim returns scipy's result objects, which users read by name
    pearson, spearman, _ = kv.evaluate_word_pairs(str(path))
    assert (pearson.statistic, pearson.pvalue) == (pr, pp) and pearson.correlation == pr
    assert (spearman.statistic, spearman.correlation, spearman.pvalue) == (sr, sr, sp)
    path.write_text("w1\tw2\t3.0\nw7\tnope\t2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="only 1 word pair of .* could be scored"):
        kv.evaluate_word_pairs(str(path))  # (it said "pearsonr needs two 1-D arrays")


def test_bytes_are_refused_as_keys():
    # b"w1" iterated is the rows 119 and 49: most_similar answered for two other words
    kv = random_kv(n=130)
    for call in (lambda: kv.most_similar(b"w1"), lambda: kv.most_similar_cosmul(b"w1"),
                 lambda: kv.similar_by_word(b"w1"), lambda: kv.most_similar([b"w1", "w2"]),
                 lambda: kv[b"w1"],
                 lambda: kv.get_mean_vector(b"w1"), lambda: kv.doesnt_match(b"w1"),
                 lambda: kv.most_similar(positive=["w1"], negative=bytearray(b"w2")),
                 lambda: kv[memoryview(b"w1")]):
        with pytest.raises(TypeError, match="keys are str, not bytes: decode b'w"):
            call()


def test_a_zero_vector_scores_zero_in_word_pairs_not_nan(tmp_path):
    # as similarity() and gensim give; one zero row made both correlations NaN
    kv = random_kv()
    kv.vectors[5] = 0
    kv.fill_norms(force=True)
    path = tmp_path / "p.tsv"
    path.write_text("w1\tw2\t3.0\nw3\tw4\t1.5\nw5\tw6\t9\nw7\tw8\t2\n", encoding="utf-8")
    (pr, _), (sr, _), _ = kv.evaluate_word_pairs(str(path))
    model = [kv.similarity(f"w{i}", f"w{i + 1}") for i in (1, 3, 5, 7)]
    assert model[2] == 0.0
    assert pr == pytest.approx(np.corrcoef([3.0, 1.5, 9, 2], model)[0, 1], abs=1e-6)
    assert np.isfinite(sr)


def test_statistics_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(3)
    for n in (3, 5, 30, 353, 5000):
        for rho in (0.0, 0.05, 0.5, 0.95, 0.9999):
            x = rng.standard_normal(n)
            y = rho * x + math.sqrt(1 - rho ** 2) * rng.standard_normal(n)
            for ours, ref in ((correlation.pearsonr(x, y), stats.pearsonr(x, y)),
                              (correlation.spearmanr(x.round(1), y.round(1)), stats.spearmanr(x.round(1), y.round(1)))):
                np.testing.assert_allclose(ours[0], ref[0], rtol=1e-9, atol=1e-15)
                np.testing.assert_allclose(ours[1], ref[1], rtol=1e-6, atol=1e-300)
    for a, b, x in ((0.5, 0.5, 0.3), (175.5, 0.5, 0.999), (5e4, 0.5, 0.99), (2, 3, 0.9), (0.5, 200, 0.001)):
        assert correlation.betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-9)
    values = rng.integers(0, 5, 50)
    np.testing.assert_array_equal(correlation.rankdata(values), stats.rankdata(values))
    assert all(math.isnan(v) for v in correlation.spearmanr([1, 1, 1], [1, 2, 3]))


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


def test_analogies_by_3cosmul_answer_as_most_similar_cosmul_does(tmp_path):
    # similarity_function="most_similar_cosmul" was refused (gensim 4.4 takes the name
    # and still answers by 3CosAdd)
    kv = random_kv(n=300, dim=8, seed=2)
    k = kv.index_to_key
    rng = np.random.default_rng(5)
    quads = [[k[i] for i in rng.choice(60, 4, replace=False)] for _ in range(150)]
    path = tmp_path / "q.txt"
    path.write_text(": s\n" + "".join(" ".join(q) + "\n" for q in quads), encoding="utf-8")
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=200,
                                                 similarity_function="most_similar_cosmul")
    expected = []
    for a, b, c, d in quads:
        answers = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5,
                                         restrict_vocab=200)
        first = next(w for w, _ in answers if w.upper() not in (a.upper(), b.upper(), c.upper()))
        expected.append(first == d)
    correct = {tuple(q) for q in sections[0]["correct"]}
    assert [tuple(w.upper() for w in q) in correct for q in quads] == expected
    assert score == pytest.approx(sum(expected) / len(quads)) and 0 < sum(expected)
    assert score != kv.evaluate_word_analogies(str(path), restrict_vocab=200)[0]


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


# ---------------------------------------------------------------- gensim's full API: helpers

def gensim_copy(kv):
    """gensim's KeyedVectors with the same keys, vectors and counts, or None without gensim."""
    try:
        from gensim.models import KeyedVectors as GensimKeyedVectors
    except ImportError:
        return None
    theirs = GensimKeyedVectors(kv.vector_size)
    theirs.add_vectors(list(kv.index_to_key), np.array(kv.vectors))
    if kv.counts is not None:
        for key, count in zip(kv.index_to_key, kv.counts):
            theirs.set_vecattr(key, "count", int(count))
    return theirs


def assert_consistent(kv):
    """index_to_key, key_to_index, vectors and attributes describe the same rows."""
    assert kv.key_to_index == {key: i for i, key in enumerate(kv.index_to_key) if key is not None}
    assert kv.vectors.shape == (len(kv.index_to_key), kv.vector_size)
    assert all(len(values) == len(kv) for values in kv.expandos.values())


# ---------------------------------------------------------------- construction and editing

def test_gensim_constructor_form():
    empty = KeyedVectors(3)
    assert len(empty) == 0 and empty.vector_size == 3 and empty.vectors.dtype == np.float32
    assert KeyedVectors(vector_size=3).vectors.shape == (0, 3)
    assert KeyedVectors(3, dtype=np.float16).vectors.dtype == np.float16
    assert KeyedVectors(3, dtype=np.float64).vectors.dtype == np.float32
    slots = KeyedVectors(3, 2, mapfile_path="unused")
    assert len(slots) == 2 and slots.index_to_key == [None, None] and slots.mapfile_path == "unused"
    assert slots.add_vector("a", [1, 2, 3]) == 0 and slots.add_vector("b", [4, 5, 6]) == 1
    assert slots.add_vector("c", [7, 8, 9]) == 2  # slots full: grows
    assert slots.index_to_key == ["a", "b", "c"] and slots["b"].tolist() == [4, 5, 6]
    slots = KeyedVectors(2, count=3)
    slots.add_vectors(["x", "y"], [[1, 1], [2, 2]])  # a batch fills the free slots too
    assert slots.index_to_key == ["x", "y", None] and slots.next_index == 2
    assert_consistent(slots)
    for bad in ((0,), (3, -1), (True,)):
        with pytest.raises(ValueError, match="must be an int"):
            KeyedVectors(*bad)


def test_add_and_set_match_gensim():
    ours = random_kv(n=6, dim=4, counts=False)
    theirs = gensim_copy(ours)
    rng = np.random.default_rng(5)
    steps = [("add", "new1", rng.standard_normal(4)),
             ("add", ["w1", "new2", "new3"], rng.standard_normal((3, 4))),  # w1 kept
             ("set", "w2", rng.standard_normal(4)),
             ("set", ["new2", "new4", "w0"], list(rng.standard_normal((3, 4))))]
    for op, keys, vectors in steps:
        for kv in (ours, theirs):
            if kv is None:
                continue
            if op == "add":
                kv.add_vectors(keys, vectors)
            else:
                kv[keys] = vectors
    assert ours.index_to_key == ["w0", "w1", "w2", "w3", "w4", "w5", "new1", "new2", "new3", "new4"]
    np.testing.assert_array_equal(ours["w2"], steps[2][2].astype(np.float32))
    np.testing.assert_array_equal(ours["new2"], steps[3][2][0].astype(np.float32))
    assert_consistent(ours)
    if theirs is not None:
        assert ours.index_to_key == theirs.index_to_key
        np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def test_repeated_key_in_one_batch_is_added_once():
    kv = KeyedVectors(2)
    kv.add_vectors(["x", "x", "y"], [[1, 1], [2, 2], [3, 3]])  # first one kept, as if one by one
    assert kv.index_to_key == ["x", "y"] and kv["x"].tolist() == [1, 1]
    kv[["y", "z", "y"]] = [[4, 4], [5, 5], [6, 6]]  # replacing: the last one wins
    assert kv.index_to_key == ["x", "y", "z"] and kv["y"].tolist() == [6, 6]
    assert_consistent(kv)


def test_bad_additions_change_nothing():
    kv = random_kv(n=5, dim=3)
    before = kv.vectors.copy(), list(kv.index_to_key), kv.counts.copy()
    with pytest.raises(ValueError, match="expected 1 vectors of size 3"):
        kv.add_vectors("new", [1, 2])
    with pytest.raises(ValueError, match=r"expected 2 vectors of size 3 .* got shape \(1, 3\)"):
        kv.add_vectors(["a", "b"], [[1, 2, 3]])
    with pytest.raises(ValueError, match="one shape"):
        kv.add_vectors(["a", "b"], [[1, 2, 3], [1, 2]])
    with pytest.raises(ValueError, match="keys must be str or int"):
        kv.add_vectors([None], [[1, 2, 3]])
    with pytest.raises(ValueError, match="extras"):
        kv.add_vectors(["a"], [[1, 2, 3]], extras={"count": [1, 2]})
    with pytest.raises(TypeError, match="count"):
        kv.add_vectors(["a"], [[1, 2, 3]], extras={"count": np.array([0.5])})
    with pytest.raises(ValueError, match="already present"):
        kv.add_vector("w1", [1, 2, 3])
    with pytest.raises(ValueError, match="expected 1 vectors"):
        kv["w1"] = np.zeros(4)
    np.testing.assert_array_equal(kv.vectors, before[0])
    assert kv.index_to_key == before[1] and kv.counts.tolist() == before[2].tolist()


def test_edits_drop_caches_so_cosines_stay_at_most_one(tmp_path):
    kv = random_kv(n=20, dim=6)
    kv.most_similar("w1")  # fill norms and unit vectors
    kv["w1"] = kv["w2"] * 100
    assert kv.norms[1] == pytest.approx(100 * kv.norms[2], rel=1e-6)
    top, score = kv.most_similar("w2", topn=1)[0]
    assert top == "w1" and score <= 1 + 1e-6
    kv.add_vectors(["big"], [kv["w3"] * 1000])
    assert kv.most_similar("w3", topn=1)[0] == ("big", pytest.approx(1.0, abs=1e-6))
    np.testing.assert_allclose(np.linalg.norm(kv.get_normed_vectors(), axis=1), 1, rtol=1e-6)
    vectors = kv.vectors
    vectors[4] *= 3  # the trainer's way: write in place, then assign the array back
    kv.vectors = kv.vectors
    assert kv.norms[4] == pytest.approx(np.linalg.norm(vectors[4]), rel=1e-6)
    kv.unit_normalize_all()
    np.testing.assert_allclose(np.linalg.norm(kv.vectors, axis=1), 1, rtol=1e-6)
    assert max(score for _, score in kv.most_similar("w3", topn=5)) <= 1 + 1e-6
    kv.save(tmp_path / "m")
    mapped = KeyedVectors.load(tmp_path / "m")  # read-only memory map: edits work on a copy
    mapped["w0"] = np.ones(6)
    assert mapped["w0"].tolist() == [1] * 6 and mapped.norms[0] == pytest.approx(6 ** 0.5)
    assert KeyedVectors.load(tmp_path / "m")["w0"].tolist() != [1] * 6


def test_unit_normalize_all_matches_gensim_and_keeps_zero_vectors():
    kv = random_kv(n=30, dim=5, counts=False)
    theirs = gensim_copy(kv)
    vectors = kv.vectors.copy()
    vectors[7] = 0
    kv.vectors = vectors
    kv.unit_normalize_all()
    assert not np.isnan(kv.vectors).any() and kv.vectors[7].tolist() == [0] * 5
    if theirs is not None:
        kv = random_kv(n=30, dim=5, counts=False)
        kv.unit_normalize_all()
        theirs.unit_normalize_all()
        np.testing.assert_array_equal(kv.vectors, theirs.vectors)
        np.testing.assert_array_equal(kv.most_similar("w3", topn=None), theirs.most_similar("w3", topn=None))


def test_vecattrs():
    kv = random_kv(n=4, dim=2)
    kv.set_vecattr("w1", "count", 7)
    assert kv.counts[1] == 7 and kv.get_vecattr("w1", "count") == 7  # one array: counts is 'count'
    kv.set_vecattr("w2", "weight", 0.25)
    assert kv.get_vecattr("w2", "weight") == 0.25 and kv.get_vecattr("w0", "weight") == 0.0
    kv.set_vecattr("w0", "tag", "noun")
    assert kv.expandos["tag"].dtype == object
    with pytest.raises(TypeError, match="count"):
        kv.set_vecattr("w1", "count", 1.5)
    with pytest.raises(KeyError, match="missing"):
        kv.get_vecattr("w1", "missing")
    with pytest.raises(KeyError, match="not present"):
        kv.set_vecattr("nope", "count", 1)
    kv.add_vectors(["new"], [[1, 1]])
    assert kv.get_vecattr("new", "count") == 0 and kv.get_vecattr("new", "tag") is None
    assert_consistent(kv)


def test_index_to_key_and_norms_setters():
    kv = random_kv(n=4, dim=2)
    kv.index_to_key = ["d", "c", "b", "a"]
    assert kv.key_to_index == {"d": 0, "c": 1, "b": 2, "a": 3}
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        kv.index_to_key = ["a", "a", "b", "c"]
    norms = kv.norms
    kv.norms = None  # gensim's idiom after editing vectors
    assert kv.norms is not norms
    with pytest.raises(ValueError, match="assign None"):
        kv.norms = np.ones(4)


def test_sort_by_descending_frequency_matches_gensim():
    kv = random_kv(n=8, dim=3)
    kv.counts = [3, 5, 3, 9, 5, 1, 3, 0]
    theirs = gensim_copy(kv)
    vector_of = {key: kv[key].copy() for key in kv.index_to_key}
    kv.sort_by_descending_frequency()
    # descending counts; equal counts in reverse index order, as gensim's lexsort gives
    assert kv.index_to_key == ["w3", "w4", "w1", "w6", "w2", "w0", "w5", "w7"]
    assert kv.counts.tolist() == [9, 5, 5, 3, 3, 3, 1, 0]
    assert all(np.array_equal(kv[key], vector_of[key]) for key in kv.index_to_key)
    assert_consistent(kv)
    if theirs is not None:
        theirs.sort_by_descending_frequency()
        assert kv.index_to_key == theirs.index_to_key
    with pytest.raises(KeyError, match="counts"):
        random_kv(counts=False).sort_by_descending_frequency()


def test_resize_vectors_matches_gensim():
    kv = KeyedVectors(4)
    kv.add_vectors(["a"], [[1, 2, 3, 4]])
    kv.set_vecattr("a", "count", 5)
    kv.index_to_key = ["a", "b", "c"]
    kv.resize_vectors(seed=3)
    assert kv["a"].tolist() == [1, 2, 3, 4] and kv.counts.tolist() == [5, 0, 0]
    assert np.all(np.abs(kv.vectors[1:]) < 1 / 4)  # uniform in [-1/dim, 1/dim)
    assert_consistent(kv)
    gensim = pytest.importorskip("gensim")
    theirs = gensim.models.KeyedVectors(4)
    theirs.add_vectors(["a"], np.array([[1, 2, 3, 4]]))
    theirs.index_to_key = ["a", "b", "c"]
    theirs.resize_vectors(seed=3)
    np.testing.assert_array_equal(kv.vectors, theirs.vectors)


# ---------------------------------------------------------------- queries

@pytest.mark.parametrize("kwargs", [dict(), dict(weights=[1, 2, 3, 1, 2]), dict(pre_normalize=False),
                                    dict(post_normalize=True), dict(weights=np.arange(1.0, 6.0))])
def test_get_mean_vector(kwargs):
    kv = random_kv()
    keys = ["w1", "w2", kv["w3"], 4, "not a key"]
    mean = kv.get_mean_vector(keys, **kwargs)
    weights = np.asarray(kwargs.get("weights", np.ones(5)), dtype=np.float64)[:4]
    rows = np.array([kv.get_vector(k, norm=kwargs.get("pre_normalize", True)) for k in ("w1", "w2")]
                    + [kv["w3"], kv.get_vector(4, norm=kwargs.get("pre_normalize", True))], dtype=np.float64)
    expected = weights @ rows / weights.sum()
    if kwargs.get("post_normalize"):
        expected = unit(expected)
    np.testing.assert_allclose(mean, expected, rtol=1e-5, atol=1e-6)
    theirs = gensim_copy(kv)
    if theirs is not None:
        np.testing.assert_array_equal(mean, theirs.get_mean_vector(keys, **kwargs))


def test_get_mean_vector_errors():
    kv = random_kv()
    assert not kv.get_mean_vector(["nope"]).any()
    with pytest.raises(ValueError, match="no input"):
        kv.get_mean_vector([])
    with pytest.raises(ValueError, match="same number"):
        kv.get_mean_vector(["w1", "w2"], weights=[1.0])
    with pytest.raises(KeyError, match="nope"):
        kv.get_mean_vector(["w1", "nope"], ignore_missing=False)
    with pytest.raises(ValueError, match="shape"):
        kv.get_mean_vector([np.ones(3)])


def test_self_similarity_is_exact():
    kv = random_kv(n=400, dim=10)
    assert all(kv.similarity(key, key) == 1.0 and kv.distance(key, key) == 0.0 for key in kv.index_to_key)
    assert kv.n_similarity(["w1", "w2"], ["w2", "w1"]) == 1.0
    assert kv.similarity("w1", "w2") == pytest.approx(float(unit(kv["w1"]) @ unit(kv["w2"])), abs=1e-7)
    zero = KeyedVectors(np.zeros((2, 3), np.float32), ["a", "b"])
    assert zero.similarity("a", "b") == 0.0  # gensim's unitvec leaves zero vectors zero
    theirs = gensim_copy(kv)
    if theirs is not None:
        # gensim's float32 dot of unit vectors misses 1 for some keys; ours is within a few ulps
        assert any(float(theirs.similarity(k, k)) != 1.0 for k in kv.index_to_key)
        assert all(abs(kv.similarity(a, b) - float(theirs.similarity(a, b))) < 3e-7
                   for a, b in zip(kv.index_to_key, kv.index_to_key[1:]))


def test_small_queries_match_gensim():
    kv = random_kv()
    assert kv.most_similar_to_given("w1", ["w2", "w3", "w4"]) == \
        ["w2", "w3", "w4"][int(np.argmax([kv.similarity("w1", k) for k in ("w2", "w3", "w4")]))]
    top = kv.most_similar("w1", topn=4)
    assert kv.relative_cosine_similarity("w1", "w9", 4) == pytest.approx(
        kv.similarity("w1", "w9") / sum(s for _, s in top), rel=1e-12)
    with pytest.raises(ValueError, match="without any similar words"):
        kv.relative_cosine_similarity("w1", "w2", topn=0)
    ranked = kv.rank_by_centrality(["w1", "w2", "w3", "nope"])
    units = unit(kv[["w1", "w2", "w3"]])
    sims = units @ unit(units.mean(axis=0))
    assert [w for _, w in ranked] == [["w1", "w2", "w3"][i] for i in np.argsort(-sims)]
    np.testing.assert_allclose([s for s, _ in ranked], np.sort(sims)[::-1], atol=1e-6)
    np.testing.assert_allclose(kv.cosine_similarities(kv["w1"], kv.vectors[:5]),
                               unit(kv.vectors[:5]) @ unit(kv["w1"]), atol=1e-6)
    clipped = kv.most_similar("w1", topn=3, clip_start=10, clip_end=30)
    assert all(10 <= kv.key_to_index[k] < 30 for k, _ in clipped)
    assert kv.most_similar("w1", topn=None, clip_start=10, clip_end=30).shape == (20,)
    theirs = gensim_copy(kv)
    if theirs is not None:
        given = ["w2", "w3", "w4"]
        assert kv.most_similar_to_given("w1", given) == theirs.most_similar_to_given("w1", given)
        assert kv.relative_cosine_similarity("w1", "w9", 4) == pytest.approx(
            theirs.relative_cosine_similarity("w1", "w9", 4), abs=1e-6)
        assert [w for _, w in ranked] == [w for _, w in theirs.rank_by_centrality(["w1", "w2", "w3", "nope"])]
        np.testing.assert_array_equal(kv.cosine_similarities(kv["w1"], kv.vectors[:5]),
                                      theirs.cosine_similarities(theirs["w1"], theirs.vectors[:5]))
        assert clipped == theirs.most_similar("w1", topn=3, clip_start=10, clip_end=30)


def test_indexer_is_asked_for_int_topn():
    class Indexer:
        def most_similar(self, vector, topn):
            self.query = vector
            return [("answer", 1.0)] * topn
    kv, indexer = random_kv(), Indexer()
    assert kv.most_similar("w1", topn=2, indexer=indexer) == [("answer", 1.0)] * 2
    np.testing.assert_allclose(indexer.query, kv.get_vector("w1", norm=True), rtol=1e-6)


def test_vectors_for_all():
    kv = random_kv()
    sub = kv.vectors_for_all(["w5", "nope", "w2", "w5", 7])
    assert sub.index_to_key == ["w5", "w2", 7] and sub.counts.tolist() == [3, 2, 1]  # made up, as gensim
    np.testing.assert_array_equal(sub[7], kv["w7"])
    assert kv.vectors_for_all(["w5", 7], allow_inference=False).index_to_key == ["w5"]
    copied = kv.vectors_for_all(["w5", "w2"], copy_vecattrs=True)
    assert copied.counts.tolist() == [kv.get_vecattr("w5", "count"), kv.get_vecattr("w2", "count")]
    copied["w5"] = np.zeros(12)
    assert kv["w5"].any()  # an independent copy
    assert len(kv.vectors_for_all(["nope"])) == 0


def test_wmdistance():
    pytest.importorskip("scipy")
    kv = random_kv(n=10, dim=4)
    units = {k: kv.get_vector(k, norm=True).astype(np.float64) for k in kv.index_to_key}

    def dist(a, b):
        return np.linalg.norm(units[a] - units[b])
    # two words each, equal masses: the optimal plan is one of the two matchings
    expected = min(dist("w1", "w3") + dist("w2", "w4"), dist("w1", "w4") + dist("w2", "w3")) / 2
    assert kv.wmdistance(["w1", "w2"], ["w3", "w4", "nope"]) == pytest.approx(expected, abs=1e-9)
    assert kv.wmdistance(["w1", "w1", "w2"], ["w3"]) == pytest.approx(
        (2 * dist("w1", "w3") + dist("w2", "w3")) / 3, abs=1e-9)
    assert kv.wmdistance(["w1"], ["w1", "w1"]) == 0.0
    assert kv.wmdistance(["w1"], ["nope"]) == float("inf")


def test_deprecated_aliases():
    kv = random_kv()
    with pytest.warns(DeprecationWarning):
        np.testing.assert_array_equal(kv.word_vec("w1"), kv["w1"])
    with pytest.warns(DeprecationWarning):
        assert kv.words_closer_than("w1", "w2") == kv.closer_than("w1", "w2")
    with pytest.warns(DeprecationWarning):
        kv.init_sims()


def test_int_keys(tmp_path):
    kv = KeyedVectors(2)
    kv.add_vectors([100, "a"], [[1, 2], [3, 4]])
    assert kv.get_index(100) == 0 and kv[100].tolist() == [1, 2] and kv[1].tolist() == [3, 4]
    assert 100 in kv and True not in kv
    kv.save_word2vec_format(tmp_path / "v.txt")  # written as text, as gensim does
    assert KeyedVectors.load_word2vec_format(tmp_path / "v.txt").index_to_key == ["100", "a"]
    with pytest.raises(ValueError, match="keys must be str to be saved, got int"):
        kv.save(tmp_path / "native")
    with pytest.raises(ValueError, match="keys must be str, got NoneType"):
        KeyedVectors(2, 1).save_word2vec_format(tmp_path / "slots.txt")  # an unfilled slot


# ---------------------------------------------------------------- word2vec files with vocabularies

def test_fvocab_round_trip(tmp_path, caplog):
    kv = random_kv(n=6, dim=3)
    kv.counts = [4, 9, 4, 1, 9, 0]
    kv.save_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
    # keys by descending count, ties in index order, in both files (as gensim writes them)
    assert (tmp_path / "v.vocab").read_text().split("\n") == [
        "w1 9", "w4 9", "w0 4", "w2 4", "w3 1", "w5 0", ""]
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
    assert back.index_to_key == ["w1", "w4", "w0", "w2", "w3", "w5"]
    assert back.counts.tolist() == [9, 9, 4, 4, 1, 0]
    np.testing.assert_array_equal(back["w4"], kv["w4"])
    (tmp_path / "short.vocab").write_text("w1 9\n\nw4 8\n")
    back = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "short.vocab")
    assert back.counts.tolist() == [9, 8, 0, 0, 0, 0] and "4 keys missing" in caplog.text
    theirs = gensim_copy(kv)
    if theirs is not None:
        theirs.save_word2vec_format(str(tmp_path / "g.txt"), fvocab=str(tmp_path / "g.vocab"))
        assert (tmp_path / "g.vocab").read_bytes() == (tmp_path / "v.vocab").read_bytes()
        from gensim.models import KeyedVectors as GensimKeyedVectors
        loaded = GensimKeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"), fvocab=str(tmp_path / "v.vocab"))
        assert loaded.index_to_key == back.index_to_key


def test_save_word2vec_format_options(tmp_path):
    kv = random_kv(n=3, dim=2, counts=False)
    with pytest.raises(TypeError, match="pass binary= by keyword"):
        kv.save_word2vec_format(tmp_path / "v.bin", True)  # gensim's order: fname, fvocab, binary
    with pytest.raises(TypeError, match="pass binary= by keyword"):
        KeyedVectors.load_word2vec_format(tmp_path / "v.bin", True)  # would open file descriptor 1
    with pytest.raises(ValueError, match="'count' because that attribute does not exist"):
        kv.save_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab")
    kv.save_word2vec_format(tmp_path / "v.txt", prefix="p_", total_vec=5)
    lines = (tmp_path / "v.txt").read_text().splitlines()
    assert lines[0] == "5 2" and [line.split()[0] for line in lines[1:]] == ["p_w0", "p_w1", "p_w2"]
    kv.save_word2vec_format(tmp_path / "v.txt", write_header=False, append=True)
    assert len((tmp_path / "v.txt").read_text().splitlines()) == 7
    KeyedVectors(np.ones((1, 2), np.float32), ["x"]).save_word2vec_format(tmp_path / "u.txt", append=True)
    assert (tmp_path / "u.txt").read_text().startswith("1 2\nx 1 1")  # append to no file: a new one


def test_strict_decoding_error_is_a_unicode_decode_error(tmp_path):
    from fastw2v.formats import KeyDecodeError, VectorsFormatError
    (tmp_path / "v.txt").write_bytes(b"1 2\ncaf\xe9 1 2\n")
    (tmp_path / "v.vocab").write_bytes(b"caf\xe9 3\n")
    for fvocab in (None, tmp_path / "v.vocab"):
        with pytest.raises(UnicodeDecodeError) as info:
            KeyedVectors.load_word2vec_format(tmp_path / "v.txt", fvocab=fvocab)
        assert isinstance(info.value, KeyDecodeError) and isinstance(info.value, VectorsFormatError)
        assert str(info.value).startswith(("v.txt: line 2", "v.vocab: line 1"))
    kv = KeyedVectors.load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "v.vocab", unicode_errors="ignore")
    assert kv.index_to_key == ["caf"] and kv.get_vecattr("caf", "count") == 3


def test_intersect_word2vec_format(tmp_path):
    kv = random_kv(n=5, dim=2)
    kv.most_similar("w1")  # caches
    KeyedVectors(np.array([[9, 9], [7, 7]], np.float32), ["w1", "other"]).save_word2vec_format(tmp_path / "f.txt")
    assert kv.intersect_word2vec_format(tmp_path / "f.txt") == 1
    assert kv["w1"].tolist() == [9, 9] and "other" not in kv
    assert kv.norms[1] == pytest.approx(9 * 2 ** 0.5)
    KeyedVectors(np.ones((1, 3), np.float32), ["w1"]).save_word2vec_format(tmp_path / "g.txt")
    with pytest.raises(ValueError, match="incompatible vector size 3"):
        kv.intersect_word2vec_format(tmp_path / "g.txt")


def test_a_query_vector_of_another_size_is_named_in_the_error():
    # NumPy's "could not be broadcast" / "not aligned" before (gensim's too)
    kv = random_kv()
    wrong = np.ones(kv.vector_size + 1, dtype=np.float32)
    for query in (lambda: kv.similar_by_vector(wrong), lambda: kv.most_similar(["w1", wrong]),
                  lambda: kv.most_similar_cosmul([wrong]), lambda: kv.distances(wrong, ["w1"]),
                  lambda: kv.get_mean_vector([wrong])):
        with pytest.raises(ValueError, match=rf"vector of shape \(13,\) given, expected \(12,\)"):
            query()


def test_gensim_3_attributes_name_their_replacement():
    kv = random_kv()
    for name, instead in (("vocab", "key_to_index"), ("index2word", "index_to_key"),
                          ("syn0", "vectors"), ("syn0norm", "get_normed_vectors")):
        with pytest.raises(AttributeError, match=rf"KeyedVectors.{name} is gensim 3's.*{instead}"):
            getattr(kv, name)
        assert not hasattr(kv, name)
