"""UN Consolidated List and OFAC SDN importers on small synthetic files in the real layouts:
names, aliases, original-script names, crypto addresses with chains, the programs filter, and
clear all-or-nothing errors for malformed, truncated, wrong or hostile files."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import base58
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.errors import ImportFormatError, InputError
from raqib.text.crypto import eip55
from raqib.text.importers import (
    TERRORISM_PROGRAMS,
    read_ofac_sdn_csv,
    read_ofac_sdn_xml,
    read_un_list,
)
from raqib.text.indicator_records import Indicator

RNG = random.Random(7)
BTC = base58.b58encode_check(b"\x00" + RNG.randbytes(20)).decode()
BTC_2 = base58.b58encode_check(b"\x05" + RNG.randbytes(20)).decode()
TRX = base58.b58encode_check(b"\x41" + RNG.randbytes(20)).decode()
ETH = eip55("0x" + RNG.randbytes(20).hex())
ISIL_AR = "الدولة الإسلامية في العراق والشام"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<{root}><x>&lol4;</x></{root}>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY ext SYSTEM "file:///etc/hostname">]>
<{root}><x>&ext;</x></{root}>
"""

# --- UN Security Council Consolidated List ---------------------------------------------------

UN_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 dateGenerated="2024-01-01T00:00:00Z">
<INDIVIDUALS>
<INDIVIDUAL>
<DATAID>900001</DATAID>
<VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>PLACEHOLDER</FIRST_NAME>
<SECOND_NAME>PERSON</SECOND_NAME>
<THIRD_NAME>ONE</THIRD_NAME>
<FOURTH_NAME></FOURTH_NAME>
<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
<REFERENCE_NUMBER>QDi.901</REFERENCE_NUMBER>
<LISTED_ON>2020-01-01</LISTED_ON>
<NAME_ORIGINAL_SCRIPT>⟦اسم-اختبار⟧ شخص أول</NAME_ORIGINAL_SCRIPT>
<COMMENTS1>Synthetic test record.</COMMENTS1>
<NATIONALITY><VALUE>Placeholder</VALUE></NATIONALITY>
<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY>
<ALIAS_NAME>PLACEHOLDER ALIAS GOOD</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY>
<ALIAS_NAME>PLACEHOLDER ALIAS LOW</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ADDRESS><COUNTRY>Placeholder</COUNTRY></INDIVIDUAL_ADDRESS>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><YEAR>1970</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
</INDIVIDUAL>
</INDIVIDUALS>
<ENTITIES>
<ENTITY>
<DATAID>900002</DATAID>
<VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>AL-QAIDA IN IRAQ</FIRST_NAME>
<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
<REFERENCE_NUMBER>QDe.115</REFERENCE_NUMBER>
<LISTED_ON>2004-10-18</LISTED_ON>
<NAME_ORIGINAL_SCRIPT>{ISIL_AR}</NAME_ORIGINAL_SCRIPT>
<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
<ENTITY_ALIAS><QUALITY>Good</QUALITY>
<ALIAS_NAME>ISLAMIC STATE IN IRAQ AND THE LEVANT</ALIAS_NAME></ENTITY_ALIAS>
<ENTITY_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>DAESH</ALIAS_NAME></ENTITY_ALIAS>
<ENTITY_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>PLACEHOLDER VAGUE ALIAS</ALIAS_NAME></ENTITY_ALIAS>
<ENTITY_ALIAS><QUALITY/><ALIAS_NAME>  </ALIAS_NAME></ENTITY_ALIAS>
<ENTITY_ADDRESS/>
</ENTITY>
<ENTITY>
<DATAID>900003</DATAID>
<FIRST_NAME>PLACEHOLDER ENTITY ONE</FIRST_NAME>
<REFERENCE_NUMBER>QDe.901</REFERENCE_NUMBER>
</ENTITY>
</ENTITIES>
</CONSOLIDATED_LIST>
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def by_name(indicators: list[Indicator]) -> dict[str, Indicator]:
    return {i.name: i for i in indicators}


