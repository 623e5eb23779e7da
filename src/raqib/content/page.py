"""Saved web pages (.html/.htm): title, main text, links and injected loaders, from any bytes.

Bytes are decoded as a browser would (BOM, then ``<meta charset>``, else UTF-8, with replacement
characters when invalid: reported in ``Page.errors``), parsed once by lexbor (selectolax's HTML5
parser, tolerant of broken markup) and never rendered, fetched or executed. The main text comes
from trafilatura, fed the page after comments, CDATA, scripts and styles were dropped; when
trafilatura finds nothing, the visible body text is used. Injected scripts are found by
:mod:`raqib.content.scripts`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from raqib.content.scripts import InjectedScript, clean_html_text, scan_tree

MAX_PAGE_BYTES = 20_000_000
MAX_MAIN_TEXT_CHARS = 2_000_000  # trafilatura input (it takes ~2 s per MB); beyond: body text
MAX_LINKS = 500
MAX_TITLE_CHARS = 1_000
MAX_URL_CHARS = 2_048
_SNIFF_BYTES = 4_096

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]{0,1024}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE
)
# The HTML standard reads these labels as other encodings (WHATWG Encoding, "get an encoding").
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "x-user-defined": "cp1252",
}
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_DROPPED_FOR_TEXT = ["script", "style", "noscript", "template", "svg", "math", "iframe", "object"]


@dataclass(frozen=True)
class Page:
    """What a saved page says and carries; `errors` lists what could not be read exactly."""

    title: str
    text: str
    links: tuple[str, ...]
    injected_scripts: tuple[InjectedScript, ...]
    errors: tuple[str, ...]


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _codec(label: str) -> str | None:
    name = _LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes) -> tuple[str, list[str]]:
    """Text of a page and notes on how it was decoded (never raises)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data[len(bom) :], encoding, [])
    errors: list[str] = []
    label = _declared_charset(data[:_SNIFF_BYTES])
    if label is not None:
        codec = _codec(label)
        if codec is not None:
            return _decode_as(data, codec, errors)
        errors.append(f"unknown charset {label!r}: read as UTF-8")
    return _decode_as(data, "utf-8", errors)


def _decode_as(data: bytes, encoding: str, errors: list[str]) -> tuple[str, list[str]]:
    try:
        return data.decode(encoding), errors
    except UnicodeDecodeError:
        shown = "UTF-8" if encoding == "utf-8" else encoding
        return data.decode(encoding, errors="replace"), [
            *errors,
            f"not {shown}: decoded with replacement",
        ]


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line[:limit]


def _title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return _one_line(node.text(deep=True), MAX_TITLE_CHARS) if node is not None else ""


def _base_url(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("base[href]")
    href = "".join((node.attributes.get("href") or "").split()) if node is not None else ""
    return href if _is_web_url(href) else None


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _links(tree: LexborHTMLParser) -> tuple[str, ...]:
    """Absolute http(s) targets of ``<a href>``, resolved against ``<base href>``, in order."""
    base = _base_url(tree)
    found: dict[str, None] = {}
    for node in tree.css("a[href]"):
        href = "".join((node.attributes.get("href") or "").split())[:MAX_URL_CHARS]
        if base is not None and href:
            try:
                href = urljoin(base, href)
            except ValueError:
                continue
        if _is_web_url(href):
            found.setdefault(href)
            if len(found) >= MAX_LINKS:
                break
    return tuple(found)


def _strip_for_text(tree: LexborHTMLParser) -> None:
    """Drop what is not readable text: comments (and CDATA, parsed as comments), scripts..."""
    root = tree.root
    if root is None:
        return
    comments = [node for node in root.traverse(include_text=True) if node.is_comment_node]
    for node in comments:
        node.decompose()
    tree.strip_tags(_DROPPED_FOR_TEXT, recursive=True)


def _visible_text(tree: LexborHTMLParser) -> str:
    node: LexborNode | None = tree.body or tree.root
    if node is None:
        return ""
    lines = (_one_line(line, len(line)) for line in node.text(separator="\n").splitlines())
    return "\n".join(line for line in lines if line)


def _main_text(tree: LexborHTMLParser, errors: list[str]) -> str:
    html = tree.html or ""
    if len(html) > MAX_MAIN_TEXT_CHARS:
        errors.append("over 2 MB of markup without scripts: main text is the visible body text")
        return _visible_text(tree)
    try:
        extracted = trafilatura.extract(
            html,
            include_comments=False,
            include_tables=True,
            favor_recall=True,
        )
    except Exception as exc:  # a third-party parser on untrusted markup: fall back, say why
        errors.append(f"main-text extraction failed ({type(exc).__name__}): used visible text")
        extracted = None
    if isinstance(extracted, str) and extracted.strip():
        return extracted.strip()
    return _visible_text(tree)


def _binary_note(text: str) -> str | None:
    sample = text[:100_000]
    if not sample:
        return None
    odd = len(_NOT_TEXT.findall(sample)) + sample.count("\ufffd")
    return "page looks like binary data" if odd * 10 > len(sample) else None


def read_page(data: bytes) -> Page:
    """Parse a saved page; never raises for any bytes (problems are listed in `errors`)."""
    errors: list[str] = []
    if len(data) > MAX_PAGE_BYTES:
        data = data[:MAX_PAGE_BYTES]
        errors.append("page over 20 MB: truncated")
    html, decode_errors = decode_html(data)
    errors.extend(decode_errors)
    html = clean_html_text(html)
    note = _binary_note(html)
    if note:
        errors.append(note)
    tree = LexborHTMLParser(_NOT_TEXT.sub(" ", html))
    scan = scan_tree(tree)
    errors.extend(scan.errors)
    title, links = _title(tree), _links(tree)
    _strip_for_text(tree)
    return Page(
        title=title,
        text=_main_text(tree, errors),
        links=links,
        injected_scripts=scan.findings,
        errors=tuple(errors),
    )
