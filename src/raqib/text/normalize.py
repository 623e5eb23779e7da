"""Arabic-first text normalisation and de-obfuscation, with maps back to the original text.

`normalize(text)` gives two views of a text. For every character of a view, `starts`/`ends` hold
the original code-point span [start, end) it comes from, so `original[start:end]` is exactly what
a reviewer sees. Both arrays are non-decreasing.

plain view, in this order: format characters (general category Cf and the other
default-ignorables: zero-width characters, bidi controls, soft hyphen, stray variation
selectors, Hangul fillers), Arabic marks and tatweel removed, except a ZWJ, variation selector
or tag inside an emoji sequence; NFKC; Arabic letter variants and Arabic-Indic/Persian digits
folded (see `arabic_tables`); casefold; whitespace runs become one space; ends stripped. A
removed character inside the text belongs to the output character before it (a letter's span
includes its marks). Most characters are "simple" (one character in, one out, whatever their
neighbours): one str.translate maps them; the others go through a per-character slow path.

deobfuscated view (for matching only: patterns go through `deobfuscated_form` too): the plain
view with evasion undone, in this order --
1. emoji sequences become tokens of their own (a space is inserted between an emoji and an
   adjacent character; an inserted space has start == end == the end of the character before it);
2. look-alike letters of other scripts in a word that reads as Latin become Latin (TR39
   confusables, `raqib.text.skeleton`), casefolded;
3. digits inside words: in an Arabic word, a single Arabizi digit becomes its Arabic letter
   (دا3ش -> داعش); in a Latin word of >= 2 letters, Arabizi digits become their transliteration
   (2 3 -> a, 5 -> kh, 6 -> t, 7 -> h, 8 -> gh, 9 -> s) and leet characters their letter
   (0 -> o, 1 -> i, 4 -> a, @ -> a, $ -> s). 3 is leet (-> e) only in a word that has a leet-only
   character (0 1 4 @ $) and no Arabizi-only digit (2 5 6 7 8 9); otherwise it is Arabizi (-> a).
   Digit runs of >= 2 at a word's start or end (years, "covid19"), a leading @ or $ (handles,
   cashtags) and an @ in a word followed by a dot (e-mail addresses) are left alone;
4. the dotless skeleton: letters that differ only by dots fold to one representative
   (`arabic_tables.DOTLESS_FOLD`);
5. runs of one letter squeezed to one (داااعش -> داعش, isiiis -> isis; every letter, so that
   patterns and texts fold alike). The dotless tooth ٮ stands for ب ت ث ن ي: a run of it is
   squeezed only where the dotted letters themselves repeat (ييي), so بيت and نبت keep their
   length;
6. letters spaced apart are joined: >= 3 single-letter tokens separated by spaces or light
   punctuation (. - _ · • * and dashes): "د ا ع ش", "i.s.i.s". Real words are never joined.
   Joined letters are squeezed again.

Bounds: a plain view is at most MAX_EXPANSION (18) characters per input code point (NFKC of
U+FDFA is 18 characters); a de-obfuscated view at most twice that (Arabizi 5 -> kh; an emoji
with a space on each side is 3 characters for 1).
Time is linear in the input: regular expressions and str.translate do the common work; Python
loops run only over characters that need them (combining marks of other scripts, emoji, rare
scripts); on long texts, deleted characters are found and many edits applied with numpy.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from raqib.text import arabic_tables as tables
from raqib.text.skeleton import latin_lookalikes

MAX_EXPANSION = 18  # the most plain-view characters one code point can become (U+FDFA)

EVIDENCE_KEYS = (
    "format_chars",
    "bidi_controls",
    "diacritics",
    "tatweel",
    "confusables",
    "spaced_letters",
    "repeated_letters",
    "arabizi_digits",
    "leet",
    "dotless",
)


@dataclass(frozen=True, slots=True)
class View:
    """One normalised form of a text, with each character's span in the original text."""

    text: str
    starts: array[int]  # array('i'): original index where output char i's source begins
    ends: array[int]  # array('i'): original index one past the end of output char i's source

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [s, e) for view slice [start, end) (end > start)."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"view slice [{start}, {end}) is empty or outside 0..{len(self.text)}")
        return self.starts[start], self.ends[end - 1]


@dataclass(frozen=True)
class NormalizedText:
    """A text with its plain and de-obfuscated views and the evasion tactics seen in it."""

    original: str
    plain: View
    deobfuscated: View
    evidence: dict[str, int]  # evasion tactic (EVIDENCE_KEYS) -> count, only tactics seen


class _Mapped(NamedTuple):
    text: str
    starts: array[int]
    ends: array[int]


_Edit = tuple[int, int, str]  # replace [a, b) of the current text with the string
_Evidence = dict[str, int]  # evasion tactic -> count; a defaultdict(int), or a Counter


def _int_array(values: NDArray[np.int32]) -> array[int]:
    converted: array[int] = array("i")
    converted.frombytes(values.data.cast("B"))
    return converted


# --- character classes -------------------------------------------------------------------------


def _ranges(*spans: tuple[int, int]) -> frozenset[str]:
    return frozenset(chr(c) for first, last in spans for c in range(first, last + 1))


_BIDI_CONTROLS = _ranges((0x061C, 0x061C), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069))
# Kept inside an emoji sequence, dropped elsewhere: ZWJ, text/emoji presentation selectors, tags.
_CONTEXTUAL = _ranges((0x200D, 0x200D), (0xFE0E, 0xFE0F), (0xE0020, 0xE007F))
# General category Cf plus the other Default_Ignorable_Code_Points (hand-listed: Python's
# unicodedata has no such property; the slow path also drops any other Cf character).
_INVISIBLE = (
    _ranges(
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    )
    - _CONTEXTUAL
)
# Format characters dropped by the slow path (with any other character of category Cf).
_MAYBE_DROPPED = _INVISIBLE | _BIDI_CONTROLS | _CONTEXTUAL
# Characters the plain view deletes outright, with the evidence key each one counts under.
_DELETED: dict[str, str] = {
    **dict.fromkeys(_INVISIBLE, "format_chars"),
    **dict.fromkeys(_BIDI_CONTROLS, "bidi_controls"),
    **dict.fromkeys(tables.ARABIC_MARKS, "diacritics"),
    tables.TATWEEL: "tatweel",
}
_EMOJI = _ranges(
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2190, 0x21FF),
    (0x2300, 0x23FF),
    (0x25A0, 0x25FF),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B00, 0x2BFF),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3297),
    (0x3299, 0x3299),
    (0x1F000, 0x1FAFF),
)
_EMOJI_MODIFIERS = _ranges((0xFE0E, 0xFE0F), (0x20E3, 0x20E3), (0x1F3FB, 0x1F3FF))
_TAGS = _ranges((0xE0020, 0xE007F))
_KEYCAP_BASES = frozenset("0123456789#*")
# Blocks whose compatibility letters/digits NFKC turns into ASCII: evidence of "confusables".
_COMPAT_LOOKALIKE_BLOCKS = ((0x2100, 0x24FF), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF))
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFEFF))


