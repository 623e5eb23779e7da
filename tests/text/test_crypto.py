"""Crypto-asset addresses: published test vectors (BIP-173, BIP-350, EIP-55, CashAddr, SEP-23,
MoneroPy), addresses built from random bytes with independent encoders, flipped characters,
exact spans in Arabic and English sentences, hostile text and a 10 MB scan."""

from __future__ import annotations

import base64
import binascii
import random
import time

import base58
import bech32
import pytest
from Crypto.Hash import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.errors import InputError
from raqib.text.crypto import (
    OFAC_CURRENCY_CODES,
    SUPPORTED_CHAINS,
    bech32_variant,
    canonical_address,
    decode_segwit,
    eip55,
    extract_addresses,
    monero_base58_decode,
    validate_address,
)

RNG = random.Random(20240611)
B58 = base58.BITCOIN_ALPHABET.decode()

# BIP-173 "valid Bech32" and BIP-350 "valid Bech32m" strings.
BECH32_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
BECH32M_VALID = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11" + "l" * 83 + "udsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]
# BIP-350 valid segwit addresses and their scriptPubKey.
SEGWIT_VALID = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
]
# BIP-350 invalid segwit addresses (every reason in the list).
SEGWIT_INVALID = [
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
]
# EIP-55 examples: all-caps, all-lower and mixed-case checksummed addresses.
EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
# MoneroPy test data (via scure-base's vectors): address → decoded bytes.
MONERO_VECTORS = [
    (
        "4495qPNxDGAT241zya1WdwG5YU6RQ6s7ZgGeQryFtooAMMxoqx2N2oNTjP5NTqDf9GMaZ52iS2Q6xhnWyW16cdi47MCsVRg",
        "12426a2b555065c79b8d6293c5dd18c25a25bae1a8b8c67ceac7484133e6798579bba3444bd48d5d9fcffa64d"
        "805e3977b07e2d420a2212df3d612a5dbcc67653844ded707",
    ),
    (
        "47Mov77LGqgRoRh6K6XVheSagWVRS7jkQLCR9jPQxTa8g2SrnwbWuMzKWRLyyBFsxn7gHJv15987MDMkYXCXGGvhKA7Qsx4",
        "12975e989ae39b7b9445ac7384edb7a598efe3fbfab6c0bd72c5372fadd86071e95096d3b5eedd396ea5c5214"
        "56640fb27ebb5a222269eac49e1ddac7134735ea0efb2b899",
    ),
]
# CashAddr specification examples (the legacy form in the comment is the same hash).
CASHADDR_VECTORS = [
    "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",  # 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu
    "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy",  # 1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR
]
BASE58_VERSIONS = [
    (b"\x00", "BTC"),
    (b"\x05", "BTC"),
    (b"\x30", "LTC"),
    (b"\x32", "LTC"),
    (b"\x1e", "DOGE"),
    (b"\x16", "DOGE"),
    (b"\x21", "XVG"),
    (b"\x4c", "DASH"),
    (b"\x10", "DASH"),
    (b"\x26", "BTG"),
    (b"\x17", "BTG"),
    (b"\x41", "TRX"),
    (b"\x1c\xb8", "ZEC"),
    (b"\x1c\xbd", "ZEC"),
]


# --- independent encoders for generated addresses -------------------------------------------


def base58check(payload: bytes, alphabet: bytes = base58.BITCOIN_ALPHABET) -> str:
    return str(base58.b58encode_check(payload, alphabet=alphabet).decode())


def segwit_v0(hrp: str, program: bytes) -> str:
    address = bech32.encode(hrp, 0, program)  # the BIP-173 reference encoder
    assert address is not None
    return address


def bech32m_segwit(hrp: str, version: int, program: bytes) -> str:
    """BIP-350 encoding written from the spec, independent of the module under test."""
    five_bit = bech32.convertbits(program, 8, 5)
    assert five_bit is not None
    data = [version, *five_bit]
    values = bech32.bech32_hrp_expand(hrp) + data
    polymod = bech32.bech32_polymod([*values, 0, 0, 0, 0, 0, 0]) ^ 0x2BC830A3
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(bech32.CHARSET[d] for d in data + checksum)


