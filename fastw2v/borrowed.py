"""Array views without a reference count, for the threads' hot loops.

Numba keeps every array's reference count in its ``MemInfo`` and updates it
with an atomic add whenever a compiled function receives, slices or returns
the array: a ``cbow_window`` call alone increments and decrements the counts
of its seven array arguments. All views of one array share one ``MemInfo``,
so when two threads train on ``syn0`` (or on their own rows of one scratch
buffer) every window makes both cores fight over that counter's cache line,
and each atomic waits for the line to come back from the other core.

:func:`borrowed` returns the same array (data, shape, strides) with no
``MemInfo`` (or a bundle of such arrays). Numba's reference counting skips a null ``MemInfo`` with one
comparison, so kernels handed borrowed arrays touch no shared counter. The
caller must keep the real array alive while the borrowed one is used: the
kernels borrow their arguments inside the call that received them.
"""

from numba.core import cgutils, types
from numba.extending import intrinsic


def _borrow(context, builder, ty, value):
    """``value`` of type ``ty`` with every array in it borrowed, as a new reference."""
    if isinstance(ty, types.Array):
        src = context.make_array(ty)(context, builder, value=value)
        out = context.make_array(ty)(context, builder)
        for name in ("nitems", "itemsize", "data", "shape", "strides"):
            setattr(out, name, getattr(src, name))
        out.meminfo = cgutils.get_null_value(out.meminfo.type)
        out.parent = cgutils.get_null_value(out.parent.type)
        return out._getvalue()
    if isinstance(ty, types.BaseTuple):
        fields = [_borrow(context, builder, t, builder.extract_value(value, i))
                  for i, t in enumerate(ty.types)]
        return context.make_tuple(builder, ty, fields)
    if context.enable_nrt:  # anything else is passed on, counted as numba expects
        context.nrt.incref(builder, ty, value)
    return value


@intrinsic
def borrowed(typingctx, ary):
    """``ary`` without its ``MemInfo`` (and Python parent): uncounted, same data.

    A tuple or namedtuple (a bundle of :mod:`fastw2v.bundles`) comes back as
    the same type with each array in it borrowed and every other field as it
    was, so a field added to a bundle is borrowed without further code.
    """
    if not isinstance(ary, (types.Array, types.BaseTuple)):
        return None

    def codegen(context, builder, signature, args):
        return _borrow(context, builder, ary, args[0])

    return ary(ary), codegen
