"""Feedback on shared indicators: STIX `opinion`s and `sighting`s, sent to the partner an
indicator came from and received from partners (counted per indicator as confirmations and
disputes). A first stub: the full module lands with the feedback slice of issue 6."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

FEEDBACK_TYPES = frozenset({"opinion", "sighting"})


def record_objects(
    session: Session, objects: Sequence[dict[str, Any]], partner: str
) -> dict[str, str | None]:
    """Record the opinions and sightings a partner sent, in the caller's transaction: object id
    -> None when recorded, or the reason it was not."""
    del session, partner
    return {str(obj.get("id")): "feedback is not recorded yet" for obj in objects}