def test_un_list_names_aliases_and_original_script(tmp_path: Path) -> None:
    found = by_name(read_un_list(write(tmp_path, "consolidated.xml", UN_XML)))
    assert set(found) == {
        "PLACEHOLDER PERSON ONE",
        "⟦اسم-اختبار⟧ شخص أول",
        "PLACEHOLDER ALIAS GOOD",
        "PLACEHOLDER ALIAS LOW",
        "AL-QAIDA IN IRAQ",
        ISIL_AR,
        "ISLAMIC STATE IN IRAQ AND THE LEVANT",
        "DAESH",
        "PLACEHOLDER VAGUE ALIAS",
        "PLACEHOLDER ENTITY ONE",
    }
    daesh = found["DAESH"]
    assert (daesh.kind, daesh.entity, daesh.reference) == ("entity", "AL-QAIDA IN IRAQ", "QDe.115")
    assert daesh.source == "UN Security Council Consolidated List, QDe.115"
    assert (daesh.weight, daesh.language) == (0.8, "und")
    assert (found[ISIL_AR].language, found[ISIL_AR].entity) == ("ar", "AL-QAIDA IN IRAQ")
    assert found["PLACEHOLDER VAGUE ALIAS"].weight == 0.2
    person = found["PLACEHOLDER ALIAS GOOD"]
    assert (person.kind, person.entity, person.weight) == ("person", "PLACEHOLDER PERSON ONE", 0.4)
    assert found["⟦اسم-اختبار⟧ شخص أول"].language == "ar"
    assert found["PLACEHOLDER ALIAS LOW"].weight == 0.2
    assert found["PLACEHOLDER ENTITY ONE"].reference == "QDe.901"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("</ENTITIES>", ""), "not well-formed"),
        (lambda t: t[: len(t) // 2], "is the download complete"),
        (lambda t: t.replace("CONSOLIDATED_LIST", "OTHER_LIST"), "root element is <OTHER_LIST>"),
        (lambda t: t.replace("<REFERENCE_NUMBER>QDe.901</REFERENCE_NUMBER>", ""), "QDe|REFERENCE"),
        (lambda t: t.replace("PLACEHOLDER ENTITY ONE", ""), "has no FIRST_NAME"),
        (lambda t: "", "not well-formed"),
        (lambda t: "<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>", "no records"),
        (lambda t: BILLION_LAUGHS.format(root="CONSOLIDATED_LIST"), "DTD or entities"),
        (lambda t: EXTERNAL_ENTITY.format(root="CONSOLIDATED_LIST"), "DTD or entities"),
        (lambda t: "<CONSOLIDATED_LIST>" + "<a>" * 100 + "</a>" * 100, "nested over"),
    ],
)
def test_un_list_bad_files_raise_with_a_line(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    path = write(tmp_path, "bad.xml", change(UN_XML))
    with pytest.raises(ImportFormatError, match=message) as info:
        read_un_list(path)
    assert info.value.line_number >= 1


def test_un_list_missing_reference_names_the_record_line(tmp_path: Path) -> None:
    text = UN_XML.replace("<REFERENCE_NUMBER>QDe.901</REFERENCE_NUMBER>", "")
    with pytest.raises(ImportFormatError, match=r"ENTITY \(DATAID 900003\)") as info:
        read_un_list(write(tmp_path, "bad.xml", text))
    lines = text.splitlines()
    assert lines[info.value.line_number - 1] == "<ENTITY>"
    assert "<DATAID>900003</DATAID>" in lines[info.value.line_number]


def test_missing_and_oversized_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_un_list(tmp_path / "absent.xml")
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(201 << 20)  # sparse: no disk used
    with pytest.raises(InputError, match="MiB limit"):
        read_un_list(huge)
    with pytest.raises(InputError, match="MiB limit"):
        read_ofac_sdn_csv(huge)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=1500), st.sampled_from(["", '9001,"A",-0-,"SDGT"' + ",-0-" * 7 + ',"']))
