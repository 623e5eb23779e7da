"""Match signals against every enabled bank: one index per signal type, per-bank thresholds,
rotations/mirrors where a bank allows them, and allow-list suppression.

The rules live in `match_signals`, which asks a `MatchSource` for raw index hits and entry rows.
`Matcher` is the source for one database session (the CLI, `raqib scan`); the service's
long-lived `raqib.serving.matcher.ServiceMatcher` is another, so both answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import NotFoundError
from raqib.index.exact import ExactIndex
from raqib.index.hamming import HammingIndex
from raqib.index.minhash import MinHashIndex
from raqib.index.snapshots import open_hamming_index
from raqib.index.video import VideoHit, VideoIndex
from raqib.records import BankInfo, EntryRecord, Labels
from raqib.signals import IndexKind, Signal, SignalRegistry, SignalType
from raqib.signals.vpdq import Frame, parse_frames
from raqib.store.banks import BankRepository

EntryRows = Mapping[int, tuple[EntryRecord, BankInfo]]


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


@dataclass(frozen=True)
class BankPolicy:
    """The banks as matching sees them: thresholds, enabled flags, and an optional set of
    bank names to match against instead of the enabled ones (`only`)."""

    banks: Mapping[str, BankInfo]
    only: frozenset[str] | None = None
    _widest: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def restricted(self, names: Iterable[str] | None) -> BankPolicy:
        """This policy limited to `names` (None or empty: unchanged). Raises NotFoundError."""
        chosen = frozenset(names or ())
        if not chosen:
            return self
        for name in sorted(chosen - set(self.banks)):
            raise NotFoundError(f"no bank named {name!r} (see `raqib bank list`)")
        return replace(self, only=chosen)

    def resolve(self, bank: BankInfo) -> BankInfo:
        """The policy's view of a bank read with an entry row."""
        return self.banks.get(bank.name, bank)

    def active(self, bank: BankInfo) -> bool:
        if self.only is not None:
            return bank.name in self.only
        return bank.enabled

    def max_threshold(self, signal_type: SignalType) -> float:
        """The widest threshold any bank sets for the type: what the index is asked for."""
        widest = self._widest.get(signal_type.name)
        if widest is None:
            default = signal_type.default_threshold
            values = [b.threshold(signal_type.name, default) for b in self.banks.values()]
            widest = self._widest[signal_type.name] = max([default, *values])
        return widest