def _class(chars: Iterable[str]) -> str:
    """A regex character-class body for `chars`, as escaped ranges."""
    codes = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = _escape(codes[i]), _escape(codes[j])
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "".join(parts)


def _escape(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _is_arabic(char: str) -> bool:
    code = ord(char)
    return any(first <= code <= last for first, last in _ARABIC_BLOCKS)


@lru_cache(maxsize=4096)
def _attaches(char: str) -> bool:
    """True for a character NFKC may combine with the one before it (marks, Hangul V/T jamo)."""
    return unicodedata.category(char)[0] == "M" or "\u1160" <= char <= "\u11ff"


# --- plain view: per-character folding ---------------------------------------------------------


class _Folded(NamedTuple):
    chars: str  # NFKD, Arabic marks/tatweel removed, letters folded, casefolded; not yet composed
    attaches: tuple[bool, ...]  # per character of chars: _attaches()
    marks: int
    tatweel: int
    lookalike: bool  # a compatibility letter/digit (fullwidth, mathematical ...) that is ASCII
    format: bool  # a format character, dropped unless it joins an emoji sequence
    stable: bool  # NFKC leaves each character of chars, on its own, as it is


_DROPPED = _Folded("", (), 0, 0, False, False, True)
_FOLDED: dict[str, _Folded] = {}  # a cache of _fold_char, emptied when it grows large


def _folded(char: str) -> _Folded:
    found = _FOLDED.get(char)
    if found is None:
        if len(_FOLDED) >= 1 << 16:
            _FOLDED.clear()
        found = _FOLDED[char] = _fold_char(char)
    return found


def _fold_char(char: str) -> _Folded:
    # Letters are folded in their composed form first, so that أ -> ا is a letter fold, not a
    # dropped hamza counted as a diacritic; then NFKD, and marks are dropped.
    composed = unicodedata.normalize("NFKC", char)
    folded = "".join(tables.PLAIN_FOLD.get(part, part) for part in composed)
    out: list[str] = []
    marks = tatweel = 0
    for part in unicodedata.normalize("NFKD", folded):
        if part in tables.ARABIC_MARKS:
            marks += 1
        elif part == tables.TATWEEL:
            tatweel += 1
        elif part not in _INVISIBLE:
            out.append(tables.PLAIN_FOLD.get(part, part).casefold())
    chars = "".join(out)
    code = ord(char)
    lookalike = (
        any(first <= code <= last for first, last in _COMPAT_LOOKALIKE_BLOCKS)
        and chars.isascii()
        and chars.isalnum()
    )
    is_format = char in _MAYBE_DROPPED or unicodedata.category(char) == "Cf"
    attaches = tuple(map(_attaches, chars))
    stable = all(unicodedata.normalize("NFKC", part) == part for part in chars)
    return _Folded(chars, attaches, marks, tatweel, lookalike, is_format, stable)


def _compose(
    chars: Sequence[str],
    starts: Sequence[int],
    ends: Sequence[int],
    pieces: list[str],
    out_starts: array[int],
    out_ends: array[int],
) -> None:
    """NFKC, one cluster (a character and the marks that follow it) at a time; every output
    character of a cluster maps to the whole cluster's span."""
    k, n = 0, len(chars)
    while k < n:
        j = k + 1
        while j < n and _attaches(chars[j]):
            j += 1
        cluster = chars[k] if j == k + 1 else "".join(chars[k:j])
        composed = unicodedata.normalize("NFKC", cluster)
        pieces.append(composed)
        if len(composed) == 1:
            out_starts.append(starts[k])
            out_ends.append(ends[j - 1])
        else:
            out_starts.extend([starts[k]] * len(composed))
            out_ends.extend([ends[j - 1]] * len(composed))
        k = j


def _plain_char(char: str) -> str:
    """The plain form of one character on its own (used to build the fast-path tables)."""
    folded = _fold_char(char).chars
    pieces: list[str] = []
    _compose(folded, [0] * len(folded), [1] * len(folded), pieces, array("i"), array("i"))
    return "".join(pieces)


def _simple_candidates() -> Iterable[int]:
    """Blocks scanned for simple characters: Latin/Greek/Cyrillic/Hebrew/Arabic, punctuation,
    symbols (U+2000..U+2BFF), Arabic presentation forms and emoji."""
    spans = (
        (0x0000, 0x07FF),
        (0x08A0, 0x08FF),
        (0x2000, 0x2BFF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
        (0x1F000, 0x1F0FF),
        (0x1F300, 0x1FAFF),
    )
    for first, last in spans:
        yield from range(first, last + 1)


def _simple_form(char: str) -> str | None:
    """The plain form of a simple character: one character, found without looking at its
    neighbours, with no evidence to count (the fast path maps it with str.translate); None for
    any other character."""
    category = unicodedata.category(char)
    if char in _DELETED or char in _CONTEXTUAL or category in ("Cf", "Cs") or category[0] == "M":
        return None
    if not unicodedata.decomposition(char) and char not in tables.PLAIN_FOLD:
        # NFKC and the folds leave it alone; only casefold may change it (a shortcut for most
        # candidates, which keeps importing this module quick)
        lower = char.casefold()
        if len(lower) == 1 and (lower == char or not unicodedata.decomposition(lower)):
            return lower
    folded = _fold_char(char)
    if folded.marks or folded.tatweel or folded.lookalike or not folded.chars:
        return None
    plain = _plain_char(char)
    if len(plain) != 1 or _attaches(folded.chars[0]) or _attaches(plain):
        return None
    return plain


def _translation(mapping: dict[str, str]) -> list[int]:
    """A str.translate table as a list indexed by code point (twice as fast as a dict); code
    points past its end raise IndexError, which str.translate reads as "unchanged"."""
    table = list(range(max(map(ord, mapping)) + 1))
    for char, replacement in mapping.items():
        table[ord(char)] = ord(replacement)
    return table


def _build_simple() -> tuple[frozenset[str], list[int]]:
    forms = {c: _simple_form(c) for c in map(chr, _simple_candidates())}
    simple = {c: form for c, form in forms.items() if form is not None}
    return frozenset(simple), _translation({c: p for c, p in simple.items() if p != c})


_SIMPLE, _SIMPLE_TABLE = _build_simple()
_NOT_SIMPLE = re.compile(f"[^{_class(_SIMPLE)}]+")
# Deleted characters, and every astral character: a character class that lists the few astral
# deleted ones is slow for the regex engine to test; the loop checks these one by one.
_MAYBE_DELETED = re.compile(
    f"[{_class(c for c in _DELETED if c <= chr(0xFFFF))}\U00010000-\U0010ffff]+"
)
_KINDS = ("format_chars", "bidi_controls", "diacritics", "tatweel")  # of deleted characters


def _kind_table() -> NDArray[np.uint8]:
    """Code point -> 1 + index in _KINDS for a deleted character, 0 otherwise."""
    table = np.zeros(max(map(ord, _DELETED)) + 1, dtype=np.uint8)
    for char, kind in _DELETED.items():
        table[ord(char)] = 1 + _KINDS.index(kind)
    return table


_KIND_TABLE = _kind_table()
_BULK = 4096  # from this length on, deleted characters are found with numpy
_IDENTITY: array[int] = array("i", range(_BULK + 1))
_MERGE_GAP = 8  # slow-path runs this close are done as one (fewer calls on dense input)
_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
# A whitespace run to rewrite: a character other than " ", or two or more characters.
_WHITESPACE_RUN = re.compile(r"\s(?:(?<=[^\S ])|(?=\s))\s*")


# --- code point arrays ---------------------------------------------------------------------------
# A text is also handled as a numpy array of its code points, looked up in tables of _TABLE_END
# entries with mode="clip": a larger code point reads the last entry, U+1FFFF (a noncharacter),
# whose value in each table is either right for every code point past it or sends the text to
# the general path. On ~300-character posts a numpy call costs about as much as a regular
# expression's pass over the text, so the fast paths make few of them, and only of the C-level
# kind (ndarray methods, np.count_nonzero, np.zeros; not np.flatnonzero, np.append, np.diff).
_TABLE_END = 0x20000
_SLOW = 1 + len(_KINDS)  # class of a character the slow path folds (0: simple; 1..4: deleted)


def _code_points(text: str) -> NDArray[np.uint32]:
    return np.frombuffer(text.encode(_UTF32, "surrogatepass"), dtype=np.uint32)


def _from_code_points(codes: NDArray[np.uint32]) -> str:
    return codes.tobytes().decode(_UTF32, "surrogatepass")


def _as_numpy(values: array[int]) -> NDArray[np.int32]:
    return np.frombuffer(values, dtype=np.int32)


def _delta_table(translation: Sequence[int]) -> NDArray[np.uint32]:
    """A str.translate table (`_translation`) as code ^ delta[code]; the last entry is 0, so that
    a clipped code point is left as it is."""
    delta = np.zeros(_TABLE_END, dtype=np.uint32)
    size = len(translation)
    delta[:size] = np.asarray(translation, dtype=np.uint32) ^ np.arange(size, dtype=np.uint32)
    if delta[-1]:
        raise AssertionError("the last code point of the tables must be left as it is")
    return delta


def _class_table() -> NDArray[np.uint8]:
    """Code point -> 0 for a simple character, 1 + index in _KINDS for a deleted one, _SLOW for
    any other (and for U+1FFFF, where every larger code point is clipped)."""
    table = np.full(_TABLE_END, _SLOW, dtype=np.uint8)
    table[np.fromiter(map(ord, _SIMPLE), dtype=np.int64)] = 0
    kinds = _KIND_TABLE[: _TABLE_END - 1]
    table[:-1][kinds > 0] = kinds[kinds > 0]
    table[-1] = _SLOW
    return table


_CLASSES = _class_table()
_FOLD_DELTA = _delta_table(_SIMPLE_TABLE)


def _identity(n: int) -> tuple[array[int], array[int]]:
    """The maps of a text whose every character stands for itself: [i, i + 1)."""
    if n <= _BULK:
        return _IDENTITY[:n], _IDENTITY[1 : n + 1]
    return _int_array(np.arange(n, dtype=np.int32)), _int_array(np.arange(1, n + 1, dtype=np.int32))


_FEW_EDITS = 32  # up to this many edits, arrays are sliced in Python; more, numpy


def _delete(mapped: _Mapped, gone: list[int]) -> _Mapped:
    """The characters at the (sorted) positions `gone` deleted; each character kept takes over
    the spans of those deleted after it (_drop_deleted's rule)."""
    if len(gone) > _FEW_EDITS:
        return _delete_many(mapped, gone)
    text, starts, ends = mapped
    pieces: list[str] = []
    new_starts: array[int] = array("i")
    new_ends: array[int] = array("i")
    pos = 0
    for at in gone:
        if at > pos:
            pieces.append(text[pos:at])
            new_starts.extend(starts[pos:at])
            new_ends.extend(ends[pos:at])
        if new_ends:
            new_ends[-1] = ends[at]
        pos = at + 1
    pieces.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return _Mapped("".join(pieces), new_starts, new_ends)


def _delete_many(mapped: _Mapped, gone: list[int]) -> _Mapped:
    """_delete with whole-array operations."""
    codes = _code_points(mapped.text)
    deleted = np.zeros(len(codes), dtype=bool)
    deleted[gone] = True
    kept = (~deleted).nonzero()[0]
    following = np.concatenate((kept[1:], [len(codes)]))[: len(kept)]
    return _Mapped(
        _from_code_points(codes.take(kept)),
        _int_array(_as_numpy(mapped.starts).take(kept)),
        _int_array(_as_numpy(mapped.ends).take(following - 1)),
    )


# --- plain view --------------------------------------------------------------------------------


def _plain(text: str, evidence: _Evidence) -> _Mapped:
    return _collapse_whitespace(_drop_and_fold(text, evidence))


_FEW_SLOW = 8  # up to this many characters for the slow path, it folds them in regions


def _drop_and_fold(text: str, evidence: _Evidence) -> _Mapped:
    """_fold(_drop_deleted(text)), with whole-array lookups: deleted characters are found, and
    simple ones folded, from the classes of the code points; the others go through
    _fold_clusters, or the slow path in regions around them. Code points past the tables take
    the general path."""
    if text.isascii():  # every ASCII character is simple and its plain form is its lower case
        return _Mapped(text.lower(), *_identity(len(text)))
    codes = _code_points(text)
    classes = _CLASSES.take(codes, mode="clip")
    folded = _Mapped(
        _from_code_points(codes ^ _FOLD_DELTA.take(codes, mode="clip")), *_identity(len(codes))
    )
    if not np.count_nonzero(classes):  # all simple
        return folded
    counts = np.bincount(classes, minlength=_SLOW + 1).tolist()
    if counts[_SLOW] and int(codes.max()) >= _TABLE_END - 1:
        return _fold(_drop_deleted(text, evidence), evidence)
    gone: list[int] = []
    if counts[0] + counts[_SLOW] < len(codes):
        for kind, count in zip(_KINDS, counts[1:_SLOW], strict=True):
            if count:
                evidence[kind] += count
        gone = ((classes != 0) & (classes != _SLOW)).nonzero()[0].tolist()
        folded = _delete(folded, gone)
    if not counts[_SLOW]:
        return folded
    at = (classes == _SLOW).nonzero()[0]
    slow_codes = codes.take(at).tolist()
    slow = at.tolist()
    if gone:  # positions in the text without the deleted characters
        slow = (at - np.searchsorted(np.array(gone), at)).tolist()
    if len(slow) > _FEW_SLOW:
        done = _fold_clusters(folded, slow, slow_codes, evidence)
        if done is not None:
            return done
    dropped = _Mapped(_cut(text, gone) if gone else text, folded.starts, folded.ends)
    return _fold_regions(dropped, folded.text, _regions_at(slow), evidence)


def _cut(text: str, gone: list[int]) -> str:
    """`text` without the characters at positions `gone` (sorted)."""
    pieces = []
    pos = 0
    for at in gone:
        pieces.append(text[pos:at])
        pos = at + 1
    pieces.append(text[pos:])
    return "".join(pieces)


def _fold_clusters(
    folded: _Mapped, slow: list[int], slow_codes: list[int], evidence: _Evidence
) -> _Mapped | None:
    """The slow path, for a whole text at once, when each character that is not simple (at
    positions `slow`, code points `slow_codes`) folds to one character of its own, whatever its
    neighbours: combining marks, letters of other scripts. `folded` holds the text with its
    simple characters folded. None, with nothing done, for a text with another character."""
    folds = {code: _folded(chr(code)) for code in set(slow_codes)}
    if not all(len(fold.chars) == 1 and fold.stable and not fold.format for fold in folds.values()):
        return None
    changed = {code: fold.chars for code, fold in folds.items() if fold.chars != chr(code)}
    parts = (
        _Mapped(folded.text.translate(changed), folded.starts, folded.ends) if changed else folded
    )
    attaching = {code for code, fold in folds.items() if fold.attaches[0]}
    if attaching:
        marks = [at for at, code in zip(slow, slow_codes, strict=True) if code in attaching]
        composed = _compose_clusters(parts, marks)
        if composed is None:
            return None
        parts = composed
    if any(fold.marks or fold.tatweel or fold.lookalike for fold in folds.values()):
        for code, count in Counter(slow_codes).items():
            fold = folds[code]
            evidence["diacritics"] += count * fold.marks
            evidence["tatweel"] += count * fold.tatweel
            evidence["confusables"] += count * fold.lookalike
    return parts


def _compose_clusters(parts: _Mapped, marks: list[int]) -> _Mapped | None:
    """NFKC of a text of one-character parts, `marks` the positions of those that attach to the
    part before them; every character of a cluster's output maps to the cluster's whole span.

    NFKC of the whole text is the concatenation of the clusters' NFKC: a part that does not
    attach is a starter that composes with nothing before it (a property test checks this for
    every character a fold can give). The clusters of several parts are composed with one call,
    joined by U+0000; None if one of them holds U+0000."""
    text = parts.text
    n = len(text)
    cluster_start = np.ones(n, dtype=bool)
    cluster_start[marks] = False
    cluster_start[0] = True  # marks at the very start form a cluster of their own
    firsts = cluster_start.nonzero()[0]
    sizes = np.concatenate((firsts[1:], [n])) - firsts
    several = sizes > 1
    firsts, lasts = firsts[several], firsts[several] + sizes[several]
    clusters = [text[a:b] for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True)]
    composed = unicodedata.normalize("NFKC", "\0".join(clusters)).split("\0")
    if len(composed) != len(clusters):
        return None
    whole = unicodedata.normalize("NFKC", text)
    counts = cluster_start.astype(np.intp)  # output characters per part
    counts[firsts] = list(map(len, composed))
    if len(whole) != int(counts.sum()):
        return None
    ends = _as_numpy(parts.ends).copy()
    ends[firsts] = ends[lasts - 1]
    return _Mapped(
        whole,
        _int_array(_as_numpy(parts.starts).repeat(counts)),
        _int_array(ends.repeat(counts)),
    )


def _drop_deleted(text: str, evidence: _Evidence) -> _Mapped:
    """Characters deleted outright (format characters, bidi controls, Arabic marks, tatweel)
    go, and are counted; the span of the character kept before them grows over them."""
    if len(text) >= _BULK:
        return _drop_deleted_bulk(text, evidence)
    identity = _IDENTITY
    pieces: list[str] = []
    starts: array[int] = array("i")
    ends: array[int] = array("i")
    pos = 0  # the start of the text still to copy
    for match in _MAYBE_DELETED.finditer(text):
        for i in range(*match.span()):
            kind = _DELETED.get(text[i])
            if kind is None:
                continue
            evidence[kind] += 1
            if pos < i:
                pieces.append(text[pos:i])
                starts.extend(identity[pos:i])
                ends.extend(identity[pos + 1 : i + 1])
            if ends:
                ends[-1] = i + 1
            pos = i + 1
    pieces.append(text[pos:])
    starts.extend(identity[pos : len(text)])
    ends.extend(identity[pos + 1 : len(text) + 1])
    return _Mapped("".join(pieces), starts, ends)


def _drop_deleted_bulk(text: str, evidence: _Evidence) -> _Mapped:
    """_drop_deleted with whole-array operations, for long texts."""
    codes = np.frombuffer(text.encode(_UTF32, "surrogatepass"), dtype=np.uint32)
    kinds = np.zeros(len(codes), dtype=np.uint8)
    known = codes < len(_KIND_TABLE)
    kinds[known] = _KIND_TABLE[codes[known]]
    for kind, count in zip(_KINDS, np.bincount(kinds, minlength=5)[1:].tolist(), strict=True):
        if count:
            evidence[kind] += count
    kept = np.flatnonzero(kinds == 0).astype(np.int32)
    # a kept character's span runs up to the next kept character (or the end of the text)
    ends = np.append(kept[1:], np.int32(len(codes)))[: len(kept)].astype(np.int32)
    remaining = codes[kept].tobytes().decode(_UTF32, "surrogatepass")
    return _Mapped(remaining, _int_array(kept), _int_array(ends))


def _fold(mapped: _Mapped, evidence: _Evidence) -> _Mapped:
    """Simple characters through one table (all are mapped, only the simple stretches used);
    runs of other characters through the slow path, together with the simple character before
    them (a mark may compose with it)."""
    text = mapped.text
    return _fold_regions(mapped, text.translate(_SIMPLE_TABLE), _slow_regions(text), evidence)


def _fold_regions(
    mapped: _Mapped, folded: str, regions: list[tuple[int, int]], evidence: _Evidence
) -> _Mapped:
    """`folded` (mapped.text with every character through the simple table) outside `regions`,
    the slow path inside them."""
    _, sources, source_ends = mapped
    pieces: list[str] = []
    starts: array[int] = array("i")
    ends: array[int] = array("i")
    pos = 0
    for a, b in regions:
        pieces.append(folded[pos:a])
        starts.extend(sources[pos:a])
        ends.extend(source_ends[pos:a])
        _fold_run(mapped, a, b, pieces, starts, ends, evidence)
        pos = b
    pieces.append(folded[pos:])
    starts.extend(sources[pos:])
    ends.extend(source_ends[pos:])
    return _Mapped("".join(pieces), starts, ends)


def _slow_regions(text: str) -> list[tuple[int, int]]:
    """Runs of characters that are not simple, each with the simple character before it;
    runs closer than _MERGE_GAP are merged."""
    regions: list[tuple[int, int]] = []
    for match in _NOT_SIMPLE.finditer(text):
        a, b = match.span()
        start = max(a - 1, 0)
        if regions and start - regions[-1][1] <= _MERGE_GAP:
            regions[-1] = (regions[-1][0], b)
        else:
            regions.append((start, b))
    return regions


def _regions_at(slow: list[int]) -> list[tuple[int, int]]:
    """_slow_regions from the (sorted) positions of the characters that are not simple."""
    regions: list[tuple[int, int]] = []
    for at in slow:
        # one region while at most _MERGE_GAP simple characters lie between the end of a run
        # and the character before the next
        if regions and at - regions[-1][1] <= _MERGE_GAP + 1:
            regions[-1] = (regions[-1][0], at + 1)
        else:
            regions.append((max(at - 1, 0), at + 1))
    return regions


def _fold_run(
    mapped: _Mapped,
    a: int,
    b: int,
    pieces: list[str],
    starts: array[int],
    ends: array[int],
    evidence: _Evidence,
) -> None:
    """The slow path for mapped.text[a:b]: drop, decompose, fold and casefold each character,
    then compose (NFKC) each cluster (a character and the marks after it); every character of a
    cluster's output maps to the whole cluster's span."""
    text, sources, source_ends = mapped
    cluster: list[str] = []
    cluster_start = cluster_end = 0
    previous = ""  # the last character kept
    for i in range(a, b):
        char = text[i]
        folded = _folded(char)
        if folded.format and _dropped(text, i, previous, evidence):
            folded = _DROPPED
        elif folded.marks or folded.tatweel or folded.lookalike:
            evidence["diacritics"] += folded.marks
            evidence["tatweel"] += folded.tatweel
            evidence["confusables"] += folded.lookalike
        if not folded.chars:  # dropped: the span of the character before grows
            if cluster:
                cluster_end = source_ends[i]
            elif ends:
                ends[-1] = source_ends[i]
            continue
        previous = char
        for part, attaches in zip(folded.chars, folded.attaches, strict=True):
            if not (attaches and cluster):
                _emit(cluster, cluster_start, cluster_end, pieces, starts, ends)
                cluster = []
                cluster_start = sources[i]
            cluster.append(part)
            cluster_end = source_ends[i]
    _emit(cluster, cluster_start, cluster_end, pieces, starts, ends)


def _emit(
    cluster: list[str],
    start: int,
    end: int,
    pieces: list[str],
    starts: array[int],
    ends: array[int],
) -> None:
    if not cluster:
        return
    composed = unicodedata.normalize("NFKC", "".join(cluster))
    pieces.append(composed)
    for _ in composed:
        starts.append(start)
        ends.append(end)


def _dropped(text: str, i: int, previous: str, evidence: _Evidence) -> bool:
    """Whether text[i] is a format character to drop (and count); keeps emoji joiners. Marks
    and tatweel are not: _fold drops (and counts) them."""
    char = text[i]
    if char in _CONTEXTUAL:
        following = text[i + 1 : i + 2]
        if char == "\u200d":
            keep = (previous in _EMOJI or previous in _EMOJI_MODIFIERS) and following in _EMOJI
        elif char in _TAGS:
            keep = previous in _EMOJI or previous in _TAGS
        else:  # a presentation selector: after an emoji, or in a keycap sequence
            keep = previous in _EMOJI or (previous in _KEYCAP_BASES and following == "\u20e3")
        if keep:
            return False
        evidence["format_chars"] += 1
        return True
    kind = "bidi_controls" if char in _BIDI_CONTROLS else "format_chars"
    evidence[kind] += 1
    return True


def _collapse_whitespace(mapped: _Mapped) -> _Mapped:
    """Whitespace runs -> one space; leading and trailing whitespace removed."""
    text = mapped.text
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return mapped  # the only whitespace printable is " " (the others are Cc, Zl, Zp, Zs)
    # str.strip(), str.split() and the regular expression's \s agree on what whitespace is
    # (str.isspace)
    stripped = text.strip()
    collapsed = " ".join(stripped.split())
    if len(collapsed) == len(stripped):  # single whitespace characters between words
        if len(stripped) == len(text):
            return mapped if collapsed == text else _Mapped(collapsed, mapped.starts, mapped.ends)
        first = len(text) - len(text.lstrip())  # what is stripped goes with its spans
        last = first + len(stripped)
        return _Mapped(collapsed, mapped.starts[first:last], mapped.ends[first:last])
    n = len(text)
    edits = [(m.start(), m.end(), " ") for m in _WHITESPACE_RUN.finditer(text)]
    # a single space at either end is no run to rewrite, but it goes too
    if text[:1] == " " and not (edits and edits[0][0] == 0):
        edits.insert(0, (0, 1, " "))
    if text[-1:] == " " and not (edits and edits[-1][1] == n):
        edits.append((n - 1, n, " "))
    return _apply(mapped, [(a, b, "" if a == 0 or b == n else r) for a, b, r in edits])


# --- edits with maps -----------------------------------------------------------------------------


def _apply(mapped: _Mapped, edits: Sequence[_Edit]) -> _Mapped:
    """Apply sorted, non-overlapping edits. A same-length replacement keeps each character's
    span; any other replacement maps all its characters to the replaced span; an insertion maps
    to an empty span at the end of the character before it."""
    if not edits:
        return mapped
    text, starts, ends = mapped
    if all(b - a == len(replacement) for a, b, replacement in edits):
        return _Mapped(_replace(text, edits), starts, ends)  # every span stays as it is
    if len(edits) > 16 and all(b > a for a, b, _ in edits):
        return _apply_many(mapped, edits)
    pieces: list[str] = []
    new_starts: array[int] = array("i")
    new_ends: array[int] = array("i")
    pos = 0
    for a, b, replacement in edits:
        if a > pos:
            pieces.append(text[pos:a])
            new_starts.extend(starts[pos:a])
            new_ends.extend(ends[pos:a])
        if replacement:
            pieces.append(replacement)
            if len(replacement) == b - a:
                new_starts.extend(starts[a:b])
                new_ends.extend(ends[a:b])
            else:
                start, end = (starts[a], ends[b - 1]) if b > a else _gap(starts, ends, a)
                for _ in replacement:
                    new_starts.append(start)
                    new_ends.append(end)
        pos = b
    pieces.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return _Mapped("".join(pieces), new_starts, new_ends)


def _apply_many(mapped: _Mapped, edits: Sequence[_Edit]) -> _Mapped:
    """_apply for many edits (no insertions), with whole-array operations: each character of
    the text becomes `count` output characters (1, or the replacement's length at the start of
    a replaced span and 0 in the rest of it)."""
    text, starts, ends = mapped
    first = np.fromiter((a for a, _, _ in edits), dtype=np.int64, count=len(edits))
    stop = np.fromiter((b for _, b, _ in edits), dtype=np.int64, count=len(edits))
    size = np.fromiter((len(r) for _, _, r in edits), dtype=np.int64, count=len(edits))
    merged = size != stop - first  # same-length replacements keep their characters' spans
    first, stop, size = first[merged], stop[merged], size[merged]
    inside = np.zeros(len(text) + 1, dtype=np.int32)
    inside[first] += 1
    inside[stop] -= 1
    counts = (np.cumsum(inside[:-1], dtype=np.int32) == 0).astype(np.int32)
    counts[first] = size
    old_ends = np.frombuffer(ends, dtype=np.int32)
    new_ends = old_ends.copy()
    new_ends[first] = old_ends[stop - 1]
    return _Mapped(
        _replace(text, edits),
        _int_array(np.repeat(np.frombuffer(starts, dtype=np.int32), counts)),
        _int_array(np.repeat(new_ends, counts)),
    )


def _replace(text: str, edits: Sequence[_Edit]) -> str:
    pieces: list[str] = []
    pos = 0
    for a, b, replacement in edits:
        pieces.append(text[pos:a])
        pieces.append(replacement)
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces)


