"""Bank operations shared by the CLI and (later) the API: adding content, importing lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError
from raqib.exchange.formats import ListFormat, read_entries
from raqib.pipeline import hash_file
from raqib.records import BankInfo, Labels, NewEntry
from raqib.review import audit
from raqib.signals import Signal, SignalRegistry
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
    session: Session,
    bank: str,
    path: Path,
    fmt: ListFormat,
    registry: SignalRegistry,
    actor: str,
) -> AddResult:
    """Import a hash-list file into a bank: all or nothing, and importing twice adds nothing."""
    BankRepository(session).get(bank)
    entries = read_entries(path, fmt, registry)
    return add_to_bank(session, actor, bank, entries, how="import")


# --- audited changes (the API and the CLI both go through these) ------------------------------


def create_bank(
    session: Session, actor: str, name: str, description: str, tlp: str, allow_list: bool
) -> BankInfo:
    info = BankRepository(session).create(name, description, tlp, allow_list)
    audit.append(session, actor, "bank.create", "bank", info.name, info.as_dict())
    return info


def update_bank(session: Session, actor: str, name: str, changes: dict[str, Any]) -> BankInfo:
    info = BankRepository(session).update(name, **changes)
    shown = {k: v for k, v in changes.items() if v is not None}
    audit.append(session, actor, "bank.update", "bank", info.name, shown)
    return info


def delete_bank(session: Session, actor: str, name: str) -> int:
    removed = BankRepository(session).delete(name)
    audit.append(session, actor, "bank.delete", "bank", name, {"entries_removed": removed})
    return removed


def add_to_bank(
    session: Session, actor: str, bank: str, entries: Sequence[NewEntry], how: str = "add"
) -> AddResult:
    result = BankRepository(session).add_entries(bank, entries)
    details = {"added": result.added, "already_present": result.already_present, "how": how}
    if len(result.added_ids) <= _LISTED_IDS:
        details["entry_ids"] = list(result.added_ids)
    audit.append(session, actor, "entry.add", "bank", bank, details)
    return result


def remove_from_bank(session: Session, actor: str, bank: str, signal: Signal) -> int:
    removed = BankRepository(session).remove_signal(bank, signal.signal_type, signal.value)
    details = {"signal_type": signal.signal_type, "signal": signal.value, "removed": removed}
    audit.append(session, actor, "entry.remove", "bank", bank, details)
    return removed


def revoke_entries(
    session: Session, actor: str, bank: str, revoked: Sequence[NewEntry], how: str = "stix"
) -> int:
    """Remove the signals of revoked indicators from a bank (each removal is kept as a
    revocation that partners see); returns how many entries went."""
    repository = BankRepository(session)
    removed = 0
    for entry in revoked:
        removed += repository.remove_signal(bank, entry.signal_type, entry.value)
    if revoked:
        details = {"how": how, "revoked": len(revoked), "removed": removed}
        audit.append(session, actor, "entry.remove", "bank", bank, details)
    return removed


@dataclass(frozen=True)
class PartnerApplied:
    """What a partner's page did to a bank (see apply_partner_entries)."""

    added: int
    already_present: int
    removed: int
    kept_revoked: int  # indicators this bank revoked earlier: not added back


def apply_partner_entries(
    session: Session,
    actor: str,
    bank: str,
    entries: Sequence[NewEntry],
    revoked: Sequence[NewEntry],
    how: str,
) -> PartnerApplied:
    """Apply a partner's indicators to a bank (a pull, or a partner's TAXII POST): add the
    entries, except indicators this bank revoked already (STIX never un-revokes: a partner's
    stale copy must not bring a removed signal back), and remove the signals of revoked
    indicators only where the bank's entry is that same indicator."""
    repository = BankRepository(session)
    fresh = repository.not_revoked(bank, entries)
    added = add_to_bank(session, actor, bank, fresh, how=how) if fresh else None
    gone = repository.same_indicators(bank, revoked)
    removed = revoke_entries(session, actor, bank, gone, how=how)
    return PartnerApplied(
        added.added if added else 0,
        added.already_present if added else 0,
        removed,
        len(entries) - len(fresh),
    )


_LISTED_IDS = 100  # an audit event lists the ids of a small addition, counts a large one
