"""Request bodies that carry content: JSON with `text`, or multipart with a `file` (plus form
fields). An uploaded file is copied to a private temporary file, bounded in size, and removed
when the request is done; it is only ever hashed, never executed or served back."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from raqib.api.errors import ApiError

_COPY_CHUNK = 1 << 20
# Shown in the OpenAPI schema for routes that take either form.
CONTENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "additionalProperties": True,
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@dataclass
class ContentBody:
    """What the request carries: fields (metadata) and either a text or a saved file."""

    fields: dict[str, Any] = field(default_factory=dict)
    text: str | None = None
    path: Path | None = None
    filename: str | None = None


@contextmanager
def read_content_body(body: bytes, form: Any, limit: int) -> Iterator[ContentBody]:
    """Parse the body already read by the caller (`body` for JSON, `form` for multipart)."""
    if form is None:
        yield ContentBody(fields=_json_object(body))
        return
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
    if not isinstance(upload, UploadFile):
        text = fields.pop("text", None)
        yield ContentBody(fields=fields, text=text)
        return
    with tempfile.TemporaryDirectory(prefix="raqib-upload-") as folder:
        name = _safe_name(upload.filename)
        target = Path(folder) / name
        _copy_bounded(upload, target, limit)
        yield ContentBody(fields=fields, path=target, filename=upload.filename)


@asynccontextmanager
async def content_body(request: Request, limit: int) -> AsyncIterator[ContentBody]:
    """The request's content for the duration of the block; uploads are removed after it."""
    body, form = await read_request(request, limit)
    try:
        with read_content_body(body, form, limit) as content:
            yield content
    finally:
        if form is not None:
            await form.close()


async def read_request(request: Request, limit: int) -> tuple[bytes, Any]:
    """The JSON body, or the multipart form; refuses bodies over `limit` bytes when declared."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is larger than the limit of {limit} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return b"", await request.form(max_files=1, max_fields=50)
    if kind not in ("application/json", ""):
        raise ApiError(415, "send application/json (with `text`) or multipart/form-data (`file`)")
    body = await request.body()
    if len(body) > limit:
        raise ApiError(413, f"the body is larger than the limit of {limit} bytes")
    return body, None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ApiError(422, "the body must be a JSON object")
    return value


def _safe_name(filename: str | None) -> str:
    """Only the last part of the client's file name, and only its suffix matters (the kind of
    content is detected from it); never a path."""
    suffix = PurePath(filename or "").suffix.lower()
    clean = "".join(c for c in suffix if c.isalnum() or c == ".")[:16]
    return f"upload{clean}"


def _copy_bounded(upload: UploadFile, target: Path, limit: int) -> None:
    copied = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(_COPY_CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise ApiError(413, f"the file is larger than the limit of {limit} bytes")
            out.write(chunk)
