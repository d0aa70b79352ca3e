"""fastw2v: Numba-accelerated word2vec (CBOW and skip-gram with negative sampling)."""

__version__ = "0.1.0"