def _gap(starts: array[int], ends: array[int], at: int) -> tuple[int, int]:
    """The span of a character inserted before position `at` (0 < at < len): empty at the end of
    the previous character's span, unless the neighbours' spans overlap."""
    before, after = ends[at - 1], starts[at]
    return (before, before) if before <= after else (after, before)


# --- de-obfuscated view ------------------------------------------------------------------------

_EMOJI_ANY = re.compile(f"[{_class(_EMOJI)}]")
# One emoji (a flag is two regional indicators) with its modifiers, then more joined by ZWJ.
_EMOJI_ELEMENT = (
    f"[{_class(_EMOJI)}](?:(?<=[\U0001f1e6-\U0001f1ff])[\U0001f1e6-\U0001f1ff])?"
    f"[{_class(_EMOJI_MODIFIERS | _TAGS)}]*"
)
_EMOJI_CLUSTER = re.compile(f"{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*")
# Characters that may be look-alikes: not ASCII, Arabic, general punctuation or emoji.
_EXOTIC = re.compile(
    r"[^\x00-\x7f\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
    r"\u2000-\u206f\U0001f000-\U0001faff]"
)
_WORD = re.compile(r"[^\W_]+")
_DIGIT_NEXT_TO_LETTER = re.compile(r"[0-9@$](?:(?<=[^\W\d_].)|(?=[^\W\d_]))")
_EDGE_START = re.compile(r"[@$]+|[0-9]{2,}")
_EDGE_END = re.compile(r"[0-9]{2,}\Z")
_REPEAT = re.compile(r"(.)\1+", re.DOTALL)
_REPEAT_BUT_TOOTH = re.compile(f"([^{tables.UNSQUEEZED}])\\1+", re.DOTALL)
_TOOTH_LETTERS = "".join(c for c, r in tables.DOTLESS_FOLD.items() if r == tables.UNSQUEEZED)
_REPEAT_TOOTH_LETTER = re.compile(f"([{_TOOTH_LETTERS}])\\1+")
_SEPARATOR = " .\\-_·•*\u2010-\u2015"
# >= 3 single-letter tokens separated by 1-3 separators; the run starts the text (_SPACED_FIRST,
# used with .match) or follows a separator (_SPACED_NEXT, whose match starts with it).
# (the first two repetitions are written out: a regex engine attempt that enters a repeated
# group costs more, and most attempts fail before that)
_SPACED_BODY = (
    f"[^\\W\\d_][{_SEPARATOR}]{{1,3}}[^\\W\\d_][{_SEPARATOR}]{{1,3}}[^\\W\\d_]"
    f"(?:[{_SEPARATOR}]{{1,3}}[^\\W\\d_])*(?![^{_SEPARATOR}])"
)
_SPACED_FIRST = re.compile(_SPACED_BODY)
_SPACED_NEXT = re.compile(f"[{_SEPARATOR}]{_SPACED_BODY}")
_SEPARATOR_RUN = re.compile(f"[{_SEPARATOR}]+")
_DOTLESS_DELTA = _delta_table(_translation(tables.DOTLESS_FOLD))


