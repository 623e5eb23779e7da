"""Cases about synthetic forum posts for the review and feedback tests, opened through
raqib.review.cases.open_case as the service opens them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from raqib.matching import Match
from raqib.review.cases import open_case
from raqib.store.db import Database


def open_post_case(
    database: Database,
    n: int,
    tier: int | None = 1,
    author: str = "author-1",
    matches: Sequence[Match] = (),
    with_url: bool = False,
) -> int:
    """The id of a new case about synthetic post N by AUTHOR, with these matches and verdict
    tier (recommended: review); WITH_URL adds the post's forum.example address."""
    finding = {
        "item": {"id": str(n), "source": "post", "path": f"synthetic test post {n}"},
        "matches": [m.as_dict() for m in matches],
        "verdict": {"tier": tier, "recommended": "review", "reasons": []},
    }
    meta: dict[str, Any] = {"platform": "forum", "external_id": f"post-{n}", "author_id": author}
    if with_url:
        meta["url"] = f"https://forum.example/p/{n}"
    with database.session(write=True) as session:
        return open_case(session, finding, meta, "key:1").id
