"""Bank and entry repository: every method works inside the caller's session (transaction)."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from raqib.errors import ConflictError, NotFoundError
from raqib.records import BankInfo, EntryRecord, Labels, NewEntry, check_tlp
from raqib.stixids import indicator_id
from raqib.store.changes import ADD, CHUNK, REMOVE, log_changes
from raqib.store.models import Bank, Entry, EntryRevocation, utcnow


def value_key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AddResult:
    added: int
    already_present: int
    added_ids: tuple[int, ...] = ()


class BankRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, name: str, description: str = "", tlp: str = "amber", allow_list: bool = False
    ) -> BankInfo:
        clean = _check_name(name)
        if self.session.scalar(select(Bank.id).where(Bank.name == clean)) is not None:
            raise ConflictError(f"bank {clean!r} already exists")
        bank = Bank(
            name=clean,
            description=description,
            tlp=check_tlp(tlp),
            enabled=True,
            allow_list=allow_list,
            match_rotations=True,
            thresholds={},
            created_at=utcnow(),
        )
        self.session.add(bank)
        self.session.flush()
        return _info(bank, 0)

    def get(self, name: str) -> BankInfo:
        bank = self._row(name)
        return _info(bank, self._count(bank.id))

    def all(self) -> list[BankInfo]:
        counts = dict(
            self.session.execute(select(Entry.bank_id, func.count()).group_by(Entry.bank_id)).all()
        )
        banks = self.session.scalars(select(Bank).order_by(Bank.name))
        return [_info(bank, int(counts.get(bank.id, 0))) for bank in banks]

    def update(self, name: str, **changes: Any) -> BankInfo:
        """Change description, tlp, enabled, allow_list, match_rotations or thresholds."""
        bank = self._row(name)
        allowed = {"description", "tlp", "enabled", "allow_list", "match_rotations", "thresholds"}
        for key, value in changes.items():
            if key not in allowed:
                raise ValueError(f"cannot change bank field {key!r}")
            if value is None:
                continue
            setattr(bank, key, check_tlp(value) if key == "tlp" else value)
        self.session.flush()
        return _info(bank, self._count(bank.id))

    def set_origin(self, name: str, partner: str, remote_collection: str) -> None:
        """Mark a bank as pulled from a partner's TAXII collection."""
        bank = self._row(name)
        bank.partner, bank.remote_collection = partner, remote_collection
        self.session.flush()

    def delete(self, name: str) -> int:
        bank = self._row(name)
        removed = 0
        for signal_type, ids in self._ids_by_type(bank.id).items():
            log_changes(self.session, signal_type, ids, REMOVE)
            removed += len(ids)
        self.session.execute(delete(Entry).where(Entry.bank_id == bank.id))
        self.session.delete(bank)
        self.session.flush()
        return removed

    def add_entries(self, name: str, entries: Sequence[NewEntry]) -> AddResult:
        """Add entries not yet in the bank (same signal type and value = same entry)."""
        bank = self._row(name)
        unique = {(e.signal_type, value_key(e.value)): e for e in entries}
        existing = self._existing_keys(bank.id, list(unique))
        fresh = [(key, e) for key, e in unique.items() if key not in existing]
        added_ids: list[int] = []
        for start in range(0, len(fresh), CHUNK):
            added_ids.extend(self._insert(bank, fresh[start : start + CHUNK]))
        return AddResult(len(added_ids), len(entries) - len(added_ids), tuple(added_ids))

    def remove_signal(self, name: str, signal_type: str, value: str) -> int:
        bank = self._row(name)
        query = select(Entry.id).where(
            Entry.bank_id == bank.id,
            Entry.signal_type == signal_type,
            Entry.value_key == value_key(value),
        )
        ids = [int(i) for i in self.session.scalars(query)]
        if ids:
            self._revoke(bank, ids)
            log_changes(self.session, signal_type, ids, REMOVE)
            self.session.execute(delete(Entry).where(Entry.id.in_(ids)))
        return len(ids)

    def _revoke(self, bank: Bank, ids: list[int]) -> None:
        """Keep a revocation of each entry about to be removed (TAXII serves them)."""
        now = utcnow()
        rows = self.session.scalars(select(Entry).where(Entry.id.in_(ids)))
        self.session.add_all(
            EntryRevocation(
                bank_id=bank.id,
                stix_id=row.stix_id or indicator_id(bank.name, row.signal_type, row.value),
                signal_type=row.signal_type,
                value=row.value,
                added_at=row.added_at,
                revoked_at=now,
            )
            for row in rows
        )
        self.session.flush()

    def not_revoked(self, name: str, entries: Sequence[NewEntry]) -> list[NewEntry]:
        """The entries whose indicator id this bank has not revoked (entries without an id of
        their own all pass)."""
        bank = self._row(name)
        ids = sorted({e.stix_id for e in entries if e.stix_id})
        revoked: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            query = select(EntryRevocation.stix_id).where(
                EntryRevocation.bank_id == bank.id,
                EntryRevocation.stix_id.in_(ids[start : start + CHUNK]),
            )
            revoked.update(str(found) for found in self.session.scalars(query))
        return [e for e in entries if not e.stix_id or e.stix_id not in revoked]

    def same_indicators(self, name: str, revoked: Sequence[NewEntry]) -> list[NewEntry]:
        """The revoked indicators that are this bank's entry for their signal: the same
        indicator id, or any entry of that signal when the indicator came without an id."""
        bank = self._row(name)
        gone: list[NewEntry] = []
        for entry in revoked:
            held = self.session.execute(
                select(Entry.stix_id).where(
                    Entry.bank_id == bank.id,
                    Entry.signal_type == entry.signal_type,
                    Entry.value_key == value_key(entry.value),
                )
            ).first()
            if held is None:
                continue
            ours = held[0] or indicator_id(bank.name, entry.signal_type, entry.value)
            if not entry.stix_id or entry.stix_id == ours:
                gone.append(entry)
        return gone

    def entries(self, name: str) -> Generator[EntryRecord, None, None]:
        """The bank's entries in id order, streamed (a server-side cursor on PostgreSQL, closed
        when the iterator is exhausted or closed: callers that may stop early close it)."""
        bank = self._row(name)
        query = select(Entry).where(Entry.bank_id == bank.id).order_by(Entry.id)
        rows = self.session.scalars(query.execution_options(yield_per=CHUNK))
        try:
            for row in rows:
                yield entry_record(row, bank.name)
        finally:
            rows.close()

    def entries_page(self, name: str, after_id: int = 0, limit: int = 100) -> list[EntryRecord]:
        """A page of a bank's entries in id order, after `after_id`."""
        bank = self._row(name)
        query = (
            select(Entry)
            .where(Entry.bank_id == bank.id, Entry.id > after_id)
            .order_by(Entry.id)
            .limit(limit)
        )
        return [entry_record(row, bank.name) for row in self.session.scalars(query)]

    def find_exact(self, signal_type: str, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        query = (
            select(Entry, Bank)
            .join(Bank, Entry.bank_id == Bank.id)
            .where(Entry.signal_type == signal_type, Entry.value_key == value_key(value))
        )
        return [
            (entry_record(e, b.name), _info(b, 0)) for e, b in self.session.execute(query).all()
        ]

    def by_ids(self, ids: Sequence[int]) -> dict[int, tuple[EntryRecord, BankInfo]]:
        found: dict[int, tuple[EntryRecord, BankInfo]] = {}
        for start in range(0, len(ids), CHUNK):
            query = (
                select(Entry, Bank)
                .join(Bank, Entry.bank_id == Bank.id)
                .where(Entry.id.in_(list(ids[start : start + CHUNK])))
            )
            for entry, bank in self.session.execute(query).all():
                found[entry.id] = (entry_record(entry, bank.name), _info(bank, 0))
        return found

    def _insert(self, bank: Bank, batch: list[tuple[tuple[str, str], NewEntry]]) -> list[int]:
        now = utcnow()
        stix_ids = self._stix_ids(bank, [entry for _key, entry in batch])
        rows = [
            _row_values(bank, key, entry, now, stix_id)
            for (key, entry), stix_id in zip(batch, stix_ids, strict=True)
        ]
        result = self.session.execute(insert(Entry).returning(Entry.id, Entry.signal_type), rows)
        by_type: dict[str, list[int]] = {}
        for entry_id, signal_type in result:
            by_type.setdefault(signal_type, []).append(int(entry_id))
        for signal_type, ids in by_type.items():
            log_changes(self.session, signal_type, ids, ADD)
        return [i for ids in by_type.values() for i in ids]

    def _stix_ids(self, bank: Bank, entries: Sequence[NewEntry]) -> list[str]:
        """Each entry's indicator id: its own when it arrived with one; else minted from bank,
        type and value, or, when the bank holds a revocation of that id (the signal was removed
        and is now added again), the id of the next generation (`<value>#<n>`): STIX never lets a
        revoked object come back. One query per generation in the batch: one when nothing is
        re-added."""
        ids = [e.stix_id or indicator_id(bank.name, e.signal_type, e.value) for e in entries]
        pending = [i for i, entry in enumerate(entries) if not entry.stix_id]
        generation = 0
        while pending:
            query = select(EntryRevocation.stix_id).where(
                EntryRevocation.bank_id == bank.id,
                EntryRevocation.stix_id.in_(sorted({ids[i] for i in pending})),
            )
            revoked = set(self.session.scalars(query))
            pending = [i for i in pending if ids[i] in revoked]
            generation += 1
            for i in pending:
                entry = entries[i]
                ids[i] = indicator_id(bank.name, entry.signal_type, f"{entry.value}#{generation}")
        return ids

    def _existing_keys(self, bank_id: int, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (signal type, value key) pairs the bank holds; filtered on all three columns
        of the unique index, so each lookup is an index seek even in a bank of millions."""
        found: set[tuple[str, str]] = set()
        by_type: dict[str, list[str]] = {}
        for signal_type, key in keys:
            by_type.setdefault(signal_type, []).append(key)
        for signal_type, type_keys in by_type.items():
            value_keys = sorted(set(type_keys))
            for start in range(0, len(value_keys), CHUNK):
                query = select(Entry.value_key).where(
                    Entry.bank_id == bank_id,
                    Entry.signal_type == signal_type,
                    Entry.value_key.in_(value_keys[start : start + CHUNK]),
                )
                found.update((signal_type, str(k)) for k in self.session.scalars(query))
        return found

    def _ids_by_type(self, bank_id: int) -> dict[str, list[int]]:
        query = select(Entry.signal_type, Entry.id).where(Entry.bank_id == bank_id)
        grouped: dict[str, list[int]] = {}
        for signal_type, entry_id in self.session.execute(query):
            grouped.setdefault(signal_type, []).append(int(entry_id))
        return grouped

    def _row(self, name: str) -> Bank:
        bank = self.session.scalar(select(Bank).where(Bank.name == name))
        if bank is None:
            raise NotFoundError(f"no bank named {name!r} (see `raqib bank list`)")
        return bank

    def _count(self, bank_id: int) -> int:
        return int(self.session.scalar(select(func.count()).where(Entry.bank_id == bank_id)) or 0)


def _check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100 or any(c in clean for c in "/\\\n\r\t"):
        raise ValueError(f"bad bank name {name!r}: 1-100 characters, no slashes or line breaks")
    return clean


def _row_values(
    bank: Bank, key: tuple[str, str], entry: NewEntry, now: Any, stix_id: str
) -> dict[str, Any]:
    labels = entry.labels
    return {
        "bank_id": bank.id,
        "stix_id": stix_id,
        "signal_type": entry.signal_type,
        "value": entry.value,
        "value_key": key[1],
        "entity": labels.entity,
        "behaviours": ",".join(labels.behaviours),
        "tier": labels.tier,
        "source": labels.source,
        "note": labels.note,
        "added_at": now,
    }


def _info(bank: Bank, count: int) -> BankInfo:
    return BankInfo(
        id=bank.id,
        name=bank.name,
        description=bank.description,
        tlp=bank.tlp,
        enabled=bank.enabled,
        allow_list=bank.allow_list,
        match_rotations=bank.match_rotations,
        thresholds={str(k): float(v) for k, v in (bank.thresholds or {}).items()},
        created_at=bank.created_at,
        entry_count=count,
        partner=bank.partner,
        remote_collection=bank.remote_collection,
    )


def entry_record(entry: Entry, bank_name: str) -> EntryRecord:
    """The record of an entry row (bank_name: its bank's name)."""
    labels = Labels(
        entity=entry.entity,
        behaviours=tuple(b for b in entry.behaviours.split(",") if b),
        tier=entry.tier,
        source=entry.source,
        note=entry.note,
    )
    return EntryRecord(
        entry.id,
        bank_name,
        entry.signal_type,
        entry.value,
        labels,
        entry.added_at,
        entry.stix_id or indicator_id(bank_name, entry.signal_type, entry.value),
    )