def _is_letter(char: str) -> bool:
    """What a regex [^\\W\\d_] matches: alphanumeric but not a decimal digit."""
    return char.isalnum() and not char.isdecimal()


def _deobfuscate(plain: _Mapped, evidence: _Evidence) -> _Mapped:
    mapped = plain
    if not mapped.text.isascii() and _maybe_emoji_or_lookalike().search(mapped.text):
        mapped = _apply(mapped, _emoji_edits(mapped.text))
        mapped = _apply(mapped, _lookalike_edits(mapped.text, evidence))
    mapped = _apply(mapped, _digit_edits(mapped.text, evidence))
    dotted = mapped.text
    dotless, codes = _dotless(dotted, evidence)
    mapped = _squeeze(_Mapped(dotless, mapped.starts, mapped.ends), codes, dotted, evidence)
    joins = _spaced_edits(mapped.text, evidence)
    if joins:  # joined letters may repeat ("i s s s i s"); the tooth stays as it is
        mapped = _apply(mapped, joins)
        mapped = _squeeze(mapped, _code_points(mapped.text), None, evidence)
    if not unicodedata.is_normalized("NFKC", mapped.text):
        mapped = _renormalize(mapped)  # joining letters can make a composable pair (Hangul)
    return mapped


def _dotless(text: str, evidence: _Evidence) -> tuple[str, NDArray[np.uint32]]:
    """The dotless skeleton of `text` (`tables.DOTLESS_FOLD`) and its code points; letters
    written without their dots count as evidence."""
    codes = _code_points(text)
    if text.isascii():
        return text, codes
    count = sum(map(text.count, tables.DOTLESS_INPUT))
    if count:
        evidence["dotless"] += count
    codes = codes ^ _DOTLESS_DELTA.take(codes, mode="clip")
    return _from_code_points(codes), codes


