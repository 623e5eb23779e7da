"""The review console in a real browser (Debian's Chromium driven by Playwright): a reviewer's
whole working loop, a hostile item that must stay inert text, right-to-left text in its right
order, and a reviewer kept out of a lead's pages.

Set RAQIB_UPDATE_SCREENSHOTS=1 to (re)write the stored expectation images in expected/."""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
from pathlib import Path

import httpx
import numpy as np
from browser_helpers import (
    Console,
    Watched,
    add_person,
    browser,
    console,
    hook,
    import_bank,
    payload,
    png_bytes,
    sign_in,
    submit_file,
    submit_text,
    wait_for_calls,
    watched,
)
from PIL import Image

from raqib.review import webhooks

__all__ = ["browser", "console", "hook", "watched"]  # fixtures, imported for pytest

EXPECTED = Path(__file__).with_name("expected")
UPDATE = os.environ.get("RAQIB_UPDATE_SCREENSHOTS") == "1"
# Mean absolute difference per channel (0-255). The same machine renders identically (0.0);
# the Arabic line drawn left to right differs by ~8, two English words swapped by ~1.6.
MAX_MEAN_DIFFERENCE = 1.0
FLOW_TEXT = "synthetic known text 7: a neutral placeholder sentence for the console flow test"
HOSTILE = (
    "<script>window.__pwned=1;alert(1)</script>"
    '<img src=x onerror="window.__pwned=2;alert(2)">'
    '<a href="javascript:window.__pwned=3;alert(3)">synthetic link</a>'
    '<img src="http://203.0.113.5/x.png">'
)
# The test's own code (init scripts run before the page's and are not subject to its CSP):
# after DOMContentLoaded, record every DOM change as "<where> <type>".
MUTATION_RECORDER = """
window.__mutations = [];
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver((records) => {
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const where = node && node.closest("[data-item-text]") ? "item-text" :
        (node && node.closest("[data-countdown]") ? "countdown" : (node ? node.tagName : "?"));
      window.__mutations.push(where + " " + record.type);
    }
  }).observe(document.documentElement,
             {subtree: true, childList: true, attributes: true, characterData: true});
});
"""
# In an RTL paragraph the first word (in logical order) is drawn rightmost; in an LTR one,
# leftmost. Returns the x of the start of `word` inside the paragraph `index`.
WORD_X = """([index, word]) => {
  const p = document.querySelectorAll("[data-item-text] p")[index];
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      return range.getBoundingClientRect().x;
    }
  }
  return null;
}"""
ITEM_TEXT = "[data-item-text]"


def _add_entries(console: Console, bank: str, entries: list[dict[str, object]]) -> None:
    with console.service.client("curator") as client:
        added = client.post(f"/api/v1/banks/{bank}/entries", json={"entries": entries})
    assert added.status_code == 201, added.text


def _blur(page: Watched, selector: str) -> str:
    return str(page.page.eval_on_selector(selector, "el => getComputedStyle(el).filter"))


