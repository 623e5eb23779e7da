"""vPDQ video matching: a Hamming index over every bank video's frames finds candidate videos,
then each candidate is scored exactly with frame-level match percentages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from raqib.index.hamming import HammingIndex
from raqib.index.snapshots import hex_rows
from raqib.signals.vpdq import Frame, VideoMatch, match_videos, parse_frames
from raqib.store.changes import all_values

MIN_FRAME_QUALITY = 50


@dataclass(frozen=True)
class VideoHit:
    entry_id: int
    match: VideoMatch


class VideoIndex:
    """All bank videos of a signal type, built from the store when opened."""

    def __init__(self, entry_ids: list[int], videos: list[list[Frame]]) -> None:
        self._videos = dict(zip(entry_ids, videos, strict=True))
        owners: list[int] = []
        hexes: list[str] = []
        for entry_id, frames in self._videos.items():
            unique = {f.pdq_hex for f in frames if f.quality >= MIN_FRAME_QUALITY}
            owners.extend([entry_id] * len(unique))
            hexes.extend(sorted(unique))
        self._owners = np.asarray(owners, dtype=np.int64)
        frame_ids = np.arange(len(hexes), dtype=np.int64)
        self._frames = HammingIndex.build(frame_ids, hex_rows(hexes))

    @classmethod
    def open(cls, session: Session, signal_type: str) -> VideoIndex:
        ids, values = all_values(session, signal_type)
        return cls(ids, [parse_frames(v) for v in values])

    def query(self, frames: list[Frame], frame_threshold: int) -> list[VideoHit]:
        """Every bank video sharing at least one frame, with its exact match percentages."""
        candidates: set[int] = set()
        for pdq_hex in {f.pdq_hex for f in frames if f.quality >= MIN_FRAME_QUALITY}:
            for frame_id, _distance in self._frames.query(pdq_hex, frame_threshold):
                candidates.add(int(self._owners[frame_id]))
        hits = [
            VideoHit(entry_id, match_videos(frames, self._videos[entry_id], frame_threshold))
            for entry_id in sorted(candidates)
        ]
        return hits
