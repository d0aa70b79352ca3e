r"""Nearest-neighbour and analogy queries by cosine similarity.

:math:`\cos(x, y) = x \cdot y / (\|x\| \|y\|)`; a small ``eps`` in each
denominator keeps a zero vector from dividing by zero (its similarity is 0).
The query helpers print in the textbook's format and also return the list of
``(word, score)`` pairs.
"""

import numpy as np


def normalize(x, eps=1e-8):
    """Scale vectors to unit L2 norm.

    Parameters
    ----------
    x : ndarray, shape (dim,) or (n, dim), float
    eps : float, default 1e-8

    Returns
    -------
    ndarray, same shape and dtype as `x`
        ``x / (||x|| + eps)`` row by row.
    """
    norm = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / (norm + eps)


def cos_similarity(x, y, eps=1e-8):
    """Cosine similarity of two vectors.

    Parameters
    ----------
    x, y : ndarray, shape (dim,)
    eps : float, default 1e-8

    Returns
    -------
    float
    """
    return float(np.dot(normalize(x, eps), normalize(y, eps)))


def _rank(query_vec, word_matrix, exclude, top):
    """Top `top` (id, score) by cosine with `query_vec`, skipping `exclude` ids."""
    scores = normalize(word_matrix) @ normalize(query_vec)
    result = []
    for i in np.argsort(-scores, kind="stable"):
        if int(i) in exclude:
            continue
        result.append((int(i), float(scores[i])))
        if len(result) >= top:
            break
    return result


def most_similar(query, word_to_id, id_to_word, word_matrix, top=5):
    """Print and return the `top` words closest to `query` (the query excluded).

    Parameters
    ----------
    query : str
    word_to_id : dict of str to int
    id_to_word : dict of int to str
    word_matrix : ndarray, shape (vocab_size, dim), float
    top : int, default 5

    Returns
    -------
    list of (str, float)
        Words by decreasing cosine similarity; empty if `query` is unknown.
    """
    if query not in word_to_id:
        print(f"{query} is not found")
        return []
    print(f"\n[query] {query}")
    query_id = word_to_id[query]
    ranked = _rank(word_matrix[query_id], word_matrix, {query_id}, top)
    result = [(id_to_word[i], score) for i, score in ranked]
    for word, score in result:
        print(f" {word}: {score}")
    return result


def analogy(a, b, c, word_to_id, id_to_word, word_matrix, top=5):
    r"""Solve ``a : b = c : ?`` with the vector offset :math:`b - a + c`.

    E.g. ``analogy("man", "king", "woman", ...)`` should rank "queen" first.
    The offset is compared with every word by cosine similarity; `a`, `b`
    and `c` themselves are excluded from the answers.

    Parameters
    ----------
    a, b, c : str
    word_to_id : dict of str to int
    id_to_word : dict of int to str
    word_matrix : ndarray, shape (vocab_size, dim), float
    top : int, default 5

    Returns
    -------
    list of (str, float)
        Candidate words by decreasing similarity; empty if a word is unknown.
    """
    for word in (a, b, c):
        if word not in word_to_id:
            print(f"{word} is not found")
            return []
    print(f"\n[analogy] {a}:{b} = {c}:?")
    ia, ib, ic = word_to_id[a], word_to_id[b], word_to_id[c]
    query_vec = word_matrix[ib] - word_matrix[ia] + word_matrix[ic]
    ranked = _rank(query_vec, word_matrix, {ia, ib, ic}, top)
    result = [(id_to_word[i], score) for i, score in ranked]
    for word, score in result:
        print(f" {word}: {score}")
    return result