def test_any_bytes_give_indicators_or_a_format_error(data: bytes, prefix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list"
        path.write_bytes(prefix.encode() + data)
        for reader in (read_ofac_sdn_csv, read_ofac_sdn_xml, read_un_list):
            try:
                found = reader(path)
            except ImportFormatError as exc:
                assert exc.line_number >= 1
            else:
                assert all(isinstance(i, Indicator) for i in found)


def test_binary_garbage_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.xml"
    path.write_bytes(bytes(RNG.randrange(256) for _ in range(4096)))
    with pytest.raises(ImportFormatError):
        read_un_list(path)


# --- OFAC SDN CSV ----------------------------------------------------------------------------


def sdn_row(ent: int, name: str, sdn_type: str, program: str, remarks: str = "-0-") -> str:
    quoted = [f'"{name}"', sdn_type, f'"{program}"', *["-0- "] * 7, f'"{remarks}"']
    return f"{ent}," + ",".join(quoted)


SDN_ROWS = [
    sdn_row(
        9001,
        "PLACEHOLDER ENTITY ONE",
        "-0- ",
        "SDGT",
        f"Website example.org; Digital Currency Address - XBT {BTC}; "
        f"alt. Digital Currency Address - ETH {ETH}; Organization Established Date 2020.",
    ),
    sdn_row(
        9002,
        "PLACEHOLDER, Person Two",
        '"individual"',
        "SDGT] [IRAN",
        f"DOB 01 Jan 1970; Gender Male; Digital Currency Address - TRX {TRX}.",
    ),
    sdn_row(
        9003,
        "PLACEHOLDER ENTITY THREE",
        "-0- ",
        "CYBER2",
        f"Digital Currency Address - XBT {BTC_2}; Digital Currency Address - USDT {TRX};",
    ),
    sdn_row(9004, "ISLAMIC STATE OF IRAQ AND THE LEVANT", "-0- ", "FTO] [SDGT"),
    sdn_row(9005, "PLACEHOLDER CAFÉ ENTITY", "-0- ", "SDGT"),
]
ALT_ROWS = [
    '9001,101,"aka","PLACEHOLDER ALIAS ONE",-0- ',
    '9002,102,"aka","PLACEHOLDER, Alias Two",-0- ',
    '9004,103,"aka","DAESH",-0- ',
    '9003,104,"aka","PLACEHOLDER ALIAS THREE",-0- ',
]


def sdn_files(tmp_path: Path, rows: list[str], alt: list[str] = ALT_ROWS) -> tuple[Path, Path]:
    # Windows-1252 with CRLF line ends and the trailing end-of-file mark, as OFAC publishes.
    sdn = write(tmp_path, "sdn.csv", "\r\n".join(rows) + "\r\n\x1a", "cp1252")
    return sdn, write(tmp_path, "alt.csv", "\r\n".join(alt) + "\r\n\x1a", "cp1252")


def test_sdn_csv_names_aliases_and_addresses(tmp_path: Path) -> None:
    found = read_ofac_sdn_csv(*sdn_files(tmp_path, SDN_ROWS))
    names = {(i.name, i.kind, i.entity, i.weight) for i in found if i.kind != "crypto_address"}
    assert names == {
        ("PLACEHOLDER ENTITY ONE", "entity", "PLACEHOLDER ENTITY ONE", 0.8),
        ("PLACEHOLDER ALIAS ONE", "entity", "PLACEHOLDER ENTITY ONE", 0.8),
        ("Person Two PLACEHOLDER", "person", "Person Two PLACEHOLDER", 0.4),
        ("Alias Two PLACEHOLDER", "person", "Person Two PLACEHOLDER", 0.4),
        (
            "ISLAMIC STATE OF IRAQ AND THE LEVANT",
            "entity",
            "ISLAMIC STATE OF IRAQ AND THE LEVANT",
            0.8,
        ),
        ("DAESH", "entity", "ISLAMIC STATE OF IRAQ AND THE LEVANT", 0.8),
        ("PLACEHOLDER CAFÉ ENTITY", "entity", "PLACEHOLDER CAFÉ ENTITY", 0.8),
    }
    addresses = {(i.name, i.chain, i.entity) for i in found if i.kind == "crypto_address"}
    assert addresses == {
        (BTC, "BTC", "PLACEHOLDER ENTITY ONE"),
        (ETH.lower(), "ETH", "PLACEHOLDER ENTITY ONE"),
        (TRX, "TRX", "Person Two PLACEHOLDER"),
        (BTC_2, "BTC", "PLACEHOLDER ENTITY THREE"),  # CYBER2 address kept by default
        (TRX, "USDT", "PLACEHOLDER ENTITY THREE"),
    }
    first = next(i for i in found if i.name == BTC)
    assert (first.reference, first.weight, first.language) == ("OFAC SDN 9001", 1.0, None)
    assert first.source == "OFAC SDN List, entry 9001 (SDGT)"


def test_sdn_csv_programs_filter(tmp_path: Path) -> None:
    sdn, alt = sdn_files(tmp_path, SDN_ROWS)
    every = {i.name for i in read_ofac_sdn_csv(sdn, alt, programs=None)}
    assert {"PLACEHOLDER ENTITY THREE", "PLACEHOLDER ALIAS THREE"} <= every
    cyber = read_ofac_sdn_csv(sdn, alt, programs=frozenset({"CYBER2"}))
    names = {i.name for i in cyber if i.kind != "crypto_address"}
    assert names == {"PLACEHOLDER ENTITY THREE", "PLACEHOLDER ALIAS THREE"}
    assert len([i for i in cyber if i.kind == "crypto_address"]) == 5
    assert "FTO" in TERRORISM_PROGRAMS and "SDGT" in TERRORISM_PROGRAMS


def test_sdn_csv_utf8_and_without_alt(tmp_path: Path) -> None:
    path = write(tmp_path, "sdn.csv", "\n".join(SDN_ROWS) + "\n")
    names = {i.name for i in read_ofac_sdn_csv(path)}
    assert "PLACEHOLDER CAFÉ ENTITY" in names and "DAESH" not in names


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ([SDN_ROWS[0], "9006,too,few"], 2, "3 fields, expected 12"),
        ([sdn_row(0, "X", "-0-", "SDGT").replace("0,", "A1,", 1)], 1, "'A1' is not a number"),
        ([SDN_ROWS[0], SDN_ROWS[0]], 2, "appears twice"),
        ([sdn_row(9007, "", "-0-", "SDGT")], 1, "no SDN_Name"),
        (
            [SDN_ROWS[0], sdn_row(9008, "X", "-0-", "SDGT", "Digital Currency Address - XBT")],
            2,
            "without an address",
        ),
        (
            [sdn_row(9009, "X", "-0-", "SDGT", f"Digital Currency Address - QQQ {BTC}")],
            1,
            "unknown digital currency code 'QQQ'",
        ),
        (
            [sdn_row(9010, "X", "-0-", "SDGT", f"Digital Currency Address - ETH {BTC}")],
            1,
            "BTC address, not a ETH address",
        ),
        (['9011,"unterminated', SDN_ROWS[0]], 2, "bad CSV in sdn.csv"),
    ],
)
def test_sdn_csv_bad_rows_raise_with_the_line(
    tmp_path: Path, rows: list[str], line: int, message: str
) -> None:
    sdn, _ = sdn_files(tmp_path, rows)
    with pytest.raises(ImportFormatError, match=message) as info:
        read_ofac_sdn_csv(sdn)
    assert info.value.line_number == line


