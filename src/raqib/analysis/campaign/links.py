"""Which items carry near-duplicate content, one signal kind at a time. Each function joins the
linked items in a UnionFind and returns the items it linked (to name a cluster's kinds).

- exact digests: equal keys, found by sorting;
- PDQ: identical hashes by sorting, then the near ones through `raqib.index.hamming`'s exact
  Hamming index (multi-index hashing, not n^2 comparisons);
- vPDQ: every frame looked up in one Hamming index of all frames, giving vPDQ's frame-level
  match percentages for every pair of videos that share a frame;
- text MinHash: locality-sensitive banding over the signatures, candidates confirmed by
  counting equal positions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from raqib.analysis.campaign.unionfind import UnionFind
from raqib.index.hamming import HammingIndex
from raqib.index.minhash import BANDS
from raqib.signals.text_minhash import NUM_PERMUTATIONS
from raqib.signals.vpdq import MATCH_PERCENT

QUERY_BATCH = 8192  # PDQ hashes queried at a time
VERIFY_BATCH = 65_536  # MinHash pairs compared at a time
MAX_FRAME_HITS = 1000  # near frames above which a video frame is too common to link videos
Items = NDArray[np.int32]


def link_equal(forest: UnionFind, keys: NDArray[np.int64], items: Items) -> Items:
    """Join items whose keys are equal; the items joined."""
    order = np.argsort(keys, kind="stable")
    sorted_keys, sorted_items = keys[order], items[order]
    same = sorted_keys[1:] == sorted_keys[:-1]
    left, right = sorted_items[:-1][same], sorted_items[1:][same]
    forest.union(left, right)
    return np.union1d(left, right).astype(np.int32)


def link_pdq(forest: UnionFind, hashes: NDArray[np.uint8], items: Items, threshold: int) -> Items:
    """Join items whose PDQ hashes are within `threshold` bits."""
    if not hashes.shape[0]:
        return np.zeros(0, dtype=np.int32)
    rows = np.ascontiguousarray(hashes).view(np.dtype((np.void, 32))).ravel()
    distinct, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    linked = [link_equal(forest, inverse.astype(np.int64), items)]
    owners = items[first]  # one item per distinct hash stands for the others
    unique_hashes = np.frombuffer(distinct.tobytes(), dtype=np.uint8).reshape(-1, 32)
    index = HammingIndex.build(np.arange(unique_hashes.shape[0], dtype=np.int64), unique_hashes)
    for start in range(0, unique_hashes.shape[0], QUERY_BATCH):
        queries = unique_hashes[start : start + QUERY_BATCH]
        left, right = _hit_pairs(index.query_batch(queries, threshold), start)
        forest.union(owners[left], owners[right])
        linked.append(owners[left])
        linked.append(owners[right])
    return np.unique(np.concatenate(linked)).astype(np.int32)


def _hit_pairs(
    hits: list[list[tuple[int, int]]], start: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(query row, hit id) pairs of a batch query, without each query's hit on itself."""
    left = [start + n for n, found in enumerate(hits) for _ in found]
    right = [hit for found in hits for hit, _distance in found]
    a, b = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    keep = a != b
    return a[keep], b[keep]


def link_videos(
    forest: UnionFind, videos: dict[int, NDArray[np.uint8]], frame_threshold: int
) -> Items:
    """Join videos of which one matches the other by vPDQ's rule: MATCH_PERCENT of one video's
    unique good frames are within `frame_threshold` bits of some frame of the other.

    Every frame is looked up once in a Hamming index of all frames; for each pair of videos
    (a, b), the number of a's frames that hit b is then exactly what `match_videos` counts.
    A frame with more than MAX_FRAME_HITS near frames (a channel's bumper, a blank title card)
    is left out of the counts, which keeps the work linear; its video's other frames still
    link it.
    """
    if len(videos) < 2:
        return np.zeros(0, dtype=np.int32)
    numbers = sorted(videos)
    sizes = np.array([videos[n].shape[0] for n in numbers], dtype=np.int64)
    owners = np.repeat(np.arange(len(numbers), dtype=np.int64), sizes)
    frames = np.concatenate([videos[n] for n in numbers])
    index = HammingIndex.build(np.arange(frames.shape[0], dtype=np.int64), frames)
    keys: list[NDArray[np.int64]] = []
    for start in range(0, frames.shape[0], QUERY_BATCH):
        hits = index.query_batch(frames[start : start + QUERY_BATCH], frame_threshold)
        hits = [found if len(found) <= MAX_FRAME_HITS else [] for found in hits]
        query, hit = _hit_pairs(hits, start)
        a, b = owners[query], owners[hit]
        other = a != b
        frame_video = np.unique(query[other] * len(numbers) + b[other])  # (frame, video b)
        keys.append(owners[frame_video // len(numbers)] * len(numbers) + frame_video % len(numbers))
    pair_keys, counts = np.unique(np.concatenate(keys), return_counts=True)
    a, b = pair_keys // len(numbers), pair_keys % len(numbers)
    matched = counts * 100 >= MATCH_PERCENT * sizes[a]  # a's frames found in b
    if not matched.any():
        return np.zeros(0, dtype=np.int32)
    items = np.asarray(numbers, dtype=np.int64)
    forest.union(items[a[matched]], items[b[matched]])
    return np.unique(items[np.concatenate((a[matched], b[matched]))]).astype(np.int32)


def link_texts(
    forest: UnionFind, signatures: NDArray[np.uint16], items: Items, limit: int
) -> Items:
    """Join items whose MinHash signatures differ in at most `limit` of 128 positions.

    Banding as in `raqib.index.minhash` (32 bands of 4 values), written again here over the
    whole collection at once, because that index answers one query at a time. Four 16-bit
    values make one uint64 band key, so the keys are a view of the signatures. Per band the keys
    are sorted; in each run of equal keys every member is compared with the run's first member
    and with its neighbour. Runs of up to 3 are thereby compared pair by pair; in longer runs
    (many near-identical texts) the comparisons stay linear, and near-duplicates that differ
    from the run's head still meet in their other bands (a pair at Jaccard 0.8 shares 13 bands
    on average). Pigeonhole: a pair with at most 31 mismatches shares a band.
    """
    if signatures.shape[0] < 2:
        return np.zeros(0, dtype=np.int32)
    keys = np.ascontiguousarray(signatures).view(np.uint64)  # (n, 32)
    linked: list[Items] = []
    for band in range(BANDS):
        left, right = _band_pairs(keys[:, band])
        for start in range(0, left.size, VERIFY_BATCH):
            a, b = left[start : start + VERIFY_BATCH], right[start : start + VERIFY_BATCH]
            equal = np.count_nonzero(signatures[a] == signatures[b], axis=1)
            near = NUM_PERMUTATIONS - equal <= limit
            forest.union(items[a[near]], items[b[near]])
            linked.append(items[a[near]])
            linked.append(items[b[near]])
    if not linked:
        return np.zeros(0, dtype=np.int32)
    return np.unique(np.concatenate(linked)).astype(np.int32)


def _band_pairs(keys: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row pairs to compare in one band: neighbours and (head, member) in runs of equal keys."""
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    if not same.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    run_of = np.cumsum(np.concatenate(([True], ~same))) - 1
    head = starts[run_of]  # position of each position's run head
    positions = np.arange(order.size)
    far = head < positions - 1  # not the head, nor next to it (that pair is a neighbour pair)
    left = np.concatenate((order[:-1][same], order[head[far]]))
    right = np.concatenate((order[1:][same], order[positions[far]]))
    return left.astype(np.int64), right.astype(np.int64)