def test_a_reviewer_reveals_decides_by_key_and_the_platform_gets_a_signed_call(
    console: Console, watched: Watched
) -> None:
    image = png_bytes(21)
    import_bank(console.service, "flow-known", [f"raw_text {FLOW_TEXT}"])
    sha256 = hashlib.sha256(image).hexdigest()
    _add_entries(console, "flow-known", [{"signal": f"sha256 {sha256}", "tier": 1}])
    text_case = submit_text(console.service, FLOW_TEXT, "flow-text")
    image_case = submit_file(
        console.service, "flow.png", image, "image/png", "flow-image", "user report"
    )
    add_person(console.service, "flow-reviewer")
    page, base = watched.page, console.base

    sign_in(page, base, "flow-reviewer")
    assert page.url == f"{base}/ui/"
    row = page.locator("tr[data-queue='default']")
    assert row.locator("[data-open-count]").get_attribute("data-open-count") == "2"
    with page.expect_navigation():
        row.locator("a[href='/ui/queues/default']").click()
    listed = page.locator("table.case-list tr[data-case-id]")
    assert [listed.nth(i).get_attribute("data-case-id") for i in range(2)] == [
        str(image_case),
        str(text_case),
    ]
    with page.expect_navigation():
        page.click("form[action='/ui/queues/default/next'] button[type=submit]")
    assert re.fullmatch(rf"{base}/ui/cases/{image_case}(\?.*)?", page.url), page.url
    assert re.fullmatch(r"\d+:\d\d", page.inner_text("[data-claim] [data-countdown]"))

    figure = "figure[data-media-id] img[data-media][src^='/ui/media/']"
    # uncategorised media wait behind a warning screen by default
    assert page.is_visible("[data-warning]") and not page.is_visible(figure)
    page.click("[data-warning] button[data-show-media]")
    page.wait_for_function(f'document.querySelector("{figure}").complete')
    before = _blur(watched, figure)
    assert "blur(24px)" in before and "grayscale(1)" in before, before
    with page.expect_response(lambda r: r.url.endswith(f"/ui/cases/{image_case}/revealed")) as hit:
        page.click("figure[data-media-id] button[data-reveal]")
    assert hit.value.status == 204
    page.wait_for_function(
        f'!/blur\\((?!0px)/.test(getComputedStyle(document.querySelector("{figure}")).filter)'
    )
    after = _blur(watched, figure)
    assert after != before and "blur(24px)" not in after, after
    assert page.get_attribute("button[data-reveal]", "aria-pressed") == "true"

    page.focus("body")
    with page.expect_navigation():
        page.keyboard.press("r")  # remove, with the reason chosen beside it (incitement)
    assert re.fullmatch(rf"{base}/ui/cases/{text_case}(\?.*)?", page.url), page.url
    assert page.is_visible("[data-decide-panel]")

    wait_for_calls(console.hook)
    headers, body = console.hook.calls[0]
    assert webhooks.verify(
        console.secret, headers["x-raqib-timestamp"], headers["x-raqib-signature"], body
    )
    assert not webhooks.verify(
        "another-secret", headers["x-raqib-timestamp"], headers["x-raqib-signature"], body
    )
    sent = payload(body)
    assert (sent["case_id"], sent["outcome"], sent["reason_code"]) == (
        image_case,
        "remove",
        "incitement",
    )
    assert sent["external_id"] == "flow-image" and "flow-reviewer" in sent["reviewer"]
    assert not watched.csp_violations() and not watched.console_errors, watched.console_errors
    media_seen = [r.url for r in watched.responses if "/ui/media/" in r.url]
    assert media_seen and not watched.responses_without_strict_csp()
    assert not watched.outside and not watched.dialogs


def _hostile_page() -> bytes:
    """A saved page carrying live markup, and the same markup as visible (escaped) text."""
    return (
        "<!doctype html><html><head><title>synthetic page 32</title></head><body>"
        f"<p>synthetic test page 32</p>{HOSTILE}<p>{html.escape(HOSTILE)}</p>"
        "</body></html>"
    ).encode()


def _assert_inert(watched: Watched, base: str, case_id: int) -> None:
    """Open the case page and prove that nothing of the item's markup ran or changed the page."""
    page = watched.page
    answer = page.goto(f"{base}/ui/cases/{case_id}")
    assert answer is not None and answer.status == 200
    source = answer.text()
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)  # time for a timer or a late handler to fire, if any existed
    shown = page.inner_text(ITEM_TEXT)
    assert "<script>window.__pwned=1;alert(1)</script>" in shown, shown
    assert 'onerror="window.__pwned=2;alert(2)"' in shown and "javascript:window" in shown
    live = page.locator(f"{ITEM_TEXT} script, {ITEM_TEXT} img, {ITEM_TEXT} a, {ITEM_TEXT} iframe")
    assert live.count() == 0
    assert page.locator("a[href^='javascript:'], [onerror], img[src^='http']").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not watched.dialogs, watched.dialogs
    assert not watched.outside, watched.outside
    assert not watched.csp_violations(), watched.csp_violations()  # nothing even tried to run
    mutations = page.evaluate("window.__mutations")
    assert not [m for m in mutations if not m.startswith("countdown ")], mutations
    served = page.evaluate(
        """(source) => new DOMParser().parseFromString(source, "text/html")
             .querySelector("[data-item-text]").innerHTML""",
        source,
    )
    assert page.inner_html(ITEM_TEXT) == served  # the live DOM is the server's markup


