"""The TAXII 2.1 server under /taxii2: discovery, one API root, collections (the banks shared with
the caller), objects with filters and paging, manifest, one object, its versions and its deletion.

Partners authenticate with HTTP Basic (the password is an API key; the user name is ignored) or
`Authorization: Bearer <key>`. A collection not shared with the caller answers 404 exactly as one
that does not exist. Errors are TAXII error messages in the TAXII media type."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from raqib.api.errors import ApiError
from raqib.api.security import Require, check_rate
from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import InputError, NotFoundError, RaqibError
from raqib.exchange import taxii, taxii_writes
from raqib.exchange.partners import collection_for, collections_for

PREFIX = "/taxii2"
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="raqib-taxii", Bearer realm="raqib-taxii"'}


class TaxiiError(ApiError):
    """An error answered as a TAXII 2.1 error message."""


class TaxiiRequire(Require):
    """Require for TAXII: HTTP Basic (password = API key) or Bearer; errors in TAXII form."""

    async def __call__(self, request: Request) -> Principal:
        state = service_state(request)
        key = _key_from(request.headers.get("authorization"))
        principal = state.keys.authenticate(key) if key else None
        if principal is None:
            message = "send an API key as the HTTP Basic password or as a Bearer token"
            raise TaxiiError(
                401, message if key is None else "unknown, revoked or expired key", None, _CHALLENGE
            )
        if not principal.can(self.permission):
            raise TaxiiError(403, f"the {principal.role} role may not use TAXII")
        try:
            check_rate(state, principal)
        except ApiError as exc:
            raise TaxiiError(exc.status, exc.message, exc.code, exc.headers) from None
        request.state.principal = principal
        return principal


router = APIRouter(tags=["taxii"])
SHARING = Depends(TaxiiRequire(Permission.SHARING))
COLLECTION = "/api/collections/{collection_id}"


def install_taxii_errors(app: FastAPI) -> None:
    """Answer TaxiiError as a TAXII error message (register after the general handlers)."""
    app.add_exception_handler(TaxiiError, _taxii_error)  # type: ignore[arg-type]


@router.get("/")
def get_discovery(request: Request, _caller: Principal = SHARING) -> JSONResponse:
    root = f"{str(request.base_url).rstrip('/')}{PREFIX}/{taxii.API_ROOT_PATH}"
    return _answer(taxii.discovery(root))


@router.get("/api/")
def get_api_root(_caller: Principal = SHARING) -> JSONResponse:
    return _answer(taxii.api_root(MAX_CONTENT_LENGTH))


@router.get("/api/collections/")
def get_collections(request: Request, caller: Principal = SHARING) -> JSONResponse:
    with service_state(request).database.session() as session:
        found = collections_for(session, caller)
    body = {"collections": [taxii.collection_resource(c) for c in found]} if found else {}
    return _answer(body)


@router.get(COLLECTION + "/")
def get_collection(
    collection_id: str, request: Request, caller: Principal = SHARING
) -> JSONResponse:
    with _errors(), service_state(request).database.session() as session:
        return _answer(taxii.collection_resource(collection_for(session, caller, collection_id)))


def object_filter(
    added_after: str | None = None,
    limit: int | None = None,
    next_cursor: str | None = Query(None, alias="next"),
    match_id: list[str] | None = Query(None, alias="match[id]"),
    match_type: list[str] | None = Query(None, alias="match[type]"),
    match_version: list[str] | None = Query(None, alias="match[version]"),
    match_spec_version: list[str] | None = Query(None, alias="match[spec_version]"),
) -> taxii.ObjectFilter:
    """The filters and paging of an objects or manifest request."""
    with _errors():
        return taxii.object_filter(
            added_after,
            limit,
            next_cursor,
            match_id or (),
            match_type or (),
            match_version or (),
            match_spec_version or (),
        )


FILTER = Depends(object_filter)


@router.get(COLLECTION + "/objects/")
def get_objects(
    collection_id: str,
    request: Request,
    caller: Principal = SHARING,
    wanted: taxii.ObjectFilter = FILTER,
) -> JSONResponse:
    page = _page(request, caller, collection_id, wanted)
    return _answer(page.envelope(), page.headers())


@router.get(COLLECTION + "/manifest/")
def get_manifest(
    collection_id: str,
    request: Request,
    caller: Principal = SHARING,
    wanted: taxii.ObjectFilter = FILTER,
) -> JSONResponse:
    page = _page(request, caller, collection_id, wanted)
    return _answer(page.manifest(), page.headers())


@router.post(COLLECTION + "/objects/", status_code=202)
async def add_objects(
    collection_id: str, request: Request, caller: Principal = SHARING
) -> JSONResponse:
    """Apply an envelope to a collection: indicators (and revocations) with write rights,
    opinions and sightings (feedback) with read rights; answers a status resource."""
    objects = _envelope_objects(await request.body())
    state = service_state(request)

    def work() -> dict[str, Any]:
        with _errors(), state.database.session(write=True) as session:
            collection = collection_for(session, caller, collection_id)
            return taxii_writes.add_objects(
                session, collection, objects, state.registry, caller.actor, caller.partner
            )

    status = await run_in_threadpool(work)
    return _answer(status, status_code=202)


@router.get("/api/status/{status_id}/")
def get_status(status_id: str, request: Request, caller: Principal = SHARING) -> JSONResponse:
    with _errors(), service_state(request).database.session() as session:
        return _answer(taxii_writes.status_resource(session, status_id, caller.partner))


@router.get(COLLECTION + "/objects/{object_id}/")
def get_object(
    collection_id: str,
    object_id: str,
    request: Request,
    caller: Principal = SHARING,
    wanted: taxii.ObjectFilter = FILTER,
) -> JSONResponse:
    """One object's versions (match[version], default last; added_after, limit, next)."""
    page = _one_object(request, caller, collection_id, object_id, wanted)
    return _answer(page.envelope(), page.headers())


