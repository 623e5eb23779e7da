"""The assessment of one text, with the shipped starter list: obfuscated names still hit with
exact spans, news and counter-speech are told apart from an outlet-style statement skeleton.

Every text here is synthetic: neutral or news-style sentences, counter-speech, and for the
positive class only a skeleton of public detection vocabulary around an artificial placeholder.
"""

from __future__ import annotations

import pytest

from raqib.text.assess import CATEGORIES, TextAnalyzer
from raqib.text.indicator_records import Indicator
from raqib.text.starter import load_starter_indicators

NEWS_AR = (
    "قال مسؤولون في وزارة الداخلية يوم الثلاثاء إن تنظيم داعش فقد معظم الأراضي التي كان "
    'يسيطر عليها، وأضافوا أن شعار "باقية وتتمدد" الذي رفعه التنظيم لم يعد يظهر إلا في حسابات '
    "قليلة، بحسب تقرير لباحثين في مركز للدراسات."
)
NEWS_EN = (
    "Officials said on Tuesday that Daesh had lost most of its territory. According to a report "
    'by researchers, the slogan "باقية وتتمدد" now appears only on a few accounts, and a statement '
    'attributed to "Amaq News Agency" was reported by the police.'
)
SKELETON = "وكالة أعماق: الدولة الإسلامية — ⟦PLACEHOLDER-STATEMENT-1⟧ باقية وتتمدد"
COUNTER = "داعش لا يمثل الإسلام، ونحن نرفض التطرف ونقف مع الضحايا ونتضامن مع عائلاتهم."
RELIGIOUS = "يعلن المسجد عن مواعيد صلاة الجمعة ودروس تلاوة القرآن خلال شهر رمضان."
WEATHER = "الطقس غدا معتدل مع رياح خفيفة، ودرجات الحرارة بين ١٨ و٢٥ درجة في العاصمة."


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    return TextAnalyzer(load_starter_indicators())


def _assert_covers(text: str, span: tuple[int, int], start: int, obfuscated: str) -> None:
    """The hit spans the obfuscated run exactly, give or take invisible format characters
    (zero-width, bidi) at its very edges, which belong to no letter."""
    end = start + len(obfuscated)
    inner_start = start + len(obfuscated) - len(obfuscated.lstrip(INVISIBLE))
    inner_end = start + len(obfuscated.rstrip(INVISIBLE))
    assert start <= span[0] <= inner_start and inner_end <= span[1] <= end, (
        text[span[0] : span[1]],
        obfuscated,
    )


INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _names(analyzer: TextAnalyzer, text: str) -> dict[str, tuple[int, int]]:
    assessment = analyzer.assess(text)
    return {h.indicator.name: (h.start, h.end) for h in assessment.hits}


def test_the_starter_list_holds_the_names_these_tests_use() -> None:
    names = {i.name: i for i in load_starter_indicators()}
    assert names["داعش"].stance == "opponent"
    assert names["الدولة الإسلامية"].stance == "self"
    assert names["وكالة أعماق"].kind == "outlet"
    assert names["باقية وتتمدد"].kind == "slogan"


# Each obfuscation tactic, and combinations, applied to the name "داعش" inside a neutral
# sentence: the hit's span must be exactly the obfuscated run in the original text.
TACTICS = {
    "diacritics": "دَاعِشْ",
    "tatweel": "داـــعـش",
    "spaced_letters": "د ا ع ش",
    "zero_width": "دا\u200bع\u200cش",
    "bidi_marks": "\u200fدا\u202bعش\u202c",
    "repeated_letters": "داااعششش",
    "dotless": "داعس",
    "diacritics+tatweel+zero_width": "دَـاـ\u200bعِـش",
    "spaced+diacritics": "دَ ا عِ ش",
}


@pytest.mark.parametrize("tactic", sorted(TACTICS))
def test_obfuscated_arabic_name_hits_with_the_exact_span(
    analyzer: TextAnalyzer, tactic: str
) -> None:
    obfuscated = TACTICS[tactic]
    text = f"ذكرت الصحيفة أن {obfuscated} خسر مواقع جديدة هذا الأسبوع."
    start = text.index(obfuscated)
    hits = [h for h in analyzer.assess(text).hits if h.indicator.name == "داعش"]
    assert hits, f"{tactic}: no hit"
    _assert_covers(text, (hits[0].start, hits[0].end), start, obfuscated)


LATIN_TACTICS = {
    "cyrillic_lookalikes": "\u0406\u0405\u0406\u0405",  # Cyrillic І Ѕ І Ѕ
    "spaced_letters": "I S I S",
    "dotted": "I.S.I.S",
    "zero_width": "IS\u200bIS",
    "fullwidth": "ＩＳＩＳ",
    "lookalike+zero_width": "\u0406S\u200d\u0406\u0405",
}


@pytest.mark.parametrize("tactic", sorted(LATIN_TACTICS))
def test_obfuscated_latin_name_hits_with_the_exact_span(
    analyzer: TextAnalyzer, tactic: str
) -> None:
    obfuscated = LATIN_TACTICS[tactic]
    text = f"Analysts said {obfuscated} lost ground this week."
    start = text.index(obfuscated)
    hits = [h for h in analyzer.assess(text).hits if h.indicator.name == "ISIS"]
    assert hits, f"{tactic}: no hit"
    _assert_covers(text, (hits[0].start, hits[0].end), start, obfuscated)


def test_arabizi_digits_in_a_latin_name_still_hit(analyzer: TextAnalyzer) -> None:
    text = "the report on Da3esh was published today"
    names = _names(analyzer, text)
    assert "Daesh" in names
    assert text[slice(*names["Daesh"])] == "Da3esh"


