"""fastw2v: Numba-accelerated word2vec (CBOW and skip-gram with negative sampling).

>>> from fastw2v import Word2Vec, KeyedVectors
>>> model = Word2Vec(corpus_file="corpus.txt", model="skipgram")  # doctest: +SKIP
>>> model.wv.most_similar("king", topn=5)  # doctest: +SKIP

``Word2Vec`` and ``KeyedVectors`` are imported on first use (PEP 562), so the
command line starts, and shows ``--help``, without loading Numba.
"""

__version__ = "0.1.0"

from ._numba_cache import ensure_cache_dir  # noqa: E402

ensure_cache_dir()  # before any @njit(cache=True) runs

__all__ = ["KeyedVectors", "Word2Vec", "__version__"]


def __getattr__(name):
    if name == "KeyedVectors":
        from .keyedvectors import KeyedVectors
        return KeyedVectors
    if name == "Word2Vec":
        from .word2vec import Word2Vec
        return Word2Vec
    raise AttributeError(f"module 'fastw2v' has no attribute {name!r}")
