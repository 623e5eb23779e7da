"""Bank operations shared by the CLI and (later) the API: adding content, importing lists."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError
from raqib.exchange.formats import ListFormat, read_entries
from raqib.pipeline import hash_file
from raqib.records import Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.store.banks import AddResult, BankRepository


def entries_from_files(
    paths: Sequence[Path],
    settings: Settings,
    labels: Labels,
    signal_types: Sequence[str] | None = None,
) -> list[NewEntry]:
    """The signals of every file as new entries; any unreadable file rejects the whole call."""
    entries: list[NewEntry] = []
    for path in paths:
        hashed = hash_file(path, settings)
        if hashed.errors:
            raise InputError(hashed.errors[0]["message"])
        chosen = [s for s in hashed.signals if not signal_types or s.signal_type in signal_types]
        if not chosen:
            reasons = "; ".join(n["message"] for n in hashed.notes) or "no signal of that type"
            raise InputError(f"{hashed.path}: nothing to add ({reasons})")
        entries.extend(NewEntry(s.signal_type, s.value, labels) for s in chosen)
    return entries


def import_list(
    session: Session, bank: str, path: Path, fmt: ListFormat, registry: SignalRegistry
) -> AddResult:
    """Import a hash-list file into a bank: all or nothing, and importing twice adds nothing."""
    repo = BankRepository(session)
    repo.get(bank)
    entries = read_entries(path, fmt, registry)
    return repo.add_entries(bank, entries)
