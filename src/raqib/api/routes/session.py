"""Console sign-in: POST /session (name and password -> a session cookie and a CSRF token),
DELETE /session (sign out), GET /me (who the caller is, for keys and sessions alike)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from raqib.api import security
from raqib.api.errors import ApiError
from raqib.api.security import SESSION_COOKIE, authenticate
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.sessions import end_session

router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    password: str = Field(..., min_length=1, max_length=1000)


def _caller(request: Request) -> Principal:
    return authenticate(request, service_state(request))


@router.post("/session")
def sign_in(body: Credentials, request: Request, response: Response) -> dict[str, Any]:
    state = service_state(request)
    try:
        principal, token, csrf = security.sign_in(state, body.name, body.password)
    except security.SignInRefused as refused:
        if refused.limited:
            wait = {"Retry-After": "60"}
            raise ApiError(429, "too many sign-in attempts; wait a minute", None, wait) from None
        raise ApiError(401, "wrong name or password") from None
    age = state.settings.session_hours * 3600
    security.set_cookie(response, state, SESSION_COOKIE, token, age)
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