def _squeeze(
    mapped: _Mapped, codes: NDArray[np.uint32], dotted: str | None, evidence: _Evidence
) -> _Mapped:
    """_apply(mapped, _squeeze_edits(mapped.text, dotted, evidence)), as a deletion: every
    letter of a run but the first goes, and the first takes the run's span over. Runs are found
    by comparing each code point (`codes`: mapped.text's) with the next."""
    text = mapped.text
    gone: list[int] = []  # positions deleted
    for i in (codes[1:] == codes[:-1]).nonzero()[0].tolist():  # text[i + 1] == text[i]
        char = text[i]
        if char == tables.UNSQUEEZED:  # squeezed only where its dotted letter repeats
            if dotted is None or dotted[i] != dotted[i + 1] or dotted[i] not in _TOOTH_LETTERS:
                continue
        elif not _is_letter(char):
            continue
        gone.append(i + 1)
    if not gone:
        return mapped
    _count_long_runs(text, dotted, gone, evidence)
    return _delete(mapped, gone)


def _count_long_runs(text: str, dotted: str | None, gone: list[int], evidence: _Evidence) -> None:
    """Evidence of the runs squeezed (`gone`: the positions deleted, in runs of consecutive
    positions, one per run of letters): as _squeeze_edits counts it, for runs of >= 3."""
    original = text if dotted is None else dotted
    k = 0
    while k < len(gone):
        j = k
        while j + 1 < len(gone) and gone[j + 1] == gone[j] + 1:
            j += 1
        if j > k:  # a run of >= 3 letters, text[a:b]
            a, b = gone[k] - 1, gone[j] + 1
            if text[a] == tables.UNSQUEEZED:  # one dotted letter repeated
                evidence["repeated_letters"] += 1
            else:
                runs = _REPEAT.finditer(original, a, b)
                evidence["repeated_letters"] += sum(run.end() - run.start() >= 3 for run in runs)
        k = j + 1


