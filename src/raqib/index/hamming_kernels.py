"""Numba kernels behind `raqib.index.hamming`: table build, multi-index probing, scans.

Hand-written rather than delegated to a library because the libraries only scan: faiss's
`IndexBinaryFlat` (and python-threatexchange's PDQ index, which is faiss over float vectors)
compare the query with every entry, O(n) per query. Multi-index hashing over direct-addressed
tables touches a few thousand buckets instead; `bench/match.py` prints the ratio against both.

Hashes are `uint64[n, 4]`, the 256 bits numbered from bit 0 of word 0. Table `j` is keyed by
the bit field `fields[j] = (first bit, width, start of its offsets)`. Every kernel releases the
GIL, so callers run them on threads, one chunk each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numba.core import cgutils as _cgutils
from numba.core import types as _types
from numba.extending import intrinsic

# numba's internals are untyped; used only inside the code generators below.
cgutils: Any = _cgutils
nb_types: Any = _types

F = TypeVar("F", bound=Callable[..., Any])

PREFETCH = 16  # rows fetched ahead while verifying; keeps many cache misses in flight


def _jit(fn: F) -> F:
    """`numba.njit(nogil=True)`, cached on disk when a writable cache location exists."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # numba found no writable cache directory: compile per process
        return cast(F, numba.njit(nogil=True)(fn))


