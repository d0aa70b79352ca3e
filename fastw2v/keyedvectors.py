"""KeyedVectors: trained word vectors to query, evaluate and save, with gensim's API.

Scores follow gensim 4.4 operation by operation (same float32 arithmetic, same ranking
procedure), so answers, their order and their scores match gensim's. Per-key norms and
unit vectors are computed once, on first use, and dropped when ``vectors`` is replaced
(changing the array in place is not detected: assign a new array instead).
"""

import logging
from numbers import Integral

import numpy as np

from fastw2v import evaluation, formats

logger = logging.getLogger(__name__)

_KEY_TYPES = (str, int, np.integer)
# 3CosMul (Levy & Goldberg 2014, eq. 4) divides by the product of the negative terms'
# similarities; gensim adds this epsilon to avoid division by zero.
_COSMUL_EPSILON = 0.000001


def _ensure_list(value):
    """A single key or vector becomes a one-element list; a 2-D array a list of rows."""
    if value is None:
        return []
    if isinstance(value, _KEY_TYPES) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [value]
    return list(value)


def _unitvec(vec):
    """`vec` scaled to unit L2 length (multiplied by 1 / norm, as BLAS scal); zero stays zero."""
    norm = np.linalg.norm(vec)
    if norm > 0:
        return (vec * (1.0 / norm)).astype(vec.dtype)
    return vec


