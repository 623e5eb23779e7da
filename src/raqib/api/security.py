"""Who is calling, and may they? Denied by default: every route depends on `require(permission)`.

Machines send `Authorization: Bearer <key>`; people carry a session cookie from
`POST /api/v1/session`, and any request that changes something must then also send the session's
CSRF token in `X-CSRF-Token`. Each principal has a token-bucket rate limit; over it -> 429."""

from __future__ import annotations

from fastapi import Request, Response

from raqib.api.errors import ApiError
from raqib.api.state import ServiceState, service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.auth.sessions import check_csrf, create_session, lookup_session
from raqib.auth.users import authenticate as authenticate_user

SESSION_COOKIE = "raqib_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="raqib"'}


class Require:
    """A dependency that authenticates the caller, checks one permission and the rate limit.
    Every protected route has exactly one; a test walks the routes and checks each role."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        state = service_state(request)
        principal = authenticate(request, state)
        if not principal.can(self.permission):
            raise ApiError(
                403, f"the {principal.role} role may not do this (needs {self.permission})"
            )
        check_rate(state, principal)
        request.state.principal = principal
        return principal


def require(permission: Permission) -> Require:
    return Require(permission)


def authenticate(request: Request, state: ServiceState) -> Principal:
    header = request.headers.get("authorization")
    if header is not None:
        return _from_bearer(header, state)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return _from_session(request, token, state)
    raise ApiError(
        401, "authentication required: send Authorization: Bearer <key>", None, _CHALLENGE
    )


def _from_bearer(header: str, state: ServiceState) -> Principal:
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "use Authorization: Bearer <key>", None, _CHALLENGE)
    principal = state.keys.authenticate(key.strip())
    if principal is None:
        raise ApiError(401, "unknown, revoked or expired key", None, _CHALLENGE)
    return principal


def _from_session(request: Request, token: str, state: ServiceState) -> Principal:
    with state.database.session() as session:
        found = lookup_session(session, token)
    if found is None:
        raise ApiError(401, "session expired or unknown: sign in again")
    principal, csrf = found
    if request.method not in SAFE_METHODS and not check_csrf(
        csrf, request.headers.get(CSRF_HEADER, "")
    ):
        raise ApiError(403, f"missing or wrong {CSRF_HEADER} header", "csrf_failed")
    return principal


def check_rate(state: ServiceState, principal: Principal) -> None:
    rate = principal.rate_limit or state.settings.rate_limit
    if rate <= 0:  # RAQIB_RATE_LIMIT=0: no limit
        return
    allowed, retry_after = state.limiter.allow(principal.actor, rate)
    if not allowed:
        wait = max(1, round(retry_after + 0.5))
        raise ApiError(
            429, f"rate limit of {rate:g} requests/s exceeded", None, {"Retry-After": str(wait)}
        )


# --- signing in (the API's POST /session and the console's sign-in form) ----------------------

SIGN_IN_RATE, SIGN_IN_BURST = 10 / 60, 10  # attempts per user name: 10 at once, then 10 a minute


class SignInRefused(Exception):
    def __init__(self, limited: bool) -> None:
        super().__init__("too many attempts" if limited else "wrong name or password")
        self.limited = limited


def sign_in(state: ServiceState, name: str, password: str) -> tuple[Principal, str, str]:
    """(principal, session token, CSRF token) for a right name and password, or SignInRefused.
    Blocking (argon2 takes ~0.1 s): call it from a worker thread, never the event loop."""
    allowed, _wait = state.limiter.allow(f"sign-in:{name}", SIGN_IN_RATE, SIGN_IN_BURST)
    if not allowed:
        raise SignInRefused(limited=True)
    with state.database.session() as session:  # no write lock held while argon2 runs
        principal = authenticate_user(session, name, password)
    if principal is None:
        raise SignInRefused(limited=False)
    with state.database.session(write=True) as session:
        token, csrf = create_session(session, principal.id, state.settings.session_hours)
    return principal, token, csrf


def set_cookie(response: Response, state: ServiceState, name: str, value: str, age: int) -> None:
    """A console cookie: Secure (unless configured off), HttpOnly, SameSite=Strict; the session
    cookie for the whole site, others for the console only."""
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/" if name == SESSION_COOKIE else "/ui/",
        secure=state.settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