@router.get(COLLECTION + "/objects/{object_id}/versions/")
def get_object_versions(
    collection_id: str,
    object_id: str,
    request: Request,
    caller: Principal = SHARING,
    wanted: taxii.ObjectFilter = FILTER,
) -> JSONResponse:
    """Every version of one object (added_after, limit, next, match[spec_version])."""
    every = replace(wanted, versions=frozenset({"all"}), version_times=frozenset())
    page = _one_object(request, caller, collection_id, object_id, every)
    return _answer(page.versions(), page.headers())


@router.delete(COLLECTION + "/objects/{object_id}/")
def delete_object(
    collection_id: str,
    object_id: str,
    request: Request,
    caller: Principal = SHARING,
    wanted: taxii.ObjectFilter = FILTER,
) -> Response:
    """Remove an indicator (TAXII 2.1 section 5.7): needs write rights on the collection; its
    signal leaves the bank and partners read the indicator's revoked version."""
    with _errors(), service_state(request).database.session(write=True) as session:
        collection = collection_for(session, caller, collection_id)
        taxii_writes.delete_object(session, collection, object_id, wanted, caller.actor)
    return Response(status_code=200, media_type=taxii.MEDIA_TAXII)


def _page(
    request: Request, caller: Principal, collection_id: str, wanted: taxii.ObjectFilter
) -> taxii.Page:
    with _errors(), service_state(request).database.session() as session:
        return taxii.objects_page(session, collection_for(session, caller, collection_id), wanted)


def _one_object(
    request: Request,
    caller: Principal,
    collection_id: str,
    object_id: str,
    wanted: taxii.ObjectFilter,
) -> taxii.Page:
    """A page of one object; 404 when the collection holds no version of it at all."""
    with _errors(), service_state(request).database.session() as session:
        collection = collection_for(session, caller, collection_id)
        page = taxii.find_object(session, collection, object_id, wanted)
        if not page.items and not taxii.object_exists(session, collection, object_id):
            raise NotFoundError(f"no object {object_id!r} in this collection")
    return page


def _answer(
    body: dict[str, Any], headers: dict[str, str] | None = None, status_code: int = 200
) -> JSONResponse:
    return JSONResponse(body, status_code, headers=headers, media_type=taxii.MEDIA_TAXII)


def _envelope_objects(raw: bytes) -> list[object]:
    """The objects of a posted TAXII envelope; TaxiiError for a body that is not one."""
    if len(raw) > MAX_CONTENT_LENGTH:
        raise TaxiiError(413, f"an envelope may have at most {MAX_CONTENT_LENGTH} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise TaxiiError(400, "the body must be a TAXII envelope (JSON)") from None
    objects = body.get("objects") if isinstance(body, dict) else None
    if not isinstance(objects, list) or not objects:
        raise TaxiiError(400, 'the envelope must have a non-empty "objects" list')
    return list(objects)


@contextmanager
def _errors() -> Iterator[None]:
    """Raqib's errors as TAXII errors."""
    try:
        yield
    except NotFoundError as exc:
        raise TaxiiError(404, str(exc)) from None
    except PermissionError as exc:
        raise TaxiiError(403, str(exc)) from None
    except (InputError, ValueError) as exc:
        raise TaxiiError(400, str(exc)) from None
    except RaqibError as exc:
        raise TaxiiError(503, str(exc)) from None


def _key_from(header: str | None) -> str | None:
    """The API key in a Basic (as the password) or Bearer Authorization header."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


async def _taxii_error(_request: Request, exc: TaxiiError) -> JSONResponse:
    body = {"title": exc.message, "http_status": str(exc.status), "error_code": exc.code}
    return JSONResponse(
        body, status_code=exc.status, headers=exc.headers, media_type=taxii.MEDIA_TAXII
    )
