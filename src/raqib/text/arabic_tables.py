"""Arabic orthography tables used by `raqib.text.normalize`.

* the marks the plain view drops (tashkeel/harakat, Quranic annotation marks) and tatweel;
* the letter variants the plain view folds (alef forms, hamza carriers, alef maksura, ta marbuta,
  Persian/Urdu/Kurdish letter forms) and Arabic-Indic / Persian digits;
* the dotless skeleton the de-obfuscated view applies (letters that differ only by dots fold to
  one representative);
* Arabizi digits (digits written for Arabic sounds) and leet digits/symbols.

Folding choices, documented once here:

* hamza on a carrier folds to the carrier: ؤ -> و, ئ -> ي (the hamza is a mark like the others);
* ى (alef maksura) -> ي and ة (ta marbuta) -> ه, as most Arabic search normalisers do;
* Persian/Urdu forms fold to the Arabic letter they are written for: ک ڪ ګ -> ك,
  ی ې ۍ ێ ۑ ے ۓ -> ي, ہ ھ ۀ ۂ ۃ ە ۿ -> ه, ۄ..ۋ ۏ -> و;
* letters that are distinct letters in Persian/Urdu are kept in the plain view: گ پ چ ژ ڤ ٹ ڈ ڑ
  (the dotless skeleton folds them with their dotted relatives);
* the dotless skeleton folds a letter the same way in every position: ي/ن are not written ى/ں
  at a word's end, because the plain view already merged ى into ي.
"""

from __future__ import annotations


def _span(first: int, last: int) -> str:
    """The characters first..last inclusive."""
    return "".join(map(chr, range(first, last + 1)))


TATWEEL = "\u0640"

# Combining marks of the Arabic script dropped by the plain view (counted as "diacritics").
# U+0674 (high hamza) and U+06E5/U+06E6 (small waw/yeh) are letter modifiers, dropped as marks.
ARABIC_MARKS = frozenset(
    _span(0x0610, 0x061A)  # honorifics and small Quranic marks
    + _span(0x064B, 0x065F)  # tanween, harakat, shadda, sukun, maddah, hamza above/below ...
    + "\u0670\u0674"  # superscript alef, high hamza
    + _span(0x06D6, 0x06DC)  # small high ligatures (Quranic pause marks)
    + _span(0x06DF, 0x06E8)  # small high marks, small waw/yeh, small high noon
    + _span(0x06EA, 0x06ED)
    + _span(0x0898, 0x089F)  # Arabic Extended-B marks
    + _span(0x08CA, 0x08E1)  # Arabic Extended-A marks
    + _span(0x08E3, 0x08FF)
)

ALEF = "\u0627"
WAW = "\u0648"
YEH = "\u064a"
HEH = "\u0647"
KAF = "\u0643"

# Letter variants folded by the plain view. Applied after NFKD, so a letter that decomposes
# canonically (أ = ا + hamza above) is covered twice: by its decomposition and by this table.
PLAIN_LETTER_FOLD: dict[str, str] = {
    **dict.fromkeys("\u0622\u0623\u0625\u0671\u0672\u0673\u0675", ALEF),  # آ أ إ ٱ ٲ ٳ ٵ
    **dict.fromkeys("\u0624\u0676\u0677", WAW),  # ؤ ٶ ٷ
    **dict.fromkeys(_span(0x06C4, 0x06CB) + "\u06cf", WAW),  # ۄ ۅ ۆ ۇ ۈ ۉ ۊ ۋ ۏ
    **dict.fromkeys("\u0626\u0649\u0678\u0620", YEH),  # ئ ى ٸ ؠ
    **dict.fromkeys("\u06cc\u06cd\u06ce\u06d0\u06d1\u06d2\u06d3", YEH),  # ی ۍ ێ ې ۑ ے ۓ
    **dict.fromkeys("\u0629\u06c0\u06c1\u06c2\u06c3\u06be\u06d5\u06ff", HEH),  # ة ۀ ہ ۂ ۃ ھ ە ۿ
    **dict.fromkeys("\u06a9\u06aa\u06ab", KAF),  # ک ڪ ګ
}

DIGIT_FOLD: dict[str, str] = {
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic ٠..٩
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian/Urdu) ۰..۹
}

PLAIN_FOLD: dict[str, str] = {**PLAIN_LETTER_FOLD, **DIGIT_FOLD}

# Dotless skeleton: representative <- letters that differ from it only by dots (or by a small
# diacritic-like sign, for the Persian/Urdu/Pashto extensions).
_DOTLESS_CLASSES: dict[str, str] = {
    "\u066e": "\u0628\u062a\u062b\u0646\u064a\u067e\u0679\u067a\u067b\u067c\u067d\u067f\u0680"
    "\u06b9\u06ba\u06bb\u06bc\u06bd" + _span(0x0750, 0x0756),  # ٮ <- ب ت ث ن ي پ ٹ ... ں
    "\u062d": "\u062c\u062e\u0681\u0682\u0683\u0684\u0685\u0686\u0687\u06bf",  # ح <- ج خ چ ...
    "\u062f": "\u0630" + _span(0x0688, 0x0690),  # د <- ذ ڈ ...
    "\u0631": "\u0632" + _span(0x0691, 0x0699),  # ر <- ز ڑ ژ ...
    "\u0633": "\u0634\u069a\u069b\u069c\u06fa",  # س <- ش ...
    "\u0635": "\u0636\u069d\u069e\u06fb",  # ص <- ض ...
    "\u0637": "\u0638\u069f",  # ط <- ظ
    "\u0639": "\u063a\u06a0\u06fc",  # ع <- غ
    "\u06a1": "\u0641\u0642\u066f" + _span(0x06A2, 0x06A8),  # ڡ <- ف ق ٯ ڤ ...
    "\u0643": "\u06ac\u06ad\u06ae",  # ك <- ڬ ڭ ڮ
    "\u06af": _span(0x06B0, 0x06B4),  # گ <- ڰ .. ڴ
    "\u0644": _span(0x06B5, 0x06B8),  # ل <- ڵ .. ڸ
}

DOTLESS_FOLD: dict[str, str] = {
    letter: representative
    for representative, letters in _DOTLESS_CLASSES.items()
    for letter in letters
}

# Letters written without their dots in the input: evidence of the "dotless" tactic.
DOTLESS_INPUT = "\u066e\u066f\u06a1\u06ba"  # ٮ ٯ ڡ ں

# The dotless tooth ٮ stands for five letters; a run of it is not squeezed (بيت, نبت, ...).
UNSQUEEZED = "\u066e"

# Arabizi: digits used for Arabic sounds. In a Latin word they become the usual transliteration;
# in an Arabic word, the Arabic letter itself.
ARABIZI_TO_LATIN: dict[str, str] = {
    "2": "a",
    "3": "a",
    "5": "kh",
    "6": "t",
    "7": "h",
    "8": "gh",
    "9": "s",
}
ARABIZI_TO_ARABIC: dict[str, str] = {
    "2": "\u0621",  # ء
    "3": "\u0639",  # ع
    "5": "\u062e",  # خ
    "6": "\u0637",  # ط
    "7": "\u062d",  # ح
    "8": "\u063a",  # غ
    "9": "\u0635",  # ص
}
# Digits that are only Arabizi (3 is also leet, see LEET).
ARABIZI_ONLY = frozenset("256789")

LEET: dict[str, str] = {"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"}
LEET_ONLY = frozenset("014@$")