def monero_encode(raw: bytes) -> str:
    """Monero block base58 from the spec, built on the `base58` package's integer encoder."""
    sizes = (0, 2, 3, 5, 6, 7, 9, 10, 11)
    blocks = (raw[i : i + 8] for i in range(0, len(raw), 8))
    return "".join(
        base58.b58encode_int(int.from_bytes(b, "big")).decode().rjust(sizes[len(b)], "1")
        for b in blocks
    )


def monero_address(netbyte: int, extra: int = 0) -> str:
    body = bytes([netbyte]) + RNG.randbytes(64 + extra)
    return monero_encode(body + keccak.new(digest_bits=256, data=body).digest()[:4])


def stellar_address() -> str:
    body = bytes([6 << 3]) + RNG.randbytes(32)
    return base64.b32encode(body + binascii.crc_hqx(body, 0).to_bytes(2, "little")).decode()


def generated_addresses() -> list[tuple[str, str]]:
    """(address, expected chain) built from random bytes for every supported format."""
    out = [(base58check(v + RNG.randbytes(20)), chain) for v, chain in BASE58_VERSIONS]
    out.append((base58check(b"\x00" + RNG.randbytes(20), base58.XRP_ALPHABET), "XRP"))
    out += [(segwit_v0("bc", RNG.randbytes(n)), "BTC") for n in (20, 32)]
    out.append((segwit_v0("ltc", RNG.randbytes(20)), "LTC"))
    out.append((bech32m_segwit("bc", 1, RNG.randbytes(32)), "BTC"))
    out.append((eip55("0x" + RNG.randbytes(20).hex()), "ETH"))
    out += [(monero_address(18), "XMR"), (monero_address(42), "XMR")]
    out.append((monero_address(19, extra=8), "XMR"))
    out.append((stellar_address(), "XLM"))
    return out


GENERATED = generated_addresses()


# --- published vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("text", BECH32_VALID)
def test_bip173_valid_strings_are_bech32(text: str) -> None:
    decoded = bech32_variant(text)
    assert decoded is not None and decoded[2] == "bech32"


@pytest.mark.parametrize("text", BECH32M_VALID)
def test_bip350_valid_strings_are_bech32m(text: str) -> None:
    decoded = bech32_variant(text)
    assert decoded is not None and decoded[2] == "bech32m"


@pytest.mark.parametrize(("address", "script"), SEGWIT_VALID)
def test_bip350_segwit_addresses_decode_to_their_script(address: str, script: str) -> None:
    hrp = address[:2].lower()
    decoded = decode_segwit(hrp, address)
    assert decoded is not None
    version, program = decoded
    op = 0 if version == 0 else 0x50 + version
    assert bytes([op, len(program)]).hex() + program.hex() == script


@pytest.mark.parametrize(("address", "script"), SEGWIT_VALID)
def test_mainnet_segwit_vectors_validate_as_btc_lowercase(address: str, script: str) -> None:
    found = validate_address(address)
    if address.lower().startswith("tb1"):
        assert found is None  # testnet is not reported
    else:
        assert found is not None and found.chain == "BTC" and found.address == address.lower()


@pytest.mark.parametrize("address", SEGWIT_INVALID)
def test_bip350_invalid_segwit_addresses_are_rejected(address: str) -> None:
    assert decode_segwit("bc", address) is None
    assert decode_segwit("tb", address) is None
    assert validate_address(address) is None


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_examples(address: str) -> None:
    assert eip55(address.lower()) == address
    found = validate_address(address)
    assert found is not None and found.chain == "ETH" and found.address == address.lower()
    mixed = address[2:] not in (address[2:].lower(), address[2:].upper())
    assert found.checksum == ("valid" if mixed else "unchecked")


def test_eth_mixed_case_with_one_letter_case_flipped_is_rejected() -> None:
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    index = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    flipped = address[:index] + address[index].swapcase() + address[index + 1 :]
    assert validate_address(flipped) is None
    with pytest.raises(ValueError, match="not a valid address"):
        canonical_address("ETH", flipped)


