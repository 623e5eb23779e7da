"""Sign in and out of the console. The sign-in form carries a token that must match a cookie
set with the form (so another site cannot sign a browser in)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from raqib.api.security import SESSION_COOKIE, SignInRefused, set_cookie, sign_in
from raqib.api.state import service_state
from raqib.auth.sessions import check_csrf, end_session
from raqib.web.auth import ui_principal
from raqib.web.render import render

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "raqib_login_csrf"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/ui/") -> Response:
    token = secrets.token_urlsafe(24)
    page = render(request, "login.html", {"login_token": token, "next": _local(next)})
    set_cookie(page, service_state(request), LOGIN_COOKIE, token, 600)
    return page


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    state = service_state(request)
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _local(str(form.get("next", "/ui/")))
    if not check_csrf(request.cookies.get(LOGIN_COOKIE, ""), str(form.get("login_token", ""))):
        return _again(request, "The sign-in form expired; please try again.", target)
    try:
        _principal, token, _csrf = await run_in_threadpool(sign_in, state, name, password)
    except SignInRefused as refused:
        if refused.limited:
            return _again(request, "Too many attempts; wait a minute and try again.", target, 429)
        return _again(request, "Wrong name or password.", target, 401)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, state, SESSION_COOKIE, token, state.settings.session_hours * 3600)
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


def _again(request: Request, message: str, target: str, status: int = 400) -> Response:
    token = secrets.token_urlsafe(24)
    context: dict[str, Any] = {"login_token": token, "next": target, "error": message}
    page = render(request, "login.html", context, status)
    set_cookie(page, service_state(request), LOGIN_COOKIE, token, 600)
    return page


def _local(path: str) -> str:
    """Only a path of this console is a place to go after signing in (no open redirect)."""
    if path.startswith("/ui/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/ui/"
