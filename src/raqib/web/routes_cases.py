"""The console's core pages: the queues (home), working a queue (next, decide, skip), the case
page, comments, a lead's reassign and escalate, and one decision over a cluster of similar
cases. Every action is a plain form POST answered with a redirect (303); console.js adds keyboard
shortcuts and the claim's countdown. The pages call raqib.review directly."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from raqib.api.params import RowId
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import ConflictError, InputError, NotFoundError, RaqibError
from raqib.review import claims, decisions
from raqib.review.cases import (
    CaseFilters,
    case_row,
    case_view,
    get_case,
    list_cases,
    oldest_open,
)
from raqib.review.clusters import (
    GOLDEN_ORIGIN,
    decide_cluster,
    open_in_cluster,
    similar_cases,
)
from raqib.review.comments import add_comment, list_comments
from raqib.review.media import media_for_case
from raqib.review.queues import list_queues
from raqib.review.reasons import OUTCOMES, REASON_CODES
from raqib.review.wellbeing import display_for, exposure_today, record_exposure
from raqib.store.models import as_utc_or_none, utcnow
from raqib.web import case_page
from raqib.web.auth import ui_require
from raqib.web.render import render

router = APIRouter(include_in_schema=False)
READ = Depends(ui_require(Permission.CASES_READ))
DECIDE = Depends(ui_require(Permission.CASES_DECIDE))
MANAGE = Depends(ui_require(Permission.CASES_MANAGE))

# Notices a redirect may ask a page to show (by code: no text is taken from the address).
NOTICES = {
    "empty": "Queue empty: nothing left for you in this queue.",
    "claimed": "You hold this case now.",
    "commented": "Comment added.",
    "reassigned": "Case reassigned.",
    "escalated": "Case escalated.",
    "bulk": "Bulk decision: {decided} decided, {skipped} skipped.",
}
_LANG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz-")


@dataclass(frozen=True)
class Fields:
    """A posted form's text fields (files are ignored)."""

    values: dict[str, list[str]]

    def get(self, name: str) -> str:
        found = self.values.get(name)
        return found[0] if found else ""

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))


async def form_fields(request: Request) -> Fields:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return Fields(values)


FORM = Depends(form_fields)


@dataclass(frozen=True)
class QueueRow:
    name: str
    description: str
    open_cases: int
    oldest: datetime | None


# --- home and queues ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, notice: str = "", queue: str = "", principal: Principal = READ
) -> Response:
    """The queues with their open cases and oldest open case; the reviewer's exposure today."""
    state = service_state(request)
    with state.database.session() as session:
        oldest = oldest_open(session)
        rows = [
            QueueRow(q.name, q.description, q.open_cases, oldest.get(q.name))
            for q in list_queues(session)
        ]
        exposure = exposure_today(session, principal.actor)
    shown_queue = queue if queue in {row.name for row in rows} else ""
    context = {
        "queues": rows,
        "exposure": exposure,
        "notice": NOTICES.get(notice, "") if notice != "bulk" else "",
        "notice_queue": shown_queue,
    }
    return render(request, "home.html", context)


@router.get("/queues/{name:path}", response_class=HTMLResponse)
def queue_page(name: str, request: Request, principal: Principal = READ) -> Response:
    """The open cases of one queue, in the order `next` takes them."""
    state = service_state(request)
    try:
        with state.database.session() as session:
            found = [q for q in list_queues(session) if q.name == name]
            if not found:
                raise NotFoundError(f"no queue named {name!r}")
            cases = list_cases(session, CaseFilters(queue=name, state="open"), limit=200)
    except RaqibError as exc:
        return _error(request, exc)
    cases.sort(key=lambda c: (-c.priority, c.created_at, c.id))
    return render(request, "queue.html", {"queue": found[0], "cases": cases})


@router.post("/queues/{name:path}/next")
def next_in_queue(name: str, request: Request, principal: Principal = DECIDE) -> Response:
    """Claim the top case of the queue (or the reviewer's live claim there) and open it."""
    return _next(request, name, principal)


def _next(
    request: Request, queue: str, principal: Principal, exclude: Collection[int] = ()
) -> Response:
    state = service_state(request)
    seconds = state.settings.claim_seconds
    try:
        with state.database.session(write=True) as session:
            view = claims.next_case(session, queue, principal.actor, seconds, exclude)
    except RaqibError as exc:
        return _error(request, exc)
    if view is None:
        return _redirect("/ui/", notice="empty", queue=queue)
    return _redirect(f"/ui/cases/{view.id}", queue=queue)


