"""`text_sha256` and `text_minhash`: obfuscation-proof exact hashes, near-duplicate distances,
the string forms and their validation, determinism across processes, python-threatexchange's
`raw_text` lines."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.errors import InputError
from raqib.signals.base import IndexKind, NoSignal, Signal
from raqib.signals.raw_text import raw_text_signals
from raqib.signals.text_minhash import (
    MIN_SHINGLES,
    PERM_A,
    PERM_B,
    SHINGLE_CHARS,
    TextMinhashSignalType,
    decode_signature,
    encode_signature,
    shingle_hashes,
    signature,
)
from raqib.signals.text_sha256 import MAX_TEXT_CHARS, TextSha256SignalType, sha256_of_text
from raqib.text.normalize import canonical_text

SHA = TextSha256SignalType()
MINHASH = TextMinhashSignalType()
SETTINGS = Settings()

# "The meteorological authority expects light rain over the coastal areas on Tuesday."
WEATHER = "توقعت هيئة الأرصاد الجوية هطول أمطار خفيفة على المناطق الساحلية يوم الثلاثاء"
OBFUSCATED_WEATHER = [
    # diacritics (tashkeel)
    "تَوَقَّعَتْ هَيْئَةُ الأَرْصَادِ الجَوِّيَّةِ هُطُولَ أَمْطَارٍ خَفِيفَةٍ عَلَى المَنَاطِقِ السَّاحِلِيَّةِ يَوْمَ الثُّلَاثَاءِ",
    # tatweel
    "توقـــعت هيـئـة الأرصـــاد الجـويـة هطـول أمطـار خفيـفـة على"
    " المنـاطـق الساحـليـة يوم الثـلاثـاء",
    # zero-width characters inside words
    "توق\u200bعت هي\u200cئة الأر\u200dصاد الجو\u2060ية هطول أمطار خفيفة على المناطق الساحلية"
    " يوم الث\ufeffلاثاء",
    # spaced-out letters in one word, punctuation and extra whitespace
    "توقعت هيئة  ا ل أ ر ص ا د  الجوية: هطول أمطار خفيفة، على المناطق الساحلية... يوم الثلاثاء!",
]

# About 300 characters of neutral news: weather, ferries, markets.
PARAGRAPH = (
    "توقعت هيئة الأرصاد الجوية هطول أمطار خفيفة على المناطق الساحلية يوم الثلاثاء مع انخفاض "
    "درجات الحرارة ليلا إلى اثنتي عشرة درجة، وقالت إن الرياح ستكون معتدلة وإن حركة العبارات في "
    "الميناء ستستمر وفق الجدول المعتاد، فيما افتتحت البورصة تعاملاتها على ارتفاع "
    "طفيف بعد صدور تقرير الحصاد الذي أظهر زيادة في إنتاج القمح"
)
# Two words changed (Tuesday -> Wednesday, slight -> limited): true shingle Jaccard ~0.9.
NEAR_PARAGRAPH = PARAGRAPH.replace("الثلاثاء", "الأربعاء").replace("طفيف", "محدود")
UNRELATED_PARAGRAPH = (
    "أعلنت وزارة النقل عن افتتاح خط جديد للحافلات يربط وسط المدينة بالمطار الدولي اعتبارا من "
    "الشهر المقبل، وأوضحت أن الرحلات ستنطلق كل عشرين دقيقة طوال اليوم وأن أسعار التذاكر لن "
    "تتغير خلال السنة الأولى، كما فاز الفريق المحلي على ضيفه بهدفين مقابل هدف في مباراة الجمعة"
)


def _text(text: str) -> Content:
    return Content(kind=ContentKind.TEXT, text=text)


def _signal(signal_type: TextSha256SignalType | TextMinhashSignalType, text: str) -> Signal:
    result = signal_type.hash(_text(text), SETTINGS)
    assert isinstance(result, Signal), result
    return result


def _shingle_jaccard(a: str, b: str) -> float:
    def shingles(text: str) -> set[str]:
        canonical = canonical_text(text)
        return {canonical[i : i + SHINGLE_CHARS] for i in range(len(canonical) - 4)}

    first, second = shingles(a), shingles(b)
    return len(first & second) / len(first | second)


def test_interface() -> None:
    assert (SHA.name, SHA.index_kind, SHA.default_threshold) == ("text_sha256", IndexKind.EXACT, 0)
    assert (MINHASH.name, MINHASH.index_kind) == ("text_minhash", IndexKind.NEAR_TEXT)
    assert MINHASH.default_threshold == 0.2
    assert SHA.content_kinds == MINHASH.content_kinds == frozenset({ContentKind.TEXT})


@pytest.mark.parametrize("obfuscated", OBFUSCATED_WEATHER)
def test_text_sha256_is_the_same_after_obfuscation(obfuscated: str) -> None:
    clean = _signal(SHA, WEATHER).value
    assert _signal(SHA, obfuscated).value == clean
    expected = hashlib.sha256(canonical_text(WEATHER).encode("utf-8")).hexdigest()
    assert clean == expected
    assert _signal(SHA, WEATHER + " اليوم").value != clean  # a real change still changes it


@pytest.mark.parametrize("obfuscated", OBFUSCATED_WEATHER)
def test_text_minhash_is_the_same_after_obfuscation(obfuscated: str) -> None:
    assert _signal(MINHASH, obfuscated).value == _signal(MINHASH, WEATHER).value


def test_near_duplicate_matches_and_unrelated_text_does_not() -> None:
    original = _signal(MINHASH, PARAGRAPH).value
    near = _signal(MINHASH, NEAR_PARAGRAPH).value
    unrelated = _signal(MINHASH, UNRELATED_PARAGRAPH).value
    assert 280 <= len(PARAGRAPH) <= 320
    assert 0 < MINHASH.distance(original, near) <= MINHASH.default_threshold
    assert MINHASH.distance(original, unrelated) > 0.8
    assert MINHASH.distance(original, original) == 0
    assert MINHASH.distance(near, original) == MINHASH.distance(original, near)
    # The estimate is close to the true Jaccard of the shingle sets (sd ~0.03 at 128 perms).
    true_distance = 1 - _shingle_jaccard(PARAGRAPH, NEAR_PARAGRAPH)
    assert abs(MINHASH.distance(original, near) - true_distance) < 0.1
    assert _signal(SHA, PARAGRAPH).value != _signal(SHA, NEAR_PARAGRAPH).value


def test_short_texts_yield_no_signal_with_the_reason() -> None:
    sha = SHA.hash(_text("  طقس!  "), SETTINGS)
    assert isinstance(sha, NoSignal) and "too short" in sha.reason and "8" in sha.reason
    minhash = MINHASH.hash(_text("أمطار خفيفة اليوم"), SETTINGS)
    assert isinstance(minhash, NoSignal) and str(MIN_SHINGLES) in minhash.reason
    repetitive = MINHASH.hash(_text("la " * 200), SETTINGS)
    assert isinstance(repetitive, NoSignal)  # 3 distinct shingles, however long
    assert isinstance(MINHASH.hash(_text(""), SETTINGS), NoSignal)


def test_oversized_text_gives_no_signal_with_the_reason() -> None:
    huge = "a" * (MAX_TEXT_CHARS + 1)
    for signal_type in (SHA, MINHASH):
        outcome = signal_type.hash(_text(huge), SETTINGS)
        assert isinstance(outcome, NoSignal) and "longer than" in outcome.reason
    with pytest.raises(InputError, match="characters"):
        sha256_of_text(huge)  # the helper itself still refuses


def test_string_forms_round_trip() -> None:
    minhash = _signal(MINHASH, PARAGRAPH)
    value = minhash.value
    assert value.startswith("v1:") and len(value) == 3 + 683
    assert MINHASH.parse(value) == Signal("text_minhash", value)
    assert MINHASH.format(MINHASH.parse(value)) == value
    assert MINHASH.normalize(f"  {value}=  ") == value  # base64 padding and spaces accepted
    sha = _signal(SHA, PARAGRAPH).value
    assert SHA.normalize(sha.upper()) == sha
    assert SHA.format(SHA.parse(f" {sha} ")) == sha


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "not a text_minhash value"),
        ("0123abcd", "not a text_minhash value"),
        ("v2:" + "A" * 683, "version 'v2' is not supported"),
        ("v1:" + "A" * 682, "682 characters"),
        ("v1:" + "A" * 684, "684 characters"),
        ("v1:" + "A" * 682 + "+", "outside base64url"),
        ("v1:" + "A" * 682 + "/", "outside base64url"),
        ("v1:" + "A" * 682 + "ب", "outside base64url"),
        ("v1:" + "A" * 341 + "=" + "A" * 341, "outside base64url"),
    ],
)
def test_bad_minhash_values_are_rejected_with_a_reason(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MINHASH.normalize(bad)


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "a" * 63, "a" * 65, "0x" + "a" * 62])
def test_bad_sha256_values_are_rejected_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError, match="not a text_sha256 digest"):
        SHA.normalize(bad)


def test_minhash_definition_is_pinned() -> None:
    """The v1 constants and one signature: a change here needs a new version prefix."""
    first = int.from_bytes(hashlib.sha256(b"raqib text_minhash v1 a 0").digest()[:4], "little")
    assert int(PERM_A[0]) == first | 1
    assert all(int(a) % 2 == 1 for a in PERM_A)
    tables = hashlib.sha256(PERM_A.astype("<u4").tobytes() + PERM_B.astype("<u4").tobytes())
    assert tables.hexdigest()[:16] == "0b023d68a0bca706"
    value = encode_signature(signature(shingle_hashes("the weather office expects light rain")))
    assert hashlib.sha256(value.encode()).hexdigest()[:16] == "6b20e5463097d792"


def test_signature_values_are_the_minima_of_the_permutations() -> None:
    hashes = shingle_hashes(canonical_text(PARAGRAPH))
    expected = [
        min((int(a) * int(x) + int(b)) % 2**32 for x in hashes)
        for a, b in zip(PERM_A, PERM_B, strict=True)
    ]
    assert signature(hashes).tolist() == expected
    raw = base64.urlsafe_b64decode(_signal(MINHASH, PARAGRAPH).value[3:] + "=")
    assert np.frombuffer(raw, dtype="<u4").tolist() == expected


_SUBPROCESS = """
import sys
from raqib.signals.raw_text import raw_text_signals
for signal in raw_text_signals(sys.stdin.read()):
    print(signal)
