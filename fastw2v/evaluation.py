"""Evaluating word vectors: batched word analogies and word-pair similarity correlations.

The public entry points are :meth:`KeyedVectors.evaluate_word_analogies` and
:meth:`KeyedVectors.evaluate_word_pairs`, which call :func:`evaluate_word_analogies` and
:func:`evaluate_word_pairs` here. Both reproduce gensim 4.4's results (same file parsing,
out-of-vocabulary handling, case folding and answer selection) but answer analogies many
at a time: one matrix product per chunk of questions instead of one pass over the
vocabulary per question.

Pearson and Spearman correlations and their p-values come from :mod:`fastw2v.correlation`
(numpy only: scipy is not needed).
"""

import logging
import math
import os

import numpy as np

# betainc and rankdata are not used here: re-exported, as they were defined here before.
from .correlation import betainc, pearsonr, rankdata, spearmanr

__all__ = [
    "BUNDLED_ANALOGIES", "BUNDLED_WORD_PAIRS", "vocab_lookup", "argsort_top", "answer_analogies",
    "evaluate_word_analogies", "evaluate_word_pairs",
    "pearsonr", "spearmanr", "betainc", "rankdata",  # from fastw2v.correlation
]

logger = logging.getLogger(__name__)

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
#: The Google analogy test set (Mikolov et al. 2013), bundled with fastw2v.
BUNDLED_ANALOGIES = os.path.join(_DATA_DIR, "questions-words.txt")
#: WordSim-353 (Finkelstein et al. 2002), bundled with fastw2v.
BUNDLED_WORD_PAIRS = os.path.join(_DATA_DIR, "wordsim353.tsv")

# gensim answers an analogy from most_similar(..., topn=5): the first of those 5 whose
# case-folded form is not one of the three question words.
_ANALOGY_TOPN = 5
# Scores of one chunk are held as a (questions, vocabulary) float32 block of at most this
# many elements (64 MiB), which bounds memory whatever the number of questions.
_CHUNK_ELEMENTS = 1 << 24


def vocab_lookup(index_to_key, restrict_vocab, case_insensitive):
    """Map each (optionally upper-cased) key among the first `restrict_vocab` to its index.

    With `case_insensitive`, several keys can fold to one form; the first one (the most
    frequent in a frequency-sorted vocabulary) wins, as in gensim.

    Parameters
    ----------
    index_to_key : list of str
        The vocabulary in index order.
    restrict_vocab : int or None
        Only the first `restrict_vocab` keys are considered (all when None).
    case_insensitive : bool
        Fold keys with ``str.upper``.

    Returns
    -------
    dict of str to int
    """
    keys = index_to_key[:restrict_vocab]
    lookup = {}
    for index, key in enumerate(keys):
        lookup.setdefault(key.upper() if case_insensitive else key, index)
    return lookup


def _canonical_indices(index_to_key, limit, lookup, case_insensitive):
    """canon[i] = index of the key that key i folds to, for i < limit; shape (limit,), int64."""
    if not case_insensitive:
        return np.arange(limit, dtype=np.int64)
    return np.fromiter((lookup[key.upper()] for key in index_to_key[:limit]), np.int64, limit)


def argsort_top(scores, topn):
    """Indices of the `topn` largest `scores`, largest first, ordered as gensim orders them.

    gensim negates the scores, selects with ``np.argpartition`` and sorts only the
    selected slice; doing exactly the same here makes equal scores come out in the same
    order as in gensim.

    Parameters
    ----------
    scores : numpy.ndarray, shape (n,)
    topn : int

    Returns
    -------
    numpy.ndarray, shape (min(topn, n),), int64
    """
    negated = -scores
    if topn >= negated.size:
        return np.argsort(negated)[:topn]
    part = np.argpartition(negated, topn)[:topn]
    return part.take(np.argsort(negated.take(part)))


def _exact_answer(kv, a, b, c, limit, canon, cosmul=False):
    """Answer one analogy question exactly as gensim does; return the predicted canonical index.

    a, b, c are canonical indices. The query is gensim's 3CosAdd mean (b + c - a over unit
    vectors), scores are computed for the first `limit` keys with the same float32
    operations as gensim, and the answer is the first of the top 5 (a, b, c excluded by
    index) whose folded form differs from a, b and c. Returns -1 when there is none.
    With `cosmul` the scores are 3CosMul's (:meth:`KeyedVectors.most_similar_cosmul`).
    """
    if cosmul:
        scores = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=None,
                                        restrict_vocab=limit)
    else:
        scores = kv._gensim_scores(kv._gensim_mean([(b, 1.0), (c, 1.0), (a, -1.0)]), limit)
    excluded = (a, b, c)
    ranked = [i for i in argsort_top(scores, _ANALOGY_TOPN + 3) if i not in excluded]
    predicted = -1
    for i in ranked[:_ANALOGY_TOPN]:
        predicted = int(canon[i])
        if predicted not in excluded:
            break
    return predicted


