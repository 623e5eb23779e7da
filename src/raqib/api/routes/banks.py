"""Banks and their entries: list, create, update, delete, add, remove, import, export."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from raqib import banking
from raqib.api.errors import ApiError
from raqib.api.params import AfterId
from raqib.api.security import require
from raqib.api.state import ServiceState, service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import InputError
from raqib.exchange import feedback
from raqib.exchange.formats import ListFormat, entries_to_text, read_entries, write_entries
from raqib.records import BankInfo, Labels, NewEntry
from raqib.signals import Signal
from raqib.store.banks import BankRepository

router = APIRouter(tags=["banks"])
READ = Depends(require(Permission.BANKS_READ))
WRITE = Depends(require(Permission.BANKS_WRITE))
MAX_ENTRIES_PER_CALL = 10_000
_EXPORT_CHUNK = 5_000
_MEDIA = {
    ListFormat.TE: "text/plain",
    ListFormat.CSV: "text/csv",
    ListFormat.JSONL: "application/x-ndjson",
    ListFormat.STIX: "application/stix+json;version=2.1",
    ListFormat.MISP: "application/json",
    ListFormat.TAT: "text/csv",
}
# formats that are one document (or carry the bank's TLP): written whole, then streamed
_DOCUMENTS = frozenset({ListFormat.STIX, ListFormat.MISP, ListFormat.TAT})
_SPOOL_BYTES = 8 << 20  # a document export stays in memory up to this size, then on disk


class NewBank(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    tlp: str = "amber"
    allow_list: bool = False


class BankChanges(BaseModel):
    description: str | None = Field(None, max_length=5000)
    tlp: str | None = None
    enabled: bool | None = None
    allow_list: bool | None = None
    match_rotations: bool | None = None
    thresholds: dict[str, float] | None = None


class EntryIn(BaseModel):
    signal: str = Field(..., description='"<signal_type> <value>", e.g. "pdq <64 hex>"')
    entity: str = ""
    behaviours: list[str] = []
    tier: int | None = Field(None, ge=1, le=4)
    source: str = ""
    note: str = ""


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(..., min_length=1, max_length=MAX_ENTRIES_PER_CALL)


class SignalsIn(BaseModel):
    signals: list[str] = Field(..., min_length=1, max_length=MAX_ENTRIES_PER_CALL)


@router.get("/banks")
def list_banks(request: Request, _caller: Principal = READ) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        return {"banks": [bank.as_dict() for bank in BankRepository(session).all()]}


@router.post("/banks", status_code=201)
def create_bank(body: NewBank, request: Request, caller: Principal = WRITE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        info = banking.create_bank(
            session, caller.actor, body.name, body.description, body.tlp, body.allow_list
        )
    return info.as_dict()


@router.get("/banks/{name}")
def get_bank(name: str, request: Request, _caller: Principal = READ) -> dict[str, Any]:
    with service_state(request).database.session() as session:
        return BankRepository(session).get(name).as_dict()


@router.patch("/banks/{name}")
def update_bank(
    name: str, body: BankChanges, request: Request, caller: Principal = WRITE
) -> dict[str, Any]:
    state = service_state(request)
    changes = body.model_dump(exclude_none=True)
    if "thresholds" in changes:
        changes["thresholds"] = _thresholds(state, changes["thresholds"])
    with state.database.session(write=True) as session:
        return banking.update_bank(session, caller.actor, name, changes).as_dict()


@router.delete("/banks/{name}")
def delete_bank(name: str, request: Request, caller: Principal = WRITE) -> dict[str, Any]:
    with service_state(request).database.session(write=True) as session:
        removed = banking.delete_bank(session, caller.actor, name)
    return {"bank": name, "entries_removed": removed}


@router.get("/banks/{name}/entries")
def list_entries(
    name: str,
    request: Request,
    after_id: AfterId = 0,
    limit: int = Query(100, ge=1, le=1000),
    _caller: Principal = READ,
) -> dict[str, Any]:
    """A page of the bank's entries; each carries the feedback on its indicator: how many
    partners confirmed and disputed it and how many sightings were counted."""
    with service_state(request).database.session() as session:
        page = BankRepository(session).entries_page(name, after_id, limit)
        found = feedback.counts(session, (e.stix_id for e in page))
    next_after = page[-1].id if len(page) == limit else None
    entries = [e.as_dict() | {"feedback": found[e.stix_id].as_dict()} for e in page]
    return {"entries": entries, "next_after_id": next_after}


@router.post("/banks/{name}/entries", status_code=201)
def add_entries(
    name: str, body: EntriesIn, request: Request, caller: Principal = WRITE
) -> dict[str, Any]:
    state = service_state(request)
    entries = [_new_entry(state, number, entry) for number, entry in enumerate(body.entries)]
    with state.database.session(write=True) as session:
        result = banking.add_to_bank(session, caller.actor, name, entries)
    state.matcher.note_changed()
    return {
        "bank": name,
        "added": result.added,
        "already_present": result.already_present,
        "entry_ids": list(result.added_ids),
    }


@router.post("/banks/{name}/remove")
def remove_entries(
    name: str, body: SignalsIn, request: Request, caller: Principal = WRITE
) -> dict[str, Any]:
    state = service_state(request)
    signals = [_parse(state, number, line) for number, line in enumerate(body.signals)]
    with state.database.session(write=True) as session:
        removed = sum(banking.remove_from_bank(session, caller.actor, name, s) for s in signals)
    state.matcher.note_changed()
    return {"bank": name, "removed": removed}


@router.post(
    "/banks/{name}/import",
    status_code=201,
    openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def import_entries(
    name: str,
    request: Request,
    format: ListFormat = Query(ListFormat.TE),
    caller: Principal = WRITE,
) -> dict[str, Any]:
    """A hash-list file as the body (python-threatexchange lines, CSV or JSONL): all or nothing;
    importing the same list twice adds nothing."""
    state = service_state(request)
    body = await request.body()
    if len(body) > state.settings.max_upload_bytes:
        raise ApiError(413, "the list is larger than the upload limit")
    with tempfile.TemporaryDirectory(prefix="raqib-import-") as folder:
        path = Path(folder) / "list"
        path.write_bytes(body)
        entries = read_entries(path, format, state.registry)
    with state.database.session(write=True) as session:
        result = banking.add_to_bank(session, caller.actor, name, entries, how="import")
    state.matcher.note_changed()
    return {"bank": name, "added": result.added, "already_present": result.already_present}


@router.get("/banks/{name}/export", response_class=StreamingResponse)
def export_entries(
    name: str,
    request: Request,
    format: ListFormat = Query(ListFormat.TE),
    _caller: Principal = READ,
) -> StreamingResponse:
    """The bank's entries in a list format, streamed (no cap)."""
    state = service_state(request)
    with state.database.session() as session:
        bank = BankRepository(session).get(name)  # 404 before the stream starts
    if format in _DOCUMENTS:
        return StreamingResponse(_document(state, bank, format), media_type=_MEDIA[format])

    def chunks() -> Any:
        after = 0
        first = True
        while True:
            with state.database.session() as session:
                page = BankRepository(session).entries_page(name, after, _EXPORT_CHUNK)
            if not page:
                return
            text = entries_to_text(page, format)
            if not first and format is ListFormat.CSV:
                text = text.split("\n", 1)[1] if "\n" in text else ""
            yield text
            first = False
            after = page[-1].id

    return StreamingResponse(chunks(), media_type=_MEDIA[format])


