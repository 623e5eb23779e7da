"""Example tests for Arabic-first normalisation and de-obfuscation.

Every text is synthetic: neutral news-style sentences (weather, markets, transport) with public
detection vocabulary (a designated entity's names, an official outlet's name) or placeholders.
Each obfuscation test names the tactic it covers and checks that the pattern found in the
de-obfuscated view maps back, through original_span, to exactly the obfuscated run.
"""

from __future__ import annotations

from array import array

import pytest

from raqib.text.normalize import (
    EVIDENCE_KEYS,
    NormalizedText,
    View,
    canonical_text,
    deobfuscated_form,
    normalize,
    plain_form,
)


def _sentence_ar(word: str) -> str:
    return f"قالت نشرة الأخبار إن {word} ذكر في تقرير عن حركة النقل والطقس."


def _sentence_en(word: str) -> str:
    return f"The transport bulletin said {word} was named in a report on markets."


def _found(view: View, key: str, text: str) -> str:
    """The original text under the single occurrence of `key` in the view."""
    at = view.text.find(key)
    assert at >= 0, (key, view.text)
    assert view.text.find(key, at + 1) == -1, "the key should occur once"
    start, end = view.original_span(at, at + len(key))
    return text[start:end]


def _deobfuscated_hit(text: str, pattern: str) -> str:
    return _found(normalize(text).deobfuscated, deobfuscated_form(pattern), text)


# --- obfuscation tactics: the pattern maps back to exactly the obfuscated run ----------------

ARABIC_TACTICS = {
    "diacritics": ("دَاعِشٌ", "داعش"),
    "tatweel": ("داعــــش", "داعش"),
    "spaced_letters": ("د ا ع ش", "داعش"),
    "spaced_letters_with_dots": ("د.ا.ع.ش", "داعش"),
    "spaced_letters_with_tatweel": ("د ـ ا ـ ع ـ ش", "داعش"),
    "zero_width": ("دا\u200bع\u200cش", "داعش"),
    "bidi_controls": ("دا\u200fع\u202eش\u202c", "داعش"),
    "repeated_letters": ("داااعششش", "داعش"),
    "arabizi_digit_in_arabic_word": ("دا3ش", "داعش"),
    "dotless_letters": ("الدولة الاسلامٮة", "الدولة الإسلامية"),
    "dotless_qaf": ("وكالة أعماٯ", "وكالة أعماق"),
    "persian_urdu_variants": ("الدولۃ الاسلامیہ", "الدولة الإسلامية"),
    "presentation_forms": ("ﺩﺍﻋﺶ", "داعش"),
    "diacritics+tatweel+zero_width": ("دَاعــ\u200bـِش", "داعش"),
    "spaced_letters+diacritics": ("دَ ا عِ ش", "داعش"),
    "repeated_letters+zero_width": ("داا\u200dاعش", "داعش"),
    "dotless+diacritics": ("الدَّولة الإسلامٮّة", "الدولة الإسلامية"),
}


@pytest.mark.parametrize("tactic", sorted(ARABIC_TACTICS))
def test_an_obfuscated_arabic_name_maps_back_to_the_obfuscated_run(tactic: str) -> None:
    obfuscated, pattern = ARABIC_TACTICS[tactic]
    text = _sentence_ar(obfuscated)
    assert _deobfuscated_hit(text, pattern) == obfuscated


LATIN_TACTICS = {
    "cyrillic_lookalikes": ("\u0406\u0405\u0406\u0405", "ISIS"),  # І Ѕ І Ѕ
    "cyrillic_a_in_a_latin_word": ("\u0410maq", "Amaq"),
    "greek_omicron": ("Am\u03b1q", "Amaq"),  # α
    "fullwidth": ("ＩＳＩＳ", "ISIS"),
    "mathematical_bold": ("\U0001d408\U0001d412\U0001d408\U0001d412", "ISIS"),
    "leet_symbols": ("I$I$", "ISIS"),
    "leet_digits": ("1S1S", "ISIS"),
    "arabizi_digit_in_latin_word": ("3amaq", "Amaq"),
    "spaced_letters": ("I S I S", "ISIS"),
    "spaced_letters_with_dots": ("I.S.I.S", "ISIS"),
    "repeated_letters": ("Amaaaq", "Amaq"),
    "zero_width": ("IS\u200bIS", "ISIS"),
    "cyrillic+zero_width": ("\u0406\u200b\u0405IS", "ISIS"),
    "leet+repeated_letters": ("1SSS1S", "ISIS"),
    "arabic_indic_digits": ("PLACEHOLDER-١٧", "PLACEHOLDER-17"),
    "persian_digits": ("PLACEHOLDER-۱۷", "PLACEHOLDER-17"),
}


