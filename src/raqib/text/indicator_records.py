"""Indicator records: one named thing to look for in text (an entity or alias, a person, an
official media outlet, a slogan, a hashtag, a web domain or a crypto-asset address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INDICATOR_KINDS = (
    "entity",  # a designated organisation or one of its aliases
    "person",  # a designated individual
    "outlet",  # an official media outlet of an entity
    "slogan",  # a documented slogan, used as detection vocabulary
    "hashtag",
    "domain",
    "crypto_address",
)
# How the name used for a group signals the writer's stance (Magdy, Darwish & Weber, 2015).
STANCES = ("self", "opponent")


@dataclass(frozen=True)
class Indicator:
    """One pattern with what it points to and where the fact comes from."""

    name: str  # the pattern as written, in its own script
    kind: str  # one of INDICATOR_KINDS
    entity: str | None = None  # the canonical entity it attributes to
    language: str | None = None  # ISO 639-1 code, "und" when mixed or unknown
    source: str = ""  # citation: list and reference, or a public URL
    weight: float = 0.5  # 0..1, how strongly a hit points to the entity
    stance: str | None = None  # "self" for self-designation, "opponent" for opponents' names
    reference: str | None = None  # the source's own id (UN QDe.115, OFAC uid 12345, ...)
    chain: str | None = None  # for crypto_address: "BTC", "ETH", "TRX", "XMR", ...

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("an indicator needs a non-empty name")
        if self.kind not in INDICATOR_KINDS:
            raise ValueError(f"indicator kind {self.kind!r} is not one of {INDICATOR_KINDS}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"indicator weight {self.weight} is not between 0 and 1")
        if self.stance is not None and self.stance not in STANCES:
            raise ValueError(f"indicator stance {self.stance!r} is not one of {STANCES}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "entity": self.entity,
            "language": self.language,
            "source": self.source,
            "weight": self.weight,
            "stance": self.stance,
            "reference": self.reference,
            "chain": self.chain,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Indicator:
        """Build from a mapping (a JSONL line); raises ValueError naming what is wrong."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"unknown indicator fields: {', '.join(sorted(unknown))}")
        if "name" not in known or "kind" not in known:
            raise ValueError("an indicator needs 'name' and 'kind'")
        if "weight" in known:
            known["weight"] = float(known["weight"])
        return cls(**known)
