"""The service's matching: a long-lived, thread-safe matcher whose indexes stay open across
requests and follow the store's change log, and the signal-line parsing the API uses."""

from __future__ import annotations

from raqib.serving.matcher import ServiceMatcher
from raqib.serving.signals import format_signal, parse_signal_line

__all__ = ["ServiceMatcher", "format_signal", "parse_signal_line"]
