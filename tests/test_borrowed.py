"""Borrowed arrays: the same data with no reference count (fastw2v.borrowed)."""

import numpy as np
from numba import njit
from numba.extending import intrinsic
from numba.core import types

from fastw2v.borrowed import borrowed


@intrinsic
def _meminfo_is_null(typingctx, ary):
    def codegen(context, builder, signature, args):
        a = context.make_array(ary)(context, builder, value=args[0])
        return builder.icmp_unsigned("==", a.meminfo, a.meminfo.type(None))

    return types.boolean(ary), codegen


@njit
def _write_through_borrowed(a, row, value):
    b = borrowed(a)
    view = b[row]  # a view of a borrowed array is uncounted too
    view[:] = value
    return _meminfo_is_null(a), _meminfo_is_null(b), _meminfo_is_null(view), b.shape[0], b.strides[0]


def test_borrowed_shares_the_data_and_drops_the_reference_count():
    a = np.zeros((5, 3), dtype=np.float32)
    original, borrowed_null, view_null, rows, stride = _write_through_borrowed(a, 2, 7.0)
    assert not original  # a real array is counted
    assert borrowed_null and view_null  # the borrowed one, and its views, are not
    assert (rows, stride) == (5, 12)
    assert a[2].tolist() == [7.0, 7.0, 7.0] and a.sum() == 21.0


@intrinsic
def _first_meminfo_is_null(typingctx, bundle):
    def codegen(context, builder, signature, args):
        a = context.make_array(bundle.types[0])(context, builder, value=builder.extract_value(args[0], 0))
        return builder.icmp_unsigned("==", a.meminfo, a.meminfo.type(None))

    return types.boolean(bundle), codegen


@njit
def _borrow_bundles(weights, schedule):
    w = borrowed(weights)
    w.syn1[1, 0] = 5.0
    return _first_meminfo_is_null(weights), _first_meminfo_is_null(w), borrowed(schedule)


def test_a_bundle_comes_back_with_its_arrays_borrowed_and_its_scalars_as_they_were():
    from fastw2v.bundles import Schedule, Weights

    weights = Weights(syn0=np.zeros((3, 2), np.float32), syn1=np.zeros((3, 2), np.float32),
                      nodes=np.zeros((2, 2), np.float32))
    schedule = Schedule(alpha=0.05, min_alpha=0.001, words_before=7.0, total_words=99.0)
    original_null, borrowed_null, same = _borrow_bundles(weights, schedule)
    assert not original_null and borrowed_null
    assert weights.syn1[1, 0] == 5.0  # same data
    assert same == schedule and type(same) is Schedule
