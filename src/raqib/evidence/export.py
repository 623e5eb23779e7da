"""Export for a legal request: a zip bundle of original files and a verifiable manifest.

A bundle holds, and only holds:
  manifest.json    - each record's metadata, sha256, size and chain of custody (its audit events
                     with their hashes), what was selected, who exported it and when, and the
                     head of the audit chain at that moment;
  manifest.sha256  - the sha256 of manifest.json, in `sha256sum` format;
  files/<sha256>   - each record's original bytes, once per content (none for a purged record).
Member names are built from validated hex digests only: nothing from a record's metadata ever
becomes part of a path. `verify_bundle` re-hashes everything against the manifest and names the
first mismatch; it reads members with bounds, so a hostile zip cannot exhaust memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.evidence.records import OBJECT_TYPE, custody, view
from raqib.evidence.store import evidence_path
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import AuditEvent, EvidenceRecord

BUNDLE_FORMAT = "raqib-evidence-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
FILES = "files/"
MAX_IDS = 10_000
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Selection:
    """Which records to export: exactly one of a case, a list of ids, or captured since."""

    case_id: int | None = None
    ids: tuple[int, ...] = ()
    since: datetime | None = None

    def __post_init__(self) -> None:
        chosen = [self.case_id is not None, bool(self.ids), self.since is not None]
        if sum(chosen) != 1:
            raise InputError("choose exactly one of --case ID, --ids 1,2,3 or --all-since DATE")
        if len(self.ids) > MAX_IDS:
            raise InputError(f"export at most {MAX_IDS} ids at once; use --all-since or --case")

    def as_dict(self) -> dict[str, Any]:
        if self.case_id is not None:
            return {"case_id": self.case_id}
        if self.ids:
            return {"ids": list(self.ids)}
        return {"captured_since": iso(self.since)}


@dataclass(frozen=True)
class ExportReport:
    path: Path
    records: int
    files: int
    manifest_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "records": self.records,
            "files": self.files,
            "manifest_sha256": self.manifest_sha256,
        }


def parse_ids(text: str) -> tuple[int, ...]:
    """Parse "1,2,3" into (1, 2, 3), or raise an InputError naming the bad part."""
    ids = []
    for part in text.split(","):
        clean = part.strip()
        if not clean.isdigit() or int(clean) < 1:
            raise InputError(
                f"--ids takes positive whole numbers separated by commas, not {clean!r}"
            )
        ids.append(int(clean))
    return tuple(dict.fromkeys(ids))


def selected(session: Session, selection: Selection) -> list[EvidenceRecord]:
    """The selected records in id order; NotFoundError when there are none (or an id is
    unknown: a legal request must get every record it names, or a clear no)."""
    query = select(EvidenceRecord).order_by(EvidenceRecord.id)
    if selection.case_id is not None:
        query = query.where(EvidenceRecord.case_id == selection.case_id)
    elif selection.ids:
        query = query.where(EvidenceRecord.id.in_(selection.ids))
    else:
        query = query.where(EvidenceRecord.captured_at >= selection.since)
    rows = list(session.scalars(query))
    missing = sorted(set(selection.ids) - {int(row.id) for row in rows})
    if missing:
        raise NotFoundError(f"no evidence {', '.join(map(str, missing))}; check the ids")
    if not rows:
        raise NotFoundError(f"no evidence matches {selection.as_dict()}; nothing to export")
    return rows


def export_bundle(
    database: Database, settings: Settings, selection: Selection, out: Path, actor: str
) -> ExportReport:
    """Write the bundle to `out` (which must not exist yet) and audit the export of each record
    as evidence.export; the file appears under its name only once that is committed."""
    if out.exists():
        raise InputError(f"{out} already exists; choose another name (bundles are not replaced)")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent} is not a folder; create it first")
    with database.session() as session:
        manifest = _manifest(session, selection, actor)
    encoded = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    digest = hashlib.sha256(encoded).hexdigest()
    temporary = out.parent / f".{out.name}.partial-{secrets.token_hex(6)}"
    try:
        files = _write_zip(temporary, settings, manifest["records"], encoded, digest)
        _audit_export(database, manifest["records"], actor, digest, out.name)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return ExportReport(out, len(manifest["records"]), files, digest)


def _manifest(session: Session, selection: Selection, actor: str) -> dict[str, Any]:
    records = []
    for row in selected(session, selection):
        entry = view(row).as_dict()
        entry["file"] = None if row.purged_at is not None else f"{FILES}{row.sha256}"
        entry["custody"] = [event.as_dict() for event in custody(session, int(row.id))]
        records.append(entry)
    head = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return {
        "format": BUNDLE_FORMAT,
        "hash_algorithm": "sha256",
        "exported_at": iso(utcnow()),
        "exported_by": actor,
        "selection": selection.as_dict(),
        "audit_head": {"id": int(head.id), "hash": head.hash} if head else None,
        "records": records,
    }


def _write_zip(
    path: Path,
    settings: Settings,
    records: list[dict[str, Any]],
    manifest: bytes,
    digest: str,
) -> int:
    """The zip at `path`; each file's bytes are hashed as they are written and must match."""
    written: set[str] = set()
    with zipfile.ZipFile(path, "x", allowZip64=True) as bundle:
        bundle.writestr(_member(MANIFEST), manifest, zipfile.ZIP_DEFLATED)
        bundle.writestr(_member(MANIFEST_SUM), f"{digest}  {MANIFEST}\n", zipfile.ZIP_DEFLATED)
        for record in records:
            sha = record["sha256"]
            if record["file"] is None or sha in written:
                continue
            _add_file(bundle, evidence_path(settings, sha), record)
            written.add(sha)
    return len(written)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=utcnow().timetuple()[:6])
    info.external_attr = 0o600 << 16  # a plain file, readable by its owner
    return info


