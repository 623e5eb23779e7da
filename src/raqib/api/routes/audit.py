"""GET /audit (the chain of changes), GET /decisions/export (every decision, streamed),
GET /deliveries and POST /deliveries/{id}/retry (webhook actions owed to the platform)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from raqib.api.params import AfterId, RowId
from raqib.api.security import require
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.review import audit, outbox
from raqib.review.decisions import stream_decisions

router = APIRouter(tags=["audit"])


@router.get("/audit")
def list_audit(
    request: Request,
    after_id: AfterId = 0,
    limit: int = Query(100, ge=1, le=1000),
    actor: str | None = None,
    verb: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    _caller: Principal = Depends(require(Permission.AUDIT_READ)),
) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        found = audit.events(session, after_id, limit, actor, verb, object_type, object_id)
    next_after = found[-1].id if len(found) == limit else None
    return {"events": [event.as_dict() for event in found], "next_after_id": next_after}


@router.get("/audit/verify")
def verify_audit(
    request: Request, _caller: Principal = Depends(require(Permission.AUDIT_READ))
) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        result = audit.verify(session)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head": result.head,
        "first_bad_id": result.first_bad_id,
        "problem": result.problem,
    }


@router.get("/decisions/export", response_class=StreamingResponse)
def decisions_export(
    request: Request,
    format: Literal["csv", "jsonl"] = "jsonl",
    _caller: Principal = Depends(require(Permission.DECISIONS_EXPORT)),
) -> StreamingResponse:
    """Every decision ever made, oldest first, streamed: no cap (for DSA and TCO reports)."""
    database = service_state(request).database
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    headers = {"Content-Disposition": f'attachment; filename="decisions.{format}"'}
    lines = stream_decisions(database, format)
    return StreamingResponse(lines, media_type=media, headers=headers)


@router.get("/deliveries")
def list_deliveries(
    request: Request,
    state: Literal["pending", "delivered", "failed"] | None = None,
    after_id: AfterId = 0,
    limit: int = Query(100, ge=1, le=1000),
    _caller: Principal = Depends(require(Permission.DELIVERIES)),
) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        found = outbox.list_deliveries(session, state, limit, after_id)
    return {"deliveries": [d.as_dict() for d in found]}


@router.post("/deliveries/{delivery_id}/retry")
def retry_delivery(
    delivery_id: RowId,
    request: Request,
    caller: Principal = Depends(require(Permission.DELIVERIES)),
) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        outbox.retry(session, delivery_id, caller.actor)
    return {"id": delivery_id, "state": "pending"}
