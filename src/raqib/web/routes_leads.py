"""The leads' pages under /ui/lead: queues and routing rules, reviewers and roles, failed
webhook deliveries with retry, the decision export, quality checks (agreement, the second-review
share, the golden set) and removal orders with their one-hour clock. Every page needs
cases.manage. Each change is a plain form POST answered with a redirect (303) to its page with a
notice code; a refused change shows the page again with the reason. The pages call raqib.review
and raqib.auth directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raqib.api.params import RowId
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import ROLE_PERMISSIONS, ROLES, Permission
from raqib.auth.users import add_user, generate_password, list_users, set_active, set_role
from raqib.errors import ConflictError, InputError, NotFoundError, RaqibError
from raqib.review import orders, outbox, quality, queues
from raqib.review.reasons import OUTCOMES
from raqib.store.models import utcnow
from raqib.store.models_service import Case, Decision
from raqib.web.auth import ui_require
from raqib.web.render import render

router = APIRouter(include_in_schema=False)
MANAGE = Depends(ui_require(Permission.CASES_MANAGE))
PAGES = ("queues", "people", "deliveries", "export", "quality", "orders")
# Notices a redirect may ask a page to show (by code: no text is taken from the address).
NOTICES = {
    "queue": "Queue created.",
    "queue-deleted": "Queue deleted.",
    "rule": "Routing rule added.",
    "rule-moved": "Routing rule moved.",
    "rule-changed": "Routing rule changed.",
    "rule-deleted": "Routing rule deleted.",
    "role": "Role changed.",
    "disabled": "User disabled; their sessions ended.",
    "enabled": "User enabled.",
    "retried": "Delivery queued again.",
    "share": "Second-review share saved.",
    "golden": "Golden case added to its queue.",
    "order": "Removal order entered: its items are at the top of their queues.",
}
_STATUS = {InputError: 400, NotFoundError: 404, ConflictError: 409}


# --- forms and answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fields:
    """A posted form's text fields."""

    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()


async def form_fields(request: Request) -> Fields:
    form = await request.form()
    return Fields({k: v for k, v in form.multi_items() if isinstance(v, str)})


FORM = Depends(form_fields)


def _done(page: str, notice: str) -> Response:
    return RedirectResponse(f"/ui/lead/{page}?notice={notice}", status_code=303)


def _change(
    request: Request,
    principal: Principal,
    page: str,
    notice: str,
    action: Callable[[Session], object],
) -> Response:
    """Run `action` in a write transaction; redirect to the page with the notice, or show the
    page again with the reason the change was refused."""
    try:
        with service_state(request).database.session(write=True) as session:
            action(session)
    except RaqibError as exc:
        return _page(request, principal, page, error=str(exc), status=_status(exc))
    return _done(page, notice)


def _status(exc: RaqibError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)


