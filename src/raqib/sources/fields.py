"""Normalising the fields posts carry, whatever the source: times to ISO 8601 UTC, handles
without "@", ids to strings, and hashtags, mentions and links found in plain text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

MAX_LIST = 100  # hashtags, mentions or links kept per post: a post listing thousands is noise
MAX_FIELD_CHARS = 512  # a handle, a name or an id longer than this is cut

_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Wed Oct 10 20:19:24 +0000 2018" (API v1.1, archives)
# Hashtags and mentions the way the platforms mark them: '#' or '@' after a non-word character,
# then letters (any script), digits, underscores; Arabic hashtags use underscores between words.
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,139})")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,64})")
_LINK = re.compile(r"\bhttps?://[^\s<>\"'«»“”]+", re.IGNORECASE)
_LINK_TRAILING = ".,;:!?)]}'\"،؛"


def iso_utc(value: Any) -> str | None:
    """A time as ISO 8601 UTC ("2024-01-02T03:04:05+00:00"), from epoch seconds or
    milliseconds, ISO 8601 text (a time without a zone is taken as UTC) or the X/Twitter
    "Wed Oct 10 20:19:24 +0000 2018" form. None when the value is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):  # JSON numbers may come as Decimal (ijson)
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    text = value.strip()
    if text.isdigit():
        return _from_epoch(float(text))
    for parse in (_from_iso, _from_twitter):
        moment = parse(text)
        if moment is not None:
            return _as_utc_text(moment)
    return None


def _from_epoch(seconds: float) -> str | None:
    if seconds != seconds:  # NaN
        return None
    if abs(seconds) > 1e11:  # milliseconds since the epoch
        seconds /= 1000
    try:
        return _as_utc_text(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _from_twitter(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _TWITTER_TIME)
    except ValueError:
        return None


def _as_utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def text_id(value: Any) -> str | None:
    """An id as text: strings and integers kept (large ids stay exact), anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        try:
            whole = int(value)
        except (OverflowError, ValueError):  # inf, nan
            return None
        return str(whole) if whole == value else None
    if isinstance(value, str) and value.strip():
        return value.strip()[:MAX_FIELD_CHARS]
    return None


def handle(value: Any) -> str | None:
    """A handle or username without the leading "@" and surrounding space; None if empty."""
    text = text_id(value)
    if text is None:
        return None
    text = text.lstrip("@").strip()
    return text or None


def name(value: Any) -> str | None:
    """A display name, trimmed; None if empty or not a string."""
    if not isinstance(value, str):
        return None
    text = value.strip()[:MAX_FIELD_CHARS]
    return text or None


def unique(values: list[str]) -> list[str]:
    """The non-empty values in first-seen order, without repeats, at most MAX_LIST of them."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
            if len(seen) >= MAX_LIST:
                break
    return list(seen)


def hashtags_in(text: str) -> list[str]:
    """Hashtags written in the text, without the "#"."""
    return unique(_HASHTAG.findall(text))


def mentions_in(text: str) -> list[str]:
    """Handles mentioned in the text, without the "@"."""
    return unique(_MENTION.findall(text))


def links_in(text: str) -> list[str]:
    """http(s) links written in the text, without trailing punctuation."""
    return unique([match.rstrip(_LINK_TRAILING) for match in _LINK.findall(text)])