def _emoji_edits(text: str) -> list[_Edit]:
    """Spaces around emoji sequences, so that each one is a token."""
    edits: list[_Edit] = []
    if _EMOJI_ANY.search(text) is None:
        return edits
    n = len(text)
    for match in _EMOJI_CLUSTER.finditer(text):
        a, b = match.span()
        # no space next to a ZWJ: the plain view keeps it only between emoji (keycap + ZWJ)
        if a > 0 and text[a - 1] not in " \u200d" and (not edits or edits[-1][0] != a):
            edits.append((a, a, " "))
        if b < n and text[b] not in " \u200d" and not _attaches(text[b]):
            edits.append((b, b, " "))
    return edits


@lru_cache(maxsize=1)
def _maybe_emoji_or_lookalike() -> re.Pattern[str]:
    """A character that _emoji_edits or _lookalike_edits may act on: an emoji or look-alike
    (`latin_lookalikes`, as _EXOTIC matches them) of the BMP, or any astral character (the
    regex engine tests a class of BMP characters with a bitmap, astral ones range by range)."""
    emoji = (char for char in _EMOJI if char <= "\uffff")
    lookalikes = (c for c in latin_lookalikes() if c <= "\uffff" and _EXOTIC.fullmatch(c))
    return re.compile(f"[{_class([*emoji, *lookalikes])}\U00010000-\U0010ffff]")


