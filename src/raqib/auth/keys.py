"""API keys: machine credentials with one role, an optional expiry, rate limit and partner.

A key is "rqb_" + 43 URL-safe characters (256 random bits). It is shown once, at creation; the
table keeps its sha256 (a fast hash is enough for 256 random bits) and its first 12 characters,
the prefix, to tell keys apart in lists and logs. Creating and revoking a key append audit events
("key.create", "key.revoke") naming the key's id, prefix, role and name, never the key.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.auth.principal import Principal
from raqib.auth.users import role_or_error
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models import as_utc, utcnow
from raqib.store.models import iso as _iso
from raqib.store.models_service import ApiKey

KEY_PREFIX = "rqb_"
PREFIX_LENGTH = 12
KEY_LENGTH = len(KEY_PREFIX) + 43  # token_urlsafe(32) gives 43 characters


@dataclass(frozen=True)
class KeyView:
    """A key as the API and CLI list it: everything but the key and its hash."""

    id: int
    name: str
    role: str
    prefix: str
    rate_limit: float | None
    partner: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        """The key's state: active, revoked or expired."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and as_utc(self.expires_at) <= (now or utcnow()):
            return "expired"
        return "active"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "prefix": self.prefix,
            "rate_limit": self.rate_limit,
            "partner": self.partner,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "revoked_at": _iso(self.revoked_at),
            "state": self.state(),
        }


def hash_key(plaintext: str) -> str:
    """The sha256 hex digest the table keeps of a key."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def looks_like_key(plaintext: str) -> bool:
    """Whether a string has a key's form (checked before hashing what a request sent)."""
    return (
        isinstance(plaintext, str)
        and len(plaintext) == KEY_LENGTH
        and plaintext.startswith(KEY_PREFIX)
    )


def create_key(
    session: Session,
    role: str,
    name: str,
    actor: str,
    expires_at: datetime | None = None,
    rate_limit: float | None = None,
    partner: str | None = None,
) -> tuple[str, KeyView]:
    """Create a key; returns (the key, shown only now; its view). A "partner" key must name its
    partner; `rate_limit` (requests/s) overrides the service default for this key."""
    role = role_or_error(role)
    name, partner = _check_text("name", name, 0), _check_partner(role, partner)
    expires_at = _check_expiry(expires_at)
    if rate_limit is not None and not rate_limit > 0:
        raise InputError(f"a key's rate limit must be above 0 requests/s, got {rate_limit}")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        role=role,
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=hash_key(plaintext),
        rate_limit=rate_limit,
        partner=partner,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    details = {"prefix": row.prefix, "role": role, "name": name, "partner": partner}
    details["expires_at"] = _iso(expires_at)
    audit.append(session, actor, "key.create", "key", row.id, details)
    return plaintext, _view(row)


def revoke_key(session: Session, key_id_or_prefix: str | int, actor: str) -> KeyView:
    """Revoke a key named by its id, its 12-character prefix or the key itself. Processes that
    cache keys (KeyCache) stop accepting it within their cache's TTL."""
    row = _find(session, str(key_id_or_prefix).strip())
    if row.revoked_at is not None:
        raise ConflictError(f"key {row.id} ({row.prefix}) is already revoked")
    row.revoked_at = utcnow()
    details = {"prefix": row.prefix, "role": row.role, "name": row.name}
    audit.append(session, actor, "key.revoke", "key", row.id, details)
    session.flush()
    return _view(row)


def list_keys(session: Session) -> list[KeyView]:
    """All keys, revoked and expired ones included, oldest first."""
    return [_view(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.id))]


def authenticate_key(session: Session, plaintext: str) -> Principal | None:
    """The key's principal, or None for a malformed, unknown, revoked or expired key."""
    found = lookup_key(session, plaintext)
    if found is None:
        return None
    principal, expires_at = found
    if expires_at is not None and expires_at <= utcnow():
        return None
    return principal


def lookup_key(session: Session, plaintext: str) -> tuple[Principal, datetime | None] | None:
    """(principal, expiry in UTC) of an unrevoked key, or None; expiry is the caller's check."""
    if not looks_like_key(plaintext):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext)))
    if row is None or row.revoked_at is not None:
        return None
    return _principal(row), as_utc(row.expires_at) if row.expires_at is not None else None


