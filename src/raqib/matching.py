"""Match signals against every enabled bank: one index per signal type, per-bank thresholds,
rotations/mirrors where a bank allows them, and allow-list suppression."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.index.exact import ExactIndex
from raqib.index.hamming import HammingIndex
from raqib.index.minhash import MinHashIndex
from raqib.index.snapshots import open_hamming_index
from raqib.index.video import VideoIndex
from raqib.records import BankInfo, EntryRecord, Labels
from raqib.signals import IndexKind, Signal, SignalRegistry, SignalType
from raqib.signals.vpdq import parse_frames
from raqib.store.banks import BankRepository


@dataclass(frozen=True)
class Match:
    """A bank entry that a query signal matched."""

    bank: str
    entry_id: int
    signal_type: str
    signal: str  # the bank entry's signal
    distance: float
    labels: Labels
    query: str  # the query signal that matched
    via_variant: bool = False  # matched through a rotation or mirror of the query
    allow_list: bool = False
    suppressed_by: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "entry_id": self.entry_id,
            "signal_type": self.signal_type,
            "signal": self.signal,
            "distance": _number(self.distance),
            "labels": self.labels.as_dict(),
            "query_signal": self.query,
            "via_variant": self.via_variant,
            "allow_list": self.allow_list,
            "suppressed_by": self.suppressed_by,
            **self.details,
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


class Matcher:
    """Answers which bank entries match given signals. Indexes open lazily, once per type."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        registry: SignalRegistry,
        banks: Sequence[str] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.registry = registry
        self._repo = BankRepository(session)
        self._banks = {b.name: b for b in self._repo.all()}
        self._only = set(banks) if banks else None
        for name in self._only or ():
            if name not in self._banks:
                self._repo.get(name)  # raises NotFoundError with guidance
        self._hamming: dict[str, HammingIndex] = {}
        self._video: dict[str, VideoIndex] = {}
        self._near_text: dict[str, MinHashIndex] = {}

    def match(self, signals: Iterable[Signal]) -> list[Match]:
        """Matches for the signals of one piece of content, allow-lists applied."""
        found: list[Match] = []
        for signal in signals:
            found.extend(self._match_one(signal))
        return apply_allow_lists(_best_per_entry(found))

    def _match_one(self, signal: Signal) -> list[Match]:
        signal_type = self.registry.get(signal.signal_type)
        kind = signal_type.index_kind
        if kind is IndexKind.HAMMING:
            return self._match_hamming(signal_type, signal)
        if kind is IndexKind.VIDEO:
            return self._match_video(signal_type, signal)
        if kind is IndexKind.EXACT:
            return self._match_exact(signal_type, signal)
        if kind is IndexKind.NEAR_TEXT:
            return self._match_near_text(signal_type, signal)
        return []

    def _active(self, bank: BankInfo) -> bool:
        if self._only is not None:
            return bank.name in self._only
        return bank.enabled

    def _max_threshold(self, signal_type: SignalType) -> float:
        default = signal_type.default_threshold
        values = [b.threshold(signal_type.name, default) for b in self._banks.values()]
        return max([default, *values])

    def _match_exact(self, signal_type: SignalType, signal: Signal) -> list[Match]:
        hits = ExactIndex(self.session, signal_type.name).query(signal.value)
        return [
            _make_match(entry, self._banks.get(bank.name, bank), 0.0, signal.value)
            for entry, bank in hits
            if self._active(self._banks.get(bank.name, bank))
        ]

    def _match_hamming(self, signal_type: SignalType, signal: Signal) -> list[Match]:
        index = self._hamming_index(signal_type.name)
        threshold = int(self._max_threshold(signal_type))
        queries = [(signal.value, False)] + [(v, True) for v in signal.variants]
        raw: list[tuple[int, float, str, bool]] = []
        for value, is_variant in queries:
            raw.extend((i, float(d), value, is_variant) for i, d in index.query(value, threshold))
        entries = self._repo.by_ids(sorted({r[0] for r in raw}))
        matches = []
        for entry_id, distance, value, is_variant in raw:
            if entry_id not in entries:
                continue
            entry, row_bank = entries[entry_id]
            bank = self._banks.get(row_bank.name, row_bank)
            limit = bank.threshold(signal_type.name, signal_type.default_threshold)
            if not self._active(bank) or distance > limit:
                continue
            if is_variant and not bank.match_rotations:
                continue
            matches.append(_make_match(entry, bank, distance, value, via_variant=is_variant))
        return matches

    def _match_video(self, signal_type: SignalType, signal: Signal) -> list[Match]:
        index = self._video.get(signal_type.name)
        if index is None:
            index = self._video[signal_type.name] = VideoIndex.open(self.session, signal_type.name)
        frame_threshold = int(signal_type.default_threshold)
        hits = index.query(parse_frames(signal.value), frame_threshold)
        entries = self._repo.by_ids([h.entry_id for h in hits])
        matches = []
        for hit in hits:
            entry, row_bank = entries[hit.entry_id]
            bank = self._banks.get(row_bank.name, row_bank)
            if not self._active(bank) or not hit.match.is_match():
                continue
            details = {
                "query_match_percent": round(hit.match.query_match_percent, 1),
                "compared_match_percent": round(hit.match.compared_match_percent, 1),
            }
            distance = 100.0 - hit.match.compared_match_percent
            matches.append(_make_match(entry, bank, distance, signal.value, details=details))
        return matches

    def _match_near_text(self, signal_type: SignalType, signal: Signal) -> list[Match]:
        index = self._near_text.get(signal_type.name)
        if index is None:
            index = MinHashIndex.open(self.session, signal_type.name)
            self._near_text[signal_type.name] = index
        hits = index.query(signal.value, self._max_threshold(signal_type))
        entries = self._repo.by_ids([entry_id for entry_id, _ in hits])
        matches = []
        for entry_id, distance in hits:
            if entry_id not in entries:
                continue
            entry, row_bank = entries[entry_id]
            bank = self._banks.get(row_bank.name, row_bank)
            limit = bank.threshold(signal_type.name, signal_type.default_threshold)
            if self._active(bank) and distance <= limit:
                matches.append(_make_match(entry, bank, distance, signal.value))
        return matches

    def _hamming_index(self, name: str) -> HammingIndex:
        index = self._hamming.get(name)
        if index is None:
            directory = self.settings.index_dir / name
            index = self._hamming[name] = open_hamming_index(self.session, directory, name)
        return index


def _make_match(
    entry: EntryRecord,
    bank: BankInfo,
    distance: float,
    query: str,
    via_variant: bool = False,
    details: dict[str, Any] | None = None,
) -> Match:
    return Match(
        bank=bank.name,
        entry_id=entry.id,
        signal_type=entry.signal_type,
        signal=entry.value,
        distance=distance,
        labels=entry.labels,
        query=query,
        via_variant=via_variant,
        allow_list=bank.allow_list,
        details=details or {},
    )


def _best_per_entry(matches: list[Match]) -> list[Match]:
    """One match per bank entry: the closest (the plain query before a variant on ties)."""
    best: dict[int, Match] = {}
    for match in matches:
        kept = best.get(match.entry_id)
        if kept is None or (match.distance, match.via_variant) < (kept.distance, kept.via_variant):
            best[match.entry_id] = match
    return sorted(best.values(), key=lambda m: (m.distance, m.bank, m.entry_id))


def apply_allow_lists(matches: list[Match]) -> list[Match]:
    """A match in an allow-list bank suppresses the other banks' matches for the content."""
    allowing = next((m.bank for m in matches if m.allow_list), None)
    if allowing is None:
        return matches
    return [m if m.allow_list else replace(m, suppressed_by=allowing) for m in matches]