def _add_file(bundle: zipfile.ZipFile, source: Path, record: dict[str, Any]) -> None:
    sha = record["sha256"]
    digest = hashlib.sha256()
    try:
        handle = source.open("rb")
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"the bytes of evidence {record['id']} are missing from the evidence store; "
            "restore it from backup, or export without this record"
        ) from exc
    with handle, bundle.open(_member(f"{FILES}{sha}"), "w", force_zip64=True) as out:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha:
        raise InputError(
            f"the bytes of evidence {record['id']} no longer hash to its sha256 {sha}: the "
            "evidence store is damaged; restore it from backup before exporting"
        )


def _audit_export(
    database: Database, records: list[dict[str, Any]], actor: str, digest: str, name: str
) -> None:
    details = {"manifest_sha256": digest, "bundle": name, "records": len(records)}
    with database.session(write=True) as session:
        for record in records:
            audit.append(session, actor, "evidence.export", OBJECT_TYPE, record["id"], details)


# --- verifying a bundle ------------------------------------------------------------------------

MAX_MANIFEST_BYTES = 256 << 20


@dataclass(frozen=True)
class BundleCheck:
    """The result of `verify_bundle`: ok, or the first problem found."""

    ok: bool
    records: int = 0
    files: int = 0
    manifest_sha256: str = ""
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "files": self.files,
            "manifest_sha256": self.manifest_sha256,
            "problem": self.problem,
        }


# what reading a hostile or damaged zip may raise: bad headers or CRCs, truncation, an
# encrypted member (RuntimeError), an unknown compression method (NotImplementedError)
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
)


class _Mismatch(Exception):
    """The first thing in a bundle that does not match its manifest."""


def verify_bundle(path: Path) -> BundleCheck:
    """Re-hash the manifest and every file against it; check each custody event's own hash.
    An unreadable file is an InputError; a mismatch is a BundleCheck with ok=False."""
    try:
        bundle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path} is not a readable zip bundle: {exc}") from exc
    with bundle:
        try:
            return _check(bundle)
        except _Mismatch as exc:
            return BundleCheck(False, problem=str(exc))
        except _UNREADABLE as exc:
            return BundleCheck(False, problem=f"the zip is damaged or not one Raqib writes: {exc}")


