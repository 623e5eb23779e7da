"""The starter indicator list shipped with Raqib: designated entities and their aliases, official
media outlets and a documented slogan, each line citing its public source (docs/indicators.md)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from raqib.errors import InputError
from raqib.text.indicator_files import read_indicator_jsonl
from raqib.text.indicator_records import Indicator

STARTER_FILE = "starter_indicators.jsonl"


def load_starter_indicators() -> list[Indicator]:
    """Every indicator of the shipped starter list, in file order."""
    return list(_starter())


@cache
def _starter() -> tuple[Indicator, ...]:
    data = resources.files("raqib.text").joinpath("data", STARTER_FILE)
    with resources.as_file(data) as path:
        indicators = read_indicator_jsonl(path)
    unsourced = [indicator.name for indicator in indicators if not indicator.source.strip()]
    if unsourced:
        raise InputError(f"starter indicators without a source: {', '.join(unsourced)}")
    return tuple(indicators)
