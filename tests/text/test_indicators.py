"""The multi-pattern indicator matcher and the shipped starter list.

Every text is synthetic: neutral or news-style sentences with public detection vocabulary
(designated entity names, official outlet names, a documented slogan) or artificial placeholders.
Each obfuscation test names the tactic it applies; the hit's span must be exactly the obfuscated
run in the original text.
"""

from __future__ import annotations

import json
import random
import time
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.errors import InputError
from raqib.text.indicator_records import Indicator
from raqib.text.indicators import IndicatorHit, IndicatorMatcher
from raqib.text.normalize import normalize
from raqib.text.starter import load_starter_indicators

ISIL = "Islamic State in Iraq and the Levant"
INDICATORS = (
    Indicator("داعش", "entity", entity=ISIL, language="ar", stance="opponent", weight=0.8),
    Indicator("الدولة الإسلامية", "entity", entity=ISIL, language="ar", stance="self", weight=0.6),
    Indicator("ISIS", "entity", entity=ISIL, language="en", weight=0.8),
    Indicator("Da'esh", "entity", entity=ISIL, language="en", stance="opponent", weight=0.8),
    Indicator("Amaq", "outlet", entity=ISIL, language="en", weight=0.6),
    Indicator("Amaq News Agency", "outlet", entity=ISIL, language="en", weight=0.9),
    Indicator("وكالة أعماق", "outlet", entity=ISIL, language="ar", weight=0.9),
    Indicator("بوكو حرام", "entity", entity="Boko Haram", language="ar", weight=0.8),
    Indicator("Al-Qaida", "entity", entity="Al-Qaida", language="en", weight=0.8),
    Indicator(
        "Al-Qaida in the Arabian Peninsula",
        "entity",
        entity="Al-Qaida in the Arabian Peninsula",
        language="en",
        weight=0.8,
    ),
    Indicator("باقية وتتمدد", "slogan", entity=ISIL, language="ar", weight=0.5),
    Indicator("#PLACEHOLDER_TAG", "hashtag", language="und", weight=0.3),
    Indicator("example.org", "domain", language="und", weight=0.3),
)


@pytest.fixture(scope="module")
def matcher() -> IndicatorMatcher:
    return IndicatorMatcher(INDICATORS)


def _find(matcher: IndicatorMatcher, text: str) -> list[IndicatorHit]:
    return matcher.find(normalize(text))


def _spans(matcher: IndicatorMatcher, text: str) -> list[tuple[str, str]]:
    """(indicator name, the original text it covers) for every hit."""
    return [(hit.indicator.name, text[hit.start : hit.end]) for hit in _find(matcher, text)]


def _sentence(word: str) -> str:
    return f"قال مسؤولون يوم الثلاثاء إن {word} فقد معظم مواقعه، بحسب تقرير صحفي."


# --- plain matching and Arabic clitics -------------------------------------------------------


def test_a_name_in_a_news_sentence_hits_with_its_exact_span(matcher: IndicatorMatcher) -> None:
    text = _sentence("داعش")
    hits = _find(matcher, text)
    assert [(h.indicator.name, text[h.start : h.end], h.view, h.clitic) for h in hits] == [
        ("داعش", "داعش", "plain", "")
    ]


