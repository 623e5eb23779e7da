"""Console sessions: create, look up, expire, end; disabled users; CSRF comparison."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from raqib.auth import sessions, users
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.store.db import Database
from raqib.store.models import utcnow
from raqib.store.models_service import UserSession

ADMIN = "user:admin"


def _user(database: Database, name: str = "carol") -> int:
    with database.session(write=True) as session:
        return users.add_user(session, name, "reviewer", None, ADMIN).id


def test_session_round_trip_stores_only_a_hash(database: Database) -> None:
    user_id = _user(database)
    with database.session(write=True) as session:
        token, csrf = sessions.create_session(session, user_id, 2)
    assert token != csrf and len(token) >= 43
    with database.session() as session:
        found = sessions.lookup_session(session, token)
        stored = list(session.scalars(select(UserSession.token_hash)))
        assert sessions.lookup_session(session, token + "x") is None
        assert sessions.lookup_session(session, "") is None
    assert found is not None
    principal, found_csrf = found
    assert (principal.actor, principal.id, principal.role) == ("user:carol", user_id, "reviewer")
    assert found_csrf == csrf
    assert token not in stored and len(stored[0]) == 64


def test_expired_session_is_refused_and_purged(database: Database) -> None:
    user_id = _user(database)
    with database.session(write=True) as session:
        old, _ = sessions.create_session(session, user_id, 1)
        live, _ = sessions.create_session(session, user_id, 1)
    with database.session() as session:
        row = session.get_one(UserSession, hashlib.sha256(old.encode()).hexdigest())
        row.expires_at = utcnow() - timedelta(seconds=1)
    with database.session(write=True) as session:
        assert sessions.lookup_session(session, old) is None
        assert sessions.lookup_session(session, live) is not None
        assert sessions.purge_expired(session) == 1


def test_end_session(database: Database) -> None:
    user_id = _user(database)
    with database.session(write=True) as session:
        token, _ = sessions.create_session(session, user_id, 1)
    with database.session(write=True) as session:
        assert sessions.end_session(session, token) is True
        assert sessions.end_session(session, token) is False
    with database.session() as session:
        assert sessions.lookup_session(session, token) is None


def test_disabled_user_loses_sessions_and_cannot_start_one(database: Database) -> None:
    user_id = _user(database)
    with database.session(write=True) as session:
        token, _ = sessions.create_session(session, user_id, 1)
    with database.session(write=True) as session:
        users.disable(session, "carol", ADMIN)
    with database.session(write=True) as session:
        assert sessions.lookup_session(session, token) is None
        with pytest.raises(ConflictError, match="disabled"):
            sessions.create_session(session, user_id, 1)


def test_create_session_checks_its_input(database: Database) -> None:
    user_id = _user(database)
    with database.session(write=True) as session:
        with pytest.raises(InputError, match="hours"):
            sessions.create_session(session, user_id, 0)
        with pytest.raises(NotFoundError):
            sessions.create_session(session, user_id + 99, 1)


def test_check_csrf() -> None:
    assert sessions.check_csrf("abc123", "abc123")
    assert not sessions.check_csrf("abc123", "abc124")
    assert not sessions.check_csrf("abc123", None)
    assert not sessions.check_csrf("", "")
    assert not sessions.check_csrf("abc123", "abc1234")
    assert not sessions.check_csrf("abc123", "ábc123")
