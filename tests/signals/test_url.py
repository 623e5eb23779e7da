from __future__ import annotations

import pytest

from raqib.signals.url import UrlSignalType, canonical_url

URL = UrlSignalType()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://Example.ORG:443/Path/A#frag", "https://example.org/Path/A"),
        ("http://example.org:80/x?utm_source=a&id=7&fbclid=zz", "http://example.org/x?id=7"),
        ("https://example.net/a?gclid=1&utm_medium=m", "https://example.net/a"),
        ("example.net", "http://example.net/"),
        ("http://bücher.example/Seite", "http://xn--bcher-kva.example/Seite"),
        ("http://example.org:8080/", "http://example.org:8080/"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("http://192.0.2.7/p?b=2&a=1", "http://192.0.2.7/p?b=2&a=1"),
    ],
)
def test_canonical_form(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical
    assert canonical_url(canonical) == canonical  # idempotent


@pytest.mark.parametrize(
    "bad", ["", "http://", "http://example.org:99999/", "http://exa mple..org/"]
)
def test_bad_urls_are_rejected_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        URL.normalize(bad)