@pytest.mark.parametrize(
    "clitic", ["و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "فبال", "لل", "ولل"]
)
def test_a_name_hits_after_an_arabic_clitic(matcher: IndicatorMatcher, clitic: str) -> None:
    text = _sentence(clitic + "داعش")
    hits = _find(matcher, text)
    assert [(text[h.start : h.end], h.clitic) for h in hits] == [("داعش", clitic)]


@pytest.mark.parametrize("clitic", ["و", "ف", "ب", "ك", "وب", "فب"])
def test_a_name_with_the_article_hits_after_a_clitic(
    matcher: IndicatorMatcher, clitic: str
) -> None:
    text = f"نشرت الصحف تقريرا عن تراجع {clitic}الدولة الإسلامية في المنطقة."
    hits = _find(matcher, text)
    assert [(text[h.start : h.end], h.clitic) for h in hits] == [("الدولة الإسلامية", clitic)]


@pytest.mark.parametrize("clitic", ["", "و", "ف"])
def test_the_article_after_lam_drops_its_alef(matcher: IndicatorMatcher, clitic: str) -> None:
    # "لل" + "دولة": the preposition ل and the article ال written together; the span starts at
    # the ل of the article.
    text = f"خصص التقرير فصلا {clitic}للدولة الإسلامية ومصادر تمويلها."
    hits = _find(matcher, text)
    word = text.index(clitic + "للدولة")
    assert [(h.start, text[h.start : h.end], h.clitic) for h in hits] == [
        (word + len(clitic) + 1, "لدولة الإسلامية", clitic + "لل")
    ]


def test_lam_without_the_article_hits_only_where_a_doubled_lam_may_be_squeezed(
    matcher: IndicatorMatcher,
) -> None:
    # The plain view tells "لدولة" from "للدولة"; the de-obfuscated view squeezes "لل" to "ل".
    text = "عبارة لدولة الإسلامية خطأ نحوي شائع في المسودات."
    hits = _find(matcher, text)
    assert [(text[h.start : h.end], h.view, h.clitic) for h in hits] == [
        ("لدولة الإسلامية", "deobfuscated", "لل")
    ]


def test_clitic_article_and_dotless_letters_together(matcher: IndicatorMatcher) -> None:
    # dotless tactic (ٮ for ي) on a name written after ل with the article's alef dropped: the
    # de-obfuscated view squeezes "لل" to one letter, whose span covers both
    text = "خصص التقرير فصلا للدولة الإسلامٮة ومصادر تمويلها."
    hits = _find(matcher, text)
    assert [(text[h.start : h.end], h.view, h.clitic) for h in hits] == [
        ("للدولة الإسلامٮة", "deobfuscated", "لل")
    ]


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("derived adjective", "وصف الكاتب الخطاب بأنه داعشي النزعة في مقال رأي."),
        ("derived plural", "تحدث التقرير عن الداعشيين السابقين في المخيمات."),
        ("letter before that is no clitic", "كلمة مداعش ليست اسما معروفا في المعجم."),
        ("two articles", "كلمة الالدولة الإسلامية خطأ مطبعي في مسودة التقرير."),
        ("english word containing isis", "Markets steadied after the crisis in the bond market."),
        ("latin letters glued", "The code ISISX is a placeholder in the transport timetable."),
        ("no clitic on a latin name", "The token wISIS is a placeholder in the sample data."),
    ],
)
def test_a_word_that_merely_contains_a_name_does_not_hit(
    matcher: IndicatorMatcher, case: str, text: str
) -> None:
    assert _find(matcher, text) == [], case


def test_punctuation_and_quotes_are_boundaries(matcher: IndicatorMatcher) -> None:
    text = "ذكرت الصحيفة «داعش»، ثم (ISIS). وأضافت: Amaq!"
    assert _spans(matcher, text) == [("داعش", "داعش"), ("ISIS", "ISIS"), ("Amaq", "Amaq")]


def test_offsets_count_code_points_after_astral_characters(matcher: IndicatorMatcher) -> None:
    text = "🌧️🌧️ نشرة الطقس ثم خبر عن داعش"
    [hit] = _find(matcher, text)
    assert (hit.start, hit.end) == (len(text) - 4, len(text))


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Da’esh", "Da'esh"),
        ("Daʼesh", "Da'esh"),
        ("DA'ESH", "Da'esh"),
        ("al Qaida", "Al-Qaida"),
        ("AL-QAIDA", "Al-Qaida"),
    ],
)
def test_common_spellings_of_apostrophes_and_hyphens_hit(
    matcher: IndicatorMatcher, written: str, name: str
) -> None:
    text = f"A policy paper on {written} was discussed at the transport ministry."
    assert _spans(matcher, text) == [(name, written)]


def test_a_hit_as_a_dict_carries_the_indicator_and_the_span(matcher: IndicatorMatcher) -> None:
    [hit] = _find(matcher, _sentence("وداعش"))
    data = hit.as_dict()
    assert data["name"] == "داعش"
    assert data["stance"] == "opponent"
    assert (data["end"] - data["start"], data["view"], data["clitic"]) == (4, "plain", "و")