@pytest.mark.parametrize("tactic", sorted(LATIN_TACTICS))
def test_an_obfuscated_latin_name_maps_back_to_the_obfuscated_run(tactic: str) -> None:
    obfuscated, pattern = LATIN_TACTICS[tactic]
    text = _sentence_en(obfuscated)
    assert _deobfuscated_hit(text, pattern) == obfuscated


def test_a_plain_name_maps_back_in_the_plain_view() -> None:
    text = _sentence_ar("الدولة الإسلامية")
    normalized = normalize(text)
    assert _found(normalized.plain, plain_form("الدولة الإسلامية"), text) == "الدولة الإسلامية"


def test_a_name_in_mixed_right_to_left_and_left_to_right_text() -> None:
    text = "ذكر تقرير Reuters يوم ٢٠ مارس أن Amaq News و داعش ظهرا في عناوين الأسواق."
    normalized = normalize(text)
    assert _found(normalized.plain, "amaq news", text) == "Amaq News"
    assert _found(normalized.plain, "داعش", text) == "داعش"
    assert "20" in normalized.plain.text
    assert _deobfuscated_hit(text, "داعش") == "داعش"


# --- evidence: each tactic is counted under its key --------------------------------------------

EVIDENCE = [
    ("دَاعِش", {"diacritics": 2}),
    ("داعــــش", {"tatweel": 4}),
    ("د ا ع ش", {"spaced_letters": 1}),
    ("دا\u200bع\u200cش", {"format_chars": 2}),
    ("دا\u200fع\u2066ش\u2069", {"bidi_controls": 3}),
    ("داااعش", {"repeated_letters": 1}),
    ("دا3ش", {"arabizi_digits": 1}),
    ("3amaq", {"arabizi_digits": 1}),
    ("1S1S", {"leet": 2}),
    ("\u0406\u0405\u0406\u0405", {"confusables": 4}),
    ("ＩＳ", {"confusables": 2}),
    ("ٮوكو ٯ", {"dotless": 2}),
    ("حركة القطارات منتظمة اليوم", {}),
    ("The weather is mild and the markets are calm.", {}),
    ("أسعار النفط إلى ١٢٠ دولار", {}),  # hamza on an alef is a letter form, not a diacritic
]


@pytest.mark.parametrize(("text", "expected"), EVIDENCE)
def test_each_tactic_is_counted_as_evidence(text: str, expected: dict[str, int]) -> None:
    evidence = normalize(text).evidence
    assert evidence == expected
    assert set(evidence) <= set(EVIDENCE_KEYS)


# --- the plain view ------------------------------------------------------------------------------


def test_plain_removes_diacritics_and_quranic_marks() -> None:  # tactic: diacritics
    assert plain_form("بِسْمِ") == "بسم"
    assert plain_form("عَلَيْهِ\u06da") == "عليه"  # U+06DA a small high Quranic mark


def test_plain_removes_tatweel() -> None:  # tactic: tatweel
    assert plain_form("الطقـــس") == "الطقس"


def test_plain_folds_alef_forms_hamza_carriers_maksura_and_ta_marbuta() -> None:
    assert plain_form("أحمد إلى آخر ٱلكتاب") == "احمد الي اخر الكتاب"
    assert plain_form("مؤتمر رئيس") == "موتمر رييس"
    assert plain_form("مدرسة مستشفى") == "مدرسه مستشفي"


def test_plain_folds_persian_and_urdu_variants() -> None:  # tactic: Persian/Urdu variants
    assert plain_form("کتاب") == plain_form("كتاب")
    assert plain_form("یوم") == plain_form("يوم")
    assert plain_form("ہوا ھذا") == "هوا هذا"
    assert plain_form("گزارش") == "گزارش"  # gaf is a letter of its own: kept
    assert plain_form("ڪ ۍ ې ۃ") == "ك ي ي ه"


def test_plain_folds_arabic_indic_and_persian_digits() -> None:  # tactic: Arabic-Indic digits
    assert plain_form("عام ٢٠٢٤ و۱۴۰۳") == "عام 2024 و1403"


