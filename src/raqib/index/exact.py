"""Exact matching (md5, sha256, url, text_sha256): the store's (signal_type, value_key) index
serves it. A probe for the entry ids runs as one prepared Core statement on the session's
connection (the ORM's per-query cost was most of a scan's time); full records are loaded only
for a hit. A signal type no bank holds is known after one query and answered with no query."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from raqib.records import BankInfo, EntryRecord
from raqib.store.banks import BankRepository, value_key
from raqib.store.models import Entry

_PROBE = select(Entry.id).where(
    Entry.signal_type == bindparam("signal_type"), Entry.value_key == bindparam("value_key")
)


class ExactIndex:
    """Exact lookups of one signal type within a session (the bank contents it saw at its
    first use decide whether the type is held at all)."""

    def __init__(self, session: Session, signal_type: str) -> None:
        self._session = session
        self._banks = BankRepository(session)
        self.signal_type = signal_type
        self._held: bool | None = None

    def query(self, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        if not self._type_held():
            return []
        params = {"signal_type": self.signal_type, "value_key": value_key(value)}
        ids = [int(i) for i in self._session.connection().execute(_PROBE, params).scalars()]
        if not ids:
            return []
        return list(self._banks.by_ids(ids).values())

    def _type_held(self) -> bool:
        if self._held is None:
            query = select(exists().where(Entry.signal_type == self.signal_type))
            self._held = bool(self._session.scalar(query))
        return self._held
