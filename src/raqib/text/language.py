"""Offline language and script identification for short posts and long documents.

`identify` names the main language of a text (ISO 639-1, "ar-Latn" for Arabizi, "und" when
unknown), its dominant script, and, for mixed text, each main language's share of the letters.
`script_shares` counts letters by script. Everything runs offline: the statistical part is
py3langid's bundled naive-Bayes model (byte 1-4-grams, nothing fetched), restricted to the
languages that each script can carry; the rest (scripts, Arabizi, Arabic/Persian/Urdu letters,
segmenting mixed text) is written here by hand.

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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

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
_KNOWN_LETTERS = "".join(_SCRIPT_LETTERS.values())
_GAP = "[\\d '’\u200c\u200d-]+"  # what separates letters in cleaned text
_OTHER_LETTER = f"(?:(?![{_KNOWN_LETTERS}])[^\\W\\d_])"
# A stretch: letters of one script, with no letter of another script in between.
_SCRIPT_STRETCH = re.compile(
    "|".join(
        f"(?P<{code}>[{letters}]+(?:{_GAP}[{letters}]+)*)"
        for code, letters in _SCRIPT_LETTERS.items()
    )
    + f"|(?P<{_OTHER_SCRIPT}>{_OTHER_LETTER}+(?:{_GAP}{_OTHER_LETTER}+)*)"
)
_GAPS = re.compile(_GAP)
_MAIN_SCRIPT_LETTERS = tuple(
    (code, re.compile(f"[{_SCRIPT_LETTERS[code]}]+")) for code in ("Arab", "Latn", "Cyrl")
)
_ANY_LETTER = re.compile(r"[^\W\d_]")
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
# Diacritics and tatweel, deleted: Arabic harakat and Quranic marks, Hebrew points, and the
# combining accents that NFKC could not compose.
_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed\u0591-\u05c7\u0300-\u036f]+"
)
# Emoji, symbols and punctuation, replaced by a space (Indic and Thai vowel signs are kept).
_NOISE = re.compile("[^\\w\u200c\u200d'’ \u0900-\u0dff\u0e00-\u0eff-]+")


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


def identify(text: str | bytes) -> LanguageGuess:
    """Guess the language(s) and script of `text`; "und" with confidence 0 when too short."""
    clean = _prepare(text)
    counts = _letter_counts(clean)
    total = sum(counts.values())
    script = _dominant_script(counts, total)
    if total < _MIN_LETTERS:
        return LanguageGuess(UNDETERMINED, 0.0, script, ())
    major = {
        _family(code)
        for code, count in counts.items()
        if count >= _MIN_SCRIPT_LETTERS and count >= _MAJOR_SHARE * total
    }
    if len(major) <= 1:
        family = major.pop() if major else _family(max(counts, key=counts.__getitem__))
        segment = _Run(family, 0, len(clean), total)
        piece = _spread(clean, _MAX_CLASSIFY_CHARS)
        labelled = [(segment, _classify(family, piece, total))]
    else:
        labelled = _label_segments(clean, _segments(_script_stretches(clean), major))
    return _summarise(labelled, total, script)


def script_shares(text: str | bytes) -> dict[str, float]:
    """Share of letters per script (ISO 15924 code, "Zzzz" for others), largest first."""
    counts = _letter_counts(_prepare(text))
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    return {code: round(count / total, 4) for code, count in ordered}


# --- preparation ------------------------------------------------------------------------------


def _prepare(text: str | bytes) -> str:
    """Sampled, NFKC-normalised text without URLs, handles, diacritics, emoji or punctuation."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        raise InputError(f"language identification needs text, not {type(text).__name__}")
    sample = unicodedata.normalize("NFKC", _spread(text, _MAX_SCAN_CHARS))
    if "://" in sample or "@" in sample or "ww." in sample or "WW." in sample:
        sample = _URL_OR_HANDLE.sub(" ", sample)
    sample = _MARKS.sub("", sample).replace("_", " ")
    return _NOISE.sub(" ", sample).strip()


