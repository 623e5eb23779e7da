"""Comparing handles and display names the way an evader varies them: case, digits, underscores
and separators added or dropped ("news_agency" -> "NewsAgency2" -> "news.agency_3"), Arabic
spelling variants (hamza forms of alef, taa marbuta, tatweel, marks) and look-alike letters of
other scripts (Cyrillic "а" for Latin "a")."""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache

from raqib.text.normalize import plain_form
from raqib.text.skeleton import latin_lookalikes


@lru_cache(maxsize=65_536)
def name_key(text: str) -> str:
    """Letters only, after Raqib's plain normalisation (NFKC, casefold, Arabic folding) and with
    look-alike letters read as the Latin letter they imitate: digits, underscores, spaces,
    punctuation and emoji are dropped."""
    lookalikes = latin_lookalikes()
    letters = (lookalikes.get(char, char) for char in plain_form(text))
    return "".join(char for char in letters if char.isalpha())


def name_similarity(a: str | None, b: str | None) -> float | None:
    """How alike two names are, 0 to 1, after `name_key`; None when either is missing or has
    no letters. The ratio is difflib's (twice the matched characters over both lengths), which
    counts a dropped or added letter once: a library edit ratio is all that is needed here."""
    if not a or not b:
        return None
    key_a, key_b = name_key(a), name_key(b)
    if not key_a or not key_b:
        return None
    return SequenceMatcher(None, key_a, key_b, autojunk=False).ratio()
