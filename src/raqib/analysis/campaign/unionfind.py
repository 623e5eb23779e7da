"""Union-find over item numbers, joining whole arrays of pairs at once with numpy.

Written by hand: scipy's connected_components would need every edge in memory at once, and the
text and media links arrive band by band (tens of millions of candidate pairs on large inputs);
here each batch is folded in and dropped. Roots are always the smallest member (a root is only
ever hooked under a smaller root), so parents never form a cycle and the labels are
deterministic whatever the order of the unions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


class UnionFind:
    """Disjoint sets of the numbers 0..size-1."""

    def __init__(self, size: int) -> None:
        self._parent: NDArray[np.int64] = np.arange(size, dtype=np.int64)

    def union(self, left: ArrayLike, right: ArrayLike) -> None:
        """Join the set of left[i] with the set of right[i], for every i."""
        a = self._roots(np.asarray(left, dtype=np.int64).ravel())
        b = self._roots(np.asarray(right, dtype=np.int64).ravel())
        while a.size:
            apart = a != b
            a, b = a[apart], b[apart]
            if not a.size:
                break
            high, low = np.maximum(a, b), np.minimum(a, b)
            # Several pairs may hook the same root: it goes under the smallest; the other
            # pairs are joined in the next round, from their new roots.
            np.minimum.at(self._parent, high, low)
            a, b = self._roots(low), self._roots(high)
        self._compress()

    def labels(self) -> NDArray[np.int64]:
        """Each number's set, named by its smallest member."""
        self._compress()
        return self._parent.copy()

    def _roots(self, numbers: NDArray[np.int64]) -> NDArray[np.int64]:
        while True:
            up = self._parent[numbers]
            if np.array_equal(up, numbers):
                return numbers
            numbers = up

    def _compress(self) -> None:
        """Point every number straight at its root (pointer jumping)."""
        parent = self._parent
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        self._parent = parent
