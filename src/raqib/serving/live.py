"""In-memory indexes that stay open across requests and take the change log's adds and
removals: PDQ-style Hamming indexes (snapshot + replay at open, then incremental), MinHash
near-text indexes (incremental), and vPDQ video indexes (frame-level, incremental). Not
thread-safe on their own: the matcher's read-write lock guards them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.index.hamming import HammingIndex
from raqib.index.minhash import MinHashIndex
from raqib.index.snapshots import hex_rows, open_hamming_index
from raqib.index.video import MIN_FRAME_QUALITY, VideoHit
from raqib.signals import IndexKind
from raqib.signals.vpdq import MAX_FRAMES, Frame, match_videos, parse_frames
from raqib.store.changes import all_values


class LiveIndex(Protocol):
    """An open index that applies changes: entries `touched` are dropped, then `added`
    (id -> current value, the touched entries that still exist) are put back."""

    def __len__(self) -> int: ...

    def apply(self, touched: Sequence[int], added: Mapping[int, str]) -> None: ...


class LiveHamming:
    """A HammingIndex (memory-mapped snapshot plus changes)."""

    def __init__(self, index: HammingIndex) -> None:
        self.index = index

    @classmethod
    def open(cls, session: Session, settings: Settings, signal_type: str) -> LiveHamming:
        directory = settings.index_dir / signal_type
        return cls(open_hamming_index(session, directory, signal_type))

    def __len__(self) -> int:
        return len(self.index)

    def apply(self, touched: Sequence[int], added: Mapping[int, str]) -> None:
        self.index.remove(np.asarray(touched, dtype=np.int64))
        if added:
            ids = np.fromiter(added, dtype=np.int64, count=len(added))
            self.index.add(ids, hex_rows(list(added.values())))

    def query(self, values: Sequence[str], threshold: int) -> list[list[tuple[int, int]]]:
        """Hits of each hash; many hashes are spread over the CPU cores."""
        if len(values) == 1:
            return [self.index.query(values[0], threshold)]
        return self.index.query_batch(hex_rows(list(values)), threshold)


class LiveNearText:
    """A MinHashIndex of `text_minhash` signatures."""

    def __init__(self, index: MinHashIndex) -> None:
        self.index = index

    @classmethod
    def open(cls, session: Session, settings: Settings, signal_type: str) -> LiveNearText:
        return cls(MinHashIndex.open(session, signal_type))

    def __len__(self) -> int:
        return len(self.index)

    def apply(self, touched: Sequence[int], added: Mapping[int, str]) -> None:
        for entry_id in touched:
            self.index.remove(entry_id)
        for entry_id, value in added.items():
            self.index.add(entry_id, value)

    def query(self, value: str, max_distance: float) -> list[tuple[int, float]]:
        return self.index.query(value, max_distance)


class LiveVideo:
    """vPDQ videos: one Hamming index over every video's unique good frames, updated per video
    (no rebuild), and each candidate video scored exactly, as `raqib.index.video.VideoIndex`.
    A frame's id is its video's entry id shifted left by FRAME_BITS plus its number."""

    FRAME_BITS = max(MAX_FRAMES - 1, 1).bit_length()  # room for every frame of a video

    def __init__(self, videos: Mapping[int, list[Frame]]) -> None:
        self._videos: dict[int, list[Frame]] = {}
        self._frames: dict[int, int] = {}  # entry id -> its indexed frame count
        ids, hexes = self._rows(videos)
        self.index = HammingIndex.build(ids, hex_rows(hexes))

    @classmethod
    def open(cls, session: Session, settings: Settings, signal_type: str) -> LiveVideo:
        ids, values = all_values(session, signal_type)
        return cls({i: parse_frames(v) for i, v in zip(ids, values, strict=True)})

    def __len__(self) -> int:
        return len(self._videos)

    def apply(self, touched: Sequence[int], added: Mapping[int, str]) -> None:
        gone = [self._frame_ids(i) for i in touched if i in self._videos]
        for entry_id in touched:
            self._videos.pop(entry_id, None)
            self._frames.pop(entry_id, None)
        if gone:
            self.index.remove(np.concatenate(gone))
        ids, hexes = self._rows({i: parse_frames(v) for i, v in added.items()})
        if len(hexes):
            self.index.add(ids, hex_rows(hexes))

    def query(self, frames: list[Frame], frame_threshold: int) -> list[VideoHit]:
        """Every video sharing a frame with the query, with its exact match percentages."""
        candidates: set[int] = set()
        for pdq_hex in {f.pdq_hex for f in frames if f.quality >= MIN_FRAME_QUALITY}:
            for frame_id, _distance in self.index.query(pdq_hex, frame_threshold):
                candidates.add(frame_id >> self.FRAME_BITS)
        return [
            VideoHit(entry_id, match_videos(frames, self._videos[entry_id], frame_threshold))
            for entry_id in sorted(candidates)
            if entry_id in self._videos
        ]

    def _rows(self, videos: Mapping[int, list[Frame]]) -> tuple[np.ndarray, list[str]]:
        """Keep the videos; their unique good frames' ids and hashes."""
        ids: list[np.ndarray] = []
        hexes: list[str] = []
        for entry_id, frames in videos.items():
            unique = sorted({f.pdq_hex for f in frames if f.quality >= MIN_FRAME_QUALITY})
            self._videos[entry_id] = frames
            self._frames[entry_id] = len(unique)
            ids.append(self._frame_ids(entry_id))
            hexes.extend(unique)
        if not ids:
            return np.zeros(0, dtype=np.int64), []
        return np.concatenate(ids), hexes

    def _frame_ids(self, entry_id: int) -> np.ndarray:
        first = entry_id << self.FRAME_BITS
        return np.arange(first, first + self._frames[entry_id], dtype=np.int64)


LIVE_KINDS: dict[IndexKind, type[LiveHamming] | type[LiveNearText] | type[LiveVideo]] = {
    IndexKind.HAMMING: LiveHamming,
    IndexKind.NEAR_TEXT: LiveNearText,
    IndexKind.VIDEO: LiveVideo,
}
