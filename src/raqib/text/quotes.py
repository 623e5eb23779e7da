"""Is a span quoted? News and research quote slogans and outlet names; propaganda states them.

Looks back from the span to the start of its sentence for an unclosed opening quotation mark, and
forward to the end of the sentence for a closing one (hand-written: a few lines of scanning).
"""

from __future__ import annotations

OPENERS = "«“„‹‚〈「"
CLOSERS = "»”›’〉」"
SYMMETRIC = "\"'"
SENTENCE_ENDS = "\n.!?؟۔"
WINDOW = 300


def is_quoted(text: str, start: int, end: int) -> bool:
    """True when text[start:end] sits between quotation marks within one sentence."""
    before = _sentence_before(text, start)
    after = _sentence_after(text, end)
    depth = 0
    for char in before:
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth > 0:
            depth -= 1
    if depth > 0 and any(c in CLOSERS for c in after):
        return True
    return any(before.count(q) % 2 == 1 and q in after for q in SYMMETRIC)


def _sentence_before(text: str, start: int) -> str:
    window = text[max(0, start - WINDOW) : start]
    cut = max(window.rfind(c) for c in SENTENCE_ENDS)
    return window[cut + 1 :]


def _sentence_after(text: str, end: int) -> str:
    window = text[end : end + WINDOW]
    cuts = [i for i in (window.find(c) for c in SENTENCE_ENDS) if i >= 0]
    return window[: min(cuts)] if cuts else window
