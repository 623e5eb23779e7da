"""POST /hash (a text or an uploaded file -> its signals) and POST /match (signal strings ->
the bank entries they match)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from raqib.api.errors import ApiError
from raqib.api.security import require
from raqib.api.state import ServiceState, service_state
from raqib.api.uploads import CONTENT_BODY, content_body
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import InputError
from raqib.pipeline import Hashed, hash_file, hash_text, signal_record

router = APIRouter(tags=["signals"])
_SUBMIT = require(Permission.SUBMIT)
MAX_SIGNALS = 10_000


class MatchRequest(BaseModel):
    signals: list[str] = Field(
        ..., max_length=MAX_SIGNALS, description='signal strings, e.g. "pdq <64 hex>"'
    )


@router.post("/hash", openapi_extra=CONTENT_BODY)
async def hash_content(request: Request, _caller: Principal = Depends(_SUBMIT)) -> dict[str, Any]:
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
    _caller: Principal = Depends(_SUBMIT),
) -> dict[str, Any]:
    """For each signal string, the bank entries it matches (allow-lists applied).

    (Requests are answered by `fast_match`, registered ahead of this route with the same
    checks; this route gives the API its schema.)"""
    return await match_lines(service_state(request), body.signals)


async def fast_match(request: Request) -> Response:
    """POST /api/v1/match as a plain Starlette endpoint: the same caller checks, body rules and
    answer as `match`, without FastAPI's per-request dependency and model machinery (about
    0.15 ms of the 0.7 ms a single-hash request costs, measured with bench/serve.py)."""
    await _SUBMIT(request)  # the same caller checks as the route's dependency
    lines = _signal_lines(await request.body())
    answer = await match_lines(service_state(request), lines)
    return Response(json.dumps(answer, separators=(",", ":")), media_type="application/json")


async def match_lines(state: ServiceState, lines: list[str]) -> dict[str, Any]:
    signals = []
    for number, line in enumerate(lines):
        try:
            signals.append(state.registry.parse(line))
        except (InputError, ValueError) as exc:
            raise ApiError(400, f"signals[{number}]: {exc}") from exc
    queries = [[signal] for signal in signals]
    if len(queries) > _INLINE_SIGNALS:  # a big batch must not stall the event loop
        found = await run_in_threadpool(state.matcher.match_many, queries)
    else:
        found = state.matcher.match_many(queries)
    state.metrics.lookups.inc(len(signals))
    results = [
        {"signal": line, "matches": [m.as_dict() for m in matches]}
        for line, matches in zip(lines, found, strict=True)
    ]
    return {"results": results}


_INLINE_SIGNALS = 50  # batches up to this size are answered on the event loop


def _signal_lines(body: bytes) -> list[str]:
    """The `signals` list of a match request, held to MatchRequest's rules (422 otherwise)."""
    try:
        value = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(422, f"body: not valid JSON ({exc})") from exc
    lines = value.get("signals") if isinstance(value, dict) else None
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ApiError(422, "body.signals: a list of signal strings is required")
    if len(lines) > MAX_SIGNALS:
        raise ApiError(422, f"body.signals: at most {MAX_SIGNALS} signals per request")
    return lines


def _hashed(hashed: Hashed) -> dict[str, Any]:
    return {
        "kind": hashed.kind,
        "signals": [signal_record(s) for s in hashed.signals],
        "notes": hashed.notes,
        "errors": hashed.errors,
    }
