"""Find indicator names (entities, outlets, slogans, hashtags, domains, addresses) in one
normalised text.

Two Aho-Corasick automata (pyahocorasick) hold every indicator name: one keyed on its plain
form, run over the plain view of a text, and one keyed on its de-obfuscated form, run over the
de-obfuscated view. The work per text is one pass over each view plus a constant amount per raw
match: it grows with the text, not with the size of the list (per character, pyahocorasick walks
the chain of suffix links of the state it is in, which is at most as long as the longest key and
grows with the logarithm of the list's size where names are dense, as random letters are).

A raw match counts only at word boundaries (written by hand below; no library knows Arabic
clitics):

* End: the next character is not a word character (letters, digits, combining marks) or the text
  ends. No Arabic suffix is allowed, so a derived word is not its root: "داعشي" does not hit
  "داعش", and Latin "crisis" does not hit "isis".
* Start: the previous character is not a word character, or, for a name in Arabic script, the
  word starts with one of the clitic prefixes و ف (conjunctions), ب ك ل (prepositions) and ال
  (article), alone or combined in that order ("وبال", "فلل", ...). A name that itself starts with
  ال also matches after ل, where the article's alef drops ("للدولة" for "الدولة"); such a hit
  reports the clitic "لل" (or "ولل", "فلل") and its span starts at the ل of the article. The
  de-obfuscated view squeezes "لل" to one letter: there the span starts at the preposition, and
  "لدولة" reads as "للدولة". A name that starts with ال takes no second article ("الالدولة").
* A side of a name that is not a word character (the "#" of a hashtag) needs no boundary there.
* Hashtags match with "_" as a word character ("#isis_x" is another hashtag); domains with "-"
  and "_" as word characters, a dot counts as a boundary on the left only ("sub.example.org" hits
  "example.org", "example.org.example.net" does not).
* Hashtags, domains and crypto-asset addresses match as written: only in the plain view. Other
  names also match, in the plain view, as commonly written: with a typographic apostrophe for
  "'" (Da’esh), a space for "-" (al Qaida) and "_" between words (#الدولة_الإسلامية).

Hits are mapped to code-point spans of the original text and de-duplicated: one hit per
indicator where its hits overlap (a plain-view hit wins over a de-obfuscated one), and a hit
whose span lies inside a strictly longer hit of the same kind is dropped ("Al-Qaida" inside
"Al-Qaida in the Arabian Peninsula", "داعش" inside "تنظيم داعش"); hits of different kinds, and
different indicators with the same span, are all kept.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import ahocorasick

from raqib.errors import InputError
from raqib.text.indicator_records import Indicator
from raqib.text.normalize import NormalizedText, View, deobfuscated_form, plain_form

MAX_NAME_LENGTH = 512  # code points of an indicator name; longer ones are refused
AS_WRITTEN_KINDS = frozenset({"hashtag", "domain", "crypto_address"})
VIEWS = ("plain", "deobfuscated")

_ARTICLE = "ال"
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_ELIDED = ("لل", "ولل", "فلل")  # ل + article with its alef dropped, as written before a noun


@dataclass(frozen=True)
class IndicatorHit:
    """One indicator found in a text."""

    indicator: Indicator
    start: int  # code-point offsets into the ORIGINAL text
    end: int
    view: str  # "plain" | "deobfuscated"
    clitic: str  # Arabic clitic prefix before the match ("", "و", "بال", "لل", ...)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.indicator.as_dict(),
            "start": self.start,
            "end": self.end,
            "view": self.view,
            "clitic": self.clitic,
        }


# One automaton key can stand for several indicators. Each is stored as one int, so that a list
# of 100,000 names leaves no per-key Python containers for the garbage collector to walk:
# indicator index << 4 | clitic table << 2 | kind code.
_NAME, _HASHTAG, _DOMAIN = range(3)  # kind codes
_EXTRA_WORD_CHARS = ("", "_", "-_")  # by kind code: characters that also count as letters
_LATIN, _ARABIC, _AFTER_ARTICLE, _AFTER_LAM = range(4)  # clitic tables


def _kind_code(kind: str) -> int:
    return {"hashtag": _HASHTAG, "domain": _DOMAIN}.get(kind, _NAME)


@dataclass(frozen=True, slots=True)
class _Candidate:
    indicator: int
    start: int
    end: int
    view: int  # index into VIEWS: 0 wins over 1
    clitic: str


def _clitics() -> tuple[str, ...]:
    """Every clitic prefix: conjunction + preposition + article, with ل + ال written لل."""
    found = []
    for conjunction in _CONJUNCTIONS:
        for preposition in _PREPOSITIONS:
            for article in ("", _ARTICLE):
                prefix = conjunction + preposition + article
                found.append(prefix.replace("لال", "لل"))
    return tuple(p for p in found if p)


_ALL_CLITICS = _clitics()


def _clitic_tables(form: Callable[[str], str]) -> tuple[Mapping[str, str], ...]:
    """Clitic prefixes as they appear in one view, mapped back to their plain spelling; indexed
    by _LATIN, _ARABIC, _AFTER_ARTICLE (names that start with ال) and _AFTER_LAM (a name whose
    article lost its alef after ل)."""
    arabic = {"": ""}
    after_article = {"": ""}
    for clitic in _ALL_CLITICS:
        arabic.setdefault(form(clitic), clitic)
        if not clitic.endswith((_ARTICLE, "لل")):
            after_article.setdefault(form(clitic), clitic)
    # In the view, "لل" may read differently (the de-obfuscated view squeezes it to "ل"): the
    # prefix before an elided key is the view form of the clitic minus the article's ل.
    lam = form("ل")
    after_lam: dict[str, str] = {}
    for clitic in _ELIDED:
        shown = form(clitic)
        if shown.endswith(lam):
            after_lam.setdefault(shown[: len(shown) - len(lam)], clitic)
    return {"": ""}, arabic, after_article, after_lam


def _is_word_char(char: str, extra: str = "") -> bool:
    return char.isalnum() or unicodedata.category(char)[0] == "M" or char in extra


def _is_arabic(char: str) -> bool:
    code = ord(char)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x08A0 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    )


class _ViewAutomaton:
    """One automaton over one view of the text, with that view's clitic tables."""

    def __init__(
        self, view: str, form: Callable[[str], str], key_form: Callable[[str], str]
    ) -> None:
        self.view = view
        self.key_form = key_form  # from a plain name to this view's key
        self.tables = _clitic_tables(form)
        self.longest_clitic = max(len(prefix) for table in self.tables for prefix in table)
        self._automaton: Any = ahocorasick.Automaton()
        self._empty = True

    def add(self, key: str, indicator: int, table: int, kind: int) -> None:
        """Add a key (already in this view's form) for an indicator; keys may repeat."""
        if not key:
            return
        entry = indicator << 4 | table << 2 | kind
        found = self._automaton.get(key, None)
        self._automaton.add_word(key, (*found, entry) if found else (len(key), entry))
        self._empty = False

    def build(self) -> None:
        if not self._empty:
            self._automaton.make_automaton()

    def stats(self) -> dict[str, int]:
        return dict(self._automaton.get_stats())

    def scan(self, view: View, rank: int) -> Iterator[_Candidate]:
        if self._empty:
            return
        text = view.text
        for last, (length, *entries) in self._automaton.iter(text):
            end = last + 1
            start = end - length
            for entry in entries:
                kind = entry & 3
                extra = _EXTRA_WORD_CHARS[kind]
                if not _end_ok(text, end, extra, kind == _DOMAIN):
                    continue
                clitics = self.tables[entry >> 2 & 3]
                clitic = _start_clitic(text, start, clitics, self.longest_clitic, extra)
                if clitic is None:
                    continue
                original_start, original_end = view.original_span(start, end)
                yield _Candidate(entry >> 4, original_start, original_end, rank, clitic)


