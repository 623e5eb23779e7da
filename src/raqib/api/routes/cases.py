"""Cases and queues: list and read cases, claim, release, decide, appeal, reassign, escalate;
queues with their next case; routing rules (first match wins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from raqib.api.params import AfterId, RowId
from raqib.api.security import require
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.review import claims, decisions, queues
from raqib.review.cases import CaseFilters, get_case, list_cases
from raqib.review.reasons import OUTCOMES, REASON_CODES

router = APIRouter(tags=["cases"])
READ = Depends(require(Permission.CASES_READ))
DECIDE = Depends(require(Permission.CASES_DECIDE))
MANAGE = Depends(require(Permission.CASES_MANAGE))
APPEAL = Depends(require(Permission.APPEALS))


class DecisionIn(BaseModel):
    outcome: str = Field(..., description=f"one of: {', '.join(OUTCOMES)}")
    reason_code: str = Field(..., description="see GET /api/v1/reasons")
    note: str = Field("", max_length=5000)
    preserve: bool = Field(
        False, description="keep the case as evidence whatever the outcome (see /evidence)"
    )


class AppealIn(BaseModel):
    reason: str = Field(..., min_length=1, max_length=5000)


class AssignIn(BaseModel):
    to: str | None = Field(None, max_length=120, description='an actor, e.g. "user:alice"')
    note: str = Field("", max_length=5000)


class QueueIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=2000)


class RuleIn(BaseModel):
    queue: str
    conditions: dict[str, Any] = {}
    position: int | None = Field(None, ge=1)
    enabled: bool = True


class RuleChanges(BaseModel):
    queue: str | None = None
    conditions: dict[str, Any] | None = None
    position: int | None = Field(None, ge=1)
    enabled: bool | None = None


class RuleOrder(BaseModel):
    rule_ids: list[int]


@router.get("/reasons")
def reasons(_caller: Principal = READ) -> dict[str, Any]:
    """Outcomes and reason codes (with their TCO categories)."""
    return {"outcomes": list(OUTCOMES), "reasons": [r.as_dict() for r in REASON_CODES.values()]}


@router.get("/cases")
def cases(
    request: Request,
    queue: str | None = None,
    state: str | None = None,
    tier: int | None = Query(None, ge=1, le=4),
    bank: str | None = None,
    entity: str | None = None,
    language: str | None = None,
    author: str | None = None,
    platform: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: AfterId = 0,
    limit: int = Query(50, ge=1, le=500),
    _caller: Principal = READ,
) -> dict[str, Any]:
    filters = CaseFilters(
        queue, state, tier, bank, entity, language, author, platform, since, until
    )
    with service_state(request).database.session() as session:
        found = list_cases(session, filters, limit, after_id)
    next_after = found[-1].id if len(found) == limit else None
    return {"cases": [c.as_dict() for c in found], "next_after_id": next_after}


@router.get("/cases/{case_id}")
def case(case_id: RowId, request: Request, _caller: Principal = READ) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        return get_case(session, case_id).as_dict()


@router.post("/cases/{case_id}/claim")
def claim(case_id: RowId, request: Request, caller: Principal = DECIDE) -> dict[str, Any]:
    state = service_state(request)
    with state.database.session(write=True) as session:
        view = claims.claim(session, case_id, caller.actor, state.settings.claim_seconds)
    return view.as_dict()


@router.post("/cases/{case_id}/release")
def release(case_id: RowId, request: Request, caller: Principal = DECIDE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        return claims.release(session, case_id, caller.actor).as_dict()


@router.post("/cases/{case_id}/decision", status_code=201)
def decide(
    case_id: RowId, body: DecisionIn, request: Request, caller: Principal = DECIDE
) -> dict[str, Any]:
    state = service_state(request)
    with state.database.session(write=True) as session:
        view = decisions.decide(
            session,
            case_id,
            caller.actor,
            body.outcome,
            body.reason_code,
            body.note,
            state.settings,
            preserve=body.preserve,
        )
    state.metrics.decisions.labels(body.outcome).inc()
    return view.as_dict()


@router.post("/cases/{case_id}/appeal")
def appeal(
    case_id: RowId, body: AppealIn, request: Request, caller: Principal = APPEAL
) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        return decisions.appeal(session, case_id, caller.actor, body.reason).as_dict()


@router.post("/cases/{case_id}/reassign")
def reassign(
    case_id: RowId, body: AssignIn, request: Request, caller: Principal = MANAGE
) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        return claims.reassign(session, case_id, body.to, caller.actor).as_dict()


@router.post("/cases/{case_id}/escalate")
def escalate(
    case_id: RowId, body: AssignIn, request: Request, caller: Principal = MANAGE
) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        return claims.escalate(session, case_id, body.to, caller.actor, body.note).as_dict()


@router.get("/queues")
def list_queues(request: Request, _caller: Principal = READ) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        return {"queues": [q.as_dict() for q in queues.list_queues(session)]}


@router.post("/queues", status_code=201)
def create_queue(body: QueueIn, request: Request, caller: Principal = MANAGE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        return queues.create_queue(session, body.name, caller.actor, body.description).as_dict()


@router.delete("/queues/{name}")
def delete_queue(name: str, request: Request, caller: Principal = MANAGE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        queues.delete_queue(session, name, caller.actor)
    return {"deleted": name}


@router.get("/queues/{name}/next", response_model=None)
def next_case(name: str, request: Request, caller: Principal = DECIDE) -> Any:
    """Claim the top case of the queue for the caller (or give back their live claim there);
    204 when the queue has nothing the caller may take."""
    state = service_state(request)
    with state.database.session(write=True) as session:
        view = claims.next_case(session, name, caller.actor, state.settings.claim_seconds)
    if view is None:
        return Response(status_code=204)
    return view.as_dict()


@router.get("/routing-rules")
def list_rules(request: Request, _caller: Principal = READ) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        return {"rules": [r.as_dict() for r in queues.list_rules(session)]}


@router.post("/routing-rules", status_code=201)
def create_rule(body: RuleIn, request: Request, caller: Principal = MANAGE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        rule = queues.create_rule(
            session, body.queue, body.conditions, caller.actor, body.position, body.enabled
        )
    return rule.as_dict()


@router.patch("/routing-rules/{rule_id}")
def update_rule(
    rule_id: RowId, body: RuleChanges, request: Request, caller: Principal = MANAGE
) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        rule = queues.update_rule(
            session,
            rule_id,
            caller.actor,
            body.queue,
            body.conditions,
            body.enabled,
            body.position,
        )
    return rule.as_dict()


@router.delete("/routing-rules/{rule_id}")
def delete_rule(rule_id: RowId, request: Request, caller: Principal = MANAGE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        queues.delete_rule(session, rule_id, caller.actor)
    return {"deleted": rule_id}


@router.put("/routing-rules/order")
def reorder_rules(body: RuleOrder, request: Request, caller: Principal = MANAGE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        rules = queues.reorder_rules(session, body.rule_ids, caller.actor)
    return {"rules": [r.as_dict() for r in rules]}