class MatchSource(Protocol):
    """Where raw index hits and entry rows come from (one session, or the service's cache)."""

    def hamming(
        self, signal_type: str, values: Sequence[str], threshold: int
    ) -> list[list[tuple[int, int]]]:
        """(entry id, distance) hits for each of `values`, within `threshold` bits."""

    def video(self, signal_type: str, frames: list[Frame], frame_threshold: int) -> list[VideoHit]:
        """Bank videos sharing a frame with the query, scored."""

    def near_text(
        self, signal_type: str, value: str, max_distance: float
    ) -> list[tuple[int, float]]:
        """(entry id, distance) hits of a near-duplicate text signature."""

    def exact(self, signal_type: str, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        """Entries whose value equals `value`, with their banks."""

    def entries(self, ids: Sequence[int]) -> EntryRows:
        """The entries (and their banks) of `ids` that still exist."""


def match_signals(
    source: MatchSource, policy: BankPolicy, registry: SignalRegistry, signals: Iterable[Signal]
) -> list[Match]:
    """Matches for the signals of one piece of content, allow-lists applied."""
    found: list[Match] = []
    for signal in signals:
        found.extend(match_one(source, policy, registry.get(signal.signal_type), signal))
    return apply_allow_lists(_best_per_entry(found))


def match_one(
    source: MatchSource, policy: BankPolicy, signal_type: SignalType, signal: Signal
) -> list[Match]:
    """Every match of one signal, before one-per-entry and allow-lists."""
    kind = signal_type.index_kind
    if kind is IndexKind.HAMMING:
        return _match_hamming(source, policy, signal_type, signal)
    if kind is IndexKind.VIDEO:
        return _match_video(source, policy, signal_type, signal)
    if kind is IndexKind.EXACT:
        return _match_exact(source, policy, signal_type, signal)
    if kind is IndexKind.NEAR_TEXT:
        return _match_near_text(source, policy, signal_type, signal)
    return []


def hamming_queries(signal: Signal) -> list[tuple[str, bool]]:
    """The hashes a Hamming signal is looked up by: itself, then its variants."""
    return [(signal.value, False)] + [(v, True) for v in signal.variants]


def _match_exact(
    source: MatchSource, policy: BankPolicy, signal_type: SignalType, signal: Signal
) -> list[Match]:
    hits = source.exact(signal_type.name, signal.value)
    return [
        _make_match(entry, policy.resolve(bank), 0.0, signal.value)
        for entry, bank in hits
        if policy.active(policy.resolve(bank))
    ]


def _match_hamming(
    source: MatchSource, policy: BankPolicy, signal_type: SignalType, signal: Signal
) -> list[Match]:
    threshold = int(policy.max_threshold(signal_type))
    queries = hamming_queries(signal)
    found = source.hamming(signal_type.name, [value for value, _ in queries], threshold)
    raw = [
        (entry_id, float(distance), value, is_variant)
        for (value, is_variant), hits in zip(queries, found, strict=True)
        for entry_id, distance in hits
    ]
    if not raw:
        return []
    entries = source.entries(sorted({r[0] for r in raw}))
    matches = []
    for entry_id, distance, value, is_variant in raw:
        if entry_id not in entries:
            continue
        entry, row_bank = entries[entry_id]
        bank = policy.resolve(row_bank)
        limit = bank.threshold(signal_type.name, signal_type.default_threshold)
        if not policy.active(bank) or distance > limit:
            continue
        if is_variant and not bank.match_rotations:
            continue
        matches.append(_make_match(entry, bank, distance, value, via_variant=is_variant))
    return matches


def _match_video(
    source: MatchSource, policy: BankPolicy, signal_type: SignalType, signal: Signal
) -> list[Match]:
    frame_threshold = int(signal_type.default_threshold)
    hits = source.video(signal_type.name, parse_frames(signal.value), frame_threshold)
    if not hits:
        return []
    entries = source.entries([h.entry_id for h in hits])
    matches = []
    for hit in hits:
        if hit.entry_id not in entries:
            continue
        entry, row_bank = entries[hit.entry_id]
        bank = policy.resolve(row_bank)
        if not policy.active(bank) or not hit.match.is_match():
            continue
        details = {
            "query_match_percent": round(hit.match.query_match_percent, 1),
            "compared_match_percent": round(hit.match.compared_match_percent, 1),
        }
        distance = 100.0 - hit.match.compared_match_percent
        matches.append(_make_match(entry, bank, distance, signal.value, details=details))
    return matches


def _match_near_text(
    source: MatchSource, policy: BankPolicy, signal_type: SignalType, signal: Signal
) -> list[Match]:
    hits = source.near_text(signal_type.name, signal.value, policy.max_threshold(signal_type))
    if not hits:
        return []
    entries = source.entries([entry_id for entry_id, _ in hits])
    matches = []
    for entry_id, distance in hits:
        if entry_id not in entries:
            continue
        entry, row_bank = entries[entry_id]
        bank = policy.resolve(row_bank)
        limit = bank.threshold(signal_type.name, signal_type.default_threshold)
        if policy.active(bank) and distance <= limit:
            matches.append(_make_match(entry, bank, distance, signal.value))
    return matches


class Matcher:
    """Answers which bank entries match given signals, within one database session.
    Indexes open lazily, once per type."""

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
        repo = BankRepository(session)
        for name in banks or ():
            repo.get(name)  # raises NotFoundError with guidance
        policy = BankPolicy({b.name: b for b in repo.all()})
        self._policy = policy.restricted(banks)
        self._source = SessionSource(session, settings)

    def match(self, signals: Iterable[Signal]) -> list[Match]:
        """Matches for the signals of one piece of content, allow-lists applied."""
        return match_signals(self._source, self._policy, self.registry, signals)


class SessionSource:
    """A `MatchSource` reading one session: indexes opened on first use and kept."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._repo = BankRepository(session)
        self._hamming: dict[str, HammingIndex] = {}
        self._video: dict[str, VideoIndex] = {}
        self._near_text: dict[str, MinHashIndex] = {}
        self._exact: dict[str, ExactIndex] = {}

    def hamming(
        self, signal_type: str, values: Sequence[str], threshold: int
    ) -> list[list[tuple[int, int]]]:
        index = self._hamming.get(signal_type)
        if index is None:
            directory = self.settings.index_dir / signal_type
            index = open_hamming_index(self.session, directory, signal_type)
            self._hamming[signal_type] = index
        return [index.query(value, threshold) for value in values]

    def video(self, signal_type: str, frames: list[Frame], frame_threshold: int) -> list[VideoHit]:
        index = self._video.get(signal_type)
        if index is None:
            index = self._video[signal_type] = VideoIndex.open(self.session, signal_type)
        return index.query(frames, frame_threshold)

    def near_text(
        self, signal_type: str, value: str, max_distance: float
    ) -> list[tuple[int, float]]:
        index = self._near_text.get(signal_type)
        if index is None:
            index = self._near_text[signal_type] = MinHashIndex.open(self.session, signal_type)
        return index.query(value, max_distance)

    def exact(self, signal_type: str, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        index = self._exact.get(signal_type)
        if index is None:
            index = self._exact[signal_type] = ExactIndex(self.session, signal_type)
        return index.query(value)

    def entries(self, ids: Sequence[int]) -> EntryRows:
        return self._repo.by_ids(ids)


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