def test_plain_is_nfkc_and_casefolded() -> None:
    assert plain_form("ＡＢＣ Straße") == "abc strasse"
    assert plain_form("ﻻ ﷲ") == "لا الله"  # presentation forms decompose


def test_nfkc_expansion_maps_every_character_to_its_source() -> None:
    text = "x ﷺ y"
    view = normalize(text).plain
    assert len(view.text) == 2 + 18 + 2
    assert view.original_span(2, 20) == (2, 3)


def test_plain_removes_zero_width_and_bidi_controls() -> None:  # tactic: zero-width, bidi
    text = "\u202bحركة\u200b المرور\u200e\u2067 منتظمة\u2069\ufeff"
    normalized = normalize(text)
    assert normalized.plain.text == "حركه المرور منتظمه"
    assert normalized.evidence == {"format_chars": 2, "bidi_controls": 4}


def test_a_zero_width_joiner_is_kept_inside_an_emoji_sequence() -> None:  # tactic: emoji
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert plain_form(f"نشرة {family}") == f"نشره {family}"
    assert plain_form("\U0001f3f3\ufe0f\u200d\U0001f308") == "\U0001f3f3\ufe0f\u200d\U0001f308"
    assert normalize(family).evidence == {}
    assert plain_form("دا\u200dعش") == "داعش"  # between letters it is an evasion


def test_a_stray_variation_selector_is_removed_but_a_keycap_kept() -> None:
    assert plain_form("دا\ufe0fعش") == "داعش"
    assert plain_form("1\ufe0f\u20e3") == "1\ufe0f\u20e3"


def test_whitespace_collapses_and_ends_are_stripped() -> None:
    text = "  Rain\t\n expected \u00a0 today  "
    view = normalize(text).plain
    assert view.text == "rain expected today"
    assert view.original_span(0, 4) == (2, 6)
    assert view.original_span(4, 5) == (6, 9)  # the one space stands for "\t\n "


def test_a_removed_mark_belongs_to_the_letter_before_it() -> None:
    text = "قال داعشٌ"
    view = normalize(text).plain
    assert view.original_span(4, 8) == (4, 9)


def test_a_lone_surrogate_passes_through() -> None:  # invalid-looking input
    text = "\ud800داعش\udfff x"
    normalized = normalize(text)
    assert normalized.plain.text == "\ud800داعش\udfff x"
    assert _found(normalized.deobfuscated, deobfuscated_form("داعش"), text) == "داعش"


def test_the_empty_text_and_only_invisible_characters() -> None:
    for text in ("", "   ", "\u200b\u200f\u0640\u064e"):
        normalized = normalize(text)
        assert normalized.plain.text == normalized.deobfuscated.text == ""
        assert len(normalized.plain.starts) == len(normalized.deobfuscated.ends) == 0


# --- the de-obfuscated view ----------------------------------------------------------------------


def test_spaced_letters_are_joined_but_real_words_are_kept() -> None:  # tactic: spaced letters
    assert deobfuscated_form("خبر عن د ا ع ش اليوم") == deobfuscated_form("خبر عن داعش اليوم")
    assert deobfuscated_form("هو و هي") == deobfuscated_form("هو") + " و " + deobfuscated_form("هي")
    assert deobfuscated_form("a b") == "a b"  # two letters are not a spaced-out word


def test_repeated_letters_are_squeezed() -> None:  # tactic: repeated letters
    assert deobfuscated_form("داااعش") == deobfuscated_form("داعش")
    assert deobfuscated_form("isiiis") == "isis"


def test_the_dotless_skeleton_folds_letters_that_differ_by_dots() -> None:  # tactic: dotless
    assert deobfuscated_form("ٮوكو حرام") == deobfuscated_form("بوكو حرام")
    assert deobfuscated_form("ٯ ڡ") == deobfuscated_form("ق ف")
    assert deobfuscated_form("جحخ") == deobfuscated_form("ح")
    # the tooth stands for five letters: its runs keep their length
    assert deobfuscated_form("بيت") != deobfuscated_form("بت")
    assert deobfuscated_form("ييي") == deobfuscated_form("ي")


def test_arabizi_and_leet_rules() -> None:  # tactics: Arabizi digits, leet
    assert deobfuscated_form("3amaq") == "amaq"
    assert deobfuscated_form("7ayat 5alifa") == "hayat khalifa"
    assert deobfuscated_form("h3ll0") == "helo"  # a leet word: 3 is e
    assert deobfuscated_form("covid19 in 2024") == "covid19 in 2024"  # numbers are kept
    assert deobfuscated_form("desk@example.org") == "desk@example.org"  # an address is kept
    assert deobfuscated_form("@desk1 $btc") == "@deski $btc"
    assert deobfuscated_form("دا3ش في 2024") == deobfuscated_form("داعش في 2024")


