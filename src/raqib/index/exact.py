"""Exact matching (md5, sha256, url): the store's (signal_type, value_key) index serves it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from raqib.records import BankInfo, EntryRecord
from raqib.store.banks import BankRepository


class ExactIndex:
    def __init__(self, session: Session, signal_type: str) -> None:
        self._banks = BankRepository(session)
        self.signal_type = signal_type

    def query(self, value: str) -> list[tuple[EntryRecord, BankInfo]]:
        return self._banks.find_exact(self.signal_type, value)