def _ctpop_codegen(typingctx: Any, x: Any) -> Any:
    """LLVM's population count (one POPCNT instruction on x86-64)."""
    sig = nb_types.int64(nb_types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


def _prefetch_codegen(typingctx: Any, arr: Any, index: Any) -> Any:
    """Hint the cache to fetch `arr[index]` (row `index` of a 2-D array): llvm.prefetch."""
    sig = nb_types.void(arr, nb_types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        at = [args[1]] + [context.get_constant(nb_types.intp, 0)] * (aryty.ndim - 1)
        shape = cgutils.unpack_tuple(builder, ary.shape)
        strides = cgutils.unpack_tuple(builder, ary.strides)
        ptr = cgutils.get_item_pointer2(
            context, builder, ary.data, shape, strides, aryty.layout, at
        )
        ir = cgutils.ir
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


_ctpop: Any = intrinsic(_ctpop_codegen)
_prefetch: Any = intrinsic(_prefetch_codegen)


@_jit
def _key(words: np.ndarray, p: int, start: int, width: int) -> np.int64:
    """Bits `start : start + width` of row `p` (width <= 32) as an integer."""
    w = start >> 6
    off = start & 63
    v = words[p, w] >> np.uint64(off)
    if off + width > 64:
        v |= words[p, w + 1] << np.uint64(64 - off)
    return np.int64(v & ((np.uint64(1) << np.uint64(width)) - np.uint64(1)))


@_jit
def build_table(
    words: np.ndarray, start: int, width: int, offsets: np.ndarray, positions: np.ndarray
) -> None:
    """Counting-sort row numbers by one bit field: `offsets[k]:offsets[k+1]` slices
    `positions`. `offsets` (uint32[2**width + 1]) must arrive zeroed; `positions` is uint32[n].
    """
    n = words.shape[0]
    size = offsets.shape[0] - 1
    for p in range(n):
        offsets[_key(words, p, start, width) + 1] += 1
    for k in range(size):
        offsets[k + 1] += offsets[k]
    cursor = offsets[:size].copy()
    for p in range(n):
        key = _key(words, p, start, width)
        positions[cursor[key]] = p
        cursor[key] += 1


@_jit
def _distance(
    words: np.ndarray, p: int, q0: np.uint64, q1: np.uint64, q2: np.uint64, q3: np.uint64
) -> int:
    return (  # type: ignore[no-any-return]
        _ctpop(words[p, 0] ^ q0)
        + _ctpop(words[p, 1] ^ q1)
        + _ctpop(words[p, 2] ^ q2)
        + _ctpop(words[p, 3] ^ q3)
    )


@_jit
def _found_earlier(
    words: np.ndarray, p: int, j: int, qkeys: np.ndarray, radii: np.ndarray, fields: np.ndarray
) -> bool:
    """Whether a table before `j` also reaches row `p` (so `j` must not report it again)."""
    for jj in range(j):
        if radii[jj] < 0:
            continue
        key = _key(words, p, fields[jj, 0], fields[jj, 1])
        if _ctpop(np.uint64(key ^ qkeys[jj])) <= radii[jj]:
            return True
    return False


@_jit
def _emit(
    out_q: np.ndarray, out_p: np.ndarray, out_d: np.ndarray, count: int, qi: int, p: int, d: int
) -> int:
    """Store one hit if there is room; count it either way (the caller retries if short)."""
    if count < out_q.shape[0]:
        out_q[count] = qi
        out_p[count] = p
        out_d[count] = d
    return count + 1


@_jit
def _neighbour_keys(key: np.int64, width: int, radius: int, out: np.ndarray) -> int:
    """Write every key within `radius` bits of `key` to `out`; return how many."""
    combo = np.empty(64, np.int64)
    count = 0
    for k in range(min(radius, width) + 1):
        for i in range(k):
            combo[i] = i
        while True:
            flip = 0
            for i in range(k):
                flip |= 1 << combo[i]
            out[count] = key ^ flip
            count += 1
            i = k - 1  # next k-combination of bit positions, in lexicographic order
            while i >= 0 and combo[i] == width - k + i:
                i -= 1
            if i < 0:
                break
            combo[i] += 1
            for ii in range(i + 1, k):
                combo[ii] = combo[ii - 1] + 1
    return count


@_jit
def _bucket_bounds(
    offsets: np.ndarray, base: int, keys: np.ndarray, count: int, lo: np.ndarray, hi: np.ndarray
) -> int:
    """Bucket bounds of the first `count` keys; returns the total bucket size."""
    total = 0
    for i in range(count):
        if i + PREFETCH < count:
            _prefetch(offsets, base + keys[i + PREFETCH])
        lo[i] = offsets[base + keys[i]]
        hi[i] = offsets[base + keys[i] + 1]
        total += hi[i] - lo[i]
    return total


@_jit
def _gather(
    positions: np.ndarray,
    pbase: int,
    lo: np.ndarray,
    hi: np.ndarray,
    count: int,
    cand: np.ndarray,
) -> int:
    """Row numbers of every bucket `lo[i]:hi[i]` of one table, concatenated into `cand`."""
    c = 0
    for i in range(count):
        if i + PREFETCH < count:
            _prefetch(positions, pbase + lo[i + PREFETCH])
        for s in range(lo[i], hi[i]):
            cand[c] = positions[pbase + s]
            c += 1
    return c


@_jit
def _verify(
    cand: np.ndarray,
    found: int,
    qi: int,
    queries: np.ndarray,
    threshold: int,
    words: np.ndarray,
    alive: np.ndarray,
    j: int,
    qkeys: np.ndarray,
    radii: np.ndarray,
    fields: np.ndarray,
    out: tuple[np.ndarray, np.ndarray, np.ndarray],
    count: int,
) -> int:
    """Emit the candidate rows of table `j` within `threshold` that no earlier table found."""
    q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
    for c in range(found):
        if c + PREFETCH < found:
            _prefetch(words, cand[c + PREFETCH])
        p = cand[c]
        d = _distance(words, p, q0, q1, q2, q3)
        if d > threshold or alive[p] == 0:
            continue
        if _found_earlier(words, p, j, qkeys, radii, fields):
            continue
        count = _emit(out[0], out[1], out[2], count, qi, p, d)
    return count


@_jit
def mih_chunk(
    queries: np.ndarray,
    threshold: int,
    radii: np.ndarray,
    max_probes: int,
    words: np.ndarray,
    alive: np.ndarray,
    fields: np.ndarray,
    offsets: np.ndarray,
    positions: np.ndarray,
    out_q: np.ndarray,
    out_p: np.ndarray,
    out_d: np.ndarray,
) -> int:
    """Multi-index search: every live row within `threshold` of each query, once each.

    Table `j` is probed at every key within `radii[j]` bits of the query's key (`-1`: skip);
    the radii come from the pigeonhole split in `hamming_layout.radii`, and `max_probes` is
    the most keys that makes for one table. Each table's probes run in stages (keys, bucket
    bounds, row numbers, verification), each a loop of independent loads with prefetching,
    so that many cache misses overlap. Hits go to `out_*` (query number, row, distance),
    unsorted; returns how many there are, which may exceed the room in `out_*` (then only
    the first ones were stored).
    """
    n = words.shape[0]
    m = fields.shape[0]
    count = 0
    qkeys = np.empty(m, np.int64)
    keys = np.empty(max_probes, np.int64)
    lo = np.empty(max_probes, np.int64)
    hi = np.empty(max_probes, np.int64)
    cand = np.empty(4096, np.int64)
    out = (out_q, out_p, out_d)
    for qi in range(queries.shape[0]):
        for j in range(m):
            qkeys[j] = _key(queries, qi, fields[j, 0], fields[j, 1])
        for j in range(m):
            if radii[j] < 0:
                continue
            probes = _neighbour_keys(qkeys[j], fields[j, 1], radii[j], keys)
            total = _bucket_bounds(offsets, fields[j, 2], keys, probes, lo, hi)
            if total > cand.shape[0]:
                cand = np.empty(2 * total, np.int64)
            found = _gather(positions, j * n, lo, hi, probes, cand)
            count = _verify(
                cand,
                found,
                qi,
                queries,
                threshold,
                words,
                alive,
                j,
                qkeys,
                radii,
                fields,
                out,
                count,
            )
    return count


@_jit
def scan_chunk(
    queries: np.ndarray,
    threshold: int,
    words: np.ndarray,
    alive: np.ndarray,
    out_q: np.ndarray,
    out_p: np.ndarray,
    out_d: np.ndarray,
) -> int:
    """Brute force, a cache-sized tile of rows at a time; outputs as `mih_chunk`."""
    n = words.shape[0]
    tile = 4096
    count = 0
    for start in range(0, n, tile):
        end = min(n, start + tile)
        for qi in range(queries.shape[0]):
            q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
            for p in range(start, end):
                d = _distance(words, p, q0, q1, q2, q3)
                if d <= threshold and alive[p] != 0:
                    count = _emit(out_q, out_p, out_d, count, qi, p, d)
    return count
