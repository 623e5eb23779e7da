"""Talking to a partner's TAXII 2.1 server, shared by pulling (raqib.exchange.sync) and pushing
(raqib.exchange.push): who the partner is and the key we present there, HTTP Basic auth that
also notes X-TAXII-Date-Added-Last, checkpoints kept atomically on disk, the banks we share with
the partner, and the partner's HTTP and TAXII failures turned into one actionable error."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from requests import PreparedRequest, Response
from requests.exceptions import HTTPError, RequestException
from sqlalchemy import select
from sqlalchemy.orm import Session
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection, Server

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.exchange.partners import RED
from raqib.exchange.taxii import parse_timestamp, timestamp
from raqib.store.db import Database
from raqib.store.models import Bank
from raqib.store.models_service import BankShare, Partner


@dataclass(frozen=True)
class Remote:
    """A partner we sync with: its name, its TAXII discovery URL and the key it gave us."""

    name: str
    url: str
    key: str

    def server(self) -> tuple[Server, KeyAuth]:
        """A taxii2-client Server for the partner, and the auth object its requests go through."""
        auth = KeyAuth(self.key)
        return Server(self.url, auth=auth), auth


def remote(database: Database, partner_name: str, key_for_partner: str | None = None) -> Remote:
    """The partner named, with `key_for_partner` or the key stored with it; NotFoundError for an
    unknown partner, InputError for one without a TAXII URL or a key."""
    with database.session() as session:
        row = session.scalar(select(Partner).where(Partner.name == partner_name.strip()))
        if row is None:
            raise NotFoundError(f"no partner named {partner_name!r} (see `raqib partner list`)")
        name, url, stored_key = row.name, row.taxii_url, row.remote_key
    if not url:
        raise InputError(f"partner {name!r} has no TAXII URL to sync with")
    key = key_for_partner or stored_key
    if key is None:
        raise InputError(
            f"no key for partner {name!r}'s TAXII server: add it with `raqib partner add "
            f"{name} --taxii URL --remote-key-stdin`"
        )
    return Remote(name, url, key)


def partners_with_taxii(database: Database) -> list[str]:
    """The partners with a TAXII URL, oldest first."""
    with database.session() as session:
        query = select(Partner.name).where(Partner.taxii_url.is_not(None)).order_by(Partner.id)
        return [str(name) for name in session.scalars(query)]


def shared_banks(session: Session, partner: str) -> dict[str, bool]:
    """The local banks we share with a partner (bank name -> the partner may write), leaving out
    banks turned TLP red since they were shared: red never leaves its owner."""
    query = (
        select(Bank.name, BankShare.can_write)
        .join(BankShare, BankShare.bank_id == Bank.id)
        .join(Partner, Partner.id == BankShare.partner_id)
        .where(Partner.name == partner, Bank.tlp != RED)
    )
    return {str(name): bool(can_write) for name, can_write in session.execute(query).all()}


def remote_collections(server: Server) -> list[Collection]:
    """Every collection the partner's server lists for us, over all its API roots."""
    return [c for root in server.api_roots for c in root.collections]


class KeyAuth:
    """HTTP Basic with the partner's key as the password; notes each answer's
    X-TAXII-Date-Added-Last (taxii2-client returns only the body)."""

    def __init__(self, key: str) -> None:
        token = base64.b64encode(f"raqib:{key}".encode()).decode("ascii")
        self._header = f"Basic {token}"
        self.added_last: str | None = None

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = self._header
        request.register_hook("response", self._note)
        return request

    def _note(self, response: Response, *_args: Any, **_kwargs: Any) -> Response:
        self.added_last = response.headers.get("X-TAXII-Date-Added-Last")
        return response


@dataclass(frozen=True)
class Checkpoint:
    """Where paging through one collection stands: `added_after` of the run in progress (or of
    the next run), the `next` cursor where it stopped (None between runs), the newest date_added
    seen."""

    added_after: str | None = None
    next: str | None = None
    newest: str | None = None


class Checkpoints:
    """A set of checkpoints by key (a collection id, or a bank name) in one JSON file, rewritten
    atomically on every save."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"unreadable sync checkpoint {path} ({exc}); delete it") from None
            self._data = loaded if isinstance(loaded, dict) else {}

    @classmethod
    def of(cls, settings: Settings, partner: str, kind: str = "") -> Checkpoints:
        """<home>/sync/<partner>.json (pulls) or <partner>.<kind>.json (e.g. kind "push")."""
        suffix = f".{kind}.json" if kind else ".json"
        return cls(settings.home / "sync" / f"{partner}{suffix}")

    def get(self, key: str) -> Checkpoint:
        found = self._data.get(key)
        if not isinstance(found, dict):
            return Checkpoint()
        return Checkpoint(_text(found, "added_after"), _text(found, "next"), _text(found, "newest"))

    def save(self, key: str, label: str, checkpoint: Checkpoint) -> None:
        """Record a checkpoint with a label for people reading the file (the collection's title,
        or id): written to a temporary file, fsynced, then os.replace'd over the old one, so a
        crash leaves either the old file or the new one."""
        self._data[key] = {"title": label, **asdict(checkpoint)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(self._data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)


def _text(found: dict[str, Any], key: str) -> str | None:
    value = found.get(key)
    return value if isinstance(value, str) else None


def newer(current: str | None, candidate: str | None) -> str | None:
    """The later of two TAXII timestamps (written as this server writes them); None-safe, and an
    unreadable candidate is ignored."""
    if candidate is None:
        return current
    try:
        parsed = parse_timestamp(candidate, "X-TAXII-Date-Added-Last")
    except InputError:
        return current
    if current is None or parsed > parse_timestamp(current):
        return timestamp(parsed)
    return current


@contextmanager
def remote_errors(url: str) -> Iterator[None]:
    """Turn the partner's HTTP and TAXII failures into one actionable RaqibError line."""
    try:
        yield
    except HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        hint = " (check the key the partner gave you)" if status in (401, 403) else ""
        raise InputError(f"partner TAXII server {url} answered {status}{hint}") from exc
    except (RequestException, TAXIIServiceException) as exc:
        raise InputError(f"partner TAXII server {url} failed: {exc}") from exc


class PageBudget:
    """How many more pages one run may read or send: None = no limit (`--max-pages`); a run
    also stops between pages once `stop` is set (the service shutting down)."""

    def __init__(self, max_pages: int | None, stop: threading.Event | None = None) -> None:
        if max_pages is not None and max_pages < 1:
            raise InputError(f"max_pages must be at least 1, got {max_pages}")
        self._left = max_pages
        self._stop = stop

    def left(self) -> bool:
        if self._stop is not None and self._stop.is_set():
            return False
        return self._left is None or self._left > 0

    def spend(self) -> None:
        if self._left is not None:
            self._left -= 1
