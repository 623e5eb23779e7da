"""Evidence over real HTTP: a remove decision preserves the finding and the media; only the
admin role reads evidence; a download is the original bytes, served inert and audited; legal
hold; a purged record keeps its record and custody but not its bytes."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import httpx

from raqib.evidence.retention import purge
from raqib.store.models import utcnow
from raqib.store.models_service import EvidenceRecord
from raqib.synthetic import make_image
from service_helpers import Service


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    make_image(seed, (96, 64)).save(out, format="PNG")
    return out.getvalue()


def _report(service: Service, n: int, image: bytes) -> int:
    fields = {
        "reason": "synthetic user report",
        "platform": "forum",
        "external_id": f"post-{n}",
        "author_id": f"author-{n}",
        "url": f"https://forum.example/p/{n}",
    }
    with service.client("submitter") as client:
        answer = client.post(
            "/api/v1/reports", data=fields, files={"file": (f"../x-{n}.png", image, "image/png")}
        )
    assert answer.status_code == 200, answer.text
    case_id = answer.json()["case_id"]
    assert isinstance(case_id, int)
    return case_id


def _decide(service: Service, case_id: int, outcome: str, reason: str, **extra: Any) -> None:
    with service.client("reviewer") as client:
        assert client.post(f"/api/v1/cases/{case_id}/claim").status_code == 200
        body = {"outcome": outcome, "reason_code": reason, "note": "synthetic"} | extra
        answer = client.post(f"/api/v1/cases/{case_id}/decision", json=body)
    assert answer.status_code == 201, answer.text


def _evidence(admin: httpx.Client, case_id: int) -> list[dict[str, Any]]:
    answer = admin.get("/api/v1/evidence", params={"case_id": case_id})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["evidence"]
    return found


def test_a_remove_decision_preserves_the_finding_and_the_media(service: Service) -> None:
    image = _png(31)
    case_id = _report(service, 1, image)
    _decide(service, case_id, "remove", "incitement")
    with service.client("admin") as admin:
        records = _evidence(admin, case_id)
        assert [r["kind"] for r in records] == ["finding", "media"]
        finding, media = records
        assert (media["platform"], media["external_id"]) == ("forum", "post-1")
        assert media["url"] == "https://forum.example/p/1"
        assert media["source"]["author"] == "author-1"
        assert media["sha256"] == hashlib.sha256(image).hexdigest()
        assert finding["media_type"] == "application/json"
        case = admin.get(f"/api/v1/cases/{case_id}").json()
        download = admin.get(f"/api/v1/evidence/{media['id']}/content")
        assert download.status_code == 200
        assert download.content == image
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["x-content-type-options"] == "nosniff"
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "x-1.png" not in disposition
        kept_finding = admin.get(f"/api/v1/evidence/{finding['id']}/content").json()
        assert kept_finding == case["finding"]
        detail = admin.get(f"/api/v1/evidence/{media['id']}").json()
        verbs = [e["verb"] for e in detail["custody"]]
        assert verbs == ["evidence.capture", "evidence.access"]
        assert detail["custody"][1]["actor"].startswith("key:")
        assert all(len(e["hash"]) == 64 for e in detail["custody"])
        verified = admin.get("/api/v1/audit/verify").json()
        assert verified["ok"], verified


def test_a_keep_decision_preserves_only_when_asked(service: Service) -> None:
    plain = _report(service, 2, _png(32))
    asked = _report(service, 3, _png(33))
    _decide(service, plain, "keep", "news_reporting")
    _decide(service, asked, "keep", "news_reporting", preserve=True)
    with service.client("admin") as admin:
        assert _evidence(admin, plain) == []
        assert [r["kind"] for r in _evidence(admin, asked)] == ["finding", "media"]


def test_only_the_admin_role_reads_evidence(service: Service) -> None:
    case_id = _report(service, 4, _png(34))
    _decide(service, case_id, "remove", "incitement")
    with service.client("admin") as admin:
        media_id = _evidence(admin, case_id)[1]["id"]
    for role in ("reviewer", "lead", "curator", "submitter", "partner"):
        with service.client(role) as client:
            assert client.get("/api/v1/evidence").status_code == 403
            assert client.get(f"/api/v1/evidence/{media_id}/content").status_code == 403
            hold = client.post(f"/api/v1/evidence/{media_id}/hold", json={})
            assert hold.status_code == 403
    with service.client("admin") as admin:
        detail = admin.get(f"/api/v1/evidence/{media_id}").json()
    assert [e["verb"] for e in detail["custody"]] == ["evidence.capture"]  # refused: no access


def test_hold_release_purge_and_a_purged_download(service: Service) -> None:
    case_id = _report(service, 5, _png(35))
    _decide(service, case_id, "remove", "incitement")
    with service.client("admin") as admin:
        finding_id, media_id = (r["id"] for r in _evidence(admin, case_id))
        held = admin.post(f"/api/v1/evidence/{media_id}/hold", json={"note": "synthetic ref"})
        assert held.status_code == 200 and held.json()["legal_hold"] is True
        released = admin.post(f"/api/v1/evidence/{finding_id}/hold", json={"release": True})
        assert released.json()["legal_hold"] is False  # was not held: unchanged
    with service.database.session(write=True) as session:
        for evidence_id in (finding_id, media_id):
            row = session.get_one(EvidenceRecord, evidence_id)
            row.retain_until = utcnow() - timedelta(days=1)
    report = purge(service.database, service.settings, "system:test")
    assert [r.id for r in report.records] == [finding_id]
    with service.client("admin") as admin:
        gone = admin.get(f"/api/v1/evidence/{finding_id}/content")
        assert gone.status_code == 410 and "purged" in gone.json()["error"]["message"]
        still = admin.get(f"/api/v1/evidence/{media_id}/content")
        assert still.status_code == 200 and still.content == _png(35)
        purged = admin.get("/api/v1/evidence", params={"purged": "true"}).json()["evidence"]
        assert [r["id"] for r in purged] == [finding_id]
        verbs = [e["verb"] for e in admin.get(f"/api/v1/evidence/{media_id}").json()["custody"]]
        assert verbs == ["evidence.capture", "evidence.hold", "evidence.access"]
        assert admin.get("/api/v1/evidence/999999").status_code == 404
        bad = admin.get("/api/v1/evidence", params={"sha256": "../etc"})
        assert bad.status_code == 422
        assert admin.get("/api/v1/audit/verify").json()["ok"]
