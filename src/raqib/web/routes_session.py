"""Sign in and out of the console. The sign-in form carries a token that must match a cookie
set with the form (so another site cannot sign a browser in)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from raqib.api.security import SESSION_COOKIE
from raqib.api.state import ServiceState, service_state
from raqib.auth.sessions import check_csrf, create_session, end_session
from raqib.auth.users import authenticate
from raqib.web.auth import ui_principal
from raqib.web.render import render

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "raqib_login_csrf"
_SIGN_IN_RATE, _SIGN_IN_BURST = 10 / 60, 10


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/ui/") -> Response:
    token = secrets.token_urlsafe(24)
    page = render(request, "login.html", {"login_token": token, "next": _local(next)})
    _cookie(page, service_state(request), LOGIN_COOKIE, token, 600)
    return page


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    state = service_state(request)
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _local(str(form.get("next", "/ui/")))
    if not check_csrf(request.cookies.get(LOGIN_COOKIE, ""), str(form.get("login_token", ""))):
        return _again(request, "The sign-in form expired; please try again.", target)
    allowed, _wait = state.limiter.allow(f"sign-in:{name}", _SIGN_IN_RATE, _SIGN_IN_BURST)
    if not allowed:
        return _again(request, "Too many attempts; wait a minute and try again.", target, 429)
    user_id = _check(state, name, password)
    if user_id is None:
        return _again(request, "Wrong name or password.", target, 401)
    with state.database.session(write=True) as session:
        token, _csrf = create_session(session, user_id, state.settings.session_hours)
    response = RedirectResponse(target, status_code=303)
    _cookie(response, state, SESSION_COOKIE, token, state.settings.session_hours * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/ui/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await ui_principal(request)  # checks the form's CSRF token
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with service_state(request).database.session() as session:
            end_session(session, token)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _check(state: ServiceState, name: str, password: str) -> int | None:
    with state.database.session() as session:  # argon2 takes ~0.1 s: no write lock held
        principal = authenticate(session, name, password)
    return None if principal is None else principal.id


def _again(request: Request, message: str, target: str, status: int = 400) -> Response:
    token = secrets.token_urlsafe(24)
    context: dict[str, Any] = {"login_token": token, "next": target, "error": message}
    page = render(request, "login.html", context, status)
    _cookie(page, service_state(request), LOGIN_COOKIE, token, 600)
    return page


def _local(path: str) -> str:
    """Only a path of this console is a place to go after signing in (no open redirect)."""
    if path.startswith("/ui/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/ui/"


def _cookie(response: Response, state: ServiceState, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/" if name == SESSION_COOKIE else "/ui/",
        secure=state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
