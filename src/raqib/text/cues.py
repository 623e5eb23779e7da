"""Cue words for context and category scoring, in Arabic, English and French.

These are detection vocabulary — the words of news reports, research, counter-speech, religious
life and the documented uses of terrorist content (claims, fundraising, recruitment, sectarian
slurs) — never content. Each cue is matched on whole words of the normalised plain view, Arabic
clitics (و ف ب ل ك ال) stripped, so "والمسجد" counts as "مسجد".
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache, lru_cache

from raqib.text.normalize import plain_form

# fmt: off
CUES: dict[str, tuple[str, ...]] = {
    "news": (
        "قال", "قالت", "قالوا", "أفاد", "أفادت", "وفقا", "بحسب", "حسب", "مصادر", "مسؤولون",
        "مسؤول", "تقرير", "دراسة", "باحث", "باحثون", "باحثين", "محكمة", "الشرطة", "شرطة",
        "السلطات", "سلطات", "وزارة", "مراسل", "صحفي", "صحفيون", "رويترز", "الحكومة", "حكومة",
        "الأمم المتحدة", "عقوبات", "اعتقال", "اعتقلت", "محاكمة", "تحقيق", "المتحدث", "متحدث",
        "منسوب", "نسب", "أعلنت الشرطة", "أشار", "أشارت", "ذكرت", "ذكر",
        "said", "says", "according", "reported", "reports", "report", "officials", "official",
        "police", "authorities", "court", "researchers", "researcher", "study", "analysis",
        "journalist", "journalists", "sanctions", "arrested", "trial", "investigation",
        "spokesperson", "spokesman", "ministry", "government", "united nations", "attributed",
        "prosecutors", "analysts", "selon", "a déclaré", "rapport", "chercheurs", "tribunal",
        "enquête", "autorités",
    ),
    "counter": (
        "لا يمثل", "لا يمثلون", "نرفض", "يرفض", "نبذ", "ضحايا", "التطرف", "تطرف", "خوارج",
        "تسامح", "التعايش", "تعايش", "ندين", "يدين", "إدانة", "تضامن", "الوحدة الوطنية",
        "does not represent", "do not represent", "reject", "rejects", "victims", "extremism",
        "condemn", "condemns", "condemned", "solidarity", "coexistence", "hate", "survivors",
        "ne représente pas", "victimes", "condamne", "rejette",
    ),
    "religious": (
        "صلاة", "المسجد", "مسجد", "الجمعة", "رمضان", "القرآن", "قرآن", "تلاوة", "تجويد", "خطبة",
        "الإمام", "إمام", "الحج", "العيد", "عيد", "دعاء", "الفجر", "المغرب", "الإفطار", "السحور",
        "prayer", "prayers", "mosque", "ramadan", "quran", "sermon", "imam", "eid", "recitation",
        "mosquée", "prière",
    ),
    "claim_of_responsibility": (
        "تبنى", "تبنت", "تبني", "مسؤوليته", "مسؤوليتها", "المسؤولية عن",
        "claimed responsibility", "claims responsibility", "claim of responsibility",
        "revendiqué", "revendication",
    ),
    "fundraising": (
        "تبرع", "تبرعات", "التبرع", "محفظة", "بيتكوين", "دعم مالي", "donate", "donation",
        "donations", "wallet", "bitcoin", "monero", "usdt", "fundraising", "dons",
    ),
    "solicitation_recruitment": (
        "انضم", "انضموا", "الانضمام", "هجرة", "الهجرة", "النفير", "join", "joining", "recruit",
        "recruitment", "hijrah", "rejoindre",
    ),
    "instruction": (
        "كيفية صنع", "طريقة صنع", "دليل", "تعليمات", "how to make", "tutorial", "manual",
        "instructions", "step by step",
    ),
    "threat": (
        "تهديد", "يهدد", "توعد", "وعيد", "threat", "threatens", "threatened", "vowed", "menace",
    ),
    "incitement_glorification": (
        "glorify", "glorification", "تمجيد",
    ),
    "sectarian_incitement": (
        "الرافضة", "رافضة", "النصيرية", "نصيرية", "الصليبيين", "الصليبيون", "المرتدين", "مرتدين",
        "rafidah", "rafida", "nusayriyya", "crusaders", "apostates",
    ),
}
# fmt: on

CLITICS = ("وبال", "فبال", "وال", "بال", "فال", "كال", "ولل", "فلل", "لل", "ال", "و", "ف", "ب", "ل")
_WORD = re.compile(r"\w+", re.UNICODE)


@cache
def _cue_table() -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """First word of a normalised cue phrase -> (rest of the phrase, its cue classes)."""
    phrases: dict[tuple[str, ...], list[str]] = {}
    for cue_class, cue_phrases in CUES.items():
        for phrase in cue_phrases:
            words = tuple(_WORD.findall(plain_form(phrase)))
            if words and cue_class not in phrases.setdefault(words, []):
                phrases[words].append(cue_class)
    table: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for words, classes in phrases.items():
        table.setdefault(words[0], []).append((words[1:], tuple(classes)))
    return table


@lru_cache(maxsize=65_536)
def _candidates(word: str) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The cue phrases that may start at a word, under each of its clitic readings."""
    table = _cue_table()
    return tuple(entry for form in _forms(word) for entry in table.get(form, ()))


def _forms(word: str) -> tuple[str, ...]:
    """A word and the words it may be with one Arabic clitic prefix removed."""
    forms = [word]
    for clitic in CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 2:
            forms.append(word[len(clitic) :])
            if clitic.endswith("ل") and clitic != "ل":
                forms.append("ال" + word[len(clitic) :])
    return tuple(forms)


def count_cues(plain_text: str) -> Counter[str]:
    """How many cue phrases of each class occur in a normalised plain text (linear: each word
    is looked up once per clitic reading, phrases are checked only where their first word is)."""
    words = _WORD.findall(plain_text)
    found: Counter[str] = Counter()
    for index, word in enumerate(words):
        candidates = _candidates(word)
        if not candidates:
            continue
        here: set[str] = set()  # a class counts once per position, whatever the reading
        for rest, classes in candidates:
            if not rest or tuple(words[index + 1 : index + 1 + len(rest)]) == rest:
                here.update(classes)
        for cue_class in here:
            found[cue_class] += 1
    return found
