"""Signal types, registered by unique name. Adding a type is one module plus one line here."""

from __future__ import annotations

from raqib.content.kinds import ContentKind
from raqib.signals.base import IndexKind, NoSignal, Signal, SignalType
from raqib.signals.md5 import Md5SignalType
from raqib.signals.pdq import PdqSignalType
from raqib.signals.sha256 import Sha256SignalType
from raqib.signals.text_minhash import TextMinhashSignalType
from raqib.signals.text_sha256 import TextSha256SignalType
from raqib.signals.url import UrlSignalType
from raqib.signals.vpdq import VpdqSignalType


class SignalRegistry:
    """The signal types in use, by name and by alias (names checked unique at start)."""

    def __init__(self, types: list[SignalType]) -> None:
        self._by_name: dict[str, SignalType] = {}
        for signal_type in types:
            for name in (signal_type.name, *signal_type.aliases):
                if name in self._by_name:
                    raise ValueError(f"signal type name {name!r} is registered twice")
                self._by_name[name] = signal_type
        self.types: tuple[SignalType, ...] = tuple(types)

    def get(self, name: str) -> SignalType:
        try:
            return self._by_name[name.strip().lower()]
        except KeyError:
            known = ", ".join(t.name for t in self.types)
            raise ValueError(f"unknown signal type {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return [t.name for t in self.types]

    def for_kind(self, kind: ContentKind) -> list[SignalType]:
        return [t for t in self.types if kind in t.content_kinds]

    def parse(self, line: str) -> Signal:
        """Parse `<signal_type> <signal>` (python-threatexchange's line form)."""
        name, _, value = line.strip().partition(" ")
        if not value.strip():
            raise ValueError(f"want '<signal_type> <signal>', got {line.strip()[:80]!r}")
        return self.get(name).parse(value)


def default_registry() -> SignalRegistry:
    return SignalRegistry(
        [
            PdqSignalType(),
            VpdqSignalType(),
            Md5SignalType(),
            Sha256SignalType(),
            UrlSignalType(),
            TextSha256SignalType(),
            TextMinhashSignalType(),
        ]
    )


__all__ = [
    "IndexKind",
    "NoSignal",
    "Signal",
    "SignalRegistry",
    "SignalType",
    "default_registry",
]