def flipped(address: str) -> str:
    return address[:-1] + ("2" if address[-1] != "2" else "3")


def test_bad_address_raises_by_default_and_is_reported_when_asked(tmp_path: Path) -> None:
    bad = sdn_row(
        9012,
        "PLACEHOLDER ENTITY TWELVE",
        "-0-",
        "SDGT",
        f"Digital Currency Address - XBT {flipped(BTC)}",
    )
    sdn, alt = sdn_files(tmp_path, [*SDN_ROWS, bad])
    with pytest.raises(ImportFormatError, match=r"entry 9012.*bad XBT address") as info:
        read_ofac_sdn_csv(sdn, alt)
    assert info.value.line_number == 6
    rejected: list[ImportFormatError] = []
    found = read_ofac_sdn_csv(sdn, alt, rejected=rejected)
    assert [e.line_number for e in rejected] == [6]
    assert "PLACEHOLDER ENTITY TWELVE" in {i.name for i in found}
    assert len([i for i in found if i.kind == "crypto_address"]) == 5


def test_alt_csv_for_an_unknown_entry_or_bad_row(tmp_path: Path) -> None:
    sdn, alt = sdn_files(tmp_path, SDN_ROWS, [*ALT_ROWS, '7777,1,"aka","PLACEHOLDER",-0- '])
    with pytest.raises(ImportFormatError, match=r"ent_num 7777 in alt\.csv is not in") as info:
        read_ofac_sdn_csv(sdn, alt)
    assert info.value.line_number == 5
    sdn, alt = sdn_files(tmp_path, SDN_ROWS, ["9001,1,aka"])
    with pytest.raises(ImportFormatError, match="3 fields, expected 5"):
        read_ofac_sdn_csv(sdn, alt)