def answer_analogies(kv, questions, limit, canon, chunk_elements=_CHUNK_ELEMENTS):
    """Answer analogy questions "a is to b as c is to ?" in batches.

    For a chunk of questions, the query matrix holds one normalised ``b + c - a`` (over
    unit vectors) per row; one matrix product with the unit vectors of the first `limit`
    keys gives all cosine scores; a, b and c are masked and the best key is taken per row.
    A row goes to the exact per-question path (:func:`_exact_answer`) when its answer
    could differ from gensim's: the best and second-best scores are closer than the
    rounding difference between the two ways of computing them, the best key is a case
    variant of a question word, or a score is not finite.

    Parameters
    ----------
    kv : KeyedVectors
    questions : numpy.ndarray, shape (m, 3), int64
        Canonical indices of a, b, c (all < `limit`).
    limit : int
        Candidates are the first `limit` keys.
    canon : numpy.ndarray, shape (limit,), int64
        Canonical index of each candidate (see :func:`vocab_lookup`).
    chunk_elements : int
        Upper bound on the size of one block of scores.

    Returns
    -------
    numpy.ndarray, shape (m,), int64
        Predicted canonical index per question, -1 where there is no answer.
    """
    m = len(questions)
    predicted = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return predicted
    unit = kv._unit_vectors(limit)
    dead = np.flatnonzero(kv.norms[:limit] == 0)  # zero vectors score NaN in gensim: never chosen
    # Each score is a dot product of two (near) unit float32 vectors of length dim, so its
    # rounding error is below dim * u, u = 2**-24 (the standard dot-product bound), both in
    # our computation and in gensim's. Two candidates closer than the sum of the two errors
    # may come out in either order; rows closer than twice that sum (a margin for the
    # rounding of the query and unit vectors themselves) are answered the exact way.
    tie_tolerance = 4.0 * kv.vector_size * 2.0 ** -24
    rows_per_chunk = max(1, chunk_elements // max(limit, 1))
    for start in range(0, m, rows_per_chunk):
        q = questions[start:start + rows_per_chunk]
        rows = np.arange(len(q))
        # Same float32 operations, in the same order, as gensim's running mean: b, + c, - a.
        query = (unit[q[:, 1]] + unit[q[:, 2]]) - unit[q[:, 0]]
        query = query.astype(np.float64) / 3.0
        with np.errstate(invalid="ignore", divide="ignore"):
            query = (query * (1.0 / np.linalg.norm(query, axis=1))[:, None]).astype(np.float32)
            scores = query @ unit.T  # (chunk, limit)
        for j in range(3):
            scores[rows, q[:, j]] = -np.inf
        if dead.size:
            scores[:, dead] = -np.inf
        best = scores.argmax(axis=1)
        top = scores[rows, best]
        scores[rows, best] = -np.inf
        second = scores.max(axis=1) if limit > 1 else np.full(len(q), -np.inf, np.float32)
        chosen = canon[best]
        with np.errstate(invalid="ignore"):
            clear = np.isfinite(top) & ((top - second) > tie_tolerance)
        clear &= (chosen != q[:, 0]) & (chosen != q[:, 1]) & (chosen != q[:, 2])
        out = predicted[start:start + len(q)]
        out[clear] = chosen[clear]
        for i in np.flatnonzero(~clear):
            out[i] = _exact_answer(kv, *(int(x) for x in q[i]), limit, canon)
    return predicted


def _read_analogy_sections(path, case_insensitive):
    """Parse an analogy file into ``[(section name, [(a, b, c, expected), ...]), ...]``.

    Same rules as gensim: ``": name"`` lines open a section, lines that are not exactly
    four words are skipped, words are upper-cased when `case_insensitive`.
    """
    sections = []
    with open(path, "rb") as fin:
        for line_no, raw in enumerate(fin):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}: line {line_no + 1}: not UTF-8 ({err.reason})") from None
            if line.startswith(": "):
                sections.append((line.lstrip(": ").strip(), []))
                continue
            if not sections:
                raise ValueError(f"Missing section header before line #{line_no} in {path}")
            words = line.split()
            if len(words) != 4:
                logger.info("Skipping invalid line #%i in %s", line_no, path)
                continue
            if case_insensitive:
                words = [word.upper() for word in words]
            sections[-1][1].append(tuple(words))
    return sections


