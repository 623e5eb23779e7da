"""Who is using the console, and may they see this page? Pages depend on `ui_require(perm)`:
no session -> a redirect to the sign-in page; a role without the permission -> a 403 page. Every
form that changes something carries the session's CSRF token (field `csrf_token`, or the
`X-CSRF-Token` header for script requests)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from raqib.api.security import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, check_rate
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.auth.sessions import check_csrf, lookup_session
from raqib.web.render import render


class SignInNeeded(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UiRequire:
    """A page dependency: the signed-in person, with `permission` (and a valid CSRF token on
    anything but GET/HEAD)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal = await ui_principal(request)
        if not principal.can(self.permission):
            raise PageForbidden(f"The {principal.role} role may not open this page.")
        return principal


def ui_require(permission: Permission) -> UiRequire:
    return UiRequire(permission)


async def ui_principal(request: Request) -> Principal:
    """The signed-in person (any role), CSRF checked for changes, rate limited."""
    state = service_state(request)
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        with state.database.session() as session:
            found = lookup_session(session, token)
    if found is None:
        raise SignInNeeded(request.url.path)
    principal, csrf = found
    request.state.principal = principal
    request.state.csrf_token = csrf
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.form()
            field = form.get("csrf_token")
            given = field if isinstance(field, str) else None
        if not check_csrf(csrf, given):
            raise PageForbidden("This form has expired; go back, reload the page and try again.")
    check_rate(state, principal)
    return principal


def install_page_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInNeeded, _sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(PageForbidden, _forbidden)  # type: ignore[arg-type]


async def _sign_in(_request: Request, exc: SignInNeeded) -> Response:
    return RedirectResponse(f"/ui/login?next={quote(exc.next_path)}", status_code=303)


async def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
    return render(request, "error.html", {"title": "Not allowed", "message": exc.message}, 403)
