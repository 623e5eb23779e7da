"""Errors Raqib raises on purpose. Each carries one line a user can act on."""

from __future__ import annotations


class RaqibError(Exception):
    """Base class: the message is shown to the user as one line (CLI exit code 2)."""


class InputError(RaqibError):
    """Input that cannot be processed: corrupt, too large, unreadable or of an unknown kind."""


class NotFoundError(RaqibError):
    """A named thing (bank, entry) does not exist."""


class ConflictError(RaqibError):
    """A thing with that name already exists, or a state forbids the change."""


class ImportFormatError(InputError):
    """A hash-list file is malformed; names the line and why."""

    def __init__(self, line_number: int, reason: str) -> None:
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number
        self.reason = reason