def _spread(text: str, limit: int) -> str:
    """The text itself, or its head, middle and tail (a third of `limit` each) when longer."""
    if len(text) <= limit:
        return text
    window = limit // 3
    middle = (len(text) - window) // 2
    return "\n".join((text[:window], text[middle : middle + window], text[-window:]))


def _script_stretches(clean: str) -> list[_Run]:
    """Maximal stretches of text whose letters are all of one script, in order."""
    runs = []
    for match in _SCRIPT_STRETCH.finditer(clean):
        start, end = match.span()
        letters = end - start - sum(map(len, _GAPS.findall(clean, start, end)))
        runs.append(_Run(match.lastgroup or _OTHER_SCRIPT, start, end, letters))
    return runs


def _letter_counts(clean: str) -> dict[str, int]:
    """Letters per script: the main scripts are stripped in C, the rest (rare) run by run."""
    counts: dict[str, int] = {}
    rest = clean
    for code, pattern in _MAIN_SCRIPT_LETTERS:
        stripped = pattern.sub("", rest)
        if len(stripped) != len(rest):
            counts[code], rest = len(rest) - len(stripped), stripped
            if not _ANY_LETTER.search(rest):
                return counts
    if _ANY_LETTER.search(rest):
        for run in _script_stretches(rest):
            counts[run.script] = counts.get(run.script, 0) + run.letters
    return counts


def _dominant_script(counts: dict[str, int], total: int) -> str:
    if total == 0:
        return "none"
    code, count = max(counts.items(), key=lambda item: item[1])
    return code if count >= _DOMINANT_SHARE * total else "mixed"


def _family(script: str) -> str:
    return _SCRIPT_FAMILY.get(script, script)


# --- mixed text -------------------------------------------------------------------------------


def _segments(runs: Sequence[_Run], major: set[str]) -> list[_Run]:
    """Consecutive runs of the same major script family merged; minor-script runs absorbed."""
    segments: list[_Run] = []
    for run in runs:
        family = _family(run.script)
        if family not in major:
            continue
        if segments and segments[-1].script == family:
            last = segments[-1]
            segments[-1] = _Run(family, last.start, run.end, last.letters + run.letters)
        else:
            segments.append(_Run(family, run.start, run.end, run.letters))
    return segments


def _label_segments(clean: str, segments: Sequence[_Run]) -> list[tuple[_Run, tuple[str, float]]]:
    """A (language, probability) label for every segment: one model call per script, whose
    segments are classified together; Latin segments that are Arabizi are set apart first."""
    labelled: list[tuple[_Run, tuple[str, float]]] = []
    for family in dict.fromkeys(segment.script for segment in segments):
        rest = []
        for segment in segments:
            if segment.script != family:
                continue
            piece = clean[segment.start : segment.end]
            arabizi = arabizi_confidence(piece) if family == "Latn" else 0.0
            if arabizi > 0.0:
                labelled.append((segment, (ARABIZI, arabizi)))
            else:
                rest.append(segment)
        if rest:
            joined = " ".join(clean[segment.start : segment.end] for segment in rest)
            letters = sum(segment.letters for segment in rest)
            label = _model_label(family, _spread(joined, _MAX_CLASSIFY_CHARS), letters)
            labelled.extend((segment, label) for segment in rest)
    return labelled


def _summarise(
    labelled: Sequence[tuple[_Run, tuple[str, float]]], total: int, script: str
) -> LanguageGuess:
    """Letters and letter-weighted confidence per language, as a LanguageGuess."""
    letters: dict[str, int] = {}
    weighted: dict[str, float] = {}
    for segment, (language, probability) in labelled:
        letters[language] = letters.get(language, 0) + segment.letters
        weighted[language] = weighted.get(language, 0.0) + probability * segment.letters
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


