"""Errors as JSON with a stable code: {"error": {"code": "...", "message": "..."}}.

Codes: unauthenticated (401), forbidden (403), not_found (404), conflict (409),
invalid_input (400), invalid_request (422), payload_too_large (413), rate_limited (429),
internal (500)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from raqib.errors import ConflictError, InputError, NotFoundError, RaqibError

log = logging.getLogger("raqib.api")

_STATUS_CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error the API answers with its status, code and message (and optional headers)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _STATUS_CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RaqibError, _raqib_error)  # type: ignore[arg-type]
    app.add_exception_handler(ValueError, _value_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal_error)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _raqib_error(_request: Request, exc: RaqibError) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, ConflictError):
        return error_response(409, "conflict", str(exc))
    if isinstance(exc, InputError):
        return error_response(400, "invalid_input", str(exc))
    log.error("request failed: %s", exc)
    return error_response(503, "unavailable", str(exc))


async def _value_error(_request: Request, exc: ValueError) -> JSONResponse:
    return error_response(400, "invalid_input", str(exc))


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', '')}"
        for error in exc.errors()[:5]
    )
    return error_response(422, "invalid_request", problems or "invalid request")


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _STATUS_CODES.get(exc.status_code, "error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, str(exc.detail), headers)


async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return error_response(500, "internal", "internal error; the server log has the details")
