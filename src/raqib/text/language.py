"""Offline language and script identification for short posts and long documents.

`identify` names the main language of a text (ISO 639-1, "ar-Latn" for Arabizi, "und" when
unknown), its dominant script, and, for mixed text, each main language's share of the letters.
`script_shares` counts letters by script. Everything runs offline: the statistical part is
py3langid's bundled naive-Bayes model (byte 1-4-grams, nothing fetched), restricted to the
languages that each script can carry; the rest (scripts, Arabizi, Arabic/Persian/Urdu letters,
segmenting mixed text) is written here by hand.

Speed (a post costs tens of µs): letters are counted with a table that gives every code point
of the Basic Multilingual Plane its script (and, for the few letters the letter rules look at,
the letter itself) and that ignores whatever cleaning drops, so the raw text can be counted and
most Arabic posts, settled by their letters, are never cleaned; the rare code points above the
BMP are looked up one by one. The counting, the splitting of mixed text, py3langid's scan and a
hashed pre-check for Arabizi are small numba kernels (compiled on first use, cached on disk).

Mixed text is split by script: each script's stretches are classified together (one model call
per script), Latin stretches that are Arabizi apart. Two languages of one script in one text
(English and French, say) are not told apart: the model names the mix. Text in a single
script is classified in one call, without splitting.

Bounds: a text longer than 60,000 characters is judged on three 20,000-character windows (head,
middle, tail), and at most 6,000 characters (about 5,000 letters) of each script's text go to
the classifier, again taken from its head, middle and tail, so time and memory stay flat on a
10 MB input.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import filterfalse
from typing import Any, NamedTuple, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from raqib.errors import InputError

UNDETERMINED = "und"
ARABIZI = "ar-Latn"

_MAX_SCAN_CHARS = 60_000  # longer texts are sampled in three windows
_MAX_CLASSIFY_CHARS = 6_000  # per script, ~5,000 letters
_MIN_LETTERS = 6  # below this a text is "und"
_MIN_SCRIPT_LETTERS = 8  # a script with fewer letters is absorbed by its neighbours
_MAJOR_SHARE = 0.1  # a script or language below this share is not reported
_DOMINANT_SHARE = 0.8  # one script above this share names the text's script
_FULL_CONFIDENCE_LETTERS = 40  # confidence is scaled down below this many letters

# --- scripts ----------------------------------------------------------------------------------

# Letter ranges per script (ISO 15924 codes), by hand: `re` has no \p{Script}. Digits, marks,
# punctuation and tatweel are left out, so only letters are counted. "Hrkt" is kana.
_SCRIPT_LETTERS: dict[str, str] = {
    "Arab": "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc"
    "\u06ff\u0750-\u077f\u08a0-\u08c8\ufb50-\ufbb1\ufbd3-\ufd3d\ufd50-\ufdc7\ufdf0-\ufdfb"
    "\ufe70-\ufe74\ufe76-\ufefc",
    "Latn": "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
    "\uff21-\uff3a\uff41-\uff5a",
    "Cyrl": "\u0400-\u0481\u048a-\u052f\u1c80-\u1c88",
    "Grek": "\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u03ff\u1f00-\u1fbc",
    "Hebr": "\u05d0-\u05ea\u05ef-\u05f2\ufb1d-\ufb4f",
    "Armn": "\u0531-\u0556\u0560-\u0588",
    "Geor": "\u10a0-\u10fa\u10fc-\u10ff",
    "Deva": "\u0904-\u0939\u093d\u0950\u0958-\u0961\u0971-\u097f",
    "Thai": "\u0e01-\u0e30\u0e32\u0e33\u0e40-\u0e46",
    "Hang": "\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3",
    "Hrkt": "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff",
    "Hani": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
    "Ethi": "\u1200-\u135a",
}
_OTHER_SCRIPT = "Zzzz"  # letters of any script not listed above
_SCRIPT_CLASSES = tuple(
    (code, re.compile(f"[{letters}]")) for code, letters in _SCRIPT_LETTERS.items()
)
_ANY_LETTER = re.compile(r"[^\W\d_]")
_ABOVE_BMP_CHAR = re.compile("[\U00010000-\U0010ffff]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
# Scripts classified together: Japanese mixes kana and Han.
_SCRIPT_FAMILY = {"Hrkt": "Hani"}


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Languages the classifier may choose for each script; a script absent here gets all of them.
_LANGUAGES_BY_SCRIPT: dict[str, tuple[str, ...]] = {
    "Arab": ("ar", "fa", "ur", "ps", "ku", "ug"),
    # No Malay: on short text it takes most Indonesian, and the two are close enough.
    "Latn": _codes("en fr de es it nl pt tr id sw az tl ku ro pl sv"),
    "Cyrl": ("ru", "uk", "bg", "sr", "mk", "be", "kk", "ky", "mn"),
    "Grek": ("el",),
    "Hebr": ("he",),
    "Armn": ("hy",),
    "Geor": ("ka",),
    "Deva": ("hi", "mr", "ne"),
    "Thai": ("th",),
    "Hang": ("ko",),
    "Hani": ("zh", "ja"),
    "Ethi": ("am",),
}

# --- cleaning ---------------------------------------------------------------------------------

_URL_OR_HANDLE = re.compile(r"(?:https?://|www\.)\S*|@\w+", re.IGNORECASE)


def _runs_of(char_class: str) -> re.Pattern[str]:
    """Runs of `char_class`, written "[x][x]*": `re` then scans for a run's first character in
    a tight loop, where "[x]+" would try a match at every position (three times slower)."""
    return re.compile(f"{char_class}{char_class}*")


# Diacritics and tatweel, deleted: Arabic harakat and Quranic marks, Hebrew points, and the
# combining accents that NFKC could not compose.
_MARKS = _runs_of("[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u0591-\u05c7\u0300-\u036f]")
# What is kept: letters, digits, joiners, apostrophes, spaces, hyphens, and Indic and Thai vowel
# signs; each run of anything else (emoji, symbols, punctuation) becomes one space.
_KEPT = _runs_of("[\\w\u200c\u200d'’ \u0900-\u0dff\u0e00-\u0eff-]")
# The same for ASCII text, byte by byte: "_" to a space, anything else not kept to NUL.
_ASCII_KEPT = bytes(
    code if chr(code).isalnum() or chr(code) in "' -" else 32 if chr(code) == "_" else 0
    for code in range(256)
)
_ASCII_NON_LETTERS = bytes(code for code in range(128) if not chr(code).isalpha())


@dataclass(frozen=True)
class LanguageGuess:
    """The main language of a text, how sure we are, its script, and the languages it mixes."""

    language: str
    confidence: float
    script: str
    languages: tuple[tuple[str, float], ...]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "language": self.language,
            "confidence": self.confidence,
            "script": self.script,
            "languages": [{"language": code, "share": share} for code, share in self.languages],
        }


class _Run(NamedTuple):
    """Consecutive letters of one script (family) in the cleaned text."""

    script: str
    start: int
    end: int
    letters: int


class _Letters(NamedTuple):
    """Letters per script, and how often each letter that the letter rules look at occurs
    (Arabic-script letters as written, Latin and Cyrillic ones lower-cased)."""

    scripts: dict[str, int]
    marked: dict[str, int]


def identify(text: str | bytes) -> LanguageGuess:
    """Guess the language(s) and script of `text`; "und" with confidence 0 when too short."""
    sample = _sample(text)
    letters = _count_letters(sample)  # the same as in the cleaned text
    counts = letters.scripts
    total = sum(counts.values())
    script = _dominant_script(counts, total)
    if total < _MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0, script, ())
    major = {
        _family(code)
        for code, count in counts.items()
        if count >= _MIN_SCRIPT_LETTERS and count >= _MAJOR_SHARE * total
    }
    if len(major) > 1:
        clean = _clean(sample)
        labelled = _label_segments(clean, _segments(clean, major), letters.marked)
        return _summarise(labelled, total, script)
    family = major.pop() if major else _family(max(counts, key=counts.__getitem__))
    if len(sample) <= _MAX_CLASSIFY_CHARS and _settled_as_arabic(family, total, letters.marked):
        label = "ar", _LETTER_RULE_CONFIDENCE  # most Arabic text: no need to clean it
    else:
        clean = _clean(sample)
        piece = _spread(clean, _MAX_CLASSIFY_CHARS)
        marked = letters.marked if piece is clean else _count_letters(piece).marked
        label = _classify(family, piece, total, marked)
    return _summarise([(total, label)], total, script)


def script_shares(text: str | bytes) -> dict[str, float]:
    """Share of letters per script (ISO 15924 code, "Zzzz" for others), largest first."""
    counts = _count_letters(_sample(text)).scripts
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    return {code: round(count / total, 4) for code, count in ordered}


# --- preparation ------------------------------------------------------------------------------


def _sample(text: str | bytes) -> str:
    """Sampled, NFKC-normalised text without URLs or handles."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        raise InputError(f"language identification needs text, not {type(text).__name__}")
    if len(text) > _MAX_SCAN_CHARS:
        text = _spread(text, _MAX_SCAN_CHARS)
    sample = unicodedata.normalize("NFKC", text)
    if "://" in sample or "@" in sample or "ww." in sample or "WW." in sample:
        sample = _URL_OR_HANDLE.sub(" ", sample)
    return sample


