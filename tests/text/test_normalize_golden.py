"""Golden test: normalisation's results are frozen byte for byte.

The plain, de-obfuscated and canonical forms, both views' offset arrays and the evidence of a
fixed corpus are serialised and hashed; the hashes were recorded with the reference
implementation, before its fast paths were written. The corpus: benchmark posts from
`raqib.synthetic_text.make_posts` (short, and long enough for the whole-array paths), the inputs
of the example tests, and seeded random texts of the characters each code path handles
(combining marks, emoji sequences, format characters, compatibility letters, Hangul, lone
surrogates, any code point). All texts are synthetic: template sentences, placeholders, public
detection vocabulary and random characters.

If the input hash fails, the corpus changed (make_posts was edited): recompute both hashes with
a version of normalize known to be right. If only the output hash fails, normalisation changed.
"""

from __future__ import annotations

import hashlib
import json
import random

from raqib.synthetic_text import make_posts
from raqib.text.normalize import canonical_text, deobfuscated_form, normalize, plain_form

INPUT_SHA256 = "4e970c2373dad9ac37d2ab0a411019b3a8ddf25eb754db758384f7469c308662"
OUTPUT_SHA256 = "69b3bbc6d80cd9264ea80efae46f438a6be0ad35e650968e02cb2869c3a66518"

EXAMPLE_INPUTS = [
    "قالت نشرة الأخبار إن دَاعِشٌ ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن داعــــش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن د ا ع ش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن د.ا.ع.ش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن د ـ ا ـ ع ـ ش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن دا\u200bع\u200cش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن دا\u200fع\u202eش\u202c ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن داااعششش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن دا3ش ذكر في تقرير عن حركة النقل والطقس.",
    "قالت نشرة الأخبار إن الدولة الاسلامٮة ذكر في تقرير. وكالة أعماٯ",
    "الدولۃ الاسلامیہ ﺩﺍﻋﺶ دَاعــ\u200bـِش دَ ا عِ ش داا\u200dاعش الدَّولة الإسلامٮّة",
    "The transport bulletin said \u0406\u0405\u0406\u0405 was named in a report on markets.",
    "\u0410maq Am\u03b1q ＩＳＩＳ \U0001d408\U0001d412\U0001d408\U0001d412 I$I$ 1S1S 3amaq",
    "I S I S, I.S.I.S, Amaaaq, IS\u200bIS, \u0406\u200b\u0405IS, 1SSS1S",
    "PLACEHOLDER-١٧ PLACEHOLDER-۱۷",
    "ذكر تقرير Reuters يوم ٢٠ مارس أن Amaq News و داعش ظهرا في عناوين الأسواق.",
    "دا\u200fع\u2066ش\u2069 ٮوكو ٯ أسعار النفط إلى ١٢٠ دولار",
    "بِسْمِ عَلَيْهِ\u06da الطقـــس أحمد إلى آخر ٱلكتاب مؤتمر رئيس مدرسة مستشفى",
    "کتاب یوم ہوا ھذا گزارش ڪ ۍ ې ۃ عام ٢٠٢٤ و۱۴۰۳ ＡＢＣ Straße ﻻ ﷲ x ﷺ y",
    "\u202bحركة\u200b المرور\u200e\u2067 منتظمة\u2069\ufeff",
    "نشرة \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f3f3\ufe0f\u200d\U0001f308 دا\u200dعش",
    "دا\ufe0fعش 1\ufe0f\u20e3  Rain\t\n expected \u00a0 today  ",
    "\ud800داعش\udfff x",
    "",
    "   ",
    "\u200b\u200f\u0640\u064e",
    "خبر عن د ا ع ش اليوم هو و هي a b isiiis بيت بت ييي جحخ",
    "7ayat 5alifa h3ll0 covid19 in 2024 desk@example.org @desk1 $btc دا3ش في 2024",
    "Москва اهلا 🔥🔥داعش🔥 🔥داعش🔥 و👍🏽 \U0001f1f8\U0001f1fe\U0001f1f8\U0001f1fe",
    "Rain, rain!!  Go away... 🌧️ «حركة» المرور: منتظمة. i$i$ 1s1s",
    "  Ｔｈｅ دَاعِش\u200b report  ",
    "A p\u0302u\u0303b\u0308li\u0303c lecture on solar power F\u0300r\u0301id\u0301a\u0308y\u0308",
    "\u1100\u1161\u11a8 \u1100 \u1161 e\u200b\u0301 \u0130stanbul \ufb00 \u2026 \u2460 \u3000x",
]

# Characters that take every path: Arabic letters, marks, tatweel, format and bidi characters,
# Latin with combining marks, look-alikes, compatibility forms, digits, separators, emoji
# sequences, keycaps, tags, Hangul jamo, CJK, lone surrogates.
ALPHABET = [
    *"ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإؤئىةٮٯڡںکیہھۃگپچژ",
    *"\u064b\u064e\u0650\u0651\u0652\u0670\u06da\u0653\u0654\u0640",
    *"\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\ufeff\u00ad\ufe0e\ufe0f\u034f",
    *"ISisAamqhePLCEO \u0300\u0301\u0302\u0303\u0308\u0327\u0344",
    *"\u0406\u0405\u0456\u0455\u0410\u0430\u03bf\u03b1\uff29\U0001d408\u2026\ufdfa\ufb01\u2167",
    *"0123456789٣۴@$ .-_·\n\t\u00a0\u2003\u2028",
    "\U0001f525",
    "\U0001f468\u200d\U0001f469",
    "\U0001f44d\U0001f3fd",
    "\U0001f1f8\U0001f1fe",
    "1\ufe0f\u20e3",
    "\U0001f3f4\U000e0067\U000e0062\U000e007f",
    *"\u1100\u1161\u11a8\uac00\u4e2d\ud800\udfff\U000e0001",
]


def _corpus() -> list[str]:
    rng = random.Random(20240611)
    texts = make_posts(2000, seed=11)
    texts += make_posts(6, seed=12, length=6000)  # longer than the whole-array threshold
    texts += EXAMPLE_INPUTS
    texts += ["".join(rng.choices(ALPHABET, k=rng.randint(0, 60))) for _ in range(1500)]
    texts += ["".join(rng.choices(ALPHABET, k=5000))]
    texts += [
        "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 40))) for _ in range(300)
    ]
    return texts


def _record(text: str) -> list[object]:
    normalized = normalize(text)
    plain, deobfuscated = normalized.plain, normalized.deobfuscated
    return [
        plain.text,
        plain.starts.typecode + plain.ends.typecode,
        plain.starts.tolist(),
        plain.ends.tolist(),
        deobfuscated.text,
        deobfuscated.starts.typecode + deobfuscated.ends.typecode,
        deobfuscated.starts.tolist(),
        deobfuscated.ends.tolist(),
        list(normalized.evidence.items()),
        canonical_text(text),
        plain_form(text),
        deobfuscated_form(text),
    ]


def _sha256(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=True).encode("ascii")).hexdigest()


def test_normalisation_results_are_unchanged() -> None:
    corpus = _corpus()
    assert _sha256(corpus) == INPUT_SHA256, "the corpus changed: see the module docstring"
    assert _sha256([_record(text) for text in corpus]) == OUTPUT_SHA256
