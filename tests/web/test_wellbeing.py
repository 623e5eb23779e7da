"""Wellbeing over real HTTP: an uploaded file that opens a case is kept and served from its own
path with safe headers; display choices set by the organisation and overridden by a reviewer
change how media renders; revealing media and viewing cases count towards today's exposure; a
break prompt appears when one is due and goes when the reviewer takes it. Plus the exposure
clock's rules, tested on the library directly."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import httpx

from raqib.auth.users import add_user
from raqib.review import audit
from raqib.review.cases import open_case
from raqib.review.media import media_for_case
from raqib.review.wellbeing import (
    DisplayChoices,
    display_for,
    exposure_today,
    record_break,
    record_exposure,
    set_own_display,
)
from raqib.store.db import Database
from raqib.store.models_service import Exposure
from raqib.synthetic import make_image
from service_helpers import Service

PASSWORD = "synthetic-password-4711"
SANDBOX = "sandbox; default-src 'none'"


# --- helpers -----------------------------------------------------------------------------------


class Person:
    """A signed-in console user: their Cookie header and CSRF token, sent by hand (a client
    does not send Secure cookies back over plain http)."""

    def __init__(self, service: Service, name: str, role: str = "reviewer") -> None:
        with service.database.session(write=True) as session:
            add_user(session, name, role, PASSWORD, "system:test")
        self.actor = f"user:{name}"
        self.client = httpx.Client(base_url=service.base, timeout=30)
        form = self.client.get("/ui/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token is not None
        signed = self.client.post(
            "/ui/login",
            data={"username": name, "password": PASSWORD, "login_token": token.group(1)},
            headers={"Cookie": f"raqib_login_csrf={form.cookies['raqib_login_csrf']}"},
        )
        assert signed.status_code == 303, signed.text
        self.cookie = f"raqib_session={signed.cookies['raqib_session']}"
        page = self.get("/ui/settings")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        self.csrf = csrf.group(1)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, headers={"Cookie": self.cookie})

    def post(self, path: str, data: dict[str, str], csrf: bool = True) -> httpx.Response:
        body = {**data, "csrf_token": self.csrf} if csrf else data
        return self.client.post(path, data=body, headers={"Cookie": self.cookie})

    def close(self) -> None:
        self.client.close()


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    make_image(seed, (64, 48)).save(out, format="PNG")
    return out.getvalue()


def _report_file(service: Service, name: str, data: bytes, mime: str, external_id: str) -> int:
    fields = {"platform": "test", "external_id": external_id, "reason": "user report"}
    with service.client("submitter") as client:
        answer = client.post("/api/v1/reports", files={"file": (name, data, mime)}, data=fields)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["case_id"])


def _report_text(service: Service, n: int) -> int:
    body = {"text": f"synthetic test post {n}", "external_id": f"t{n}", "reason": "user report"}
    with service.client("submitter") as client:
        answer = client.post("/api/v1/reports", json=body)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["case_id"])


def _settings_form(choices: DisplayChoices) -> dict[str, str]:
    form = {
        "blur_px": str(choices.blur_px),
        "break_after_cases": str(choices.break_after_cases),
        "break_after_minutes": str(choices.break_after_minutes),
        "action": "save",
    }
    form |= {"greyscale": "on"} if choices.greyscale else {}
    form |= {"mute_video": "on"} if choices.mute_video else {}
    form |= {f"warn_{c}": "on" for c, on in choices.warnings.items() if on}
    return form


def _media_classes(page: str) -> str:
    found = re.search(r'<(?:img|video) class="([^"]*)"[^>]*data-media', page)
    assert found is not None, "no media element in the page"
    return found.group(1)


# --- media over HTTP ---------------------------------------------------------------------------


def test_an_uploaded_image_is_kept_and_served_from_its_own_path(service: Service) -> None:
    png = _png(5)
    case_id = _report_file(service, "../../evil<script>.png", png, "text/html", "img1")
    with service.database.session() as session:
        media = media_for_case(session, case_id)
    assert [(m.kind, m.mime, m.size) for m in media] == [("image", "image/png", len(png))]
    assert media[0].filename == "evil<script>.png"
    reviewer = Person(service, "media-reviewer")
    served = reviewer.get(f"/ui/media/{media[0].id}")
    assert served.status_code == 200 and served.content == png
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "private, no-store"
    assert SANDBOX in served.headers.get_list("content-security-policy")
    disposition = served.headers["content-disposition"]
    assert disposition == f'inline; filename="case-{case_id}-media-{media[0].id}.png"'
    # no session: to the sign-in page, never the bytes
    anonymous = httpx.get(f"{service.base}/ui/media/{media[0].id}", follow_redirects=False)
    assert anonymous.status_code == 303 and "/ui/login" in anonymous.headers["location"]
    assert reviewer.get("/ui/media/99999").status_code == 404
    reviewer.close()


def test_a_page_upload_is_served_as_an_octet_stream_attachment(service: Service) -> None:
    page = b"<!doctype html><p>synthetic test page 9</p><script>document.title='x'</script>"
    case_id = _report_file(service, "page.html", page, "text/html", "page1")
    with service.database.session() as session:
        (media,) = media_for_case(session, case_id)
    assert (media.kind, media.mime, media.inline) == ("page", "application/octet-stream", False)
    reviewer = Person(service, "page-reviewer")
    served = reviewer.get(f"/ui/media/{media.id}")
    assert served.status_code == 200 and served.content == page
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["content-disposition"].endswith(f'media-{media.id}.bin"')
    assert SANDBOX in served.headers.get_list("content-security-policy")
    reviewer.close()


def test_an_upload_that_opens_no_case_is_not_kept(service: Service) -> None:
    with service.client("submitter") as client:
        answer = client.post(
            "/api/v1/items",
            files={"file": ("neutral.png", _png(77), "image/png")},
            data={"platform": "test", "external_id": "n1"},
        )
    assert answer.status_code == 200 and answer.json()["case_id"] is None
    media_root = service.settings.home / "media"
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


# --- display choices ---------------------------------------------------------------------------


def test_org_defaults_then_a_personal_override_change_how_media_renders(
    service: Service,
) -> None:
    case_id = _report_file(service, "a.png", _png(6), "image/png", "img2")
    lead = Person(service, "display-lead", "lead")
    reviewer = Person(service, "display-reviewer")
    page = reviewer.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200
    assert set(_media_classes(page.text).split()) == {"media", "blurred", "blur-24", "greyscale"}
    assert "data-reveal" in page.text and 'name="csrf-token"' in page.text

    # the organisation: lighter blur, colour, no warning screen for uncategorised cases
    org = DisplayChoices(blur_px=8, greyscale=False)
    org_form = _settings_form(org)
    del org_form["warn_uncategorised"]
    assert reviewer.post("/ui/settings/org", org_form).status_code == 403
    assert lead.post("/ui/settings/org", org_form).status_code == 303
    with service.database.session() as session:
        seen = display_for(session, reviewer.actor)
        events = audit.events(session)
    assert (seen.blur_px, seen.greyscale, seen.warn_for(None)) == (8, False, False)
    assert any(e.verb == "settings.org" and e.actor == lead.actor for e in events)
    page = reviewer.get(f"/ui/cases/{case_id}")
    assert set(_media_classes(page.text).split()) == {"media", "blurred", "blur-8"}
    assert "data-warning" not in page.text

    # the reviewer's own: stronger blur and greyscale; then back to the organisation's
    own = DisplayChoices(blur_px=40, greyscale=True, break_after_cases=7)
    assert reviewer.post("/ui/settings", _settings_form(own)).status_code == 303
    with service.database.session() as session:
        seen = display_for(session, reviewer.actor)
    assert (seen.blur_px, seen.greyscale, seen.break_after_cases) == (40, True, 7)
    assert seen.warn_for(None) is True  # ticked in their form
    page = reviewer.get(f"/ui/cases/{case_id}")
    assert set(_media_classes(page.text).split()) == {"media", "blurred", "blur-40", "greyscale"}
    assert 'data-following="no"' in reviewer.get("/ui/settings").text
    with service.database.session() as session:
        assert display_for(session, lead.actor).blur_px == 8  # others still follow the org

    assert reviewer.post("/ui/settings", {"action": "reset"}).status_code == 303
    with service.database.session() as session:
        assert display_for(session, reviewer.actor).blur_px == 8
    assert 'data-following="yes"' in reviewer.get("/ui/settings").text
    lead.close()
    reviewer.close()


def test_settings_forms_refuse_bad_values_and_missing_csrf(service: Service) -> None:
    reviewer = Person(service, "careful-reviewer")
    form = _settings_form(DisplayChoices()) | {"blur_px": "13"}
    refused = reviewer.post("/ui/settings", form)
    assert refused.status_code == 400 and "blur_px must be one of" in refused.text
    form = _settings_form(DisplayChoices()) | {"break_after_cases": "-1"}
    assert reviewer.post("/ui/settings", form).status_code == 400
    assert (
        reviewer.post("/ui/settings", _settings_form(DisplayChoices()), csrf=False).status_code
        == 403
    )
    with service.database.session() as session:
        assert display_for(session, reviewer.actor) == DisplayChoices()
    reviewer.close()


# --- exposure and breaks -----------------------------------------------------------------------


def test_case_views_and_reveals_count_and_a_break_prompt_comes_and_goes(
    service: Service,
) -> None:
    reviewer = Person(service, "tired-reviewer")
    with service.database.session(write=True) as session:
        set_own_display(session, reviewer.actor, DisplayChoices(break_after_cases=2))
    image_case = _report_file(service, "b.png", _png(8), "image/png", "img3")
    text_case = _report_text(service, 3)
    with service.database.session() as session:
        (media,) = media_for_case(session, image_case)

    home = reviewer.get("/ui/")
    assert "Today: 0 cases, 0 media revealed" in home.text
    assert "data-break-prompt" not in home.text

    assert reviewer.get(f"/ui/cases/{image_case}").status_code == 200
    revealed = reviewer.client.post(
        f"/ui/cases/{image_case}/revealed",
        data={"media_id": str(media.id)},
        headers={"Cookie": reviewer.cookie, "X-CSRF-Token": reviewer.csrf},
    )
    assert revealed.status_code == 204
    home = reviewer.get("/ui/")
    assert "Today: 1 case, 1 media revealed" in home.text
    assert "data-break-prompt" not in home.text

    # a reveal without the CSRF header, of another case's media, or of no case: refused
    no_csrf = reviewer.client.post(
        f"/ui/cases/{image_case}/revealed", headers={"Cookie": reviewer.cookie}
    )
    assert no_csrf.status_code == 403
    for target, media_id in ((text_case, media.id), (99999, None)):
        wrong = reviewer.client.post(
            f"/ui/cases/{target}/revealed",
            data={} if media_id is None else {"media_id": str(media_id)},
            headers={"Cookie": reviewer.cookie, "X-CSRF-Token": reviewer.csrf},
        )
        assert wrong.status_code == 404

    assert reviewer.get(f"/ui/cases/{text_case}").status_code == 200
    home = reviewer.get("/ui/")
    assert "Today: 2 cases, 1 media revealed" in home.text
    assert "data-break-prompt" in home.text and "a short break helps" in home.text

    took = reviewer.post("/ui/break", {"next": "/ui/"})
    assert took.status_code == 303 and took.headers["location"] == "/ui/"
    home = reviewer.get("/ui/")
    assert "data-break-prompt" not in home.text
    assert "Today: 2 cases, 1 media revealed" in home.text  # the day's count stays
    offsite = reviewer.post("/ui/break", {"next": "https://example.test/"})
    assert offsite.headers["location"] == "/ui/"
    reviewer.close()


# --- the exposure clock (library) --------------------------------------------------------------


def _cases(database: Database, count: int) -> list[int]:
    finding = {
        "item": {"id": "x", "source": "post", "path": "synthetic test post"},
        "signals": [],
        "matches": [],
        "verdict": {"tier": None, "recommended": "review", "reasons": ["synthetic"]},
    }
    with database.session(write=True) as session:
        return [
            int(open_case(session, finding, {}, "key:1", origin="report", reason="r").id)
            for _ in range(count)
        ]


def _seen_at(database: Database, actor: str, case_id: int, at: datetime, media: int = 0) -> None:
    with database.session(write=True) as session:
        session.add(Exposure(actor=actor, case_id=case_id, media=media, at=at))


def test_the_break_clock_counts_a_stretch_of_work_until_a_break(database: Database) -> None:
    actor = "user:clock"
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    first, second, third = _cases(database, 3)
    for minutes, case_id in ((40, first), (30, second), (20, second), (10, first)):
        _seen_at(database, actor, case_id, now - timedelta(minutes=minutes), media=1)
    _seen_at(database, "user:other", third, now - timedelta(minutes=3))
    with database.session() as session:
        today = exposure_today(session, actor, now=now)
    assert (today.cases, today.media, today.cases_since_break) == (2, 4, 2)
    assert today.since_break_minutes == 40 and not today.take_break  # defaults: 25 / 50
    with database.session(write=True) as session:
        set_own_display(session, actor, DisplayChoices(break_after_minutes=30))
    with database.session() as session:
        assert exposure_today(session, actor, now=now).take_break
    with database.session(write=True) as session:
        record_break(session, actor, at=now - timedelta(minutes=1))
    with database.session() as session:
        after = exposure_today(session, actor, now=now)
    assert (after.cases, after.media, after.cases_since_break, after.since_break_minutes) == (
        2,
        4,
        0,
        0,
    )
    assert not after.take_break


def test_a_quiet_quarter_hour_counts_as_a_break(database: Database) -> None:
    actor = "user:quiet"
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    first, second = _cases(database, 2)
    _seen_at(database, actor, first, now - timedelta(minutes=70))
    _seen_at(database, actor, second, now - timedelta(minutes=5))
    with database.session(write=True) as session:
        set_own_display(session, actor, DisplayChoices(break_after_cases=2))
    with database.session() as session:
        today = exposure_today(session, actor, now=now)
    assert (today.cases, today.cases_since_break, today.since_break_minutes) == (2, 1, 5)
    assert not today.take_break  # two cases today, but only one since the quiet hour


def test_yesterday_does_not_count_and_a_long_pause_is_a_break(database: Database) -> None:
    actor = "user:days"
    now = datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0)
    first, second = _cases(database, 2)
    _seen_at(database, actor, first, now - timedelta(hours=1), media=4)  # yesterday (UTC)
    _seen_at(database, actor, second, now - timedelta(minutes=10), media=1)
    with database.session() as session:
        today = exposure_today(session, actor, now=now)
        paused = exposure_today(session, actor, now=now + timedelta(minutes=20))
    assert (today.cases, today.media, today.cases_since_break, today.since_break_minutes) == (
        1,
        1,
        1,
        10,
    )
    # nothing seen for 30 minutes: the stretch is over, the day's count is not
    assert (paused.cases, paused.cases_since_break, paused.since_break_minutes) == (1, 0, 0)


def test_record_exposure_counts_each_case_once_a_day(database: Database) -> None:
    actor = "user:views"
    first, second = _cases(database, 2)
    with database.session(write=True) as session:
        for case_id, media in ((first, 0), (first, 0), (first, 2), (second, 0)):
            record_exposure(session, actor, case_id, media_revealed=media)
    with database.session() as session:
        today = exposure_today(session, actor)
        other = exposure_today(session, "user:nobody")
    assert (today.cases, today.media, today.cases_since_break) == (2, 2, 2)
    assert (other.cases, other.media, other.take_break) == (0, 0, False)