def _classify(family: str, text: str, letters: int) -> tuple[str, float]:
    """(language, probability) of a single-script piece of cleaned text."""
    if family == "Latn":
        arabizi = arabizi_confidence(text)
        if arabizi > 0.0:
            return ARABIZI, arabizi
    return _model_label(family, text, letters)


def _model_label(family: str, text: str, letters: int) -> tuple[str, float]:
    """(language, probability) from the model, checked against the letters of `text`."""
    candidates = _LANGUAGES_BY_SCRIPT.get(family)
    if candidates is not None and len(candidates) == 1:
        return candidates[0], 1.0
    if family == "Arab":
        allowed = _arabic_script_evidence(text, letters)
        if allowed == _ONLY_ARABIC:  # the letters settle it: no model call (most posts)
            return "ar", _LETTER_RULE_CONFIDENCE
        return _best_allowed(_model().rank(text, candidates), allowed)
    ranked = _model().rank(text, candidates)
    if family in ("Cyrl", "Latn"):
        return _best_allowed(ranked, _alphabet_evidence(family, text, letters))
    return ranked[0]


def _best_allowed(
    ranked: Sequence[tuple[str, float]], allowed: frozenset[str]
) -> tuple[str, float]:
    """The most probable allowed language, its probability renormalised over the allowed ones;
    the model's own choice when the letters allow none of its languages."""
    kept = [(language, probability) for language, probability in ranked if language in allowed]
    if not kept:
        return ranked[0]
    total = sum(probability for _, probability in kept)
    language, probability = kept[0]
    return language, probability / total if total > 0 else 0.0


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
_ALPHABET_LETTERS = re.compile(
    "[" + "".join(sorted({c for rule in _ALPHABET_RULES.values() for c in rule[0] + rule[1]})) + "]"
)


def _alphabet_evidence(family: str, text: str, letters: int) -> frozenset[str]:
    """The candidate languages of `family` whose alphabets fit the letters of `text`."""
    found: dict[str, int] = {}
    for char in _ALPHABET_LETTERS.findall(text.lower()):
        found[char] = found.get(char, 0) + 1
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
_DISTINCTIVE_LETTER = re.compile("[" + "".join(_DISTINCTIVE_LETTERS) + "]")
# The Arabic article opening a word counts as an Arabic-only letter (not in الان, البته: Persian).
_ARABIC_ARTICLE = re.compile(r"(?<!\S)ال(?!ان(?!\S)|بته(?!\S))")
_SHORT_ARABIC_SCRIPT = 60  # letters; below this the letters may overrule the model
_ONLY_ARABIC = frozenset({"ar"})
_LETTER_RULE_CONFIDENCE = 0.99


def _arabic_script_evidence(text: str, letters: int) -> frozenset[str]:
    """The languages that the distinctive letters of `text` allow."""
    counts = dict.fromkeys(("ur", "ur_soft", "ps", "ku", "fa_ur", "ar"), 0)
    for char in _DISTINCTIVE_LETTER.findall(text):
        counts[_DISTINCTIVE_LETTERS[char]] += 1
    if letters < _SHORT_ARABIC_SCRIPT:
        counts["ar"] += len(_ARABIC_ARTICLE.findall(text))
    enough = _enough_letters(letters)
    if counts["ur"] >= enough and counts["ur"] >= max(counts["ps"], counts["ku"]):
        return frozenset({"ur"})
    if max(counts["ps"], counts["ku"]) >= enough:
        return frozenset({"ps"} if counts["ps"] >= counts["ku"] else {"ku", "ug"})
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
_TOKEN = re.compile(r"[a-z0-9]+")
_ARABIZI_DIGITS = frozenset("235679")  # not 8: utf8, x86; rarely Arabizi
_DIGIT_BEFORE_LETTER = re.compile("[235679][a-z]")
_ARABIZI_MIN_SCORE = 3
_ARABIZI_MIN_DENSITY = 0.2


