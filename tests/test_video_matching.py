"""vPDQ end to end through the store and the matcher: a bank video and its near-duplicates."""

from __future__ import annotations

from pathlib import Path

from raqib.config import Settings
from raqib.matching import Matcher
from raqib.pipeline import hash_file
from raqib.records import Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.store.banks import BankRepository
from raqib.store.db import Database
from raqib.synthetic_video import make_video, reencode, rescale


def test_bank_video_matches_its_reencode_and_rescale_not_another(
    database: Database, settings: Settings, registry: SignalRegistry, tmp_path: Path
) -> None:
    original = make_video(tmp_path / "clip.mp4", source="testsrc2", seconds=5)
    near = [
        reencode(original, tmp_path / "re.mp4", crf=40),
        rescale(original, tmp_path / "small.mp4", width=160),
    ]
    other = make_video(tmp_path / "other.mp4", source="mandelbrot", seconds=5)
    bank_signal = next(s for s in hash_file(original, settings).signals if s.signal_type == "vpdq")
    with database.session() as session:
        repo = BankRepository(session)
        repo.create("videos")
        repo.add_entries("videos", [NewEntry("vpdq", bank_signal.value, Labels(tier=3))])
    with database.session() as session:
        matcher = Matcher(session, settings, registry)
        for path in near:
            signals = [s for s in hash_file(path, settings).signals if s.signal_type == "vpdq"]
            (match,) = matcher.match(signals)
            assert match.details["compared_match_percent"] >= 80
            assert match.details["query_match_percent"] > 0
            assert abs(match.distance - (100 - match.details["compared_match_percent"])) < 0.1
        other_signals = [s for s in hash_file(other, settings).signals if s.signal_type == "vpdq"]
        assert not matcher.match(other_signals)