def test_clitic_prefixes_still_hit(analyzer: TextAnalyzer) -> None:
    text = "وقالت المصادر إن عناصر للدولة الإسلامية وبداعش غادروا المنطقة."
    names = _names(analyzer, text)
    assert text[slice(*names["الدولة الإسلامية"])] == "لدولة الإسلامية"  # ل + ال written لل
    assert "داعش" in names


def test_words_that_merely_contain_a_name_do_not_hit(analyzer: TextAnalyzer) -> None:
    assert "ISIS" not in _names(analyzer, "The crisis in the markets deepened, analysts said.")


def test_news_paragraph_is_news_or_research_not_a_candidate(analyzer: TextAnalyzer) -> None:
    for text in (NEWS_AR, NEWS_EN):
        assessment = analyzer.assess(text)
        assert assessment.context == "news_or_research", assessment.reasons
        assert assessment.stance in ("opposing", "neutral")
        assert any(assessment.quoted), "the quoted slogan is recognised as quoted"
        assert assessment.entity == "Islamic State in Iraq and the Levant"


def test_outlet_statement_skeleton_is_a_candidate_with_attribution(
    analyzer: TextAnalyzer,
) -> None:
    assessment = analyzer.assess(SKELETON)
    assert assessment.context == "terrorist_content_candidate", assessment.reasons
    assert assessment.outlet == "وكالة أعماق"
    assert assessment.stance == "supportive"
    assert assessment.entity == "Islamic State in Iraq and the Levant"
    assert assessment.categories["incitement_glorification"] > 0


def test_counter_speech_religious_and_unrelated(analyzer: TextAnalyzer) -> None:
    assert analyzer.assess(COUNTER).context == "counter_speech"
    assert analyzer.assess(RELIGIOUS).context == "religious"
    weather = analyzer.assess(WEATHER)
    assert weather.context == "unrelated"
    assert weather.hits == () and weather.stance is None
    assert weather.language.language == "ar"


def test_the_text_field_has_the_architecture_shape(analyzer: TextAnalyzer) -> None:
    record = analyzer.assess(NEWS_AR).as_dict()
    for key in ("language", "indicators", "context", "stance", "categories", "reasons"):
        assert key in record
    assert set(record["categories"]) == set(CATEGORIES)
    first = record["indicators"][0]
    assert {"name", "kind", "entity", "start", "end"} <= set(first)
    assert NEWS_AR[first["start"] : first["end"]] in ("داعش", "تنظيم داعش", "باقية وتتمدد")
    assert record["reasons"] and all(isinstance(r, str) for r in record["reasons"])


def test_obfuscation_is_reported_as_evidence(analyzer: TextAnalyzer) -> None:
    assessment = analyzer.assess("ذكر التقرير أن دا\u200bعش و د ا ع ش اسمان للتنظيم.")
    assert assessment.obfuscation.get("format_chars", 0) >= 1
    assert assessment.obfuscation.get("spaced_letters", 0) >= 1
    assert any("evasion evidence" in r for r in assessment.reasons)


def test_listed_crypto_address_is_found_and_attributed() -> None:
    address = "0x52908400098527886E0F7030069857D2E4169EE7"  # an EIP-55 test vector
    listed = Indicator(
        name=address.lower(),
        kind="crypto_address",
        entity="PLACEHOLDER SANCTIONED HOLDER",
        source="OFAC SDN (synthetic test line)",
        weight=0.9,
        chain="ETH",
    )
    analyzer = TextAnalyzer([listed])
    text = f"تقرير عن التحويلات: العنوان {address} ورد في قائمة العقوبات."
    assessment = analyzer.assess(text)
    assert [a.address for a in assessment.addresses] == [address.lower()]
    assert assessment.sanctioned and assessment.entity == "PLACEHOLDER SANCTIONED HOLDER"
    assert text[assessment.addresses[0].start : assessment.addresses[0].end] == address
    assert assessment.categories["fundraising"] == 1.0


def test_a_ten_megabyte_text_is_assessed_in_windows(analyzer: TextAnalyzer) -> None:
    filler = "الطقس معتدل والأسواق مستقرة والنقل يعمل كالمعتاد. " * 200_000
    text = filler + "ذكرت الصحيفة أن داعش خسر مواقع."
    assert len(text.encode()) > 10_000_000
    assessment = analyzer.assess(text)
    hits = [h for h in assessment.hits if h.indicator.name == "داعش"]
    assert len(hits) == 1 and text[hits[0].start : hits[0].end] == "داعش"
    assert len(assessment.excerpt["text"]) <= 600


def test_pathological_repetition_and_mixed_directions(analyzer: TextAnalyzer) -> None:
    assert analyzer.assess("ـ" * 200_000).hits == ()
    assert analyzer.assess("\u200b" * 100_000 + "a" * 100_000).context == "unrelated"
    mixed = "The report (التقرير) on ISIS قال إن \u202eunusual\u202c ordering appears."
    names = _names(analyzer, mixed)
    assert mixed[slice(*names["ISIS"])] == "ISIS"


def test_hits_across_a_window_boundary_are_found_once(analyzer: TextAnalyzer) -> None:
    from raqib.text.assess import CHUNK_CHARS

    text = "س " * (CHUNK_CHARS // 2 - 3) + "داعش " + "س " * 1000
    hits = [h for h in analyzer.assess(text).hits if h.indicator.name == "داعش"]
    assert len(hits) == 1
