"""Raqib: find, review and share signals about terrorist and violent extremist content.

The public API is re-exported here. Names load on first use (PEP 562), so that a command that
needs none of the matching machinery does not pay for importing it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "BankInfo": "raqib.records",
    "BankRepository": "raqib.store.banks",
    "Content": "raqib.content.kinds",
    "ContentKind": "raqib.content.kinds",
    "Database": "raqib.store.db",
    "EntryRecord": "raqib.records",
    "Hashed": "raqib.pipeline",
    "InputError": "raqib.errors",
    "Labels": "raqib.records",
    "Match": "raqib.matching",
    "Matcher": "raqib.matching",
    "NewEntry": "raqib.records",
    "NoSignal": "raqib.signals",
    "NotFoundError": "raqib.errors",
    "RaqibError": "raqib.errors",
    "Settings": "raqib.config",
    "Signal": "raqib.signals",
    "SignalRegistry": "raqib.signals",
    "SignalType": "raqib.signals",
    "build_finding": "raqib.pipeline",
    "default_registry": "raqib.signals",
    "hash_file": "raqib.pipeline",
}

__all__ = [
    "BankInfo",
    "BankRepository",
    "Content",
    "ContentKind",
    "Database",
    "EntryRecord",
    "Hashed",
    "InputError",
    "Labels",
    "Match",
    "Matcher",
    "NewEntry",
    "NoSignal",
    "NotFoundError",
    "RaqibError",
    "Settings",
    "Signal",
    "SignalRegistry",
    "SignalType",
    "__version__",
    "build_finding",
    "default_registry",
    "hash_file",
]

if TYPE_CHECKING:
    from raqib.config import Settings
    from raqib.content.kinds import Content, ContentKind
    from raqib.errors import InputError, NotFoundError, RaqibError
    from raqib.matching import Match, Matcher
    from raqib.pipeline import Hashed, build_finding, hash_file
    from raqib.records import BankInfo, EntryRecord, Labels, NewEntry
    from raqib.signals import NoSignal, Signal, SignalRegistry, SignalType, default_registry
    from raqib.store.banks import BankRepository
    from raqib.store.db import Database


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'raqib' has no attribute {name!r}")
    return getattr(import_module(module), name)