def test_many_repetitions_cost_time_linear_in_the_text(matcher: IndicatorMatcher) -> None:
    # plain and spaced-letter forms alternate, so the two views' hits interleave
    text = " ، ".join(["داعش", "د ا ع ش"] * 4000)
    started = time.perf_counter()
    hits = _find(matcher, text)
    assert time.perf_counter() - started < 10
    assert len(hits) == 8000
    assert [h.view for h in hits[:4]] == ["plain", "deobfuscated", "plain", "deobfuscated"]


# --- obfuscation tactics ---------------------------------------------------------------------

AR_TACTICS = {
    "diacritics": "دَاعِش",
    "tatweel": "داعــــش",
    "spaced_letters": "د ا ع ش",
    "zero_width": "دا\u200bع\u200cش",
    "bidi_marks": "دا\u200fع\u202bش",
    "repeated_letters": "داااعش",
    "arabizi_digit": "دا3ش",
    "diacritics+tatweel": "دَاعِــــش",
    "zero_width+repeated_letters": "داا\u200dاعش",
    "spaced_letters+diacritics": "دَ ا عِ ش",
}


@pytest.mark.parametrize("tactic", sorted(AR_TACTICS))
def test_an_obfuscated_arabic_name_hits_with_the_obfuscated_span(
    matcher: IndicatorMatcher, tactic: str
) -> None:
    obfuscated = AR_TACTICS[tactic]
    text = _sentence(obfuscated)
    hits = _find(matcher, text)
    assert [(h.indicator.name, text[h.start : h.end]) for h in hits] == [("داعش", obfuscated)]


def test_dotless_letters_hit(matcher: IndicatorMatcher) -> None:
    # dotless tactic: ٮ (dotless beh) for ب, ٯ (dotless qaf) for ق
    for obfuscated, name in (("ٮوكو حرام", "بوكو حرام"), ("وكالة أعماٯ", "وكالة أعماق")):
        text = f"ذكرت نشرة الأخبار المسائية اسم {obfuscated} في سياق تقرير عن الأمن."
        assert _spans(matcher, text) == [(name, obfuscated)]


LATIN_TACTICS = {
    "cyrillic_lookalikes": ("\u0406\u0405\u0406\u0405", "ISIS"),  # І Ѕ І Ѕ
    "cyrillic_a": ("\u0410maq", "Amaq"),  # А
    "leet_digits": ("1S1S", "ISIS"),
    "zero_width": ("IS\u200bIS", "ISIS"),
    "spaced_letters": ("I S I S", "ISIS"),
    "repeated_letters": ("Amaaaq", "Amaq"),
    "cyrillic+zero_width": ("\u0406\u200b\u0405IS", "ISIS"),
}


@pytest.mark.parametrize("tactic", sorted(LATIN_TACTICS))
def test_an_obfuscated_latin_name_hits_with_the_obfuscated_span(
    matcher: IndicatorMatcher, tactic: str
) -> None:
    obfuscated, name = LATIN_TACTICS[tactic]
    text = f"The weather service and {obfuscated} appeared in a transport news summary."
    assert _spans(matcher, text) == [(name, obfuscated)]


def test_an_unobfuscated_hit_is_reported_once_from_the_plain_view(
    matcher: IndicatorMatcher,
) -> None:
    hits = _find(matcher, "A report named ISIS in the markets section.")
    assert [(h.indicator.name, h.view) for h in hits] == [("ISIS", "plain")]


def test_an_obfuscated_hit_comes_from_the_deobfuscated_view(matcher: IndicatorMatcher) -> None:
    hits = _find(matcher, _sentence("د ا ع ش"))
    assert [h.view for h in hits] == ["deobfuscated"]


# --- overlaps, hashtags and domains ----------------------------------------------------------


def test_a_longer_name_of_the_same_kind_hides_the_shorter_one(matcher: IndicatorMatcher) -> None:
    text = "Analysts said Al-Qaida in the Arabian Peninsula and Al-Qaida both issued statements."
    assert _spans(matcher, text) == [
        ("Al-Qaida in the Arabian Peninsula", "Al-Qaida in the Arabian Peninsula"),
        ("Al-Qaida", "Al-Qaida"),
    ]
    assert _spans(matcher, "A statement by Amaq News Agency was cited.") == [
        ("Amaq News Agency", "Amaq News Agency")
    ]


