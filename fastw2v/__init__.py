"""fastw2v: Numba-accelerated word2vec (CBOW and skip-gram with negative sampling).

>>> from fastw2v import Word2Vec, KeyedVectors
>>> model = Word2Vec(corpus_file="corpus.txt", model="skipgram")  # doctest: +SKIP
>>> model.wv.most_similar("king", topn=5)  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .keyedvectors import KeyedVectors  # noqa: E402
from .word2vec import Word2Vec  # noqa: E402

__all__ = ["KeyedVectors", "Word2Vec", "__version__"]
