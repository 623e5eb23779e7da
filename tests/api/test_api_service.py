"""The service end to end over real HTTP: banks and matching, items and reports opening cases,
claims, decisions reaching a signed webhook, exports, audit, sessions with CSRF, rate limits,
batches, uploads, metrics and JSON errors."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest

from raqib.auth.users import add_user
from raqib.config import Settings
from raqib.review import webhooks
from raqib.synthetic import make_image
from service_helpers import Service, webhook_receiver

KNOWN_TEXT = "synthetic known text 41: a neutral placeholder sentence used only in tests"
NEUTRAL_TEXT = "ذهب الطالب إلى المدرسة"


def _bank_with_known_text(service: Service) -> None:
    with service.client("curator") as client:
        assert (
            client.post("/api/v1/banks", json={"name": "known", "tlp": "amber"}).status_code == 201
        )
        imported = client.post(
            "/api/v1/banks/known/import",
            params={"format": "te"},
            content=f"raw_text {KNOWN_TEXT}\n".encode(),
            headers={"Content-Type": "text/plain"},
        )
    assert imported.status_code == 201 and imported.json()["added"] == 2


def _open_case(service: Service, external_id: str = "p1") -> int:
    with service.client("submitter") as client:
        answer = client.post(
            "/api/v1/items",
            json={
                "text": KNOWN_TEXT,
                "platform": "test",
                "external_id": external_id,
                "author_id": "author-7",
                "url": f"https://example.test/{external_id}",
            },
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["finding"]["verdict"]["recommended"] == "review"
    assert body["case_id"] is not None
    return int(body["case_id"])


def test_match_answers_results_and_sees_a_hash_added_just_before(service: Service) -> None:
    pdq = "pdq " + "a5" * 32
    with service.client("submitter") as client:
        before = client.post("/api/v1/match", json={"signals": [pdq, "md5 " + "0" * 32]})
    assert before.status_code == 200
    assert [r["signal"] for r in before.json()["results"]] == [pdq, "md5 " + "0" * 32]
    assert all(r["matches"] == [] for r in before.json()["results"])
    with service.client("curator") as client:
        client.post("/api/v1/banks", json={"name": "b1"})
        added = client.post(
            "/api/v1/banks/b1/entries", json={"entries": [{"signal": pdq, "tier": 1}]}
        )
    assert added.status_code == 201 and added.json()["added"] == 1
    with service.client("submitter") as client:
        after = client.post("/api/v1/match", json={"signals": [pdq]}).json()
    matches = after["results"][0]["matches"]
    assert [m["bank"] for m in matches] == ["b1"] and matches[0]["distance"] == 0


def test_bad_signal_and_unknown_case_are_json_errors(service: Service) -> None:
    with service.client("submitter") as client:
        bad = client.post("/api/v1/match", json={"signals": ["pdq nothex"]})
        not_a_list = client.post("/api/v1/match", json={"signals": "pdq " + "0" * 64})
        too_many = client.post("/api/v1/match", json={"signals": ["md5 " + "0" * 32] * 10_001})
        not_json = client.post(
            "/api/v1/match", content=b"{", headers={"Content-Type": "application/json"}
        )
    for answer in (not_a_list, too_many, not_json):
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
    assert "signals[0]" in bad.json()["error"]["message"]
    with service.client("reviewer") as client:
        missing = client.get("/api/v1/cases/424242")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_items_open_a_case_only_when_review_is_asked_and_reports_always(service: Service) -> None:
    _bank_with_known_text(service)
    with service.client("submitter") as client:
        neutral = client.post("/api/v1/items", json={"text": NEUTRAL_TEXT, "platform": "t"})
        report = client.post(
            "/api/v1/reports",
            json={
                "text": NEUTRAL_TEXT,
                "platform": "t",
                "external_id": "r1",
                "reason": "user report",
            },
        )
        no_reason = client.post("/api/v1/reports", json={"text": NEUTRAL_TEXT})
    assert neutral.status_code == 200 and neutral.json()["case_id"] is None
    assert neutral.json()["finding"]["text"]["language"] == "ar"
    assert report.status_code == 200 and report.json()["case_id"] is not None
    assert no_reason.status_code == 422
    case_id = _open_case(service)
    with service.client("reviewer") as client:
        case = client.get(f"/api/v1/cases/{case_id}").json()
        listed = client.get("/api/v1/cases", params={"bank": "known"}).json()["cases"]
    assert case["id"] == case_id and [c["id"] for c in listed] == [case_id]


def test_two_reviewers_racing_for_one_case_exactly_one_wins(service: Service) -> None:
    _bank_with_known_text(service)
    case_id = _open_case(service)
    second = service.new_key("reviewer")
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def race(key: str) -> None:
        with service.client() as client:
            barrier.wait()
            answer = client.post(
                f"/api/v1/cases/{case_id}/claim", headers={"Authorization": f"Bearer {key}"}
            )
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=race, args=(k,)) for k in (service.keys["reviewer"], second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]


@pytest.fixture
def hook() -> Any:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def service_settings(settings: Settings, hook: Any) -> Settings:
    return settings.with_changes(
        webhook_url=hook.url, webhook_secret="test-secret-0123456789", webhook_backoff_seconds=0.05
    )


def test_decision_reaches_the_platform_signed_and_shows_in_exports_and_audit(
    service: Service, hook: Any
) -> None:
    _bank_with_known_text(service)
    case_id = _open_case(service, "p9")
    with service.client("reviewer") as client:
        taken = client.get("/api/v1/queues/default/next")
        assert taken.status_code == 200 and taken.json()["id"] == case_id
        decided = client.post(
            f"/api/v1/cases/{case_id}/decision",
            json={"outcome": "remove", "reason_code": "incitement", "note": "test"},
        )
        assert decided.status_code == 201, decided.text
        empty = client.get("/api/v1/queues/default/next")
    assert empty.status_code == 204
    deadline = time.monotonic() + 15
    while not hook.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    headers, body = hook.calls[0]
    assert webhooks.verify(
        "test-secret-0123456789", headers["x-raqib-timestamp"], headers["x-raqib-signature"], body
    )
    payload = json.loads(body)
    assert payload["case_id"] == case_id and payload["outcome"] == "remove"
    assert payload["external_id"] == "p9" and headers["idempotency-key"]
    with service.client("lead") as client:
        jsonl = client.get("/api/v1/decisions/export", params={"format": "jsonl"})
        csv = client.get("/api/v1/decisions/export", params={"format": "csv"})
        events = client.get("/api/v1/audit", params={"verb": "case.decide"}).json()["events"]
        verified = client.get("/api/v1/audit/verify").json()
    assert [json.loads(line)["case_id"] for line in jsonl.text.splitlines()] == [case_id]
    assert csv.text.splitlines()[0].startswith("id,") and len(csv.text.splitlines()) == 2
    assert [e["object_id"] for e in events] == [str(case_id)]
    assert verified["ok"] and verified["checked"] >= 4


def test_sessions_need_csrf_for_changes_and_set_safe_cookies(service: Service) -> None:
    with service.database.session(write=True) as session:
        add_user(session, "alice", "reviewer", "correct horse battery staple", "system:test")
    with service.client() as client:
        wrong = client.post("/api/v1/session", json={"name": "alice", "password": "nope nope nope"})
        assert wrong.status_code == 401
        signed = client.post(
            "/api/v1/session", json={"name": "alice", "password": "correct horse battery staple"}
        )
        assert signed.status_code == 200
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
        token = signed.cookies["raqib_session"]
        csrf = signed.json()["csrf_token"]
    # a Secure cookie is not sent back over plain http by a client: send it by hand
    with service.client(headers={"Cookie": f"raqib_session={token}"}) as browser:
        assert browser.get("/api/v1/cases").status_code == 200
        refused = browser.post("/api/v1/cases/1/claim")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        allowed = browser.post("/api/v1/cases/1/claim", headers={"X-CSRF-Token": csrf})
        assert allowed.status_code == 404  # past CSRF; there is no case 1
        assert browser.get("/api/v1/me").json()["actor"] == "user:alice"
        assert browser.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert browser.get("/api/v1/cases").status_code == 401


def test_a_key_over_its_rate_gets_429_with_retry_after(service: Service) -> None:
    key = service.new_key("submitter", rate_limit=2)
    statuses = []
    with service.client() as client:
        for _ in range(6):
            answer = client.post(
                "/api/v1/match", json={"signals": []}, headers={"Authorization": f"Bearer {key}"}
            )
            statuses.append(answer.status_code)
    assert statuses[:2] == [200, 200] and 429 in statuses
    assert answer.status_code == 429 and answer.headers["retry-after"].isdigit()
    assert answer.json()["error"]["code"] == "rate_limited"


def test_batch_answers_with_a_job_then_results(service: Service) -> None:
    _bank_with_known_text(service)
    items = [{"text": KNOWN_TEXT, "platform": "t", "external_id": f"b{n}"} for n in range(3)]
    items.append({"text": NEUTRAL_TEXT, "platform": "t", "external_id": "b3"})
    with service.client("submitter") as client:
        queued = client.post("/api/v1/items/batch", json={"items": items})
        assert queued.status_code == 202
        job_url = queued.json()["status_url"]
        deadline = time.monotonic() + 30
        while (job := client.get(job_url).json())["state"] != "done":
            assert time.monotonic() < deadline and job["state"] in ("queued", "running")
            time.sleep(0.1)
    cases = [result["case_id"] for result in job["results"]]
    assert len(cases) == 4 and all(c is not None for c in cases[:3]) and cases[3] is None


def test_uploaded_image_is_hashed(service: Service) -> None:
    buffer = io.BytesIO()
    make_image(seed=5).save(buffer, format="PNG")
    with service.client("submitter") as client:
        answer = client.post(
            "/api/v1/hash", files={"file": ("../../etc/x.png", buffer.getvalue(), "image/png")}
        )
    assert answer.status_code == 200, answer.text
    types = {s["signal_type"] for s in answer.json()["signals"]}
    assert {"pdq", "md5", "sha256"} <= types


def test_metrics_in_prometheus_format(service: Service) -> None:
    with service.client("lead") as client:
        client.get("/api/v1/cases")
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "# TYPE raqib_http_requests_total counter" in metrics.text
    assert 'route="/api/v1/cases"' in metrics.text