def _lookalike_edits(text: str, evidence: _Evidence) -> list[_Edit]:
    """Look-alike letters in a word whose every character is ASCII or a look-alike -> Latin."""
    table = latin_lookalikes()
    if not any(match.group() in table for match in _EXOTIC.finditer(text)):
        return []
    edits: list[_Edit] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii() or not any(c in table for c in word):
            continue
        if not any(c.isalpha() for c in word):
            continue
        if all(c.isascii() or c in table for c in word):
            start = match.start()
            found = [
                (start + k, start + k + 1, table[c]) for k, c in enumerate(word) if not c.isascii()
            ]
            evidence["confusables"] += len(found)
            edits.extend(found)
    return edits


def _digit_edits(text: str, evidence: _Evidence) -> list[_Edit]:
    """Arabizi digits and leet characters inside words (rules in the module docstring)."""
    edits: list[_Edit] = []
    word_end = 0
    for hint in _DIGIT_NEXT_TO_LETTER.finditer(text):
        if hint.start() < word_end:
            continue  # in the word just done
        word_start, word_end = _word_around(text, hint.start())
        word = text[word_start:word_end]
        letters = [c for c in word if c.isalpha()]
        if len(letters) < 2:
            continue
        if all(c.isascii() for c in letters):
            following = text[word_end : word_end + 1]
            edits.extend(_latin_digit_edits(word, word_start, following, evidence))
        elif all(_is_arabic(c) for c in letters):
            edits.extend(_arabic_digit_edits(word, word_start, evidence))
    return edits


