"""Generic posts: a JSON object per post with whatever keys the tool that wrote it chose. The
key tables below say where the text, id, author, time and url of a post are looked for.

`generic_post` turns one record into a SourcePost (used by the JSONL reader and for the JSON
files of a folder); `read_posts` is the older text-in, Post-out form of the same reading."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from raqib.sources import fields
from raqib.sources.items import SourcePost
from raqib.sources.records import Record, RecordError, json_records, jsonl_records
from raqib.sources.textstream import DEFAULT_MAX_RECORD_BYTES, Utf8Stream

TEXT_KEYS = ("text", "full_text", "message", "content", "body", "caption", "description")
ID_KEYS = ("id", "id_str", "message_id", "post_id")
AUTHOR_KEYS = ("author", "from", "user", "username", "screen_name", "channel")
TIME_KEYS = ("time", "date", "created_at", "timestamp", "published")
URL_KEYS = ("url", "link", "permalink")
MEDIA_KEYS = ("media", "photo", "image", "video", "file")
_URL_PREFIXES = ("http://", "https://")


@dataclass(frozen=True)
class Post:
    text: str
    position: str  # "L<n>" for a JSONL line, "#<n>" for the n-th post of a JSON file
    external_id: str | None = None
    author: str | None = None
    time: str | None = None  # as written in the post
    url: str | None = None


@dataclass(frozen=True)
class PostError:
    position: str
    message: str


def read_posts(text: str, jsonl: bool) -> Iterator[Post | PostError]:
    """Posts of a JSON or JSONL document; a bad line is an error, the other lines still count."""
    stream = Utf8Stream(io.BytesIO(text.encode("utf-8", "surrogatepass")), repair=True)
    records = jsonl_records(stream, DEFAULT_MAX_RECORD_BYTES) if jsonl else json_records(stream)
    for record in records:
        if isinstance(record, RecordError):
            yield PostError(record.position, record.message)
            continue
        problem = not_a_post(record, jsonl)
        if problem:
            yield PostError(record.position, problem)
            continue
        value = record.value if isinstance(record.value, dict) else {"text": record.value}
        yield Post(
            text=text_of(value),
            position=record.position,
            external_id=_scalar(value, ID_KEYS),
            author=_author(value),
            time=_scalar(value, TIME_KEYS),
            url=_scalar(value, URL_KEYS),
        )


def not_a_post(record: Record, jsonl: bool) -> str | None:
    """Why a record cannot be a post (JSONL lines must be objects; JSON records may also be
    plain strings), or None."""
    if isinstance(record.value, dict):
        return None
    if isinstance(record.value, str) and not jsonl:
        return None
    if jsonl:
        return f"line {record.position[1:]} is not a JSON object"
    return f"post {record.position} is not a JSON object or string"


def generic_post(record: dict[str, Any]) -> SourcePost:
    """A post of the generic format: id, author, time, text, url, media, reply_to,
    forwarded_from (and, when present, platform, chat, author_name, author_id, hashtags,
    mentions, links; otherwise hashtags, mentions and links are read from the text)."""
    text = text_of(record)
    local, remote = _media(record)
    meta = {
        "platform": fields.name(record.get("platform")),
        "external_id": _scalar(record, ID_KEYS),
        "author": fields.handle(_author(record)),
        "author_name": fields.name(record.get("author_name")) or _author_name(record),
        "author_id": fields.text_id(record.get("author_id")),
        "time": fields.iso_utc(next((record[k] for k in TIME_KEYS if k in record), None)),
        "url": _scalar(record, URL_KEYS),
        "chat": fields.name(record.get("chat")),
        "reply_to": fields.text_id(record.get("reply_to")),
        "forwarded_from": fields.handle(record.get("forwarded_from")),
        "hashtags": _listed(record, "hashtags", "#") or fields.hashtags_in(text),
        "mentions": _listed(record, "mentions", "@") or fields.mentions_in(text),
        "links": _listed(record, "links", "") or fields.links_in(text),
    }
    return SourcePost(text, meta, media=local, media_urls=remote)


def text_of(record: dict[str, Any]) -> str:
    for key in TEXT_KEYS:
        value = record.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list):  # Telegram: a list of strings and {"type", "text"} parts
            return "".join(_part_text(part) for part in value)
    return ""


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict) and isinstance(part.get("text"), str):
        return str(part["text"])
    return ""


def _author(record: dict[str, Any]) -> str | None:
    for key in AUTHOR_KEYS:
        value = record.get(key)
        if isinstance(value, dict):
            value = value.get("screen_name") or value.get("username") or value.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def _author_name(record: dict[str, Any]) -> str | None:
    for key in AUTHOR_KEYS:
        value = record.get(key)
        if isinstance(value, dict):
            return fields.name(value.get("name") or value.get("display_name"))
    return None


def _scalar(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of `keys` with a string or number value, as text."""
    for key in keys:
        value = record.get(key)
        if isinstance(value, float | Decimal):
            return fields.text_id(value) or str(value)
        value = fields.text_id(value)
        if value is not None:
            return value
    return None


def _listed(record: dict[str, Any], key: str, mark: str) -> list[str]:
    values = record.get(key)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return []
    return fields.unique([v.strip().lstrip(mark) for v in values if isinstance(v, str)])


def _media(record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Local media paths and remote media urls named by a post."""
    references: list[str] = []
    for key in MEDIA_KEYS:
        value = record.get(key)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, dict):
                entry = entry.get("path") or entry.get("url") or entry.get("file")
            if isinstance(entry, str) and entry.strip():
                references.append(entry.strip())
    references = fields.unique(references)
    remote = [r for r in references if r.lower().startswith(_URL_PREFIXES)]
    return [r for r in references if r not in remote], remote
