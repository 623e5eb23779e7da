"""Reading values out of untrusted JSON (findings, an analysis file a user hands us) for the
reports: every accessor checks the type, caps the size, and falls back to an empty value, so a
wrong or hostile field shows as missing instead of crashing a report."""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import islice
from typing import Any

TEXT_LIMIT = 200
LIST_LIMIT = 1000


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def mappings(value: object, limit: int = LIST_LIMIT) -> list[Mapping[str, Any]]:
    """The mappings in a list (other entries skipped), at most `limit` of them."""
    if not isinstance(value, list | tuple):
        return []
    return list(islice((v for v in value if isinstance(v, Mapping)), limit))


def text(value: object, limit: int = TEXT_LIMIT) -> str:
    """A string or number as text, cut to `limit` characters ("" for anything else)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str):
        return value[:limit].strip()
    if isinstance(value, int | float) and math.isfinite(value):
        return str(value)[:limit]
    return ""


def texts(value: object, limit: int = LIST_LIMIT, chars: int = TEXT_LIMIT) -> list[str]:
    """The non-empty strings (or numbers) of a list, each cut to `chars`, at most `limit`."""
    if not isinstance(value, list | tuple):
        return []
    found = (text(v, chars) for v in value)
    return list(islice((t for t in found if t), limit))


def integer(value: object, default: int = 0) -> int:
    """A non-negative whole number (a float is truncated), else `default`."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value >= 0 else default
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        return int(value)
    return default


def number(value: object) -> float | None:
    """A finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number_value = float(value)
    return number_value if math.isfinite(number_value) else None


def clipped(value: str, limit: int) -> tuple[str, bool]:
    """`value` cut to `limit` characters, and whether it was cut."""
    return (value, False) if len(value) <= limit else (value[:limit], True)
