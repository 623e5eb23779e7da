"""python-threatexchange's `raw_text` signal: the text itself, on one line as
`raw_text <text>`. Raqib stores no raw text; it keeps the text's `text_sha256` and
`text_minhash` signals, so one `raw_text` line becomes up to two bank entries."""

from __future__ import annotations

from raqib.signals.base import NoSignal, Signal
from raqib.signals.text_minhash import minhash_of_text
from raqib.signals.text_sha256 import sha256_of_text

RAW_TEXT = "raw_text"


def raw_text_signals(text: str) -> list[Signal]:
    """The `text_sha256` and `text_minhash` signals of one `raw_text` value.

    A text too short for near-duplicate matching gives only its `text_sha256`; a text too
    short for either raises ValueError with the reason (for ImportFormatError). Raises
    InputError for text over the size limit.
    """
    results = [sha256_of_text(text), minhash_of_text(text)]
    signals = [r for r in results if isinstance(r, Signal)]
    if not signals:
        reasons = "; ".join(r.reason for r in results if isinstance(r, NoSignal))
        raise ValueError(f"{RAW_TEXT} gives no signal: {reasons}")
    return signals