@dataclass(frozen=True)
class _Cached:
    principal: Principal | None
    fresh_until: float  # time.monotonic() after which the database is asked again
    key_expires: float  # the key's own expiry, a Unix time (inf: none)


class KeyCache:
    """Keys recently looked up, so most requests skip the database.

    Maps a key's sha256 to (principal or None, until when the entry is fresh, the key's expiry).
    An entry is trusted for `ttl_seconds`: a key revoked in the database (by another process,
    or the CLI) is refused here within that time. `forget_key` drops a key at once, for the
    process that revokes it. A key's own expiry is checked on every lookup. Unknown keys are
    cached too (as None), so a client retrying a wrong key does not reach the database each time;
    at most `max_entries` entries are kept (the oldest, first to go stale, are dropped).
    Thread-safe: the lock guards only the dictionary, never a database call.
    """

    def __init__(
        self, database: Database, ttl_seconds: float = 5.0, max_entries: int = 100_000
    ) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, plaintext: str) -> Principal | None:
        """The key's principal, or None for a malformed, unknown, revoked or expired key."""
        if not looks_like_key(plaintext):
            return None
        digest = hash_key(plaintext)
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry.fresh_until <= time.monotonic():
            entry = self._load(digest, plaintext)
        if entry.principal is None or entry.key_expires <= time.time():
            return None
        return entry.principal

    def forget_key(self, key_id: int) -> None:
        """Drop a key's entry (after revoking it in this process)."""
        with self._lock:
            stale = [
                d for d, e in self._entries.items() if e.principal and e.principal.id == key_id
            ]
            for digest in stale:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _load(self, digest: str, plaintext: str) -> _Cached:
        with self.database.session() as session:
            found = lookup_key(session, plaintext)
        principal, expires = found if found is not None else (None, None)
        entry = _Cached(
            principal,
            time.monotonic() + self.ttl_seconds,
            expires.timestamp() if expires is not None else float("inf"),
        )
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            # Entries are kept in load order, which is also the order they go stale in: the
            # oldest is dropped first, in O(1) (a full scan would let a flood of wrong keys
            # hold the lock for long).
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry


def _principal(row: ApiKey) -> Principal:
    return Principal(
        kind="key",
        id=int(row.id),
        name=row.name or row.prefix,
        role=row.role,
        rate_limit=row.rate_limit,
        partner=row.partner,
    )


def _find(session: Session, ref: str) -> ApiKey:
    if ref.isdigit():
        rows = list(session.scalars(select(ApiKey).where(ApiKey.id == int(ref))))
    elif looks_like_key(ref):
        rows = list(session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(ref))))
    else:
        rows = list(session.scalars(select(ApiKey).where(ApiKey.prefix == ref)))
    if not rows:
        raise NotFoundError(f"no key with id or prefix {ref!r}; `raqib key list` shows the keys")
    if len(rows) > 1:
        ids = ", ".join(str(row.id) for row in rows)
        raise ConflictError(f"prefix {ref!r} names keys {ids}; give the key's id instead")
    return rows[0]


def _check_text(label: str, value: str, minimum: int) -> str:
    value = value.strip()
    if not minimum <= len(value) <= 100:
        raise InputError(f"a key's {label} must have {minimum}-100 characters")
    return value


def _check_partner(role: str, partner: str | None) -> str | None:
    if partner is None or not partner.strip():
        if role == "partner":
            raise InputError("a partner key must name its partner (--partner)")
        return None
    return _check_text("partner", partner, 1)


def _check_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    expires_at = as_utc(expires_at)
    if expires_at <= utcnow():
        raise InputError(f"a key's expiry must be in the future, got {expires_at.isoformat()}")
    return expires_at


def _view(row: ApiKey) -> KeyView:
    return KeyView(
        int(row.id),
        row.name,
        row.role,
        row.prefix,
        row.rate_limit,
        row.partner,
        row.created_at,
        row.expires_at,
        row.revoked_at,
    )
