"""Denied by default: every route of the API either is one of the few public ones or names one
permission, and every role is refused (403) where its role lacks it, over real HTTP."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from raqib.api.app import ROUTERS
from raqib.api.security import Require
from raqib.auth.roles import ROLES, Permission, allows
from service_helpers import Service

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/me"),
}
PARAMETERS = {"case_id": "999999", "rule_id": "999999", "delivery_id": "999999"}


def _routes(service: Service) -> list[tuple[str, str, Permission | None]]:
    found = []
    for prefix, router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            calls = [d.call for d in route.dependant.dependencies]
            checks = [call for call in calls if isinstance(call, Require)]
            assert len(checks) <= 1, route.path
            permission = checks[0].permission if checks else None
            found.extend((m, prefix + route.path, permission) for m in sorted(route.methods))
    return found


def _path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMETERS.get(m.group(1), "no-such-thing"), template)


def _call(service: Service, role: str | None, method: str, path: str) -> int:
    with service.client(role) as client:
        body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
        return client.request(method, _path(path), **body).status_code


def test_every_route_is_public_by_name_or_names_one_permission(service: Service) -> None:
    routes = _routes(service)
    unguarded = {(method, path) for method, path, permission in routes if permission is None}
    assert unguarded == PUBLIC
    schema = service.app.openapi()["paths"]
    published = {(m.upper(), path) for path, methods in schema.items() for m in methods}
    assert published == {(method, path) for method, path, _ in routes}
    assert len(routes) > 30


def test_no_key_and_bad_key_are_refused_everywhere(service: Service) -> None:
    for method, path, permission in _routes(service):
        if permission is None:
            continue
        assert _call(service, None, method, path) == 401, (method, path)
    with service.client() as client:
        answer = client.get("/api/v1/cases", headers={"Authorization": "Bearer rqb_nope"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"


def test_each_role_is_allowed_exactly_where_its_permissions_say(service: Service) -> None:
    wrong = []
    for method, path, permission in _routes(service):
        if permission is None:
            continue
        for role in ROLES:
            status = _call(service, role, method, path)
            if status >= 500:
                wrong.append((role, method, path, status))
            elif allows(role, permission):
                if status in (401, 403):
                    wrong.append((role, method, path, status))
            elif status != 403:
                wrong.append((role, method, path, status))
    assert wrong == []
