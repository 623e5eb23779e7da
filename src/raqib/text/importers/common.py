"""What the list importers share: bounded file reading, a defused streaming XML reader that
keeps line numbers, name clean-up and a script-based language guess."""

from __future__ import annotations

import re
import xml.sax
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

from raqib.errors import ImportFormatError, InputError

MAX_FILE_BYTES = 200 << 20  # the published lists are tens of MB at most
MAX_XML_DEPTH = 32  # the real lists nest 5 deep
MAX_RECORD_ELEMENTS = 20_000  # elements inside one record; a real record has under 300
_CHUNK = 1 << 20
# Arabic script blocks: Arabic, Supplement, Extended-A, Presentation Forms-A and -B.
_ARABIC_LETTER = re.compile(
    r"(?=[^\W\d_])[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
)


def guess_language(name: str) -> str:
    """ "ar" when most letters are Arabic script, otherwise "und" (transliterations are not
    English). Persian, Urdu and Pashto names in Arabic script are also tagged "ar"."""
    arabic = len(_ARABIC_LETTER.findall(name))
    if not arabic:
        return "und"
    letters = sum(1 for c in name if c.isalpha())
    return "ar" if 2 * arabic > letters else "und"


def clean_name(text: str) -> str:
    """Blanks collapsed to one space; leading and trailing blanks removed."""
    return " ".join(text.split())


def open_limited(path: Path, what: str) -> BinaryIO:
    """The file opened for reading, after checking it exists and is under MAX_FILE_BYTES."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: {size} bytes is over the {MAX_FILE_BYTES >> 20} MiB limit for {what}"
            )
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from exc


def read_limited(path: Path, what: str) -> bytes:
    """The whole file, refused when it is (or grows) over MAX_FILE_BYTES."""
    with open_limited(path, what) as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path}: over the {MAX_FILE_BYTES >> 20} MiB limit for {what}")
    return data


@dataclass(slots=True)
class XmlNode:
    """One element of a record: local tag name (namespace dropped), line, text and children."""

    tag: str
    line: int
    children: list[XmlNode] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return clean_name("".join(self.parts))

    def first(self, tag: str) -> XmlNode | None:
        return next((child for child in self.children if child.tag == tag), None)

    def child_text(self, tag: str) -> str:
        child = self.first(tag)
        return "" if child is None else child.text

    def all(self, *path: str) -> Iterator[XmlNode]:
        """Descendants reached by following `path` (one tag per level)."""
        if not path:
            yield self
            return
        for child in self.children:
            if child.tag == path[0]:
                yield from child.all(*path[1:])


@dataclass(frozen=True)
class XmlLayout:
    """Where records sit (the root's local name; record tag → its parent's local name) and
    which elements inside a record are kept; the others are skipped with their content."""

    root: str
    records: dict[str, str]
    keep: frozenset[str]
    description: str  # for messages: "the UN Security Council Consolidated List XML"


def read_xml_records(path: Path, layout: XmlLayout, on_record: Callable[[XmlNode], None]) -> int:
    """Stream the file through a defused SAX parser (no DTD, no entities, no external
    references) and call `on_record` with each complete record; returns how many there were.
    Raises ImportFormatError naming the line for malformed XML or a wrong layout."""
    handler = _RecordHandler(layout, on_record)
    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd = True
    parser.forbid_entities = True
    parser.forbid_external = True
    parser.setContentHandler(handler)
    try:
        with open_limited(path, layout.description) as handle:
            reader = _LimitedReader(handle, path, layout.description)
            parser.parse(reader)
    except xml.sax.SAXParseException as exc:
        reason = f"not well-formed XML ({exc.getMessage()}); is the download complete?"
        raise ImportFormatError(exc.getLineNumber() or 1, reason) from exc
    except DefusedXmlException as exc:
        reason = "the XML declares a DTD or entities, which the published lists never do; refused"
        raise ImportFormatError(handler.line, reason) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if handler.count == 0:
        raise ImportFormatError(handler.line, f"no records found in {layout.description}")
    return handler.count


class _LimitedReader:
    """A binary file for the SAX parser that refuses to read past MAX_FILE_BYTES (the file
    may grow after the size check)."""

    def __init__(self, handle: BinaryIO, path: Path, what: str) -> None:
        self.handle = handle
        self.name = str(path)
        self.what = what
        self.total = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(_CHUNK if size < 0 else min(size, _CHUNK))
        self.total += len(chunk)
        if self.total > MAX_FILE_BYTES:
            raise InputError(
                f"{self.name}: over the {MAX_FILE_BYTES >> 20} MiB limit for {self.what}"
            )
        return chunk

    def close(self) -> None:
        """The parser closes its source; the file itself is closed by its owner."""


class _RecordHandler(ContentHandler):
    """Builds one XmlNode tree per record; everything outside records is only checked for
    depth and the root name."""

    def __init__(self, layout: XmlLayout, on_record: Callable[[XmlNode], None]) -> None:
        super().__init__()
        self.layout = layout
        self.on_record = on_record
        self.count = 0
        self.locator: Locator | None = None
        self.path: list[str] = []
        self.stack: list[XmlNode] = []  # open elements of the current record
        self.skipping = 0  # depth inside an element of a record that is not kept
        self.elements = 0

    @property
    def line(self) -> int:
        line = self.locator.getLineNumber() if self.locator is not None else None
        return line if isinstance(line, int) and line > 0 else 1

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        if self.skipping:  # fast path: most elements of a record are not needed
            self.skipping += 1
            if len(self.path) + self.skipping > MAX_XML_DEPTH:
                raise ImportFormatError(self.line, f"elements nested over {MAX_XML_DEPTH} deep")
            return
        tag = name.rpartition(":")[2]
        if not self.path and tag != self.layout.root:
            expected = f"<{self.layout.root}> ({self.layout.description})"
            reason = f"root element is <{tag}>, expected {expected}: wrong file?"
            raise ImportFormatError(self.line, reason)
        if len(self.path) >= MAX_XML_DEPTH:
            raise ImportFormatError(self.line, f"elements nested over {MAX_XML_DEPTH} deep")
        if self.stack and tag not in self.layout.keep:
            self.skipping = 1
            return
        parent = self.path[-1] if self.path else ""
        self.path.append(tag)
        if self.stack:
            self._open_child(tag)
        elif self.layout.records.get(tag) == parent:
            self.stack.append(XmlNode(tag, self.line))
            self.elements = 1

    def _open_child(self, tag: str) -> None:
        self.elements += 1
        if self.elements > MAX_RECORD_ELEMENTS:
            raise ImportFormatError(self.line, f"record over {MAX_RECORD_ELEMENTS} elements")
        node = XmlNode(tag, self.line)
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        self.path.pop()
        if self.stack:
            node = self.stack.pop()
            if not self.stack:
                self.count += 1
                self.on_record(node)

    def characters(self, content: str) -> None:
        if self.stack and not self.skipping:
            self.stack[-1].parts.append(content)
