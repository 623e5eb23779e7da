"""POST /hash (a text or an uploaded file -> its signals) and POST /match (signal strings ->
the bank entries they match)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from raqib.api.errors import ApiError
from raqib.api.security import require
from raqib.api.state import service_state
from raqib.api.uploads import CONTENT_BODY, content_body
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import InputError
from raqib.pipeline import Hashed, hash_file, hash_text, signal_record

router = APIRouter(tags=["signals"])
MAX_SIGNALS = 10_000


class MatchRequest(BaseModel):
    signals: list[str] = Field(
        ..., max_length=MAX_SIGNALS, description='signal strings, e.g. "pdq <64 hex>"'
    )


@router.post("/hash", openapi_extra=CONTENT_BODY)
async def hash_content(
    request: Request, _caller: Principal = Depends(require(Permission.SUBMIT))
) -> dict[str, Any]:
    """The signals of a text (JSON `{"text": ...}`) or of an uploaded file (multipart `file`)."""
    state = service_state(request)
    async with content_body(request, state.settings.max_upload_bytes) as content:
        if content.path is not None:
            hashed = await run_in_threadpool(hash_file, content.path, state.settings)
            hashed.path = content.filename or ""
        else:
            text = content.text if content.text is not None else content.fields.get("text")
            if not isinstance(text, str):
                raise ApiError(422, "send `text` (a string) or a `file`")
            hashed = await run_in_threadpool(hash_text, text, state.settings)
    return _hashed(hashed)


@router.post("/match")
async def match(
    body: MatchRequest,
    request: Request,
    _caller: Principal = Depends(require(Permission.SUBMIT)),
) -> dict[str, Any]:
    """For each signal string, the bank entries it matches (allow-lists applied)."""
    state = service_state(request)
    signals = []
    for number, line in enumerate(body.signals):
        try:
            signals.append(state.registry.parse(line))
        except (InputError, ValueError) as exc:
            raise ApiError(400, f"signals[{number}]: {exc}") from exc
    found = state.matcher.match_many([[signal] for signal in signals])
    state.metrics.lookups.inc(len(signals))
    results = [
        {"signal": line, "matches": [m.as_dict() for m in matches]}
        for line, matches in zip(body.signals, found, strict=True)
    ]
    return {"results": results}


def _hashed(hashed: Hashed) -> dict[str, Any]:
    return {
        "kind": hashed.kind,
        "signals": [signal_record(s) for s in hashed.signals],
        "notes": hashed.notes,
        "errors": hashed.errors,
    }