def _document(state: ServiceState, bank: BankInfo, format: ListFormat) -> Iterator[bytes]:
    """A document export (STIX bundle, MISP event, TAT list) with the bank's TLP, written to a
    spooled temporary file (memory-bounded) and read back in chunks. A red bank is refused by
    the writer (MISP, TAT) before anything is sent."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, mode="w+b")  # noqa: SIM115
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    try:
        with (
            state.database.session() as session,
            closing(BankRepository(session).entries(bank.name)) as entries,
        ):
            write_entries(entries, format, text, bank)
    except (InputError, ValueError) as exc:
        spool.close()
        raise ApiError(400, str(exc)) from None
    text.flush()
    text.detach()  # the wrapper must not close the spool when it is collected
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(1 << 16):
                yield block

    return chunks()


def _new_entry(state: ServiceState, number: int, entry: EntryIn) -> NewEntry:
    signal = _parse(state, number, entry.signal)
    labels = Labels.from_mapping(
        {
            "entity": entry.entity,
            "behaviours": entry.behaviours,
            "tier": entry.tier,
            "source": entry.source,
            "note": entry.note,
        }
    )
    return NewEntry(signal.signal_type, signal.value, labels)


def _parse(state: ServiceState, number: int, line: str) -> Signal:
    try:
        return state.registry.parse(line)
    except (ValueError, KeyError) as exc:
        raise ApiError(400, f"entries[{number}]: {exc}") from exc


def _thresholds(state: ServiceState, values: dict[str, float]) -> dict[str, float]:
    for signal_type in values:
        state.registry.get(signal_type)  # unknown types are an error
    return values
