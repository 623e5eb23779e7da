"""Indicators from the UN Security Council Consolidated List (the XML the UN publishes at
scsanctions.un.org): designated individuals become "person" indicators, entities "entity".

Every name a record carries is its own indicator, attributed to the record's primary name:
the primary name, the name in original script (NAME_ORIGINAL_SCRIPT) and each alias.
Weights (how strongly a hit points to the designated party):
- entity names and their aliases 0.8: organisation names are distinctive;
- person names and their aliases 0.4: personal names collide with ordinary people's names;
- aliases the UN marks QUALITY "Low" 0.2, whatever the record kind: the list itself says they
  are too vague to identify the party.
Language is guessed from the script: "ar" for Arabic script, "und" otherwise.
"""

from __future__ import annotations

from pathlib import Path

from raqib.errors import ImportFormatError
from raqib.text.importers.common import (
    XmlLayout,
    XmlNode,
    clean_name,
    guess_language,
    read_xml_records,
)
from raqib.text.indicator_records import Indicator

ENTITY_WEIGHT = 0.8
PERSON_WEIGHT = 0.4
LOW_QUALITY_WEIGHT = 0.2
SOURCE = "UN Security Council Consolidated List"

_LAYOUT = XmlLayout(
    root="CONSOLIDATED_LIST",
    records={"INDIVIDUAL": "INDIVIDUALS", "ENTITY": "ENTITIES"},
    keep=frozenset(
        {"DATAID", "REFERENCE_NUMBER", "NAME_ORIGINAL_SCRIPT", "QUALITY", "ALIAS_NAME"}
        | {"INDIVIDUAL_ALIAS", "ENTITY_ALIAS", "FIRST_NAME", "SECOND_NAME", "THIRD_NAME"}
        | {"FOURTH_NAME"}
    ),
    description="the UN Security Council Consolidated List XML",
)
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def read_un_list(path: Path) -> list[Indicator]:
    """All names on the list as indicators; raises ImportFormatError (with the line) on the
    first malformed record, before returning anything."""
    indicators: list[Indicator] = []
    read_xml_records(path, _LAYOUT, lambda node: indicators.extend(_record(node)))
    return indicators


def _record(node: XmlNode) -> list[Indicator]:
    person = node.tag == "INDIVIDUAL"
    reference = node.child_text("REFERENCE_NUMBER")
    label = f"{node.tag} (DATAID {node.child_text('DATAID') or '?'})"
    if not reference:
        raise ImportFormatError(node.line, f"{label} has no REFERENCE_NUMBER")
    parts = _NAME_PARTS if person else _NAME_PARTS[:1]
    primary = clean_name(" ".join(node.child_text(tag) for tag in parts))
    if not primary:
        raise ImportFormatError(node.line, f"{label} {reference} has no FIRST_NAME")
    weight = PERSON_WEIGHT if person else ENTITY_WEIGHT
    names = [(primary, weight), (node.child_text("NAME_ORIGINAL_SCRIPT"), weight)]
    names += _aliases(node, "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS", weight)
    return _indicators(names, primary, reference, "person" if person else "entity")


def _aliases(node: XmlNode, tag: str, weight: float) -> list[tuple[str, float]]:
    aliases = []
    for alias in node.all(tag):
        low = alias.child_text("QUALITY").casefold() == "low"
        aliases.append((alias.child_text("ALIAS_NAME"), LOW_QUALITY_WEIGHT if low else weight))
    return aliases


def _indicators(
    names: list[tuple[str, float]], primary: str, reference: str, kind: str
) -> list[Indicator]:
    """One indicator per distinct non-empty name, keeping the highest weight for repeats."""
    best: dict[str, float] = {}
    for name, weight in names:
        if name:
            best[name] = max(weight, best.get(name, 0.0))
    return [
        Indicator(
            name=name,
            kind=kind,
            entity=primary,
            language=guess_language(name),
            source=f"{SOURCE}, {reference}",
            weight=weight,
            reference=reference,
        )
        for name, weight in best.items()
    ]