# --- the case page -----------------------------------------------------------------------------


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(
    case_id: RowId,
    request: Request,
    queue: str = "",
    notice: str = "",
    decided: int = 0,
    skipped: int = 0,
    principal: Principal = READ,
) -> Response:
    """The case in full. Each view counts towards the reviewer's exposure today."""
    state = service_state(request)
    try:
        with state.database.session() as session:
            context = _case_context(session, case_id, principal)
    except RaqibError as exc:
        return _error(request, exc)
    with state.database.session(write=True) as session:
        record_exposure(session, principal.actor, case_id)
        context["exposure"] = exposure_today(session, principal.actor)
    message = NOTICES.get(notice, "")
    context["notice"] = message.format(decided=max(0, decided), skipped=max(0, skipped))
    known = {q.name for q in context.pop("queues")}
    context["queue"] = queue if queue in known else context["case"].queue
    return render(request, "case.html", context)


def _case_context(session: Session, case_id: int, principal: Principal) -> dict[str, Any]:
    detail = get_case(session, case_id)
    row = case_row(session, case_id)
    finding = detail.finding
    similar = similar_cases(session, case_id)
    now = utcnow()
    expires = detail.case.claim_expires_at
    deadline = as_utc_or_none(row.deadline_at)
    analysis = case_page.assessment(finding)
    return {
        "case": detail.case,
        "detail": detail,
        "item": finding.get("item") if isinstance(finding.get("item"), dict) else {},
        "text": case_page.item_text(finding),
        "text_lang": _lang(finding, analysis.language),
        "signals": case_page.signal_rows(session, finding),
        "assessment": analysis,
        "scripts": case_page.page_scripts(finding),
        "author": detail.author,
        "similar": similar,
        "bulk_open": [c for c in similar if c.state == "open"],
        "comments": list_comments(session, case_id),
        "choices": case_page.outcome_choices(),
        "all_reasons": list(REASON_CODES.values()),
        "outcomes": OUTCOMES,
        "skip_key": case_page.SKIP_KEY,
        "held": detail.case.claimed_by == principal.actor,
        "claim_seconds": max(0, int((expires - now).total_seconds())) if expires else None,
        "deadline_seconds": int((deadline - now).total_seconds()) if deadline else None,
        "manage": principal.can(Permission.CASES_MANAGE),
        "second_review": row.second_review,
        "golden": row.golden_outcome is not None,
        "origin": _origin(detail.case.origin, detail.case.reason, principal),
        "media": media_for_case(session, case_id),
        "display": display_for(session, principal.actor),
        "queues": list_queues(session),  # the queue to go on with must be one of these
    }


def _origin(origin: str, reason: str | None, principal: Principal) -> str:
    """The origin a person sees: a golden-set case passes for an ordinary one, except to leads
    (a reviewer must not know which of their answers are being checked)."""
    if origin != GOLDEN_ORIGIN or principal.can(Permission.CASES_MANAGE):
        return origin
    return "report" if reason else "detection"


def _lang(finding: dict[str, Any], code: str) -> str:
    """The text's language as an HTML lang value when the text is in that one language only
    (mixed text gets none), or "" when it does not look like one."""
    text = finding.get("text")
    languages = text.get("languages") if isinstance(text, dict) else None
    if not isinstance(languages, list) or len(languages) != 1:
        return ""
    clean = code.strip().lower()
    return clean if 2 <= len(clean) <= 12 and set(clean) <= _LANG_CHARS else ""


# --- working a case ----------------------------------------------------------------------------


@router.post("/cases/{case_id}/claim")
def claim(
    case_id: RowId, request: Request, principal: Principal = DECIDE, fields: Fields = FORM
) -> Response:
    seconds = service_state(request).settings.claim_seconds
    if failed := _act(request, lambda s: claims.claim(s, case_id, principal.actor, seconds)):
        return failed
    return _redirect(f"/ui/cases/{case_id}", queue=fields.get("queue"), notice="claimed")


@router.post("/cases/{case_id}/decide")
def decide(
    case_id: RowId, request: Request, principal: Principal = DECIDE, fields: Fields = FORM
) -> Response:
    """Decide the case (outcome, reason_code or reason_<outcome>, note), then open the next
    case of the same queue (home when it is empty)."""
    state = service_state(request)
    outcome = fields.get("outcome")
    reason = fields.get("reason_code") or fields.get(f"reason_{outcome}")
    try:
        with state.database.session(write=True) as session:
            queue = fields.get("queue") or case_view(session, case_id).queue
            decisions.decide(
                session, case_id, principal.actor, outcome, reason, fields.get("note"),
                state.settings,
            )  # fmt: skip
    except RaqibError as exc:
        return _error(request, exc)
    state.metrics.decisions.labels(outcome).inc()
    return _next(request, queue, principal)


