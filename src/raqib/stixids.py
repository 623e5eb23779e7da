"""Deterministic STIX ids of what Raqib shares (uuid5 under one namespace), kept apart from the
STIX mapping so the store can stamp an entry's indicator id when it is inserted."""

from __future__ import annotations

import uuid

RAQIB_NAMESPACE = uuid.UUID("6f1b9a52-3c1e-4e0b-9d43-7a8f2c5e1b90")


def stix_id(kind: str, name: str) -> str:
    """`kind--uuid5(name)`: the same name always gives the same id, on every instance."""
    return f"{kind}--{uuid.uuid5(RAQIB_NAMESPACE, name)}"


def indicator_id(bank: str, signal_type: str, value: str) -> str:
    """The id of the indicator of a signal minted in a bank (entries pulled from a partner keep
    the id they arrived with instead)."""
    return stix_id("indicator", f"{bank}|{signal_type}|{value}")
