"""The records of a JSON or JSONL file, streamed: one per JSONL line, or one per element of a
JSON array (or of a top-level object's "messages" list), or the one top-level object.

Positions name each record for the finding: "L<n>" for line n of a JSONL file, "#<n>" for the
n-th record of a JSON document. A bad line is an error and the other lines still count; a JSON
document that breaks off (truncated) keeps the records read before the break.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib.errors import InputError
from raqib.sources.jsonstream import JsonError, json_values
from raqib.sources.textstream import (
    CHUNK,
    DEFAULT_MAX_RECORD_BYTES,
    Utf8Stream,
    decode_line,
    lines,
    open_utf8,
)

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
SNIFF_BYTES = 1 << 20


@dataclass(frozen=True)
class Record:
    """One parsed record and the decoding problems met while reading it."""

    position: str
    value: Any
    decode_errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordError:
    position: str
    message: str


def is_jsonl(path: Path) -> bool:
    """Whether a file holds JSON lines: by its suffix, else by whether its first line is a
    whole JSON object (a pretty-printed document's first line is not)."""
    if path.suffix.lower() in JSONL_SUFFIXES:
        return True
    try:
        with open_utf8(path, max_span=SNIFF_BYTES * 4) as stream:
            first = io.BufferedReader(stream, CHUNK).readline(SNIFF_BYTES)
    except InputError:
        return False
    text, _ = decode_line(first.strip())
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def read_records(
    path: Path, jsonl: bool, max_record: int = DEFAULT_MAX_RECORD_BYTES
) -> Iterator[Record | RecordError]:
    """The records of the file at `path` (see the module docstring)."""
    try:
        stream = open_utf8(path, repair=not jsonl, max_span=max_record + 4 * CHUNK)
    except InputError as exc:
        yield RecordError("#1", str(exc))
        return
    with stream:
        if jsonl:
            yield from jsonl_records(stream, max_record)
        else:
            yield from json_records(stream)


def jsonl_records(stream: Utf8Stream, max_record: int) -> Iterator[Record | RecordError]:
    for number, line in lines(stream, max_record):
        position = f"L{number}"
        if line is None:
            yield RecordError(position, f"line {number} is longer than {max_record} bytes: skipped")
            continue
        if not line.strip():
            continue
        text, decode_error = decode_line(line)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            yield RecordError(position, f"line {number} is not valid JSON ({json_reason(exc)})")
            continue
        errors = (*stream.take_messages(), *((decode_error,) if decode_error else ()))
        yield Record(position, value, errors)


_STREAMED = frozenset({"item", "messages.item"})


def json_records(stream: Utf8Stream) -> Iterator[Record | RecordError]:
    count = 0
    top: dict[str, Any] | None = None  # the top-level object's other members
    try:
        for path, event, value in json_values(stream, _wanted):
            stream.mark()
            if path in _STREAMED and event == "value":
                count += 1
                yield Record(f"#{count}", value, tuple(stream.take_messages()))
            elif path == "" and event == "start_map":
                top = {}
            elif top is not None and event == "value" and "." not in path:
                top[path] = value
            elif path == "" and event == "value":
                count += 1
                yield Record("#1", value, tuple(stream.take_messages()))
    except (JsonError, InputError) as exc:
        yield RecordError(f"#{count + 1}", _broken(exc, count))
        return
    if top is not None and count == 0:
        yield Record("#1", top, tuple(stream.take_messages()))


def _wanted(path: str) -> bool:
    """Array elements and the top-level object's members come whole; "messages" streams."""
    return path in _STREAMED or (path != "" and "." not in path and path != "messages")


def _broken(exc: Exception, count: int) -> str:
    where = f"after record {count} (those were read)" if count else "before any record"
    if isinstance(exc, InputError):
        return f"{exc} — stopped {where}"
    return f"not valid JSON {where}: {json_reason(exc)} (truncated or damaged file?)"


def json_reason(exc: BaseException) -> str:
    """The first line of a JSON parser's complaint, without the position details."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    raw = exc.args[0] if exc.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
