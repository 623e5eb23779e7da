"""Find script loaders injected into a saved web page, and decode them without running anything.

Compromised pages carry a small loader that fetches the real payload from elsewhere; the loader
hides its target behind one or more encodings. This module finds such loaders in HTML and peels
the encodings off *statically*: a hand-written JavaScript tokenizer plus a shift-reduce pass
folds the few constructs obfuscators use (no library decodes JavaScript obfuscation without
executing it, and nothing here is ever executed, rendered or fetched). What is left is searched
for the loaded URL, its host and IP, which are reported as indicators (IoCs).

Techniques (``InjectedScript.technique``; a finding that combines several joins them with ``+``,
outermost first, e.g. ``fromcharcode_chain+eval_atob+raw_ip_script_src``):

- ``data_uri_script``: ``<script src="data:...">`` (or a script ``data:`` URI inside code).
- ``eval_atob`` / ``document_write_atob``: base64 (``atob``, ``window.atob``) run by ``eval``,
  ``Function``, ``setTimeout``/``setInterval`` or written by ``document.write``; ``eval_atob`` is
  also reported for ``eval(atob(x))`` whose argument cannot be decoded statically.
- ``eval_unescape`` / ``document_write_unescape``: percent-encoding (``unescape``,
  ``decodeURI[Component]``) with at least 3 escapes, run or written as above.
- ``atob_string`` / ``unescape_string``: the same decodings not run directly, when the decoded
  text holds a URL, a ``<script``/``<iframe`` tag or script-like code.
- ``fromcharcode_chain``: ``String.fromCharCode(104,116,...)`` (also ``.apply``/``.call`` and
  ``+`` concatenations of single calls) spelling at least 8 characters.
- ``hex_escape``: string literals spelling at least 6 letters/digits as ``\\xNN``, ``\\uNNNN``,
  ``\\u{...}`` or octal escapes (escaping plain letters has no use but hiding them).
- ``reversed_string``: ``'...'.split('').reverse().join('')`` of at least 8 characters.
- ``raw_ip_script_src`` / ``raw_ip_iframe_src``: a script or (i)frame ``src`` whose host is an IPv4
  or IPv6 literal (also the browser's decimal/hex/octal IPv4 forms), in markup or in code;
  ``raw_ip_redirect`` and ``raw_ip_url`` for navigation to / a URL literal with such a host in
  an otherwise flagged script or handler. Loopback and unspecified addresses are not reported.
- ``cookie_gated_redirect``: code touching ``document.cookie`` that navigates (``location =``,
  ``location.href =``, ``location.replace/assign``, ``top.location``...) to an absolute URL literal,
  when it both reads and sets the cookie (the "run once" marker) or was hidden by an encoding.
- ``meta_refresh_raw_ip`` / ``meta_refresh_script_uri``: ``<meta http-equiv=refresh>`` to a raw
  IP, or to a ``javascript:``/``data:`` URI.
- ``in_comment``: prefixed to findings in markup inside HTML comments (including IE conditional
  comments). Such scripts are not live in modern browsers, but a commented-out loader still marks
  a tampered page, so they are reported, labelled, rather than ignored.

Inline code is checked in ``<script>`` elements of a JavaScript type, ``on*`` event-handler
attributes and ``javascript:`` URLs. Limits: 8 decoding layers, 1 MB per decoded value, 2 MB of
inline code decoded per page (the rest is only pattern-checked), 10,000 checked elements, 200
findings; every step is linear in the size of the input.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import idna
from selectolax.lexbor import LexborHTMLParser, LexborNode

MAX_HTML_CHARS = 20_000_000
MAX_LAYERS = 8
MAX_DECODED_CHARS = 1_000_000
MAX_CHECKS = 10_000
MAX_DECODED_CODE_CHARS = 2_000_000  # per document; later code is only pattern-checked
MAX_FINDINGS = 200
MAX_URLS_PER_FINDING = 20
EVIDENCE_CHARS = 200

_MIN_CHARCODE_CHARS = 8
_MIN_ESCAPED_ALNUM = 6
_MIN_PERCENT_ESCAPES = 3
_MIN_REVERSED_CHARS = 8


@dataclass(frozen=True)
class InjectedScript:
    """One suspicious script, handler or frame, with what its decoded form points to."""

    technique: str
    iocs: tuple[dict[str, str], ...]
    evidence: str
    layers: int

    def as_dict(self) -> dict[str, object]:
        return {
            "technique": self.technique,
            "iocs": [dict(ioc) for ioc in self.iocs],
            "evidence": self.evidence,
            "layers": self.layers,
        }


@dataclass(frozen=True)
class ScanResult:
    """Findings for one document, and what was not checked because of a limit."""

    findings: tuple[InjectedScript, ...]
    errors: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# JavaScript tokenizer (hand-written: linear, tolerant of broken code, never evaluates anything)
# ---------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s++)
  | (?P<comment>//[^\n]*+|<!--[^\n]*+|/\*(?:[^*]|\*(?!/))*+(?:\*/)?)
  | (?P<str>'(?:[^'\\\n]|\\(?:\r\n|[\s\S]))*+'?|"(?:[^"\\\n]|\\(?:\r\n|[\s\S]))*+"?)
  | (?P<tpl>`(?:[^`\\]|\\[\s\S])*+`?)
  | (?P<num>0[xXoObB][0-9a-fA-F_]++|\d[\d_]*+(?:\.\d*+)?(?:[eE][+-]?\d++)?|\.\d++)
  | (?P<name>[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*+)
  | (?P<punct>===|!==|==|!=|=>|\+\+|\+=|--|&&|\|\||[\s\S])
    """,
    re.VERBOSE,
)
_REGEX_LITERAL = re.compile(r"/(?![*/])(?:[^/\\\[\n]|\\[^\n]|\[(?:[^\]\\\n]|\\[^\n])*+\]?)++/\w*")
_KEYWORDS_BEFORE_EXPRESSION = frozenset(
    {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw"}
)
_JS_ESCAPE = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}"
    r"|([0-3][0-7]{0,2}|[4-7][0-7]?)|(\r\n|[\s\S]))"
)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class _Tok:
    """A token; string tokens carry their decoded value and how it was obtained."""

    kind: str  # "str", "num", "name", "punct", "other", "array", "code"
    text: str
    pos: int
    space: bool = False
    value: str = ""
    number: int | None = None
    numbers: tuple[int, ...] = ()
    depth: int = 0  # encoding layers folded into this value
    pending: frozenset[str] = frozenset()  # decodings not yet named as a technique
    charcodes: int = 0
    escapes: int = 0
    percents: int = 0
    chunks: list[str] | None = None  # concatenated later parts, joined on first read

    def val(self) -> str:
        """The string value (joins pending concatenations once: linear, not quadratic)."""
        if self.chunks:
            self.value = "".join([self.value, *self.chunks])[:MAX_DECODED_CHARS]
            self.chunks = None
        return self.value


