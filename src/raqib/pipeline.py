"""Item -> Finding: hash a file into signals, assess its text, then match and judge. No I/O
beyond reading the file being hashed; hashing is a pure function that worker processes can run.

What is hashed comes from `raqib.sources`: a file, a post's text, or a media file attached to a
post (`hash_item`); the item fields the source knew (platform, author, time, reply and forward
links, ...) are carried into the finding's `item`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raqib.config import Settings
from raqib.content.detect import detect_kind
from raqib.content.kinds import Content, ContentKind
from raqib.content.text import read_text_file
from raqib.errors import RaqibError
from raqib.policy import verdict
from raqib.signals import NoSignal, Signal, SignalRegistry, SignalType, default_registry
from raqib.signals.filehash import DigestSignalType, file_digests
from raqib.signals.url import canonical_url
from raqib.sources.folder import WalkError, display_path, regular_file_status
from raqib.sources.items import SourceItem

if TYPE_CHECKING:
    from raqib.matching import Match, Matcher
    from raqib.text.assess import TextAnalyzer

MAX_URL_SIGNALS = 20  # url signals taken from one post's links


@dataclass
class Hashed:
    """What hashing one file gave: its signals, why some types gave none, and errors."""

    path: str
    kind: str
    modified: str | None = None  # the file's modification time (ISO 8601, UTC)
    signals: list[Signal] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    source: str = "file"  # "file", "post" (a post of a source), "media" (attached) or "api"
    platform: str | None = None  # the platform an item submitted through the API comes from
    external_id: str | None = None
    author: str | None = None
    url: str | None = None
    text: dict[str, Any] | None = None  # the assessment (the finding's `text` field)
    page: dict[str, Any] | None = None  # the page-integrity check of a saved web page
    # The other item fields a source gave (author_name, author_id, chat, reply_to,
    # forwarded_from, mentions, hashtags, links, parent, ...): copied into the finding's item.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        return next((s.value for s in self.signals if s.signal_type == "sha256"), None)


@cache
def _registry() -> SignalRegistry:
    return default_registry()


def hash_file(path: Path, settings: Settings, analyzer: TextAnalyzer | None = None) -> Hashed:
    """Hash one file with every signal type for its kind and, given an analyzer, assess the
    text of a text file or saved page. Never raises for bad input."""
    shown = display_path(path)
    status = regular_file_status(path)
    if isinstance(status, WalkError):
        return _unreadable(shown, f"{shown}: {status.message}")
    modified = datetime.fromtimestamp(status.st_mtime, UTC).isoformat(timespec="seconds")
    try:
        kind = detect_kind(path)
        signal_types = _registry().for_kind(kind)
        algorithms = tuple(t.name for t in signal_types if isinstance(t, DigestSignalType))
        digests = tuple(file_digests(path, algorithms).items())
    except RaqibError as exc:
        return _unreadable(shown, str(exc))
    result = Hashed(shown, kind.value, modified=modified)
    content = Content(kind=kind, path=path, digests=digests)
    if kind not in TEXT_KINDS:
        _hash_content(result, content, signal_types, settings)
        return result
    digest_types = [t for t in signal_types if isinstance(t, DigestSignalType)]
    _hash_content(result, content, digest_types, settings)
    text = _file_text(path, kind, result, settings)
    _hash_text(result, text, settings)
    if analyzer is not None:
        result.text = analyzer.assess(text).as_dict()
    return result


TEXT_KINDS = frozenset({ContentKind.TEXT, ContentKind.PAGE})


def _hash_content(
    result: Hashed,
    content: Content,
    signal_types: Sequence[SignalType],
    settings: Settings,
) -> None:
    for signal_type in signal_types:
        try:
            outcome = signal_type.hash(content, settings)
        except RaqibError as exc:
            result.errors.append(_error(f"hash:{signal_type.name}", exc))
            continue
        if isinstance(outcome, NoSignal):
            result.notes.append({"signal_type": outcome.signal_type, "message": outcome.reason})
        else:
            result.signals.append(outcome)


def hash_text(
    text: str,
    settings: Settings,
    analyzer: TextAnalyzer | None = None,
    item: dict[str, str | None] | None = None,
) -> Hashed:
    """A text with no file of its own (submitted through the API): its text signals and, given
    an analyzer, its assessment. `item` carries platform, external_id, author, url and time."""
    meta = item or {}
    result = Hashed(
        meta.get("path") or "",
        ContentKind.TEXT.value,
        modified=meta.get("time"),
        source="api",
        platform=meta.get("platform"),
        external_id=meta.get("external_id"),
        author=meta.get("author"),
        url=meta.get("url"),
    )
    if len(text.encode("utf-8", "surrogatepass")) > settings.max_text_bytes:
        result.errors.append(
            {"stage": "read", "message": f"text longer than {settings.max_text_bytes} bytes"}
        )
        return result
    _hash_text(result, text, settings)
    if analyzer is not None:
        result.text = analyzer.assess(text).as_dict()
    return result


def _hash_text(result: Hashed, text: str, settings: Settings) -> None:
    """Text signals (text_sha256, text_minhash) of a text with no file of its own."""
    content = Content(kind=ContentKind.TEXT, text=text)
    text_types = [
        t for t in _registry().for_kind(ContentKind.TEXT) if not isinstance(t, DigestSignalType)
    ]
    _hash_content(result, content, text_types, settings)


def _file_text(path: Path, kind: ContentKind, result: Hashed, settings: Settings) -> str:
    """The text to assess: a text file's decoded text, or a saved page's title and main text."""
    decoded = read_text_file(path, settings.max_text_bytes)
    result.errors.extend({"stage": "decode", "message": m} for m in decoded.errors)
    if kind is not ContentKind.PAGE:
        return decoded.text
    from raqib.content.page import read_page

    page = read_page(decoded.text.encode("utf-8", errors="surrogatepass"))
    result.errors.extend({"stage": "page", "message": m} for m in page.errors)
    result.page = {
        "title": page.title,
        "links": len(page.links),
        "injected_scripts": [s.as_dict() for s in page.injected_scripts],
    }
    return "\n".join(part for part in (page.title, page.text) if part)


def hash_item(item: SourceItem, settings: Settings, analyzer: TextAnalyzer | None = None) -> Hashed:
    """One item of a source, hashed: a file (or a post's media file) with hash_file, a post's
    text with the text signals (and url signals for its links), given an analyzer assessed;
    the item's fields and the reader's errors and notes carried along. Never raises."""
    meta = dict(item.meta)
    if item.path is not None:
        result = hash_file(item.path, settings, analyzer)
        _rename(result, display_path(item.path), item.where)
    elif item.text is not None:
        result = _hash_post_text(item.where, item.text, meta.get("links", []), settings, analyzer)
    else:
        result = Hashed(item.where, ContentKind.TEXT.value if item.source == "post" else "file")
    result.source = item.source
    if item.source != "file":
        result.modified = meta.pop("time", None)
    result.platform = meta.pop("platform", None)
    result.external_id = meta.pop("external_id", None)
    result.author = meta.pop("author", None)
    result.url = meta.pop("url", None)
    result.extra = meta
    result.errors[:0] = item.errors
    result.notes.extend(item.notes)
    return result


def _rename(result: Hashed, shown: str, where: str) -> None:
    """Name the item by its source location, also in its messages."""
    result.path = where
    if shown != where:
        for entry in (*result.errors, *result.notes):
            entry["message"] = entry["message"].replace(shown, where)


def _hash_post_text(
    where: str, text: str, links: list[str], settings: Settings, analyzer: TextAnalyzer | None
) -> Hashed:
    result = Hashed(where, ContentKind.TEXT.value)
    if len(text.encode("utf-8", "surrogatepass")) > settings.max_text_bytes:
        result.errors.append(
            {"stage": "read", "message": f"text longer than {settings.max_text_bytes} bytes"}
        )
        return result
    _hash_text(result, text, settings)
    _hash_links(result, links)
    if analyzer is not None and text.strip():
        result.text = analyzer.assess(text).as_dict()
    return result


def _hash_links(result: Hashed, links: list[str]) -> None:
    """A url signal for each link of a post, so banks of known urls match the posts that
    share them; a link that is not a usable url is noted, not an error."""
    seen: set[str] = set()
    for link in links[:MAX_URL_SIGNALS]:
        try:
            value = canonical_url(link)
        except ValueError as exc:
            result.notes.append({"signal_type": "url", "message": str(exc)})
            continue
        if value not in seen:
            seen.add(value)
            result.signals.append(Signal("url", value))


def _unreadable(shown: str, message: str) -> Hashed:
    return Hashed(shown, ContentKind.FILE.value, errors=[{"stage": "read", "message": message}])


def _error(stage: str, exc: BaseException) -> dict[str, str]:
    return {"stage": stage, "message": str(exc)}


def build_finding(item_id: str, hashed: Hashed, matches: list[Match]) -> dict[str, Any]:
    """The finding record of ARCHITECTURE.md for one scanned item."""
    item: dict[str, Any] = {
        "id": item_id,
        "source": hashed.source,
        "path": hashed.path,
        "kind": hashed.kind,
        "sha256": hashed.sha256,
        "author": hashed.author,
        "time": hashed.modified,
    }
    if hashed.source in ("post", "api"):
        item.update(external_id=hashed.external_id, url=hashed.url)
    if hashed.platform is not None:
        item["platform"] = hashed.platform
    item.update((k, v) for k, v in hashed.extra.items() if k not in item)
    text = hashed.text or empty_text_assessment()
    return {
        "item": item,
        "signals": [signal_record(s) for s in hashed.signals],
        "matches": [m.as_dict() for m in matches],
        "text": text,
        "page": hashed.page or {"injected_scripts": []},
        "verdict": verdict(matches, text, hashed.page),
        "errors": hashed.errors,
        "notes": hashed.notes,
    }


def signal_record(signal: Signal) -> dict[str, Any]:
    return {"signal_type": signal.signal_type, "signal": signal.value, "quality": signal.quality}


def empty_text_assessment() -> dict[str, Any]:
    return {
        "language": None,
        "indicators": [],
        "context": None,
        "stance": None,
        "categories": {},
        "reasons": [],
    }


def finding_for(item_id: str, hashed: Hashed, matcher: Matcher) -> dict[str, Any]:
    return build_finding(item_id, hashed, matcher.match(hashed.signals))
