"""Comments on cases: what reviewers tell each other about a case (not a decision). Each one is
audited ("case.comment") in the transaction that adds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.errors import InputError
from raqib.review import audit
from raqib.review.cases import case_row
from raqib.store.models import as_utc, iso, utcnow
from raqib.store.models_service import CaseComment

COMMENT_MAX = 5000
LIST_LIMIT = 200


@dataclass(frozen=True)
class CommentView:
    id: int
    case_id: int
    actor: str
    text: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "actor": self.actor,
            "text": self.text,
            "created_at": iso(self.created_at),
        }


def add_comment(session: Session, case_id: int, actor: str, text: str) -> CommentView:
    """Add a comment of 1 to COMMENT_MAX characters to the case; audited "case.comment"."""
    clean = text.strip()
    if not clean or len(clean) > COMMENT_MAX:
        raise InputError(f"a comment holds 1 to {COMMENT_MAX} characters")
    case_row(session, case_id)
    row = CaseComment(case_id=case_id, actor=actor, text=clean, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.append(session, actor, "case.comment", "case", case_id, {"comment_id": row.id})
    return _view(row)


def list_comments(session: Session, case_id: int, limit: int = LIST_LIMIT) -> list[CommentView]:
    """The case's comments, oldest first (at most `limit`, the latest ones)."""
    query = (
        select(CaseComment)
        .where(CaseComment.case_id == case_id)
        .order_by(CaseComment.id.desc())
        .limit(limit)
    )
    return [_view(row) for row in reversed(session.scalars(query).all())]


def _view(row: CaseComment) -> CommentView:
    return CommentView(int(row.id), int(row.case_id), row.actor, row.text, as_utc(row.created_at))
