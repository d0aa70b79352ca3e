"""Vector arithmetic shared by KeyedVectors queries, with gensim's rounding where it matters.

Kept apart from the class so that each step can be read (and tested) on its own.
"""

import numpy as np


def unitvec(vec):
    """`vec` scaled to unit L2 length, in its own dtype; a zero vector stays zero.

    As gensim's ``matutils.unitvec`` (BLAS dnrm2 and dscal): the norm and the scaling are
    computed in float64, and the result is rounded back to the dtype of `vec` (float32
    unit vectors then equal gensim's, up to the last bit of the float64 norm).
    """
    vec64 = np.asarray(vec, dtype=np.float64)
    norm = np.sqrt(np.dot(vec64, vec64))
    if norm > 0:
        return (vec64 * (1.0 / norm)).astype(vec.dtype)
    return vec


def all_finite(array):
    """True if `array` holds no inf or NaN.

    Their float64 sum is finite exactly then (inf and NaN propagate, and float32
    or float16 values cannot add up to a float64 overflow), and it needs no
    temporary the size of `array`, as ``np.isfinite(array).all()`` would.
    """
    return bool(np.isfinite(np.sum(array, dtype=np.float64)))


def cosine(vec1, vec2):
    """Cosine of two vectors, computed in float64 and rounded to float32; 0 for a zero vector.

    The float64 value is within about 1e-15 of the exact cosine, and float32 numbers near
    1 are 6e-8 apart, so the rounded result is exactly 1.0 for a vector with itself and
    never leaves [-1, 1]. gensim's float32 dot product of two float32 unit vectors differs
    from this by at most a few float32 steps (its rounding errors add up to dim * 2**-24).
    """
    vec1 = np.asarray(vec1, dtype=np.float64)
    vec2 = np.asarray(vec2, dtype=np.float64)
    denominator = np.sqrt(np.dot(vec1, vec1)) * np.sqrt(np.dot(vec2, vec2))
    if denominator == 0:
        return 0.0
    return float(np.float32(np.dot(vec1, vec2) / denominator))


def earth_movers_distance(supply, demand, cost):
    """Least total cost of moving the mass `supply` onto `demand` (the optimal transport).

    Minimises ``sum_ij T_ij * cost_ij`` over transport plans ``T >= 0`` whose row sums are
    `supply` and column sums `demand` (both sum to 1). Solved by POT's network simplex, as
    gensim does, when POT is installed, else by scipy's HiGHS linear-programming solver.

    Parameters
    ----------
    supply : numpy.ndarray, shape (n1,), float64
    demand : numpy.ndarray, shape (n2,), float64
    cost : numpy.ndarray, shape (n1, n2), float64

    Returns
    -------
    float
    """
    try:
        from ot import emd2
    except ImportError:
        emd2 = None
    if emd2 is not None:
        return float(emd2(supply, demand, cost))
    try:
        from scipy.optimize import linprog
    except ImportError:
        raise ImportError("wmdistance needs POT (pip install POT) or scipy") from None
    n1, n2 = cost.shape
    # T is flattened row-major: row i of T is T.ravel()[i*n2:(i+1)*n2].
    row_sums = np.kron(np.eye(n1), np.ones((1, n2)))
    column_sums = np.kron(np.ones((1, n1)), np.eye(n2))
    result = linprog(cost.ravel(), A_eq=np.vstack([row_sums, column_sums]),
                     b_eq=np.concatenate([supply, demand]), bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError(f"optimal transport failed: {result.message}")
    return float(result.fun)