def arabizi_confidence(text: str) -> float:
    """0 when `text` is not Arabizi, else a confidence in (0, 1]."""
    lowered = text[:_MAX_CLASSIFY_CHARS].lower()
    tokens = _TOKEN.findall(lowered)
    if _STRONG_WORDS.isdisjoint(tokens) and not _DIGIT_BEFORE_LETTER.search(lowered):
        return 0.0
    words = hints = score = 0
    for token in tokens:
        if token.isdigit():
            continue
        words += 1
        if token in _STRONG_WORDS or _is_arabizi_digit_word(token):
            hints += 1
            score += 2
        elif token in _WEAK_WORDS:
            score += 1
    density = score / (2 * words) if words else 0.0  # 1.0: every word a hint
    if hints == 0 or score < _ARABIZI_MIN_SCORE or density < _ARABIZI_MIN_DENSITY:
        return 0.0
    return round(min(0.95, 0.5 + density), 4)


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
_KeyArray = npt.NDArray[np.uint32]
_IndexArray = npt.NDArray[np.int16]
_EMPTY_SLOT = 0xFFFFFFFF  # never a key: valid UTF-8 has no 0xFF byte
_NGRAM_MASKS = np.array([0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF], dtype=np.uint32)
_PRIMARY = (0x9E3779B1, 18)  # multiplier, table bits
_SECONDARY = (0x85EBCA6B, 12)
_DENSE_FROM = 300  # feature hits from which counting beats gathering rows


@dataclass(frozen=True)
class _HashLevel:
    """Feature ids in a table indexed by a multiplicative hash of the n-gram key."""

    table: _IndexArray
    multiplier: np.uint32
    shift: np.uint32

    def lookup(self, grams: _KeyArray) -> _IndexArray:
        ids: _IndexArray = self.table[(grams * self.multiplier) >> self.shift]
        return ids


class _NgramModel:
    """py3langid's naive Bayes over byte 1-4-grams, with a vectorised feature count.

    py3langid counts features with a Python loop over every byte (~0.4 µs a byte). Here its
    feature table is rebuilt once from its scanning automaton and the n-grams of a text are
    looked up with numpy in a two-level multiplicative hash; the counts are identical (the
    tests compare them with py3langid's own).
    """

    def __init__(self, identifier: Any) -> None:
        self._ptc: _FloatArray = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
        self._pc: _FloatArray = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.languages: tuple[str, ...] = tuple(identifier.nb_classes)
        self.keys = _feature_keys(identifier)  # ends with two sentinels: empty, clash
        self._clash = len(self.keys) - 1
        self._primary, self._secondary = _hash_levels(self.keys)
        self._subsets: dict[tuple[str, ...], tuple[tuple[str, ...], _FloatArray, _FloatArray]]
        self._subsets = {}

    def feature_ids(self, text: str) -> _IndexArray:
        """Index of every feature occurrence in `text` (with repeats)."""
        data = text.encode("utf-8", errors="replace").replace(b"\0", b" ")
        if not data:
            return np.zeros(0, dtype=np.int16)
        padded = data + b"\xff\xff\xff"  # 0xFF is in no feature, so never matches
        windows = np.ndarray((len(data),), dtype="<u4", buffer=padded, strides=(1,))
        grams = (windows[:, None] & _NGRAM_MASKS).ravel()  # every 1-, 2-, 3- and 4-gram
        ids = self._primary.lookup(grams)
        found: _IndexArray = ids[self.keys[ids] == grams]
        clashed = grams[ids == self._clash]
        if not clashed.size:
            return found
        more = self._secondary.lookup(clashed)
        both: _IndexArray = np.concatenate((found, more[self.keys[more] == clashed]))
        return both

    def rank(self, text: str, languages: Sequence[str] | None) -> list[tuple[str, float]]:
        """(language, probability) among `languages` (all when None), most probable first."""
        names, ptc, pc = self._subset(tuple(languages or self.languages))
        ids = self.feature_ids(text)
        if ids.size < _DENSE_FROM:  # few hits: add up their rows
            total_ptc = ptc.take(ids, axis=0).sum(axis=0)
        else:  # many: count them, then one matrix-vector product
            total_ptc = np.bincount(ids, minlength=len(ptc)).astype(np.float32) @ ptc
        scores: list[float] = (total_ptc + pc).tolist()
        best = max(scores)
        weights = [math.exp(score - best) for score in scores]
        total = sum(weights)
        ranked = sorted(zip(names, weights, strict=True), key=lambda item: -item[1])
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