def _clean(sample: str) -> str:
    """`sample` without diacritics, emoji or punctuation (each run of them one space)."""
    if sample.isascii():  # no diacritics; bytes.translate and split are faster than `re`
        kept = sample.encode("ascii").translate(_ASCII_KEPT).split(b"\0")
        return b" ".join(filter(None, kept)).decode("ascii").strip()
    return " ".join(_KEPT.findall(_MARKS.sub("", sample))).replace("_", " ").strip()


def _spread(text: str, limit: int) -> str:
    """The text itself, or its head, middle and tail (a third of `limit` each) when longer."""
    if len(text) <= limit:
        return text
    window = limit // 3
    middle = (len(text) - window) // 2
    return "\n".join((text[:window], text[middle : middle + window], text[-window:]))


def _dominant_script(counts: dict[str, int], total: int) -> str:
    if total == 0:
        return "none"
    if len(counts) == 1:
        return next(iter(counts))
    code, count = max(counts.items(), key=lambda item: item[1])
    return code if count >= _DOMINANT_SHARE * total else "mixed"


def _family(script: str) -> str:
    return _SCRIPT_FAMILY.get(script, script)


# --- letters ----------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _jit(fn: F) -> F:
    """`numba.njit(nogil=True)`, cached on disk when a writable cache location exists."""
    try:
        return cast(F, numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # numba found no writable cache directory: compile per process
        return cast(F, numba.njit(nogil=True)(fn))


_BMP = 0x10000
_NO_LETTER, _ABOVE_BMP = 0, 1  # letter classes: the table's last slot stands for code points
# above the BMP (\uffff itself is no letter), which are looked up one by one
_ClassArray = npt.NDArray[np.uint8]
_NO_POSITIONS = np.zeros(0, dtype=np.int64)
_NO_CLASSES = np.zeros(0, dtype=np.uint8)


class _LetterTable(NamedTuple):
    """A letter class for every BMP code point, and each class's script and marked letter;
    for counting, each class's two tallies among `names` (0: none, 1: above the BMP)."""

    classes: _ClassArray
    scripts: tuple[str, ...]  # "" for no letter
    marked: tuple[str, ...]  # "" for a letter that no letter rule looks at
    script_tally: _ClassArray
    marked_tally: _ClassArray
    names: tuple[str, ...]  # "", above the BMP, the scripts, then the marked letters
    first_marked: int  # where the marked letters start in `names`


def _count_letters(text: str) -> _Letters:
    """Letters per script in `text`, and the marked letters among them."""
    if text.isascii():  # Latin letters only, none of them marked
        letters = len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
        return _Letters({"Latn": letters} if letters else {}, {})
    table = _letter_table()
    tallies = (table.classes, table.script_tally, table.marked_tally, len(table.names))
    scripts: dict[str, int] = {}
    marked: dict[str, int] = {}
    above_bmp = False
    for tally, count in _tally_letters(_utf32(text), *tallies).tolist():
        if tally >= table.first_marked:
            marked[table.names[tally]] = count
        elif tally != _ABOVE_BMP:
            scripts[table.names[tally]] = count
        else:
            above_bmp = True
    if above_bmp:  # rare letters, and emoji
        for char in _ABOVE_BMP_CHAR.findall(text):
            if script := _script_of(char):
                scripts[script] = scripts.get(script, 0) + 1
    return _Letters(scripts, marked)


def _utf32(text: str) -> bytes:
    return text.encode("utf-32-le", errors="surrogatepass")


@_jit
def _tally_letters(
    data: bytes,
    classes: _ClassArray,
    script_tally: _ClassArray,
    marked_tally: _ClassArray,
    size: int,
) -> npt.NDArray[np.int64]:
    """(tally, count) for each nonzero tally of `_LetterTable.names` in the UTF-32 `data`."""
    counts = np.zeros(size, np.int64)
    for index in range(len(data) // 4):
        code = _code_point(data, index)
        letter_class = classes[code if code < _BMP else _BMP - 1]
        counts[script_tally[letter_class]] += 1
        counts[marked_tally[letter_class]] += 1
    found = np.empty((np.count_nonzero(counts[1:]), 2), np.int64)
    row = 0
    for tally in range(1, size):
        if counts[tally]:
            found[row, 0], found[row, 1] = tally, counts[tally]
            row += 1
    return found


@numba.njit(inline="always")
def _code_point(data: bytes, index: int) -> np.int64:
    """Character `index` of the UTF-32 (little-endian) `data`."""
    at = 4 * index
    low = np.int64(data[at]) | np.int64(data[at + 1]) << 8
    return low | np.int64(data[at + 2]) << 16 | np.int64(data[at + 3]) << 24


@lru_cache(maxsize=4096)
def _script_of(char: str) -> str:
    """The script of a letter, "" for a character that is no letter or that cleaning drops
    (slow: for the rare characters above the BMP)."""
    if _MARKS.match(char) or not _KEPT.match(char):
        return ""
    for code, pattern in _SCRIPT_CLASSES:
        if pattern.match(char):
            return code
    return _OTHER_SCRIPT if _ANY_LETTER.match(char) else ""


@cache
def _letter_table() -> _LetterTable:
    """The table, built on first use (~20 ms). What cleaning drops (marks, punctuation,
    symbols) is no letter, so that raw text counts the same as the cleaned text."""
    bmp = np.arange(_BMP, dtype="<u4").tobytes().decode("utf-32-le", errors="surrogatepass")
    classes, scripts, marked = _script_classes(bmp)
    _add_marked_classes(bmp, classes, scripts, marked)
    classes[_dropped_by_cleaning(bmp)] = _NO_LETTER
    classes[_BMP - 1] = _ABOVE_BMP
    names = ("", "", *_SCRIPT_LETTERS, _OTHER_SCRIPT, *sorted(set(marked) - {""}))
    first_marked = 3 + len(_SCRIPT_LETTERS)
    script_tally = [names.index(script) for script in scripts]
    script_tally[_ABOVE_BMP] = _ABOVE_BMP
    marked_tally = [names.index(letter, first_marked) if letter else 0 for letter in marked]
    return _LetterTable(
        classes,
        tuple(scripts),
        tuple(marked),
        np.array(script_tally, dtype=np.uint8),
        np.array(marked_tally, dtype=np.uint8),
        names,
        first_marked,
    )


def _script_classes(bmp: str) -> tuple[_ClassArray, list[str], list[str]]:
    """A class per script, from its ranges, and one for the other letters ("Zzzz"); the
    classes' scripts and (empty) marked letters."""
    scripts, marked = ["", ""], ["", ""]  # no letter, above the BMP
    classes = np.zeros(_BMP, dtype=np.uint8)
    for code, letters in (*_SCRIPT_LETTERS.items(), (_OTHER_SCRIPT, "")):
        scripts.append(code)
        marked.append("")
        for low, high in _ranges(letters):
            classes[low : min(high + 1, _BMP)] = len(scripts) - 1
    for match in _LETTER_RUN.finditer(bmp):
        run = classes[match.start() : match.end()]
        run[run == _NO_LETTER] = len(scripts) - 1
    return classes, scripts, marked


def _add_marked_classes(
    bmp: str, classes: _ClassArray, scripts: list[str], marked: list[str]
) -> None:
    """A class of its own for each marked letter (and the capitals that lower-case to it)."""
    index_of: dict[tuple[str, str], int] = {}
    for point, char in enumerate(bmp):
        found = [low for low in char.lower() if low in _MARKED_LETTERS]
        if not found:
            continue
        if len(found) > 1:  # never in Unicode 15: one class holds one marked letter
            raise RuntimeError(f"U+{point:04X} lower-cases to several marked letters")
        key = (scripts[classes[point]], found[0])
        if key not in index_of:
            index_of[key] = len(scripts)
            scripts.append(key[0])
            marked.append(key[1])
        classes[point] = index_of[key]


def _dropped_by_cleaning(bmp: str) -> npt.NDArray[np.bool_]:
    """Which BMP characters cleaning deletes or turns into a space."""
    kept = np.zeros(_BMP, dtype=np.bool_)
    for match in _KEPT.finditer(bmp):
        kept[match.start() : match.end()] = True
    for match in _MARKS.finditer(bmp):
        kept[match.start() : match.end()] = False
    return ~kept


def _ranges(letters: str) -> Iterator[tuple[int, int]]:
    """The (first, last) code points of a regular-expression character set like "a-z09"."""
    index = 0
    while index < len(letters):
        if letters[index + 1 : index + 2] == "-" and index + 2 < len(letters):
            yield ord(letters[index]), ord(letters[index + 2])
            index += 3
        else:
            yield ord(letters[index]), ord(letters[index])
            index += 1


# --- mixed text -------------------------------------------------------------------------------


def _segments(clean: str, major: set[str]) -> list[_Run]:
    """Maximal stretches of `clean` whose letters of the major script families are all of one
    family; the letters of other scripts, and whatever lies between letters, are absorbed."""
    table = _letter_table()
    families, family_of_class = _major_families(frozenset(major))
    positions, classes = _NO_POSITIONS, _NO_CLASSES
    if _ABOVE_BMP_CHAR.search(clean):  # (position, class) of the rare characters above the BMP
        above = [
            (match.start(), table.scripts.index(_script_of(match.group())))
            for match in _ABOVE_BMP_CHAR.finditer(clean)
        ]
        positions = np.array([position for position, _ in above], dtype=np.int64)
        classes = np.array([letter_class for _, letter_class in above], dtype=np.uint8)
    runs = _family_runs(_utf32(clean), table.classes, family_of_class, positions, classes)
    return [
        _Run(families[family], start, end, letters) for family, start, end, letters in runs.tolist()
    ]


@_jit
def _family_runs(
    data: bytes,
    classes: _ClassArray,
    family_of_class: _ClassArray,
    above_positions: npt.NDArray[np.int64],
    above_classes: _ClassArray,
) -> npt.NDArray[np.int64]:
    """(family, start, end, letters) of each stretch of the UTF-32 `data` whose letters of a
    (nonzero) family are all of one family, from its first such letter to its last."""
    runs = np.empty((len(data) // 4, 4), np.int64)
    count, above = 0, 0
    for position in range(len(data) // 4):
        code = _code_point(data, position)
        letter_class = classes[code] if code < _BMP - 1 else _NO_LETTER
        if code >= _BMP - 1 and above < len(above_positions) and above_positions[above] == position:
            letter_class = above_classes[above]
            above += 1
        family = family_of_class[letter_class]
        if family == 0:
            continue
        if count and runs[count - 1, 0] == family:
            runs[count - 1, 2] = position + 1
            runs[count - 1, 3] += 1
        else:
            runs[count, 0], runs[count, 1] = family, position
            runs[count, 2], runs[count, 3] = position + 1, 1
            count += 1
    return runs[:count]


@cache
def _major_families(major: frozenset[str]) -> tuple[tuple[str, ...], npt.NDArray[np.uint8]]:
    """The major families in order ("" first), and each letter class's index among them (0 for
    a letter of no major family)."""
    families = ("", *sorted(major))
    of_class = [_family(script) for script in _letter_table().scripts]
    indices = [families.index(family) if family in major else 0 for family in of_class]
    return families, np.array(indices, dtype=np.uint8)


def _label_segments(
    clean: str, segments: Sequence[_Run], marked: dict[str, int]
) -> list[tuple[int, tuple[str, float]]]:
    """(letters, (language, probability)) for every segment: one model call per script, whose
    segments are classified together; Latin segments that are Arabizi are set apart first.
    `marked` counts the marked letters of all of `clean`."""
    labelled: list[tuple[int, tuple[str, float]]] = []
    for family in dict.fromkeys(segment.script for segment in segments):
        rest = [segment for segment in segments if segment.script == family]
        if family == "Latn":
            rest = _set_apart_arabizi(clean, rest, labelled)
        if rest:
            label = _family_label(family, clean, rest, marked)
            labelled.extend((segment.letters, label) for segment in rest)
    return labelled


def _set_apart_arabizi(
    clean: str, segments: list[_Run], labelled: list[tuple[int, tuple[str, float]]]
) -> list[_Run]:
    """The Latin `segments` that are not Arabizi; the others go to `labelled` as Arabizi."""
    pieces = [clean[segment.start : segment.end][:_MAX_CLASSIFY_CHARS] for segment in segments]
    if not _may_hint_arabizi(_ascii_lowered(" ".join(pieces)), _STRONG_HASHES):  # one check
        return segments
    rest = []
    for segment, piece in zip(segments, pieces, strict=True):
        arabizi = arabizi_confidence(piece)
        if arabizi > 0.0:
            labelled.append((segment.letters, (ARABIZI, arabizi)))
        else:
            rest.append(segment)
    return rest


def _family_label(
    family: str, clean: str, segments: list[_Run], marked: dict[str, int]
) -> tuple[str, float]:
    """The label of the segments of one script family, classified together. All Arabic-script
    letters are in the Arabic segments, so for them the counts of all of `clean` serve (the
    Arabic rules read only the distinctive letters), unless their text has to be sampled."""
    letters = sum(segment.letters for segment in segments)
    whole = family == "Arab" and len(clean) <= _MAX_CLASSIFY_CHARS
    if whole and _settled_as_arabic(family, letters, marked):
        return "ar", _LETTER_RULE_CONFIDENCE
    joined = " ".join(clean[segment.start : segment.end] for segment in segments)
    piece = _spread(joined, _MAX_CLASSIFY_CHARS)
    return _model_label(family, piece, letters, marked if whole else _count_letters(piece).marked)


def _summarise(
    labelled: Sequence[tuple[int, tuple[str, float]]], total: int, script: str
) -> LanguageGuess:
    """Letters and letter-weighted confidence per language, as a LanguageGuess."""
    if len(labelled) == 1:  # one language: the same sums, without the bookkeeping
        count, (language, probability) = labelled[0]
        if count < _MIN_LETTERS:
            return LanguageGuess(UNDETERMINED, 0.0, script, ())
        scale = min(1.0, count / _FULL_CONFIDENCE_LETTERS)  # below: weighted / letters, as there
        share = 1.0 if count == total else round(count / total, 4)
        reported = ((language, share),) if count >= _MAJOR_SHARE * total else ()
        return LanguageGuess(
            language, round(probability * count / count * scale, 4), script, reported
        )
    letters: dict[str, int] = {}
    weighted: dict[str, float] = {}
    for count, (language, probability) in labelled:
        if language in letters:
            letters[language] += count
            weighted[language] += probability * count
        else:
            letters[language], weighted[language] = count, probability * count
    ranked = sorted(letters.items(), key=lambda item: -item[1])
    top, top_letters = ranked[0]
    if top_letters < _MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0, script, ())
    confidence = weighted[top] / top_letters * min(1.0, top_letters / _FULL_CONFIDENCE_LETTERS)
    languages = tuple(
        (language, round(count / total, 4))
        for language, count in ranked
        if count >= _MAJOR_SHARE * total
    )
    return LanguageGuess(top, round(confidence, 4), script, languages)


# --- one segment ------------------------------------------------------------------------------


def _classify(family: str, text: str, letters: int, marked: dict[str, int]) -> tuple[str, float]:
    """(language, probability) of a single-script piece of cleaned text, given its marked
    letters."""
    if family == "Latn":
        arabizi = arabizi_confidence(text)
        if arabizi > 0.0:
            return ARABIZI, arabizi
    return _model_label(family, text, letters, marked)


def _model_label(family: str, text: str, letters: int, marked: dict[str, int]) -> tuple[str, float]:
    """(language, probability) from the model, checked against the marked letters of `text`."""
    candidates = _LANGUAGES_BY_SCRIPT.get(family)
    if candidates is not None and len(candidates) == 1:
        return candidates[0], 1.0
    allowed = None
    if family == "Arab":
        short = letters < _SHORT_ARABIC_SCRIPT
        articles = len(_ARABIC_ARTICLE.findall(text)) if short else 0
        allowed = _arabic_script_evidence(letters, marked, articles)
        if allowed == _ONLY_ARABIC:  # the letters settle it: no model call (most posts)
            return "ar", _LETTER_RULE_CONFIDENCE
    elif family in ("Cyrl", "Latn"):
        allowed = _alphabet_evidence(family, letters, marked)
    model = _model()
    return model.best(text, candidates or model.languages, allowed)


# Hand-written: the letters each alphabet has or lacks. A language is ruled out when the text
# has letters its alphabet lacks (more than a quoted name would bring), or, past a few letters,
# none of the letters that mark it.
# language: (letters it never uses, letters one of which it soon uses, from how many letters)
_ALPHABET_RULES: dict[str, tuple[str, str, int]] = {
    "ru": ("іїєґўјљњћђџѓќѕәғқңөұүһ", "", 0),
    "uk": ("ыэёъўјљњћђџѓќѕәғқңөұүһ", "іїєґ", 15),
    "bg": ("ыэёіїєґўјљњћђџѓќѕәғқңөұүһ", "", 0),
    "be": ("иъщїєґјљњћђџѓќѕәғқңөұүһ", "ўі", 10),
    "sr": ("йщъыьэюяёєїіґўѓќѕәғқңөұүһ", "јђћџљњ", 15),
    "mk": ("йщъыьэюяёєїіґўђћәғқңөұүһ", "јѓќѕљњ", 15),
    "kk": ("ўјљњћђџѓќѕ", "әғқңөұүһі", 10),
    "ky": ("ўјљњћђџѓќѕәғқұһі", "ңөү", 15),
    "mn": ("ўјљњћђџѓќѕәғқңұһі", "өү", 15),
    "az": ("", "ə", 1),
    "tr": ("ə", "", 0),
    **dict.fromkeys(_codes("en fr de es it nl pt id sw tl ku ro pl sv"), ("ığə", "", 0)),
}
_ALPHABET_LETTERS = frozenset(c for rule in _ALPHABET_RULES.values() for c in rule[0] + rule[1])
_MARKS_WANTED_FROM = max(rule[2] for rule in _ALPHABET_RULES.values())  # letters
# Per script, the languages with marking letters: (language, from how many letters).
_MARKED_ALPHABETS = {
    family: tuple(
        (language, _ALPHABET_RULES[language][2])
        for language in languages
        if language in _ALPHABET_RULES and _ALPHABET_RULES[language][1]
    )
    for family, languages in _LANGUAGES_BY_SCRIPT.items()
}


def _alphabet_evidence(family: str, letters: int, marked: dict[str, int]) -> frozenset[str]:
    """The candidate languages of `family` whose alphabets fit the text's letters (`letters`
    of them, with `marked` among them)."""
    found = {char: count for char, count in marked.items() if char in _ALPHABET_LETTERS}
    if not found:  # most text: only the languages that need a marking letter are out
        return _unmarked_alphabets(family, min(letters, _MARKS_WANTED_FROM))
    enough = _enough_letters(letters)
    allowed = set()
    for language in _LANGUAGES_BY_SCRIPT[family]:
        never, marks, threshold = _ALPHABET_RULES.get(language, ("", "", 0))
        if sum(count for char, count in found.items() if char in never) >= enough:
            continue
        if marks and letters >= threshold and not any(char in marks for char in found):
            continue
        allowed.add(language)
    return frozenset(allowed)


@cache
def _unmarked_alphabets(family: str, letters: int) -> frozenset[str]:
    """The candidate languages of `family` for `letters` letters without a marked one."""
    return frozenset(_LANGUAGES_BY_SCRIPT[family]).difference(
        language for language, threshold in _MARKED_ALPHABETS[family] if letters >= threshold
    )


def _enough_letters(letters: int) -> float:
    """How many distinctive letters are more than a quoted name or loanword: 1 in a short
    text, 5% of a long one."""
    return max(1.0, 0.05 * letters)


# Hand-written: which Arabic-script language the letters alone allow. Urdu letters never
# occur in Arabic or Persian, Pashto and Kurdish letters are frequent in those languages and
# absent from the others, and Persian/Urdu letters (پ چ ژ گ ک ی) against Arabic-only ones
# (ة ي ك ى) settle short texts, where the byte n-gram model is unreliable.
_DISTINCTIVE_LETTERS = {
    char: group
    for group, chars in (
        ("ur", "ٹڈڑںےۓہۂ"),  # Urdu only
        ("ur_soft", "ھ"),  # Urdu; some Arabic keyboards type it for ه
        ("ps", "ټډړښږځڅڼۍ"),  # Pashto
        ("ku", "ڵڕێۆە"),  # Sorani Kurdish (ۆ ە also Uyghur)
        ("fa_ur", "پچژگکی"),  # Persian and Urdu
        ("ar", "ةيكى"),  # Arabic, not Persian or Urdu
    )
    for char in chars
}
_DISTINCTIVE_GROUPS = ("ur", "ur_soft", "ps", "ku", "fa_ur", "ar")
# The Arabic article opening a word counts as an Arabic-only letter (not in الان, البته: Persian).
_ARABIC_ARTICLE = re.compile(r"(?<!\S)ال(?!ان(?!\S)|بته(?!\S))")
_SHORT_ARABIC_SCRIPT = 60  # letters; below this the letters may overrule the model
_ONLY_ARABIC = frozenset({"ar"})
_ONLY_URDU = frozenset({"ur"})
_ONLY_PASHTO = frozenset({"ps"})
_KURDISH_OR_UYGHUR = frozenset({"ku", "ug"})
_LETTER_RULE_CONFIDENCE = 0.99


def _settled_as_arabic(family: str, letters: int, marked: dict[str, int]) -> bool:
    """Whether the letters alone make Arabic-script text Arabic (most of it), so that neither
    the article rule for short text nor the model is needed."""
    return (
        family == "Arab"
        and letters >= _SHORT_ARABIC_SCRIPT
        and _arabic_script_evidence(letters, marked, 0) == _ONLY_ARABIC
    )


def _arabic_script_evidence(letters: int, marked: dict[str, int], articles: int) -> frozenset[str]:
    """The languages that the distinctive letters (counted in `marked`) allow; `articles` is
    how many words open with the Arabic article, counted in short text only."""
    counts = dict.fromkeys(_DISTINCTIVE_GROUPS, 0)
    counts["ar"] = articles
    for char, count in marked.items():
        if group := _DISTINCTIVE_LETTERS.get(char):
            counts[group] += count
    enough = _enough_letters(letters)
    if counts["ur"] >= enough and counts["ur"] >= max(counts["ps"], counts["ku"]):
        return _ONLY_URDU
    if max(counts["ps"], counts["ku"]) >= enough:
        return _ONLY_PASHTO if counts["ps"] >= counts["ku"] else _KURDISH_OR_UYGHUR
    if letters >= 30 and counts["ar"] >= enough and not counts["fa_ur"] + counts["ur_soft"]:
        return _ONLY_ARABIC  # 30 letters of Persian or Urdu without one of پ چ ژ گ ک ی: no
    allowed = {"ar", "fa", "ur"}
    if counts["ur_soft"] == 0 and letters >= 30:  # Urdu without a single Urdu letter: no
        allowed.discard("ur")
    if letters < _SHORT_ARABIC_SCRIPT and counts["fa_ur"] > counts["ar"]:
        allowed.discard("ar")
    elif letters < _SHORT_ARABIC_SCRIPT and counts["ar"] and not counts["fa_ur"]:
        allowed &= {"ar"}
    return frozenset(allowed)


# The letters that the rules above look at, counted by `_count_letters`.
_MARKED_LETTERS = _ALPHABET_LETTERS | frozenset(_DISTINCTIVE_LETTERS)


# --- Arabizi ----------------------------------------------------------------------------------

# Hand-written: no library identifies Arabizi (Arabic in Latin letters with digits for sounds
# Latin lacks: 2 ء, 3 ع, 5 خ, 6 ط, 7 ح, 9 ص). A Latin text is Arabizi when it has such digit
# words and/or distinctive romanised Arabic words, densely enough that one stray loanword or
# "7pm" in English, French or Indonesian does not tip it.
# Strong words are not words of English, French, Spanish, Italian, German, Dutch, Turkish or
# Indonesian (so no "enti", "inti", "hek", "fein", "laken", "matar"); weak ones may be, and
# only ever support strong evidence.
_STRONG_WORDS = _words(
    """
    wallah wallahi wallahy yalla yallah habibi habibti 7abibi inshallah enshallah inchallah
    mashallah alhamdulillah hamdulillah alhamdulilah enta inta ehna ni7na e7na
    msh mish keda kda kida ezay ezzay izzay izay ezayak ezayek kifak kifik kefak kifkon
    lesh leish leih 3shan 3ashan 3alashan ma3 sa7 ra7 ba3 la2 ya3 wa7ed ahlan marhaba
    shukran shokran afwan kheir khair kher tayeb tayyeb aywa aiwa na3am bokra bukra
    enharda ennaharda naharda innaharda delwa2ti dilwa2ti hala2 halla2 kaman kamaan kteer
    ktir ketir awi gedan giddan helw helwa mashy ma3lesh ma3lish maalesh ya3ni 3ayez 3ayz
    biddi baddi 3andi mafi mafish mafeesh feen lakin heik hayk hayda haida
    hatha kwayes kwayyes kwayis mabrook mabrouk alaykum aleikum alaikum elyoum elyom
    mobarah mubarah mnih mni7 shu shou
    """
)
_WEAK_WORDS = _words(
    "ya el fi fe bas ana ala eh leh salam sabah tamam yani hiya mesh mush mashi wala "
    "walla hada hadi zay fen sho howa huwa heya enti inti"
)
# Digit words that are not Arabizi: units, ordinals, times, models, text-speak.
_DIGIT_WORD_SUFFIXES = _words(
    "st nd rd th am pm km kg cm mm ml mg mb gb kb tb hz khz mhz ghz px fps mph kph kmh min "
    "sec hrs hr mp bit bits day days nite night morrow moro go er re ere eme ieme era ero"
)
_TECH_WORDS = _words("mp3s mp4s ps5s x86s")
_ARABIZI_DIGITS = frozenset("235679")  # not 8: utf8, x86; rarely Arabizi
_TOKEN_BYTES = bytes(
    code if chr(code) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for code in range(256)
)
_ARABIZI_MIN_SCORE = 3
_ARABIZI_MIN_DENSITY = 0.2


def arabizi_confidence(text: str) -> float:
    """0 when `text` is not Arabizi, else a confidence in (0, 1]."""
    lowered = _ascii_lowered(text[:_MAX_CLASSIFY_CHARS])
    if not _may_hint_arabizi(lowered, _STRONG_HASHES):  # most text
        return 0.0
    tokens = lowered.translate(_TOKEN_BYTES).decode("ascii").split()
    mixed = filterfalse(str.isdigit, filterfalse(str.isalpha, tokens))  # digits and letters
    hints = sum(map(_STRONG_WORDS.__contains__, tokens)) + sum(
        1 for token in mixed if token not in _STRONG_WORDS and _is_arabizi_digit_word(token)
    )
    score = 2 * hints + sum(map(_WEAK_WORDS.__contains__, tokens))  # weak: neither of those
    words = len(tokens) - sum(map(str.isdigit, tokens))
    density = score / (2 * words) if words else 0.0  # 1.0: every word a hint
    if hints == 0 or score < _ARABIZI_MIN_SCORE or density < _ARABIZI_MIN_DENSITY:
        return 0.0
    return round(min(0.95, 0.5 + density), 4)


def _ascii_lowered(text: str) -> bytes:
    """`text` lower-cased, as ASCII bytes with "?" for anything else. Its tokens, the runs of
    a-z and 0-9, are the words that the Arabizi rules read."""
    return text.lower().encode("ascii", errors="replace")


def _fnv1a(word: bytes) -> int:
    """64-bit FNV-1a, as `_may_hint_arabizi` computes it."""
    hashed = _FNV_OFFSET
    for byte in word:
        hashed = ((hashed ^ byte) * _FNV_PRIME) % (1 << 64)
    return hashed


_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_STRONG_HASHES = np.array(sorted({_fnv1a(word.encode()) for word in _STRONG_WORDS}), np.uint64)


@_jit
def _may_hint_arabizi(lowered: bytes, strong_hashes: npt.NDArray[np.uint64]) -> bool:
    """False when no token of `lowered` (see `_ascii_lowered`) is a strong word or has an
    Arabizi digit (2 3 5 6 7 9) before a letter: then `arabizi_confidence` is 0. Strong words
    are matched by hash, so True may be a false alarm, which the exact rules then clear."""
    hashed, length, digit_before = np.uint64(_FNV_OFFSET), 0, False
    for index in range(len(lowered) + 1):
        byte = lowered[index] if index < len(lowered) else 32
        letter, digit = 97 <= byte <= 122, 48 <= byte <= 57
        if letter or digit:
            if letter and digit_before:
                return True
            digit_before = byte in (50, 51, 53, 54, 55, 57)
            hashed = (hashed ^ np.uint64(byte)) * np.uint64(_FNV_PRIME)
            length += 1
            continue
        if length:
            at = np.searchsorted(strong_hashes, hashed)
            if at < len(strong_hashes) and strong_hashes[at] == hashed:
                return True
        hashed, length, digit_before = np.uint64(_FNV_OFFSET), 0, False
    return False


def _is_arabizi_digit_word(token: str) -> bool:
    """A word with an Arabizi digit before a letter: 3arabi, 7abibi, sa7a, ya3ni."""
    if token in _TECH_WORDS:
        return False
    for index, char in enumerate(token[:-1]):
        if char not in _ARABIZI_DIGITS or not token[index + 1].isalpha():
            continue
        before, after = token[:index], token[index + 1 :]
        if before.isalpha() and len(before) + len(after.rstrip("0123456789")) >= 3:
            return True
        if not before and len(after) >= 2 and after.isalpha():
            return after not in _DIGIT_WORD_SUFFIXES
    return False


# --- the statistical model --------------------------------------------------------------------


@cache
def _model() -> _NgramModel:
    """py3langid's bundled model, loaded once on first use."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return _NgramModel(LanguageIdentifier.from_pickled_model(MODEL_FILE))


_FloatArray = npt.NDArray[np.float32]
_IndexArray = npt.NDArray[np.intp]
_Ints = npt.NDArray[np.integer[Any]]
_Mask = npt.NDArray[np.bool_]


class _NgramModel:
    """py3langid's naive Bayes over byte 1-4-grams, its scan compiled with numba.

    py3langid walks its automaton over the bytes of a text in a Python loop (~0.4 µs a byte),
    then takes a dot product over all of its 7,480 features and 97 languages. Here the same
    walk runs in a numba kernel that adds up, as it goes, the rows of the features each state
    emits, for the candidate languages only (a few ns a byte). The automaton and the tables are
    py3langid's own, so the feature counts are too (the tests compare them).
    """

    def __init__(self, identifier: Any) -> None:
        self._ptc: _FloatArray = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
        self._pc: _FloatArray = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.languages: tuple[str, ...] = tuple(identifier.nb_classes)
        states = len(identifier.tk_nextmove) // 256
        if states * 256 != len(identifier.tk_nextmove) or max(identifier.tk_nextmove) >= states:
            raise RuntimeError("py3langid's model is not the expected byte automaton")
        state_type = np.uint16 if states <= 1 << 16 else np.int32
        self._nextmove: _Ints = np.array(identifier.tk_nextmove, dtype=state_type)
        emitted = [identifier.tk_output.get(state, ()) for state in range(states)]
        self._emits_from: _Ints = np.cumsum([0, *map(len, emitted)], dtype=np.int64)
        self._emits: _Ints = np.array([f for fs in emitted for f in fs], dtype=np.int32)
        self._subsets: dict[tuple[str, ...], tuple[tuple[str, ...], _FloatArray, _FloatArray]]
        self._subsets = {}
        self._masks: dict[tuple[tuple[str, ...], frozenset[str] | None], _Mask] = {}

    def feature_ids(self, text: str) -> _IndexArray:
        """Index of every feature occurrence in `text` (with repeats)."""
        ids: _IndexArray = _emitted(_utf8(text), self._nextmove, self._emits_from, self._emits)
        return ids

    def scores(self, text: str, languages: tuple[str, ...]) -> tuple[tuple[str, ...], list[float]]:
        """Log-probabilities (up to a shared constant) of `text` in each of `languages`, in the
        model's order of languages, which is returned too."""
        names, ptc, pc = self._subset(languages)
        automaton = self._nextmove, self._emits_from, self._emits
        scores: list[float] = _naive_bayes(_utf8(text), *automaton, ptc, pc).tolist()
        return names, scores

    def best(
        self, text: str, languages: tuple[str, ...], allowed: frozenset[str] | None
    ) -> tuple[str, float]:
        """The most probable of `languages` that `allowed` holds (all when None or when it holds
        none of them), and its probability among those."""
        names, ptc, pc = self._subset(languages)
        key = languages, allowed
        if key not in self._masks:
            kept = allowed if allowed is not None and not allowed.isdisjoint(names) else names
            self._masks[key] = np.array([name in kept for name in names], dtype=np.bool_)
        automaton = self._nextmove, self._emits_from, self._emits
        index, probability = _most_probable(_utf8(text), *automaton, ptc, pc, self._masks[key])
        return names[index], probability

    def rank(self, text: str, languages: Sequence[str] | None) -> list[tuple[str, float]]:
        """(language, probability) among `languages` (all when None), most probable first."""
        names, scores = self.scores(text, tuple(languages or self.languages))
        best = max(scores)
        weights = [math.exp(score - best) for score in scores]
        total = sum(weights)
        ranked = sorted(zip(names, weights, strict=True), key=_by_weight)
        return [(name, weight / total) for name, weight in ranked]

    def _subset(
        self, languages: tuple[str, ...]
    ) -> tuple[tuple[str, ...], _FloatArray, _FloatArray]:
        if languages not in self._subsets:
            columns = [index for index, name in enumerate(self.languages) if name in languages]
            names = tuple(self.languages[index] for index in columns)
            ptc = np.ascontiguousarray(self._ptc[:, columns])
            self._subsets[languages] = (names, ptc, self._pc[columns])
        return self._subsets[languages]


def _by_weight(item: tuple[str, float]) -> float:
    return -item[1]


def _utf8(text: str) -> bytes:
    """The UTF-8 bytes of `text`, NUL as a space (as the tests feed py3langid)."""
    return text.encode("utf-8", errors="replace").replace(b"\0", b" ")


@_jit
def _naive_bayes(
    data: bytes,
    nextmove: _Ints,
    emits_from: _Ints,
    emits: _Ints,
    ptc: _FloatArray,
    pc: _FloatArray,
) -> npt.NDArray[np.float64]:
    """`pc` plus the `ptc` row of every feature occurrence in `data`, found by walking
    py3langid's automaton (each state emits the features that end there); summed in float64."""
    totals = pc.astype(np.float64)
    columns = ptc.shape[1]
    state = np.int64(0)
    for index in range(len(data)):
        state = np.int64(nextmove[(state << 8) + data[index]])
        for k in range(emits_from[state], emits_from[state + 1]):
            row = emits[k]
            for column in range(columns):
                totals[column] += ptc[row, column]
    return totals


@_jit
def _most_probable(
    data: bytes,
    nextmove: _Ints,
    emits_from: _Ints,
    emits: _Ints,
    ptc: _FloatArray,
    pc: _FloatArray,
    allowed: _Mask,
) -> tuple[int, float]:
    """The index of the most probable allowed language (the first of equals) and its
    probability renormalised over the allowed ones."""
    scores = _naive_bayes(data, nextmove, emits_from, emits, ptc, pc)
    best = scores.max()
    index, top, total = 0, -1.0, 0.0
    for column in range(len(scores)):
        if allowed[column]:
            weight = np.exp(scores[column] - best)
            total += weight
            if weight > top:
                index, top = column, weight
    return index, top / total if total > 0 else 0.0


@_jit
def _emitted(data: bytes, nextmove: _Ints, emits_from: _Ints, emits: _Ints) -> _IndexArray:
    """Every feature occurrence in `data`, by the same walk."""
    count, state = 0, np.int64(0)
    for index in range(len(data)):
        state = np.int64(nextmove[(state << 8) + data[index]])
        count += emits_from[state + 1] - emits_from[state]
    ids = np.empty(count, np.intp)
    count, state = 0, np.int64(0)
    for index in range(len(data)):
        state = np.int64(nextmove[(state << 8) + data[index]])
        for k in range(emits_from[state], emits_from[state + 1]):
            ids[count] = emits[k]
            count += 1
    return ids
