"""The service's matcher: one per process, shared by every request thread.

Indexes open once (`warm()` at start-up) and stay open. Before answering, every call polls the
store (the change log's newest number and the bank rows: one small query on a held connection)
and applies any new adds and removals, so an entry added by the API, the CLI or another process
is matchable by the very next request. Concurrent callers share one poll when it began after
they arrived. Matching follows `raqib.matching.match_signals`: the same rules and `Match`
records as `raqib.matching.Matcher`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from raqib.config import Settings
from raqib.errors import InputError
from raqib.index.video import VideoHit
from raqib.matching import BankPolicy, EntryRows, Match, hamming_queries, match_signals
from raqib.records import BankInfo, EntryRecord
from raqib.serving.changelog import ChangeCursor
from raqib.serving.entries import EntryCache
from raqib.serving.live import LIVE_KINDS, LiveHamming, LiveIndex, LiveNearText, LiveVideo
from raqib.serving.rwlock import ReadWriteLock
from raqib.serving.store import BankRow, LoggedChange, Poll, StoreReader, bank_info
from raqib.signals import IndexKind, Signal, SignalRegistry
from raqib.signals.vpdq import Frame
from raqib.store.banks import value_key
from raqib.store.changes import REMOVE
from raqib.store.db import Database

CATCH_UP_CHUNK = 50_000  # change-log rows read at a time when catching up
_Live = TypeVar("_Live", LiveHamming, LiveNearText, LiveVideo)


@dataclass(frozen=True)
class _Banks:
    """The bank rows last polled, as a policy and by id (swapped whole when they change)."""

    rows: tuple[BankRow, ...] = ()
    policy: BankPolicy = field(default_factory=lambda: BankPolicy({}))
    by_id: Mapping[int, BankInfo] = field(default_factory=dict)


class ServiceMatcher:
    """Long-lived, thread-safe matcher: `match`, `match_many`, `warm`, `freshness`."""

    def __init__(self, database: Database, settings: Settings, registry: SignalRegistry) -> None:
        self.database = database
        self.settings = settings
        self.registry = registry
        self._store = StoreReader(database)
        self._entries = EntryCache(self._store)
        self._refresh_lock = threading.Lock()  # one poll / catch-up / index open at a time
        self._index_lock = ReadWriteLock()  # queries share; applying changes is exclusive
        self._live: dict[str, LiveIndex] = {}
        self._type_seq: dict[str, int] = {}  # newest change applied, per signal type
        self._cursor: ChangeCursor | None = None
        self._banks = _Banks()
        self._refreshed_from = -1  # monotonic ns at which the last finished poll began

    # -- public ----------------------------------------------------------------------------

    def warm(self) -> None:
        """Open every index now (call at start-up, before taking traffic): the first request
        then pays nothing, and `freshness()` reports every index loaded."""
        self.refresh()
        for signal_type in self.registry.types:
            if signal_type.index_kind in LIVE_KINDS:
                self._open(signal_type.name)

    def match(self, signals: Iterable[Signal], banks: Sequence[str] | None = None) -> list[Match]:
        """Matches for the signals of one piece of content (as `Matcher.match`)."""
        return self.match_many([list(signals)], banks)[0]

    def match_many(
        self, items: Sequence[Sequence[Signal]], banks: Sequence[str] | None = None
    ) -> list[list[Match]]:
        """`match` for each item (a list of signals of one piece of content); the PDQ lookups
        of all items run as one batch over the CPU cores. `banks` limits matching to those
        banks (NotFoundError for an unknown one), as `raqib match --bank` does."""
        self.refresh()
        policy = self._banks.policy.restricted(banks)
        source = _RequestSource(self, policy, items)
        return [match_signals(source, policy, self.registry, signals) for signals in items]

    def refresh(self) -> None:
        """Apply the bank and index changes committed before this call. Callers that arrive
        while a poll runs wait for it and poll again only if it began before they arrived."""
        arrived = time.monotonic_ns()
        if self._refreshed_from > arrived:
            return
        with self._refresh_lock:
            if self._refreshed_from > arrived:
                return
            started = time.monotonic_ns()
            self._refresh_locked()
            self._refreshed_from = started

    def note_changed(self) -> None:
        """A hint from a writer in this process; the next call polls anyway, so this only
        makes sure no shared poll that began earlier is reused."""
        self._refreshed_from = -1

    def freshness(self, refresh: bool = True) -> dict[str, dict[str, Any]]:
        """Per signal type: its index kind, loaded, entries, index_seq (newest change applied),
        database_seq (newest in the store) and fresh (loaded and index_seq >= database_seq).
        Exact types are served by the database itself: always loaded and fresh.
        `refresh=False` reports without applying pending changes first."""
        if refresh:
            self.refresh()
        report: dict[str, dict[str, Any]] = {}
        for signal_type in self.registry.types:
            name, kind = signal_type.name, signal_type.index_kind
            database_seq = self._store.type_seq(name)
            live = self._live.get(name) if kind in LIVE_KINDS else None
            if kind not in LIVE_KINDS:
                index_seq, entries, loaded = database_seq, None, True
            else:
                loaded = live is not None
                index_seq = self._type_seq.get(name, 0) if loaded else 0
                entries = len(live) if live is not None else 0
            report[name] = {
                "index": str(kind),
                "loaded": loaded,
                "entries": entries,
                "index_seq": index_seq,
                "database_seq": database_seq,
                "fresh": loaded and index_seq >= database_seq,
            }
        return report

    def close(self) -> None:
        """Give back the held database connection."""
        self._store.close()

    # -- lookups (used by _RequestSource) -------------------------------------------------

    def _index(self, signal_type: str, kind: type[_Live]) -> _Live:
        live = self._live.get(signal_type) or self._open(signal_type)
        if not isinstance(live, kind):
            raise InputError(f"signal type {signal_type!r} is not served by a {kind.__name__}")
        return live

    def hamming_hits(
        self, signal_type: str, values: Sequence[str], threshold: int
    ) -> list[list[tuple[int, int]]]:
        live = self._index(signal_type, LiveHamming)
        with self._index_lock.read():
            return live.query(values, threshold)

    def video_hits(self, signal_type: str, frames: list[Frame], threshold: int) -> list[VideoHit]:
        live = self._index(signal_type, LiveVideo)
        with self._index_lock.read():
            return live.query(frames, threshold)

    def near_text_hits(
        self, signal_type: str, value: str, max_distance: float
    ) -> list[tuple[int, float]]:
        live = self._index(signal_type, LiveNearText)
        with self._index_lock.read():
            return live.query(value, max_distance)

    def exact_rows(self, signal_type: str, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        by_id = self._banks.by_id
        rows = self._store.exact(signal_type, value_key(value))
        return [(entry, by_id[bank_id]) for entry, bank_id in rows if bank_id in by_id]

    def entry_rows(self, ids: Sequence[int]) -> dict[int, tuple[EntryRecord, BankInfo]]:
        by_id = self._banks.by_id
        rows = self._entries.get(ids)
        return {i: (entry, by_id[bank]) for i, (entry, bank) in rows.items() if bank in by_id}

    # -- keeping current -------------------------------------------------------------------

    def _refresh_locked(self) -> None:
        now = time.monotonic()
        if self._cursor is None:
            poll = self._store.poll()
            self._cursor = ChangeCursor(poll.seq)
            self._set_banks(poll.banks)
            return
        gaps = self._cursor.gaps(now)
        poll = self._store.poll(gaps)
        if poll.banks != self._banks.rows:
            self._set_banks(poll.banks)
        if self._cursor.behind(poll):
            self._catch_up(self._cursor, poll, gaps, now)

    def _set_banks(self, rows: tuple[BankRow, ...]) -> None:
        infos = [bank_info(row) for row in rows]
        policy = BankPolicy({b.name: b for b in infos})
        self._banks = _Banks(rows, policy, {b.id: b for b in infos})

    def _catch_up(
        self, cursor: ChangeCursor, poll: Poll, gaps: list[tuple[int, int]], now: float
    ) -> None:
        if poll.in_gaps:
            late = self._store.changes_in(gaps)
            cursor.filled(late)
            self._apply(late)
        while True:
            batch = self._store.changes_after(cursor.seq, CATCH_UP_CHUNK)
            cursor.advance(batch, now)
            self._apply(batch)
            if len(batch) < CATCH_UP_CHUNK:
                return

    def _apply(self, changes: list[LoggedChange]) -> None:
        """Apply a stretch of the change log to the open indexes: the last operation on an
        entry wins; entries still present are put back with their current values."""
        final: dict[str, dict[int, str]] = {}
        newest: dict[str, int] = {}
        for change in changes:
            final.setdefault(change.signal_type, {})[change.entry_id] = change.op
            newest[change.signal_type] = max(newest.get(change.signal_type, 0), change.seq)
        self._entries.forget(c.entry_id for c in changes)
        loaded = {name: ops for name, ops in final.items() if name in self._live}
        wanted = [i for ops in loaded.values() for i, op in ops.items() if op != REMOVE]
        values = self._store.values(wanted) if wanted else {}
        if loaded:
            with self._index_lock.write():
                for name, ops in loaded.items():
                    added = {i: values[i] for i, op in ops.items() if op != REMOVE and i in values}
                    self._live[name].apply(list(ops), added)
        for name, seq in newest.items():
            self._type_seq[name] = max(self._type_seq.get(name, 0), seq)

    def _open(self, signal_type: str) -> LiveIndex:
        """Open one index (under the refresh lock, so no catch-up runs meanwhile): it holds
        every change committed before it opened; later ones replay onto it."""
        kind = self.registry.get(signal_type).index_kind
        if kind not in LIVE_KINDS:
            raise InputError(f"signal type {signal_type!r} has no in-memory index")
        with self._refresh_lock:
            live = self._live.get(signal_type)
            if live is not None:
                return live
            seq = self._store.type_seq(signal_type)
            with self.database.session() as session:
                live = LIVE_KINDS[kind].open(session, self.settings, signal_type)
            with self._index_lock.write():
                self._live[signal_type] = live
            self._type_seq[signal_type] = max(self._type_seq.get(signal_type, 0), seq)
            return live


class _RequestSource:
    """The `MatchSource` of one `match_many` call: every Hamming lookup of every item runs
    up front as one batch per signal type, and their entry rows are read once."""

    def __init__(
        self, matcher: ServiceMatcher, policy: BankPolicy, items: Sequence[Sequence[Signal]]
    ) -> None:
        self._matcher = matcher
        self._hits: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
        self._rows: EntryRows = {}
        self._read: set[int] = set()  # entry ids whose rows were read (some may be gone)
        wanted: dict[tuple[str, int], dict[str, None]] = {}
        for signals in items:
            for signal in signals:
                signal_type = matcher.registry.get(signal.signal_type)
                if signal_type.index_kind is IndexKind.HAMMING:
                    key = (signal_type.name, int(policy.max_threshold(signal_type)))
                    unique = wanted.setdefault(key, {})
                    unique.update(dict.fromkeys(v for v, _ in hamming_queries(signal)))
        ids: set[int] = set()
        for (name, threshold), unique in wanted.items():
            queries = list(unique)
            found = matcher.hamming_hits(name, queries, threshold)
            for value, hits in zip(queries, found, strict=True):
                self._hits[(name, value, threshold)] = hits
                ids.update(entry_id for entry_id, _ in hits)
        if ids:
            self._rows = matcher.entry_rows(sorted(ids))
            self._read = ids

    def hamming(
        self, signal_type: str, values: Sequence[str], threshold: int
    ) -> list[list[tuple[int, int]]]:
        keys = [(signal_type, value, threshold) for value in values]
        if all(key in self._hits for key in keys):
            return [self._hits[key] for key in keys]
        return self._matcher.hamming_hits(signal_type, values, threshold)

    def video(self, signal_type: str, frames: list[Frame], frame_threshold: int) -> list[VideoHit]:
        return self._matcher.video_hits(signal_type, frames, frame_threshold)

    def near_text(
        self, signal_type: str, value: str, max_distance: float
    ) -> list[tuple[int, float]]:
        return self._matcher.near_text_hits(signal_type, value, max_distance)

    def exact(self, signal_type: str, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        return self._matcher.exact_rows(signal_type, value)

    def entries(self, ids: Sequence[int]) -> EntryRows:
        rows = self._rows
        if not self._read.issuperset(ids):
            return self._matcher.entry_rows(ids)
        return {entry_id: rows[entry_id] for entry_id in ids if entry_id in rows}