# --- OFAC SDN XML ----------------------------------------------------------------------------


def sdn_xml(
    namespace: str = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML",
    prefix: str = "",
) -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{namespace}"' if prefix else f'xmlns="{namespace}"'
    body = f"""<?xml version="1.0" standalone="yes"?>
<{p}sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {xmlns}>
  <{p}publshInformation><{p}Publish_Date>01/01/2024</{p}Publish_Date><{p}Record_Count>3</{p}Record_Count></{p}publshInformation>
  <{p}sdnEntry>
    <{p}uid>9101</{p}uid>
    <{p}lastName>ISLAMIC STATE OF IRAQ AND THE LEVANT</{p}lastName>
    <{p}sdnType>Entity</{p}sdnType>
    <{p}programList><{p}program>SDGT</{p}program><{p}program>FTO</{p}program></{p}programList>
    <{p}akaList>
      <{p}aka><{p}uid>1</{p}uid><{p}type>a.k.a.</{p}type><{p}category>strong</{p}category><{p}lastName>DAESH</{p}lastName></{p}aka>
      <{p}aka><{p}uid>2</{p}uid><{p}type>a.k.a.</{p}type><{p}category>weak</{p}category>
        <{p}lastName>PLACEHOLDER WEAK ALIAS</{p}lastName></{p}aka>
      <{p}aka><{p}uid>3</{p}uid><{p}type>a.k.a.</{p}type><{p}category>strong</{p}category><{p}lastName>{ISIL_AR}</{p}lastName></{p}aka>
    </{p}akaList>
    <{p}idList>
      <{p}id><{p}uid>11</{p}uid><{p}idType>Digital Currency Address - XBT</{p}idType>
        <{p}idNumber>{BTC}</{p}idNumber></{p}id>
      <{p}id><{p}uid>12</{p}uid><{p}idType>Website</{p}idType><{p}idNumber>example.org</{p}idNumber></{p}id>
    </{p}idList>
  </{p}sdnEntry>
  <{p}sdnEntry>
    <{p}uid>9102</{p}uid>
    <{p}firstName>Person Two</{p}firstName>
    <{p}lastName>PLACEHOLDER</{p}lastName>
    <{p}sdnType>Individual</{p}sdnType>
    <{p}programList><{p}program>SDGT</{p}program></{p}programList>
    <{p}akaList><{p}aka><{p}uid>4</{p}uid><{p}type>a.k.a.</{p}type><{p}category>strong</{p}category><{p}firstName>Alias</{p}firstName><{p}lastName>TWO</{p}lastName></{p}aka></{p}akaList>
  </{p}sdnEntry>
  <{p}sdnEntry>
    <{p}uid>9103</{p}uid>
    <{p}lastName>PLACEHOLDER ENTITY THREE</{p}lastName>
    <{p}sdnType>Entity</{p}sdnType>
    <{p}programList><{p}program>CYBER2</{p}program></{p}programList>
    <{p}idList>
      <{p}id><{p}uid>13</{p}uid><{p}idType>Digital Currency Address - ETH</{p}idType>
        <{p}idNumber>{ETH}</{p}idNumber></{p}id>
      <{p}id><{p}uid>14</{p}uid><{p}idType>Digital Currency Address - USDT</{p}idType>
        <{p}idNumber>{TRX}</{p}idNumber></{p}id>
    </{p}idList>
  </{p}sdnEntry>
</{p}sdnList>
"""
    return body


