"""Similar cases: those of one cluster (the same matched entry, the same text or the same file;
see cases.cluster_key), and one decision over many of them at once.

A bulk decision is the same decision made case by case: for each case the reviewer may take,
a claim and then decisions.decide, each audited as usual. A case someone else holds, one
already decided, or one the reviewer may not take (an appeal of their own decision, a case
assigned to another) is skipped, and the others are still decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raqib.config import Settings
from raqib.errors import ConflictError, InputError, NotFoundError
from raqib.review import claims, decisions
from raqib.review.cases import CaseView, case_row, case_views
from raqib.review.reasons import check_reason
from raqib.store.models_service import Case

GOLDEN_ORIGIN = "golden"  # golden-set cases test one reviewer's judgement: never listed here
SIMILAR_LIMIT = 50
BULK_MAX = 200


@dataclass(frozen=True)
class BulkResult:
    """What a bulk decision did: the ids decided, and those skipped with why."""

    decided: tuple[int, ...] = ()
    skipped: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decided": list(self.decided),
            "skipped": {str(k): v for k, v in self.skipped.items()},
        }


def cluster_of(session: Session, case_id: int) -> str | None:
    """The case's cluster (None for a case opened before clusters existed, or with no key)."""
    return case_row(session, case_id).cluster


def similar_cases(session: Session, case_id: int, limit: int = SIMILAR_LIMIT) -> list[CaseView]:
    """The other cases of the case's cluster (golden-set cases left out), open ones first, then
    newest first."""
    cluster = cluster_of(session, case_id)
    if cluster is None:
        return []
    ids = session.scalars(
        select(Case.id)
        .where(Case.cluster == cluster, Case.id != case_id, Case.origin != GOLDEN_ORIGIN)
        .order_by(Case.state != "open", Case.id.desc())
        .limit(limit)
    )
    return case_views(session, [int(i) for i in ids])


def open_in_cluster(session: Session, cluster: str, limit: int = BULK_MAX) -> list[int]:
    """The ids of the cluster's open cases (golden-set cases left out), oldest first."""
    query = (
        select(Case.id)
        .where(Case.cluster == cluster, Case.state == "open", Case.origin != GOLDEN_ORIGIN)
        .order_by(Case.id)
        .limit(limit)
    )
    return [int(i) for i in session.scalars(query)]


def decide_cluster(
    session: Session,
    case_ids: Iterable[int],
    actor: str,
    outcome: str,
    reason_code: str,
    note: str,
    settings: Settings,
) -> BulkResult:
    """Claim and decide each listed case the actor can take, skipping the others (see the
    module docstring). Each case is decided in its own savepoint of the caller's write
    transaction, so a case that fails leaves no trace and the rest go on."""
    check_reason(outcome, reason_code)
    wanted = list(dict.fromkeys(case_ids))
    if len(wanted) > BULK_MAX:
        raise InputError(f"a bulk decision covers at most {BULK_MAX} cases")
    decided: list[int] = []
    skipped: dict[int, str] = {}
    for case_id in wanted:
        try:
            with session.begin_nested():
                claims.claim(session, case_id, actor, settings.claim_seconds)
                decisions.decide(session, case_id, actor, outcome, reason_code, note, settings)
        except (ConflictError, NotFoundError) as exc:
            skipped[case_id] = str(exc)
            continue
        decided.append(case_id)
    return BulkResult(tuple(decided), skipped)
