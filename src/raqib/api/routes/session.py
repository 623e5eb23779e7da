"""Console sign-in: POST /session (name and password -> a session cookie and a CSRF token),
DELETE /session (sign out), GET /me (who the caller is, for keys and sessions alike)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from raqib.api.errors import ApiError
from raqib.api.security import SESSION_COOKIE, authenticate
from raqib.api.state import ServiceState, service_state
from raqib.auth.principal import Principal
from raqib.auth.sessions import create_session, end_session
from raqib.auth.users import authenticate as authenticate_user

router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=1000)


def _caller(request: Request) -> Principal:
    return authenticate(request, service_state(request))


@router.post("/session")
def sign_in(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
    state = service_state(request)
    allowed, _wait = state.limiter.allow(f"sign-in:{body.name}", _SIGN_IN_RATE, _SIGN_IN_BURST)
    if not allowed:
        raise ApiError(429, "too many sign-in attempts; wait a minute", None, {"Retry-After": "60"})
    with state.database.session() as session:  # argon2 takes ~0.1 s: no write lock held
        principal = authenticate_user(session, body.name, body.password)
    if principal is None:
        raise ApiError(401, "wrong name or password")
    with state.database.session(write=True) as session:
        token, csrf = create_session(session, principal.id, state.settings.session_hours)
    _set_cookie(response, state, token)
    return {"user": body.name, "role": principal.role, "csrf_token": csrf}


@router.delete("/session")
def sign_out(
    request: Request, response: Response, caller: Principal = Depends(_caller)
) -> dict[str, Any]:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with service_state(request).database.session() as session:
            end_session(session, token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_out": caller.name}


@router.get("/me")
def me(caller: Principal = Depends(_caller)) -> dict[str, Any]:
    return {"kind": caller.kind, "name": caller.name, "role": caller.role, "actor": caller.actor}


_SIGN_IN_RATE = 10 / 60  # attempts per second per user name: 10 at once, then 10 a minute
_SIGN_IN_BURST = 10


def _set_cookie(response: Response, state: ServiceState, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=state.settings.session_hours * 3600,
        path="/",
        secure=state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
