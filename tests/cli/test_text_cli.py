"""`raqib text ...` and `raqib indicators ...` end to end, through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli

ETH = "0x52908400098527886E0F7030069857D2E4169EE7"  # an EIP-55 test vector, not a wallet
UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00.000Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID><FIRST_NAME>PLACEHOLDER</FIRST_NAME><SECOND_NAME>PERSON</SECOND_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER>
      <NAME_ORIGINAL_SCRIPT>شخص افتراضي</NAME_ORIGINAL_SCRIPT>
      <INDIVIDUAL_ALIAS>
        <QUALITY>Good</QUALITY><ALIAS_NAME>Placeholder Alias</ALIAS_NAME>
      </INDIVIDUAL_ALIAS>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>2</DATAID><FIRST_NAME>PLACEHOLDER FRONT</FIRST_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDe.900</REFERENCE_NUMBER>
      <ENTITY_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>جبهة افتراضية</ALIAS_NAME></ENTITY_ALIAS>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"""
OFAC_CSV = (
    '36,"PLACEHOLDER HOLDER","-0-","SDGT","-0-","-0-","-0-","-0-","-0-","-0-","-0-",'
    f'"Digital Currency Address - ETH {ETH};"\n'
)


def _json(text: str) -> dict[str, object]:
    record = json.loads(text)
    assert isinstance(record, dict)
    return record


def test_analyze_prints_the_text_field_as_json(cli: Cli, tmp_path: Path) -> None:
    text = "قال مسؤولون إن تنظيم داعش خسر مواقع، بحسب تقرير للشرطة."
    (tmp_path / "post.txt").write_text(text, encoding="utf-8")
    result = cli("text", "analyze", "post.txt", "--json")
    assert result.code == 0, result.stderr
    record = _json(result.stdout)
    assert record["context"] == "news_or_research"
    hits = record["indicators"]
    assert isinstance(hits, list) and hits
    assert any(text[h["start"] : h["end"]] == "داعش" for h in hits)


def test_analyze_reads_standard_input_and_reports_invalid_utf8(cli: Cli) -> None:
    result = cli("text", "analyze", "-", "--json", stdin="weather report: sunny")
    assert result.code == 0, result.stderr
    assert _json(result.stdout)["context"] == "unrelated"
    plain = cli("text", "analyze", "-", stdin="الطقس معتدل")
    assert plain.code == 0 and "unrelated" in plain.stdout


def test_analyze_a_missing_file_is_exit_2_with_a_clear_message(cli: Cli) -> None:
    result = cli("text", "analyze", "missing.txt")
    assert result.code == 2
    assert "missing.txt" in result.stderr


def test_un_list_import_feeds_the_analysis(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "un.xml").write_text(UN_XML, encoding="utf-8")
    result = cli("indicators", "import", "un", "un.xml", "--format", "un", "--json")
    assert result.code == 0, result.stderr
    assert _json(result.stdout)["count"] >= 4
    again = cli("indicators", "import", "un", "un.xml", "--format", "un", "--json")
    assert _json(again.stdout)["count"] == _json(result.stdout)["count"]  # idempotent
    text = "ذكر التقرير أن جبهة افتراضية أصدرت بيانا."
    analysis = _json(cli("text", "analyze", "-", "--json", stdin=text).stdout)
    hits = analysis["indicators"]
    assert isinstance(hits, list)
    assert any(h["entity"] == "PLACEHOLDER FRONT" for h in hits)
    cli("indicators", "disable", "un")
    analysis = _json(cli("text", "analyze", "-", "--json", stdin=text).stdout)
    assert not any(h["entity"] == "PLACEHOLDER FRONT" for h in analysis["indicators"])  # type: ignore[union-attr]


def test_ofac_addresses_are_matched_in_text(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_text(OFAC_CSV, encoding="utf-8")
    result = cli("indicators", "import", "ofac", "sdn.csv", "--format", "ofac-csv")
    assert result.code == 0, result.stderr
    analysis = _json(
        cli("text", "analyze", "-", "--json", stdin=f"reported address {ETH} today").stdout
    )
    addresses = analysis["crypto_addresses"]
    assert isinstance(addresses, list) and addresses[0]["listed"]
    assert addresses[0]["listed"][0]["entity"] == "PLACEHOLDER HOLDER"


def test_malformed_lists_import_nothing(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.xml").write_text(UN_XML[: len(UN_XML) // 2], encoding="utf-8")
    result = cli("indicators", "import", "un", "bad.xml", "--format", "un")
    assert result.code == 2
    assert "bad.xml" in result.stderr or "XML" in result.stderr
    listed = cli("indicators", "list", "--json")
    assert listed.code == 0 and listed.stdout.strip() == ""
    (tmp_path / "bad.jsonl").write_text('{"name": "x", "kind": "entity"}\n{"name": ""}\n')
    result = cli("indicators", "import", "mine", "bad.jsonl")
    assert result.code == 2 and "line 2" in result.stderr


def test_train_and_eval_print_the_table(cli: Cli, tmp_path: Path) -> None:
    from raqib.synthetic_text import write_labelled

    write_labelled(tmp_path / "train.jsonl", 600, seed=1)
    write_labelled(tmp_path / "test.jsonl", 200, seed=2)
    trained = cli("text", "train", "train.jsonl", "--json")
    assert trained.code == 0, trained.stderr
    assert _json(trained.stdout)["examples"] == 600
    table = cli("text", "eval", "test.jsonl")
    assert table.code == 0, table.stderr
    for word in ("precision", "recall", "news_or_research", "counter_speech"):
        assert word in table.stdout.lower()
    report = _json(cli("text", "eval", "test.jsonl", "--json").stdout)
    assert report["macro_f1"] > 0.5  # type: ignore[operator]
    analysis = _json(cli("text", "analyze", "-", "--json", stdin="الطقس معتدل اليوم").stdout)
    assert analysis["model"] is not None  # the trained model is used by default


def test_eval_without_a_model_says_how_to_train_one(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "a", "label": "unrelated"}\n')
    result = cli("text", "eval", "x.jsonl")
    assert result.code == 2 and "raqib text train" in result.stderr


def test_ofac_import_skips_and_reports_a_malformed_address(cli: Cli, tmp_path: Path) -> None:
    bad_row = (
        '37,"PLACEHOLDER OTHER","-0-","SDGT","-0-","-0-","-0-","-0-","-0-","-0-","-0-",'
        '"Digital Currency Address - XBT 1PlaceholderNotAnAddress000000;"\n'
    )
    (tmp_path / "sdn.csv").write_text(OFAC_CSV + bad_row, encoding="utf-8")
    result = cli("indicators", "import", "ofac", "sdn.csv", "--format", "ofac-csv", "--json")
    assert result.code == 0, result.stderr
    record = _json(result.stdout)
    rejected = record["rejected"]
    assert isinstance(rejected, list) and len(rejected) == 1 and "line 2" in rejected[0]
    exported = cli("indicators", "export", "ofac").stdout
    assert ETH.lower() in exported and "PLACEHOLDER OTHER" in exported
