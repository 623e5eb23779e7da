"""Evidence: GET /evidence (list), GET /evidence/{id} (record and chain of custody),
GET /evidence/{id}/content (the original bytes, audited) and POST /evidence/{id}/hold.

Evidence is sensitive (original removed content, and who handled it), so every route needs the
one permission only the admin role holds (see EVIDENCE below)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from raqib.api.errors import ApiError
from raqib.api.params import AfterId, RowId
from raqib.api.security import require
from raqib.api.state import ServiceState, service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import ConflictError
from raqib.evidence.records import (
    EvidenceFilters,
    EvidenceView,
    get_evidence,
    list_evidence,
    open_content,
    set_hold,
)

router = APIRouter(tags=["evidence"])
# evidence is the most sensitive thing Raqib keeps: a permission only the admin role holds
EVIDENCE = Depends(require(Permission.EVIDENCE))
_CHUNK = 1 << 20
_Kind = Literal["finding", "media", "file", "item", "page"]
_Sha256 = Query(None, pattern="^[0-9a-f]{64}$", description="only records of these bytes")


class HoldIn(BaseModel):
    release: bool = Field(False, description="true releases the hold")
    note: str = Field("", max_length=2000, description="why, e.g. a legal request's reference")


@router.get("/evidence")
def evidence_list(
    request: Request,
    case_id: int | None = Query(None, ge=1, le=2**63 - 1),
    kind: _Kind | None = None,
    platform: str | None = Query(None, max_length=100),
    external_id: str | None = Query(None, max_length=200),
    sha256: str | None = _Sha256,
    held: bool | None = None,
    purged: bool | None = None,
    since: datetime | None = Query(None, description="captured at or after"),
    until: datetime | None = Query(None, description="captured before"),
    after_id: AfterId = 0,
    limit: int = Query(100, ge=1, le=1000),
    _caller: Principal = EVIDENCE,
) -> dict[str, Any]:
    """Evidence records in id order, filtered."""
    filters = EvidenceFilters(
        case_id, kind, platform, external_id, sha256, held, purged, since, until
    )
    with service_state(request).database.session() as session:
        found = list_evidence(session, filters, limit, after_id)
    next_after = found[-1].id if len(found) == limit else None
    return {"evidence": [r.as_dict() for r in found], "next_after_id": next_after}


@router.get("/evidence/{evidence_id}")
def evidence_detail(
    evidence_id: RowId, request: Request, _caller: Principal = EVIDENCE
) -> dict[str, Any]:
    """The record, with its chain of custody: its audit events with their chain hashes."""
    with service_state(request).database.session() as session:
        return get_evidence(session, evidence_id).as_dict()


@router.get("/evidence/{evidence_id}/content", response_class=StreamingResponse)
async def evidence_content(
    evidence_id: RowId, request: Request, caller: Principal = EVIDENCE
) -> StreamingResponse:
    """The original bytes, as an application/octet-stream attachment under a generated name
    (never rendered, never cached); the download is audited as evidence.access. 410 once the
    record was purged."""
    state = service_state(request)
    record, handle = await run_in_threadpool(_open, state, evidence_id, caller.actor)
    # X-Content-Type-Options: nosniff and a strict Content-Security-Policy come from the
    # middleware (raqib.api.metrics), on every response
    headers = {
        "Content-Disposition": f'attachment; filename="{_download_name(record)}"',
        "Content-Length": str(os.fstat(handle.fileno()).st_size),
        "Cache-Control": "private, no-store",
        "X-Evidence-Sha256": record.sha256,
    }
    return StreamingResponse(
        _chunks(handle), media_type="application/octet-stream", headers=headers
    )


def _open(state: ServiceState, evidence_id: int, actor: str) -> tuple[EvidenceView, IO[bytes]]:
    try:
        with state.database.session(write=True) as session:
            return open_content(session, state.settings, evidence_id, actor, "api download")
    except ConflictError as exc:  # purged: the record stays, its bytes are gone
        raise ApiError(410, str(exc), "gone") from exc


def _download_name(record: EvidenceView) -> str:
    """Generated from the id and digest only (never a client's or platform's name)."""
    return f"evidence-{record.id}-{record.sha256[:16]}.bin"


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


@router.post("/evidence/{evidence_id}/hold")
def evidence_hold(
    evidence_id: RowId, body: HoldIn, request: Request, caller: Principal = EVIDENCE
) -> dict[str, Any]:
    """Put the record on legal hold (never purged while held), or release it; audited."""
    with service_state(request).database.session(write=True) as session:
        record = set_hold(session, evidence_id, caller.actor, not body.release, body.note)
    return record.as_dict()
