"""Console sessions: a random token in the cookie, its sha256 in `user_sessions`, and a CSRF
token the console sends back with every form or state-changing request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from raqib.auth.principal import Principal
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.store.models import as_utc, utcnow
from raqib.store.models_service import User, UserSession

_MAX_TOKEN_LENGTH = 200  # a token is 43 characters; longer input is refused before hashing


def create_session(session: Session, user_id: int, hours: float) -> tuple[str, str]:
    """Start a session for an active user, lasting `hours`: (session token, CSRF token).
    The caller puts the session token in the cookie; only its sha256 is stored."""
    if not hours > 0:
        raise InputError(f"a session must last more than 0 hours, got {hours}")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    if not user.active:
        raise ConflictError(f"user {user.name!r} is disabled")
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_hash(token),
            user_id=user.id,
            csrf_token=csrf_token,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    session.flush()
    return token, csrf_token


def lookup_session(session: Session, token: str) -> tuple[Principal, str] | None:
    """(the user's principal, the session's CSRF token), or None for an unknown or expired
    session or a disabled user."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_LENGTH:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    user_session, user = row[0], row[1]
    if as_utc(user_session.expires_at) <= utcnow() or not user.active:
        return None
    principal = Principal(kind="user", id=int(user.id), name=user.name, role=user.role)
    return principal, user_session.csrf_token


def end_session(session: Session, token: str) -> bool:
    """Sign out: delete the session. Whether there was one."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_LENGTH:
        return False
    result = session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))
    return bool(getattr(result, "rowcount", 0))


def purge_expired(session: Session) -> int:
    """Delete sessions that have expired (housekeeping); how many."""
    result = session.execute(delete(UserSession).where(UserSession.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0))


def check_csrf(expected: str, given: str | None) -> bool:
    """Whether the CSRF token a request sent matches the session's, compared in constant time."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
