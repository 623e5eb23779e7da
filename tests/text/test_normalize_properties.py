"""Property tests for normalisation: it never raises, is idempotent, bounded, and its offset maps
are valid, monotone and round-trip. Texts are random (any code point, lone surrogates included)
or drawn from an alphabet of the characters evasion uses; the words are public detection
vocabulary or neutral words."""

from __future__ import annotations

import string
from collections import Counter

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from raqib.text.normalize import (  # the two paths, compared
    EVIDENCE_KEYS,
    MAX_EXPANSION,
    View,
    _drop_deleted,
    _drop_deleted_bulk,
    canonical_text,
    deobfuscated_form,
    normalize,
    plain_form,
)

ARABIC_LETTERS = "ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئىةٮٯڡںکیہھۃگپچژ"
MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u06da\u0653\u0654"
INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2069"
    "\ufeff\u00ad\ufe0f"
)
LATIN = "ISisAamqhe"
LOOKALIKES = "\u0406\u0405\u0456\u0455\u0410\u0430\u03bf\u03b1\uff29\U0001d408"
DIGITS = "0123456789٣۴@$"
SEPARATORS = " .-_·\u0640\n\t  "
EMOJI = ["\U0001f525", "\U0001f468\u200d\U0001f469", "\U0001f44d\U0001f3fd", "\U0001f1f8\U0001f1fe"]

EVASION = st.lists(
    st.sampled_from(
        [*ARABIC_LETTERS, *MARKS, *INVISIBLE, *LATIN, *LOOKALIKES, *DIGITS, *SEPARATORS, *EMOJI]
    ),
    max_size=60,
).map("".join)
ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=60
)
TEXTS = st.one_of(EVASION, ANY_TEXT)


def _check_view(view: View, original: str, inserted_allowed: bool) -> None:
    n = len(original)
    assert len(view.starts) == len(view.ends) == len(view.text)
    previous_start = previous_end = 0
    for i, (start, end) in enumerate(zip(view.starts, view.ends, strict=True)):
        assert 0 <= start <= end <= n
        if start == end:  # only a space the de-obfuscated view inserted
            assert inserted_allowed and view.text[i] == " "
        assert start >= previous_start and end >= previous_end
        previous_start, previous_end = start, end


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_normalize_never_raises_and_its_maps_are_valid(text: str) -> None:
    normalized = normalize(text)
    assert normalized.original == text
    _check_view(normalized.plain, text, inserted_allowed=False)
    _check_view(normalized.deobfuscated, text, inserted_allowed=True)
    assert set(normalized.evidence) <= set(EVIDENCE_KEYS)
    assert all(count > 0 for count in normalized.evidence.values())


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_the_forms_are_idempotent(text: str) -> None:
    plain = plain_form(text)
    assert plain_form(plain) == plain
    deobfuscated = deobfuscated_form(text)
    assert deobfuscated_form(deobfuscated) == deobfuscated
    canonical = canonical_text(text)
    assert canonical_text(canonical) == canonical


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_the_forms_agree_with_normalize_and_are_bounded(text: str) -> None:
    normalized = normalize(text)
    assert plain_form(text) == normalized.plain.text
    assert deobfuscated_form(text) == normalized.deobfuscated.text
    assert len(normalized.plain.text) <= MAX_EXPANSION * len(text)
    assert len(normalized.deobfuscated.text) <= 2 * MAX_EXPANSION * len(text)
    assert len(canonical_text(text)) <= 2 * MAX_EXPANSION * len(text)


PLAIN_ASCII = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + ",;:!?'\"()", min_size=1, max_size=8),
    max_size=8,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(PLAIN_ASCII, st.data())
