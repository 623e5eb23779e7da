"""API keys: create (shown once, stored hashed), authenticate, expiry, revocation, the cache."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from raqib.auth import keys
from raqib.auth.keys import KeyCache
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models import utcnow
from raqib.store.models_service import ApiKey

ADMIN = "user:admin"


def _create(
    database: Database,
    role: str = "submitter",
    expires_at: datetime | None = None,
    rate_limit: float | None = None,
    partner: str | None = None,
) -> tuple[str, int]:
    with database.session(write=True) as session:
        plaintext, view = keys.create_key(
            session, role, "synthetic platform", ADMIN, expires_at, rate_limit, partner
        )
    return plaintext, view.id


def _revoke(database: Database, ref: str | int) -> keys.KeyView:
    with database.session(write=True) as session:
        return keys.revoke_key(session, ref, ADMIN)


def test_created_key_is_stored_hashed_and_authenticates(database: Database) -> None:
    plaintext, key_id = _create(database, rate_limit=25.0)
    assert plaintext.startswith("rqb_") and len(plaintext) == 47
    with database.session() as session:
        row = session.get_one(ApiKey, key_id)
        principal = keys.authenticate_key(session, plaintext)
    assert row.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row.prefix == plaintext[:12]
    assert principal is not None
    assert (principal.kind, principal.id, principal.actor) == ("key", key_id, f"key:{key_id}")
    assert (principal.role, principal.rate_limit, principal.name) == (
        "submitter",
        25.0,
        "synthetic platform",
    )


def test_keys_are_unique(database: Database) -> None:
    first, _ = _create(database)
    second, _ = _create(database)
    assert first != second


@pytest.mark.parametrize(
    "candidate", ["", "rqb_", "rqb_" + "A" * 43, "xyz_" + "A" * 43, "rqb_" + "A" * 500]
)
def test_unknown_or_malformed_keys_are_refused(database: Database, candidate: str) -> None:
    _create(database)
    with database.session() as session:
        assert keys.authenticate_key(session, candidate) is None


def test_revoked_key_is_refused(database: Database) -> None:
    plaintext, key_id = _create(database)
    view = _revoke(database, plaintext[:12])
    assert view.id == key_id and view.state() == "revoked"
    with database.session() as session:
        assert keys.authenticate_key(session, plaintext) is None
    with pytest.raises(ConflictError, match="already revoked"):
        _revoke(database, key_id)


def test_revoke_by_id_or_key_and_unknown(database: Database) -> None:
    first, first_id = _create(database)
    _, second_id = _create(database)
    assert _revoke(database, str(second_id)).id == second_id
    assert _revoke(database, first).id == first_id
    with pytest.raises(NotFoundError, match="rqb_nothere"):
        _revoke(database, "rqb_nothere")


def test_expired_key_is_refused(database: Database) -> None:
    plaintext, key_id = _create(database, expires_at=utcnow() + timedelta(days=1))
    with database.session() as session:
        assert keys.authenticate_key(session, plaintext) is not None
        session.get_one(ApiKey, key_id).expires_at = utcnow() - timedelta(seconds=1)
    with database.session() as session:
        assert keys.authenticate_key(session, plaintext) is None
        assert keys.list_keys(session)[0].state() == "expired"


def test_create_checks_its_input(database: Database) -> None:
    with pytest.raises(InputError, match="use one of"):
        _create(database, role="root")
    with pytest.raises(InputError, match="partner"):
        _create(database, role="partner")
    with pytest.raises(InputError, match="future"):
        _create(database, expires_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(InputError, match="rate limit"):
        _create(database, rate_limit=0.0)
    plaintext, _ = _create(database, role="partner", partner="synthetic partner org")
    with database.session() as session:
        principal = keys.authenticate_key(session, plaintext)
    assert principal is not None and principal.partner == "synthetic partner org"


def test_list_and_audit_never_hold_the_key(database: Database) -> None:
    plaintext, key_id = _create(database)
    _revoke(database, key_id)
    with database.session() as session:
        listed = [view.as_dict() for view in keys.list_keys(session)]
        events = audit.events(session)
        hashes = list(session.scalars(select(ApiKey.key_hash)))
    assert [(r["id"], r["state"]) for r in listed] == [(key_id, "revoked")]
    assert [e.verb for e in events] == ["key.create", "key.revoke"]
    assert events[0].details["prefix"] == plaintext[:12]
    assert events[0].object_id == str(key_id) and events[0].actor == ADMIN
    text = repr(listed) + repr([e.as_dict() for e in events])
    assert plaintext not in text and hashes[0] not in text


def test_cache_serves_within_ttl_then_sees_revocation(database: Database) -> None:
    plaintext, key_id = _create(database)
    cache = KeyCache(database, ttl_seconds=0.3)
    principal = cache.authenticate(plaintext)
    assert principal is not None and principal.id == key_id
    _revoke(database, key_id)
    assert cache.authenticate(plaintext) == principal  # still cached: revocation lags the TTL
    time.sleep(0.35)
    assert cache.authenticate(plaintext) is None


def test_cache_forget_key_takes_effect_at_once(database: Database) -> None:
    plaintext, key_id = _create(database)
    cache = KeyCache(database, ttl_seconds=60)
    assert cache.authenticate(plaintext) is not None
    _revoke(database, key_id)
    cache.forget_key(key_id)
    assert cache.authenticate(plaintext) is None


def test_cache_checks_key_expiry_on_every_lookup(database: Database) -> None:
    plaintext, _ = _create(database, expires_at=utcnow() + timedelta(seconds=0.3))
    cache = KeyCache(database, ttl_seconds=60)
    assert cache.authenticate(plaintext) is not None
    time.sleep(0.35)
    assert cache.authenticate(plaintext) is None


def test_cache_remembers_unknown_keys_and_stays_bounded(database: Database) -> None:
    cache = KeyCache(database, ttl_seconds=60, max_entries=5)
    strangers = [f"rqb_{n:043d}" for n in range(12)]
    assert all(cache.authenticate(s) is None for s in strangers)
    assert len(cache) == 5
    plaintext, _ = _create(database)
    assert cache.authenticate(plaintext) is not None
    assert cache.authenticate("not a key") is None and len(cache) == 5
