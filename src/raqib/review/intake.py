"""Items submitted by a platform (POST /items, /reports, batches): assess, match, judge, and
open a case when the verdict asks for review (a report always opens one)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError
from raqib.pipeline import Hashed, build_finding, hash_file, hash_text
from raqib.review import quarantine
from raqib.review.cases import open_case
from raqib.review.media import StoredFile, record_media, store_file
from raqib.signals import Signal
from raqib.store.db import Database

if TYPE_CHECKING:
    from raqib.matching import Match
    from raqib.text.assess import TextAnalyzer

META_FIELDS = ("platform", "external_id", "author_id", "url", "created_at")
_MAX_FIELD = 2000


class SignalMatcher(Protocol):
    def match(self, signals: list[Signal]) -> list[Match]: ...


@dataclass(frozen=True)
class Outcome:
    finding: dict[str, Any]
    case_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"finding": self.finding, "case_id": self.case_id}


def item_meta(fields: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields of a submitted item, as short strings (reach as a number)."""
    meta: dict[str, Any] = {}
    for name in META_FIELDS:
        value = fields.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InputError(f"{name} must be a string")
        text = str(value)
        if len(text) > _MAX_FIELD:
            raise InputError(f"{name} is longer than {_MAX_FIELD} characters")
        meta[name] = text
    reach = fields.get("reach")
    if reach is not None:
        if not isinstance(reach, int | float | str) or isinstance(reach, bool):
            raise InputError("reach must be a number")
        try:
            meta["reach"] = max(0.0, float(reach))
        except ValueError as exc:
            raise InputError("reach must be a number") from exc
    return meta


CASE_TEXT_CHARS = 200_000  # a case keeps this much of an item's text for its reviewer


def case_text(text: str) -> str:
    """The part of an item's text a case keeps for the reviewer (the whole of any post)."""
    return text[:CASE_TEXT_CHARS]


def assess_text(
    text: str,
    meta: dict[str, Any],
    settings: Settings,
    analyzer: TextAnalyzer,
    matcher: SignalMatcher,
) -> dict[str, Any]:
    """The finding for a text item."""
    hashed = hash_text(text, settings, analyzer, _item_fields(meta))
    return _finding(hashed, meta, matcher)


def assess_file(
    path: Path,
    filename: str | None,
    meta: dict[str, Any],
    settings: Settings,
    analyzer: TextAnalyzer,
    matcher: SignalMatcher,
) -> dict[str, Any]:
    """The finding for an uploaded file (saved by the caller at `path`)."""
    hashed = hash_file(path, settings, analyzer)
    hashed.path = filename or path.name
    hashed.source = "api"
    hashed.platform = meta.get("platform")
    hashed.external_id = meta.get("external_id")
    hashed.author = meta.get("author_id")
    hashed.url = meta.get("url")
    hashed.modified = meta.get("created_at")  # the upload's own file time means nothing
    return _finding(hashed, meta, matcher)


def submit(
    database: Database,
    finding: dict[str, Any],
    meta: dict[str, Any],
    actor: str,
    report_reason: str | None = None,
    media: tuple[Path, str | None] | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Open a case when the verdict asks for review, or always for a report. `media` (the
    uploaded file's path and the client's name for it) is kept as the case's media, in the
    media store of `settings` (required with `media`).

    In the same transaction the item's matches are counted against the flood limits of
    `settings` (raqib.review.quarantine; the defaults without settings): an item that only
    quarantined entries matched is held (no case; its finding says so), and an entry over the
    limit is quarantined with one case of its own."""
    report = report_reason is not None
    if not report and finding["verdict"]["recommended"] == "none":
        return Outcome(finding, None)  # nothing counted matched (a counted match asks review)
    stored = None
    if media is not None:
        if settings is None:
            raise ValueError("submit() needs settings to keep media")
        if report or not _held_now(database, finding):
            stored = store_file(settings, *media)  # copied before the write lock is taken
    limits = quarantine.FloodLimits.from_settings(settings)
    origin = "report" if report else "detection"
    with database.session(write=True) as session:
        intake = quarantine.take_in(session, finding, meta, actor, limits, report=report)
        if intake.held:
            _keep_example(session, intake, stored)
            return Outcome(intake.finding, None)
        case = open_case(session, intake.finding, meta, actor, origin=origin, reason=report_reason)
        if stored is not None:
            record_media(session, case.id, stored)
    return Outcome(intake.finding, case.id)


def _held_now(database: Database, finding: dict[str, Any]) -> bool:
    """Whether only quarantined entries matched the item (its media is then not kept)."""
    if not quarantine.counted_entry_ids(finding):
        return False
    with database.session() as session:
        return quarantine.may_be_held(session, finding)


def _keep_example(session: Session, intake: quarantine.Intake, stored: StoredFile | None) -> None:
    """A held item's media, stored only when it tipped its entry over (or raced a quarantine
    opened meanwhile), goes to the quarantine's case as an example of what the signal hit."""
    if stored is None:
        return
    case_id = quarantine.case_id_of(session, intake.quarantine_ids[0])
    if case_id is not None:
        record_media(session, case_id, stored)


def _finding(hashed: Hashed, meta: dict[str, Any], matcher: SignalMatcher) -> dict[str, Any]:
    matches = matcher.match(hashed.signals)
    return build_finding(_item_id(meta), hashed, matches)


def _item_fields(meta: dict[str, Any]) -> dict[str, str | None]:
    return {
        "platform": meta.get("platform"),
        "external_id": meta.get("external_id"),
        "author": meta.get("author_id"),
        "url": meta.get("url"),
        "time": meta.get("created_at"),
    }


def _item_id(meta: dict[str, Any]) -> str:
    platform, external = meta.get("platform"), meta.get("external_id")
    if platform and external:
        return f"{platform}:{external}"
    return f"item:{uuid.uuid4().hex}"
