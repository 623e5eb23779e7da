"""What every reader yields: `SourceItem`s, one per thing to scan (a file, a post's text, a
media file attached to a post), each with the item fields the finding will carry.

A post becomes a post item (its text) followed by one media item per attached file; a media
item carries the post's platform, author, time and chat, and `parent` (the post's external id).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from raqib.sources.folder import display_path

# The item fields a media item inherits from its post.
INHERITED = ("platform", "author", "author_name", "author_id", "time", "chat")


@dataclass(frozen=True)
class SourceItem:
    """One thing to scan. `path` set: hash that file; `text` set: hash and assess that text;
    neither: an item that could not be read, with `errors` saying why."""

    where: str  # printable location: a path, "posts.jsonl#L3", "export.zip!/photos/1.jpg"
    source: str = "file"  # "file" (a file of a folder), "post" or "media" (attached to a post)
    path: Path | None = None
    text: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)  # item fields: platform, author, ...
    errors: tuple[dict[str, str], ...] = ()  # {"stage", "message"}
    notes: tuple[dict[str, str], ...] = ()  # {"signal_type", "message"}
    progress: int = 1  # how far this item moves the progress bar (0 for a file's later posts)

    def with_errors(self, errors: Sequence[dict[str, str]]) -> SourceItem:
        return replace(self, errors=(*self.errors, *errors)) if errors else self


@dataclass
class SourcePost:
    """A post as a reader understood it, before it becomes items."""

    text: str
    meta: dict[str, Any]  # item fields; None values and empty lists are dropped
    media: list[str] = field(default_factory=list)  # local files, relative to the media root
    media_urls: list[str] = field(default_factory=list)  # remote media: listed, never fetched
    missing_media: list[str] = field(default_factory=list)  # media the export left out
    errors: list[dict[str, str]] = field(default_factory=list)


def error_item(
    where: str, message: str, stage: str = "read", source: str = "post", progress: int = 1
) -> SourceItem:
    """An item that could not be read: nothing to hash, one error."""
    return SourceItem(
        where, source=source, errors=({"stage": stage, "message": message},), progress=progress
    )


def clean_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The fields with a value: None, empty strings and empty lists dropped."""
    return {k: v for k, v in meta.items() if v is not None and v != "" and v != []}


def post_items(
    post: SourcePost, where: str, media_root: Path | None, progress: int = 1
) -> Iterator[SourceItem]:
    """The post's own item, then one item per attached media file (resolved under
    `media_root`; a path leaving it is refused, a missing file is an error on that item)."""
    meta = clean_meta({**post.meta, "media_urls": post.media_urls})
    notes = tuple(
        {"signal_type": "media", "message": f"{what} is not in the export (export settings)"}
        for what in post.missing_media
    )
    yield SourceItem(
        where,
        source="post",
        text=post.text,
        meta=meta,
        errors=tuple(post.errors),
        notes=notes,
        progress=progress,
    )
    inherited = {k: meta[k] for k in INHERITED if k in meta}
    if "external_id" in meta:
        inherited["parent"] = meta["external_id"]
    for reference in post.media:
        yield media_item(reference, media_root, inherited, where)


def media_item(
    reference: str, media_root: Path | None, meta: dict[str, Any], post_where: str
) -> SourceItem:
    """The item of one media file a post points to."""
    if media_root is None:
        return SourceItem(
            f"{post_where}/{reference}",
            source="media",
            meta=meta,
            errors=({"stage": "read", "message": "media path given but no folder to read it"},),
            progress=0,
        )
    resolved = resolve_media(media_root, reference)
    if isinstance(resolved, str):
        shown = f"{display_path(media_root)}/{reference[:300]}"
        return SourceItem(
            shown,
            source="media",
            meta=meta,
            errors=({"stage": "read", "message": resolved},),
            progress=0,
        )
    return SourceItem(
        display_path(media_root / reference), source="media", path=resolved, meta=meta, progress=0
    )


def resolve_media(root: Path, reference: str) -> Path | str:
    """The file `reference` names under `root`, or why it cannot be used: absolute paths and
    paths that leave `root` (by "..", or through a symlink) are refused, missing files reported."""
    shown = reference[:300]
    if not reference or "\x00" in reference:
        return f"media path {shown!r} is empty or not a path: skipped"
    relative = reference.replace("\\", "/")
    if relative.startswith("/") or _has_drive(relative):
        return f"media path {shown!r} is absolute: refused (media must be inside the export)"
    try:
        real_root = Path(os.path.realpath(root))
        target = Path(os.path.realpath(real_root / relative))
        present = target.exists()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        return f"media path {shown!r} cannot be used ({reason}): skipped"
    if not target.is_relative_to(real_root):
        return f"media path {shown!r} leads outside the export folder: refused"
    if not present:
        return (
            f"media file {shown!r} is missing from the export: re-export with media, "
            "or scan without it (the other items were scanned)"
        )
    return target


def _has_drive(relative: str) -> bool:
    return len(relative) > 1 and relative[1] == ":" and relative[0].isalpha()
