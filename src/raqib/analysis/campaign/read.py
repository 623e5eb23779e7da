"""Reading a findings file (JSONL, one finding a line, as `raqib scan --output` writes it) line
by line with bounded memory: a line longer than MAX_LINE_BYTES is skipped, not read whole, and a
bad line is a counted problem, not a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from raqib.errors import InputError

MAX_LINE_BYTES = 64 * 1024 * 1024  # a finding with an hour of vPDQ frames is ~0.3 MB
KEPT_PROBLEMS = 20  # problem messages kept for the report; the rest are only counted
_SKIP_CHUNK = 1024 * 1024


@dataclass
class Problems:
    """What could not be used: a count, and the first KEPT_PROBLEMS messages."""

    count: int = 0
    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < KEPT_PROBLEMS:
            self.messages.append(message)


def read_findings(path: Path, problems: Problems) -> Iterator[dict[str, Any]]:
    """The findings of a JSONL file, in order; bad lines go to `problems` and are skipped.
    Raises InputError when the file cannot be opened."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the findings file ({exc.strerror or exc})") from None
    with handle:
        for number, line in enumerate(_bounded_lines(handle, problems), 1):
            if line is None or not line.strip():
                continue
            finding = _parse(line, number, problems)
            if finding is not None:
                yield finding


def _bounded_lines(handle: BinaryIO, problems: Problems) -> Iterator[bytes | None]:
    """Each line of the file, or None for one longer than MAX_LINE_BYTES (skipped unread)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(_SKIP_CHUNK)) and not rest.endswith(b"\n"):
                pass
            problems.add(f"line {number}: longer than {MAX_LINE_BYTES:,} bytes, skipped")
            yield None
            continue
        yield line


def _parse(line: bytes, number: int, problems: Problems) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except UnicodeDecodeError:
        problems.add(f"line {number}: not UTF-8 text, skipped")
        return None
    except (ValueError, RecursionError) as exc:
        problems.add(f"line {number}: not valid JSON ({type(exc).__name__}), skipped")
        return None
    if not isinstance(record, dict) or not isinstance(record.get("item"), dict):
        problems.add(f"line {number}: not a finding (a JSON object with an 'item' object)")
        return None
    return record


def is_findings_file(path: Path) -> bool:
    """Whether `path` is a findings file: a regular file whose first non-blank line is a
    finding (a JSON object with an "item" object and a "signals" list)."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            for line in _bounded_lines(handle, Problems()):
                if line is None:
                    return False
                if line.strip():
                    record = json.loads(line)
                    return (
                        isinstance(record, dict)
                        and isinstance(record.get("item"), dict)
                        and isinstance(record.get("signals"), list)
                    )
    except (OSError, ValueError, RecursionError):
        return False
    return False
