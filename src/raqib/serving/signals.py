"""Signal lines as API requests carry them: `<signal_type> <signal>`, e.g. `pdq <64 hex>`."""

from __future__ import annotations

from raqib.errors import InputError
from raqib.signals import Signal, SignalRegistry

# Longest line accepted: a vPDQ list of a 4-hour video at one frame a second is ~1.1 MB.
MAX_LINE_CHARS = 8 << 20
_SHOWN = 80


def parse_signal_line(registry: SignalRegistry, line: object) -> Signal:
    """The signal of one `<signal_type> <signal>` line, in canonical form. Raises InputError
    naming what is wrong (not a string, too long, no signal, unknown type, malformed value)."""
    if not isinstance(line, str):
        raise InputError(f"a signal must be a string '<signal_type> <signal>', got {_kind(line)}")
    if len(line) > MAX_LINE_CHARS:
        raise InputError(f"a signal line is at most {MAX_LINE_CHARS:,} characters")
    parts = line.strip().split(maxsplit=1)
    if len(parts) < 2:
        raise InputError(f"want '<signal_type> <signal>', got {line.strip()[:_SHOWN]!r}")
    name, value = parts
    try:
        return registry.get(name).parse(value)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def format_signal(registry: SignalRegistry, signal: Signal) -> str:
    """The line form of a signal: `<signal_type> <signal>`."""
    signal_type = registry.get(signal.signal_type)
    return f"{signal_type.name} {signal_type.format(signal)}"


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
