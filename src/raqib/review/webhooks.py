"""Webhook signatures: how Raqib signs what it sends, and how a receiver checks it.

The signature is "v1=" + the hex HMAC-SHA256, keyed with the shared secret, of the timestamp
(Unix seconds, as sent in X-Raqib-Timestamp), a dot, and the exact body bytes. A receiver
recomputes it, compares in constant time, and rejects timestamps too far from its own clock, so
a captured request cannot be replayed later. docs/webhooks.md shows a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

HEADER_TIMESTAMP = "X-Raqib-Timestamp"
HEADER_SIGNATURE = "X-Raqib-Signature"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"
HEADER_ATTEMPT = "X-Raqib-Attempt"
CONTENT_TYPE = "application/json"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def encode_body(payload: dict[str, Any]) -> bytes:
    """The bytes sent for a payload: compact UTF-8 JSON with sorted keys (the same payload
    always gives the same body, so a re-sent action is byte-identical but for its headers)."""
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Raqib-Signature value for `body` sent at `timestamp` (Unix seconds)."""
    message = f"{timestamp}.".encode("ascii") + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `signature_header` signs `body` at `timestamp_header` with `secret`, and the
    timestamp is within `tolerance_seconds` of `now` (default: this machine's clock). An empty
    secret never verifies. The header may hold several comma-separated signatures (any one
    that matches is enough)."""
    if not secret or not timestamp_header or not signature_header:
        return False
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    candidates = [part.strip().encode("utf-8") for part in signature_header.split(",")]
    # Compare against every candidate (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def signed_headers(
    secret: str, body: bytes, idempotency_key: str, attempt: int, timestamp: int | None = None
) -> dict[str, str]:
    """Every header Raqib sends with a webhook request."""
    at = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": CONTENT_TYPE,
        HEADER_TIMESTAMP: str(at),
        HEADER_SIGNATURE: sign(secret, at, body),
        HEADER_IDEMPOTENCY_KEY: idempotency_key,
        HEADER_ATTEMPT: str(attempt),
    }