def _section_accuracy(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def evaluate_word_analogies(kv, analogies=BUNDLED_ANALOGIES, restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False, cosmul=False):
    """Accuracy on an analogy test set; see :meth:`KeyedVectors.evaluate_word_analogies`.

    With `cosmul`, 3CosMul answers each question on its own (gensim's
    ``similarity_function="most_similar_cosmul"``); 3CosAdd's are batched.
    """
    lookup = vocab_lookup(kv.index_to_key, restrict_vocab, case_insensitive)
    limit = len(kv.index_to_key[:restrict_vocab])
    canon = _canonical_indices(kv.index_to_key, limit, lookup, case_insensitive)
    parsed = _read_analogy_sections(analogies, case_insensitive)

    plan, known = [], []  # plan: (section number, quadruple, row in `known` or -1 if OOV)
    for number, (_, quads) in enumerate(parsed):
        for quad in quads:
            ids = [lookup.get(word) for word in quad]
            if None in ids:
                plan.append((number, quad, -1))
            else:
                plan.append((number, quad, len(known)))
                known.append(ids)
    known = np.array(known, dtype=np.int64).reshape(-1, 4)
    if cosmul:
        predicted = np.array([_exact_answer(kv, *(int(x) for x in q), limit, canon, cosmul=True)
                              for q in known[:, :3]], dtype=np.int64)
    else:
        predicted = answer_analogies(kv, known[:, :3], limit, canon)
    correct = predicted == known[:, 3]

    sections = [{"section": name, "correct": [], "incorrect": []} for name, _ in parsed]
    oov = 0
    for number, quad, row in plan:
        if row < 0:
            oov += 1
            if dummy4unknown:
                sections[number]["incorrect"].append(quad)
        else:
            sections[number]["correct" if correct[row] else "incorrect"].append(quad)
    for section in sections:
        _section_accuracy(section)
    total = {
        "section": "Total accuracy",
        "correct": [quad for s in sections for quad in s["correct"]],
        "incorrect": [quad for s in sections for quad in s["incorrect"]],
    }
    if plan:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / len(plan))
    score = _section_accuracy(total)
    sections.append(total)
    return score, sections


# --------------------------------------------------------------------------- word pairs

def _read_word_pairs(path, delimiter, encoding, case_insensitive):
    """Yield ``(a, b, gold score)`` per valid line, gensim's rules ('#' lines are comments)."""
    with open(path, encoding=encoding) as fin:
        for line_no, line in enumerate(fin):
            if not line or line.startswith("#"):
                continue
            parts = line.split(delimiter)
            if case_insensitive:
                parts = [part.upper() for part in parts]
            try:
                a, b, sim = parts
                sim = float(sim)
                if not math.isfinite(sim):  # "nan" or "inf" parse, but rank nowhere
                    raise ValueError
            except (ValueError, TypeError):
                logger.info("Skipping invalid line #%d in %s", line_no, path)
                continue
            yield a, b, sim


def evaluate_word_pairs(kv, pairs=BUNDLED_WORD_PAIRS, delimiter="\t", encoding="utf8",
                        restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """Correlation with human judgements; see :meth:`KeyedVectors.evaluate_word_pairs`."""
    lookup = vocab_lookup(kv.index_to_key, restrict_vocab, case_insensitive)
    gold, left, right, oov = [], [], [], 0
    for a, b, sim in _read_word_pairs(pairs, delimiter, encoding, case_insensitive):
        if a not in lookup or b not in lookup:
            oov += 1
            if dummy4unknown:
                gold.append(sim)
                left.append(-1)
                right.append(-1)
            continue
        gold.append(sim)
        left.append(lookup[a])
        right.append(lookup[b])
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {pairs}: either invalid "
                         f"format or all are out-of-vocabulary in {kv}")
    if len(gold) < 2:
        raise ValueError(f"only 1 word pair of {pairs} could be scored: a correlation needs "
                         "at least 2")
    left, right = np.array(left), np.array(right)
    model = np.zeros(len(gold), dtype=np.float32)  # OOV pairs score 0 (dummy4unknown)
    seen = left >= 0
    model[seen] = np.einsum("ij,ij->i", kv._unit_rows(left[seen]), kv._unit_rows(right[seen]))
    gold = np.array(gold, dtype=np.float64)
    pearson = pearsonr(gold, model)
    spearman = spearmanr(gold, model)
    if dummy4unknown:
        oov_ratio = 100.0 * oov / len(gold)
    else:
        oov_ratio = 100.0 * oov / (len(gold) + oov)
    logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
    logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
    logger.info("Pairs with unknown words ratio: %.1f%%", oov_ratio)
    return pearson, spearman, oov_ratio
