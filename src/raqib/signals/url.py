"""`url`: a URL in canonical form, so trivially different spellings of one address match.

Canonical: lower-case scheme and host, host in IDNA (punycode), default ports, fragments and
tracking parameters (utm_*, fbclid, gclid, ...) dropped; path case and the order of the
remaining query parameters kept.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import idna

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType

DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "igshid", "mc_cid", "mc_eid", "yclid", "_ga", "si"}
)
TRACKING_PREFIXES = ("utm_",)
MAX_URL_LENGTH = 8192


def canonical_url(url: str) -> str:
    """Canonical form of `url`; raises ValueError saying why it is not a usable URL."""
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise ValueError("URL is empty or longer than 8192 characters")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise ValueError(f"URL has no host: {url[:80]!r}")
    host = _idna_host(parts.hostname)
    netloc = _netloc(parts.username, parts.password, host, _port(parts, scheme, url))
    query = urlencode(_kept_params(parts.query), doseq=True)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _port(parts: SplitResult, scheme: str, url: str) -> int | None:
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"URL has an invalid port: {url[:80]!r}") from exc
    return None if port == DEFAULT_PORTS.get(scheme) else port


def _idna_host(hostname: str) -> str:
    host = hostname.rstrip(".").lower()
    if host.startswith("[") or host.replace(".", "").isdigit() or ":" in host:
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"URL host is not a valid domain name: {hostname[:80]!r}") from exc


def _netloc(user: str | None, password: str | None, host: str, port: int | None) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    auth = ""
    if user:
        auth = user + (f":{password}" if password else "") + "@"
    return f"{auth}{host}" + (f":{port}" if port is not None else "")


def _kept_params(query: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(query, keep_blank_values=True)
    return [
        (key, value)
        for key, value in pairs
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]


class UrlSignalType(SignalType):
    name: ClassVar[str] = "url"
    content_kinds = frozenset({ContentKind.URL})
    index_kind = IndexKind.EXACT
    default_threshold = 0

    def hash(self, content: Content, settings: Settings) -> Signal | NoSignal:
        return Signal(self.name, canonical_url(content.require_text()))

    def normalize(self, value: str) -> str:
        return canonical_url(value)