def test_hits_of_different_kinds_are_all_kept() -> None:
    outlet = Indicator("Amaq News Agency", "outlet", entity=ISIL)
    slogan = Indicator("News Agency", "slogan", entity=ISIL)  # placeholder of another kind
    matcher = IndicatorMatcher([outlet, slogan])
    names = [h.indicator.name for h in _find(matcher, "Amaq News Agency was cited.")]
    assert names == ["Amaq News Agency", "News Agency"]


def test_hashtags_match_as_written(matcher: IndicatorMatcher) -> None:
    assert _spans(matcher, "Trending: #placeholder_tag today") == [
        ("#PLACEHOLDER_TAG", "#placeholder_tag")
    ]
    assert _find(matcher, "Trending: #placeholder_tag_2 today") == []
    assert _find(matcher, "Trending: #placeholder_taj today") == []


def test_a_name_of_several_words_hits_inside_a_hashtag(matcher: IndicatorMatcher) -> None:
    text = "وسم #الدولة_الإسلامية ووسم #داعش_الإرهابي في تقرير عن المنصات"
    assert _spans(matcher, text) == [
        ("الدولة الإسلامية", "الدولة_الإسلامية"),
        ("داعش", "داعش"),
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("See https://example.org/page for the timetable.", "example.org"),
        ("See https://sub.example.org/page for the timetable.", "example.org"),
        ("Mail the desk at news@example.org.", "example.org"),
        ("EXAMPLE.ORG lists the bus routes.", "EXAMPLE.ORG"),
        ("See notexample.org for nothing.", None),
        ("See my-example.org for nothing.", None),
        ("See example.org.example.net for nothing.", None),
        ("See example.organic.example.net for nothing.", None),
    ],
)
def test_domains_match_at_dot_boundaries_on_the_left_only(
    matcher: IndicatorMatcher, text: str, found: str | None
) -> None:
    expected = [("example.org", found)] if found else []
    assert _spans(matcher, text) == expected


def test_hashtags_and_domains_are_not_deobfuscated(matcher: IndicatorMatcher) -> None:
    assert _find(matcher, "See examp1e.org and #p1aceholder_tag here.") == []


# --- construction, limits and robustness -----------------------------------------------------


def test_identical_indicators_count_once() -> None:
    assert len(IndicatorMatcher([*INDICATORS, *INDICATORS])) == len(INDICATORS)


def test_an_empty_matcher_finds_nothing() -> None:
    matcher = IndicatorMatcher([])
    assert len(matcher) == 0
    assert matcher.find(normalize(_sentence("داعش"))) == []


def test_a_name_that_normalises_to_nothing_is_refused() -> None:
    with pytest.raises(InputError, match="empty once normalised"):
        IndicatorMatcher([Indicator("\u200b\u200c\u0640", "entity")])


def test_an_overlong_name_is_refused() -> None:
    with pytest.raises(InputError, match="limit"):
        IndicatorMatcher([Indicator("ب" * 600, "entity")])


_SHARED = IndicatorMatcher(INDICATORS)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("داعشالدولةإسلامية وبفلك ISisamq#_.-\u200b\u0640َ3"), max_size=80
    )
)
def test_any_text_gives_ordered_in_bounds_hits(text: str) -> None:
    hits = _SHARED.find(normalize(text))
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.view in ("plain", "deobfuscated")
    assert hits == sorted(hits, key=lambda h: (h.start, -h.end))


@given(st.text(max_size=200))
@settings(max_examples=100, deadline=None)
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    for hit in _SHARED.find(normalize(text)):
        assert 0 <= hit.start < hit.end <= len(text)


# --- cost grows with the text, not the list --------------------------------------------------

AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _synthetic(count: int, seed: int = 7) -> list[Indicator]:
    rng = random.Random(seed)
    found = []
    for number in range(count):
        if number % 2:
            name = f"PLACEHOLDER-NAME-{number}"
        else:
            name = "".join(rng.choice(AR_LETTERS) for _ in range(rng.randint(8, 12)))
        found.append(Indicator(name, "entity", entity=f"PLACEHOLDER-ENTITY-{number % 97}"))
    return found


