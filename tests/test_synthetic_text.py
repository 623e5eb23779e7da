"""The synthetic labelled-text generator: determinism, balance, the form of each class (the
terrorist_content_candidate class is a skeleton of placeholders and public detection vocabulary
only) and each obfuscation tactic."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raqib import synthetic_text as gen
from raqib.synthetic_text import (
    CONTEXTS,
    OBFUSCATION_TACTICS,
    LabelledText,
    make_labelled_texts,
    make_posts,
    obfuscate,
    write_labelled,
)
from raqib.text.model import read_labelled

BODY_PLACEHOLDER = re.compile(r"⟦PLACEHOLDER-(?:STATEMENT|TITLE|ISSUE)-\d+⟧")
ANY_PLACEHOLDER = re.compile(r"⟦[^⟧]*⟧|#PLACEHOLDER_TAG_\d+")
ARABIC_LETTER = re.compile(r"[\u0621-\u063a\u0641-\u064a]")

AR = (
    "قال مسؤولون إن تنظيم داعش نشر بيانا ⟦PLACEHOLDER-STATEMENT-7⟧ عبر وكالة أعماق "
    "#PLACEHOLDER_TAG_3"
)
EN = "Officials said ISIS posted a statement ⟦PLACEHOLDER-STATEMENT-7⟧ via Amaq #PLACEHOLDER_TAG_3"
ARABIC_ONLY = ("tatweel", "dotless", "arabizi_digits")


def _names(table: dict[str, tuple[str, ...]]) -> list[str]:
    return [n.replace("{place_placeholder}", "").strip() for ns in table.values() for n in ns]


GROUP_VOCABULARY = [
    *_names(gen.OUTLETS),
    *_names(gen.SELF_NAMES),
    *_names(gen.OPPONENT_NAMES),
    *_names(gen.SLOGANS),
]


@pytest.fixture(scope="module")
def plain_samples() -> list[LabelledText]:
    return make_labelled_texts(1000, seed=5, obfuscation_rate=0.0)


def _of(samples: list[LabelledText], label: str) -> list[LabelledText]:
    found = [s for s in samples if s.label == label]
    assert found
    return found


def test_the_same_seed_gives_the_same_samples() -> None:
    assert make_labelled_texts(300, seed=7) == make_labelled_texts(300, seed=7)
    assert make_labelled_texts(300, seed=7) != make_labelled_texts(300, seed=8)
    assert make_posts(50, seed=3) == make_posts(50, seed=3)


def test_classes_are_balanced_and_about_sixty_percent_arabic() -> None:
    samples = make_labelled_texts(1003, seed=1)
    sizes = Counter(s.label for s in samples)
    assert set(sizes) == set(CONTEXTS)
    assert max(sizes.values()) - min(sizes.values()) <= 1
    arabic = sum(s.language == "ar" for s in samples) / len(samples)
    assert 0.55 <= arabic <= 0.65
    assert {s.language for s in samples} == {"ar", "en"}
    assert len({s.text for s in samples}) > 0.95 * len(samples)


def test_about_a_fifth_of_the_samples_are_obfuscated(plain_samples: list[LabelledText]) -> None:
    inserted = gen.HARAKAT + gen.LATIN_MARKS + gen.TATWEEL + gen.ZERO_WIDTH + gen.BIDI_CONTROLS
    tells = set(inserted) | set("ٮںٯڡ") | set(gen.LOOKALIKES.values())
    assert not any(tells & set(s.text) for s in plain_samples)
    mixed = make_labelled_texts(1000, seed=5)
    changed = sum(a.text != b.text for a, b in zip(plain_samples, mixed, strict=True))
    assert 0.14 <= changed / len(mixed) <= 0.26


def test_candidates_are_skeletons_of_placeholders_and_detection_vocabulary(
    plain_samples: list[LabelledText],
) -> None:
    allowed = set(itertools.chain(*gen.HEADER_WORDS.values()))
    removable = sorted(
        [
            *GROUP_VOCABULARY,
            "ولاية",
            "Wilayat",
            *itertools.chain(*gen.HIJRI_MONTHS.values(), *gen.MONTHS.values()),
        ],
        key=len,
        reverse=True,
    )
    for sample in _of(plain_samples, "terrorist_content_candidate"):
        assert BODY_PLACEHOLDER.search(sample.text), sample.text
        assert any(name in sample.text for name in GROUP_VOCABULARY), sample.text
        rest = ANY_PLACEHOLDER.sub(" ", sample.text)
        for name in removable:
            rest = rest.replace(name, " ")
        words = re.findall(r"[^\W\d_]+", rest)
        assert set(words) <= allowed, (sample.text, set(words) - allowed)


def test_candidates_keep_their_placeholder_under_every_tactic() -> None:
    for sample in make_labelled_texts(600, seed=9, obfuscation_rate=1.0):
        if sample.label == "terrorist_content_candidate":
            assert BODY_PLACEHOLDER.search(sample.text), sample.text


def test_other_classes_carry_no_statement_placeholder(plain_samples: list[LabelledText]) -> None:
    for sample in plain_samples:
        if sample.label != "terrorist_content_candidate":
            assert not BODY_PLACEHOLDER.search(sample.text), sample.text
            assert "#PLACEHOLDER_TAG" not in sample.text


def test_neutral_classes_never_name_the_group(plain_samples: list[LabelledText]) -> None:
    for label in ("unrelated", "religious"):
        for sample in _of(plain_samples, label):
            assert not any(name in sample.text for name in GROUP_VOCABULARY), sample.text


def test_news_names_the_group_and_counter_speech_never_carries_outlets_or_slogans(
    plain_samples: list[LabelledText],
) -> None:
    for sample in _of(plain_samples, "news_or_research"):
        assert any(name in sample.text for name in GROUP_VOCABULARY), sample.text
    outlets_and_slogans = [*_names(gen.OUTLETS), *_names(gen.SLOGANS)]
    for sample in _of(plain_samples, "counter_speech"):
        assert not any(name in sample.text for name in outlets_and_slogans), sample.text


def test_news_quotes_slogans_and_self_designations_as_reported_speech() -> None:
    news = [s.text for s in make_labelled_texts(2000, seed=2, obfuscation_rate=0.0)]
    quoted = [t for t in news if re.search(r'"[^"]+"', t)]
    assert any("باقية وتتمدد" in t for t in quoted)
    assert any("الدولة الإسلامية" in t for t in quoted)


def test_template_splits_are_disjoint_and_cover_every_template() -> None:
    assert gen.TEMPLATE_COUNT == 120
    assert "There are 120 templates" in (gen.__doc__ or "")
    for label, language in itertools.product(CONTEXTS, ("ar", "en")):
        train = set(gen._templates(label, language, "train"))
        heldout = set(gen._templates(label, language, "heldout"))
        assert len(train) == 9 and len(heldout) == 3
        assert train | heldout == set(gen._templates(label, language, "all"))
    with pytest.raises(ValueError, match="templates"):
        make_labelled_texts(5, templates="test")


def test_posts_have_the_asked_length_and_mix_classes_and_languages() -> None:
    posts = make_posts(200, seed=4)
    assert {len(p) for p in posts} == {280}
    assert any(ARABIC_LETTER.search(p) for p in posts)
    assert any(not ARABIC_LETTER.search(p) for p in posts)
    assert any(BODY_PLACEHOLDER.search(p) for p in posts)
    assert any("weather" in p.lower() or "الطقس" in p for p in posts)
    assert {len(p) for p in make_posts(3, seed=4, length=1000)} == {1000}


def test_counts_and_lengths_are_checked() -> None:
    with pytest.raises(ValueError, match="count"):
        make_labelled_texts(-1)
    with pytest.raises(ValueError, match="length"):
        make_posts(1, length=0)
    with pytest.raises(ValueError, match="obfuscation_rate"):
        make_labelled_texts(1, obfuscation_rate=1.5)
    assert make_labelled_texts(0) == []


def test_write_labelled_round_trips_through_read_labelled(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    write_labelled(path, 60, seed=3)
    assert read_labelled(path) == make_labelled_texts(60, seed=3)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 60


# --- obfuscation ---------------------------------------------------------------------------------


def _outcomes(text: str, tactic: str) -> list[str]:
    return [obfuscate(text, tactic, random.Random(seed)) for seed in range(20)]


def _without(text: str, chars: str) -> str:
    return text.translate({ord(c): None for c in chars})


@pytest.mark.parametrize("tactic", OBFUSCATION_TACTICS)
def test_every_tactic_changes_arabic_and_leaves_placeholders_alone(tactic: str) -> None:
    for out in _outcomes(AR, tactic):
        assert out != AR
        assert "⟦PLACEHOLDER-STATEMENT-7⟧" in out and "#PLACEHOLDER_TAG_3" in out


@pytest.mark.parametrize("tactic", OBFUSCATION_TACTICS)
def test_latin_text_changes_unless_the_tactic_is_arabic_only(tactic: str) -> None:
    for out in _outcomes(EN, tactic):
        assert (out == EN) == (tactic in ARABIC_ONLY)


@pytest.mark.parametrize(
    ("tactic", "inserted"),
    [
        ("diacritics", gen.HARAKAT + gen.LATIN_MARKS),
        ("tatweel", gen.TATWEEL),
        ("zero_width", gen.ZERO_WIDTH),
        ("bidi", gen.BIDI_CONTROLS),
    ],
)
def test_insertion_tactics_only_insert_their_characters(tactic: str, inserted: str) -> None:
    for text in (AR, EN):
        for out in _outcomes(text, tactic):
            assert _without(out, inserted) == text
    assert all(set(out) & set(inserted) for out in _outcomes(AR, tactic))


def test_tatweel_goes_only_after_letters_that_join() -> None:
    for out in _outcomes(AR, "tatweel"):
        for match in re.finditer(gen.TATWEEL + "+", out):
            assert out[match.start() - 1] not in "ادذرزوةىأإآؤء"
            assert ARABIC_LETTER.match(out[match.end()])


def test_spaced_letters_puts_spaces_between_the_letters_of_a_word() -> None:
    for text in (AR, EN):
        for out in _outcomes(text, "spaced_letters"):
            assert out.replace(" ", "") == text.replace(" ", "")
            assert re.search(r"(?:^| )\w \w \w", out)


@pytest.mark.parametrize(
    ("tactic", "table"), [("dotless", gen.DOTLESS), ("lookalike", gen.LOOKALIKES)]
)
def test_substitution_tactics_swap_letters_one_for_one(tactic: str, table: dict[str, str]) -> None:
    for text in (AR, EN):
        for out in _outcomes(text, tactic):
            assert len(out) == len(text)
            swaps = [(a, b) for a, b in zip(text, out, strict=True) if a != b]
            assert all(table[a] == b for a, b in swaps)
            assert swaps or (text == EN and tactic == "dotless")


def test_arabizi_writes_every_arabic_word_in_latin_letters_and_digits() -> None:
    for out in _outcomes(AR, "arabizi_digits"):
        assert not ARABIC_LETTER.search(ANY_PLACEHOLDER.sub("", out))
        assert "da3sh" in out and "2n" in out  # داعش, إن
        assert out.endswith("⟦PLACEHOLDER-STATEMENT-7⟧ 3br wkala 23ma8 #PLACEHOLDER_TAG_3")


def test_repeat_letters_lengthens_runs_of_one_letter() -> None:
    def squeezed(text: str) -> str:
        return "".join(key for key, _ in itertools.groupby(text))

    for text in (AR, EN):
        for out in _outcomes(text, "repeat_letters"):
            assert len(out) > len(text)
            assert squeezed(out) == squeezed(text)


def test_unknown_tactic_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown tactic 'rot13'"):
        obfuscate(AR, "rot13", random.Random(0))


@given(st.text(max_size=200), st.sampled_from(OBFUSCATION_TACTICS), st.integers(0, 2**32))
def test_obfuscate_copes_with_any_text(text: str, tactic: str, seed: int) -> None:
    out = obfuscate(text, tactic, random.Random(seed))
    assert isinstance(out, str)
    for placeholder in ANY_PLACEHOLDER.findall(text):
        assert placeholder in out
