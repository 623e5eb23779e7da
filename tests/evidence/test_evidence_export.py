"""The legal-request bundle: originals named by sha256, a manifest with custody, its sha256;
verification passes on a fresh bundle and names a tampered file, manifest or custody event."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from evidence_helpers import case_with_media, expire

from conftest import Cli
from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.evidence.export import Selection, export_bundle, parse_ids, verify_bundle
from raqib.evidence.preserve import preserve_case, preserve_file
from raqib.evidence.records import custody
from raqib.evidence.retention import purge
from raqib.evidence.store import evidence_path
from raqib.review import audit
from raqib.store.db import Database
from raqib.store.models import utcnow


def _case(database: Database, settings: Settings, folder: Path, n: int) -> tuple[int, list[int]]:
    case_id, _ = case_with_media(database, settings, folder, n, images=2)
    with database.session(write=True) as session:
        kept = preserve_case(session, settings, case_id, "user:a", "synthetic request")
    return case_id, [r.id for r in kept]


def _rewrite(bundle: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the bundle with each member passed through `change` (None drops it)."""
    out = bundle.with_name(f"tampered-{bundle.name}")
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                target.writestr(info.filename, data)
    return out


def test_an_exported_case_bundle_holds_originals_and_custody_and_verifies(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, ids = _case(database, settings, tmp_path, 1)
    bundle = tmp_path / "bundle.zip"
    report = export_bundle(database, settings, Selection(case_id=case_id), bundle, "user:admin")
    assert (report.records, report.files) == (3, 3)
    with zipfile.ZipFile(bundle) as opened:
        names = sorted(opened.namelist())
        manifest_bytes = opened.read("manifest.json")
        listed = opened.read("manifest.sha256").decode()
        manifest = json.loads(manifest_bytes)
        for record in manifest["records"]:
            data = opened.read(record["file"])
            assert hashlib.sha256(data).hexdigest() == record["sha256"]
            assert data == evidence_path(settings, record["sha256"]).read_bytes()
    assert listed == f"{hashlib.sha256(manifest_bytes).hexdigest()}  manifest.json\n"
    assert names == sorted(
        ["manifest.json", "manifest.sha256"] + [f"files/{r['sha256']}" for r in manifest["records"]]
    )
    assert [r["id"] for r in manifest["records"]] == ids
    capture = manifest["records"][0]["custody"][0]
    assert capture["verb"] == "evidence.capture" and len(capture["hash"]) == 64
    assert manifest["selection"] == {"case_id": case_id}
    check = verify_bundle(bundle)
    assert check.ok and (check.records, check.files) == (3, 3), check.problem
    assert check.manifest_sha256 == report.manifest_sha256
    with database.session() as session:
        exported = custody(session, ids[0])[-1]
        assert audit.verify(session).ok
    assert exported.verb == "evidence.export" and exported.actor == "user:admin"
    assert exported.details["manifest_sha256"] == report.manifest_sha256


def test_verify_names_a_tampered_file_manifest_custody_or_added_member(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, _ = _case(database, settings, tmp_path, 2)
    bundle = tmp_path / "bundle.zip"
    export_bundle(database, settings, Selection(case_id=case_id), bundle, "user:admin")
    with zipfile.ZipFile(bundle) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    media = manifest["records"][1]["file"]

    file_changed = _rewrite(bundle, lambda n, d: b"tampered" + d if n == media else d)
    check = verify_bundle(file_changed)
    assert not check.ok and media in check.problem and "does not match" in check.problem

    def edit_manifest(name: str, data: bytes) -> bytes:
        return data.replace(b'"forum"', b'"other"') if name == "manifest.json" else data

    check = verify_bundle(_rewrite(bundle, edit_manifest))
    assert not check.ok and "manifest.json does not hash" in check.problem

    edited = json.loads(json.dumps(manifest))
    edited["records"][0]["custody"][0]["actor"] = "user:someone-else"
    edited_bytes = json.dumps(edited).encode()
    resummed = {  # the manifest's sha256 recomputed too: only the event's own hash tells
        "manifest.json": edited_bytes,
        "manifest.sha256": f"{hashlib.sha256(edited_bytes).hexdigest()}  manifest.json\n".encode(),
    }
    check = verify_bundle(_rewrite(bundle, lambda n, d: resummed.get(n, d)))
    assert not check.ok and "custody event" in check.problem, check.problem

    added = _rewrite(bundle, lambda n, d: d)
    with zipfile.ZipFile(added, "a") as opened:
        opened.writestr("../outside.txt", b"synthetic")
    check = verify_bundle(added)
    assert not check.ok and "'../outside.txt' is not in the manifest" in check.problem

    dropped = verify_bundle(_rewrite(bundle, lambda n, d: None if n == media else d))
    assert not dropped.ok and "missing" in dropped.problem
    not_zip = tmp_path / "not-a-bundle.zip"
    not_zip.write_bytes(b"synthetic, not a zip")
    with pytest.raises(InputError, match="not a readable zip"):
        verify_bundle(not_zip)


def test_selections_purged_records_and_refusals(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    _case_id, ids = _case(database, settings, tmp_path, 3)
    path = tmp_path / "file.txt"
    path.write_text("synthetic file\n", encoding="utf-8")
    with database.session(write=True) as session:
        loose = preserve_file(session, settings, path, "system:cli", "", "forum", "p-3")
    expire(database, ids[0])
    purge(database, settings, "system:test")
    bundle = tmp_path / "some.zip"
    report = export_bundle(database, settings, Selection(ids=(ids[0], loose.id)), bundle, "u")
    assert (report.records, report.files) == (2, 1)
    with zipfile.ZipFile(bundle) as opened:
        records = json.loads(opened.read("manifest.json"))["records"]
    assert records[0]["file"] is None and records[0]["purged_at"] is not None
    assert [e["verb"] for e in records[0]["custody"]] == ["evidence.capture", "evidence.purge"]
    assert verify_bundle(bundle).ok
    since = export_bundle(
        database,
        settings,
        Selection(since=utcnow() - timedelta(hours=1)),
        tmp_path / "all.zip",
        "u",
    )
    assert since.records == 4
    with pytest.raises(InputError, match="already exists"):
        export_bundle(database, settings, Selection(case_id=1), bundle, "u")
    with pytest.raises(NotFoundError, match="no evidence 999"):
        export_bundle(database, settings, Selection(ids=(999,)), tmp_path / "x.zip", "u")
    with pytest.raises(NotFoundError, match="nothing to export"):
        export_bundle(database, settings, Selection(case_id=424242), tmp_path / "y.zip", "u")
    with pytest.raises(InputError, match="exactly one"):
        Selection(case_id=1, ids=(2,))
    with pytest.raises(InputError, match="positive whole numbers"):
        parse_ids("1,../2")
    assert not (tmp_path / "x.zip").exists() and not list(tmp_path.glob(".x.zip.partial-*"))


def test_the_cli_exports_and_verify_exits_1_on_a_mismatch(
    cli: Cli, database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, ids = _case(database, settings, tmp_path, 4)
    bundle = tmp_path / "request-4.zip"
    done = cli("evidence", "export", "--ids", f"{ids[0]},{ids[2]}", "-o", bundle, "--json")
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["records"] == 2
    ok = cli("evidence", "verify", bundle)
    assert ok.code == 0 and "bundle intact: 2 records, 2 files" in ok.stderr
    with zipfile.ZipFile(bundle) as opened:
        media = next(n for n in opened.namelist() if n.startswith("files/"))
    bad = cli("evidence", "verify", _rewrite(bundle, lambda n, d: d[:-1] if n == media else d))
    assert bad.code == 1 and media in bad.stderr
    case_bundle = cli("evidence", "export", "--case", str(case_id), "-o", tmp_path / "c.zip")
    assert case_bundle.code == 0 and "3 records" in case_bundle.stderr
    neither = cli("evidence", "export", "-o", tmp_path / "n.zip")
    assert neither.code == 2 and "exactly one of --case" in neither.stderr
    bad_date = cli("evidence", "export", "--all-since", "last week", "-o", tmp_path / "d.zip")
    assert bad_date.code == 2 and "2025-01-31" in bad_date.stderr


def test_a_hostile_zip_gets_a_clear_answer_not_a_crash(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    case_id, _ = _case(database, settings, tmp_path, 5)
    bundle = tmp_path / "bundle.zip"
    export_bundle(database, settings, Selection(case_id=case_id), bundle, "user:admin")
    data = bytearray(bundle.read_bytes())
    central = data.index(b"PK\x01\x02")  # the first central directory entry: manifest.json
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")  # an unknown method
    odd = tmp_path / "odd-method.zip"
    odd.write_bytes(bytes(data))
    check = verify_bundle(odd)
    assert not check.ok and "damaged or not one Raqib writes" in check.problem

    with zipfile.ZipFile(bundle) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    manifest["records"][1]["size"] = 10**12  # claims a huge file: refused before reading
    edited = json.dumps(manifest).encode()
    replaced = {
        "manifest.json": edited,
        "manifest.sha256": f"{hashlib.sha256(edited).hexdigest()}  manifest.json\n".encode(),
    }
    check = verify_bundle(_rewrite(bundle, lambda n, d: replaced.get(n, d)))
    assert not check.ok and "does not match its sha256 or size" in check.problem
