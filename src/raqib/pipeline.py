"""Item -> Finding: hash a file into signals, then match and judge. No I/O beyond reading the
file being hashed; hashing is a pure function that worker processes can run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raqib.config import Settings
from raqib.content.detect import detect_kind
from raqib.content.kinds import Content, ContentKind
from raqib.errors import RaqibError
from raqib.policy import verdict
from raqib.signals import NoSignal, Signal, SignalRegistry, default_registry
from raqib.signals.filehash import DigestSignalType, file_digests
from raqib.sources.folder import WalkError, display_path, regular_file_status

if TYPE_CHECKING:
    from raqib.matching import Match, Matcher


@dataclass
class Hashed:
    """What hashing one file gave: its signals, why some types gave none, and errors."""

    path: str
    kind: str
    modified: str | None = None  # the file's modification time (ISO 8601, UTC)
    signals: list[Signal] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def sha256(self) -> str | None:
        return next((s.value for s in self.signals if s.signal_type == "sha256"), None)


@cache
def _registry() -> SignalRegistry:
    return default_registry()


def hash_file(path: Path, settings: Settings) -> Hashed:
    """Hash one file with every signal type for its kind. Never raises for bad input."""
    shown = display_path(path)
    status = regular_file_status(path)
    if isinstance(status, WalkError):
        return _unreadable(shown, f"{shown}: {status.message}")
    modified = datetime.fromtimestamp(status.st_mtime, UTC).isoformat(timespec="seconds")
    try:
        kind = detect_kind(path)
        signal_types = _registry().for_kind(kind)
        algorithms = tuple(t.name for t in signal_types if isinstance(t, DigestSignalType))
        digests = tuple(file_digests(path, algorithms).items())
    except RaqibError as exc:
        return _unreadable(shown, str(exc))
    result = Hashed(shown, kind.value, modified=modified)
    content = Content(kind=kind, path=path, digests=digests)
    for signal_type in signal_types:
        try:
            outcome = signal_type.hash(content, settings)
        except RaqibError as exc:
            result.errors.append(_error(f"hash:{signal_type.name}", exc))
            continue
        if isinstance(outcome, NoSignal):
            result.notes.append({"signal_type": outcome.signal_type, "message": outcome.reason})
        else:
            result.signals.append(outcome)
    return result


def _unreadable(shown: str, message: str) -> Hashed:
    return Hashed(shown, ContentKind.FILE.value, errors=[{"stage": "read", "message": message}])


def _error(stage: str, exc: BaseException) -> dict[str, str]:
    return {"stage": stage, "message": str(exc)}


def build_finding(item_id: str, hashed: Hashed, matches: list[Match]) -> dict[str, Any]:
    """The finding record of ARCHITECTURE.md for one scanned file."""
    return {
        "item": {
            "id": item_id,
            "source": "file",
            "path": hashed.path,
            "kind": hashed.kind,
            "sha256": hashed.sha256,
            "author": None,
            "time": hashed.modified,
        },
        "signals": [signal_record(s) for s in hashed.signals],
        "matches": [m.as_dict() for m in matches],
        "text": empty_text_assessment(),
        "page": {"injected_scripts": []},
        "verdict": verdict(matches),
        "errors": hashed.errors,
        "notes": hashed.notes,
    }


def signal_record(signal: Signal) -> dict[str, Any]:
    return {"signal_type": signal.signal_type, "signal": signal.value, "quality": signal.quality}


def empty_text_assessment() -> dict[str, Any]:
    return {
        "language": None,
        "indicators": [],
        "context": None,
        "stance": None,
        "categories": {},
        "reasons": [],
    }


def finding_for(item_id: str, hashed: Hashed, matcher: Matcher) -> dict[str, Any]:
    return build_finding(item_id, hashed, matcher.match(hashed.signals))
