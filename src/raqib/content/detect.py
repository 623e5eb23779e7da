"""Decide what kind of content a file holds from its first bytes (never from its name alone)."""

from __future__ import annotations

from pathlib import Path

from raqib.content.kinds import ContentKind
from raqib.errors import InputError

HEAD_BYTES = 64


def sniff_kind(head: bytes) -> ContentKind:
    """Content kind from the leading bytes of a file."""
    if _is_image(head):
        return ContentKind.IMAGE
    if _is_video(head):
        return ContentKind.VIDEO
    return ContentKind.FILE


def detect_kind(path: Path) -> ContentKind:
    """Read the first bytes of `path` and sniff them; falls back to the extension for
    truncated media so that a corrupt image is reported as a bad image, not a plain file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    kind = sniff_kind(head)
    if kind is ContentKind.FILE:
        return _kind_from_suffix(path.suffix.lower())
    return kind


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".webm", ".mkv", ".mov", ".avi"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".json", ".jsonl", ".ndjson"})
PAGE_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})


def _kind_from_suffix(suffix: str) -> ContentKind:
    if suffix in IMAGE_SUFFIXES:
        return ContentKind.IMAGE
    if suffix in VIDEO_SUFFIXES:
        return ContentKind.VIDEO
    if suffix in PAGE_SUFFIXES:
        return ContentKind.PAGE
    if suffix in TEXT_SUFFIXES:
        return ContentKind.TEXT
    return ContentKind.FILE


def _is_image(head: bytes) -> bool:
    return (
        head.startswith(b"\xff\xd8\xff")  # JPEG
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or head[:6] in (b"GIF87a", b"GIF89a")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00")
        or head[:4] in (b"II*\x00", b"MM\x00*")  # TIFF
    )


def _is_video(head: bytes) -> bool:
    return (
        head[4:8] == b"ftyp"  # MP4, MOV
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska, WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
    )