def _post(rng: random.Random) -> str:
    words = ["".join(rng.choice(AR_LETTERS) for _ in range(rng.randint(2, 7))) for _ in range(50)]
    return " ".join(words)[:280]


def _per_post_seconds(matcher: IndicatorMatcher, posts: list[str]) -> float:
    normalized = [normalize(post) for post in posts]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for item in normalized:
            matcher.find(item)
        best = min(best, (time.perf_counter() - started) / len(posts))
    return best


@pytest.mark.slow
def test_matching_cost_does_not_grow_with_the_list() -> None:
    rng = random.Random(3)
    posts = [_post(rng) for _ in range(200)]
    small = IndicatorMatcher(_synthetic(100))
    large = IndicatorMatcher(_synthetic(100_000))
    assert len(large) == 100_000
    marker = f"Market news: {large.indicators[5].name} closed higher on Tuesday."
    assert [h.indicator for h in large.find(normalize(marker))] == [large.indicators[5]]
    small_cost = _per_post_seconds(small, posts)
    large_cost = _per_post_seconds(large, posts)
    # A list scanned name by name would cost about 1000 times more; the automata cost a few
    # times more at most (deeper tries, more cache misses), and well under a millisecond.
    assert large_cost < 25 * small_cost
    assert large_cost < 2e-3


# --- the shipped starter list ----------------------------------------------------------------


def _starter_lines() -> list[str]:
    data = resources.files("raqib.text").joinpath("data", "starter_indicators.jsonl")
    return [line for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_starter_line_parses_and_cites_a_public_source() -> None:
    lines = _starter_lines()
    assert 40 <= len(lines) <= 80
    for line in lines:
        data = json.loads(line)
        indicator = Indicator.from_dict(data)
        assert indicator.as_dict() == data, "each line is in Indicator.as_dict() shape"
        assert indicator.source.strip(), indicator.name
        assert "https://" in indicator.source, indicator.name
        assert indicator.kind in ("entity", "outlet", "slogan"), "no domains or addresses"


def test_the_starter_list_loads_into_a_matcher() -> None:
    indicators = load_starter_indicators()
    assert len(indicators) == len(_starter_lines())
    matcher = IndicatorMatcher(indicators)
    assert len(matcher) == len(indicators)
    text = (
        "نقلت وكالات الأنباء أن بيانا نسب إلى وكالة أعماق، وأن مسؤولين وصفوا تنظيم داعش "
        "بأنه فقد مواقعه. Analysts also cited Boko Haram and Al-Qaida in the Islamic Maghreb."
    )
    found = {hit.indicator.name for hit in matcher.find(normalize(text))}
    assert found == {"وكالة أعماق", "داعش", "Boko Haram", "Al-Qaida in the Islamic Maghreb"}


def test_the_starter_list_weights_and_stances() -> None:
    by_name = {indicator.name: indicator for indicator in load_starter_indicators()}
    assert by_name["داعش"].stance == "opponent"
    assert by_name["الدولة الإسلامية"].stance == "self"
    assert by_name["باقية وتتمدد"].weight == 0.5
    assert by_name["Amaq News Agency"].weight == 0.9
    assert by_name["ISIS"].weight == 0.8
    outlets = [i for i in by_name.values() if i.kind == "outlet"]
    assert {i.entity for i in outlets} == {ISIL}


def test_neutral_sentences_hit_nothing_from_the_starter_list() -> None:
    matcher = IndicatorMatcher(load_starter_indicators())
    for text in (
        "الطقس غدا معتدل مع رياح خفيفة، ودرجات الحرارة بين ١٨ و٢٥ درجة في العاصمة.",
        "ارتفعت أسهم شركات النقل في البورصة بعد إعلان القاعدة الجديدة لتسعير التذاكر.",
        "The crisis in the bond market eased as the transport strike ended on Tuesday.",
        "فاز فريق الشباب في مباراة الأمس، وتحدث المدرب عن الدولة والمجتمع والرياضة.",
    ):
        assert matcher.find(normalize(text)) == [], text