def _word_around(text: str, at: int) -> tuple[int, int]:
    """The span of the run of word characters, @ and $ around text[at]."""
    start, end = at, at + 1
    while start > 0 and _in_digit_word(text[start - 1]):
        start -= 1
    while end < len(text) and _in_digit_word(text[end]):
        end += 1
    return start, end


def _in_digit_word(char: str) -> bool:
    return char.isalnum() or char in "_@$"


def _latin_digit_edits(word: str, start: int, following: str, evidence: _Evidence) -> list[_Edit]:
    if not word.isascii():
        return []
    lead = _EDGE_START.match(word)
    trail = _EDGE_END.search(word)
    lo = lead.end() if lead else 0
    hi = trail.start() if trail else len(word)
    core = set(word[lo:hi])
    arabizi = bool(core & tables.ARABIZI_ONLY) or not core & tables.LEET_ONLY
    edits: list[_Edit] = []
    for k in range(lo, hi):
        char = word[k]
        if char.isalpha() or (char == "@" and following == "."):
            continue
        if arabizi and char in tables.ARABIZI_TO_LATIN:
            replacement, tactic = tables.ARABIZI_TO_LATIN[char], "arabizi_digits"
        elif char in tables.LEET:
            replacement, tactic = tables.LEET[char], "leet"
        else:
            continue
        evidence[tactic] += 1
        edits.append((start + k, start + k + 1, replacement))
    return edits


def _arabic_digit_edits(word: str, start: int, evidence: _Evidence) -> list[_Edit]:
    """A single Arabizi digit next to an Arabic letter -> the Arabic letter (دا3ش -> داعش)."""
    edits: list[_Edit] = []
    for k, char in enumerate(word):
        if char not in tables.ARABIZI_TO_ARABIC:
            continue
        before = word[k - 1] if k else ""
        after = word[k + 1 : k + 2]
        if before.isdigit() or after.isdigit():
            continue
        if (before and _is_arabic(before)) or (after and _is_arabic(after)):
            evidence["arabizi_digits"] += 1
            edits.append((start + k, start + k + 1, tables.ARABIZI_TO_ARABIC[char]))
    return edits


def _squeeze_edits(text: str, dotted: str | None, evidence: _Evidence) -> list[_Edit]:
    """Runs of one letter -> the letter, in the dotless text `text`; `dotted` is the same text
    before the dotless fold (None: no tooth is squeezed). The tooth ٮ is squeezed only where its
    dotted letters repeat (ييي, not بيت), and an input run of ٮ is kept. A run of >= 3 equal
    dotted letters counts as evidence (doubles are normal spelling)."""
    original = text if dotted is None else dotted
    edits: list[_Edit] = []
    for match in _REPEAT_BUT_TOOTH.finditer(text):
        letter = match.group(1)
        if _is_letter(letter):
            a, b = match.span()
            if b - a >= 3:
                runs = _REPEAT.finditer(original, a, b)
                evidence["repeated_letters"] += sum(run.end() - run.start() >= 3 for run in runs)
            edits.append((a, b, letter))
    if dotted is not None:
        for match in _REPEAT_TOOTH_LETTER.finditer(dotted):
            a, b = match.span()
            evidence["repeated_letters"] += b - a >= 3
            edits.append((a, b, tables.UNSQUEEZED))
        edits.sort()
    return edits


def _spaced_edits(text: str, evidence: _Evidence) -> list[_Edit]:
    """Delete the separators between letters spaced apart ("د ا ع ش" -> "داعش")."""
    edits: list[_Edit] = []
    first = _SPACED_FIRST.match(text)
    runs = [first.span()] if first else []
    runs.extend(
        (m.start() + 1, m.end()) for m in _SPACED_NEXT.finditer(text, runs[0][1] if runs else 0)
    )
    for a, b in runs:
        evidence["spaced_letters"] += 1
        edits.extend((m.start(), m.end(), "") for m in _SEPARATOR_RUN.finditer(text, a, b))
    return edits


def _renormalize(mapped: _Mapped) -> _Mapped:
    pieces: list[str] = []
    starts: array[int] = array("i")
    ends: array[int] = array("i")
    _compose(mapped.text, mapped.starts, mapped.ends, pieces, starts, ends)
    return _Mapped("".join(pieces), starts, ends)


# --- public API ----------------------------------------------------------------------------------


def normalize(text: str) -> NormalizedText:
    """The plain and de-obfuscated views of `text`, with maps back to it and evasion evidence."""
    evidence: _Evidence = defaultdict(int)
    plain = _plain(text, evidence)
    deobfuscated = _deobfuscate(plain, evidence)
    return NormalizedText(
        original=text,
        plain=View(*plain),
        deobfuscated=View(*deobfuscated),
        evidence={key: count for key in EVIDENCE_KEYS if (count := evidence.get(key, 0)) > 0},
    )


def plain_form(text: str) -> str:
    """The plain view's text: == normalize(text).plain.text."""
    return _plain(text, defaultdict(int)).text


def deobfuscated_form(text: str) -> str:
    """The de-obfuscated view's text: == normalize(text).deobfuscated.text."""
    evidence: _Evidence = defaultdict(int)
    return _deobfuscate(_plain(text, evidence), evidence).text


def canonical_text(text: str) -> str:
    """Text for exact and near-duplicate hashing: the de-obfuscated view of the text with
    punctuation and symbols (emoji kept) turned into spaces, whitespace collapsed, stripped."""
    evidence: _Evidence = defaultdict(int)
    plain = _plain(text, evidence)
    unpunctuated = _collapse_whitespace(
        _Mapped(_blank_punctuation(plain.text), plain.starts, plain.ends)
    )
    return _deobfuscate(unpunctuated, evidence).text


_NOT_WORD = re.compile(r"[^\w\s]|_")


def _blank_punctuation(text: str) -> str:
    """Punctuation and symbols -> spaces (same length); emoji, marks, and @ or $ after a word
    character (leet) are kept."""
    chars: list[str] | None = None
    for match in _NOT_WORD.finditer(text):
        i = match.start()
        char = text[i]
        if char in _EMOJI or char in _EMOJI_MODIFIERS or char in _TAGS or char == "\u200d":
            continue
        if unicodedata.category(char)[0] not in "PS":
            continue
        if char in "@$" and text[i - 1 : i].isalnum():
            continue  # may be leet (i$i$)
        if chars is None:
            chars = list(text)
        chars[i] = " "
    return text if chars is None else "".join(chars)