def test_eip55_uses_keccak_not_sha3() -> None:
    with pytest.raises(ValueError, match="40 hex"):
        eip55("0x1234")
    assert eip55("0x" + "0" * 40) == "0x" + "0" * 40


@pytest.mark.parametrize(("address", "hexbytes"), MONERO_VECTORS)
def test_monero_vectors(address: str, hexbytes: str) -> None:
    assert monero_base58_decode(address) == bytes.fromhex(hexbytes)
    found = validate_address(address)
    assert found is not None and found.chain == "XMR" and found.address == address


@pytest.mark.parametrize("address", CASHADDR_VECTORS)
def test_cashaddr_vectors_with_and_without_prefix_and_in_upper_case(address: str) -> None:
    payload = address.split(":")[1]
    for form in (address, payload, address.upper()):
        found = validate_address(form)
        assert found is not None and (found.chain, found.address) == ("BCH", address)
    assert canonical_address("BSV", payload) == address
    assert validate_address(address[:-1] + ("q" if address[-1] != "q" else "p")) is None


def test_stellar_sep23_vector() -> None:
    found = validate_address("GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ")
    assert found is not None and found.chain == "XLM"
    assert validate_address("GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGA") is None


def test_base58check_published_vector() -> None:
    found = validate_address("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH")
    assert found is not None and (found.chain, found.checksum) == ("BTC", "valid")


# --- generated addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(("address", "chain"), GENERATED)
def test_generated_addresses_validate_with_their_chain(address: str, chain: str) -> None:
    found = validate_address(address)
    assert found is not None
    assert found.chain == chain
    assert found.address == (address.lower() if chain == "ETH" else address)
    assert found.checksum == "valid"


@pytest.mark.parametrize(("address", "chain"), GENERATED)
def test_any_single_substituted_character_is_rejected(address: str, chain: str) -> None:
    alphabet = sorted(set(address[2:] if chain == "ETH" else address) | set(B58[:10]))
    rng = random.Random(address)
    for _ in range(25):
        index = rng.randrange(2 if chain == "ETH" else 1, len(address))
        choice = rng.choice([c for c in alphabet if c != address[index]])
        changed = address[:index] + choice + address[index + 1 :]
        found = validate_address(changed)
        assert found is None or found.address.lower() == address.lower(), changed


def test_generated_ltc_and_doge_through_ofac_codes() -> None:
    ltc = base58check(b"\x30" + RNG.randbytes(20))
    assert canonical_address("LTC", ltc) == ltc
    with pytest.raises(ValueError, match="LTC address, not a BTC address"):
        canonical_address("XBT", ltc)
    doge = base58check(b"\x1e" + RNG.randbytes(20))
    assert canonical_address("XVG", doge) == doge


def test_canonical_address_by_chain() -> None:
    eth = "0x" + RNG.randbytes(20).hex()
    for label in ("ETH", "ETC", "BSC", "ARB", "USDT", "USDC"):
        assert canonical_address(label, eth.upper().replace("0X", "0x")) == eth
    trx = base58check(b"\x41" + RNG.randbytes(20))
    assert canonical_address("USDT", trx) == trx
    legacy = base58check(b"\x00" + RNG.randbytes(20))
    assert canonical_address("BCH", legacy) == canonical_address("BSV", legacy) == legacy
    with pytest.raises(ValueError, match="unsupported chain"):
        canonical_address("NOPE", legacy)
    with pytest.raises(ValueError, match="not a valid address"):
        canonical_address("BTC", "PLACEHOLDER-17")


def test_solana_only_through_canonical_address() -> None:
    key = base58.b58encode(b"\x01" + RNG.randbytes(31)).decode()
    assert canonical_address("SOL", key) == key
    assert extract_addresses(f"reference {key} in the notice") == []
    with pytest.raises(ValueError, match="Solana"):
        canonical_address("SOL", key[:-3])


