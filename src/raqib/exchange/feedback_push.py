"""Sending our reviewers' feedback (STIX opinions and sightings waiting in the feedback outbox,
see raqib.exchange.feedback) to the partners whose indicators they are about.

Each row goes to the partner's collection it names (the one its indicator was pulled from), in
one envelope per collection, with a plain POST to <api root>/collections/<id>/objects/:
taxii2-client refuses to post to a collection listed with can_write false, and a partner takes
feedback on collections it only lets us read. Rows the partner's status lists as failures, and
all rows of an envelope that did not get through, are marked failed with the reason (they are
tried again by later runs, up to the outbox's attempt limit); the others are marked sent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from raqib.exchange import feedback
from raqib.exchange.taxii import MEDIA_TAXII
from raqib.exchange.taxii_client import KeyAuth, Remote, remote, remote_errors
from raqib.store.db import Database

BATCH = 200  # outbox rows read (and sent) at a time
REQUEST_TIMEOUT_SECONDS = 60
_ERROR_CHARS = 300


@dataclass
class FeedbackResult:
    """What one run did with a partner's outbox: rows sent, and rows that failed this time."""

    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Row:
    id: int
    collection: str
    stix_object: dict[str, Any]


def push_feedback(
    database: Database, partner_name: str, key_for_partner: str | None = None
) -> FeedbackResult:
    """Send the partner's pending feedback rows; each row is tried at most once per run."""
    target = remote(database, partner_name, key_for_partner)
    result = FeedbackResult()
    tried: set[int] = set()
    roots: dict[str, str] | None = None
    while True:
        with database.session() as session:
            rows = [
                _Row(int(row.id), row.collection, dict(row.stix_object))
                for row in feedback.pending(session, target.name, BATCH + len(tried))
                if int(row.id) not in tried
            ]
        if not rows:
            return result
        tried.update(row.id for row in rows)
        if roots is None:
            roots = _collection_roots(target)
        for collection, group in _by_collection(rows).items():
            failures = _post(target, roots, collection, group)
            _record(database, group, failures, result)


def _by_collection(rows: list[_Row]) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        grouped[row.collection].append(row)
    return dict(grouped)


def _collection_roots(target: Remote) -> dict[str, str]:
    """Collection id -> the URL of the API root listing it; "" -> the server's default root."""
    server, _auth = target.server()
    with remote_errors(target.url):
        roots = list(server.api_roots)
        found = {str(c.id): str(root.url) for root in roots for c in root.collections}
        default = server.default or (roots[0] if roots else None)
    found[""] = str(default.url) if default is not None else ""
    return found


def _post(
    target: Remote, roots: dict[str, str], collection: str, rows: list[_Row]
) -> dict[int, str]:
    """POST one envelope of feedback to a collection: the rows that failed, with the reason."""
    if not collection:
        return {row.id: "no partner collection recorded for this feedback" for row in rows}
    root = roots.get(collection) or roots[""]
    if not root:
        return {row.id: "the partner's TAXII server lists no API root" for row in rows}
    url = f"{root.rstrip('/')}/collections/{quote(collection, safe='')}/objects/"
    envelope = {"objects": [row.stix_object for row in rows]}
    headers = {"Accept": MEDIA_TAXII, "Content-Type": MEDIA_TAXII}
    try:
        answer = requests.post(
            url,
            json=envelope,
            headers=headers,
            auth=KeyAuth(target.key),
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        return {row.id: f"could not reach {url}: {exc}"[:_ERROR_CHARS] for row in rows}
    if answer.status_code not in (200, 202):
        reason = f"the partner answered {answer.status_code}: {_title(answer)}"[:_ERROR_CHARS]
        return {row.id: reason for row in rows}
    return _status_failures(answer, rows)


def _status_failures(answer: requests.Response, rows: list[_Row]) -> dict[int, str]:
    """The rows a TAXII status resource names as failures (by object id)."""
    try:
        status = answer.json()
    except ValueError:
        status = {}
    listed = status.get("failures") if isinstance(status, dict) else None
    reasons: dict[str, str] = {}
    for failure in listed if isinstance(listed, list) else []:
        if isinstance(failure, dict) and isinstance(failure.get("id"), str):
            message = str(failure.get("message") or "refused by the partner")
            reasons[failure["id"]] = message[:_ERROR_CHARS]
    return {
        row.id: reasons[oid] for row in rows if (oid := str(row.stix_object.get("id"))) in reasons
    }


def _title(answer: requests.Response) -> str:
    """The title of a TAXII error message, or the start of whatever the body was."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:100]
    return str(body.get("title") if isinstance(body, dict) else body)[:200]


def _record(
    database: Database, rows: list[_Row], failures: dict[int, str], result: FeedbackResult
) -> None:
    """Mark the envelope's rows sent or failed (grouped by reason) in one transaction."""
    sent = [row.id for row in rows if row.id not in failures]
    by_reason: dict[str, list[int]] = defaultdict(list)
    for row_id, reason in failures.items():
        by_reason[reason].append(row_id)
    with database.session(write=True) as session:
        if sent:
            feedback.mark_sent(session, sent)
        for reason, ids in by_reason.items():
            feedback.mark_failed(session, ids, reason)
    result.sent += len(sent)
    result.failed += len(failures)
