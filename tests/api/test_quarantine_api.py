"""Flood quarantine over real HTTP, with a limit of 5 matches in 10 minutes: the 6th item
matching one entry quarantines it and opens one case about the signal; later items open no
case and are counted; an item matching another entry too still opens its case; a lead
releases (acting resumes) or revokes (the entry leaves its bank, a revocation partners see)."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from raqib.auth.users import add_user
from raqib.config import Settings
from raqib.review.media import media_for_case
from raqib.signals import Signal
from raqib.signals.text_sha256 import sha256_of_text
from raqib.store.models import EntryRevocation
from raqib.store.models_service import Case, CaseComment, EntryMatchCount
from raqib.synthetic import make_image
from service_helpers import Service, console_sign_in

FLOOD_TEXT = "synthetic flood placeholder 7: a neutral sentence that stands in for a bad hash"
LIMIT = 5


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    return Settings(
        home=settings.home,
        database_url=settings.database_url,
        workers=1,
        flood_matches=LIMIT,
        flood_window_minutes=10,
    )


def _text_signal(text: str) -> str:
    signal = sha256_of_text(text)
    assert isinstance(signal, Signal)
    return f"text_sha256 {signal.value}"


def _bank_with(service: Service, bank: str, signal: str) -> int:
    with service.client("curator") as client:
        created = client.post("/api/v1/banks", json={"name": bank, "tlp": "amber"})
        assert created.status_code == 201, created.text
        entry = {"signal": signal, "tier": 2, "entity": "Synthetic Group"}
        added = client.post(f"/api/v1/banks/{bank}/entries", json={"entries": [entry]})
    assert added.status_code == 201, added.text
    return int(added.json()["entry_ids"][0])


def _post_items(service: Service, count: int, start: int = 0) -> list[dict[str, Any]]:
    answers = []
    with service.client("submitter") as client:
        for number in range(start, start + count):
            item = {"text": FLOOD_TEXT, "platform": "test", "external_id": f"f{number}"}
            answer = client.post("/api/v1/items", json=item)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
    return answers


def _quarantines(service: Service, role: str = "lead", **params: str) -> list[dict[str, Any]]:
    with service.client(role) as client:
        answer = client.get("/api/v1/quarantine", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["quarantines"])


def _case_count(service: Service) -> int:
    with service.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def _flood(service: Service) -> dict[str, Any]:
    """Five items that open cases, then the sixth that quarantines the entry: its quarantine."""
    first = _post_items(service, LIMIT)
    assert all(a["case_id"] is not None for a in first)
    assert all("quarantined" not in a["finding"]["matches"][0] for a in first)
    sixth = _post_items(service, 1, start=LIMIT)[0]
    assert sixth["case_id"] is None
    (quarantine,) = _quarantines(service)
    return quarantine


def _release(service: Service, quarantine_id: int, role: str = "lead", **body: str) -> Any:
    with service.client(role) as client:
        return client.post(f"/api/v1/quarantine/{quarantine_id}/release", json=body)


def test_a_flooding_signal_is_quarantined_with_one_case_and_holds_what_it_matches(
    service: Service,
) -> None:
    entry_id = _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    assert quarantine["state"] == "open" and quarantine["entry_id"] == entry_id
    assert quarantine["bank"] == "flood" and quarantine["held_items"] == 1
    assert f"matched {LIMIT + 1} items in 10 minutes" in quarantine["reason"]
    assert _case_count(service) == LIMIT + 1  # five items' cases and the quarantine's own

    with service.client("reviewer") as client:
        case = client.get(f"/api/v1/cases/{quarantine['case_id']}").json()
    assert case["origin"] == "quarantine" and case["queue"] == "default"
    assert case["priority"] == 100.0 and case["bank"] == "flood"
    assert case["finding"]["quarantine"]["entry_id"] == entry_id
    assert case["finding"]["quarantine"]["example_item"]["external_id"] == f"f{LIMIT}"
    assert "matched 6 items in 10 minutes" in case["finding"]["verdict"]["reasons"][0]

    held = _post_items(service, 20, start=LIMIT + 1)
    assert [a["case_id"] for a in held] == [None] * 20
    verdict = held[-1]["finding"]["verdict"]
    assert verdict["held"] is True and verdict["recommended"] == "none"
    assert verdict["reasons"][0] == "held: signal quarantined"
    match = held[-1]["finding"]["matches"][0]
    assert match["quarantined"] is True and match["quarantine_id"] == quarantine["id"]
    assert _quarantines(service)[0]["held_items"] == 21
    assert _case_count(service) == LIMIT + 1

    with service.client("lead") as client:
        events = client.get("/api/v1/audit", params={"verb": "signal.quarantine"}).json()
    assert [e["object_id"] for e in events["events"]] == [str(quarantine["id"])]


def test_a_report_and_an_item_matching_another_entry_still_open_cases(service: Service) -> None:
    _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    with service.client("submitter") as client:
        item = {"text": FLOOD_TEXT, "external_id": "r1", "reason": "a user report"}
        report = client.post("/api/v1/reports", json=item).json()
    assert report["case_id"] is not None
    assert report["finding"]["matches"][0]["quarantined"] is True
    assert "held" not in report["finding"]["verdict"]

    _bank_with(service, "other", _text_signal(FLOOD_TEXT))
    mixed = _post_items(service, 1, start=100)[0]
    assert mixed["case_id"] is not None
    marks = {m["bank"]: m.get("quarantined", False) for m in mixed["finding"]["matches"]}
    assert marks == {"flood": True, "other": False}
    assert mixed["finding"]["verdict"]["recommended"] == "review"
    assert _quarantines(service)[0]["held_items"] == quarantine["held_items"]


def test_release_resumes_acting_and_a_second_release_conflicts(service: Service) -> None:
    entry_id = _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    assert _release(service, quarantine["id"], role="reviewer").status_code == 403
    answer = _release(service, quarantine["id"], action="release", note="a real match set")
    assert answer.status_code == 200, answer.text
    released = answer.json()
    assert released["removed"] == 0 and released["quarantine"]["state"] == "released"
    assert released["quarantine"]["note"] == "a real match set"
    assert released["quarantine"]["released_by"].startswith("key:")
    with service.database.session() as session:
        counts = session.scalars(
            select(EntryMatchCount).where(EntryMatchCount.entry_id == entry_id)
        )
        assert list(counts) == []
        comments = session.scalars(
            select(CaseComment.text).where(CaseComment.case_id == quarantine["case_id"])
        )
        assert [c for c in comments if "released" in c and "a real match set" in c]

    after = _post_items(service, 1, start=50)[0]
    assert after["case_id"] is not None and "quarantined" not in after["finding"]["matches"][0]
    again = _release(service, quarantine["id"], action="revoke")
    assert again.status_code == 409 and "already released" in again.json()["error"]["message"]
    assert _quarantines(service, state="open") == []
    assert [q["id"] for q in _quarantines(service, state="released")] == [quarantine["id"]]


def test_revoke_removes_the_entry_so_the_next_item_matches_nothing(service: Service) -> None:
    _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    answer = _release(service, quarantine["id"], action="revoke", note="a blank placeholder")
    assert answer.status_code == 200, answer.text
    assert answer.json()["removed"] == 1 and answer.json()["quarantine"]["state"] == "revoked"

    after = _post_items(service, 1, start=60)[0]
    assert after["finding"]["matches"] == [] and after["case_id"] is None
    with service.client("curator") as client:
        assert client.get("/api/v1/banks/flood/entries").json()["entries"] == []
    with service.database.session() as session:
        revoked = session.scalars(select(EntryRevocation.value)).all()
    assert revoked == [_text_signal(FLOOD_TEXT).split(" ", 1)[1]]
    with service.client("lead") as client:
        events = client.get("/api/v1/audit", params={"verb": "signal.revoke"}).json()["events"]
    assert [e["object_id"] for e in events] == [str(quarantine["id"])]


def test_a_batch_counts_and_holds_like_single_items(service: Service) -> None:
    _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    items = [{"text": FLOOD_TEXT, "platform": "t", "external_id": f"b{n}"} for n in range(8)]
    with service.client("submitter") as client:
        job_url = client.post("/api/v1/items/batch", json={"items": items}).json()["status_url"]
        deadline = time.monotonic() + 60
        while (job := client.get(job_url).json())["state"] != "done":
            assert time.monotonic() < deadline and job["state"] in ("queued", "running")
            time.sleep(0.1)
    opened = [r["case_id"] is not None for r in job["results"]]
    assert opened == [True] * LIMIT + [False] * 3
    assert job["results"][-1]["finding"]["verdict"]["held"] is True
    assert _quarantines(service)[0]["held_items"] == 3


def test_the_file_that_tips_an_entry_over_is_kept_on_the_quarantine_case(
    service: Service,
) -> None:
    buffer = io.BytesIO()
    make_image(seed=11).save(buffer, format="PNG")
    with service.client("submitter") as client:
        hashed = client.post("/api/v1/hash", files={"file": ("a.png", buffer.getvalue())})
    pdq = next(s for s in hashed.json()["signals"] if s["signal_type"] == "pdq")
    _bank_with(service, "images", f"pdq {pdq['signal']}")
    with service.client("submitter") as client:
        for number in range(LIMIT + 2):
            files = {"file": (f"a{number}.png", buffer.getvalue(), "image/png")}
            answer = client.post("/api/v1/items", files=files, data={"external_id": f"i{number}"})
            assert answer.status_code == 200, answer.text
            assert (answer.json()["case_id"] is None) == (number >= LIMIT)
    (quarantine,) = _quarantines(service)
    with service.database.session() as session:
        kept = media_for_case(session, quarantine["case_id"])
    assert [m.filename for m in kept] == [f"a{LIMIT}.png"]


def test_hostile_release_requests_get_clear_errors(service: Service) -> None:
    _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    bad = _release(service, quarantine["id"], action="delete-everything")
    assert (
        bad.status_code == 400 and "use one of: release, revoke" in bad.json()["error"]["message"]
    )
    long_note = _release(service, quarantine["id"], note="x" * 6000)
    assert long_note.status_code == 422
    missing = _release(service, 999999)
    assert (
        missing.status_code == 404 and "raqib quarantine list" in missing.json()["error"]["message"]
    )
    with service.client("lead") as client:
        wrong = client.get("/api/v1/quarantine", params={"state": "bogus"})
    assert wrong.status_code == 400
    assert _quarantines(service)[0]["state"] == "open"


def test_a_reviewer_reads_the_quarantine_case_in_the_console(service: Service) -> None:
    _bank_with(service, "flood", _text_signal(FLOOD_TEXT))
    quarantine = _flood(service)
    password = "correct horse battery staple"
    with service.database.session(write=True) as session:
        add_user(session, "rana", "reviewer", password, "system:test")
    cookie = console_sign_in(service.base, "rana", password)
    with httpx.Client(base_url=service.base, headers=cookie, timeout=30) as client:
        page = client.get(f"/ui/cases/{quarantine['case_id']}")
    assert page.status_code == 200
    assert "matched 6 items in 10 minutes" in page.text and "Origin quarantine" in page.text
