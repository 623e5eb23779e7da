"""Accounts met in findings: authors, forward sources and mentioned handles, each numbered once.

An account's key is its handle without "@", casefolded (handles are case-insensitive on the
platforms Raqib reads); the handle shown is the first spelling met."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_HANDLE_CHARS = 200


def clean_field(value: Any, limit: int = MAX_HANDLE_CHARS) -> str | None:
    """A finding field as a short string: strings and numbers kept, anything else None."""
    if type(value) is str:  # the common case first: this runs several times per finding
        return value.strip()[:limit] or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = str(value).strip()[:limit]
        return text or None
    return None


def handle_of(value: Any) -> str | None:
    """The handle in an author, forwarded_from or mention field, without a leading "@"."""
    text = clean_field(value)
    if text is None:
        return None
    return text.lstrip("@").strip() or None


@dataclass
class Accounts:
    """Handles numbered in order of first appearance, with each one's display name."""

    handles: list[str] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # account -> display name
    _numbers: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.handles)

    def number(self, handle: str) -> int:
        """The account number of `handle`, added if new."""
        key = handle.casefold()
        found = self._numbers.get(key)
        if found is None:
            found = self._numbers[key] = len(self.handles)
            self.handles.append(handle)
        return found

    def name(self, account: int, display_name: str | None) -> None:
        """Remember the display name an account is first seen with."""
        if display_name and account not in self.names:
            self.names[account] = display_name
