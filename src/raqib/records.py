"""Plain records passed between layers (the store maps its rows to these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")


def check_tlp(tlp: str) -> str:
    value = tlp.strip().lower().removeprefix("tlp:")
    if value == "white":  # TLP 1.0 name of clear
        value = "clear"
    if value not in TLP_LEVELS:
        raise ValueError(f"unknown TLP marking {tlp!r} (use one of: {', '.join(TLP_LEVELS)})")
    return value


def check_tier(tier: int | str | None) -> int | None:
    if tier is None or tier == "":
        return None
    try:
        value = int(tier)
    except (TypeError, ValueError):
        raise ValueError(f"tier must be 1-4, got {tier!r}") from None
    if not 1 <= value <= 4:
        raise ValueError(f"tier must be 1-4, got {value}")
    return value


@dataclass(frozen=True)
class Labels:
    """What an entry says about its content."""

    entity: str = ""
    behaviours: tuple[str, ...] = ()
    tier: int | None = None
    source: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "behaviours": list(self.behaviours),
            "tier": self.tier,
            "source": self.source,
            "note": self.note,
        }

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Labels:
        """Labels from `key=value` options or a parsed record; unknown keys are an error."""
        unknown = set(values) - {"entity", "behaviours", "tier", "source", "note"}
        if unknown:
            raise ValueError(f"unknown label(s): {', '.join(sorted(unknown))}")
        return cls(
            entity=str(values.get("entity") or "").strip(),
            behaviours=split_behaviours(values.get("behaviours")),
            tier=check_tier(values.get("tier")),
            source=str(values.get("source") or "").strip(),
            note=str(values.get("note") or "").strip(),
        )


def split_behaviours(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list | tuple) else str(value).replace(";", ",").split(",")
    return tuple(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


@dataclass(frozen=True)
class BankInfo:
    id: int
    name: str
    description: str
    tlp: str
    enabled: bool
    allow_list: bool
    match_rotations: bool
    thresholds: dict[str, float]
    created_at: datetime
    entry_count: int = 0
    partner: str | None = None  # the partner a pulled bank comes from (schema 0007)
    remote_collection: str | None = None  # and the id of its TAXII collection there

    def threshold(self, signal_type: str, default: float) -> float:
        return float(self.thresholds.get(signal_type, default))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tlp": self.tlp,
            "enabled": self.enabled,
            "allow_list": self.allow_list,
            "match_rotations": self.match_rotations,
            "thresholds": self.thresholds,
            "created_at": self.created_at.isoformat(),
            "entries": self.entry_count,
        }


@dataclass(frozen=True)
class NewEntry:
    """An entry to add: a signal in canonical form with its labels."""

    signal_type: str
    value: str
    labels: Labels = field(default_factory=Labels)
    stix_id: str = ""  # the indicator id it arrived with from a partner; minted when empty


@dataclass(frozen=True)
class EntryRecord:
    id: int
    bank: str
    signal_type: str
    value: str
    labels: Labels
    added_at: datetime
    stix_id: str = ""  # its STIX indicator id (schema 0007)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "bank": self.bank,
            "signal_type": self.signal_type,
            "signal": self.value,
            **self.labels.as_dict(),
            "added_at": self.added_at.isoformat(),
        }
