"""Indicators of compromise from hacked pages, for CERTs: STIX 2.1, MISP or CSV.

`raqib scan` writes, per saved page with an injected loader, `page.injected_scripts[].iocs`
= [{"type": "url" | "host" | "ip", "value": ...}]. `collect` reads a findings JSONL file and
keeps each distinct indicator once (first seen = the earliest finding time, else now), with the
techniques and the number of pages that carried it. Values are hostile input: each is checked
and normalised again (http(s) URL with a valid host, domain name, IPv4/IPv6 address, at most
2048 characters, no control characters); what fails is skipped and counted, as are unreadable
lines. Indicator ids are deterministic (`raqib.stixids.stix_id`), so the same findings always
give the same objects; patterns quote values as STIX requires (backslash and quote escaped).
"""

from __future__ import annotations

import csv
import hashlib
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from raqib.content.scripts import normalise_host, normalise_url
from raqib.errors import InputError
from raqib.exchange import misp, stix
from raqib.records import check_tlp
from raqib.stixids import stix_id

MAX_LINE_CHARS = 8 << 20
MAX_VALUE_CHARS = 2048
MAX_TECHNIQUES = 10
_TECHNIQUE = re.compile(r"[a-z0-9_+-]{1,120}")
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
NAMES = {
    "url": "URL",
    "domain-name": "domain",
    "ipv4-addr": "IPv4 address",
    "ipv6-addr": "IPv6 address",
}
MISP_TYPES = {
    "url": "url",
    "domain-name": "domain",
    "ipv4-addr": "ip-dst",
    "ipv6-addr": "ip-dst",
}
CSV_FIELDS = ("type", "value", "first_seen", "pages", "techniques", "stix_id")


class IocFormat(StrEnum):
    STIX = "stix"
    MISP = "misp"
    CSV = "csv"


