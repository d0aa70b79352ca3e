"""KeyedVectors: trained word vectors to query, evaluate, edit and save, with gensim's API.

Scores follow gensim 4.4 operation by operation (same float32 arithmetic, same ranking
procedure), so answers, their order and their scores match gensim's. Two deliberate
exceptions: :meth:`KeyedVectors.similarity` (and :meth:`~KeyedVectors.distance`,
:meth:`~KeyedVectors.n_similarity`) compute the cosine in float64 and round it to
float32, so a key's similarity with itself is exactly 1 (gensim's float32 dot product
of two unit vectors gives 0.99999994 for 481 of the 2,747 keys of its own test vectors);
and a few inputs that gensim silently mishandles raise an error instead (see each method).

Per-key norms and unit vectors are computed once, on first use, and dropped whenever
the vectors change: assigning ``vectors``, or any method that writes rows
(``add_vectors``, ``kv[key] = vector``, ``unit_normalize_all``, ...). Writing into the
array directly is not detected: assign it back (``kv.vectors = kv.vectors``) afterwards.
The class is assembled from three modules: :mod:`fastw2v.vectorstore` (storage, keys,
per-key attributes, adding and replacing vectors), :mod:`fastw2v.kvio` (word2vec and
native files) and this one (lookups, similarity queries, evaluation), with the shared
arithmetic in :mod:`fastw2v.vecmath`.
"""

import logging
import warnings
from numbers import Integral

import numpy as np

from fastw2v import evaluation, vecmath
from fastw2v.kvio import VectorFiles
from fastw2v.vectorstore import KEY_TYPES as _KEY_TYPES
from fastw2v.vectorstore import VectorStore

logger = logging.getLogger(__name__)

# 3CosMul (Levy & Goldberg 2014, eq. 4) divides by the product of the negative terms'
# similarities; gensim adds this epsilon to avoid division by zero.
_COSMUL_EPSILON = 0.000001


def _no_neighbours(topn):
    """True where ``topn`` asks for no neighbours (gensim then returns ``[]``).

    TypeError where it is neither an int nor None (a float reached NumPy's
    partition and failed there, with NumPy's words).
    """
    if topn is not None and not isinstance(topn, Integral):
        raise TypeError(f"topn must be an int or None, not {topn!r}")
    return topn is not None and topn < 1