class KeyedVectors:
    """Vectors indexed by keys (words), as produced by the fastw2v trainer.

    Parameters
    ----------
    vectors : numpy.ndarray, shape (n, dim), float32 or float16
        One row per key. float16 is kept as the storage type (half the memory); all
        computations are done in float32. Other dtypes are converted to float32.
    index_to_key : sequence of str, length n
        The key of each row, usually by descending frequency. Keys must be unique.
    counts : numpy.ndarray, shape (n,), int64, optional
        Corpus frequency of each key, when known.

    Attributes
    ----------
    vectors : numpy.ndarray, shape (n, dim)
    index_to_key : list of str
    key_to_index : dict of str to int
    counts : numpy.ndarray, shape (n,), int64, or None
    vector_size : int
    """

    def __init__(self, vectors, index_to_key, counts=None):
        self.index_to_key = list(index_to_key)
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            seen = set()
            dup = next(k for k in self.index_to_key if k in seen or seen.add(k))
            raise ValueError(f"duplicate key {dup!r} in index_to_key")
        self.vectors = vectors
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(self.index_to_key),):
                raise ValueError(f"counts has shape {counts.shape}, expected ({len(self.index_to_key)},)")
        self.counts = counts

    # ------------------------------------------------------------------ storage and caches

    @property
    def vectors(self):
        """numpy.ndarray, shape (n, dim): the stored vectors (float32 or float16)."""
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        value = np.asarray(value)
        if value.dtype not in (np.float32, np.float16):
            value = value.astype(np.float32)
        if value.ndim != 2 or value.shape[0] != len(self.index_to_key):
            raise ValueError(f"vectors must have shape ({len(self.index_to_key)}, dim), got {value.shape}")
        self._vectors = value
        self._v32 = None     # float32 copy, only for float16 storage
        self._norms = None   # (n,) float32 L2 norms
        self._unit = None    # (m, dim) float32 unit vectors of the first m keys

    def _vectors32(self):
        """The vectors as float32, shape (n, dim) (a cached copy for float16 storage)."""
        if self._vectors.dtype == np.float32:
            return self._vectors
        if self._v32 is None:
            self._v32 = self._vectors.astype(np.float32)
        return self._v32

    @property
    def norms(self):
        """numpy.ndarray, shape (n,), float32: L2 norm of each vector (computed once)."""
        if self._norms is None:
            self._norms = np.linalg.norm(self._vectors32(), axis=1)
        return self._norms

    def fill_norms(self, force=False):
        """Compute the norms now (gensim compatibility; they are otherwise computed on use)."""
        if force:
            self._norms = None
        return self.norms

    def _unit_vectors(self, limit):
        """Unit vectors of the first `limit` keys, shape (limit, dim), float32, cached."""
        if self._unit is None or len(self._unit) < limit:
            with np.errstate(invalid="ignore", divide="ignore"):  # zero vectors -> NaN, as gensim
                self._unit = self._vectors32()[:limit] / self.norms[:limit, None]
        return self._unit[:limit]

    def _unit_rows(self, indices):
        """Unit vectors of the given rows, shape (len(indices), dim), float32."""
        indices = np.asarray(indices, dtype=np.int64)
        rows = np.asarray(self._vectors[indices], dtype=np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            return rows / self.norms[indices, None]

    def get_normed_vectors(self):
        """All vectors scaled to unit length, shape (n, dim), float32 (cached)."""
        return self._unit_vectors(len(self))

    # ------------------------------------------------------------------ mapping interface

    @property
    def vector_size(self):
        """int: dimensionality of the vectors."""
        return self._vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __str__(self):
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    __repr__ = __str__

    def get_index(self, key, default=None):
        """Row index of `key`; an int in range is taken as an index itself (as gensim does).

        Raises
        ------
        KeyError
            ``"Key 'xyz' not present in vocabulary"``, unless `default` is given.
        """
        index = self.key_to_index.get(key, -1) if isinstance(key, str) else -1
        if index >= 0:
            return index
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present in vocabulary")

    def has_index_for(self, key):
        """True if `key` is a key (or an index) of this object."""
        return self.get_index(key, -1) >= 0

    def __contains__(self, key):
        return self.has_index_for(key)

    def get_vector(self, key, norm=False):
        """The vector of `key`, shape (dim,), float32 (read-only view for float32 storage).

        Parameters
        ----------
        key : str or int
        norm : bool
            Scale to unit length.
        """
        index = self.get_index(key)
        if norm:
            with np.errstate(invalid="ignore", divide="ignore"):
                return self._vectors32()[index] / self.norms[index]
        result = self._vectors[index]
        if result.dtype != np.float32:
            return result.astype(np.float32)
        result = result.view()
        result.setflags(write=False)
        return result

    def __getitem__(self, key_or_keys):
        """Vector of one key, shape (dim,), or of a list of keys, shape (len(keys), dim)."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        indices = [self.get_index(key) for key in key_or_keys]
        return np.asarray(self._vectors[indices], dtype=np.float32).reshape(len(indices), self.vector_size)

    def get_vecattr(self, key, attr):
        """Per-key attribute; only ``"count"`` is stored, and only when counts are known."""
        index = self.get_index(key)
        if attr != "count" or self.counts is None:
            raise KeyError(f"attribute {attr!r} is not stored for these vectors")
        return int(self.counts[index])

    # ------------------------------------------------------------------ similarity queries

    def _parse_terms(self, positive, negative):
        """[(row index or raw vector, weight), ...] from gensim-style positive/negative lists."""
        terms = []
        for items, default in ((_ensure_list(positive), 1.0), (_ensure_list(negative), -1.0)):
            for item in items:
                key, weight = (item, default) if isinstance(item, _KEY_TYPES + (np.ndarray,)) else item[:2]
                if not isinstance(key, np.ndarray):
                    key = self.get_index(key)
                terms.append((key, float(weight)))
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        return terms

    def _gensim_mean(self, terms):
        """Weighted mean of unit vectors (raw vectors as given), scaled to unit length.

        Same float32/float64 steps as gensim's ``get_mean_vector``: each weighted term is
        added into a float32 accumulator, the sum is divided by the total absolute weight
        in float64 and the result normalised and returned as float32, shape (dim,).
        """
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0.0
        for term, weight in terms:
            weight = np.float64(weight)
            vec = term if isinstance(term, np.ndarray) else self.get_vector(term, norm=True)
            mean += weight * vec
            total += abs(weight)
        if total > 0:
            mean = mean / total
        return _unitvec(mean).astype(np.float32)

    def _gensim_scores(self, query, limit):
        """Cosine of `query` (unit, shape (dim,)) with the first `limit` keys, shape (limit,)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.dot(self._vectors32()[:limit], query) / self.norms[:limit]

    def _limit(self, restrict_vocab):
        return min(restrict_vocab, len(self)) if restrict_vocab else len(self)

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
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
        restrict_vocab : int, optional
            Only the first `restrict_vocab` keys are candidates.

        Returns
        -------
        list of (str, float), or numpy.ndarray of shape (restrict_vocab or n,) when topn is None

        Raises
        ------
        KeyError
            An input key is unknown.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        terms = self._parse_terms(positive, negative)
        limit = self._limit(restrict_vocab)
        scores = self._gensim_scores(self._gensim_mean(terms), limit)
        if not topn:
            return scores
        inputs = [term for term, _ in terms if not isinstance(term, np.ndarray)]
        best = evaluation.argsort_top(scores, topn + len(inputs))
        result = [(self.index_to_key[i], float(scores[i])) for i in best if i not in inputs]
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
        if isinstance(topn, Integral) and topn < 1:
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
                vec = term if isinstance(term, np.ndarray) else self.get_vector(term, norm=True)
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

    def similarity(self, w1, w2):
        """Cosine similarity of two keys (float)."""
        return float(np.dot(_unitvec(self.get_vector(w1)), _unitvec(self.get_vector(w2))))

    def distance(self, w1, w2):
        """Cosine distance ``1 - similarity(w1, w2)``."""
        return 1.0 - self.similarity(w1, w2)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity between the means of two lists of keys (raw, not unit, vectors).

        Unlike gensim, which silently skips them, unknown keys raise ``KeyError``.
        """
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        means = []
        for keys in (ws1, ws2):
            rows = self[list(keys)]
            # gensim sums float32 rows one by one, then divides by the float32 count.
            mean = np.zeros(self.vector_size, dtype=np.float32)
            for row in rows:
                mean += row
            means.append(_unitvec(mean / np.float32(len(rows))))
        return float(np.dot(means[0], means[1]))

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a key or vector to `other_words` (all keys when empty).

        Returns
        -------
        numpy.ndarray, shape (len(other_words),) or (n,), float32
        """
        if isinstance(word_or_vector, _KEY_TYPES):
            vector = self.get_vector(word_or_vector)
        else:
            vector = np.asarray(word_or_vector)
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

    def rank(self, key1, key2):
        """Rank of `key2` among all keys by distance from `key1` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def doesnt_match(self, words):
        """The key of `words` furthest from the normalised mean of their unit vectors.

        Unknown keys are ignored with a warning (as in gensim).
        """
        used = [word for word in words if word in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           set(words) - set(used))
        if not used:
            raise ValueError("cannot select a word from an empty list")
        units = np.vstack([self.get_vector(word, norm=True) for word in used]).astype(np.float32)
        mean = np.zeros(self.vector_size, dtype=np.float32)
        for row in units:
            mean += row
        mean = _unitvec(mean / np.float32(len(units)))
        dists = np.dot(units, mean)
        # gensim sorts (score, word) pairs descending and takes the last: the minimum pair.
        return min(zip(dists.tolist(), used))[1]

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
        similarity_function : {'most_similar'}
            Accepted for gensim compatibility; 3CosAdd is the only method.

        Returns
        -------
        score : float
            Overall accuracy (0.0 when no question was answered).
        sections : list of dict
            ``{'section': name, 'correct': [(a, b, c, d), ...], 'incorrect': [...]}`` per
            section, then a ``'Total accuracy'`` section.
        """
        if similarity_function != "most_similar":
            raise ValueError(f"unsupported similarity_function {similarity_function!r}")
        return evaluation.evaluate_word_analogies(self, analogies, restrict_vocab,
                                                  case_insensitive, dummy4unknown)

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
        pearson : (float, float)
            Pearson correlation and two-sided p-value.
        spearman : (float, float)
            Spearman rank correlation and two-sided p-value.
        oov_ratio : float
            Percentage of pairs with an unknown word.
        """
        return evaluation.evaluate_word_pairs(self, pairs, delimiter, encoding, restrict_vocab,
                                              case_insensitive, dummy4unknown)

    # ------------------------------------------------------------------ persistence

    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write word2vec text or binary format (index order), atomically.

        See :func:`fastw2v.formats.write_word2vec`.
        """
        formats.write_word2vec(path, self.index_to_key, self._vectors, binary=binary,
                               write_header=write_header)

    @classmethod
    def load_word2vec_format(cls, path, binary=False, limit=None, unicode_errors="strict",
                             datatype=np.float32, encoding="utf-8", no_header=False):
        """Read word2vec text/binary or fastText ``.vec`` format.

        `binary=None` detects the format. As in gensim, `unicode_errors` defaults to
        ``'strict'`` here (a key that is not valid UTF-8 raises
        :class:`~fastw2v.formats.VectorsFormatError`); pass ``'replace'``, the default of
        :func:`fastw2v.formats.read_word2vec` and of the CLI, to accept such files.
        Counts are not stored in these formats, so ``counts`` is None.
        See :func:`fastw2v.formats.read_word2vec` for the other parameters.
        """
        keys, vectors = formats.read_word2vec(path, binary=binary, limit=limit,
                                              unicode_errors=unicode_errors, datatype=datatype,
                                              encoding=encoding, no_header=no_header)
        return cls(vectors, keys)

    def save(self, path, dtype=None):
        """Save to the native format: directory `path` with vectors.npy, vocab.txt, meta.json.

        Parameters
        ----------
        path : str or os.PathLike
            Directory (created if needed; its files are replaced atomically).
        dtype : numpy dtype, optional
            Storage dtype; ``np.float16`` halves the size.
        """
        formats.save_native(path, self.index_to_key, self._vectors, self.counts, dtype=dtype)

    @classmethod
    def load(cls, path, mmap=True):
        """Load a directory written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
        mmap : bool
            Memory-map vectors.npy read-only instead of reading it (float16 vectors are
            still converted to float32 in memory when similarities are computed).
        """
        keys, vectors, counts = formats.load_native(path, mmap=mmap)
        return cls(vectors, keys, counts)