@dataclass
class Ioc:
    """One distinct indicator: its STIX object type (url, domain-name, ipv4-addr, ipv6-addr),
    canonical value, earliest finding time, techniques and how many pages carried it."""

    kind: str
    value: str
    first_seen: datetime
    techniques: set[str] = field(default_factory=set)
    pages: int = 0

    @property
    def id(self) -> str:
        return stix_id("indicator", f"ioc|{self.kind}|{self.value}")

    @property
    def pattern(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace("'", "\\'")
        return f"[{self.kind}:value = '{escaped}']"

    @property
    def description(self) -> str:
        techniques = ", ".join(sorted(self.techniques)) or "unknown"
        return (
            f"{NAMES[self.kind]} loaded by a script injected into {self.pages} scanned "
            f"page(s); technique(s): {techniques}"
        )


@dataclass
class IocReport:
    """What a findings file held: the indicators, and what was skipped."""

    iocs: dict[tuple[str, str], Ioc] = field(default_factory=dict)
    findings: int = 0
    lines_skipped: int = 0  # not JSON, not an object, or longer than 8 MiB
    values_skipped: int = 0  # an IoC whose type or value is not valid

    def sorted(self) -> list[Ioc]:
        return [self.iocs[key] for key in sorted(self.iocs)]


def collect(path: Path, now: datetime | None = None) -> IocReport:
    """The distinct indicators of a findings JSONL file."""
    moment = now or datetime.now(UTC)
    report = IocReport()
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            for line in _lines(handle):
                finding = _finding(line)
                if finding is None:
                    report.lines_skipped += 1
                    continue
                report.findings += 1
                _add_finding(report, finding, moment)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return report


def _lines(handle: TextIO) -> Iterator[str | None]:
    """Non-blank lines; None for a line over the limit (read past, never held whole)."""
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            while line and not line.endswith("\n"):
                line = handle.readline(MAX_LINE_CHARS)
            yield None
        elif line.strip():
            yield line


def _finding(line: str | None) -> dict[str, Any] | None:
    if line is None:
        return None
    try:
        finding = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return finding if isinstance(finding, dict) else None


def _add_finding(report: IocReport, finding: dict[str, Any], now: datetime) -> None:
    seen = _time(_get(finding, "item").get("time")) or now
    counted: set[tuple[str, str]] = set()
    for script in _list(_get(finding, "page").get("injected_scripts")):
        if not isinstance(script, dict):
            continue
        technique = script.get("technique")
        for raw in _list(script.get("iocs")):
            parsed = parse_ioc(raw)
            if parsed is None:
                report.values_skipped += 1
                continue
            ioc = report.iocs.setdefault(parsed, Ioc(*parsed, seen))
            ioc.first_seen = min(ioc.first_seen, seen)
            if _technique(technique) and len(ioc.techniques) < MAX_TECHNIQUES:
                ioc.techniques.add(str(technique))
            if parsed not in counted:
                counted.add(parsed)
                ioc.pages += 1


def _technique(value: Any) -> bool:
    """Whether a technique name is one `raqib scan` could write (lower-case words and +)."""
    return isinstance(value, str) and _TECHNIQUE.fullmatch(value) is not None


def _get(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def parse_ioc(raw: Any) -> tuple[str, str] | None:
    """(STIX object type, canonical value) of one `{"type", "value"}` IoC, or None if invalid."""
    if not isinstance(raw, dict):
        return None
    kind, value = raw.get("type"), raw.get("value")
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_CHARS:
        return None
    if _CONTROL.search(value):
        return None
    if kind == "url":
        url = normalise_url(value)
        return None if url is None else ("url", url.url)
    if kind in ("host", "ip"):
        return _host(value, kind == "ip")
    return None


def _host(value: str, address_only: bool) -> tuple[str, str] | None:
    """A host IoC: an IPv4/IPv6 address (bare or bracketed, or a browser's IPv4 spelling),
    or, unless `address_only`, a domain name. Scoped IPv6 (`%zone`) means nothing elsewhere."""
    if "%" in value:
        return None
    try:
        address = ipaddress.ip_address(value.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        host = normalise_host(value)
        if host is None or (address_only and not host[1]):
            return None
        if not host[1]:
            return ("domain-name", host[0])
        address = ipaddress.ip_address(host[0])
    return ("ipv4-addr" if address.version == 4 else "ipv6-addr", str(address))


# --- writing ----------------------------------------------------------------------------------


def check_output(fmt: IocFormat, tlp: str) -> str:
    """The TLP level to mark with; refuses TLP:RED for MISP (before anything is written)."""
    try:
        level = check_tlp(tlp)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if fmt is IocFormat.MISP:
        misp.distribution(level, "--tlp")
    return level


def write_iocs(report: IocReport, fmt: IocFormat, tlp: str, out: TextIO) -> int:
    """Write the indicators in a format; returns how many."""
    level = check_output(fmt, tlp)
    iocs = report.sorted()
    if fmt is IocFormat.CSV:
        return _write_csv(iocs, out)
    if fmt is IocFormat.MISP:
        return _write_misp(iocs, level, out)
    return _write_stix(iocs, level, out)


def indicator(ioc: Ioc, tlp: str) -> dict[str, Any]:
    """The STIX 2.1 indicator of one IoC."""
    when = stix.stix_time(ioc.first_seen)
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": ioc.id,
        "created_by_ref": stix.IDENTITY_ID,
        "created": when,
        "modified": when,
        "name": f"{NAMES[ioc.kind]} loaded by an injected script",
        "description": ioc.description,
        "indicator_types": ["malicious-activity"],
        "pattern": ioc.pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": when,
        "labels": ["injected-script"],
        "object_marking_refs": [stix.TLP2_IDS[tlp]],
    }


def _digest(iocs: list[Ioc]) -> str:
    return hashlib.sha256("\n".join(i.id for i in iocs).encode()).hexdigest()


def _write_stix(iocs: list[Ioc], tlp: str, out: TextIO) -> int:
    """A bundle: Raqib's identity, the TLP marking, then the indicators, object by object."""
    bundle = stix_id("bundle", f"iocs|{tlp}|{_digest(iocs)}")
    out.write(f'{{"type": "bundle", "id": "{bundle}", "objects": [\n')
    out.write(json.dumps(stix.identity()) + ",\n" + json.dumps(stix.tlp_marking(tlp)))
    for ioc in iocs:
        out.write(",\n" + json.dumps(indicator(ioc, tlp), ensure_ascii=False))
    out.write("\n]}\n")
    return len(iocs)


def _write_misp(iocs: list[Ioc], tlp: str, out: TextIO) -> int:
    first = min((i.first_seen for i in iocs), default=datetime.now(UTC))
    header = misp.event_header(
        misp.event_uuid(f"iocs|{_digest(iocs)}"),
        f"Raqib: {len(iocs)} indicators of compromise from scripts injected into scanned pages",
        first.date().isoformat(),
        tlp,
        "--tlp",
    )
    tags = [misp.tlp_tag(tlp), misp.machine_tag("source", "injected-scripts")]
    writer = misp.EventWriter(out, header, tags)
    for ioc in iocs:
        writer.add(
            {
                "uuid": misp.uuid_of(ioc.id),
                "type": MISP_TYPES[ioc.kind],
                "category": "Network activity",
                "value": ioc.value,
                "to_ids": True,
                "distribution": misp.INHERIT_EVENT,
                "timestamp": misp.unix(ioc.first_seen),
                "first_seen": ioc.first_seen.isoformat(),
                "comment": ioc.description,
                "deleted": False,
                "Tag": [misp.machine_tag("technique", t) for t in sorted(ioc.techniques)],
            }
        )
    return writer.close()


def _write_csv(iocs: list[Ioc], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for ioc in iocs:
        techniques = " ".join(sorted(ioc.techniques))
        writer.writerow(
            [ioc.kind, ioc.value, ioc.first_seen.isoformat(), ioc.pages, techniques, ioc.id]
        )
    return len(iocs)