def test_an_ascii_span_round_trips_to_the_slice(text: str, data: st.DataObject) -> None:
    view = normalize(text).plain
    assert view.text == text.lower()
    assume(text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assert view.original_span(start, end) == (start, end)
    assert text[start:end].lower() == view.text[start:end]


# --- invariance: an evasion tactic does not change the forms ----------------------------------

WORDS = ["داعش", "الدولة", "الإسلامية", "وكالة", "أعماق", "الطقس", "الأسواق", "القطار"]
PLAIN_SENTENCE = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


@st.composite
def _sprinkled(draw: st.DrawFn, alphabet: str) -> tuple[str, str]:
    """A sentence, and the same sentence with characters of `alphabet` put after letters."""
    sentence = draw(PLAIN_SENTENCE)
    out = []
    for char in sentence:
        out.append(char)
        if char != " " and draw(st.booleans()):
            out.append(draw(st.sampled_from(alphabet)))
    return sentence, "".join(out)


@settings(max_examples=200, deadline=None)
@given(_sprinkled("\u200b\u200c\u200d\u200e\u200f\u202b\u2067\ufeff\u00ad"))
def test_zero_width_and_bidi_characters_do_not_change_the_forms(pair: tuple[str, str]) -> None:
    sentence, sprinkled = pair
    assert plain_form(sprinkled) == plain_form(sentence)
    assert deobfuscated_form(sprinkled) == deobfuscated_form(sentence)


@settings(max_examples=200, deadline=None)
@given(_sprinkled(MARKS[:10] + "\u0640"))
def test_diacritics_and_tatweel_do_not_change_the_forms(pair: tuple[str, str]) -> None:
    sentence, sprinkled = pair
    assert plain_form(sprinkled) == plain_form(sentence)


TACTICS = {
    "spaced_letters": lambda word: " ".join(word),
    "dotted_spacing": lambda word: ".".join(word),
    "tatweel": lambda word: "\u0640\u0640".join(word),
    "zero_width": lambda word: "\u200b".join(word),
    "bidi": lambda word: "\u200f".join(word),
    "diacritics": lambda word: "\u064e".join(word) + "\u0650",
    "repeated_letters": lambda word: word[0] + word[1] * 3 + word[2:],
}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["داعش", "اعماق", "ISIS", "Amaq", "وكالة"]),
    st.sampled_from(sorted(TACTICS)),
    st.sampled_from(["قال التقرير إن {} ذكر اليوم.", "The report said {} was named today."]),
)
def test_an_obfuscated_word_maps_back_to_exactly_its_run(
    word: str, tactic: str, template: str
) -> None:
    obfuscated = TACTICS[tactic](word)
    text = template.format(obfuscated)
    view = normalize(text).deobfuscated
    key = deobfuscated_form(word)
    at = view.text.find(key)
    assert at >= 0, (tactic, view.text, key)
    start, end = view.original_span(at, at + len(key))
    assert text[start:end] == obfuscated


LONG_EVASION = st.lists(
    st.sampled_from([*ARABIC_LETTERS, *MARKS, *INVISIBLE, *LATIN, *DIGITS, *SEPARATORS, *EMOJI]),
    min_size=200,
    max_size=600,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(LONG_EVASION)
def test_long_texts_with_many_edits_keep_valid_maps(text: str) -> None:
    normalized = normalize(text)
    _check_view(normalized.plain, text, inserted_allowed=False)
    _check_view(normalized.deobfuscated, text, inserted_allowed=True)
    assert deobfuscated_form(normalized.deobfuscated.text) == normalized.deobfuscated.text


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(TACTICS)), st.integers(20, 60))
def test_every_repeated_obfuscated_word_maps_back(tactic: str, copies: int) -> None:
    obfuscated = TACTICS[tactic]("داعش")
    text = " و ".join([obfuscated] * copies)  # many edits in one text
    view = normalize(text).deobfuscated
    key = deobfuscated_form("داعش")
    found, at = [], view.text.find(key)
    while at >= 0:
        start, end = view.original_span(at, at + len(key))
        found.append(text[start:end])
        at = view.text.find(key, at + len(key))
    assert found == [obfuscated] * copies


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_deleting_with_numpy_agrees_with_the_loop(text: str) -> None:
    # long texts (>= _BULK) take the numpy path; both must give the same text, maps, evidence
    loop_evidence: Counter[str] = Counter()
    bulk_evidence: Counter[str] = Counter()
    by_loop = _drop_deleted(text, loop_evidence)
    by_numpy = _drop_deleted_bulk(text, bulk_evidence)
    assert by_numpy.text == by_loop.text
    assert by_numpy.starts == by_loop.starts
    assert by_numpy.ends == by_loop.ends
    assert bulk_evidence == loop_evidence
