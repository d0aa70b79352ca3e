"""Software prefetch of matrix rows, for the kernels.

A training window touches a dozen rows scattered over matrices far larger
than the caches. Issued one after another, their cache misses are paid in
sequence; asking for all of a window's rows first keeps the misses in flight
together. Numba has no prefetch, so :func:`prefetch` emits LLVM's
``llvm.prefetch`` intrinsic (a hint: it never faults and changes no result).
"""

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: Bytes in a cache line on x86-64 and most ARM cores.
CACHE_LINE = 64


@intrinsic
def prefetch(typingctx, arr, i, j):
    """Hint the CPU to load the cache line holding ``arr[i, j]`` (2-D arrays)."""
    sig = types.void(arr, i, j)

    def codegen(context, builder, signature, args):
        arrty = signature.args[0]
        ary = context.make_array(arrty)(context, builder, args[0])
        index = [context.cast(builder, v, t, types.intp) for v, t in zip(args[1:], signature.args[1:])]
        ptr = cgutils.get_item_pointer(context, builder, arrty, ary, index, wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read access (0), high temporal locality (3), data cache (1)
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, inline="always")
def prefetch_row(a, i):
    """Prefetch every cache line of row ``i`` of a float32 matrix."""
    step = CACHE_LINE // 4
    for d in range(0, a.shape[1], step):
        prefetch(a, i, d)