def test_ofac_codes_map_to_supported_chains() -> None:
    assert OFAC_CURRENCY_CODES["XBT"] == "BTC"
    assert set(OFAC_CURRENCY_CODES.values()) == SUPPORTED_CHAINS
    for code in ("ETH", "XMR", "LTC", "ZEC", "DASH", "BSV", "BCH", "TRX", "USDT", "USDC", "ARB"):
        assert code in OFAC_CURRENCY_CODES


# --- text extraction -------------------------------------------------------------------------


def test_spans_in_english_and_arabic_sentences() -> None:
    btc, eth = GENERATED[0][0], EIP55_VECTORS[4]
    xmr = MONERO_VECTORS[0][0]
    text = (
        f"The ferry timetable changed on Monday; the notice cites {btc}. "
        f"ارتفعت درجات الحرارة في المدينة اليوم، والرقم المرجعي {eth}، "
        f"وذكر التقرير الاقتصادي العنوان:{xmr} في الملحق."
    )
    found = extract_addresses(text)
    assert [text[a.start : a.end] for a in found] == [btc, eth, xmr]
    assert [a.chain for a in found] == ["BTC", "ETH", "XMR"]
    assert found[1].address == eth.lower() and found[1].checksum == "valid"


def test_address_attached_to_arabic_letters_is_found_but_not_inside_a_latin_word() -> None:
    btc = GENERATED[0][0]
    text = f"والمحفظة{btc}وغيرها"
    (found,) = extract_addresses(text)
    assert text[found.start : found.end] == btc
    assert extract_addresses(f"wallet{btc}") == []
    assert extract_addresses(f"{btc}x") == []


def test_cashaddr_span_includes_the_prefix() -> None:
    text = f"Market report ({CASHADDR_VECTORS[0].upper()}) for the week."
    (found,) = extract_addresses(text)
    assert text[found.start : found.end] == CASHADDR_VECTORS[0].upper()
    assert found.address == CASHADDR_VECTORS[0]


def test_every_generated_address_is_found_in_running_text() -> None:
    words = ["The", "rail", "strike", "ended.", "الطقس", "معتدل", "اليوم."]
    pieces, expected = [], []
    for address, chain in GENERATED:
        pieces += [RNG.choice(words), address]
        expected.append((address, chain))
    text = " ".join(pieces)
    found = extract_addresses(text)
    assert [(text[a.start : a.end], a.chain) for a in found] == expected


def test_lowercase_eth_is_unchecked_and_flipped_base58_is_not_reported() -> None:
    eth = "0x" + RNG.randbytes(20).hex()
    btc = GENERATED[0][0]
    flipped = btc[:-1] + ("2" if btc[-1] != "2" else "3")
    found = extract_addresses(f"Scores: {eth} and {flipped}.")
    assert [(a.address, a.checksum) for a in found] == [(eth, "unchecked")]


def test_non_text_input_is_an_input_error() -> None:
    with pytest.raises(InputError, match="expected text"):
        extract_addresses(b"bytes")  # type: ignore[arg-type]
    assert validate_address(b"bytes") is None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(B58 + "0xqlO:bc ١\u200f؛ \n"), max_size=300))
def test_any_text_is_handled_and_spans_are_exact(text: str) -> None:
    for found in extract_addresses(text):
        assert validate_address(text[found.start : found.end]) is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_validate_never_raises(text: str) -> None:
    validate_address(text)
    with pytest.raises(ValueError):
        canonical_address("BTC", text + "\x00")


def test_ten_megabytes_in_linear_time() -> None:
    btc = GENERATED[0][0]
    paragraph = (
        "Markets closed higher on Tuesday as the weather stayed mild. "
        "أغلقت الأسواق على ارتفاع يوم الثلاثاء مع اعتدال الطقس. "
    ) * 20 + f" ref {btc} "
    text = paragraph * (10_000_000 // len(paragraph))
    adversarial = ("1" * 30 + " ") * 330_000  # 10 MB of base58-looking tokens
    started = time.perf_counter()
    found = extract_addresses(text)
    extract_addresses(adversarial)
    extract_addresses("a" * 10_000_000)
    assert len(found) == 10_000_000 // len(paragraph)
    assert time.perf_counter() - started < 30
