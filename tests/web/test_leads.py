"""The leads' pages over real HTTP: only leads reach them; queues and routing rules, people and
roles, retrying a failed delivery, entering a removal order, quality checks and the export."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from raqib.auth.users import add_user
from raqib.config import Settings
from raqib.review import audit, quality
from raqib.review.cases import case_view, open_case
from raqib.review.claims import next_case
from raqib.review.decisions import decide
from raqib.review.queues import list_queues, list_rules
from raqib.store.models import as_utc
from raqib.store.models_service import Case, OutboxAction
from service_helpers import Service, console_sign_in, free_port

PASSWORD = "synthetic password for tests 42"
LEAD_PAGES = ("", "/queues", "/people", "/deliveries", "/export", "/quality", "/orders")


@pytest.fixture
def service_settings(settings: Settings) -> Settings:
    """A webhook nobody answers, tried once: every decision that acts leaves a failed delivery."""
    return replace(
        settings,
        webhook_url=f"http://127.0.0.1:{free_port()}/hook",
        webhook_secret="test-secret-0123456789",
        webhook_max_attempts=1,
        webhook_timeout_seconds=2.0,
    )


@dataclass
class Browser:
    """A signed-in person: their session cookie is sent by hand (a Secure cookie is not sent
    back over plain http by a client)."""

    client: httpx.Client

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str], page: str = "/ui/lead") -> httpx.Response:
        """Post a form with the CSRF token read from `page`, as a browser would."""
        form = self.client.get(page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, form.text[:300]
        return self.client.post(path, data={"csrf_token": token.group(1), **data})


def _sign_in(service: Service, name: str, password: str = PASSWORD) -> Browser:
    cookie = console_sign_in(service.base, name, password, next_path="/ui/lead")
    return Browser(httpx.Client(base_url=service.base, headers=cookie, timeout=30))


@pytest.fixture
def browsers() -> Iterator[list[Browser]]:
    """Every Browser a test signs in, closed at its end."""
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        browser.client.close()


@pytest.fixture
def person(service: Service, browsers: list[Browser]) -> Callable[..., Browser]:
    """Add a user with a role and sign them in; or sign in an existing user (role None)."""

    def sign_in(name: str, role: str | None, password: str = PASSWORD) -> Browser:
        if role is not None:
            with service.database.session(write=True) as session:
                add_user(session, name, role, password, "system:test")
        browser = _sign_in(service, name, password)
        browsers.append(browser)
        return browser

    return sign_in


def _open(service: Service, n: int, tier: int = 3, platform: str = "forum") -> int:
    finding = {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "matches": [],
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }
    meta = {
        "platform": platform,
        "external_id": f"post-{n}",
        "author_id": f"author-{n}",
        "url": f"https://{platform}.example/p/{n}",
    }
    with service.database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1").id


def _work(service: Service, actor: str, outcome: str, reason: str, queue: str = "default") -> int:
    """The actor takes the next case of the queue and decides it (as the console does)."""
    with service.database.session(write=True) as session:
        case = next_case(session, queue, actor, 600)
        assert case is not None
        decide(session, case.id, actor, outcome, reason, "synthetic note", service.settings)
    return case.id


def _wait_for(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _row(page: httpx.Response, attribute: str) -> str:
    """The text of the table row (or element) carrying `attribute`."""
    found = re.search(rf"<tr {attribute}[^>]*>(.*?)</tr>", page.text, re.S)
    assert found is not None, f"no row {attribute}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_a_reviewer_gets_the_403_page_on_every_lead_page(
    service: Service, person: Callable[..., Browser]
) -> None:
    reviewer = person("rita", "reviewer")
    for path in LEAD_PAGES:
        answer = reviewer.get(f"/ui/lead{path}")
        assert answer.status_code == 403, path
        assert "may not open this page" in answer.text
        assert "content-security-policy" in answer.headers
    refused = reviewer.post("/ui/lead/queues", {"name": "sneaky"}, page="/ui/")
    assert refused.status_code == 403
    with service.database.session() as session:
        assert "sneaky" not in {queue.name for queue in list_queues(session)}


def test_a_lead_creates_a_queue_and_routing_rules(
    service: Service, person: Callable[..., Browser]
) -> None:
    lead = person("lena", "lead")
    index = lead.get("/ui/lead")
    assert index.status_code == 200 and "/ui/static/lead.js" in index.text
    created = lead.post("/ui/lead/queues", {"name": "urgent", "description": "tier 1 first"})
    assert created.status_code == 303 and created.headers["location"].endswith("notice=queue")
    rule = {"queue": "urgent", "tier": "1", "platform": "forum, board", "enabled": "on"}
    assert lead.post("/ui/lead/rules", rule).status_code == 303
    assert lead.post("/ui/lead/rules", {"queue": "default", "source": "post"}).status_code == 303
    bad = lead.post("/ui/lead/rules", {"queue": "urgent", "tier": "one"})
    assert bad.status_code == 400 and "a tier is a number" in bad.text
    with service.database.session() as session:
        first, second = list_rules(session)
    assert (first.queue, first.conditions) == (
        "urgent",
        {"tier": 1, "platform": ["forum", "board"]},
    )
    assert lead.post(f"/ui/lead/rules/{second.id}/move", {"direction": "up"}).status_code == 303
    assert lead.post(f"/ui/lead/rules/{second.id}/enabled", {"enabled": "off"}).status_code == 303
    page = lead.get("/ui/lead/queues")
    assert "urgent" in page.text and "tier 1 first" in page.text
    with service.database.session() as session:
        rules = list_rules(session)
    assert [(r.id, r.enabled) for r in rules] == [(second.id, False), (first.id, True)]
    # the rule routes: a tier-1 forum case lands in "urgent"
    case_id = _open(service, 1, tier=1)
    with service.database.session() as session:
        assert case_view(session, case_id).queue == "urgent"
    assert lead.post(f"/ui/lead/rules/{second.id}/delete", {}).status_code == 303
    refused = lead.post("/ui/lead/queues/delete", {"name": "urgent"})
    assert refused.status_code == 409 and "holds 1 case" in refused.text


def test_a_lead_adds_people_and_changes_roles(
    service: Service, person: Callable[..., Browser]
) -> None:
    lead = person("lena", "lead")
    added = lead.post("/ui/lead/people", {"name": "carol", "role": "reviewer"})
    assert added.status_code == 201 and added.headers["cache-control"] == "no-store"
    password = re.search(r"data-new-password>([^<]+)<", added.text)
    assert password is not None
    carol = person("carol", None, password.group(1))
    assert carol.get("/ui/lead").status_code == 403
    assert lead.post("/ui/lead/people/carol/role", {"role": "lead"}).status_code == 303
    assert carol.get("/ui/lead").status_code == 200  # the role applies at once
    admin = lead.post("/ui/lead/people", {"name": "mallory", "role": "admin"})
    assert admin.status_code == 409 and "may not give the role" in admin.text
    own = lead.post("/ui/lead/people/lena/role", {"role": "reviewer"})
    assert own.status_code == 409
    assert lead.post("/ui/lead/people/carol/active", {"active": "off"}).status_code == 303
    assert carol.get("/ui/lead").status_code == 303  # signed out: back to the sign-in page
    with service.database.session() as session:
        [event] = audit.events(session, verb="user.role")
    assert event.details == {"name": "carol", "from": "reviewer", "to": "lead"}
    assert event.actor == "user:lena"


def test_a_lead_retries_a_failed_delivery(service: Service, person: Callable[..., Browser]) -> None:
    lead = person("lena", "lead")
    _open(service, 1)
    _work(service, "user:rita", "remove", "incitement")

    def attempts() -> tuple[str, int]:
        with service.database.session() as session:
            row = session.query(OutboxAction).one()
            return row.state, row.attempts

    _wait_for(lambda: attempts() == ("failed", 1))
    page = lead.get("/ui/lead/deliveries")
    assert _row(page, 'data-delivery="1"').endswith("Retry")
    assert 'data-delivery-count="failed">1<' in page.text
    retried = lead.post("/ui/lead/deliveries/1/retry", {})
    assert retried.status_code == 303
    _wait_for(lambda: attempts() == ("failed", 2))  # the worker tried it once more
    with service.database.session() as session:
        [event] = audit.events(session, verb="delivery.retry")
    assert event.actor == "user:lena"
    again = lead.post("/ui/lead/deliveries/1/retry", {}, page="/ui/lead/deliveries")
    assert again.status_code == 303  # failed once more, so it can be retried again


def test_an_order_makes_top_priority_cases_with_a_one_hour_clock(
    service: Service, person: Callable[..., Browser]
) -> None:
    lead = person("lena", "lead")
    urgent, listed = _open(service, 1, tier=1), _open(service, 2)
    received = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    order = {
        "authority": "Synthetic Authority",
        "reference": "TCO-REF-7",
        "items": "https://forum.example/p/2\r\nnew-item-9\r\n",
        "received_at": received.strftime("%Y-%m-%dT%H:%M"),
    }
    entered = lead.post("/ui/lead/orders", order)
    assert entered.status_code == 303
    with service.database.session() as session:
        cases = session.query(Case).filter(Case.removal_order_id.is_not(None)).all()
    deadlines = {c.id: as_utc(c.deadline_at) for c in cases if c.deadline_at is not None}
    assert set(deadlines) == {listed, max(deadlines)} and len(deadlines) == 2
    assert set(deadlines.values()) == {received + timedelta(hours=1)}
    assert {c.origin for c in cases if c.id != listed} == {"order"}
    with service.database.session(write=True) as session:
        first = next_case(session, "default", "user:rita", 600)
    assert first is not None and first.id in deadlines and first.id != urgent
    page = lead.get("/ui/lead/orders")
    left = re.search(r'data-seconds-left="(-?\d+)"', page.text)
    assert left is not None and 3300 - 120 < int(left.group(1)) <= 3300 + 60
    assert re.search(r"\d+ min left", page.text) and "TCO-REF-7" in page.text
    missing = lead.post("/ui/lead/orders", order | {"items": " \r\n"})
    assert missing.status_code == 400 and "1 to 500 items" in missing.text


def test_a_lead_sees_agreement_after_a_second_review_and_a_golden_answer(
    service: Service, person: Callable[..., Browser]
) -> None:
    lead = person("lena", "lead")
    assert lead.post("/ui/lead/quality/share", {"share_percent": "100"}).status_code == 303
    with service.database.session() as session:
        assert quality.second_review_share(session) == 1.0
    source = _open(service, 1)
    _work(service, "user:rita", "remove", "incitement")
    assert _work(service, "user:sami", "keep", "news_reporting") == source  # the second review
    made = lead.post("/ui/lead/quality/golden", {"case_id": str(source), "outcome": "remove"})
    assert made.status_code == 303
    golden = _work(service, "user:sami", "remove", "threat")
    assert golden != source
    page = lead.get("/ui/lead/quality")
    assert page.status_code == 200
    assert "0% (0 of 1)" in _row(page, 'data-reviewer="user:rita"')
    sami = _row(page, 'data-reviewer="user:sami"')
    assert "0% (0 of 1)" in sami and "100% (1 of 1)" in sami  # disagreed once, golden right
    assert "100% (1 of 1)" in _row(page, 'data-reason="threat"')
    assert _row(page, f'data-disagreement="{source}"').startswith(f"#{source}")
    assert "yes" in _row(page, f'data-golden-case="{golden}"')
    export = lead.get("/ui/lead/export")
    assert "/api/v1/decisions/export?format=csv" in export.text
    csv = lead.get("/api/v1/decisions/export?format=csv")
    assert csv.status_code == 200 and csv.text.count("\n") == 4  # header and three decisions
