"""The console's core pages over real HTTP: home with its queues, next, the case page (escaped
hostile markup, highlighted indicator spans), decide then next, skip, comments, the lead's
reassign and escalate, one decision over a cluster of similar cases, and CSRF.

The session cookie is Secure, which a client keeps to itself over plain http: the tests send it
by hand in a Cookie header, as tests/api/test_api_service.py does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from raqib.auth.users import add_user
from raqib.review import audit, claims, decisions
from raqib.review.cases import case_row, case_view, open_case
from raqib.review.intake import assess_text
from raqib.review.quality import make_golden
from raqib.review.queues import create_queue
from service_helpers import Service, console_sign_in

PASSWORD = "correct horse battery staple"
NEWS = "synthetic test post 17: officials said Daesh lost territory, a report found"
HOSTILE = (
    'synthetic test post 18 <script>alert("x")</script> <img src=x onerror=alert(1)> '
    '<a href="javascript:alert(2)">click</a>'
)
MIXED = "synthetic test post 19\nذهب الطالب إلى المدرسة and then home"


@dataclass
class Browser:
    """A signed-in console user: an httpx client with the session cookie and CSRF token."""

    client: httpx.Client
    csrf: str
    actor: str

    def post(self, path: str, data: dict[str, str | list[str]] | None = None) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})})

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)


@pytest.fixture
def browsers(service: Service) -> Iterator[list[httpx.Client]]:
    opened: list[httpx.Client] = []
    yield opened
    for client in opened:
        client.close()


def _sign_in(service: Service, browsers: list[httpx.Client], name: str, role: str) -> Browser:
    with service.database.session(write=True) as session:
        add_user(session, name, role, PASSWORD, "system:test")
    cookie = console_sign_in(service.base, name, PASSWORD, next_path="/ui/")
    client = httpx.Client(base_url=service.base, headers=cookie, timeout=30)
    browsers.append(client)
    home = client.get("/ui/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert home.status_code == 200 and csrf is not None
    return Browser(client, csrf[1], f"user:{name}")


def _report(service: Service, text: str, external_id: str, url: str | None = None) -> int:
    body = {"text": text, "reason": "user report", "platform": "test", "external_id": external_id}
    body |= {"author_id": "author-7", "url": url or f"https://example.test/{external_id}"}
    with service.client("submitter") as client:
        answer = client.post("/api/v1/reports", json=body)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["case_id"])


def _case_id(location: str) -> int:
    found = re.fullmatch(r"/ui/cases/(\d+)\?queue=default", location)
    assert found is not None, location
    return int(found[1])


def test_home_lists_the_queues_with_counts_and_exposure(
    service: Service, browsers: list[httpx.Client]
) -> None:
    with httpx.Client(base_url=service.base) as anonymous:
        away = anonymous.get("/ui/")
    assert away.status_code == 303 and away.headers["location"].startswith("/ui/login")
    first, second = _report(service, NEWS, "h1"), _report(service, NEWS, "h2")
    with service.database.session(write=True) as session:
        create_queue(session, "urgent", "system:test", "top tier")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    page = rita.get("/ui/")
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    rows = dict(re.findall(r'<tr data-queue="([^"]+)">.*?data-open-count="(\d+)"', page.text, re.S))
    assert rows == {"default": "2", "urgent": "0"}
    assert 'action="/ui/queues/default/next"' in page.text
    assert 'action="/ui/queues/urgent/next"' in page.text
    assert re.search(r'<td class="oldest"><time datetime="[^"]+">0 min</time>', page.text)
    assert "Today: 0 cases, 0 media revealed" in page.text
    listed = rita.get("/ui/queues/default")
    assert re.findall(r'data-case-id="(\d+)"', listed.text) == [str(first), str(second)]
    assert rita.get("/ui/queues/nowhere").status_code == 404


def test_next_claims_the_top_case_and_an_empty_queue_goes_home(
    service: Service, browsers: list[httpx.Client]
) -> None:
    first = _report(service, NEWS, "n1")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    started = rita.post("/ui/queues/default/next")
    assert started.status_code == 303 and _case_id(started.headers["location"]) == first
    with service.database.session() as session:
        assert case_view(session, first).claimed_by == "user:rita"
    page = rita.get(started.headers["location"])
    assert page.status_code == 200 and "Your claim:" in page.text
    assert re.search(r'data-countdown data-seconds="(8\d\d|900)"', page.text)
    assert "Today: 1 case," in page.text  # the view counted towards today's exposure
    with service.database.session(write=True) as session:
        claims.release(session, first, "user:rita")
        claims.claim(session, first, "user:someone", 60)
    empty = rita.post("/ui/queues/default/next")
    assert empty.status_code == 303
    location = urlsplit(empty.headers["location"])
    assert location.path == "/ui/" and parse_qs(location.query)["notice"] == ["empty"]
    assert "Queue empty" in rita.get(empty.headers["location"]).text


def test_the_case_page_shows_hostile_markup_as_inert_text(
    service: Service, browsers: list[httpx.Client]
) -> None:
    case_id = _report(service, HOSTILE, "x1", url="javascript:alert(3)")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    page = rita.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert (
        'href="javascript:' not in html and "&lt;a href=&#34;javascript:alert(2)&#34;&gt;" in html
    )
    assert (
        '<code class="url" dir="ltr" translate="no" data-item-url>javascript:alert(3)</code>'
        in html
    )
    # only the console's own two scripts, no inline style or handler anywhere
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/ui/static/console.js" defer>',
        '<script src="/ui/static/wellbeing.js" defer>',
    ]
    assert " style=" not in html and not re.search(r"<[^>]+\son[a-z]+=", html)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # a queue named in the address that does not exist is not where "next" goes
    odd = rita.get(f"/ui/cases/{case_id}?queue=../../api/v1/cases").text
    assert 'action="/ui/queues/default/next"' in odd and "../" not in odd


def test_a_saved_page_shows_its_text_and_injected_script_as_text(
    service: Service, browsers: list[httpx.Client]
) -> None:
    page = (
        "<html><head><title>synthetic page 21</title></head><body><p>synthetic test post 21: "
        "a quoted &lt;script&gt;alert(9)&lt;/script&gt; tag</p>"
        '<script>eval(atob("YWxlcnQoMSk="))</script><img src=x onerror="alert(1)"></body></html>'
    )
    with service.client("submitter") as client:
        answer = client.post(
            "/api/v1/reports",
            data={"reason": "user report", "platform": "test", "external_id": "page1"},
            files={"file": ("saved.html", page.encode(), "text/html")},
        )
    assert answer.status_code == 200, answer.text
    rita = _sign_in(service, browsers, "rita", "reviewer")
    html = rita.get(f"/ui/cases/{answer.json()['case_id']}").text
    assert "a quoted &lt;script&gt;alert(9)&lt;/script&gt; tag" in html
    assert "Scripts injected into the saved page" in html
    assert "eval(atob(&#34;YWxlcnQoMSk=&#34;))" in html and "<script>eval" not in html
    assert len(re.findall(r"<script", html)) == 2 and "<img src=x" not in html


def test_the_case_page_highlights_indicator_spans_per_paragraph(
    service: Service, browsers: list[httpx.Client]
) -> None:
    news = _report(service, NEWS, "m1")
    mixed = _report(service, MIXED, "m2")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    html = rita.get(f"/ui/cases/{news}").text
    assert re.search(r'<mark title="[^"]*Daesh">Daesh</mark>', html)
    assert '<p dir="auto">synthetic test post 17: officials said <mark' in html
    assert "bar-fill w-" in html and "Matched signals" in html
    lines = re.findall(r'<p dir="auto">([^<]*)</p>', rita.get(f"/ui/cases/{mixed}").text)
    assert lines[:2] == ["synthetic test post 19", "ذهب الطالب إلى المدرسة and then home"]


def test_a_case_keeps_its_whole_text_when_opened_with_it(
    service: Service, browsers: list[httpx.Client]
) -> None:
    state = service.app.state.raqib
    long_text = NEWS + " " + " ".join(f"filler{n}" for n in range(150)) + " closing words"
    meta = {"platform": "test", "external_id": "long1"}
    finding = assess_text(long_text, meta, state.settings, state.analyzer, state.matcher)
    assert finding["text"]["excerpt"]["more"] is True  # the excerpt alone would cut the text
    with service.database.session(write=True) as session:
        case_id = open_case(session, finding, {**meta, "text": long_text}, "system:test").id
    assert "text" not in finding["item"]  # the caller's finding is left as it was
    rita = _sign_in(service, browsers, "rita", "reviewer")
    html = rita.get(f"/ui/cases/{case_id}").text
    assert "filler149 closing words" in html and "the text goes on" not in html


def test_deciding_records_the_decision_and_opens_the_next_case(
    service: Service, browsers: list[httpx.Client]
) -> None:
    first, second = _report(service, NEWS, "d1"), _report(service, NEWS + " again", "d2")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    case_url = rita.post("/ui/queues/default/next").headers["location"]
    assert _case_id(case_url) == first
    page = rita.get(case_url).text
    for key, outcome in (("r", "remove"), ("k", "keep"), ("s", None)):
        button = f'data-shortcut="{key}"'
        assert button in page and (outcome is None or f'value="{outcome}"' in page)
    assert 'data-default-reason="incitement"' in page and "data-shortcut-help" in page
    wrong = rita.post(
        f"/ui/cases/{first}/decide",
        {"outcome": "remove", "reason_remove": "news_reporting", "queue": "default"},
    )
    assert wrong.status_code == 400 and "does not fit outcome" in wrong.text
    decided = rita.post(
        f"/ui/cases/{first}/decide",
        {"outcome": "remove", "reason_remove": "incitement", "note": "n1", "queue": "default"},
    )
    assert decided.status_code == 303 and _case_id(decided.headers["location"]) == second
    with service.database.session() as session:
        assert case_view(session, first).state == "decided"
        assert case_view(session, second).claimed_by == "user:rita"
    history = rita.get(f"/ui/cases/{first}").text
    assert "remove (incitement) by user:rita" in history and "data-decide-form" not in history
    last = rita.post(
        f"/ui/cases/{second}/decide",
        {"outcome": "not_terrorist_content", "reason_not_terrorist_content": "unrelated"},
    )
    assert last.status_code == 303 and urlsplit(last.headers["location"]).path == "/ui/"


def test_skip_gives_the_case_back_and_opens_another(
    service: Service, browsers: list[httpx.Client]
) -> None:
    first, second = _report(service, NEWS, "s1"), _report(service, NEWS + " two", "s2")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    assert _case_id(rita.post("/ui/queues/default/next").headers["location"]) == first
    skipped = rita.post(f"/ui/cases/{first}/skip", {"queue": "default"})
    assert skipped.status_code == 303 and _case_id(skipped.headers["location"]) == second
    with service.database.session() as session:
        assert case_view(session, first).claimed_by is None
        assert case_view(session, second).claimed_by == "user:rita"


def test_comments_are_shown_escaped_and_audited(
    service: Service, browsers: list[httpx.Client]
) -> None:
    case_id = _report(service, NEWS, "c1")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    added = rita.post(f"/ui/cases/{case_id}/comment", {"text": "see <b>case</b> 12"})
    assert added.status_code == 303
    assert added.headers["location"] == f"/ui/cases/{case_id}?notice=commented#comments"
    html = rita.get(added.headers["location"]).text
    assert "see &lt;b&gt;case&lt;/b&gt; 12" in html and "Comment added." in html
    empty = rita.post(f"/ui/cases/{case_id}/comment", {"text": "  "})
    assert empty.status_code == 400
    with service.database.session() as session:
        events = list(audit.events(session, verb="case.comment"))
    assert [(e.actor, e.object_id) for e in events] == [("user:rita", str(case_id))]


def test_only_a_lead_reassigns_and_escalates(
    service: Service, browsers: list[httpx.Client]
) -> None:
    case_id = _report(service, NEWS, "l1")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    lena = _sign_in(service, browsers, "lena", "lead")
    assert "Reassign to" not in rita.get(f"/ui/cases/{case_id}").text
    refused = rita.post(f"/ui/cases/{case_id}/reassign", {"target": "user:rita"})
    assert refused.status_code == 403 and "may not open this page" in refused.text
    assert rita.post(f"/ui/cases/{case_id}/escalate", {"target": ""}).status_code == 403
    assert "Reassign to" in lena.get(f"/ui/cases/{case_id}").text
    moved = lena.post(f"/ui/cases/{case_id}/reassign", {"target": "user:rita"})
    assert moved.status_code == 303 and "notice=reassigned" in moved.headers["location"]
    with service.database.session() as session:
        assert case_view(session, case_id).assigned_to == "user:rita"
    raised = lena.post(f"/ui/cases/{case_id}/escalate", {"target": "user:lena", "note": "x"})
    assert raised.status_code == 303
    with service.database.session() as session:
        view = case_view(session, case_id)
    assert view.escalated and view.assigned_to == "user:lena"
    bad = lena.post(f"/ui/cases/{case_id}/reassign", {"target": "rita"})
    assert bad.status_code == 400 and "kind:name" in bad.text


def test_one_decision_covers_the_open_cases_of_a_cluster(
    service: Service, browsers: list[httpx.Client]
) -> None:
    ids = [_report(service, NEWS, f"k{n}") for n in range(4)]
    other = _report(service, NEWS + " different", "k9")
    with service.database.session(write=True) as session:
        clusters = {case_row(session, i).cluster for i in ids}
        assert len(clusters) == 1 and clusters != {case_row(session, other).cluster}
        claims.claim(session, ids[3], "user:someone", 600)  # held elsewhere: skipped
    rita = _sign_in(service, browsers, "rita", "reviewer")
    assert _case_id(rita.post("/ui/queues/default/next").headers["location"]) == ids[0]
    page = rita.get(f"/ui/cases/{ids[0]}").text
    assert "Similar cases (3)" in page and "data-bulk-form" in page
    assert f'data-similar-id="{other}"' not in page
    chosen = [str(i) for i in ids] + [str(other)]  # a case of another cluster is ignored
    answer = rita.post(
        f"/ui/cases/{ids[0]}/cluster",
        {"case_id": chosen, "outcome": "keep", "reason_code": "news_reporting", "queue": "default"},
    )
    assert answer.status_code == 303
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["decided"] == ["3"] and query["skipped"] == ["1"]
    with service.database.session() as session:
        states = [case_view(session, i).state for i in [*ids, other]]
    assert states == ["decided", "decided", "decided", "open", "open"]
    assert "Bulk decision: 3 decided, 1 skipped." in rita.get(answer.headers["location"]).text


def test_a_change_without_the_csrf_token_gets_a_403_page(
    service: Service, browsers: list[httpx.Client]
) -> None:
    case_id = _report(service, NEWS, "f1")
    rita = _sign_in(service, browsers, "rita", "reviewer")
    for path in ("/ui/queues/default/next", f"/ui/cases/{case_id}/comment"):
        refused = rita.client.post(path, data={"text": "hello", "csrf_token": "wrong"})
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
        assert "This form has expired" in refused.text
        missing = rita.client.post(path, data={"text": "hello"})
        assert missing.status_code == 403
    with service.database.session() as session:
        assert case_view(session, case_id).claimed_by is None


def test_a_golden_case_passes_for_an_ordinary_one_except_to_leads(
    service: Service, browsers: list[httpx.Client]
) -> None:
    source = _report(service, NEWS, "g1")
    with service.database.session(write=True) as session:
        claims.claim(session, source, "user:someone", 60)
        decisions.decide(
            session, source, "user:someone", "keep", "news_reporting", "", service.settings
        )
        golden = make_golden(session, source, "keep", "user:lead").id
    rita = _sign_in(service, browsers, "rita", "reviewer")
    lena = _sign_in(service, browsers, "lena", "lead")
    seen = rita.get(f"/ui/cases/{golden}").text
    assert "<li>Origin report</li>" in seen and "golden" not in seen.lower()
    shown = lena.get(f"/ui/cases/{golden}").text
    assert "<li>Origin golden</li>" in shown and "golden (known answer)" in shown
