"""Counter-based random numbers for the kernels: splitmix64, state passed explicitly.

Every kernel thread owns one ``uint64`` state, derived from the run's seed and
the thread's stream number with :func:`seed_stream`, and threads it through
the calls (``state, z = next_u64(state)``). No state is shared between
threads, so one thread and one seed always give the same numbers.

splitmix64 (Steele, Lea and Flood, 2014) is a Weyl sequence (add a fixed odd
constant) passed through a 64-bit finaliser; it passes BigCrush, costs two
multiplications a draw and needs only one word of state.
"""

import numpy as np
from numba import njit

# The golden-ratio Weyl increment and the two finaliser multipliers of
# splitmix64; the shift amounts are typed uint64 so that Numba keeps the whole
# computation in unsigned 64-bit integers (mixing uint64 with int64 would
# promote to float64).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
# 2**-53: maps the top 53 bits of a draw onto [0, 1) with full double precision.
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def next_u64(state):
    """Advance ``state`` and return ``(state, z)`` with ``z`` a uniform uint64."""
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return state, z ^ (z >> _S31)


@njit(cache=True)
def uniform(z):
    """Map a uniform uint64 ``z`` onto a float64 in [0, 1)."""
    return (z >> _S11) * _INV_2_53


@njit(cache=True)
def below(z, n):
    """Map a uniform uint64 ``z`` onto an int in ``0..n-1`` (n < 2**32).

    Lemire's multiply-shift: the high 32 bits of ``z`` times ``n``, shifted
    down by 32, is uniform on ``0..n-1`` up to a bias of n / 2**32.
    """
    return np.int64(((z >> _S32) * np.uint64(n)) >> _S32)


@njit(cache=True)
def low32(z):
    """The low 32 bits of ``z``, as an independent uniform draw on 0..2**32-1."""
    return z & _LOW32


@njit(cache=True)
def seed_stream(seed, stream):
    """Starting state of random stream number ``stream`` for run seed ``seed``.

    Two rounds of the finaliser decorrelate neighbouring seeds and streams.
    """
    s, z = next_u64(np.uint64(seed))
    s, z = next_u64(z ^ np.uint64(stream))
    return z