def _end_ok(text: str, end: int, extra: str, domain: bool) -> bool:
    """Whether the match text[..end] ends at a boundary (a name whose last character is not a
    letter, digit or mark needs none)."""
    if end == len(text) or not _is_word_char(text[end - 1], extra):
        return True
    following = text[end]
    if _is_word_char(following, extra):
        return False
    if domain and following == ".":
        # "example.org.example.net" is another domain; "example.org." ends a sentence.
        return end + 1 == len(text) or not _is_word_char(text[end + 1], extra)
    return True


def _start_clitic(
    text: str, start: int, clitics: Mapping[str, str], longest: int, extra: str
) -> str | None:
    """The clitic before the match at text[start] ("" at a plain word start, or for a name that
    starts with a non-letter such as "#"), or None when no boundary fits."""
    if not _is_word_char(text[start], extra):
        return ""
    if start == 0 or not _is_word_char(text[start - 1], extra):
        return clitics.get("")  # None for a key that must follow ل
    word_start = start
    limit = max(0, start - longest)
    while word_start > limit and _is_word_char(text[word_start - 1], extra):
        word_start -= 1
    if word_start > 0 and _is_word_char(text[word_start - 1], extra):
        return None
    return clitics.get(text[word_start:start])


class IndicatorMatcher:
    """Finds every indicator of a list in a normalised text; build once, use for many texts."""

    def __init__(self, indicators: Iterable[Indicator]) -> None:
        self._indicators: tuple[Indicator, ...] = tuple(dict.fromkeys(indicators))
        self._kinds = tuple(indicator.kind for indicator in self._indicators)
        self._views = (
            _ViewAutomaton("plain", plain_form, key_form=_unchanged),
            _ViewAutomaton("deobfuscated", deobfuscated_form, key_form=deobfuscated_form),
        )
        for index, indicator in enumerate(self._indicators):
            self._add(index, indicator)
        for automaton in self._views:
            automaton.build()

    def __len__(self) -> int:
        return len(self._indicators)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return self._indicators

    def automaton_stats(self) -> dict[str, dict[str, int]]:
        """pyahocorasick's node/word counts and total size in bytes, per view."""
        return {automaton.view: automaton.stats() for automaton in self._views}

    def _add(self, index: int, indicator: Indicator) -> None:
        name = indicator.name
        if len(name) > MAX_NAME_LENGTH:
            raise InputError(
                f"indicator name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}"
            )
        plain = plain_form(name)
        if not plain.strip():
            raise InputError(f"indicator name {name!r} is empty once normalised")
        as_written = indicator.kind in AS_WRITTEN_KINDS
        arabic = _is_arabic(plain[0])
        kind = _kind_code(indicator.kind)
        table = _LATIN
        if arabic:
            table = _AFTER_ARTICLE if plain.startswith(_ARTICLE) else _ARABIC
        plain_view, deobfuscated_view = self._views
        # Common spellings go to the plain view only: de-obfuscating each of them would multiply
        # the build time, and an obfuscated text rarely also uses a typographic apostrophe.
        for key in [plain] if as_written else _spellings(plain):
            self._add_key(plain_view, key, index, table, kind, arabic)
        if not as_written:
            self._add_key(deobfuscated_view, plain, index, table, kind, arabic)

    @staticmethod
    def _add_key(
        automaton: _ViewAutomaton, key: str, index: int, table: int, kind: int, arabic: bool
    ) -> None:
        """Add a plain key to one view, and for an Arabic name with the article, the key that
        follows ل once the article's alef drops."""
        automaton.add(automaton.key_form(key), index, table, kind)
        elided = _elided_base(key) if arabic else ""
        if elided:
            automaton.add(automaton.key_form(elided), index, _AFTER_LAM, kind)

    def find(self, normalized: NormalizedText) -> list[IndicatorHit]:
        """Every indicator hit in the text, de-duplicated, ordered by position."""
        candidates: list[_Candidate] = []
        for rank, automaton in enumerate(self._views):
            view: View = getattr(normalized, automaton.view)
            candidates.extend(automaton.scan(view, rank))
        kept = _drop_contained(_one_per_indicator(candidates), self._kinds)
        kept.sort(key=lambda c: (c.start, -c.end, c.indicator))
        return [
            IndicatorHit(self._indicators[c.indicator], c.start, c.end, VIEWS[c.view], c.clitic)
            for c in kept
        ]


