"""Quality of word vectors: word analogies and WordSim-353, scored by gensim.

The same scorer for every system, so the numbers compare; it runs in the
benchmark process after each timed run, untimed.
"""

from __future__ import annotations

from pathlib import Path


def evaluate_vectors(vectors: Path, questions: Path, wordsim: Path,
                     restrict_vocab: int = 30000) -> dict:
    """Analogy accuracy and WordSim-353 Spearman of word2vec binary vectors.

    Uses gensim's ``KeyedVectors`` (case-insensitive analogies over the
    ``restrict_vocab`` most frequent words; questions with a word outside it
    are skipped, so ``analogy_questions`` says how many were scored).
    """
    import logging

    import numpy as np
    from gensim.models import KeyedVectors

    logging.getLogger("gensim").setLevel(logging.ERROR)
    kv = KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    # An all-zero vector (fastText leaves a few rare words at zero) has norm 0;
    # gensim's cosine then divides 0/0 for that word only, harmlessly.
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy, sections = kv.evaluate_word_analogies(str(questions),
                                                        restrict_vocab=restrict_vocab)
        _, spearman, oov = kv.evaluate_word_pairs(str(wordsim))
    total = sections[-1]  # gensim appends the "Total accuracy" section last
    return {"vocab_size": len(kv.index_to_key), "analogy": float(accuracy),
            "analogy_questions": len(total["correct"]) + len(total["incorrect"]),
            "ws353_spearman": float(spearman[0]), "ws353_oov_pct": float(oov)}
