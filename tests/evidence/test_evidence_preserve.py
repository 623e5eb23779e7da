"""Preserving a case (finding + media) and an investigator's file: bytes, metadata, retention,
idempotence, the chain of custody, the decision path, and the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from evidence_helpers import case_with_media, finding

from conftest import Cli
from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.evidence.preserve import canonical_json, preserve_case, preserve_file
from raqib.evidence.records import EvidenceFilters, custody, get_evidence, list_evidence
from raqib.evidence.store import evidence_path
from raqib.review import audit
from raqib.review.claims import claim
from raqib.review.decisions import decide
from raqib.review.media import media_path
from raqib.store.db import Database
from raqib.store.models import as_utc, utcnow
from raqib.store.models_service import Case


def test_a_case_is_kept_as_its_finding_and_media_with_source_metadata(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, images = case_with_media(database, settings, tmp_path, 1, images=2)
    before = utcnow()
    with database.session(write=True) as session:
        kept = preserve_case(session, settings, case_id, "user:lead", "synthetic request 1")
        stored_finding = session.get_one(Case, case_id).finding
    assert [r.kind for r in kept] == ["finding", "media", "media"]
    first = kept[0]
    assert evidence_path(settings, first.sha256).read_bytes() == canonical_json(stored_finding)
    assert first.media_type == "application/json"
    for record, data in zip(kept[1:], images, strict=True):
        assert record.sha256 == hashlib.sha256(data).hexdigest()
        assert evidence_path(settings, record.sha256).read_bytes() == data
        assert record.size == len(data) and record.media_type == "image/png"
    for record in kept:
        assert (record.case_id, record.platform, record.external_id) == (case_id, "forum", "post-1")
        assert record.url == "https://forum.example/p/1"
        assert record.source["author"] == "author-1"
        assert record.source["time"] == finding(1)["item"]["time"]
        assert record.reason == "synthetic request 1" and record.captured_by == "user:lead"
        expected = before + timedelta(days=settings.evidence_retention_days)
        assert abs(as_utc(record.retain_until) - expected) < timedelta(minutes=1)
    assert kept[1].source["filename"] == "upload-1-0.png"


def test_preserving_again_is_idempotent_and_each_capture_is_audited_once(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, _ = case_with_media(database, settings, tmp_path, 2)
    with database.session(write=True) as session:
        first = preserve_case(session, settings, case_id, "user:a", "first")
    with database.session(write=True) as session:
        again = preserve_case(session, settings, case_id, "user:b", "second")
    assert [r.id for r in again] == [r.id for r in first]
    with database.session() as session:
        events = [custody(session, r.id) for r in first]
        assert audit.verify(session).ok
    assert [[e.verb for e in chain] for chain in events] == [["evidence.capture"]] * 2
    assert events[1][0].details["sha256"] == first[1].sha256
    assert events[1][0].actor == "user:a"


def test_media_missing_from_the_media_store_is_named_not_fatal(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, images = case_with_media(database, settings, tmp_path, 3)
    media_path(settings, hashlib.sha256(images[0]).hexdigest()).unlink()
    with database.session(write=True) as session:
        kept = preserve_case(session, settings, case_id, "user:a", "synthetic")
    assert [r.kind for r in kept] == ["finding"]
    with database.session() as session:
        capture = get_evidence(session, kept[0].id).custody[0]
    assert capture.details["missing_media"][0]["sha256"] == hashlib.sha256(images[0]).hexdigest()


def test_a_remove_decision_preserves_and_a_keep_only_when_asked(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    removed, _ = case_with_media(database, settings, tmp_path, 4)
    kept_case, _ = case_with_media(database, settings, tmp_path, 5)
    asked, _ = case_with_media(database, settings, tmp_path, 6)
    with database.session(write=True) as session:
        claim(session, removed, "user:r", 600)
        decide(session, removed, "user:r", "remove", "incitement", "", settings)
        claim(session, kept_case, "user:r", 600)
        decide(session, kept_case, "user:r", "keep", "news_reporting", "", settings)
        claim(session, asked, "user:r", 600)
        decide(session, asked, "user:r", "keep", "news_reporting", "", settings, preserve=True)
    with database.session() as session:

        def kinds(case_id: int) -> list[str]:
            return [r.kind for r in list_evidence(session, EvidenceFilters(case_id=case_id))]

        assert kinds(removed) == ["finding", "media"]
        assert kinds(kept_case) == []
        assert kinds(asked) == ["finding", "media"]
        decided = audit.events(session, verb="case.decide", object_id=str(removed))[0]
        assert len(decided.details["evidence_ids"]) == 2
        assert audit.verify(session).ok


def test_preserve_on_remove_can_be_turned_off(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    off = settings.with_changes(preserve_on_remove=False)
    case_id, _ = case_with_media(database, settings, tmp_path, 7)
    with database.session(write=True) as session:
        claim(session, case_id, "user:r", 600)
        decide(session, case_id, "user:r", "remove", "incitement", "", off)
        assert list_evidence(session, EvidenceFilters(case_id=case_id)) == []


def test_a_file_is_preserved_with_its_place_and_refusals_are_clear(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "capture.txt"
    path.write_text("synthetic placeholder capture\n", encoding="utf-8")
    with database.session(write=True) as session:
        record = preserve_file(
            session, settings, path, "system:cli", "synthetic ref", "forum", "p-9",
            "https://forum.example/p/9", retain_days=30,
        )  # fmt: skip
        same = preserve_file(
            session, settings, path, "system:cli", "again", "forum", "p-9",
            "https://forum.example/p/9",
        )  # fmt: skip
        elsewhere = preserve_file(session, settings, path, "system:cli", "", "forum", "p-10")
    assert same.id == record.id and elsewhere.id != record.id
    assert record.kind == "file" and record.media_type == "application/octet-stream"
    assert abs(as_utc(record.retain_until) - utcnow() - timedelta(days=30)) < timedelta(minutes=1)
    with database.session(write=True) as session, pytest.raises(InputError, match="1 to"):
        preserve_file(session, settings, path, "system:cli", retain_days=0)
    with database.session(write=True) as session, pytest.raises(InputError, match="longer"):
        preserve_file(session, settings, path, "system:cli", platform="p" * 101)
    with database.session(write=True) as session, pytest.raises(NotFoundError):
        preserve_case(session, settings, 999_999, "system:cli", "no such case")


def test_the_cli_preserves_a_file_and_a_case(
    cli: Cli, database: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "investigator-copy.png"
    path.write_bytes(b"\x89PNG synthetic but not a real image")
    done = cli(
        "evidence", "preserve", path, "--platform", "forum", "--external-id", "p-11",
        "--url", "https://forum.example/p/11", "--reason", "synthetic ref 11",
        "--retain-days", "10", "--json",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (record["platform"], record["external_id"]) == ("forum", "p-11")
    assert evidence_path(settings, record["sha256"]).read_bytes() == path.read_bytes()
    case_id, _ = case_with_media(database, settings, tmp_path, 12)
    done = cli("evidence", "preserve", "--case", str(case_id), "--json")
    assert done.code == 0, done.stderr
    assert [json.loads(line)["kind"] for line in done.stdout.splitlines()] == ["finding", "media"]
    shown = cli("evidence", "show", str(record["id"]), "--json")
    assert json.loads(shown.stdout)["custody"][0]["verb"] == "evidence.capture"
    both = cli("evidence", "preserve", path, "--case", str(case_id))
    assert both.code == 2 and "either a FILE or --case" in both.stderr
    missing = cli("evidence", "preserve", tmp_path / "nope.bin")
    assert missing.code == 2 and "not a regular file" in missing.stderr
    assert cli("audit", "verify").code == 0
