"""Which reader a path needs: a Telegram Desktop export, X/Twitter JSON lines, an X account
archive, generic JSON lines of posts, or a plain folder or file. Decided from the contents
(the first records of a JSON file, the files of a folder), never from a name alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib.errors import InputError
from raqib.sources.jsonstream import JsonError, json_values
from raqib.sources.records import JSONL_SUFFIXES, Record, is_jsonl, read_records
from raqib.sources.telegram import EXPORT_FILE
from raqib.sources.textstream import open_utf8
from raqib.sources.tweets import is_tweet_record
from raqib.sources.twitter import TWEET_FILES, archive_data

FORMATS = ("auto", "folder", "telegram", "x", "x-archive", "jsonl")
JSON_SUFFIXES = frozenset({".json", *JSONL_SUFFIXES})
SNIFF_BYTES = 4 << 20
SNIFF_EVENTS = 2_000


@dataclass(frozen=True)
class Detected:
    """The format of a source, and the path its reader should be given (a Telegram export
    or X archive wrapped in one top folder, as unpacked zips often are, is that folder)."""

    format: str
    path: Path


def detect_format(path: Path) -> Detected:
    """The format of the folder or file at `path` (see the module docstring)."""
    if path.is_dir():
        return _detect_folder(path)
    if TWEET_FILES.match(path.name.lower()) and archive_data(path) is not None:
        return Detected("x-archive", path)
    if path.suffix.lower() in JSON_SUFFIXES:
        return Detected(_json_format(path), path)
    return Detected("folder", path)


def _detect_folder(path: Path) -> Detected:
    for folder in (path, _only_child_folder(path)):
        if folder is None:
            continue
        export = folder / EXPORT_FILE
        if export.is_file() and _json_format(export) == "telegram":
            return Detected("telegram", folder)
        if archive_data(folder) is not None:
            return Detected("x-archive", folder)
    return Detected("folder", path)


def _only_child_folder(path: Path) -> Path | None:
    try:
        children = [c for c in path.iterdir() if not c.name.startswith(".")]
    except OSError:
        return None
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        return children[0]
    return None


def _json_format(path: Path) -> str:
    """ "telegram", "x" or "jsonl" for a JSON or JSONL file."""
    if is_jsonl(path):
        return "x" if is_tweet_record(_first_value(path, jsonl=True)) else "jsonl"
    if _is_telegram(path):
        return "telegram"
    return "x" if is_tweet_record(_first_value(path, jsonl=False)) else "jsonl"


def _first_value(path: Path, jsonl: bool) -> Any:
    for record in read_records(path, jsonl, max_record=SNIFF_BYTES):
        return record.value if isinstance(record, Record) else None
    return None


def _is_telegram(path: Path) -> bool:
    """A JSON document whose top level has a "messages" list (a single-chat export) or the
    members of a full export ("chats", "personal_information", ...)."""
    try:
        with open_utf8(path, max_span=SNIFF_BYTES) as stream:
            events = json_values(stream, lambda _where: False)
            for number, (where, event, _value) in enumerate(events):
                stream.mark()
                if (where, event) == ("messages", "start_array") or where in _FULL_EXPORT_KEYS:
                    return True
                if (where == "" and event != "start_map") or number > SNIFF_EVENTS:
                    return False
    except (JsonError, InputError):
        return False
    return False


_FULL_EXPORT_KEYS = frozenset({"chats", "left_chats", "personal_information", "frequent_contacts"})
