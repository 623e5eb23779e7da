"""Posts in JSON and JSONL files: one post per JSONL line, or a JSON object / array of objects
(a Telegram Desktop export's `messages` list included). Each post yields its text and the
fields a reviewer needs to find it again (id, author, time, url); nothing else is kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TEXT_KEYS = ("text", "full_text", "message", "content", "body", "caption", "description")
ID_KEYS = ("id", "id_str", "message_id", "post_id")
AUTHOR_KEYS = ("author", "from", "user", "username", "screen_name", "channel")
TIME_KEYS = ("time", "date", "created_at", "timestamp", "published")
URL_KEYS = ("url", "link", "permalink")
MAX_POSTS_PER_FILE = 1_000_000


@dataclass(frozen=True)
class Post:
    text: str
    position: str  # "L<n>" for a JSONL line, "#<n>" for the n-th post of a JSON file
    external_id: str | None = None
    author: str | None = None
    time: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class PostError:
    position: str
    message: str


def read_posts(text: str, jsonl: bool) -> Iterator[Post | PostError]:
    """Posts of a JSON or JSONL document; a bad line is an error, the other lines still count."""
    if jsonl:
        yield from _jsonl_posts(text)
        return
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        yield PostError("#1", f"not valid JSON ({_reason(exc)})")
        return
    for number, record in enumerate(_records(document), 1):
        if number > MAX_POSTS_PER_FILE:
            yield PostError(f"#{number}", f"more than {MAX_POSTS_PER_FILE} posts: the rest skipped")
            return
        yield _post(record, f"#{number}")


def _jsonl_posts(text: str) -> Iterator[Post | PostError]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if number > MAX_POSTS_PER_FILE:
            yield PostError(f"L{number}", f"more than {MAX_POSTS_PER_FILE} lines: the rest skipped")
            return
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield PostError(f"L{number}", f"line {number} is not valid JSON ({_reason(exc)})")
            continue
        if not isinstance(record, dict):
            yield PostError(f"L{number}", f"line {number} is not a JSON object")
            continue
        yield _post(record, f"L{number}")


def _records(document: Any) -> list[Any]:
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        return list(document["messages"])  # Telegram Desktop export
    if isinstance(document, list):
        return document
    return [document]


def _post(record: Any, position: str) -> Post | PostError:
    if isinstance(record, str):
        return Post(record, position)
    if not isinstance(record, dict):
        return PostError(position, f"post {position} is not a JSON object or string")
    return Post(
        text=_text_of(record),
        position=position,
        external_id=_scalar(record, ID_KEYS),
        author=_author(record),
        time=_scalar(record, TIME_KEYS),
        url=_scalar(record, URL_KEYS),
    )


def _text_of(record: dict[str, Any]) -> str:
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


def _scalar(record: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(":")[0]
