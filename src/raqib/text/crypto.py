"""Crypto-asset addresses: find them in text and keep only those whose checksum verifies.

Supported (mainnet only; testnets and other networks are not reported):

- BTC: base58check P2PKH `1…` and P2SH `3…`; segwit `bc1q…` (bech32, BIP-173) and `bc1p…`/v2+
  (bech32m, BIP-350).
- LTC: base58check `L…`, `M…`; segwit `ltc1…`.   DOGE: `D…`, P2SH `9…`/`A…`.
- DASH: `X…`, `7…`.   ZEC: transparent `t1…`, `t3…`.   BTG: `G…`, `A…`.   XVG: `D…`, `E…`.
- BCH: CashAddr `bitcoincash:q…`/`p…` (also without the prefix). Legacy BCH and BSV addresses are
  byte-for-byte Bitcoin addresses and are reported as BTC.
- TRX: base58check `T…` (version byte 0x41).   XRP: base58check with Ripple's alphabet, `r…`.
- ETH and EVM chains (ETC, BSC, ARB, USDT/USDC tokens): `0x` + 40 hex, EIP-55 mixed-case
  checksum; an all-lowercase or all-uppercase address carries no checksum ("unchecked") unless it
  happens to equal its own EIP-55 form.
- XMR: standard `4…` and subaddress `8…` (95 characters), integrated `4…` (106 characters).
- XLM: Stellar account ids `G…` (56 characters, CRC16 checksum).
- SOL: only through `canonical_address("SOL", …)`; a Solana address is a bare 32-byte key with no
  checksum, so it is never reported from free text.

Canonical forms: ETH lowercase `0x…`; bech32 lowercase; CashAddr lowercase with the
`bitcoincash:` prefix; base58, Monero and Stellar as written.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import base58
import bech32
from Crypto.Hash import keccak

from raqib.errors import InputError

# OFAC's "Digital Currency Address - <code>" codes → the chain label we report.
OFAC_CURRENCY_CODES: dict[str, str] = {
    "XBT": "BTC",
    "BTC": "BTC",
    "ETH": "ETH",
    "XMR": "XMR",
    "LTC": "LTC",
    "ZEC": "ZEC",
    "DASH": "DASH",
    "BTG": "BTG",
    "ETC": "ETC",
    "BSV": "BSV",
    "BCH": "BCH",
    "XVG": "XVG",
    "USDT": "USDT",
    "USDC": "USDC",
    "XRP": "XRP",
    "TRX": "TRX",
    "ARB": "ARB",
    "BSC": "BSC",
    "SOL": "SOL",
    "XLM": "XLM",
    "DOGE": "DOGE",
}

EVM_CHAINS = frozenset({"ETH", "ETC", "ARB", "BSC", "USDT", "USDC"})
SUPPORTED_CHAINS = frozenset(OFAC_CURRENCY_CODES.values())
_BTC_FORKS = ("BTC", "BCH", "BSV")


@dataclass(frozen=True)
class CryptoAddress:
    """One address: its chain, canonical form and where it was found."""

    chain: str  # the chain the format belongs to: "BTC", "ETH", "TRX", "XMR", ...
    address: str  # canonical form
    start: int  # code-point offsets into the text passed in
    end: int
    checksum: str  # "valid" or "unchecked" (checksum-less ETH)


@dataclass(frozen=True)
class _Parsed:
    chain: str
    address: str
    checksum: str
    chains: tuple[str, ...]  # every chain label this address is valid for


# Base58check version prefixes → chains that use them (payload is always a 20-byte hash).
_BASE58_VERSIONS: dict[bytes, tuple[str, ...]] = {
    b"\x00": _BTC_FORKS,
    b"\x05": (*_BTC_FORKS, "LTC"),
    b"\x30": ("LTC",),
    b"\x32": ("LTC",),
    b"\x1e": ("DOGE", "XVG"),
    b"\x16": ("DOGE",),
    b"\x21": ("XVG",),
    b"\x4c": ("DASH",),
    b"\x10": ("DASH",),
    b"\x26": ("BTG",),
    b"\x17": ("BTG",),
    b"\x41": ("TRX", "USDT", "USDC"),
    b"\x1c\xb8": ("ZEC",),
    b"\x1c\xbd": ("ZEC",),
}
_SEGWIT_HRPS = {"bc": ("BTC",), "ltc": ("LTC",)}

# A candidate is a whole run of 14..110 ASCII letters and digits (optionally after a CashAddr
# prefix): a match can only begin where a run begins and tries at most ~100 lengths there, so
# the scan is linear in the text. Arabic letters, punctuation and spaces all end a run.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:(?i:bitcoincash):)?[0-9A-Za-z]{14,110}(?![0-9A-Za-z])")


def extract_addresses(text: str) -> list[CryptoAddress]:
    """Every checksum-valid address in `text` (or checksum-less ETH), in order of appearance."""
    if not isinstance(text, str):
        raise InputError(f"expected text (str), got {type(text).__name__}")
    found: list[CryptoAddress] = []
    for match in _CANDIDATE.finditer(text):
        parsed = _parse(match.group())
        if parsed is not None:
            found.append(_located(parsed, match.start(), match.end()))
    return found


def validate_address(address: str) -> CryptoAddress | None:
    """The chain and canonical form of one address (surrounding blanks ignored), or None."""
    if not isinstance(address, str):
        return None
    stripped = address.strip()
    if not 14 <= len(stripped) <= 130:
        return None
    parsed = _parse(stripped)
    if parsed is None:
        return None
    start = address.index(stripped)
    return _located(parsed, start, start + len(stripped))


def canonical_address(chain: str, address: str) -> str:
    """The canonical form of `address` on `chain` (a label of SUPPORTED_CHAINS or an OFAC code);
    raises ValueError naming why it is not a valid address there."""
    label = OFAC_CURRENCY_CODES.get(chain.strip().upper(), chain.strip().upper())
    if label not in SUPPORTED_CHAINS:
        raise ValueError(f"unsupported chain {chain!r}")
    text = address.strip()
    if label == "SOL":
        return _solana(text)
    parsed = _parse(text) if 14 <= len(text) <= 130 else None
    if parsed is None:
        raise ValueError(f"{text[:120]!r} is not a valid address (bad format or checksum)")
    if label not in parsed.chains:
        raise ValueError(f"{text[:120]!r} is a {parsed.chain} address, not a {label} address")
    return parsed.address


def _located(parsed: _Parsed, start: int, end: int) -> CryptoAddress:
    return CryptoAddress(parsed.chain, parsed.address, start, end, parsed.checksum)


@functools.lru_cache(maxsize=8192)  # spam repeats the same address; bounded memory
def _parse(token: str) -> _Parsed | None:
    """Try each format whose shape fits; the first that verifies wins."""
    for fits, decode in _FORMATS:
        if fits(token):
            parsed = decode(token)
            if parsed is not None:
                return parsed
    return None


# --- base58check (Bitcoin family, Tron, XRP) -------------------------------------------------


def _base58check(token: str, alphabet: bytes = base58.BITCOIN_ALPHABET) -> bytes | None:
    """The payload (version + hash) if the base58 string carries a valid 4-byte checksum."""
    try:
        value: int = base58.b58decode_int(token, alphabet=alphabet)
    except ValueError:
        return None
    # Leading zero bytes are written as the alphabet's first character. (Converting the integer
    # with to_bytes is twice as fast as the package's own b58decode byte loop.)
    zeros = len(token) - len(token.lstrip(chr(alphabet[0])))
    raw = b"\0" * zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")
    payload, check = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        return None
    return payload


def _bitcoin_family(token: str) -> _Parsed | None:
    payload = _base58check(token)
    if payload is None or len(payload) not in (21, 22):
        return None
    chains = _BASE58_VERSIONS.get(payload[:-20])
    if chains is None:
        return None
    return _Parsed(chains[0], token, "valid", chains)


def _ripple(token: str) -> _Parsed | None:
    payload = _base58check(token, base58.XRP_ALPHABET)
    if payload is None or len(payload) != 21 or payload[0] != 0:
        return None
    return _Parsed("XRP", token, "valid", ("XRP",))


def _solana(text: str) -> str:
    try:
        raw = base58.b58decode(text) if 32 <= len(text) <= 44 else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"{text[:120]!r} is not a Solana address (base58 of 32 bytes)")
    return text


# --- bech32 / bech32m segwit (BIP-173, BIP-350) ----------------------------------------------

_BECH32_CONSTANTS = {1: "bech32", 0x2BC830A3: "bech32m"}


def bech32_variant(text: str) -> tuple[str, list[int], str] | None:
    """(hrp, data without checksum, "bech32" | "bech32m") for a string whose checksum verifies.

    Written by hand: the installed `bech32` package (1.2.0, the BIP-173 reference code) only
    accepts the bech32 constant 1. BIP-350's bech32m differs only in the final constant
    0x2bc830a3, so this reuses the package's polymod and does the rest per BIP-173/350.
    """
    if len(text) > 90 or (text.lower() != text and text.upper() != text):
        return None
    if any(not 33 <= ord(c) <= 126 for c in text):
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        return None
    hrp, rest = text[:pos], text[pos + 1 :]
    if any(c not in bech32.CHARSET for c in rest):
        return None
    data = [bech32.CHARSET.find(c) for c in rest]
    variant = _BECH32_CONSTANTS.get(bech32.bech32_polymod(bech32.bech32_hrp_expand(hrp) + data))
    return None if variant is None else (hrp, data[:-6], variant)


def decode_segwit(hrp: str, address: str) -> tuple[int, bytes] | None:
    """(witness version, program) of a segwit address for `hrp`, checked per BIP-173/350."""
    decoded = bech32_variant(address)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _, data, variant = decoded
    version = data[0]
    program = bech32.convertbits(data[1:], 5, 8, False)
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    if variant != ("bech32" if version == 0 else "bech32m"):
        return None
    return version, bytes(program)


def _segwit(token: str) -> _Parsed | None:
    hrp = token[: token.rfind("1")].lower()
    chains = _SEGWIT_HRPS.get(hrp)
    if chains is None or decode_segwit(hrp, token) is None:
        return None
    return _Parsed(chains[0], token.lower(), "valid", chains)


# --- CashAddr (Bitcoin Cash) -----------------------------------------------------------------

_CASHADDR_PREFIX = "bitcoincash"
_CASHADDR_GENERATORS = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
_CASHADDR_HASH_BYTES = (20, 24, 28, 32, 40, 48, 56, 64)


def _cashaddr_polymod(values: Sequence[int]) -> int:
    """CashAddr's 40-bit BCH-code checksum, written by hand from the CashAddr specification
    (no installed package implements it)."""
    chk = 1
    for value in values:
        top = chk >> 35
        chk = ((chk & 0x07FFFFFFFF) << 5) ^ value
        for bit, generator in enumerate(_CASHADDR_GENERATORS):
            if (top >> bit) & 1:
                chk ^= generator
    return chk ^ 1


def _cashaddr(token: str) -> _Parsed | None:
    if token.lower() != token and token.upper() != token:
        return None
    prefix, separator, payload = token.lower().rpartition(":")
    if (separator and prefix != _CASHADDR_PREFIX) or any(c not in bech32.CHARSET for c in payload):
        return None
    data = [bech32.CHARSET.find(c) for c in payload]
    expanded = [ord(c) & 0x1F for c in _CASHADDR_PREFIX] + [0]
    if len(data) < 9 or _cashaddr_polymod(expanded + data) != 0:
        return None
    raw = bech32.convertbits(data[:-8], 5, 8, False)
    if not raw or raw[0] >> 3 not in (0, 1):  # type 0 = P2PKH, 1 = P2SH
        return None
    if len(raw) - 1 != _CASHADDR_HASH_BYTES[raw[0] & 0x07]:
        return None
    return _Parsed("BCH", f"{_CASHADDR_PREFIX}:{payload}", "valid", ("BCH", "BSV"))


# --- Ethereum (EIP-55) -----------------------------------------------------------------------

_HEX = frozenset("0123456789abcdefABCDEF")


def eip55(address: str) -> str:
    """The EIP-55 mixed-case form of a 0x + 40 hex address (keccak-256, not SHA3-256)."""
    body = address[2:]
    if address[:2] != "0x" or len(body) != 40 or any(c not in _HEX for c in body):
        raise ValueError(f"{address[:60]!r} is not 0x followed by 40 hex digits")
    lower = body.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()[:40]
    pairs = zip(lower, digest, strict=True)
    return "0x" + "".join(c.upper() if d in "89abcdef" else c for c, d in pairs)


def _ethereum(token: str) -> _Parsed | None:
    body = token[2:]
    if len(body) != 40 or any(c not in _HEX for c in body):
        return None
    if body.lower() == body or body.upper() == body:
        checksum = "unchecked"  # single-case: written without an EIP-55 checksum
    elif token == eip55(token):
        checksum = "valid"
    else:
        return None  # mixed case that is not the EIP-55 checksum: a typo
    return _Parsed("ETH", "0x" + body.lower(), checksum, _EVM_LABELS)


_EVM_LABELS = tuple(sorted(EVM_CHAINS))


# --- Monero ----------------------------------------------------------------------------------

# Monero's base58 works on 8-byte blocks, each written as exactly 11 characters; a final short
# block of n bytes takes _XMR_BLOCK_CHARS[n] characters. Written by hand: the `base58` package
# implements only whole-string base58.
_XMR_BLOCK_CHARS = (0, 2, 3, 5, 6, 7, 9, 10, 11)
_XMR_NETBYTES = {18: 69, 19: 77, 42: 69}  # standard, integrated, subaddress → decoded length


def monero_base58_decode(text: str) -> bytes | None:
    """Bytes of a Monero block-base58 string, or None if it is not one."""
    if len(text) % 11 not in _XMR_BLOCK_CHARS:
        return None
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start : start + 11]
        size = 8 if len(block) == 11 else _XMR_BLOCK_CHARS.index(len(block))
        try:
            value = base58.b58decode_int(block)
        except ValueError:
            return None
        if value >> (8 * size):
            return None
        out += value.to_bytes(size, "big")
    return bytes(out)


def _monero(token: str) -> _Parsed | None:
    raw = monero_base58_decode(token)
    if raw is None or _XMR_NETBYTES.get(raw[0]) != len(raw):
        return None
    digest = keccak.new(digest_bits=256, data=raw[:-4]).digest()
    if digest[:4] != raw[-4:]:
        return None
    return _Parsed("XMR", token, "valid", ("XMR",))


# --- Stellar ---------------------------------------------------------------------------------

_STELLAR_ACCOUNT = 6 << 3  # version byte of an ed25519 public key ("G…")


def _stellar(token: str) -> _Parsed | None:
    try:
        raw = base64.b32decode(token.encode("ascii"), casefold=False)
    except ValueError:
        return None
    if len(raw) != 35 or raw[0] != _STELLAR_ACCOUNT:
        return None
    crc = binascii.crc_hqx(raw[:-2], 0)  # CRC16-XModem, stored little-endian
    if crc.to_bytes(2, "little") != raw[-2:]:
        return None
    return _Parsed("XLM", token, "valid", ("XLM",))


def _is_hexlike_eth(token: str) -> bool:
    return token[:2] == "0x" and len(token) == 42


def _is_segwit(token: str) -> bool:
    return token[:3].lower() == "bc1" or token[:4].lower() == "ltc1"


_FORMATS: tuple[tuple[Callable[[str], bool], Callable[[str], _Parsed | None]], ...] = (
    (_is_hexlike_eth, _ethereum),
    (lambda t: ":" in t, _cashaddr),
    (_is_segwit, _segwit),
    (lambda t: len(t) in (95, 106) and t[0] in "48", _monero),
    (lambda t: len(t) == 56 and t[0] == "G", _stellar),
    (lambda t: t[0] in "qpQP" and len(t) >= 42, _cashaddr),
    (lambda t: 25 <= len(t) <= 35, _bitcoin_family),
    (lambda t: 25 <= len(t) <= 35 and t[0] == "r", _ripple),
)
