"""The generic JSONL reader: one post per line (`id, author, time, text, url, media, reply_to,
forwarded_from`, see `raqib.sources.posts.generic_post`); media paths are relative to the
file's folder. A JSON document (an array of posts, or an object with a "messages" list) is
read the same way, one post per element."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from raqib.sources.folder import display_path
from raqib.sources.items import SourceItem, error_item, post_items
from raqib.sources.posts import generic_post, not_a_post
from raqib.sources.records import RecordError, is_jsonl, read_records


def read_jsonl(path: Path, first_progress: bool = False) -> Iterator[SourceItem]:
    """One post item per record of `path` (then its media items); bad records are error
    items. With `first_progress`, only the file's first item moves the progress bar (a file
    of a folder counts as one step)."""
    shown = display_path(path)
    jsonl = is_jsonl(path)
    steps = _steps(first_progress)
    count = 0
    for record in read_records(path, jsonl):
        count += 1
        where = f"{shown}#{record.position}"
        if isinstance(record, RecordError):
            yield error_item(where, record.message, progress=next(steps))
            continue
        problem = not_a_post(record, jsonl)
        if problem:
            yield error_item(where, problem, progress=next(steps))
            continue
        value = record.value if isinstance(record.value, dict) else {"text": record.value}
        post = generic_post(value)
        post.errors.extend({"stage": "decode", "message": m} for m in record.decode_errors)
        yield from post_items(post, where, path.parent, progress=next(steps))
    if count == 0:
        yield SourceItem(
            shown,
            source="post",
            notes=({"signal_type": "text", "message": "no posts in the file"},),
            progress=next(steps),
        )


def _steps(first_only: bool) -> Iterator[int]:
    yield 1
    while True:
        yield 0 if first_only else 1
