"""Indicator lists as JSONL files, one `Indicator.as_dict()` object a line. All or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from raqib.errors import ImportFormatError, InputError
from raqib.text.indicator_records import Indicator

MAX_FILE_BYTES = 512 << 20


def read_indicator_jsonl(path: Path) -> list[Indicator]:
    """Every indicator of a JSONL file; raises on the first bad line, naming it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: over the {MAX_FILE_BYTES >> 20} MiB limit for a list")
        with path.open("r", encoding="utf-8-sig") as handle:
            return [
                _indicator(number, line)
                for number, line in enumerate(handle, 1)
                if line.strip() and not line.lstrip().startswith("#")
            ]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _indicator(number: int, line: str) -> Indicator:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ImportFormatError(number, f"not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ImportFormatError(number, "want a JSON object with at least name and kind")
    try:
        return Indicator.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise ImportFormatError(number, str(exc)) from exc
