"""Clusters of near-duplicate content: items joined across signal kinds (an image that is a
near-duplicate of another, a text posted again with a few words changed, the same file twice)
by union-find, so that a post's text can join a cluster through an image it shares with another.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import floor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from raqib.analysis.campaign.links import link_equal, link_pdq, link_texts, link_videos
from raqib.analysis.campaign.load import (
    KIND_BIT,
    NO_ACCOUNT,
    SIGNAL_KINDS,
    ItemTable,
    iso_time,
)
from raqib.analysis.campaign.unionfind import UnionFind
from raqib.signals.pdq import PDQ_THRESHOLD
from raqib.signals.text_minhash import MINHASH_THRESHOLD, NUM_PERMUTATIONS
from raqib.signals.vpdq import FRAME_THRESHOLD

MAX_LISTED = 1000  # item ids and handles listed per cluster; `size` and `account_count` count all


@dataclass(frozen=True)
class ClusterOptions:
    """How near is near: PDQ bits (per image and per video frame) and MinHash distance."""

    pdq_threshold: int = PDQ_THRESHOLD
    frame_threshold: int = FRAME_THRESHOLD
    text_distance: float = MINHASH_THRESHOLD


@dataclass(frozen=True)
class Cluster:
    """Items (numbers, in reading order) joined by near-duplicate content, and their accounts."""

    id: str
    items: NDArray[np.int32]
    kinds: tuple[str, ...]  # the signal kinds that joined them
    accounts: NDArray[np.int32]  # account numbers, ascending


def find_clusters(table: ItemTable, options: ClusterOptions | None = None) -> list[Cluster]:
    """Clusters of two or more items, largest first (then by first item), ids "c1", "c2"..."""
    options = options or ClusterOptions()
    forest = UnionFind(len(table))
    kinds = np.zeros(len(table), dtype=np.uint8)
    for kind, linked in _link_all(forest, table, options):
        kinds[linked] |= np.uint8(KIND_BIT[kind])
    groups = _groups(forest.labels())
    groups.sort(key=lambda g: (-g.size, int(g[0])))
    return [
        _cluster(f"c{n}", group.astype(np.int32), kinds, table) for n, group in enumerate(groups, 1)
    ]


def _groups(labels: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """The sets of two or more items, each in reading order (singletons never become arrays)."""
    members = np.flatnonzero(np.bincount(labels, minlength=labels.size)[labels] >= 2)
    member_labels = labels[members]
    order = np.argsort(member_labels, kind="stable")
    bounds = np.flatnonzero(np.diff(member_labels[order])) + 1
    return [group for group in np.split(members[order], bounds) if group.size]


def _link_all(
    forest: UnionFind, table: ItemTable, options: ClusterOptions
) -> list[tuple[str, NDArray[np.int32]]]:
    columns = table.signals
    exact_keys = np.frombuffer(columns.exact_keys, dtype=np.int64)
    exact_items = np.frombuffer(columns.exact_items, dtype=np.int32)
    exact_kinds = np.frombuffer(columns.exact_kinds, dtype=np.int8)
    found: list[tuple[str, NDArray[np.int32]]] = []
    for kind in ("md5", "sha256", "text_sha256"):
        of_kind = exact_kinds == SIGNAL_KINDS.index(kind)
        found.append((kind, link_equal(forest, exact_keys[of_kind], exact_items[of_kind])))
    pdq_items = np.frombuffer(columns.pdq_items, dtype=np.int32)
    found.append(("pdq", link_pdq(forest, columns.pdq_rows(), pdq_items, options.pdq_threshold)))
    found.append(("vpdq", link_videos(forest, columns.videos, options.frame_threshold)))
    limit = floor(options.text_distance * NUM_PERMUTATIONS + 1e-9)
    minhash_items = np.frombuffer(columns.minhash_items, dtype=np.int32)
    found.append(("text_minhash", link_texts(forest, columns.minhash_rows(), minhash_items, limit)))
    return found


def _cluster(
    name: str, items: NDArray[np.int32], kinds: NDArray[np.uint8], table: ItemTable
) -> Cluster:
    bits = int(np.bitwise_or.reduce(kinds[items]))
    authors = np.unique(table.authors[items])
    return Cluster(
        id=name,
        items=items,
        kinds=tuple(kind for kind in SIGNAL_KINDS if bits & KIND_BIT[kind]),
        accounts=authors[authors != NO_ACCOUNT].astype(np.int32),
    )


def cluster_record(cluster: Cluster, table: ItemTable) -> dict[str, Any]:
    """A cluster as JSON: id, size, items, accounts, first/last time, entities, kinds, sample."""
    times = table.times[cluster.items]
    known = ~np.isnan(times)
    entities = sorted({e for item in cluster.items.tolist() for e in table.entities.get(item, ())})
    handles = sorted(
        (table.accounts.handles[a] for a in cluster.accounts.tolist()), key=str.casefold
    )
    return {
        "id": cluster.id,
        "size": int(cluster.items.size),
        "items": [table.ids[item] for item in cluster.items[:MAX_LISTED].tolist()],
        "accounts": handles[:MAX_LISTED],
        "account_count": len(handles),
        "first": iso_time(float(times[known].min())) if known.any() else None,
        "last": iso_time(float(times[known].max())) if known.any() else None,
        "entities": entities,
        "kinds": list(cluster.kinds),
        "sample": table.ids[_sample(cluster.items, times)],
    }


def _sample(items: NDArray[np.int32], times: NDArray[np.float64]) -> int:
    """The earliest item (the first read when no item has a time)."""
    if np.isnan(times).all():
        return int(items[0])
    return int(items[int(np.nanargmin(times))])
