"""POST /items (assess an item; open a case when its verdict asks for review), POST /reports
(always open a case), POST /items/batch and GET /jobs/{id} (asynchronous batches)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from raqib.api.errors import ApiError
from raqib.api.security import require
from raqib.api.state import ServiceState, service_state
from raqib.api.uploads import CONTENT_BODY, ContentBody, content_body
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.review.batches import MAX_BATCH, create_job, job_status
from raqib.review.intake import Outcome, assess_file, assess_text, case_text, item_meta, submit

router = APIRouter(tags=["items"])
_MAX_REASON = 2000


class BatchRequest(BaseModel):
    items: list[dict[str, Any]] = Field(..., min_length=1, max_length=MAX_BATCH)


@router.post("/items", openapi_extra=CONTENT_BODY)
async def post_item(
    request: Request, caller: Principal = Depends(require(Permission.SUBMIT))
) -> dict[str, Any]:
    """JSON `{"text", "platform", "external_id", "author_id", "url", "created_at"}` or multipart
    `file` with the same fields -> `{"finding": {...}, "case_id": id | null}`."""
    return await _receive(request, caller, report=False)


@router.post("/reports", openapi_extra=CONTENT_BODY)
async def post_report(
    request: Request, caller: Principal = Depends(require(Permission.SUBMIT))
) -> dict[str, Any]:
    """As POST /items, plus `reason`; a report always opens a case (user reports, trusted
    flaggers' referrals)."""
    return await _receive(request, caller, report=True)


@router.post("/items/batch", status_code=202)
def post_batch(
    body: BatchRequest, request: Request, caller: Principal = Depends(require(Permission.SUBMIT))
) -> JSONResponse:
    """Many text items at once; answers at once with a job id to poll."""
    state = service_state(request)
    job_id = create_job(state.database, body.items, caller.actor)
    state.wake_jobs()
    answer = {"job_id": job_id, "state": "queued", "status_url": f"/api/v1/jobs/{job_id}"}
    return JSONResponse(answer, status_code=202)


@router.get("/jobs/{job_id}")
def get_job(
    job_id: str, request: Request, caller: Principal = Depends(require(Permission.SUBMIT))
) -> dict[str, Any]:
    state = service_state(request)
    owner = None if caller.role == "admin" else caller.actor
    return job_status(state.database, job_id, owner)


async def _receive(request: Request, caller: Principal, report: bool) -> dict[str, Any]:
    state = service_state(request)
    async with content_body(request, state.settings.max_upload_bytes) as content:
        reason = _report_reason(content) if report else None
        outcome = await run_in_threadpool(_assess, state, content, caller, reason)
    state.metrics.items.labels("case" if outcome.case_id is not None else "no_case").inc()
    return outcome.as_dict()


def _assess(
    state: ServiceState, content: ContentBody, caller: Principal, reason: str | None
) -> Outcome:
    meta = item_meta(content.fields)
    analyzer = state.analyzer
    if content.path is not None:
        finding = assess_file(
            content.path, content.filename, meta, state.settings, analyzer, state.matcher
        )
    else:
        text = content.text if content.text is not None else content.fields.get("text")
        if not isinstance(text, str):
            raise ApiError(422, "send `text` (a string) or a `file`")
        finding = assess_text(text, meta, state.settings, analyzer, state.matcher)
        meta["text"] = case_text(text)
    media = (content.path, content.filename) if content.path is not None else None
    return submit(
        state.database,
        finding,
        meta,
        caller.actor,
        report_reason=reason,
        media=media,
        settings=state.settings,
    )


def _report_reason(content: ContentBody) -> str:
    reason = content.fields.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "a report needs a `reason`")
    if len(reason) > _MAX_REASON:
        raise ApiError(422, f"reason is longer than {_MAX_REASON} characters")
    return reason.strip()
