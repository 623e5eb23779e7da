"""The console's Content-Security-Policy: on every /ui page, static file and media response
(over plain HTTP, for anonymous, reviewer and lead callers), never allowing inline script; and in
Chromium, no page of the console reports a CSP violation (its own markup needs no exemption)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from browser_helpers import (
    Console,
    Watched,
    add_person,
    browser,
    console,
    forbids_inline_script,
    hook,
    http_sign_in,
    import_bank,
    png_bytes,
    sign_in,
    submit_file,
    submit_text,
    watched,
)
from fastapi.routing import APIRoute

from raqib.web.render import STATIC
from raqib.web.routes import UI_PREFIX, UI_ROUTERS

__all__ = ["browser", "console", "hook", "watched"]  # fixtures, imported for pytest

KNOWN_TEXT = "synthetic known text 5: a neutral placeholder sentence for the console tests"
MEDIA_LINK = re.compile(r'/ui/media/[^"\'\s<>]+')
PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass
class Fetched:
    url: str
    who: str
    status: int
    kind: str
    policies: list[str]  # every Content-Security-Policy header (all of them are enforced)
    nosniff: bool


def _strict(fetched: Fetched) -> bool:
    """A CSP is present, no policy given allows inline script, and nosniff is set."""
    policies = fetched.policies
    return bool(policies) and fetched.nosniff and all(forbids_inline_script(p) for p in policies)


def _seed(console: Console) -> dict[str, str]:
    """Cases of each kind (a matched text, a reported image, a reported saved page), a reviewer
    and a lead; the values that fill the console's path parameters."""
    service = console.service
    import_bank(service, "csp-known", [f"raw_text {KNOWN_TEXT}"])
    text_case = submit_text(service, KNOWN_TEXT, "t1")
    image_case = submit_file(service, "i.png", png_bytes(11), "image/png", "i1", "user report")
    page = b"<html><body><p>synthetic test page 3</p></body></html>"
    submit_file(service, "p.html", page, "text/html", "p1", "user report")
    add_person(service, "csp-reviewer")
    add_person(service, "csp-lead", "lead")
    return {"case_id": str(image_case), "text_case": str(text_case), "queue": "default"}


def _ui_get_paths(values: dict[str, str]) -> list[str]:
    """Every GET page the console's routers declare, its path parameters filled in."""
    paths = []
    for router in UI_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in (route.methods or ()):
                path = UI_PREFIX + PATH_PARAM.sub(lambda m: _value(m.group(1), values), route.path)
                paths.append(path)
    return sorted(set(paths))


def _value(name: str, values: dict[str, str]) -> str:
    if name in values:
        return values[name]
    if "queue" in name or name == "name":
        return values["queue"]
    return values["case_id"] if name.endswith("id") else "1"


def _fetch(client: httpx.Client, url: str, who: str) -> Fetched:
    answer = client.get(url)
    return Fetched(
        url,
        who,
        answer.status_code,
        answer.headers.get("content-type", ""),
        answer.headers.get_list("content-security-policy"),
        answer.headers.get("x-content-type-options", "").lower() == "nosniff",
    )


def _media_urls(console: Console, headers: dict[str, str], case_id: str) -> list[str]:
    with httpx.Client(base_url=console.base, headers=headers, timeout=30) as client:
        page = client.get(f"/ui/cases/{case_id}")
    assert page.status_code == 200, page.text[:500]
    return sorted(set(MEDIA_LINK.findall(page.text)))


def test_every_console_response_carries_a_strict_csp(console: Console) -> None:
    values = _seed(console)
    callers = {
        "anonymous": {},
        "reviewer": http_sign_in(console.base, "csp-reviewer"),
        "lead": http_sign_in(console.base, "csp-lead"),
    }
    media = _media_urls(console, callers["reviewer"], values["case_id"])
    assert media, "the image case's page links no /ui/media/... file"
    values["media_id"] = media[0].rsplit("/", 1)[1]
    pages = _ui_get_paths(values)
    assert {"/ui/login", "/ui/", f"/ui/cases/{values['case_id']}"} <= set(pages), pages
    assert any(p.startswith("/ui/lead") for p in pages), pages
    statics = [f"/ui/static/{p.name}" for p in sorted(STATIC.iterdir()) if p.is_file()]
    assert {"/ui/static/console.js", "/ui/static/wellbeing.js"} <= set(statics)
    fetched: list[Fetched] = []
    for who, headers in callers.items():
        with httpx.Client(base_url=console.base, headers=headers, timeout=30) as client:
            fetched += [_fetch(client, url, who) for url in [*pages, *statics, *media]]
            fetched.append(_fetch(client, "/ui/no-such-page", who))
    lax = [(f.url, f.who, f.status, f.policies) for f in fetched if not _strict(f)]
    assert not lax, lax
    assert not [(f.url, f.who, f.status) for f in fetched if f.status >= 500]
    served = {(f.url, f.who) for f in fetched if f.status == 200}
    assert {(url, "reviewer") for url in [*statics, *media]} <= served, served
    assert {("/ui/", "lead"), (f"/ui/cases/{values['case_id']}", "lead")} <= served, served


def test_media_is_served_as_a_download_that_is_never_sniffed(console: Console) -> None:
    values = _seed(console)
    headers = http_sign_in(console.base, "csp-reviewer")
    media = _media_urls(console, headers, values["case_id"])
    with httpx.Client(base_url=console.base, headers=headers, timeout=30) as client:
        answers = [client.get(url) for url in media]
        anonymous = httpx.get(console.base + media[0], timeout=30)
    for answer in answers:
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers.get("content-disposition", "").startswith(("attachment", "inline"))
        assert "html" not in answer.headers["content-type"]
    assert any(a.content.startswith(b"\x89PNG") for a in answers)
    assert anonymous.status_code in (303, 401, 403) and not anonymous.content.startswith(b"\x89")


def test_console_pages_raise_no_csp_violation_in_the_browser(
    console: Console, watched: Watched
) -> None:
    values = _seed(console)
    lead = http_sign_in(console.base, "csp-lead")
    with httpx.Client(base_url=console.base, headers=lead, timeout=30) as client:
        html = [
            url
            for url in _ui_get_paths(values)
            if url != "/ui/login"
            and (got := client.get(url)).status_code == 200
            and got.headers["content-type"].startswith("text/html")
        ]
    assert len(html) >= 4, html
    page = watched.page
    page.goto(f"{console.base}/ui/login")
    seen = {"/ui/login": watched.csp_violations()}
    sign_in(page, console.base, "csp-lead")
    for url in html:
        answer = page.goto(console.base + url)
        assert answer is not None and answer.status == 200, url
        page.wait_for_load_state("load")
        seen[url] = watched.csp_violations()
    assert not {url: found for url, found in seen.items() if found}
    assert len(watched.responses) > len(html), "the browser saw the console's responses"
    assert not watched.responses_without_strict_csp(), watched.responses_without_strict_csp()
    assert not watched.csp_console_errors(), watched.csp_console_errors()
    assert not watched.outside and not watched.dialogs
