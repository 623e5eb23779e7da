"""Signal lines as the API receives them: canonical signals back, or an InputError that says
what is wrong with the line."""

from __future__ import annotations

import pytest

from raqib.errors import InputError
from raqib.serving.signals import MAX_LINE_CHARS, format_signal, parse_signal_line
from raqib.signals import Signal, SignalRegistry


@pytest.mark.parametrize(
    ("line", "signal_type", "value"),
    [
        ("pdq " + "AB" * 32, "pdq", "ab" * 32),
        ("  md5\t" + "0F" * 16 + "  ", "md5", "0f" * 16),
        ("video_md5 " + "0f" * 16, "md5", "0f" * 16),
        ("URL HTTPS://Example.org:443/a?utm_source=x#top", "url", "https://example.org/a"),
        ('vpdq ["' + "c" * 64 + ',100,0"]', "vpdq", '["' + "c" * 64 + ',100,0.000"]'),
    ],
)
def test_good_lines_parse_to_canonical_signals(
    registry: SignalRegistry, line: str, signal_type: str, value: str
) -> None:
    signal = parse_signal_line(registry, line)
    assert (signal.signal_type, signal.value, signal.variants) == (signal_type, value, ())
    assert parse_signal_line(registry, format_signal(registry, signal)) == signal


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (None, "got null"),
        (17, "got int"),
        ("", "want '<signal_type> <signal>'"),
        ("pdq", "want '<signal_type> <signal>', got 'pdq'"),
        ("pdq abc", "not a PDQ hash"),
        ("pdq " + "g" * 64, "not a PDQ hash"),
        ("sha1 " + "a" * 40, "unknown signal type 'sha1'"),
        ("vpdq [1, 2", "vpdq: not a JSON list"),
        ("pdq " + "a" * MAX_LINE_CHARS, "at most"),
    ],
)
def test_bad_lines_raise_input_errors_that_say_why(
    registry: SignalRegistry, line: object, message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_signal_line(registry, line)


def test_format_gives_the_line_form(registry: SignalRegistry) -> None:
    assert format_signal(registry, Signal("md5", "0f" * 16)) == "md5 " + "0f" * 16
