"""Users: add, duplicates, names and roles, passwords, disable, sign-in and rehash; audit."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from raqib.auth import passwords, sessions, users
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models_service import User

PASSWORD = "synthetic-password-1"
ADMIN = "user:admin"


def _add(database: Database, name: str = "alice", role: str = "reviewer") -> users.UserView:
    with database.session(write=True) as session:
        return users.add_user(session, name, role, PASSWORD, ADMIN)


def test_add_then_authenticate(database: Database) -> None:
    view = _add(database, role=" Lead ")
    assert (view.name, view.role, view.active) == ("alice", "lead", True)
    assert view.as_dict()["created_at"].endswith("+00:00")
    with database.session() as session:
        principal = users.authenticate(session, "alice", PASSWORD)
        assert users.authenticate(session, "alice", PASSWORD + "x") is None
        assert users.authenticate(session, "nobody", PASSWORD) is None
        stored = session.scalar(select(User.password_hash).where(User.name == "alice"))
    assert principal is not None
    assert (principal.kind, principal.id, principal.actor, principal.role) == (
        "user",
        view.id,
        "user:alice",
        "lead",
    )
    assert stored is not None and PASSWORD not in stored


def test_duplicate_name_conflicts_ignoring_case(database: Database) -> None:
    _add(database)
    with pytest.raises(ConflictError, match="already exists"):
        _add(database, "ALICE")
    with database.session() as session:
        assert [u.name for u in users.list_users(session)] == ["alice"]


@pytest.mark.parametrize("name", ["", "has space", "a" * 101, "émile", "x/y"])
def test_bad_names_are_refused(database: Database, name: str) -> None:
    with pytest.raises(InputError, match="user name"):
        _add(database, name)


def test_bad_role_names_the_valid_roles(database: Database) -> None:
    with pytest.raises(InputError, match="admin, curator, reviewer, lead, submitter, partner"):
        _add(database, role="overlord")


def test_user_without_password_cannot_sign_in(database: Database) -> None:
    with database.session(write=True) as session:
        users.add_user(session, "bob", "reviewer", None, ADMIN)
    with database.session() as session:
        assert users.authenticate(session, "bob", "") is None
        assert users.authenticate(session, "bob", PASSWORD) is None
    with database.session(write=True) as session:
        users.set_password(session, "bob", PASSWORD, ADMIN)
    with database.session() as session:
        assert users.authenticate(session, "bob", PASSWORD) is not None


def test_password_change_ends_sessions_and_old_password(database: Database) -> None:
    view = _add(database)
    with database.session(write=True) as session:
        token, _csrf = sessions.create_session(session, view.id, 1)
    with database.session(write=True) as session:
        users.set_password(session, "alice", "another-synthetic-pw", ADMIN)
    with database.session() as session:
        assert sessions.lookup_session(session, token) is None
        assert users.authenticate(session, "alice", PASSWORD) is None
        assert users.authenticate(session, "alice", "another-synthetic-pw") is not None


def test_disabled_user_cannot_sign_in_until_enabled(database: Database) -> None:
    _add(database)
    with database.session(write=True) as session:
        assert users.disable(session, "alice", ADMIN).active is False
    with database.session() as session:
        assert users.authenticate(session, "alice", PASSWORD) is None
        assert users.get_user(session, "alice").active is False
    with database.session(write=True) as session:
        users.set_active(session, "alice", True, ADMIN)
    with database.session() as session:
        assert users.authenticate(session, "alice", PASSWORD) is not None


def test_unknown_user_changes_are_not_found(database: Database) -> None:
    with database.session(write=True) as session, pytest.raises(NotFoundError, match="ghost"):
        users.disable(session, "ghost", ADMIN)


def test_old_hash_is_upgraded_at_sign_in(database: Database) -> None:
    _add(database)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with database.session() as session:
        session.get_one(User, 1).password_hash = weak
    with database.session() as session:
        assert users.authenticate(session, "alice", PASSWORD) is not None
    with database.session() as session:
        stored = session.get_one(User, 1).password_hash
    assert stored != weak and not passwords.needs_rehash(stored)
    assert passwords.verify_password(stored, PASSWORD)


def test_changes_are_audited_without_passwords(database: Database) -> None:
    _add(database)
    with database.session(write=True) as session:
        users.set_password(session, "alice", "another-synthetic-pw", ADMIN)
        users.disable(session, "alice", ADMIN)
    with database.session() as session:
        events = audit.events(session)
        assert audit.verify(session).ok
    assert [e.verb for e in events] == ["user.add", "user.password", "user.disable"]
    assert all(e.actor == ADMIN and e.object_type == "user" for e in events)
    assert events[0].details == {"name": "alice", "role": "reviewer", "password_set": True}
    assert not any(PASSWORD in str(e.details) for e in events)
