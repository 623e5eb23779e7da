"""Untrusted export files as a stream of UTF-8 bytes, read in constant memory.

Exports arrive as UTF-8, UTF-8 with a byte-order mark, UTF-16 or UTF-32 (Windows tools), and
sometimes with Latin-1 lines pasted in. `Utf8Stream` hands the JSON parser UTF-8 whatever the
file's encoding: a BOM, or the zero bytes of BOM-less UTF-16/32 JSON, decides the encoding; bytes
that are not valid UTF-8 are read as Latin-1 (with `repair`) and reported once in `messages`.

`max_span` bounds how many bytes may pass between two `mark()` calls, so that one record of a
hostile file (a single 2 GB "message") is refused instead of being built in memory.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from raqib.content.text import read_bom
from raqib.errors import InputError

CHUNK = 1 << 16
DEFAULT_MAX_RECORD_BYTES = 64 << 20  # one post, message or JSONL line larger than this: refused


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode error handler: the bytes that are not UTF-8 are read as Latin-1 characters."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("raqib-latin1", _latin1_fallback)


class RecordTooLarge(InputError):
    """One record of a stream is larger than the reader accepts."""


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """The encoding of a JSON text from its first 4 bytes, and the length of its BOM. JSON
    starts with an ASCII character, so zero bytes next to it reveal BOM-less UTF-16/32."""
    marked = read_bom(head)
    if marked is not None:
        return marked
    if len(head) >= 4:
        if head[:3] == b"\x00\x00\x00" and head[3]:
            return "utf-32-be", 0
        if head[0] and head[1:4] == b"\x00\x00\x00":
            return "utf-32-le", 0
    if len(head) >= 2:
        if head[0] == 0 and head[1]:
            return "utf-16-be", 0
        if head[0] and head[1] == 0:
            return "utf-16-le", 0
    return "utf-8", 0


class Utf8Stream(io.RawIOBase):
    """A binary file's text as UTF-8 bytes (see the module docstring)."""

    def __init__(
        self, raw: BinaryIO, repair: bool = True, max_span: int = DEFAULT_MAX_RECORD_BYTES
    ) -> None:
        super().__init__()
        self._raw = raw
        self._repair = repair
        self.max_span = max_span
        self.span = 0
        self.messages: list[str] = []
        head = raw.read(4)
        self.encoding, bom = sniff_encoding(head)
        self._pending = head[bom:]  # raw bytes read but not yet converted
        self._offset = bom  # raw offset of the first pending byte
        self._out = b""
        self._at = 0
        self._eof = False
        self._reported = False
        self._decoder = (
            None
            if self.encoding == "utf-8"
            else codecs.getincrementaldecoder(self.encoding)(errors="replace")
        )

    def readable(self) -> bool:
        return True

    def mark(self) -> None:
        """A record ended here: the span bound starts again."""
        self.span = 0

    def take_messages(self) -> list[str]:
        """The decoding reports not yet taken (each is said once)."""
        taken, self.messages = self.messages, []
        return taken

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while self._at >= len(self._out) and not self._eof:
            self._out, self._at = self._convert_next(), 0
        count = min(len(buffer), len(self._out) - self._at)
        buffer[:count] = self._out[self._at : self._at + count]
        self._at += count
        self.span += count
        if self.span > self.max_span:
            raise RecordTooLarge(
                f"one record is larger than {self.max_span >> 20} MiB: refused (a post this "
                "large is not a real post; split or trim the file)"
            )
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()

    def _convert_next(self) -> bytes:
        data = self._pending + self._raw.read(CHUNK)
        final = len(data) == len(self._pending)
        self._eof = final
        if self._decoder is not None:
            self._pending = b""
            text = self._decoder.decode(data, final)
            if "\ufffd" in text and not self._reported:
                self._report(f"invalid {self.encoding.upper()} sequences replaced by U+FFFD")
            return text.encode("utf-8", "surrogatepass")
        body, self._pending = (data, b"") if final else _split_incomplete(data)
        start = self._offset
        self._offset += len(body)
        return body if not self._repair else self._repaired(body, start)

    def _repaired(self, body: bytes, start: int) -> bytes:
        try:
            body.decode("utf-8")
            return body
        except UnicodeDecodeError as exc:
            if not self._reported:
                self._report(
                    f"not valid UTF-8 from byte {start + exc.start} on: such bytes were read as "
                    "Latin-1 (check the export's encoding)"
                )
            return body.decode("utf-8", "raqib-latin1").encode("utf-8")

    def _report(self, message: str) -> None:
        self._reported = True
        self.messages.append(message)


def _split_incomplete(data: bytes) -> tuple[bytes, bytes]:
    """`data` cut before a UTF-8 sequence that the chunk boundary split, and that tail."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data, b""
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return (data[:-back], data[-back:]) if needed > back else (data, b"")
    return data, b""


def open_utf8(
    path: Path, repair: bool = True, max_span: int = DEFAULT_MAX_RECORD_BYTES
) -> Utf8Stream:
    """`path` opened as a UTF-8 stream; raises InputError when it cannot be read."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    return Utf8Stream(raw, repair=repair, max_span=max_span)


def decode_line(line: bytes) -> tuple[str, str | None]:
    """One line's text: UTF-8, or else Latin-1 with a message saying so."""
    try:
        return line.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return line.decode("utf-8", "raqib-latin1"), (
            f"not valid UTF-8 (first bad byte at {exc.start}): read as Latin-1 "
            "(check the file's encoding)"
        )


def lines(stream: Utf8Stream, max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line of a stream, without the line end; a line longer
    than `max_line` bytes comes as None (it was skipped, never held whole in memory)."""
    buffered = io.BufferedReader(stream, CHUNK)
    number = 0
    while True:
        line = buffered.readline(max_line + 1)
        if not line:
            return
        number += 1
        stream.mark()
        if len(line) > max_line and not line.endswith(b"\n"):
            _skip_rest_of_line(buffered, stream)
            yield number, None
            continue
        yield number, line.rstrip(b"\r\n")


def _skip_rest_of_line(buffered: io.BufferedReader[Utf8Stream], stream: Utf8Stream) -> None:
    while True:
        part = buffered.readline(CHUNK)
        stream.mark()
        if not part or part.endswith(b"\n"):
            return
