"""/healthz (the process answers), /readyz (the database answers and every index is loaded and
fresh) and /metrics (Prometheus text format; needs the `metrics` permission)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from raqib.api.security import require
from raqib.api.state import ServiceState, service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.review.outbox import counts as delivery_counts
from raqib.store.models_service import Case, Queue

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    state = service_state(request)
    try:
        freshness = state.matcher.freshness()
    except Exception as exc:  # the database is down: not ready, and say why
        return JSONResponse({"status": "unavailable", "reason": str(exc)[:200]}, status_code=503)
    ready = all(entry.get("fresh", False) for entry in freshness.values())
    body = {"status": "ready" if ready else "stale", "indexes": freshness}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
def metrics(
    request: Request, _caller: Principal = Depends(require(Permission.METRICS))
) -> Response:
    state = service_state(request)
    body = state.metrics.render(lambda: _gauges(state))
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


def _gauges(state: ServiceState) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    with state.database.session() as session:
        query = (
            select(Queue.name, Case.state, func.count())
            .join(Case, Case.queue_id == Queue.id)
            .group_by(Queue.name, Case.state)
        )
        for queue, case_state, count in session.execute(query):
            values[("cases", f"{queue}:{case_state}")] = float(count)
        for delivery_state, count in delivery_counts(session).items():
            values[("deliveries", delivery_state)] = float(count)
    for signal_type, entry in state.matcher.freshness().items():
        values[("index_fresh", signal_type)] = 1.0 if entry.get("fresh") else 0.0
        values[("index_entries", signal_type)] = float(_number(entry.get("entries", 0)))
    return values


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