@pytest.mark.parametrize(
    ("namespace", "prefix"),
    [
        ("https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML", ""),
        ("http://tempuri.org/sdnList.xsd", ""),
        ("http://tempuri.org/sdnList.xsd", "sdn"),
    ],
)
def test_sdn_xml_any_namespace(tmp_path: Path, namespace: str, prefix: str) -> None:
    found = read_ofac_sdn_xml(write(tmp_path, "sdn.xml", sdn_xml(namespace, prefix)))
    names = {
        (i.name, i.kind, i.entity, i.weight, i.language)
        for i in found
        if i.kind != "crypto_address"
    }
    isil = "ISLAMIC STATE OF IRAQ AND THE LEVANT"
    assert names == {
        (isil, "entity", isil, 0.8, "und"),
        ("DAESH", "entity", isil, 0.8, "und"),
        ("PLACEHOLDER WEAK ALIAS", "entity", isil, 0.2, "und"),
        (ISIL_AR, "entity", isil, 0.8, "ar"),
        ("Person Two PLACEHOLDER", "person", "Person Two PLACEHOLDER", 0.4, "und"),
        ("Alias TWO", "person", "Person Two PLACEHOLDER", 0.4, "und"),
    }
    addresses = {(i.name, i.chain, i.reference) for i in found if i.kind == "crypto_address"}
    assert addresses == {
        (BTC, "BTC", "OFAC SDN 9101"),
        (ETH.lower(), "ETH", "OFAC SDN 9103"),
        (TRX, "USDT", "OFAC SDN 9103"),
    }


def test_sdn_xml_programs_filter(tmp_path: Path) -> None:
    path = write(tmp_path, "sdn.xml", sdn_xml())
    assert "PLACEHOLDER ENTITY THREE" in {i.name for i in read_ofac_sdn_xml(path, programs=None)}
    only = read_ofac_sdn_xml(path, programs=frozenset({"CYBER2"}))
    assert {i.name for i in only if i.kind != "crypto_address"} == {"PLACEHOLDER ENTITY THREE"}
    assert len([i for i in only if i.kind == "crypto_address"]) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("</sdnList>", ""), "not well-formed"),
        (lambda t: t[: len(t) * 2 // 3], "is the download complete"),
        (lambda t: t.replace("sdnList", "CONSOLIDATED_LIST"), "expected <sdnList>"),
        (lambda t: t.replace("<uid>9102</uid>", "<uid>x</uid>"), "'x' is not a number"),
        (lambda t: t.replace(TRX, flipped(TRX)), "entry 9103.*bad USDT address"),
        (lambda t: BILLION_LAUGHS.format(root="sdnList"), "DTD or entities"),
    ],
)
def test_sdn_xml_bad_files(tmp_path: Path, change: Callable[[str], str], message: str) -> None:
    with pytest.raises(ImportFormatError, match=message) as info:
        read_ofac_sdn_xml(write(tmp_path, "sdn.xml", change(sdn_xml())))
    assert info.value.line_number >= 1


def test_sdn_xml_bad_address_line_and_rejected_list(tmp_path: Path) -> None:
    text = sdn_xml().replace(TRX, flipped(TRX))
    path = write(tmp_path, "sdn.xml", text)
    with pytest.raises(ImportFormatError) as info:
        read_ofac_sdn_xml(path)
    assert "Digital Currency Address - USDT" in text.splitlines()[info.value.line_number - 1]
    rejected: list[ImportFormatError] = []
    found = read_ofac_sdn_xml(path, rejected=rejected)
    assert len(rejected) == 1
    assert {i.chain for i in found if i.kind == "crypto_address"} == {"BTC", "ETH"}