def _refuse_bytes(value):
    """Raise TypeError for bytes given as keys.

    Iterated, ``b"king"`` is the row numbers 107, 105, 110, 103, so a query
    would quietly answer for four other words (gensim does so in most methods).
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"keys are str, not bytes: decode {bytes(value[:40])!r} first")


def _ensure_list(value):
    """A single key or vector becomes a one-element list; a 2-D array a list of rows."""
    _refuse_bytes(value)
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)


def _mean_weights(weights, n):
    """Weights for :meth:`KeyedVectors.get_mean_vector`, as gensim types them.

    None gives float32 ones and a list a float32 array; an array is used as given (so
    most_similar's float64 weights make the mean float64 before it is normalised).
    """
    if weights is None:
        weights = np.ones(n, dtype=np.float32)
    elif not isinstance(weights, np.ndarray):
        weights = np.array(weights, dtype=np.float32)
    if weights.shape != (n,):
        raise ValueError(f"keys and weights must have the same number of elements: "
                         f"{n} keys, weights of shape {weights.shape}")
    return weights


def _removed(name, instead):
    """An attribute of gensim 3 that raises AttributeError naming gensim 4's replacement."""
    def refuse(self, *value):
        raise AttributeError(f"KeyedVectors.{name} is gensim 3's; since gensim 4 (and in "
                             f"fastw2v) use {instead}")
    return property(refuse, refuse)


class KeyedVectors(VectorFiles, VectorStore):
    """Vectors indexed by keys (words), as produced by the fastw2v trainer.

    Two ways to construct one:

    ``KeyedVectors(vectors, index_to_key, counts=None)``
        from a matrix and its keys (fastw2v's form);
    ``KeyedVectors(vector_size, count=0, dtype=np.float32, mapfile_path=None)``
        empty, to fill with :meth:`add_vectors` or ``kv[key] = vector`` (gensim's form).
        `count` preallocates that many slots (key None, zero vector) that
        :meth:`add_vector` and :meth:`add_vectors` fill in order.

    The form is chosen by the first argument: an int is a `vector_size`.

    Parameters
    ----------
    vectors : numpy.ndarray, shape (n, dim), float32 or float16
        One row per key. float16 is kept as the storage type (half the memory); all
        computations are done in float32. Other dtypes are converted to float32.
    index_to_key : sequence of str, length n
        The key of each row, usually by descending frequency. Keys must be unique.
    counts : numpy.ndarray, shape (n,), int64, optional
        Corpus frequency of each key, when known.
    vector_size : int
        Dimensionality, for an empty object.
    count : int
        Number of preallocated slots, for an empty object.
    dtype : numpy dtype
        float16 or float32 (any other float is stored as float32).
    mapfile_path : str, optional
        Kept as an attribute, unused (as in gensim).

    Attributes
    ----------
    vectors : numpy.ndarray, shape (n, dim)
    index_to_key : list of str
    key_to_index : dict of str to int
    counts : numpy.ndarray, shape (n,), int64, or None
    expandos : dict of str to numpy.ndarray
        Per-key attributes (see :meth:`set_vecattr`); ``expandos['count'] is counts``.
    vector_size : int
    """

    def __init__(self, *args, **kwargs):
        first = args[0] if args else kwargs.get("vector_size", kwargs.get("vectors"))
        if isinstance(first, Integral):  # bools too, refused there with a clear message
            self._init_empty(*args, **kwargs)
        else:
            self._init_from_arrays(*args, **kwargs)

    def __str__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    # gensim 3's names, gone in gensim 4 (and never in fastw2v): say what replaced them
    vocab = _removed("vocab", "key_to_index (key -> row), index_to_key (row -> key) and "
                              "get_vecattr(key, 'count')")
    index2word = _removed("index2word", "index_to_key")
    index2entity = _removed("index2entity", "index_to_key")
    syn0 = _removed("syn0", "vectors")
    syn0norm = _removed("syn0norm", "get_normed_vectors()")

    # ------------------------------------------------------------------ vectors

    def _row(self, index, norm=False):
        """Vector of row `index` as float32 (read-only view for float32 storage)."""
        if norm:
            with np.errstate(invalid="ignore", divide="ignore"):  # zero vector -> NaN, as gensim
                return self._vectors32()[index] / self.norms[index]
        result = self._vectors[index]
        if result.dtype != np.float32:
            return result.astype(np.float32)
        result = result.view()
        result.setflags(write=False)
        return result

    def get_vector(self, key, norm=False):
        """The vector of `key`, shape (dim,), float32 (read-only view for float32 storage).

        Parameters
        ----------
        key : str or int
        norm : bool
            Scale to unit length.
        """
        return self._row(self.get_index(key), norm)

    def word_vec(self, *args, **kwargs):
        """Deprecated alias of :meth:`get_vector` (as in gensim)."""
        warnings.warn("word_vec is deprecated; use get_vector", DeprecationWarning, stacklevel=2)
        return self.get_vector(*args, **kwargs)

    def __getitem__(self, key_or_keys):
        """Vector of one key, shape (dim,), or of a list of keys, shape (len(keys), dim)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        _refuse_bytes(key_or_keys)
        indices = [self.get_index(key) for key in key_or_keys]
        return np.asarray(self._vectors[indices], dtype=np.float32).reshape(len(indices), self.vector_size)

    def _unit_vectors(self, limit):
        """Unit vectors of the first `limit` keys, shape (limit, dim), float32, cached."""
        if self._unit is None or len(self._unit) < limit:
            with np.errstate(invalid="ignore", divide="ignore"):  # zero vectors -> NaN, as gensim
                self._unit = self._vectors32()[:limit] / self.norms[:limit, None]
        return self._unit[:limit]

    def _unit_rows(self, indices):
        """Unit vectors of the given rows, shape (len(indices), dim), float32; zero rows stay zero.

        (As gensim's ``unitvec``, so a zero vector's cosine with anything is 0,
        as :meth:`similarity` gives, not NaN.)
        """
        indices = np.asarray(indices, dtype=np.int64)
        rows = np.asarray(self._vectors[indices], dtype=np.float32)
        norms = self.norms[indices, None]
        return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape (n, dim), float32 (cached)."""
        return self._unit_vectors(len(self))

    def unit_normalize_all(self):
        """Scale every stored vector to unit length, in place (zero vectors stay zero).

        Destructive: the original lengths are lost. gensim turns zero vectors into NaN.
        As gensim, the norms of float32 vectors are then taken to be exactly 1 (rounding
        leaves them within a few 1e-8 of it), so later scores match gensim's.
        """
        vectors = self._writable_vectors()
        norms = self.norms[:, None]
        np.divide(vectors, norms, out=vectors, where=norms > 0)
        unit_norms = (norms[:, 0] > 0).astype(np.float32)
        self._commit_vectors(vectors)
        if vectors.dtype == np.float32:  # float16 rounding is too coarse: recompute those
            self._norms = unit_norms

    def init_sims(self, replace=False):
        """Deprecated (gensim): compute the norms; with `replace`, :meth:`unit_normalize_all`."""
        warnings.warn("init_sims is deprecated; use fill_norms or unit_normalize_all",
                      DeprecationWarning, stacklevel=2)
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of the vectors of `keys`, with gensim's arithmetic.

        mean = sum_i w_i v_i / sum_i |w_i| over the keys found, where v_i is the key's
        vector (scaled to unit length with `pre_normalize`) or a raw vector given in
        `keys`. Computed in float32 (float64 when `weights` is a float64 array).

        Parameters
        ----------
        keys : sequence of str, int or numpy.ndarray of shape (dim,)
        weights : list or numpy.ndarray of shape (len(keys),), optional
            Default: all 1.
        pre_normalize : bool
            Use unit vectors of the keys.
        post_normalize : bool
            Scale the mean to unit length (returned as float32).
        ignore_missing : bool
            Skip unknown keys; otherwise they raise ``KeyError``.

        Returns
        -------
        numpy.ndarray, shape (dim,)
            Zero when no key was found.

        Raises
        ------
        ValueError
            No keys, weights of another length, or a raw vector of another size.
        KeyError
            An unknown key, with ``ignore_missing=False``.
        """
        _refuse_bytes(keys)
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        weights = _mean_weights(weights, len(keys))
        items, used = [], []
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                items.append(self._raw_vector(key))
            else:
                index = self.get_index(key, -1)
                if index < 0:
                    if not ignore_missing:
                        raise KeyError(f"Key '{key}' not present in vocabulary")
                    continue
                items.append(index)
            used.append(weight)
        mean = self._weighted_mean(items, used, pre_normalize)
        if post_normalize:
            mean = vecmath.unitvec(mean).astype(np.float32)
        return mean

    def _weighted_mean(self, items, weights, pre_normalize):
        """sum w_i v_i / sum |w_i| over rows (int) and raw vectors, as gensim computes it.

        Each weighted term is added into a float32 accumulator; the total weight has the
        type of the weights, so the division gives float32, or float64 for float64 weights.
        """
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0
        for item, weight in zip(items, weights):
            vec = item if isinstance(item, np.ndarray) else self._row(item, pre_normalize)
            mean += weight * vec
            total += abs(weight)
        if total > 0:
            mean = mean / total
        return mean

    # ------------------------------------------------------------------ similarity queries

    def _raw_vector(self, vector):
        """``vector`` itself where its shape is ``(vector_size,)``; else a ValueError saying so.

        (A query vector of another size failed in NumPy, "operands could not be
        broadcast together" or "shapes not aligned".)
        """
        vector = np.asarray(vector)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"vector of shape {vector.shape} given, expected ({self.vector_size},)")
        return vector

    def _parse_terms(self, positive, negative):
        """[(row index or raw vector, weight), ...] from gensim-style positive/negative lists."""
        terms = []
        for items, default in ((_ensure_list(positive), 1.0), (_ensure_list(negative), -1.0)):
            for item in items:
                _refuse_bytes(item)  # (sliced as a (key, weight) pair: b"w1" is row 119)
                key, weight = (item, default) if isinstance(item, _KEY_TYPES + (np.ndarray,)) else item[:2]
                key = self._raw_vector(key) if isinstance(key, np.ndarray) else self.get_index(key)
                terms.append((key, float(weight)))
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        return terms

    def _gensim_mean(self, terms):
        """Unit-length weighted mean of unit vectors (raw vectors as given), float32 (dim,).

        gensim's most_similar passes float64 weights, so the mean is divided by the total
        weight in float64 before being normalised and rounded to float32.
        """
        weights = np.array([weight for _, weight in terms], dtype=np.float64)
        mean = self._weighted_mean([term for term, _ in terms], weights, pre_normalize=True)
        return vecmath.unitvec(mean).astype(np.float32)

    def _gensim_scores(self, query, limit, start=0):
        """Cosine of `query` (unit, shape (dim,)) with keys start..limit-1, shape (limit - start,)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.dot(self._vectors32()[start:limit], query) / self.norms[start:limit]

    def _limit(self, restrict_vocab):
        return min(restrict_vocab, len(self)) if restrict_vocab else len(self)

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Keys most similar to the weighted mean of `positive` minus `negative` (3CosAdd).

        Each input is a key, a row index, a raw vector, or a ``(key_or_vector, weight)``
        pair (default weights +1 / -1). Key vectors are unit-normalised, averaged with the
        weights (divided by the sum of absolute weights) and the mean normalised; scores
        are cosines. Input keys are not returned.

        Parameters
        ----------
        positive, negative : key, vector, or list of them, optional
        topn : int or None
            Number of results; None returns the scores of all candidates.
        clip_start, clip_end : int, optional
            Only keys clip_start .. clip_end - 1 are candidates.
        restrict_vocab : int, optional
            Only the first `restrict_vocab` keys are candidates (overrides the clips).
        indexer : object, optional
            An approximate-neighbour index with ``most_similar(vector, topn)`` (gensim's
            AnnoyIndexer...), asked instead when `topn` is an int.

        Returns
        -------
        list of (str, float), or numpy.ndarray of shape (clip_end - clip_start,) when topn is None

        Raises
        ------
        KeyError
            An input key is unknown.
        """
        if _no_neighbours(topn):
            return []
        terms = self._parse_terms(positive, negative)
        query = self._gensim_mean(terms)
        if indexer is not None and isinstance(topn, Integral):
            return indexer.most_similar(query, topn)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        clip_end = min(clip_end or len(self), len(self))
        scores = self._gensim_scores(query, clip_end, clip_start)
        if not topn:
            return scores
        inputs = [term for term, _ in terms if not isinstance(term, np.ndarray)]
        best = evaluation.argsort_top(scores, topn + len(inputs))
        result = [(self.index_to_key[i + clip_start], float(scores[i]))
                  for i in best if i + clip_start not in inputs]
        return result[:topn]

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Keys maximising the 3CosMul objective of Levy & Goldberg (2014).

        score(w) = prod_p s(w, p) / (prod_n s(w, n) + 1e-6) with s = (1 + cos) / 2, the
        cosine shifted to [0, 1]. Key inputs use unit vectors; raw vectors are used as given.
        Unlike gensim (which ignores it), `restrict_vocab` is honoured.

        Parameters
        ----------
        positive, negative : key, vector, or list of them, optional
        topn : int or None
        restrict_vocab : int, optional

        Returns
        -------
        list of (str, float), or numpy.ndarray when topn is None
        """
        if _no_neighbours(topn):
            return []
        positive, negative = _ensure_list(positive), _ensure_list(negative)
        if not positive:
            raise ValueError("cannot compute similarity with no input")
        inputs = {self.get_index(k) for k in positive + negative if not isinstance(k, np.ndarray)}
        limit = self._limit(restrict_vocab)
        vectors, norms = self._vectors32()[:limit], self.norms[:limit]

        def shifted(terms):
            out = []
            for term in terms:
                vec = self._raw_vector(term) if isinstance(term, np.ndarray) else \
                    self.get_vector(term, norm=True)
                with np.errstate(invalid="ignore", divide="ignore"):
                    out.append((1 + np.dot(vectors, vec) / norms) / 2)
            return out

        scores = np.prod(shifted(positive), axis=0) / (np.prod(shifted(negative), axis=0) + _COSMUL_EPSILON)
        if not topn:
            return scores
        best = evaluation.argsort_top(scores, topn + len(inputs))
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in inputs][:topn]

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Keys most similar to `key`; see :meth:`most_similar`."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """Alias of :meth:`similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Keys most similar to a raw vector of shape (dim,); see :meth:`most_similar`."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_to_given(self, key1, keys_list):
        """The key of `keys_list` most similar to `key1` (the first one on ties)."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    def similarity(self, w1, w2):
        """Cosine similarity of two keys (float; exactly 1.0 for a key with itself).

        See :func:`fastw2v.vecmath.cosine`: computed in float64, rounded to float32.
        """
        return vecmath.cosine(self.get_vector(w1), self.get_vector(w2))

    def distance(self, w1, w2):
        """Cosine distance ``1 - similarity(w1, w2)`` (exactly 0 for a key with itself)."""
        return 1.0 - self.similarity(w1, w2)

    def relative_cosine_similarity(self, wa, wb, topn=10):
        """Relative cosine similarity of `wb` to `wa` (Leeuwenberg et al. 2016, eq. 1).

        rcs(wa, wb) = cos(wa, wb) / sum of the cosines of the `topn` keys most similar to
        `wa`. Above 1 / topn, wb is closer to wa than an average top-n neighbour: the paper
        takes rcs > 0.10 (topn = 10) as a sign of synonymy.

        Raises
        ------
        ValueError
            No neighbours (`topn` < 1, or a single key).
        """
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return self.similarity(wa, wb) / sum(sim for _, sim in sims)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity between the means of two lists of keys (raw, not unit, vectors).

        Unlike gensim, which silently skips them, unknown keys raise ``KeyError``.
        """
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return vecmath.cosine(mean1, mean2)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosines of `vector_1` (dim,) with each row of `vectors_all` (n, dim), shape (n,)."""
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.dot(vectors_all, vector_1) / (norm * all_norms)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to `other_words` (all keys when empty).

        Returns
        -------
        numpy.ndarray, shape (len(other_words),) or (n,), float32
        """
        if isinstance(word_or_vector, _KEY_TYPES):
            vector = self.get_vector(word_or_vector)
        else:
            vector = self._raw_vector(word_or_vector)
        if not other_words:
            others, other_norms = self._vectors32(), self.norms
        else:
            indices = [self.get_index(word) for word in other_words]
            others = self._vectors32()[indices]
            other_norms = np.linalg.norm(others, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1 - np.dot(others, vector) / (np.linalg.norm(vector) * other_norms)

    def closer_than(self, key1, key2):
        """Keys closer to `key1` than `key2` is (in cosine distance), in index order."""
        dists = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(dists < dists[i2]) if i != i1]

    def words_closer_than(self, word1, word2):
        """Deprecated alias of :meth:`closer_than` (as in gensim)."""
        warnings.warn("words_closer_than is deprecated; use closer_than", DeprecationWarning, stacklevel=2)
        return self.closer_than(word1, word2)

    def rank(self, key1, key2):
        """Rank of `key2` among all keys by distance from `key1` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def rank_by_centrality(self, words, use_norm=True):
        """``(similarity, word)`` pairs, most similar to the centroid of `words` first.

        The centroid is the normalised mean of the words' vectors (unit vectors with
        `use_norm`). Unknown keys are ignored with a warning (as in gensim).

        Raises
        ------
        ValueError
            None of `words` is known.
        """
        _refuse_bytes(words)
        used = [word for word in words if word in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vectors = np.vstack([self.get_vector(word, norm=use_norm) for word in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        dists = np.dot(vectors, mean)
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The key of `words` furthest from the centroid (see :meth:`rank_by_centrality`)."""
        return self.rank_by_centrality(words)[-1][1]

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance between two documents (Kusner et al. 2015).

        The least total Euclidean distance to move the words of one document onto those
        of the other, each document being a distribution over its distinct words
        (frequency / length). Unknown words are dropped.

        Parameters
        ----------
        document1, document2 : list of str
        norm : bool
            Use unit vectors.

        Returns
        -------
        float
            ``inf`` when a document has no known word; 0 for the same single word.
            (gensim also returns ``inf`` when all distances are zero; this gives 0.)

        Raises
        ------
        ImportError
            Neither POT nor scipy is installed.
        """
        docs = [[word for word in doc if word in self] for doc in (document1, document2)]
        if len(docs[0]) < len(document1) or len(docs[1]) < len(document2):
            logger.info("Removed %d and %d OOV words from document 1 and 2 (respectively).",
                        len(document1) - len(docs[0]), len(document2) - len(docs[1]))
        if not docs[0] or not docs[1]:
            logger.warning("At least one of the documents had no words that were in the vocabulary.")
            return float("inf")
        vocabularies = [sorted(set(doc)) for doc in docs]
        if len(set(vocabularies[0]) | set(vocabularies[1])) == 1:
            return 0.0
        masses = [np.array([doc.count(word) for word in vocab], dtype=np.float64) / len(doc)
                  for doc, vocab in zip(docs, vocabularies)]
        v1, v2 = (np.array([self.get_vector(word, norm=norm) for word in vocab], dtype=np.float64)
                  for vocab in vocabularies)
        cost = np.sqrt(((v1[:, None, :] - v2[None, :, :]) ** 2).sum(axis=2))
        return vecmath.earth_movers_distance(masses[0], masses[1], cost)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False):
        """A new KeyedVectors with the vectors of the given keys that are known.

        Keys are deduplicated, keeping their first position. As in gensim, the new object
        gets made-up descending counts (n - i), replaced by the real attributes with
        `copy_vecattrs`.

        Parameters
        ----------
        keys : iterable of str
        allow_inference : bool
            Also accept row indices as keys (``key in self``); else only true keys.
        copy_vecattrs : bool
            Copy the per-key attributes (``counts`` among them).

        Returns
        -------
        KeyedVectors
        """
        known = self if allow_inference else self.key_to_index
        vocab = [key for key in dict.fromkeys(keys) if key in known]
        indices = [self.get_index(key) for key in vocab]
        vectors = np.asarray(self._vectors[indices]).reshape(len(indices), self.vector_size)
        result = KeyedVectors(vectors, vocab, counts=np.arange(len(vocab), 0, -1))
        if copy_vecattrs:
            for attr, values in self.expandos.items():
                result.expandos[attr] = values[indices]
        return result

    # ------------------------------------------------------------------ evaluation

    def evaluate_word_analogies(self, analogies=evaluation.BUNDLED_ANALOGIES, restrict_vocab=300000,
                                case_insensitive=True, dummy4unknown=False,
                                similarity_function="most_similar"):
        """Accuracy on an analogy test set ("a b c d": a is to b as c is to d).

        Gives exactly gensim 4.4's results: the answer to a question is the first of
        ``most_similar(positive=[b, c], negative=[a], topn=5, restrict_vocab=...)`` not
        equal to a, b or c (after case folding), but questions are answered in batches
        (see :func:`fastw2v.evaluation.answer_analogies`).

        Parameters
        ----------
        analogies : str
            File with ``": section"`` lines and 4-word question lines; by default the
            bundled Google analogy set (questions-words.txt).
        restrict_vocab : int or None
            Only the first `restrict_vocab` keys are used; questions with other words are
            out of vocabulary (OOV).
        case_insensitive : bool
            Compare words upper-cased; the first key of each folded form is used.
        dummy4unknown : bool
            Count OOV questions as incorrect instead of skipping them.
        similarity_function : {'most_similar', 'most_similar_cosmul'}
            3CosAdd (answered in batches) or 3CosMul (Levy and Goldberg, 2014;
            question by question, so slower). gensim 4.4 takes the second name
            too but answers by 3CosAdd whatever it is given.

        Returns
        -------
        score : float
            Overall accuracy (0.0 when no question was answered).
        sections : list of dict
            ``{'section': name, 'correct': [(a, b, c, d), ...], 'incorrect': [...]}`` per
            section, then a ``'Total accuracy'`` section.
        """
        if similarity_function not in ("most_similar", "most_similar_cosmul"):
            raise ValueError(f"unsupported similarity_function {similarity_function!r}")
        return evaluation.evaluate_word_analogies(
            self, analogies, restrict_vocab, case_insensitive, dummy4unknown,
            cosmul=similarity_function == "most_similar_cosmul")

    def evaluate_word_pairs(self, pairs=evaluation.BUNDLED_WORD_PAIRS, delimiter="\t", encoding="utf8",
                            restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
        """Correlation of cosine similarities with human similarity judgements.

        Parameters
        ----------
        pairs : str
            File of ``word1<delimiter>word2<delimiter>score`` lines (``#`` lines are
            comments); by default the bundled WordSim-353.
        delimiter, encoding : str
        restrict_vocab : int or None
        case_insensitive : bool
        dummy4unknown : bool
            Give OOV pairs similarity 0 instead of skipping them.

        Returns
        -------
        pearson : fastw2v.correlation.CorrelationResult
            Pearson correlation and two-sided p-value: a 2-tuple with scipy's names
            (``.statistic``, ``.correlation``, ``.pvalue``), as gensim returns.
        spearman : fastw2v.correlation.CorrelationResult
            Spearman rank correlation and two-sided p-value, likewise.
        oov_ratio : float
            Percentage of pairs with an unknown word.
        """
        return evaluation.evaluate_word_pairs(self, pairs, delimiter, encoding, restrict_vocab,
                                              case_insensitive, dummy4unknown)