def test_a_hostile_page_and_text_show_as_inert_text(console: Console, watched: Watched) -> None:
    text_case = submit_text(
        console.service, f"synthetic test post 31\n{HOSTILE}", "hostile-text", "user report"
    )
    page_case = submit_file(
        console.service, "saved.html", _hostile_page(), "text/html", "hostile-page", "user report"
    )
    add_person(console.service, "hostile-reviewer")
    watched.page.context.add_init_script(MUTATION_RECORDER)
    sign_in(watched.page, console.base, "hostile-reviewer")
    _assert_inert(watched, console.base, text_case)
    _assert_inert(watched, console.base, page_case)
    # the saved page itself is only ever a download, never a document of the console's origin
    link = watched.page.locator("figure[data-media-id] a.media-open").first
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/ui/media/")
    cookies = {c["name"]: c["value"] for c in watched.page.context.cookies()}
    saved = httpx.get(
        console.base + href,
        headers={"Cookie": f"raqib_session={cookies['raqib_session']}"},
        timeout=30,
    )
    assert saved.status_code == 200 and saved.content == _hostile_page()
    assert saved.headers["content-disposition"].startswith("attachment")
    assert saved.headers["x-content-type-options"] == "nosniff"
    assert "html" not in saved.headers["content-type"]


RTL_LINES = (
    "ذهب Ahmed Hassan إلى المكتبة في الساعة 10 ومعه 25 كتابا",
    "Meeting note 3: المكتبة تفتح في الساعة 9 صباحا",
)


def _compare_screenshot(actual: bytes, name: str) -> None:
    target = EXPECTED / name
    if UPDATE or not target.exists():
        assert UPDATE, f"{target} is missing: run with RAQIB_UPDATE_SCREENSHOTS=1 to write it"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(actual)
        return
    got = np.asarray(Image.open(io.BytesIO(actual)).convert("RGB"), dtype=np.float64)
    want = np.asarray(Image.open(target).convert("RGB"), dtype=np.float64)
    assert got.shape == want.shape, f"screenshot size {got.shape} != expected {want.shape}"
    difference = float(np.abs(got - want).mean())
    assert difference < MAX_MEAN_DIFFERENCE, f"{name}: mean pixel difference {difference:.2f}"


def test_right_to_left_text_renders_in_its_order(console: Console, watched: Watched) -> None:
    case_id = submit_text(console.service, "\n".join(RTL_LINES), "rtl-1", "user report")
    add_person(console.service, "rtl-reviewer")
    page = watched.page
    sign_in(page, console.base, "rtl-reviewer")
    page.goto(f"{console.base}/ui/cases/{case_id}")
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready")
    paragraphs = page.locator(f"{ITEM_TEXT} p:not(.clip)")
    assert paragraphs.count() == 2
    assert [paragraphs.nth(i).text_content() for i in range(2)] == list(RTL_LINES)
    directions = [
        paragraphs.nth(i).evaluate("p => [getComputedStyle(p).direction, p.matches(':dir(rtl)')]")
        for i in range(2)
    ]
    assert directions == [["rtl", True], ["ltr", False]], directions
    # drawn order: the Arabic line starts at the right, the English line at the left
    first_ar, name = page.evaluate(WORD_X, [0, "ذهب"]), page.evaluate(WORD_X, [0, "Ahmed"])
    first_en, later = page.evaluate(WORD_X, [1, "Meeting"]), page.evaluate(WORD_X, [1, "المكتبة"])
    assert first_ar > name and first_en < later, (first_ar, name, first_en, later)
    assert page.evaluate(WORD_X, [0, "Hassan"]) > name  # an English run keeps its own order
    _compare_screenshot(page.locator(ITEM_TEXT).screenshot(animations="disabled"), "rtl_text.png")
    assert not watched.csp_violations()


def test_a_reviewer_cannot_open_a_leads_pages(console: Console, watched: Watched) -> None:
    add_person(console.service, "plain-reviewer")
    add_person(console.service, "team-lead", "lead")
    page, base = watched.page, console.base
    sign_in(page, base, "plain-reviewer")
    assert page.locator("header.top nav a[href='/ui/lead']").count() == 0
    for path in ("/ui/lead", "/ui/lead/people", "/ui/lead/deliveries", "/ui/settings/org"):
        answer = page.goto(base + path)
        assert answer is not None and answer.status == 403, path
        assert page.inner_text("h1") == "Not allowed" and "reviewer" in page.inner_text("main")
        assert page.locator("form[action^='/ui/lead']").count() == 0
    with page.expect_navigation():
        page.click("form.signout button[type=submit]")
    sign_in(page, base, "team-lead", next_path="/ui/lead")
    assert page.url == f"{base}/ui/lead"
    assert page.locator("header.top nav a[href='/ui/lead']").count() == 1
    assert not watched.csp_violations() and not watched.dialogs
