"""Pearson and Spearman correlations with their two-sided p-values, as scipy computes them.

:func:`fastw2v.evaluation.evaluate_word_pairs` reports both against human similarity
judgements, as gensim does with ``scipy.stats``. Here they take numpy and a regularized
incomplete beta function (:func:`betainc`, a continued fraction), so fastw2v does not
depend on scipy; the tests compare every function with scipy's where it is installed.
"""

import math
from collections import namedtuple

import numpy as np


class CorrelationResult(namedtuple("CorrelationResult", ["statistic", "pvalue"])):
    """A correlation and its p-value: a 2-tuple, read also by scipy's names.

    ``r, p = result`` and ``result[0]`` work, and ``result.statistic``,
    ``result.correlation``, ``result.pvalue``, as on the objects that
    ``scipy.stats.pearsonr`` / ``spearmanr`` (so gensim) return.
    """

    __slots__ = ()

    @property
    def correlation(self):
        return self.statistic


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz's method).

    Converges quickly for ``x < (a + 1) / (a + b + 2)``; the caller ensures that.
    """
    tiny = 1e-300  # stands in for zero so that no denominator vanishes
    eps = 1e-16    # relative precision of a float64
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        for coeff in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                      -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + coeff * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + coeff / c
            c = c if abs(c) > tiny else tiny
            delta = c * d
            h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")


def betainc(a, b, x):
    """Regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1.

    ``I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * CF`` with CF a continued fraction; for
    ``x`` above the mean ``(a + 1) / (a + b + 2)`` the symmetry
    ``I_x(a, b) = 1 - I_{1-x}(b, a)`` keeps the fraction in its fast-converging range.
    Relative accuracy is about 1e-14.

    Parameters
    ----------
    a, b : float
    x : float

    Returns
    -------
    float
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    log_front = a * math.log(x) + b * math.log1p(-x) - log_beta
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _correlation_pvalue(r, n):
    """Two-sided p-value of a correlation `r` from `n` pairs, under the t distribution.

    ``t = r sqrt(df / (1 - r^2))`` has df = n - 2 degrees of freedom, and
    ``P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) = I_{1 - r^2}(df / 2, 1 / 2)``.
    ``1 - r^2`` is computed as ``(1 - |r|)(1 + |r|)`` to keep precision when |r| is near 1.
    """
    df = n - 2
    if not math.isfinite(r):
        return math.nan
    if df <= 0:
        return 1.0 if df == 0 else math.nan
    r = min(abs(r), 1.0)
    return betainc(0.5 * df, 0.5, (1.0 - r) * (1.0 + r))


def pearsonr(x, y):
    """Pearson correlation and its two-sided p-value (as ``scipy.stats.pearsonr``).

    Parameters
    ----------
    x, y : array_like, shape (n,)

    Returns
    -------
    CorrelationResult
        Correlation (NaN when an input is constant) and p-value.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("pearsonr needs two 1-D arrays of the same length >= 2")
    xm, ym = x - x.mean(), y - y.mean()
    nx, ny = np.linalg.norm(xm), np.linalg.norm(ym)
    if nx == 0 or ny == 0 or not (np.isfinite(nx) and np.isfinite(ny)):
        return CorrelationResult(math.nan, math.nan)
    r = float(np.clip(np.dot(xm / nx, ym / ny), -1.0, 1.0))
    return CorrelationResult(r, _correlation_pvalue(r, x.size))


def rankdata(values):
    """Ranks 1..n of `values`, ties getting the average of the ranks they span.

    Parameters
    ----------
    values : array_like, shape (n,)

    Returns
    -------
    numpy.ndarray, shape (n,), float64
    """
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    # Start of each run of equal values in sorted order, and one past the last run.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], values.size]
    run_rank = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(run_rank, ends - starts)
    return ranks


def spearmanr(x, y):
    """Spearman rank correlation and its two-sided p-value (as ``scipy.stats.spearmanr``).

    Parameters
    ----------
    x, y : array_like, shape (n,)

    Returns
    -------
    CorrelationResult
        Correlation of the average ranks (NaN for constant or NaN-containing input) and p-value.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("spearmanr needs two 1-D arrays of the same length >= 2")
    if np.isnan(x).any() or np.isnan(y).any() or (x == x[0]).all() or (y == y[0]).all():
        return CorrelationResult(math.nan, math.nan)
    # np.corrcoef as scipy uses it, so that e.g. a perfect rank agreement gives exactly 1.0.
    rho = float(np.clip(np.corrcoef(rankdata(x), rankdata(y))[0, 1], -1.0, 1.0))
    return CorrelationResult(rho, _correlation_pvalue(rho, x.size))
