"""Console users: add, change password or role, disable, list, and sign in by name and password.

Every change appends an audit event in the caller's transaction ("user.add", "user.password",
"user.role", "user.disable", "user.enable"); a password never appears in the trail. Call the
changing functions inside `Database.session(write=True)`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from raqib.auth import passwords
from raqib.auth.principal import Principal
from raqib.auth.roles import check_role
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import audit
from raqib.store.models import as_utc as _utc
from raqib.store.models_service import User, UserSession

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,100}")


@dataclass(frozen=True)
class UserView:
    """A user as the API and CLI show it (never the password hash)."""

    id: int
    name: str
    role: str
    active: bool
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "created_at": _utc(self.created_at).isoformat(),
        }


def check_name(name: str) -> str:
    """The name, or an InputError: 1-100 ASCII letters, digits, '.', '_' or '-' (ASCII only, so
    no two names in the audit trail look alike)."""
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"invalid user name {name!r}: use 1-100 letters (a-z, A-Z), digits, '.', '_' or '-'"
        )
    return name


def role_or_error(role: str) -> str:
    """The role in canonical form, or an InputError naming the valid roles."""
    try:
        return check_role(role)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def add_user(session: Session, name: str, role: str, password: str | None, actor: str) -> UserView:
    """Create a user. With `password=None` the user exists but cannot sign in until
    `set_password`. Names are unique ignoring case (ConflictError otherwise)."""
    name, role = check_name(name), role_or_error(role)
    password_hash = passwords.hash_password(password) if password is not None else ""
    taken = select(User.id).where(func.lower(User.name) == name.lower())
    if session.scalar(taken) is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(name=name, role=role, password_hash=password_hash, active=True)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"a user named {name!r} already exists") from exc
    details = {"name": name, "role": role, "password_set": password is not None}
    audit.append(session, actor, "user.add", "user", user.id, details)
    return _view(user)


def set_password(session: Session, name: str, password: str, actor: str) -> UserView:
    """Replace a user's password and end their console sessions."""
    password_hash = passwords.hash_password(password)
    user = _get(session, name)
    user.password_hash = password_hash
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.append(session, actor, "user.password", "user", user.id, {"name": user.name})
    return _view(user)


def set_active(session: Session, name: str, active: bool, actor: str) -> UserView:
    """Enable or disable a user; disabling ends their sessions and refuses their sign-ins."""
    user = _get(session, name)
    user.active = active
    if not active:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    verb = "user.enable" if active else "user.disable"
    audit.append(session, actor, verb, "user", user.id, {"name": user.name})
    return _view(user)


def set_role(session: Session, name: str, role: str, actor: str) -> UserView:
    """Change a user's role; audited "user.role" (old and new role). A session reads the role
    afresh on every request, so the change applies at once."""
    role = role_or_error(role)
    user = _get(session, name)
    old = user.role
    user.role = role
    session.flush()
    details = {"name": user.name, "from": old, "to": role}
    audit.append(session, actor, "user.role", "user", user.id, details)
    return _view(user)


def disable(session: Session, name: str, actor: str) -> UserView:
    return set_active(session, name, False, actor)


def get_user(session: Session, name: str) -> UserView:
    return _view(_get(session, name))


def list_users(session: Session) -> list[UserView]:
    return [_view(user) for user in session.scalars(select(User).order_by(User.name))]


def generate_password() -> str:
    """A random password (144 bits, 24 URL-safe characters) for a new user."""
    return secrets.token_urlsafe(18)


def authenticate(session: Session, name: str, password: str) -> Principal | None:
    """The user's principal when the name and password match an active user, else None.

    An unknown name, or a user without a password, is checked against a dummy hash, so the time
    taken does not tell whether a name exists. A hash made with older parameters is upgraded
    (one conditional UPDATE in the caller's transaction; if that write cannot be made now, the
    next sign-in tries again)."""
    user = session.scalar(select(User).where(User.name == name)) if _plausible(name) else None
    if user is None or not user.password_hash:
        passwords.verify_password(_dummy_hash(), password)
        return None
    if not passwords.verify_password(user.password_hash, password):
        return None
    if not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        _rehash(session, user, password)
    return Principal(kind="user", id=int(user.id), name=user.name, role=user.role)


def _rehash(session: Session, user: User, password: str) -> None:
    old, new = user.password_hash, passwords.hash_password(password)
    statement = (
        update(User)
        .where(User.id == user.id, User.password_hash == old)
        .values(password_hash=new)
        .execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.execute(statement)
    except OperationalError:
        return  # e.g. SQLite busy: keep the old hash, which still verifies
    session.expire(user, ["password_hash"])


def _plausible(name: str) -> bool:
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


@cache
def _dummy_hash() -> str:
    return passwords.hash_password(secrets.token_urlsafe(18))


def _get(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user named {name!r}; `raqib user list` shows the users")
    return user


def _view(user: User) -> UserView:
    return UserView(int(user.id), user.name, user.role, bool(user.active), user.created_at)
