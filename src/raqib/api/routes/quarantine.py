"""Flood quarantine (raqib.review.quarantine): list the signals held for review, and release
one (acting resumes) or revoke its entry (removed from its bank)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from raqib.api.params import RowId
from raqib.api.security import require
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.review import quarantine

router = APIRouter(tags=["quarantine"])
READ = Depends(require(Permission.CASES_READ))
MANAGE = Depends(require(Permission.CASES_MANAGE))


class ReleaseIn(BaseModel):
    action: str = Field(
        "release",
        description='"release": act on the entry\'s matches again; "revoke": remove the entry '
        "from its bank (partners see the revocation)",
    )
    note: str = Field("", max_length=quarantine.NOTE_MAX)


@router.get("/quarantine")
def list_quarantine(
    request: Request,
    state: str | None = Query(None, description="open | released | revoked"),
    limit: int = Query(100, ge=1, le=quarantine.LIST_MAX),
    _caller: Principal = READ,
) -> dict[str, Any]:
    """Quarantined signals, open ones first, then the newest."""
    with service_state(request).database.session() as session:
        found = quarantine.list_quarantines(session, state, limit)
    return {"quarantines": [q.as_dict() for q in found]}


@router.post("/quarantine/{quarantine_id}/release")
def release_quarantine(
    quarantine_id: RowId, body: ReleaseIn, request: Request, caller: Principal = MANAGE
) -> dict[str, Any]:
    """End a quarantine: `{"action": "release" | "revoke", "note"}` -> `{"quarantine",
    "removed"}`; 409 when it was already released."""
    state = service_state(request)
    with state.database.session(write=True) as session:
        released = quarantine.release(session, quarantine_id, body.action, body.note, caller.actor)
    if released.removed:
        state.matcher.note_changed()
    return released.as_dict()