def _feature_keys(identifier: Any) -> _KeyArray:
    """Each feature's byte n-gram as a little-endian uint32, then two sentinels (never keys).

    Walks the automaton breadth first: a state's shortest path spells its n-gram, and a feature
    is the shortest state string that emits it.
    """
    nextmove = np.asarray(identifier.tk_nextmove, dtype=np.int64).reshape(-1, 256)
    outputs: dict[int, Sequence[int]] = identifier.tk_output
    feature_count = int(identifier.nb_numfeats)
    depth = np.full(len(nextmove), -1, dtype=np.int64)
    key = np.zeros(len(nextmove), dtype=np.int64)
    depth[0], frontier, level = 0, np.zeros(1, dtype=np.int64), 0
    while frontier.size and level < 4:
        level += 1
        targets = nextmove[frontier].ravel()
        parents = np.repeat(frontier, 256)
        symbols = np.tile(np.arange(256, dtype=np.int64), frontier.size)
        fresh, first = np.unique(targets, return_index=True)
        new = depth[fresh] == -1
        fresh, first = fresh[new], first[new]
        depth[fresh] = level
        key[fresh] = key[parents[first]] | (symbols[first] << (8 * (level - 1)))
        frontier = fresh
    features = np.full(feature_count + 2, _EMPTY_SLOT, dtype=np.int64)
    best_depth = np.full(feature_count, 99, dtype=np.int64)
    for state, emitted in outputs.items():
        for feature in emitted:
            if 0 <= depth[state] < best_depth[feature]:
                best_depth[feature], features[feature] = depth[state], key[state]
    if (best_depth > 4).any() or len(np.unique(features[:-2])) != feature_count:
        raise RuntimeError("py3langid's model is not the expected byte 1-4-gram model")
    return features.astype(np.uint32)


def _hash_levels(keys: _KeyArray) -> tuple[_HashLevel, _HashLevel]:
    """A primary level holding each feature alone in its slot, its clash slots marked, and a
    collision-free secondary level for the few features that clash in the primary one."""
    features, empty, clash = keys[:-2], len(keys) - 2, len(keys) - 1
    multiplier, bits = _PRIMARY
    slots = (features * np.uint32(multiplier)) >> np.uint32(32 - bits)
    taken, counts = np.unique(slots, return_counts=True)
    clashing = np.isin(slots, taken[counts > 1])
    primary = np.full(1 << bits, empty, dtype=np.int16)
    primary[slots[~clashing]] = np.flatnonzero(~clashing)
    primary[slots[clashing]] = clash
    rest = np.flatnonzero(clashing)
    multiplier2, bits2 = _SECONDARY
    second = (features[rest] * np.uint32(multiplier2)) >> np.uint32(32 - bits2)
    while np.unique(second).size != rest.size:  # rare: the next multiplier, a wider table
        multiplier2 = (multiplier2 * 0x2545F491 + 2) % (1 << 32) | 1
        bits2 = min(bits2 + 1, 24)
        second = (features[rest] * np.uint32(multiplier2)) >> np.uint32(32 - bits2)
    secondary = np.full(1 << bits2, empty, dtype=np.int16)
    secondary[second] = rest
    return (
        _HashLevel(primary, np.uint32(multiplier), np.uint32(32 - bits)),
        _HashLevel(secondary, np.uint32(multiplier2), np.uint32(32 - bits2)),
    )
