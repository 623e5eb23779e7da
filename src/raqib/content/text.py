"""Untrusted bytes to text: BOM-aware, UTF-8 first, never raises; what was lost is reported.

Invalid UTF-8 is decoded with U+FFFD replacement characters and the finding says so (how many
bytes, where the first one was), so a reviewer knows the text is not exactly what was posted.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

from raqib.errors import InputError

# Byte-order marks and their encodings; UTF-32 LE before UTF-16 LE, whose BOM starts it.
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_bom(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark at the start of DATA names and the mark's length; None
    when DATA starts with no BOM."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    errors: list[str] = field(default_factory=list)


def decode_text(data: bytes) -> DecodedText:
    """Decode bytes as text: a BOM decides the encoding, else UTF-8 with replacement."""
    encoding, skip = read_bom(data) or ("utf-8", 0)
    body = data[skip:]
    try:
        return DecodedText(body.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        text = body.decode(encoding, errors="replace")
        bad = text.count("\ufffd") - body.decode(encoding, errors="ignore").count("\ufffd")
        message = (
            f"not valid {encoding.upper()}: decoded with replacement characters "
            f"({bad} invalid sequence(s), first at byte {exc.start})"
        )
        return DecodedText(text, encoding, [message])


def read_text_file(path: Path, max_bytes: int) -> DecodedText:
    """Read at most `max_bytes` of a text file and decode it; a longer file is cut and reported."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if len(data) <= max_bytes:
        return decode_text(data)
    decoded = decode_text(_cut_at_character(data[:max_bytes]))
    note = f"file is larger than {max_bytes} bytes: only the first {max_bytes} were assessed"
    return DecodedText(decoded.text, decoded.encoding, [*decoded.errors, note])


def _cut_at_character(data: bytes) -> bytes:
    """Drop a UTF-8 sequence split by the cut, so the cut itself is not reported as invalid."""
    for back in range(1, 4):
        if len(data) < back:
            break
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # lead byte of a sequence that may be incomplete
            return data[:-back]
    return data