def _check(bundle: zipfile.ZipFile) -> BundleCheck:
    members = _members(bundle)
    manifest_bytes = _read(bundle, members, MANIFEST, MAX_MANIFEST_BYTES)
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    listed = _read(bundle, members, MANIFEST_SUM, 4096).decode("utf-8", "replace").split()
    if not listed or listed[0].lower() != digest:
        raise _Mismatch(f"{MANIFEST} does not hash to the value in {MANIFEST_SUM}: it was changed")
    records = _records(manifest_bytes)
    referenced = set()
    for record in records:
        referenced |= _check_record(bundle, members, record)
    extra = sorted(set(members) - referenced - {MANIFEST, MANIFEST_SUM})
    if extra:
        raise _Mismatch(f"member {extra[0]!r} is not in the manifest: it was added")
    return BundleCheck(True, len(records), len(referenced), digest)


def _members(bundle: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    found: dict[str, zipfile.ZipInfo] = {}
    for info in bundle.infolist():
        if info.filename in found:
            raise _Mismatch(f"member {info.filename!r} appears twice: the bundle was changed")
        found[info.filename] = info
    return found


def _read(
    bundle: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str, limit: int
) -> bytes:
    info = members.get(name)
    if info is None:
        raise _Mismatch(f"{name} is missing: this is not a complete evidence bundle")
    with bundle.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise _Mismatch(f"{name} is larger than {limit} bytes: this is not an evidence bundle")
    return data


def _records(manifest: bytes) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(manifest)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _Mismatch(f"{MANIFEST} is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict) or parsed.get("format") != BUNDLE_FORMAT:
        raise _Mismatch(f"{MANIFEST} is not a {BUNDLE_FORMAT} manifest")
    records = parsed.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _Mismatch(f"{MANIFEST} has no list of records")
    return records


def _check_record(
    bundle: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], record: dict[str, Any]
) -> set[str]:
    """Check one record's file and custody; the member names it accounts for."""
    label = f"evidence {record.get('id')!r}"
    _check_custody(record, label)
    if record.get("file") is None:
        return set()
    sha, size = record.get("sha256"), record.get("size")
    name = f"{FILES}{sha}"
    if record["file"] != name or not isinstance(size, int) or size < 0:
        raise _Mismatch(f"{label}: its file entry does not name its sha256 and size")
    info = members.get(name)
    if info is None:
        raise _Mismatch(f"{name} ({label}) is missing from the bundle")
    if info.file_size != size:  # before reading: a hostile member may expand far beyond
        raise _Mismatch(f"{name} ({label}) does not match its sha256 or size in the manifest")
    found, count = _hash_member(bundle, info, size)
    if count != size or found != sha:
        raise _Mismatch(f"{name} ({label}) does not match its sha256 or size in the manifest")
    return {name}


def _hash_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> tuple[str, int]:
    """sha256 and length of a member, reading at most one byte more than `size`."""
    digest, count = hashlib.sha256(), 0
    with bundle.open(info) as handle:
        while count <= size and (chunk := handle.read(min(_CHUNK, size + 1 - count))):
            digest.update(chunk)
            count += len(chunk)
    return digest.hexdigest(), count


def _check_custody(record: dict[str, Any], label: str) -> None:
    """Each custody event must be about this record and hash to its own recorded hash."""
    events = record.get("custody")
    if not isinstance(events, list):
        raise _Mismatch(f"{label} has no chain of custody")
    for event in events:
        if not isinstance(event, dict) or not _event_intact(event, record.get("id")):
            number = event.get("id") if isinstance(event, dict) else None
            raise _Mismatch(f"custody event {number!r} of {label} was changed")


def _event_intact(event: dict[str, Any], record_id: Any) -> bool:
    try:
        at = as_utc(datetime.fromisoformat(str(event["at"])))
        recomputed = audit.event_hash(
            int(event["id"]),
            at,
            str(event["actor"]),
            str(event["verb"]),
            str(event["object_type"]),
            str(event["object_id"]),
            audit.canonical(event["details"]),  # the same canonical form the trail hashed
            str(event["prev_hash"]),
        )
    except (KeyError, TypeError, ValueError):
        return False
    same_object = event["object_type"] == OBJECT_TYPE and event["object_id"] == str(record_id)
    return same_object and recomputed == str(event["hash"])
