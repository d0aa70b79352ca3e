"""Array views without a reference count, for the threads' hot loops.

Numba keeps every array's reference count in its ``MemInfo`` and updates it
with an atomic add whenever a compiled function receives, slices or returns
the array: a ``cbow_window`` call alone increments and decrements the counts
of its seven array arguments. All views of one array share one ``MemInfo``,
so when two threads train on ``syn0`` (or on their own rows of one scratch
buffer) every window makes both cores fight over that counter's cache line,
and each atomic waits for the line to come back from the other core.

:func:`borrowed` returns the same array (data, shape, strides) with no
``MemInfo``. Numba's reference counting skips a null ``MemInfo`` with one
comparison, so kernels handed borrowed arrays touch no shared counter. The
caller must keep the real array alive while the borrowed one is used: the
kernels borrow their arguments inside the call that received them.
"""

from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, ary):
    """``ary`` without its ``MemInfo`` (and Python parent): uncounted, same data."""

    def codegen(context, builder, signature, args):
        src = context.make_array(ary)(context, builder, value=args[0])
        out = context.make_array(ary)(context, builder)
        for name in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, name, getattr(src, name))
        out.meminfo = cgutils.get_null_value(out.meminfo.type)
        out.parent = cgutils.get_null_value(out.parent.type)
        return out._getvalue()

    return ary(ary), codegen
