"""Indicator list repository. Importing a list replaces its contents in one transaction, so a
re-import is idempotent and a failed import leaves the previous contents untouched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from raqib.errors import NotFoundError
from raqib.store.models import IndicatorList, IndicatorRow, utcnow
from raqib.text.indicator_records import Indicator

CHUNK = 2_000
LIST_ORIGINS = ("jsonl", "un", "ofac-csv", "ofac-xml")


@dataclass(frozen=True)
class IndicatorListInfo:
    name: str
    description: str
    origin: str
    enabled: bool
    count: int
    updated_at: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "origin": self.origin,
            "enabled": self.enabled,
            "count": self.count,
            "updated_at": self.updated_at,
        }


class IndicatorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace(
        self, name: str, indicators: Sequence[Indicator], origin: str, description: str = ""
    ) -> IndicatorListInfo:
        """Create the list or replace its contents with `indicators`."""
        clean = _check_name(name)
        row = self.session.scalar(select(IndicatorList).where(IndicatorList.name == clean))
        if row is None:
            row = IndicatorList(name=clean, description=description, origin=origin, enabled=True)
            self.session.add(row)
        else:
            row.origin = origin
            row.description = description or row.description
            self.session.execute(delete(IndicatorRow).where(IndicatorRow.list_id == row.id))
        row.updated_at = utcnow()
        self.session.flush()
        unique = list(dict.fromkeys(indicators))
        for start in range(0, len(unique), CHUNK):
            rows = [_row_values(row.id, i) for i in unique[start : start + CHUNK]]
            self.session.execute(insert(IndicatorRow), rows)
        return self.get(clean)

    def get(self, name: str) -> IndicatorListInfo:
        row = self._row(name)
        return _info(row, self._count(row.id))

    def all(self) -> list[IndicatorListInfo]:
        counts = dict(
            self.session.execute(
                select(IndicatorRow.list_id, func.count()).group_by(IndicatorRow.list_id)
            ).all()
        )
        rows = self.session.scalars(select(IndicatorList).order_by(IndicatorList.name))
        return [_info(row, counts.get(row.id, 0)) for row in rows]

    def set_enabled(self, name: str, enabled: bool) -> IndicatorListInfo:
        row = self._row(name)
        row.enabled = enabled
        return _info(row, self._count(row.id))

    def delete(self, name: str) -> int:
        row = self._row(name)
        count = self._count(row.id)
        self.session.delete(row)
        self.session.execute(delete(IndicatorRow).where(IndicatorRow.list_id == row.id))
        return count

    def indicators(self, name: str | None = None, enabled_only: bool = True) -> list[Indicator]:
        """The indicators of one list, or of every (enabled) list."""
        query = select(IndicatorRow).join(IndicatorList)
        if name is not None:
            query = query.where(IndicatorList.id == self._row(name).id)
        elif enabled_only:
            query = query.where(IndicatorList.enabled.is_(True))
        return [_indicator(r) for r in self.session.scalars(query.order_by(IndicatorRow.id))]

    def _row(self, name: str) -> IndicatorList:
        row = self.session.scalar(select(IndicatorList).where(IndicatorList.name == name))
        if row is None:
            raise NotFoundError(
                f"no indicator list named {name!r}; see `raqib indicators list` "
                "or import one with `raqib indicators import`"
            )
        return row

    def _count(self, list_id: int) -> int:
        query = select(func.count()).where(IndicatorRow.list_id == list_id)
        return int(self.session.scalar(query) or 0)


def _check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 100 or not all(c.isalnum() or c in "-_." for c in clean):
        raise ValueError(
            f"indicator list name {name!r}: use 1-100 letters, digits, '-', '_' or '.'"
        )
    return clean


def _row_values(list_id: int, indicator: Indicator) -> dict[str, object]:
    return {"list_id": list_id, **indicator.as_dict()}


def _indicator(row: IndicatorRow) -> Indicator:
    return Indicator(
        name=row.name,
        kind=row.kind,
        entity=row.entity,
        language=row.language,
        source=row.source,
        weight=row.weight,
        stance=row.stance,
        reference=row.reference,
        chain=row.chain,
    )


def _info(row: IndicatorList, count: int) -> IndicatorListInfo:
    return IndicatorListInfo(
        name=row.name,
        description=row.description,
        origin=row.origin,
        enabled=row.enabled,
        count=count,
        updated_at=row.updated_at.isoformat(timespec="seconds"),
    )