_APOSTROPHES = ("\u2019", "\u02bc", "\u2018", "`")  # written for ' in news and posts


def _spellings(plain: str) -> list[str]:
    """The plain name and the ways it is commonly written apart from obfuscation: typographic
    apostrophes for "'" (Da’esh), a space for "-" (al Qaida), "_" between words as hashtags write
    them (#الدولة_الإسلامية)."""
    spellings = [plain]
    if "'" in plain:
        spellings += [plain.replace("'", apostrophe) for apostrophe in _APOSTROPHES]
    if "-" in plain:
        spellings += [spelling.replace("-", " ") for spelling in spellings]
    if " " in plain or "-" in plain:
        spellings += [spelling.replace(" ", "_") for spelling in spellings if " " in spelling]
    return list(dict.fromkeys(spellings))


def _unchanged(text: str) -> str:
    return text


def _elided_base(plain: str) -> str:
    """For a plain name that starts with the article, the key that follows ل: "الدوله" ->
    "لدوله" (read after the preposition ل: "للدوله"); "" otherwise."""
    if plain.startswith(_ARTICLE) and len(plain) > len(_ARTICLE) and plain[2].isalpha():
        return plain[1:]
    return ""


def _one_per_indicator(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep one hit of an indicator where its hits overlap: plain-view hits first, then the
    earliest and longest."""
    by_indicator: dict[int, list[_Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: (c.start, -c.end)):
        by_indicator.setdefault(candidate.indicator, []).append(candidate)
    kept: list[_Candidate] = []
    for hits in by_indicator.values():
        plain = _non_overlapping([c for c in hits if c.view == 0], [], [])
        plain_starts = [c.start for c in plain]
        kept += plain
        kept += _non_overlapping([c for c in hits if c.view != 0], plain, plain_starts)
    return kept


def _non_overlapping(
    hits: list[_Candidate], others: list[_Candidate], other_starts: list[int]
) -> list[_Candidate]:
    """Hits (sorted by start) that overlap neither an earlier kept hit nor any of `others`
    (sorted, non-overlapping, with their starts in `other_starts`)."""
    kept: list[_Candidate] = []
    for hit in hits:
        if kept and kept[-1].end > hit.start:
            continue
        if others:
            position = bisect.bisect_left(other_starts, hit.end)  # others starting before the end
            if position and others[position - 1].end > hit.start:
                continue
        kept.append(hit)
    return kept


def _drop_contained(candidates: list[_Candidate], kinds: tuple[str, ...]) -> list[_Candidate]:
    """Drop a hit whose span lies inside a strictly longer hit of an indicator of the same kind.

    Sorted by start, then longest first, every earlier span starts no later; an earlier span with
    another (start, end) that reaches at least as far is strictly longer and contains this one.
    """
    ordered = sorted(candidates, key=lambda c: (c.start, -c.end))
    kept: list[_Candidate] = []
    reach: dict[str, int] = {}  # kind -> furthest end among earlier spans
    for _, same_span in groupby(ordered, key=lambda c: (c.start, c.end)):
        group = list(same_span)
        kept += [c for c in group if reach.get(kinds[c.indicator], -1) < c.end]
        for candidate in group:
            kind = kinds[candidate.indicator]
            reach[kind] = max(reach.get(kind, -1), candidate.end)
    return kept