def _page(
    request: Request,
    principal: Principal,
    page: str,
    notice: str = "",
    error: str = "",
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    with service_state(request).database.session() as session:
        context = _CONTEXTS[page](session, principal)
    context |= {"page": page, "notice": NOTICES.get(notice, ""), "error": error, **(extra or {})}
    response = render(request, f"lead_{page}.html", context, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the index ---------------------------------------------------------------------------------


@router.get("/lead", response_class=HTMLResponse)
def lead_index(request: Request, principal: Principal = MANAGE) -> Response:
    """Links to the leads' pages with what waits on each."""
    with service_state(request).database.session() as session:
        open_orders = orders.list_orders(session, state="open", limit=orders.MAX_LIMIT)
        waiting = quality.pending_checks(session)
        counts = {
            "queues": len(queues.list_queues(session)),
            "rules": len(queues.list_rules(session)),
            "users": len(list_users(session)),
            "failed": outbox.counts(session)[outbox.FAILED],
            "orders": len(open_orders),
            "second": waiting.second_reviews,
            "golden": waiting.golden_open,
        }
    context = {"page": "index", "counts": counts, "orders": open_orders, "now": utcnow()}
    return render(request, "lead_index.html", context)


# --- queues and routing rules ------------------------------------------------------------------


def _queues_context(session: Session, _principal: Principal) -> dict[str, Any]:
    return {
        "queues": queues.list_queues(session),
        "rules": queues.list_rules(session),
        "condition_keys": queues.CONDITION_KEYS,
    }


@router.get("/lead/queues", response_class=HTMLResponse)
def lead_queues(request: Request, notice: str = "", principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "queues", notice)


@router.post("/lead/queues")
def create_queue(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    name, description = form.get("name"), form.get("description")
    return _change(
        request,
        principal,
        "queues",
        "queue",
        lambda s: queues.create_queue(s, name, principal.actor, description),
    )


@router.post("/lead/queues/delete")
def delete_queue(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    name = form.get("name")
    return _change(
        request,
        principal,
        "queues",
        "queue-deleted",
        lambda s: queues.delete_queue(s, name, principal.actor),
    )


@router.post("/lead/rules")
def create_rule(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    """A rule from the form: the queue, a value or comma-separated values per condition (blank:
    any), an optional position (1 = first) and whether it is on."""

    def action(session: Session) -> object:
        return queues.create_rule(
            session,
            form.get("queue"),
            conditions_from(form),
            principal.actor,
            position=_position(form.get("position")),
            enabled=form.get("enabled") != "off",
        )

    return _change(request, principal, "queues", "rule", action)


def conditions_from(form: Fields) -> dict[str, Any]:
    """Routing conditions from the form's fields (one per condition key)."""
    conditions: dict[str, Any] = {}
    for key in queues.CONDITION_KEYS:
        given = [v.strip() for v in form.get(key).split(",") if v.strip()]
        values: list[Any] = [_tier(v) for v in given] if key == "tier" else given
        if values:
            conditions[key] = values[0] if len(values) == 1 else values
    return conditions


def _tier(value: str) -> int:
    if not value.isdigit():
        raise InputError(f"a tier is a number from 1 to 4, not {value!r}")
    return int(value)


def _position(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"a rule's position is a number from 1, not {value!r}")
    return int(value)


@router.post("/lead/rules/{rule_id}/move")
def move_rule(
    rule_id: RowId, request: Request, form: Fields = FORM, principal: Principal = MANAGE
) -> Response:
    """Move a rule one place up (earlier: it is tried sooner) or down."""
    step = -1 if form.get("direction") == "up" else 1

    def action(session: Session) -> object:
        rule = next((r for r in queues.list_rules(session) if r.id == rule_id), None)
        if rule is None:
            raise NotFoundError(f"no routing rule {rule_id}")
        position = max(1, rule.position + step)
        return queues.update_rule(session, rule_id, principal.actor, position=position)

    return _change(request, principal, "queues", "rule-moved", action)


@router.post("/lead/rules/{rule_id}/enabled")
def enable_rule(
    rule_id: RowId, request: Request, form: Fields = FORM, principal: Principal = MANAGE
) -> Response:
    enabled = form.get("enabled") == "on"
    return _change(
        request,
        principal,
        "queues",
        "rule-changed",
        lambda s: queues.update_rule(s, rule_id, principal.actor, enabled=enabled),
    )


@router.post("/lead/rules/{rule_id}/delete")
def delete_rule(rule_id: RowId, request: Request, principal: Principal = MANAGE) -> Response:
    return _change(
        request,
        principal,
        "queues",
        "rule-deleted",
        lambda s: queues.delete_rule(s, rule_id, principal.actor),
    )


# --- people and roles --------------------------------------------------------------------------


def grantable(principal: Principal) -> list[str]:
    """The roles this person may give: those that allow nothing they may not do themselves
    (so a lead can make reviewers and leads, not admins)."""
    own = ROLE_PERMISSIONS.get(principal.role, frozenset())
    return [role for role in ROLES if ROLE_PERMISSIONS[role] <= own]


def _check_target(session: Session, principal: Principal, name: str, role: str | None) -> None:
    if name == principal.name and principal.kind == "user":
        raise ConflictError("you cannot change your own account here; ask another lead or admin")
    users = {user.name: user for user in list_users(session)}
    if name not in users:
        raise NotFoundError(f"no user named {name!r}")
    allowed = grantable(principal)
    if users[name].role not in allowed or (role is not None and role not in allowed):
        raise ConflictError(f"the {principal.role} role may only manage {', '.join(allowed)}")


def _people_context(session: Session, principal: Principal) -> dict[str, Any]:
    return {"users": list_users(session), "roles": grantable(principal)}


@router.get("/lead/people", response_class=HTMLResponse)
def lead_people(request: Request, notice: str = "", principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "people", notice)


@router.post("/lead/people")
def add_person(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    """Add a user with a generated password, shown on this answer only."""
    name, role = form.get("name"), form.get("role")
    password = generate_password()
    try:
        if role not in grantable(principal):
            raise ConflictError(f"the {principal.role} role may not give the role {role!r}")
        with service_state(request).database.session(write=True) as session:
            add_user(session, name, role, password, principal.actor)
    except RaqibError as exc:
        return _page(request, principal, "people", error=str(exc), status=_status(exc))
    created = {"name": name, "role": role, "password": password}
    return _page(request, principal, "people", status=201, extra={"created": created})


@router.post("/lead/people/{name}/role")
def change_role(
    name: str, request: Request, form: Fields = FORM, principal: Principal = MANAGE
) -> Response:
    role = form.get("role")

    def action(session: Session) -> object:
        _check_target(session, principal, name, role)
        return set_role(session, name, role, principal.actor)

    return _change(request, principal, "people", "role", action)


@router.post("/lead/people/{name}/active")
def set_person_active(
    name: str, request: Request, form: Fields = FORM, principal: Principal = MANAGE
) -> Response:
    """Disable (active=off) or enable (active=on) a user."""
    active = form.get("active") == "on"

    def action(session: Session) -> object:
        _check_target(session, principal, name, None)
        return set_active(session, name, active, principal.actor)

    return _change(request, principal, "people", "enabled" if active else "disabled", action)


# --- deliveries and export ---------------------------------------------------------------------


def _deliveries_context(session: Session, _principal: Principal) -> dict[str, Any]:
    failed = outbox.list_deliveries(session, state=outbox.FAILED, limit=200)
    return {"failed": failed, "counts": outbox.counts(session)}


@router.get("/lead/deliveries", response_class=HTMLResponse)
def lead_deliveries(request: Request, notice: str = "", principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "deliveries", notice)


@router.post("/lead/deliveries/{delivery_id}/retry")
def retry_delivery(delivery_id: RowId, request: Request, principal: Principal = MANAGE) -> Response:
    return _change(
        request,
        principal,
        "deliveries",
        "retried",
        lambda s: outbox.retry(s, delivery_id, principal.actor),
    )


def _export_context(session: Session, _principal: Principal) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(Decision)) or 0
    return {"decisions": int(total)}


@router.get("/lead/export", response_class=HTMLResponse)
def lead_export(request: Request, principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "export")


# --- quality -----------------------------------------------------------------------------------


def _quality_context(session: Session, _principal: Principal) -> dict[str, Any]:
    return {
        "report": quality.agreement_rates(session),
        "recent": quality.agreement_rates(session, since=utcnow() - timedelta(days=30)),
        "share_percent": round(quality.second_review_share(session) * 100, 2),
        "golden": quality.list_golden(session, limit=100),
        "candidates": quality.golden_candidates(session, limit=20),
        "disagreements": quality.disagreements(session, limit=50),
        "outcomes": OUTCOMES,
    }


@router.get("/lead/quality", response_class=HTMLResponse)
def lead_quality(request: Request, notice: str = "", principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "quality", notice)


@router.post("/lead/quality/share")
def save_share(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    """The share of primary decisions that get a second review, in percent."""

    def action(session: Session) -> object:
        try:
            percent = float(form.get("share_percent"))
        except ValueError as exc:
            raise InputError("give the share as a percentage from 0 to 100") from exc
        if not 0 <= percent <= 100:
            raise InputError("give the share as a percentage from 0 to 100")
        return quality.set_second_review_share(session, percent / 100, principal.actor)

    return _change(request, principal, "quality", "share", action)


@router.post("/lead/quality/golden")
def make_golden(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    """Copy a decided case into the golden set with its known outcome."""

    def action(session: Session) -> object:
        case_id = form.get("case_id")
        if not case_id.isdigit():
            raise InputError(f"give a case number, not {case_id!r}")
        return quality.make_golden(session, int(case_id), form.get("outcome"), principal.actor)

    return _change(request, principal, "quality", "golden", action)


# --- removal orders ----------------------------------------------------------------------------


def _orders_context(session: Session, _principal: Principal) -> dict[str, Any]:
    now = utcnow()
    listed = orders.list_orders(session, limit=200)
    open_cases = session.scalar(
        select(func.count()).where(Case.removal_order_id.is_not(None), Case.state == "open")
    )
    return {
        "orders": listed,
        "now": now,
        "default_received": now.strftime("%Y-%m-%dT%H:%M"),
        "open_cases": int(open_cases or 0),
    }


@router.get("/lead/orders", response_class=HTMLResponse)
def lead_orders(request: Request, notice: str = "", principal: Principal = MANAGE) -> Response:
    return _page(request, principal, "orders", notice)


@router.post("/lead/orders")
def enter_order(request: Request, form: Fields = FORM, principal: Principal = MANAGE) -> Response:
    """An order from the form: authority, reference, items one a line, received (UTC)."""
    settings = service_state(request).settings

    def action(session: Session) -> object:
        return orders.enter_order(
            session,
            form.get("authority"),
            form.get("reference"),
            form.get("items").splitlines(),
            received_from(form.get("received_at")),
            principal.actor,
            settings,
        )

    return _change(request, principal, "orders", "order", action)


def received_from(value: str) -> datetime:
    """The receipt time from the form (a datetime-local value, in UTC; blank: now)."""
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"give the receipt time as YYYY-MM-DDTHH:MM (UTC), not {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_CONTEXTS: dict[str, Callable[[Session, Principal], dict[str, Any]]] = {
    "queues": _queues_context,
    "people": _people_context,
    "deliveries": _deliveries_context,
    "export": _export_context,
    "quality": _quality_context,
    "orders": _orders_context,
}
