"""X/Twitter sources: JSON lines from the APIs (v1.1, v2, `twarc2 flatten`) and account
archives (`data/tweets.js`, with `data/account.js` and the `data/tweets_media` folder).

An archive's data files are JavaScript (`window.YTD.tweets.part0 = [...]`). They are never
run: the assignment before the first "=" is checked against that one known form and skipped,
and the array after it is read as JSON, streamed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from raqib.errors import InputError
from raqib.sources.folder import display_path
from raqib.sources.items import SourceItem, SourcePost, error_item, post_items
from raqib.sources.jsonstream import JsonError, json_values
from raqib.sources.records import RecordError, is_jsonl, json_reason, read_records
from raqib.sources.textstream import CHUNK, Utf8Stream, open_utf8
from raqib.sources.tweets import (
    is_tweet_record,
    media_candidates,
    media_entries_v1,
    tweets_of,
    v1_post,
)

TWEET_FILES = re.compile(r"^tweets?(-part\d+)?\.js$")
MEDIA_FOLDERS = ("tweets_media", "tweet_media")
_ASSIGNMENT = re.compile(rb"^\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*$")
MAX_ASSIGNMENT = 256
MAX_ACCOUNT_BYTES = 1 << 20


def read_x(path: Path) -> Iterator[SourceItem]:
    """The posts of an X/Twitter JSONL file (or a JSON array of tweets or responses)."""
    shown = display_path(path)
    for record in read_records(path, is_jsonl(path)):
        where = f"{shown}#{record.position}"
        if isinstance(record, RecordError):
            yield error_item(where, record.message)
            continue
        if not is_tweet_record(record.value):
            yield error_item(
                where,
                f"{record.position} is not an X/Twitter record (expected API v1.1 or v2 JSON, "
                "or twarc2 flatten output): use --format jsonl for other posts",
            )
            continue
        page = isinstance(record.value.get("data"), list)
        for number, post in enumerate(tweets_of(record.value), 1):
            post.errors.extend({"stage": "decode", "message": m} for m in record.decode_errors)
            yield from post_items(post, f"{where}.{number}" if page else where, None)


def archive_data(path: Path) -> Path | None:
    """The `data` folder of an X account archive at `path` (the archive's folder, its data
    folder, or a tweets.js file), or None."""
    candidates = [path.parent] if path.is_file() else [path / "data", path]
    for folder in candidates:
        if folder.is_dir() and any(TWEET_FILES.match(p.name) for p in folder.iterdir()):
            return folder
    return None


def read_x_archive(path: Path) -> Iterator[SourceItem]:
    """The posts of an X account archive, each with its media files from tweets_media."""
    data = archive_data(path)
    if data is None:
        yield error_item(
            display_path(path), "no data/tweets.js here: not an X account archive (unzip it?)"
        )
        return
    account = _account(data / "account.js")
    media_dir = next((data / m for m in MEDIA_FOLDERS if (data / m).is_dir()), data)
    files = sorted(p for p in data.iterdir() if TWEET_FILES.match(p.name))
    for file in [path] if path.is_file() else files:
        yield from _archive_file(file, account, media_dir)


def _archive_file(file: Path, account: dict[str, Any], media_dir: Path) -> Iterator[SourceItem]:
    shown = display_path(file)
    try:
        stream = open_utf8(file)
    except InputError as exc:
        yield error_item(shown, str(exc))
        return
    with stream:
        buffered = io.BufferedReader(stream, CHUNK)
        problem = skip_assignment(buffered)
        if problem:
            yield error_item(shown, problem)
            return
        yield from _archive_tweets(buffered, stream, shown, account, media_dir)


def skip_assignment(stream: BinaryIO) -> str | None:
    """Read past `window.YTD.<name>.partN =`; why the file is not of that form, or None."""
    head = b""
    while len(head) <= MAX_ASSIGNMENT:
        byte = stream.read(1)
        if byte in (b"", b"="):
            break
        head += byte
    if byte == b"=" and _ASSIGNMENT.match(head):
        return None
    return (
        "not an X archive data file: it must start with 'window.YTD.<name>.part<N> = ' "
        "followed by a JSON array (Raqib reads it as data and never runs it)"
    )


def _archive_tweets(
    buffered: BinaryIO, stream: Utf8Stream, shown: str, account: dict[str, Any], media_dir: Path
) -> Iterator[SourceItem]:
    count = 0
    try:
        for where, event, value in json_values(buffered, "item".__eq__):
            stream.mark()
            if where == "" and event == "end_array":
                return  # a trailing ";" (or anything else) after the array is not read
            if where != "item" or not isinstance(value, dict):
                continue
            count += 1
            tweet = value["tweet"] if isinstance(value.get("tweet"), dict) else value
            post = archive_post(tweet, account, media_dir)
            post.errors.extend({"stage": "decode", "message": m} for m in stream.take_messages())
            position = post.meta.get("external_id") or str(count)
            yield from post_items(post, f"{shown}#{position}", media_dir)
    except (JsonError, InputError) as exc:
        reason = str(exc) if isinstance(exc, InputError) else json_reason(exc)
        yield error_item(
            f"{shown}#{count + 1}",
            f"archive file broken after tweet {count} ({reason}); the tweets before were scanned",
        )


def archive_post(tweet: dict[str, Any], account: dict[str, Any], media_dir: Path) -> SourcePost:
    """An archive tweet as a post; its media are the files `<tweet id>-<name>` in media_dir
    (a retweet's media, which archives do not hold, stay remote urls)."""
    post = v1_post(tweet, account)
    post.media_urls = []
    tweet_id = post.meta.get("external_id")
    for media in media_entries_v1(tweet):
        urls = media_candidates(media)
        names = [f"{tweet_id}-{_basename(u)}" for u in urls if _basename(u)]
        present = next((n for n in names if (media_dir / n).is_file()), None)
        if present is not None:
            post.media.append(present)
        elif post.meta.get("forwarded_from") and urls:
            post.media_urls.append(urls[0])
        elif names:
            post.media.append(names[0])  # reported as missing from the archive
    return post


def _basename(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _account(path: Path) -> dict[str, Any]:
    """The archive owner's account (username, accountId, accountDisplayName), or {}."""
    try:
        with path.open("rb") as handle:
            if skip_assignment(handle) is not None:
                return {}
            raw = handle.read(MAX_ACCOUNT_BYTES)
        entries = json.loads(raw.decode("utf-8-sig", "replace"))
    except (OSError, ValueError, RecursionError):
        return {}
    first = entries[0] if isinstance(entries, list) and entries else {}
    account = first.get("account") if isinstance(first, dict) else None
    return account if isinstance(account, dict) else {}
