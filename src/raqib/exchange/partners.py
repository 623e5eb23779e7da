"""Partners and the banks shared with them: who may read (and write) which bank as a TAXII
collection. A partner reaches us with a key of role `partner` naming it; a bank marked TLP red is
never shared (red never leaves its owner), and a bank turned red later drops out of every view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.auth.keys import KeyView, create_key
from raqib.auth.principal import Principal
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.records import BankInfo
from raqib.review import audit
from raqib.store.banks import BankRepository
from raqib.store.models import Bank, as_utc
from raqib.store.models_service import BankShare, Partner

# Collection ids are uuid5(COLLECTIONS_NAMESPACE, bank name): stable across restarts and hosts.
COLLECTIONS_NAMESPACE = uuid.UUID("5b0e6a35-3f0c-4f8e-9d55-7a1f3c2b9e61")
RED = "red"


@dataclass(frozen=True)
class PartnerView:
    """A partner as the CLI lists it."""

    id: int
    name: str
    taxii_url: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "taxii_url": self.taxii_url,
            "created_at": as_utc(self.created_at).isoformat(),
        }


@dataclass(frozen=True)
class Collection:
    """A bank as a TAXII collection seen by one caller."""

    id: str
    bank: BankInfo
    can_read: bool
    can_write: bool


def collection_id(bank_name: str) -> str:
    """The TAXII collection id of a bank: a uuid5 of its name."""
    return str(uuid.uuid5(COLLECTIONS_NAMESPACE, bank_name))


def add_partner(
    session: Session,
    name: str,
    actor: str,
    taxii_url: str | None = None,
    remote_key: str | None = None,
) -> tuple[str, KeyView, PartnerView]:
    """Add a partner and create its first key; returns (the key, shown only now; key; partner).
    `remote_key` is the key the partner gave us for its own TAXII server (used by `raqib sync`)."""
    clean = name.strip()
    if not 1 <= len(clean) <= 100 or any(c in clean for c in "/\\\n\r\t"):
        raise InputError(f"bad partner name {name!r}: 1-100 characters, no slashes")
    if session.scalar(select(Partner.id).where(Partner.name == clean)) is not None:
        raise ConflictError(f"partner {clean!r} already exists (`raqib partner list`)")
    url = _check_url(taxii_url)
    row = Partner(name=clean, taxii_url=url, remote_key=(remote_key or "").strip() or None)
    session.add(row)
    session.flush()
    details = {"taxii_url": url, "remote_key": row.remote_key is not None}
    audit.append(session, actor, "partner.add", "partner", clean, details)
    plaintext, key = create_key(session, "partner", f"partner {clean}", actor, partner=clean)
    return plaintext, key, _view(row)


def update_partner(
    session: Session,
    name: str,
    actor: str,
    taxii_url: str | None = None,
    remote_key: str | None = None,
) -> PartnerView:
    """Set the partner's TAXII URL and/or the key it gave us for it (None leaves a field as it
    is). Audited; the key itself never reaches the audit trail."""
    row = _partner(session, name)
    if taxii_url is not None:
        row.taxii_url = _check_url(taxii_url)
    if remote_key is not None:
        row.remote_key = remote_key.strip() or None
    if row.remote_key is not None and not row.taxii_url:
        raise InputError("a remote key needs a TAXII URL: add --taxii URL")
    session.flush()
    details = {"taxii_url": row.taxii_url, "remote_key_changed": remote_key is not None}
    audit.append(session, actor, "partner.update", "partner", row.name, details)
    return _view(row)


def list_partners(session: Session) -> list[PartnerView]:
    """All partners, oldest first."""
    return [_view(row) for row in session.scalars(select(Partner).order_by(Partner.id))]


def share_bank(
    session: Session, bank_name: str, partner_name: str, actor: str, can_write: bool = False
) -> Collection:
    """Share a bank with a partner (or change the share's write right). TLP red is refused."""
    bank = BankRepository(session).get(bank_name)
    if bank.tlp == RED:
        raise InputError(f"bank {bank.name!r} is TLP red: red never leaves its owner")
    partner = _partner(session, partner_name)
    share = session.scalar(
        select(BankShare).where(BankShare.bank_id == bank.id, BankShare.partner_id == partner.id)
    )
    if share is None:
        share = BankShare(bank_id=bank.id, partner_id=partner.id, can_write=can_write)
        session.add(share)
    share.can_write = can_write
    session.flush()
    details = {"partner": partner.name, "can_write": can_write}
    audit.append(session, actor, "bank.share", "bank", bank.name, details)
    return Collection(collection_id(bank.name), bank, True, can_write)


def unshare_bank(session: Session, bank_name: str, partner_name: str, actor: str) -> None:
    """Stop sharing a bank with a partner."""
    bank = BankRepository(session).get(bank_name)
    partner = _partner(session, partner_name)
    share = session.scalar(
        select(BankShare).where(BankShare.bank_id == bank.id, BankShare.partner_id == partner.id)
    )
    if share is None:
        raise NotFoundError(f"bank {bank.name!r} is not shared with {partner.name!r}")
    session.delete(share)
    audit.append(session, actor, "bank.unshare", "bank", bank.name, {"partner": partner.name})


def collections_for(session: Session, caller: Principal) -> list[Collection]:
    """The collections a caller may see: a partner's shared banks; everything not red for a
    caller without a partner (an admin). Red banks are never listed."""
    repository = BankRepository(session)
    if caller.partner is None:
        return [
            Collection(collection_id(bank.name), bank, True, True)
            for bank in repository.all()
            if bank.tlp != RED
        ]
    query = (
        select(Bank.name, BankShare.can_write)
        .join(BankShare, BankShare.bank_id == Bank.id)
        .join(Partner, Partner.id == BankShare.partner_id)
        .where(Partner.name == caller.partner, Bank.tlp != RED)
        .order_by(Bank.name)
    )
    return [
        Collection(collection_id(name), repository.get(name), True, bool(can_write))
        for name, can_write in session.execute(query).all()
    ]


def collection_for(session: Session, caller: Principal, wanted: str) -> Collection:
    """One collection the caller may see; NotFoundError alike for unknown and unshared ones."""
    for found in collections_for(session, caller):
        if found.id == wanted:
            return found
    raise NotFoundError(f"no collection {wanted!r} here")


def _partner(session: Session, name: str) -> Partner:
    row = session.scalar(select(Partner).where(Partner.name == name.strip()))
    if row is None:
        raise NotFoundError(f"no partner named {name!r} (see `raqib partner list`)")
    return row


def _check_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    clean = url.strip()
    if not clean.startswith(("http://", "https://")):
        raise InputError(f"a partner's TAXII URL must start with http:// or https://, got {url!r}")
    return clean


def _view(row: Partner) -> PartnerView:
    return PartnerView(int(row.id), row.name, row.taxii_url, row.created_at)