def test_lookalikes_only_in_words_that_read_as_latin() -> None:  # tactic: confusables
    assert deobfuscated_form("\u0406\u0405\u0406\u0405") == "isis"
    assert deobfuscated_form("Москва") == plain_form("Москва")  # a Russian word stays Cyrillic
    assert deobfuscated_form("اهلا") == deobfuscated_form("اهلا")  # ا and ه are not l and o
    assert "l" not in deobfuscated_form("اهلا")


def test_a_name_glued_to_emoji_maps_back_without_them() -> None:  # tactic: emoji
    text = _sentence_ar("🔥🔥داعش🔥")
    assert _deobfuscated_hit(text, "داعش") == "داعش"
    assert _found(normalize(text).plain, "داعش", text) == "داعش"


def test_emoji_become_tokens() -> None:  # tactic: emoji
    text = "🔥داعش🔥 و👍🏽"
    view = normalize(text).deobfuscated
    assert view.text == "🔥 داعس 🔥 و 👍🏽"
    for inserted in (1, 6, 10):  # a space the view inserted has an empty span
        assert view.text[inserted] == " "
        assert view.starts[inserted] == view.ends[inserted]
    assert view.original_span(8, 9) == (6, 7)  # the space that was in the text
    assert view.original_span(10, 11) == (8, 8)
    assert _found(view, "داعس", text) == "داعش"


def test_a_flag_stays_one_token() -> None:
    assert deobfuscated_form("\U0001f1f8\U0001f1fe\U0001f1f8\U0001f1fe") == (
        "\U0001f1f8\U0001f1fe \U0001f1f8\U0001f1fe"
    )


def test_canonical_text_drops_punctuation_and_keeps_emoji() -> None:
    assert canonical_text("Rain, rain!!  Go away... 🌧️") == "rain rain go away 🌧️"
    assert canonical_text("«حركة» المرور: منتظمة.") == deobfuscated_form("حركة المرور منتظمة")
    assert canonical_text("I.S.I.S") == canonical_text("ISIS") == "isis"
    assert canonical_text("i$i$ 1s1s") == "isis isis"


# --- API shapes ----------------------------------------------------------------------------------


def test_views_hold_int_arrays_of_the_text_length() -> None:
    normalized = normalize("دَاعِش و ISIS 🔥")
    assert isinstance(normalized, NormalizedText)
    for view in (normalized.plain, normalized.deobfuscated):
        assert isinstance(view.starts, array) and view.starts.typecode == "i"
        assert isinstance(view.ends, array) and view.ends.typecode == "i"
        assert len(view.starts) == len(view.ends) == len(view.text)


@pytest.mark.parametrize(("start", "end"), [(3, 3), (4, 2), (-1, 2), (0, 99)])
def test_original_span_refuses_an_empty_or_outside_slice(start: int, end: int) -> None:
    view = normalize("weather report").plain
    with pytest.raises(ValueError, match="outside"):
        view.original_span(start, end)


def test_the_forms_agree_with_normalize() -> None:
    text = "  Ｔｈｅ دَاعِش\u200b report  "
    normalized = normalize(text)
    assert plain_form(text) == normalized.plain.text
    assert deobfuscated_form(text) == normalized.deobfuscated.text


def test_a_large_text_takes_the_bulk_paths_and_stays_bounded() -> None:
    unit = "دَاعــش\u200b و I.S.I.S و 3amaq 🔥 ﷺ "
    text = unit * 5000  # 155,000 code points: deletions and many edits take the numpy paths
    normalized = normalize(text)
    assert len(normalized.plain.text) <= 18 * len(text)
    per_unit = normalize(unit).evidence
    assert normalized.evidence == {key: 5000 * count for key, count in per_unit.items()}
    view, key = normalized.deobfuscated, deobfuscated_form("داعش")
    found, at = [], view.text.find(key)
    while at >= 0:
        start, end = view.original_span(at, at + len(key))
        found.append(text[start:end])
        at = view.text.find(key, at + 1)
    assert found == ["دَاعــش\u200b"] * 5000  # the zero-width space belongs to the letter before
    assert view.text.count(deobfuscated_form("isis")) == 5000
