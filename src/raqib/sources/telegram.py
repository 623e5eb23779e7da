"""Telegram Desktop exports (`result.json` in "Machine-readable JSON" format), streamed.

A single-chat export is one object with the chat's `name`, `type`, `id` and its `messages`; a
full export lists chats under `chats.list` (and `left_chats.list`), each with its messages.
Each message becomes a post item and one media item per attached file (`photo`, `file`),
resolved inside the export folder. Service messages (joins, pins) are skipped.

Telegram names a message's sender by display name (`from`) and id (`from_id`, "user123" or
"channel123") but not by username, so `author` and `author_name` are the display name and
`author_id` the id; `forwarded_from` is a display name too, which keeps forward links and
authors comparable. Message ids are unique within a chat only, so `external_id` (and
`reply_to`, `parent`) is "<chat id>/<message id>".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from raqib.errors import InputError
from raqib.sources import fields
from raqib.sources.folder import display_path
from raqib.sources.items import SourceItem, SourcePost, error_item, post_items
from raqib.sources.jsonstream import JsonError, json_values
from raqib.sources.records import json_reason
from raqib.sources.textstream import open_utf8

EXPORT_FILE = "result.json"
CHATS = ("", "chats.list.item", "left_chats.list.item")
MESSAGES = frozenset(f"{chat}.messages.item".lstrip(".") for chat in CHATS)
MEDIA_FIELDS = ("photo", "file")
_HASHTAG_TYPES = frozenset({"hashtag"})
_MENTION_TYPES = frozenset({"mention"})


def read_telegram(path: Path) -> Iterator[SourceItem]:
    """The items of a Telegram Desktop export: `path` is its folder or its result.json."""
    export = path / EXPORT_FILE if path.is_dir() else path
    shown = display_path(export)
    try:
        stream = open_utf8(export)
    except InputError as exc:
        yield error_item(shown, f"{exc} (a Telegram export folder holds result.json)")
        return
    chat: dict[str, Any] = {}
    count = 0
    with stream:
        try:
            for where, event, value in json_values(stream, MESSAGES.__contains__):
                stream.mark()
                if event == "start_map" and where in CHATS:
                    chat = {}
                elif event == "value" and where in MESSAGES:
                    count += 1
                    post = telegram_post(value, chat)
                    if post is None:
                        continue
                    post.errors.extend(
                        {"stage": "decode", "message": m} for m in stream.take_messages()
                    )
                    position = post.meta.get("external_id") or str(count)
                    yield from post_items(post, f"{shown}#{position}", export.parent)
                elif event == "value":
                    _chat_field(chat, where, value)
        except (JsonError, InputError) as exc:
            yield error_item(f"{shown}#{count + 1}", _broken(exc, count))


def _chat_field(chat: dict[str, Any], where: str, value: Any) -> None:
    base, _, key = where.rpartition(".")
    if base in CHATS and key in ("name", "type", "id"):
        chat[key] = value


def _broken(exc: Exception, count: int) -> str:
    reason = str(exc) if isinstance(exc, InputError) else f"not valid JSON: {json_reason(exc)}"
    return (
        f"{reason} after message {count} (the messages before were scanned; "
        "is the export complete?)"
    )


def telegram_post(message: Any, chat: dict[str, Any]) -> SourcePost | None:
    """One Telegram message as a post; None for service messages and non-objects."""
    if not isinstance(message, dict) or message.get("type", "message") != "message":
        return None
    chat_id = fields.text_id(chat.get("id"))
    text, entities = _text(message)
    meta = {
        "platform": "telegram",
        "external_id": _qualified(chat_id, fields.text_id(message.get("id"))),
        "author": fields.name(message.get("from")),
        "author_name": fields.name(message.get("from")),
        "author_id": fields.text_id(message.get("from_id")),
        "time": fields.iso_utc(message.get("date_unixtime")) or fields.iso_utc(message.get("date")),
        "chat": fields.name(chat.get("name")),
        "reply_to": _qualified(chat_id, fields.text_id(message.get("reply_to_message_id"))),
        "forwarded_from": fields.name(message.get("forwarded_from"))
        or fields.name(message.get("saved_from")),
        "hashtags": _entity_texts(entities, _HASHTAG_TYPES, "#"),
        "mentions": _entity_texts(entities, _MENTION_TYPES, "@"),
        "links": _links(entities),
    }
    post = SourcePost(text, meta)
    for key in MEDIA_FIELDS:
        reference = message.get(key)
        if not isinstance(reference, str) or not reference.strip():
            continue
        if reference.startswith("("):  # "(File not included. Change data exporting settings...)"
            post.missing_media.append(key)
        else:
            post.media.append(reference)
    return post


def _qualified(chat_id: str | None, message_id: str | None) -> str | None:
    if message_id is None:
        return None
    return f"{chat_id}/{message_id}" if chat_id else message_id


def _text(message: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The message's text, and its entities ({"type", "text", "href"?}): from
    `text_entities` when the export has it, else from the parts of `text`."""
    raw = message.get("text")
    parts = raw if isinstance(raw, list) else [raw]
    text = "".join(p if isinstance(p, str) else _part_text(p) for p in parts)
    listed = message.get("text_entities")
    entities = listed if isinstance(listed, list) else parts
    return text, [e for e in entities if isinstance(e, dict)]


def _part_text(part: Any) -> str:
    value = part.get("text") if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def _entity_texts(entities: list[dict[str, Any]], types: frozenset[str], mark: str) -> list[str]:
    return fields.unique(
        [_part_text(e).strip().lstrip(mark) for e in entities if e.get("type") in types]
    )


def _links(entities: list[dict[str, Any]]) -> list[str]:
    links: list[str] = []
    for entity in entities:
        kind = entity.get("type")
        if kind == "link":
            links.append(_part_text(entity).strip())
        elif kind == "text_link" and isinstance(entity.get("href"), str):
            links.append(entity["href"].strip())
    return fields.unique(links)