def _fix_surrogates(text: str) -> str:
    """Join escaped surrogate pairs; replace lone surrogates (they cannot be encoded)."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _js_unescape(body: str) -> tuple[str, int]:
    """Value of a string-literal body, and how many escapes spelled an ASCII letter or digit."""
    if "\\" not in body:
        return body, 0
    hidden = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal hidden
        hex2, hex4, braced, octal, other = match.groups()
        if other is not None:
            return "" if other in ("\n", "\r\n", "\r") else _SIMPLE_ESCAPES.get(other, other)
        digits = hex2 or hex4 or braced
        code = int(digits, 16) if digits else int(octal, 8)
        char = chr(min(code, 0x10FFFF))
        if char.isascii() and char.isalnum():
            hidden += 1
        return char

    return _fix_surrogates(_JS_ESCAPE.sub(replace, body)), hidden


def _parse_number(text: str) -> int | None:
    digits = text.replace("_", "")
    try:
        if digits[:2].lower() in ("0x", "0o", "0b"):
            return int(digits, 0)
        if len(digits) > 1 and digits[0] == "0" and digits.isdigit():
            return int(digits, 8) if "8" not in digits and "9" not in digits else int(digits)
        if digits.isdigit():
            return int(digits)
        number = float(digits)
    except (ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else None


def _string_token(text: str, pos: int, space: bool) -> _Tok:
    quote = text[0]
    body = text[1:-1] if len(text) > 1 and text[-1] == quote else text[1:]
    value, hidden = _js_unescape(body)
    pending = frozenset({"escape"}) if hidden else frozenset()
    depth = 1 if hidden >= _MIN_ESCAPED_ALNUM else 0
    return _Tok("str", text, pos, space, value=value, depth=depth, pending=pending, escapes=hidden)


def _is_operand(tok: _Tok | None) -> bool:
    if tok is None:
        return False
    if tok.kind == "name":
        return tok.text not in _KEYWORDS_BEFORE_EXPRESSION
    return tok.kind in ("str", "num", "array", "code") or tok.text in (")", "]")


def _is_lt(tok: _Tok | None) -> bool:
    """``</`` closes a tag in written markup: not the start of a regular expression."""
    return tok is not None and tok.text == "<"


def _lex(code: str) -> Iterable[_Tok]:
    """Yield the significant tokens of `code`; comments and whitespace only set `space`."""
    pos, size, space, previous = 0, len(code), False, None
    while pos < size:
        if code[pos] == "/" and not _is_operand(previous) and not _is_lt(previous):
            regex = _REGEX_LITERAL.match(code, pos)
            if regex:
                previous = _Tok("other", regex.group(), pos, space)
                yield previous
                pos, space = regex.end(), False
                continue
        match = _TOKEN_RE.match(code, pos)
        if match is None:  # unreachable: the last alternative takes any character
            break
        kind, text = match.lastgroup or "punct", match.group()
        if kind in ("space", "comment"):
            space = True
        else:
            previous = _make_token(kind, text, pos, space)
            yield previous
            space = False
        pos = match.end()


def _make_token(kind: str, text: str, pos: int, space: bool) -> _Tok:
    if kind == "str":
        return _string_token(text, pos, space)
    if kind == "tpl":
        body = text[1:-1] if len(text) > 1 and text.endswith("`") else text[1:]
        if "${" in body:
            return _Tok("other", text, pos, space)
        return _string_token(text, pos, space)
    if kind == "num":
        return _Tok("num", text, pos, space, number=_parse_number(text))
    return _Tok(kind, text, pos, space)


# ---------------------------------------------------------------------------------------------
# Folding: one pass of shift-reduce over the tokens (hand-written static decoding)
# ---------------------------------------------------------------------------------------------

_GLOBAL_OBJECTS = frozenset({"window", "self", "top", "parent", "globalThis", "this", "frames"})
_EXEC_SINKS = frozenset({"eval", "execScript", "Function", "setTimeout", "setInterval"})
_PERCENT_DECODERS = frozenset({"unescape", "decodeURIComponent", "decodeURI"})
_THIS_ARGS = frozenset({"null", "this", "undefined", "String", "window", "void"})
_INTERESTING = re.compile(
    r"https?:|//[\w-]+\.|<\s*(?:script|iframe|meta)|\beval\b|\bdocument\s*\.|\bwindow\s*\."
    r"|\blocation\b|fromCharCode|\batob\b|\bunescape\b",
    re.IGNORECASE,
)
_PERCENT_ESCAPE = re.compile(r"%(?:[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")
_DATA_SCRIPT_URI = re.compile(
    r"data:(?:text|application)/(?:x-)?(?:java|ecma)script[^,]{0,100},", re.IGNORECASE
)


@dataclass
class _PassResult:
    output: str
    changed: bool  # something was decoded or unwrapped: run another pass
    merged: bool  # only literal concatenations were folded
    depth: int
    techniques: list[tuple[str, int]]
    first_pos: int


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r") + "'"


def _decode_base64(text: str) -> str | None:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _bytes_to_text(raw)


def _bytes_to_text(raw: bytes) -> str:
    """UTF-8 when valid, else Latin-1 (what ``atob`` gives: one character per byte)."""
    try:
        return raw[:MAX_DECODED_CHARS].decode("utf-8")
    except UnicodeDecodeError:
        return raw[:MAX_DECODED_CHARS].decode("latin-1")


def _decode_percent(text: str) -> tuple[str, int]:
    escapes = len(_PERCENT_ESCAPE.findall(text))
    if not escapes:
        return text, 0
    unicode_form = re.sub(r"%u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    decoded = unquote(unicode_form, errors="replace")
    return _fix_surrogates(decoded), escapes


class _Reducer:
    """Folds literal concatenations, decoder calls and sinks as tokens are pushed."""

    def __init__(self, budget: int) -> None:
        self.stack: list[_Tok] = []
        self.budget = budget
        self.changed = False
        self.merged = False
        self.depth = 0
        self.techniques: list[tuple[str, int]] = []
        self.first_pos = -1
        self.appended: list[str] = []

    def push(self, tok: _Tok) -> None:
        if not (tok.kind == "punct" and tok.text in ".[("):
            self._fold_concat()
        if tok.kind == "str" and tok.depth:
            self._decoded(tok)  # a literal spelled with escapes
        self.stack.append(tok)
        if tok.kind == "punct" and tok.text == ")":
            self._fold_call()
        elif tok.kind == "punct" and tok.text == "]":
            self._fold_array()

    def finish(self) -> str:
        self._fold_concat()
        for tok in self.stack:
            if tok.kind == "str":
                self._settle(tok, None)
                self._open_data_uri(tok)
        parts = []
        for tok in self.stack:
            text = tok.text
            if tok.kind == "str":
                text = _quote(tok.val())
            elif tok.kind == "code":
                text = "\n" + tok.value + "\n"
            parts.append(" " + text if tok.space else text)
        return "".join(parts) + "".join("\n" + extra + "\n" for extra in self.appended)

    # -- naming ------------------------------------------------------------------------------

    def _note(self, technique: str, pos: int) -> None:
        self.techniques.append((technique, pos))
        self._mark(pos)

    def _mark(self, pos: int) -> None:
        if self.first_pos < 0 or pos < self.first_pos:
            self.first_pos = pos

    def _settle(self, tok: _Tok, sink: str | None) -> None:
        """Name the decodings a value went through, now that its use (`sink`) is known."""
        for kind in sorted(tok.pending):
            name = _technique_for(kind, sink, tok)
            if name:
                self._note(name, tok.pos)
        decoded = tok.pending & {"base64", "percent", "charcode", "reverse"}
        if sink is None and decoded and tok.depth and _INTERESTING.search(tok.val()):
            self.appended.append(tok.val())  # decoded code kept in a variable: read it too
            self.changed = True
        tok.pending = frozenset()

    def _open_data_uri(self, tok: _Tok) -> None:
        match = _DATA_SCRIPT_URI.match(tok.val().lstrip())
        if match is None or self.budget < 1:
            return
        payload = _decode_data_uri(tok.val().lstrip())
        if payload is not None:
            self._note("data_uri_script", tok.pos)
            self.appended.append(payload)
            self.changed = True
            self.depth = max(self.depth, 1)

    # -- folds -------------------------------------------------------------------------------

    def _fold_concat(self) -> None:
        stack = self.stack
        while (
            len(stack) >= 3
            and stack[-1].kind == "str"
            and stack[-2].kind == "punct"
            and stack[-2].text == "+"
            and stack[-3].kind == "str"
        ):
            right = stack.pop()
            stack.pop()
            left = stack[-1]
            if left.chunks is None:
                left.chunks = []
            left.chunks.append(right.val())
            left.depth = max(left.depth, right.depth)
            left.pending |= right.pending
            left.charcodes += right.charcodes
            left.escapes += right.escapes
            left.percents += right.percents
            self.merged = True

    def _fold_array(self) -> None:
        stack, index, numbers = self.stack, len(self.stack) - 2, []
        while index >= 0 and (stack[index].kind == "num" or stack[index].text == ","):
            if stack[index].kind == "num":
                numbers.append(stack[index].number)
            index -= 1
        if index < 0 or stack[index].text != "[" or not numbers or None in numbers:
            return
        values = tuple(n for n in reversed(numbers) if n is not None)
        start = stack[index]
        text = "[" + ",".join(str(n) for n in values) + "]"
        del stack[index:]
        stack.append(_Tok("array", text, start.pos, start.space, numbers=values))

    def _fold_call(self) -> None:
        stack, index = self.stack, len(self.stack) - 2
        while index >= 0 and _is_simple_arg(stack[index]):
            index -= 1
        if index < 0 or stack[index].kind != "punct" or stack[index].text != "(":
            return
        args = _split_args(stack[index + 1 : -1])
        if args is None:
            return
        if self._fold_reverse(index, args):
            return
        names, start = _callee(stack, index)
        result = self._apply(names, args)
        if result is None:
            if (
                not names
                and len(args) == 1
                and args[0].kind == "str"
                and not _is_operand(stack[index - 1] if index else None)
            ):
                result, start = args[0], index  # grouping parentheses around one literal
            else:
                return
        result.pos, result.space = stack[start].pos, stack[start].space
        del stack[start:]
        stack.append(result)

    def _fold_reverse(self, open_index: int, args: list[_Tok]) -> bool:
        """``'...'.split('').reverse().join('')`` -> the reversed literal."""
        if open_index < 12:
            return False
        window = self.stack[open_index - 12 : open_index]
        shape = [t.text if t.kind != "str" else "S" for t in window]
        expected = ["S", ".", "split", "(", "S", ")", ".", "reverse", "(", ")", ".", "join"]
        if len(window) != 12 or shape != expected or len(args) != 1 or args[0].kind != "str":
            return False
        if window[4].val() != "" or args[0].val() != "":
            return False
        source = window[0]
        if source.depth + 1 > self.budget:
            return False
        result = _derived(source, source.val()[::-1], "reverse")
        result.pos, result.space = source.pos, source.space
        self._decoded(result)
        del self.stack[open_index - 12 :]
        self.stack.append(result)
        return True

    def _decoded(self, tok: _Tok) -> None:
        self.depth = max(self.depth, tok.depth)
        self.changed = True
        self._mark(tok.pos)

    def _apply(self, names: list[str], args: list[_Tok]) -> _Tok | None:
        """Fold a call to a known decoder or sink; None when it is not one (or not literal)."""
        if not names:
            return None
        last, qualifier = names[-1], names[:-1]
        plain = not qualifier or (len(qualifier) == 1 and qualifier[0] in _GLOBAL_OBJECTS)
        if last == "atob" and plain:
            return self._decode_call(args, "base64")
        if last in _PERCENT_DECODERS and plain:
            return self._decode_call(args, "percent")
        if names[-2:] == ["String", "fromCharCode"] and len(names) <= 3:
            return self._charcode_call(args)
        if names[-3:] in (["String", "fromCharCode", "apply"], ["String", "fromCharCode", "call"]):
            return self._charcode_indirect(last, args)
        if last in _EXEC_SINKS and (plain or qualifier == ["new"]):
            return self._sink(args, "exec", last)
        if names[-2:] in (["document", "write"], ["document", "writeln"]) and len(names) <= 3:
            return self._sink(args, "write", last)
        return None

    def _decode_call(self, args: list[_Tok], kind: str) -> _Tok | None:
        if len(args) != 1 or args[0].kind != "str" or args[0].depth + 1 > self.budget:
            return None
        source = args[0]
        if kind == "base64":
            value = _decode_base64(source.val())
            if value is None:
                return None
            result = _derived(source, value, "base64")
        else:
            value, escapes = _decode_percent(source.val())
            if not escapes:
                return None
            result = _derived(source, value, "percent")
            result.percents += escapes
        self._decoded(result)
        return result

    def _charcode_call(self, args: list[_Tok]) -> _Tok | None:
        if not args or any(a.kind != "num" or a.number is None for a in args):
            return None
        return self._charcodes(tuple(a.number for a in args if a.number is not None), args[0])

    def _charcode_indirect(self, method: str, args: list[_Tok]) -> _Tok | None:
        if not args or args[0].text not in _THIS_ARGS:
            return None
        rest = args[1:]
        if method == "apply":
            if len(rest) != 1 or rest[0].kind != "array":
                return None
            return self._charcodes(rest[0].numbers, rest[0])
        return self._charcode_call(rest)

    def _charcodes(self, codes: tuple[int, ...], first: _Tok) -> _Tok | None:
        if self.budget < 1:
            return None
        value = _fix_surrogates("".join(chr(c & 0xFFFF) for c in codes[:MAX_DECODED_CHARS]))
        result = _Tok("str", "", first.pos, value=value, depth=1, pending=frozenset({"charcode"}))
        result.charcodes = len(value)
        self._decoded(result)
        return result

    def _sink(self, args: list[_Tok], sink: str, name: str) -> _Tok | None:
        if not args:
            return None
        if name in ("setTimeout", "setInterval"):
            payload_args = args[:1]
        elif name == "Function":
            payload_args = args[-1:]
        else:
            payload_args = args
        if any(a.kind != "str" for a in payload_args):
            return None
        for arg in payload_args:
            self._settle(arg, sink)
        value = "".join(a.val() for a in payload_args)[:MAX_DECODED_CHARS]
        depth = max(a.depth for a in payload_args)
        self.changed = True
        self._mark(payload_args[0].pos)
        return _Tok("code", "", payload_args[0].pos, value=value, depth=depth)


def _derived(source: _Tok, value: str, kind: str) -> _Tok:
    return _Tok(
        "str",
        "",
        source.pos,
        value=value[:MAX_DECODED_CHARS],
        depth=source.depth + 1,
        pending=source.pending | {kind},
        charcodes=source.charcodes,
        escapes=source.escapes,
        percents=source.percents,
    )


def _technique_for(kind: str, sink: str | None, tok: _Tok) -> str | None:
    """The technique a decoding is reported as, given how its result is used."""
    if kind == "charcode":
        return "fromcharcode_chain" if tok.charcodes >= _MIN_CHARCODE_CHARS else None
    if kind == "escape":
        return "hex_escape" if tok.escapes >= _MIN_ESCAPED_ALNUM else None
    if kind == "reverse":
        return "reversed_string" if len(tok.val()) >= _MIN_REVERSED_CHARS else None
    if kind == "percent" and tok.percents < _MIN_PERCENT_ESCAPES:
        return None
    stem = {"base64": "atob", "percent": "unescape"}.get(kind)
    if stem is None:
        return None
    if sink == "exec":
        return f"eval_{stem}"
    if not _INTERESTING.search(tok.val()):
        return None
    return f"document_write_{stem}" if sink == "write" else f"{stem}_string"


def _is_simple_arg(tok: _Tok) -> bool:
    if tok.kind in ("str", "num", "array"):
        return True
    if tok.kind == "name":
        return tok.text in _THIS_ARGS
    return tok.kind == "punct" and tok.text == ","


def _split_args(tokens: list[_Tok]) -> list[_Tok] | None:
    """``a , b , c`` -> [a, b, c]; None unless each argument is a single token."""
    if not tokens:
        return []
    args = tokens[0::2]
    commas = tokens[1::2]
    if len(tokens) % 2 == 0 or any(t.text != "," for t in commas):
        return None
    if any(t.kind == "punct" for t in args):
        return None
    return args


def _callee(stack: list[_Tok], open_index: int) -> tuple[list[str], int]:
    """Dotted name (``window.atob``) before the ``(`` at `open_index`, and where it starts."""
    names: list[str] = []
    index = open_index - 1
    start = open_index
    while index >= 0 and stack[index].kind == "name" and len(names) < 4:
        names.append(stack[index].text)
        start = index
        if index >= 2 and stack[index - 1].text == "." and stack[index - 2].kind == "name":
            index -= 2
        else:
            break
    if names and start >= 1 and stack[start - 1].text == "new" and names[0] == "Function":
        names.append("new")
        start -= 1
    if start >= 1 and stack[start - 1].text == ".":
        return [], open_index  # a method of some other expression: not a global call
    return list(reversed(names)), start


def _run_pass(code: str, budget: int) -> _PassResult:
    reducer = _Reducer(budget)
    for tok in _lex(code):
        reducer.push(tok)
    output = reducer.finish()
    return _PassResult(
        output=output,
        changed=reducer.changed,
        merged=reducer.merged,
        depth=reducer.depth,
        techniques=reducer.techniques,
        first_pos=reducer.first_pos,
    )


def _decode_data_uri(uri: str) -> str | None:
    """Payload of a ``data:`` URI (base64 or percent-encoded), or None when malformed."""
    head, comma, payload = uri.partition(",")
    if not comma:
        return None
    if head.lower().rstrip().endswith(";base64"):
        return _decode_base64(unquote(payload[: MAX_DECODED_CHARS * 2]))
    raw = unquote_to_bytes(payload[: MAX_DECODED_CHARS * 3])
    return _bytes_to_text(raw)


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------

_MAY_FOLD = re.compile(
    r"fromCharCode|atob|unescape|decodeURI|\\[xu0-7]|eval|Function|setTimeout|setInterval"
    r"|execScript|write|reverse|(?i:data:)|['\"`]\s*\+\s*['\"`]"
)


@dataclass
class _Decoding:
    texts: list[str]  # the input, then each decoded layer: the last is the innermost
    layers: int
    techniques: list[str] = field(default_factory=list)
    first_pos: int = -1


def _decode(code: str, max_layers: int) -> _Decoding:
    result = _Decoding(texts=[code], layers=0)
    if max_layers <= 0 or not _MAY_FOLD.search(code):
        return result
    current = code
    for pass_number in range(max_layers + 2):
        budget = max_layers - result.layers
        step = _run_pass(current, max(budget, 0))
        for technique, _ in step.techniques:
            if technique not in result.techniques:
                result.techniques.append(technique)
        if pass_number == 0:
            result.first_pos = step.first_pos
        if not (step.changed or step.merged) or step.output == current:
            break
        result.layers += step.depth
        result.texts.append(step.output)
        current = step.output
        if not step.changed or result.layers >= max_layers:
            break
    return result


def decode_layers(code: str, max_layers: int = MAX_LAYERS) -> tuple[str, int]:
    """Innermost statically decoded form of `code` and how many encoding layers were removed.

    Nothing is executed: decoder calls on literals (``atob``, ``unescape``,
    ``String.fromCharCode``...) and string escapes are folded, ``eval``/``document.write`` of a
    literal is replaced by its text, and the result is decoded again, up to `max_layers`.
    """
    decoding = _decode(code[:MAX_HTML_CHARS], max(0, min(max_layers, 64)))
    return decoding.texts[-1], decoding.layers


# ---------------------------------------------------------------------------------------------
# URLs, hosts and IoCs
# ---------------------------------------------------------------------------------------------

_URL_BODY = r"""[^\s"'<>\\`]+"""
_SRC_URL = re.compile(r"""\bsrc\s*=\s*["']?\s*((?:https?:)?//""" + _URL_BODY + ")", re.I)
_SET_SRC_URL = re.compile(
    r"""setAttribute\s*\(\s*["']src["']\s*,\s*["']((?:https?:)?//""" + _URL_BODY + ")", re.I
)
_NAV_URL = re.compile(
    r"""(?:\blocation\s*(?:\.\s*href\s*)?=|\blocation\s*\.\s*(?:replace|assign)\s*\("""
    r"""|\bwindow\s*\.\s*open\s*\()\s*["']((?:https?:)?//""" + _URL_BODY + ")"
)
_HTTP_URL = re.compile(r"https?://" + _URL_BODY, re.I)
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|\d+")
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")
_URL_IGNORED = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL


@dataclass(frozen=True)
class _Url:
    context: str  # "src", "nav" or "literal"
    url: str
    host: str
    is_ip: bool


def _parse_ipv4(host: str) -> str | None:
    """Browser (WHATWG) IPv4 parsing: ``3221225985``, ``0xC0.0.2.1`` and ``0300.0.2.1`` too."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4 or not _IPV4_PART.fullmatch(parts[-1]):
        return None
    numbers = []
    for part in parts:
        if not _IPV4_PART.fullmatch(part):
            return None
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part[0] == "0":
            if not set(part) <= set("01234567"):
                return None
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return str(ipaddress.IPv4Address(value))


def normalise_host(raw: str) -> tuple[str, bool] | None:
    """Lower-case, IDNA (A-label) host, or a canonical IP; second item says it is an IP."""
    host = unquote(raw.strip()).rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), True
        except ValueError:
            return None
    if len(host) <= 64 and _IPV4_PART.fullmatch(host.split(".")[-1] or "x"):
        ipv4 = _parse_ipv4(host)
        return (ipv4, True) if ipv4 else None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    labels = host.split(".")
    if len(labels) < 2 or not _HOST_CHARS.fullmatch(host):
        return None
    if any(not label or len(label) > 63 or label[0] == "-" or label[-1] == "-" for label in labels):
        return None
    return host, False


def _split_netloc(netloc: str) -> tuple[str, str]:
    """Host and ``:port`` (kept as written) of a netloc, without user info."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        return host + "]", rest if rest.startswith(":") else ""
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit():
        return host, ":" + port
    return hostport, ""


def normalise_url(raw: str, context: str = "literal") -> _Url | None:
    """An absolute http(s) URL with a normalised host (protocol-relative becomes https)."""
    candidate = _URL_IGNORED.sub("", raw).strip().rstrip(".,;:!?)")[:2048]
    if candidate.startswith("//"):
        candidate = "https:" + candidate
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    host_text, port = _split_netloc(parts.netloc)
    normal = normalise_host(host_text)
    if normal is None:
        return None
    host, is_ip = normal
    shown = f"[{host}]" if ":" in host else host
    url = f"{parts.scheme.lower()}://{shown}{port}{parts.path or '/'}"
    url += f"?{parts.query}" if parts.query else ""
    url += f"#{parts.fragment}" if parts.fragment else ""
    return _Url(context, url, host, is_ip)


def _urls_in(texts: list[str]) -> list[_Url]:
    """URLs in the decoded layers, innermost layer first; script sources before the rest."""
    found: dict[str, _Url] = {}
    for text in reversed(texts):
        for context, pattern in (
            ("src", _SRC_URL),
            ("src", _SET_SRC_URL),
            ("nav", _NAV_URL),
            ("literal", _HTTP_URL),
        ):
            for match in pattern.finditer(text):
                raw = next((group for group in match.groups() if group), match.group())
                url = normalise_url(raw, context)
                if url is not None and url.url not in found:
                    found[url.url] = url
                if len(found) >= MAX_URLS_PER_FINDING:
                    return list(found.values())
    return list(found.values())


def _iocs(urls: Iterable[_Url]) -> tuple[dict[str, str], ...]:
    iocs: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for url in urls:
        for kind, value in (("url", url.url), ("ip" if url.is_ip else "host", url.host)):
            if (kind, value) not in seen:
                seen.add((kind, value))
                iocs.append({"type": kind, "value": value})
    return tuple(iocs)


def _reportable_ip(host: str) -> bool:
    address = ipaddress.ip_address(host)
    return not (address.is_loopback or address.is_unspecified)


# ---------------------------------------------------------------------------------------------
# Behaviour of the decoded code
# ---------------------------------------------------------------------------------------------

_COOKIE_READ = re.compile(r"\bdocument\s*\.\s*cookie\b(?!\s*=(?!=))")
_COOKIE_WRITE = re.compile(r"\bdocument\s*\.\s*cookie\s*=(?!=)")
_NAVIGATE = re.compile(
    r"\blocation\s*(?:\.\s*href\s*)?=(?!=)|\blocation\s*\.\s*(?:replace|assign)\s*\("
    r"|\blocation\s*\[\s*['\"]href['\"]\s*\]\s*=(?!=)"
)
_EVAL_ATOB_CALL = re.compile(
    r"\b(?:eval|Function|setTimeout|setInterval)\s*\(\s*(?:(?:window|self|globalThis)\s*\.\s*)?"
    r"atob\s*\("
)
_SCRIPT_LOAD = re.compile(r"createElement\s*\(\s*['\"]script|<\s*script", re.IGNORECASE)
_IFRAME_LOAD = re.compile(r"createElement\s*\(\s*['\"]i?frame|<\s*i?frame", re.IGNORECASE)


def _behaviour(decoding: _Decoding, urls: list[_Url]) -> list[str]:
    """Techniques seen in what the fully decoded code does (not in how it was hidden)."""
    final = decoding.texts[-1]
    found: list[str] = []
    if _EVAL_ATOB_CALL.search(final) and "eval_atob" not in decoding.techniques:
        found.append("eval_atob")
    touches_cookie = _COOKIE_READ.search(final), _COOKIE_WRITE.search(final)
    gated = all(touches_cookie) or (any(touches_cookie) and bool(decoding.techniques))
    if gated and _NAVIGATE.search(final) and any(url.context == "nav" for url in urls):
        found.append("cookie_gated_redirect")
    loads = _raw_ip_loads(final, urls)
    found.extend(loads)
    weak = [t for t in _raw_ip_uses(urls, loaded=bool(loads)) if t not in found]
    if weak and (found or decoding.techniques):
        found.extend(weak)  # an IP URL alone is not suspicious enough to report
    return found


def _raw_ip_loads(final: str, urls: list[_Url]) -> list[str]:
    """Scripts or frames loaded from a raw IP by the code."""
    if not any(u.is_ip and u.context == "src" and _reportable_ip(u.host) for u in urls):
        return []
    if _SCRIPT_LOAD.search(final):
        return ["raw_ip_script_src"]
    if _IFRAME_LOAD.search(final):
        return ["raw_ip_iframe_src"]
    return []


def _raw_ip_uses(urls: list[_Url], loaded: bool) -> list[str]:
    """Other uses of raw-IP URLs (those already reported as loads are skipped)."""
    uses = []
    for url in urls:
        if loaded and url.context == "src":
            continue
        if url.is_ip and _reportable_ip(url.host):
            uses.append("raw_ip_redirect" if url.context == "nav" else "raw_ip_url")
    return uses


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def excerpt(text: str, offset: int = 0) -> str:
    """One plain line of at most 200 characters around `offset` (control characters removed)."""
    start = max(0, offset - 40)
    window = _CONTROL.sub(" ", text[start : start + EVIDENCE_CHARS * 4])
    line = ("…" if start else "") + " ".join(window.split())
    return line if len(line) <= EVIDENCE_CHARS else line[: EVIDENCE_CHARS - 1] + "…"


# ---------------------------------------------------------------------------------------------
# HTML scan
# ---------------------------------------------------------------------------------------------

_JS_TYPE = re.compile(
    r"(?:text|application)/(?:x-)?(?:java|ecma|live|j)script(?:1\.\d)?|module", re.IGNORECASE
)
_MARKUP_IN_COMMENT = re.compile(r"<\s*(?:script|i?frame|meta)\b", re.IGNORECASE)


def _is_javascript_type(value: str | None) -> bool:
    kind = (value or "").split(";")[0].strip()
    return not kind or bool(_JS_TYPE.fullmatch(kind))


def _is_javascript_url(value: str) -> bool:
    return _URL_IGNORED.sub("", value[:64]).lstrip()[:11].lower() == "javascript:"


def _tag_evidence(tag: str, attr: str, value: str) -> str:
    return excerpt(f'<{tag} {attr}="{value}">')


class _Scanner:
    """Walks one parsed document once and collects findings."""

    def __init__(self) -> None:
        self.findings: list[InjectedScript] = []
        self.checked = 0
        self.truncated = False
        self.code_budget = MAX_DECODED_CODE_CHARS

    def run(self, root: LexborNode, prefix: str = "") -> None:
        for node in root.traverse(include_text=not prefix, skip_empty=True):
            if self.checked >= MAX_CHECKS or len(self.findings) >= MAX_FINDINGS:
                self.truncated = True
                return
            if node.is_comment_node:
                self._comment(node)
            elif node.is_element_node:
                self._element(node, prefix)

    def _add(self, finding: InjectedScript | None, prefix: str) -> None:
        if finding is None:
            return
        if prefix:
            finding = InjectedScript(
                prefix + finding.technique, finding.iocs, finding.evidence, finding.layers
            )
        self.findings.append(finding)

    def _code(self, code: str, evidence: str | None) -> InjectedScript | None:
        """Check inline code, decoding it while the document's decoding budget lasts."""
        if len(code) > self.code_budget:
            self.code_budget = -1
            return _check_code(code, evidence, decode=False)
        self.code_budget -= len(code)
        return _check_code(code, evidence)

    def _comment(self, node: LexborNode) -> None:
        content = node.comment_content or ""
        if _MARKUP_IN_COMMENT.search(content):
            self.checked += 1
            root = LexborHTMLParser(content).root
            if root is not None:
                self.run(root, prefix="in_comment+")

    def _element(self, node: LexborNode, prefix: str) -> None:
        tag = node.tag or ""
        attrs = node.attributes
        if tag == "script" and _is_javascript_type(attrs.get("type")):
            self.checked += 1
            src = (attrs.get("src") or "").strip()
            if src:
                self._add(_check_script_src(src), prefix)
            else:
                self._add(self._code(node.text(deep=True) or "", None), prefix)
        elif tag in ("iframe", "frame") and attrs.get("src"):
            self.checked += 1
            self._add(_check_frame_src(tag, (attrs.get("src") or "").strip()), prefix)
        elif tag == "meta" and (attrs.get("http-equiv") or "").strip().lower() == "refresh":
            self.checked += 1
            self._add(_check_refresh(attrs.get("content") or ""), prefix)
        for name, value in attrs.items():
            if not value:
                continue
            if name.startswith("on"):
                self.checked += 1
                self._add(self._code(value, _tag_evidence(tag, name, value)), prefix)
            elif name in ("href", "src", "action") and _is_javascript_url(value):
                self.checked += 1
                code = unquote(_URL_IGNORED.sub("", value).lstrip()[11:])
                self._add(self._code(code, _tag_evidence(tag, name, value)), prefix)


def _finding(techniques: list[str], urls: list[_Url], evidence: str, layers: int) -> InjectedScript:
    return InjectedScript("+".join(_unique(techniques)), _iocs(urls), evidence, layers)


def _check_code(
    code: str, evidence: str | None, outer: tuple[str, ...] = (), decode: bool = True
) -> InjectedScript | None:
    """Decode inline code; a finding when some technique was seen (None for clean code).

    `evidence` None means: an excerpt of `code` where the first decoded layer starts."""
    if not code.strip():
        return None
    decoding = _decode(code, MAX_LAYERS - len(outer) if decode else 0)
    urls = _urls_in(decoding.texts)
    techniques = [*outer, *decoding.techniques, *_behaviour(decoding, urls)]
    if not techniques:
        return None
    if evidence is None:
        evidence = excerpt(code, max(decoding.first_pos, 0))
    return _finding(techniques, urls, evidence, decoding.layers + len(outer))


def _check_script_src(src: str) -> InjectedScript | None:
    evidence = _tag_evidence("script", "src", src)
    if src[:5].lower() == "data:":
        payload = _decode_data_uri(src)
        if payload is None:
            return _finding(["data_uri_script"], [], evidence, 0)
        found = _check_code(payload, evidence, outer=("data_uri_script",))
        return found or _finding(["data_uri_script"], [], evidence, 1)
    url = normalise_url(src, "src")
    if url is not None and url.is_ip and _reportable_ip(url.host):
        return _finding(["raw_ip_script_src"], [url], evidence, 0)
    return None


def _check_frame_src(tag: str, src: str) -> InjectedScript | None:
    url = normalise_url(src, "src")
    if url is not None and url.is_ip and _reportable_ip(url.host):
        return _finding(["raw_ip_iframe_src"], [url], _tag_evidence(tag, "src", src), 0)
    return None


def _refresh_target(content: str) -> str:
    """URL of a refresh ``content`` such as ``0; url='https://...'``."""
    rest = content.strip().lstrip("0123456789. \t").lstrip(";, \t")
    if rest[:3].lower() == "url":
        after = rest[3:].lstrip()
        rest = after[1:].lstrip() if after.startswith("=") else rest
    return rest.strip().strip("'\"").strip()


def _check_refresh(content: str) -> InjectedScript | None:
    target = _refresh_target(content)
    evidence = excerpt(f'<meta http-equiv="refresh" content="{content}">')
    scheme = target[:11].lower()
    if scheme.startswith("javascript:") or scheme.startswith("data:"):
        code = unquote(target[11:]) if scheme.startswith("javascript:") else None
        if code is None:
            code = _decode_data_uri(target) or ""
        found = _check_code(code, evidence, outer=("meta_refresh_script_uri",))
        return found or _finding(["meta_refresh_script_uri"], [], evidence, 0)
    url = normalise_url(target, "nav")
    if url is not None and url.is_ip and _reportable_ip(url.host):
        return _finding(["meta_refresh_raw_ip"], [url], evidence, 0)
    return None


def scan_tree(tree: LexborHTMLParser) -> ScanResult:
    """Findings in an already parsed document (the tree is only read)."""
    root = tree.root
    scanner = _Scanner()
    if root is not None:
        scanner.run(root)
    errors: list[str] = []
    if scanner.truncated:
        errors.append(
            f"over {MAX_CHECKS} scripts/handlers or {MAX_FINDINGS} findings: the rest not checked"
        )
    if scanner.code_budget < 0:
        errors.append("over 2 MB of inline code: the rest was checked without decoding")
    return ScanResult(tuple(scanner.findings), tuple(errors))


def clean_html_text(html: str) -> str:
    """`html` limited to 20 M characters and safe to hand to the parser (no lone surrogates)."""
    return _fix_surrogates(html[:MAX_HTML_CHARS])


def find_injected_scripts(html: str) -> list[InjectedScript]:
    """Injected loaders in `html`, decoded statically; an empty list for a clean page."""
    tree = LexborHTMLParser(clean_html_text(html))
    return list(scan_tree(tree).findings)