"""


def test_signals_are_the_same_in_another_process() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS],
        input=PARAGRAPH,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=True,
    )
    assert done.stdout.splitlines() == [str(s) for s in raw_text_signals(PARAGRAPH)]


def test_raw_text_becomes_both_signals_or_the_exact_one() -> None:
    both = raw_text_signals(PARAGRAPH)
    assert [s.signal_type for s in both] == ["text_sha256", "text_minhash"]
    assert both == [_signal(SHA, PARAGRAPH), _signal(MINHASH, PARAGRAPH)]
    (exact,) = raw_text_signals("أمطار خفيفة اليوم")
    assert exact.signal_type == "text_sha256"
    with pytest.raises(ValueError, match=r"raw_text gives no signal: .*too short"):
        raw_text_signals("؟!")


def test_a_lone_surrogate_does_not_break_hashing() -> None:
    text = PARAGRAPH + " \udc80"  # e.g. from bytes decoded with errors="surrogateescape"
    assert [s.signal_type for s in raw_text_signals(text)] == ["text_sha256", "text_minhash"]


@given(st.text(max_size=400))
def test_any_text_hashes_or_says_why_not(text: str) -> None:
    for signal_type in (SHA, MINHASH):
        result = signal_type.hash(_text(text), SETTINGS)
        if isinstance(result, Signal):
            assert signal_type.normalize(result.value) == result.value


_VALID = encode_signature(signature(shingle_hashes("the weather office expects light rain")))


@given(
    st.lists(st.tuples(st.integers(0, len(_VALID)), st.integers(0, 3), st.characters()), max_size=4)
)
def test_edited_values_are_rejected_or_normalize_to_a_valid_value(
    edits: list[tuple[int, int, str]],
) -> None:
    """Random edits of a valid value (insert, delete, replace characters): normalize either
    raises ValueError or gives a canonical value that decodes to 128 values."""
    value = _VALID
    for at, cut, char in edits:
        value = value[:at] + char + value[at + cut :]
    try:
        normalized = MINHASH.normalize(value)
    except ValueError as exc:
        assert str(exc).startswith(("not a text_minhash", "text_minhash"))
        return
    assert MINHASH.normalize(normalized) == normalized
    assert len(decode_signature(normalized)) == 128