@router.post("/cases/{case_id}/skip")
def skip(
    case_id: RowId, request: Request, principal: Principal = DECIDE, fields: Fields = FORM
) -> Response:
    """Give the case back and open the next one of the queue (not this one)."""
    state = service_state(request)
    try:
        with state.database.session(write=True) as session:
            queue = fields.get("queue") or case_view(session, case_id).queue
            claims.release(session, case_id, principal.actor)
    except ConflictError:
        pass  # the claim had already ended: skipping it is done
    except RaqibError as exc:
        return _error(request, exc)
    return _next(request, queue, principal, exclude=(case_id,))


@router.post("/cases/{case_id}/comment")
def comment(
    case_id: RowId, request: Request, principal: Principal = DECIDE, fields: Fields = FORM
) -> Response:
    text = fields.get("text")
    if failed := _act(request, lambda s: add_comment(s, case_id, principal.actor, text)):
        return failed
    target = f"/ui/cases/{case_id}"
    return _redirect(target, fragment="comments", queue=fields.get("queue"), notice="commented")


@router.post("/cases/{case_id}/reassign")
def reassign(
    case_id: RowId, request: Request, principal: Principal = MANAGE, fields: Fields = FORM
) -> Response:
    """A lead assigns the case to one person ("user:NAME"; empty: anyone)."""
    target = fields.get("target").strip() or None
    if failed := _act(request, lambda s: claims.reassign(s, case_id, target, principal.actor)):
        return failed
    return _redirect(f"/ui/cases/{case_id}", queue=fields.get("queue"), notice="reassigned")


@router.post("/cases/{case_id}/escalate")
def escalate(
    case_id: RowId, request: Request, principal: Principal = MANAGE, fields: Fields = FORM
) -> Response:
    """A lead flags the case as escalated to one person ("user:NAME"; empty: anyone)."""
    target = fields.get("target").strip() or None
    note = fields.get("note")
    if failed := _act(
        request, lambda s: claims.escalate(s, case_id, target, principal.actor, note)
    ):
        return failed
    return _redirect(f"/ui/cases/{case_id}", queue=fields.get("queue"), notice="escalated")


@router.post("/cases/{case_id}/cluster")
def decide_similar(
    case_id: RowId, request: Request, principal: Principal = DECIDE, fields: Fields = FORM
) -> Response:
    """One decision (outcome, reason_code, note) over the chosen open cases of this case's
    cluster (`case_id` fields); the cases someone else holds are skipped."""
    state = service_state(request)
    outcome = fields.get("outcome")
    try:
        with state.database.session(write=True) as session:
            chosen = _cluster_choice(session, case_id, fields.all("case_id"))
            result = decide_cluster(
                session, chosen, principal.actor, outcome, fields.get("reason_code"),
                fields.get("note"), state.settings,
            )  # fmt: skip
    except RaqibError as exc:
        return _error(request, exc)
    if result.decided:
        state.metrics.decisions.labels(outcome).inc(len(result.decided))
    return _redirect(
        f"/ui/cases/{case_id}",
        queue=fields.get("queue"),
        notice="bulk",
        decided=len(result.decided),
        skipped=len(result.skipped),
    )


def _cluster_choice(session: Session, case_id: int, raw_ids: list[str]) -> list[int]:
    """The chosen ids that are open cases of this case's cluster."""
    cluster = case_row(session, case_id).cluster
    if cluster is None:
        raise InputError(f"case {case_id} has no similar cases")
    allowed = set(open_in_cluster(session, cluster))
    chosen = [int(i) for i in raw_ids if i.isdigit() and int(i) in allowed]
    if not chosen:
        raise InputError("choose at least one open case of the cluster")
    return chosen


# --- answers -----------------------------------------------------------------------------------


def _act(request: Request, change: Callable[[Session], object]) -> Response | None:
    """Make a change in one write transaction; the error page when the library refuses it."""
    try:
        with service_state(request).database.session(write=True) as session:
            change(session)
    except RaqibError as exc:
        return _error(request, exc)
    return None


def _redirect(path: str, *, fragment: str = "", **params: Any) -> RedirectResponse:
    """A 303 to a page of the console, with the non-empty query parameters."""
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    target = quote(path) + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    return RedirectResponse(target, status_code=303)


_ERRORS: dict[type[RaqibError], tuple[int, str]] = {
    NotFoundError: (404, "Not found"),
    ConflictError: (409, "Cannot do that now"),
    InputError: (400, "Check the form"),
}


def _error(request: Request, exc: RaqibError) -> HTMLResponse:
    status, title = next(
        (found for kind, found in _ERRORS.items() if isinstance(exc, kind)),
        (503, "Unavailable"),
    )
    return render(request, "error.html", {"title": title, "message": str(exc)}, status)
