"""Where a python-threatexchange fetch stands, kept under RAQIB_HOME/exchanges/:

- `<name>.json`: the exchange's FetchCheckpoint (as plain JSON, never pickle), the bank it
  feeds and, while a full refetch is running, that refetch's run number;
- `<name>.keys.sqlite`: which Raqib signals each of the exchange's update keys gave. An exchange
  deletes or changes a record by its key (NCMEC: `member-id`; the others: `(type, signal)`),
  and a deletion carries no signal, so undoing it needs what the key gave before. An SQLite
  file (the standard library's) keeps that on disk, so memory stays flat however large the
  exchange; the database is not used so credentials-free local state stays out of it.

A batch is applied as: key changes staged in the SQLite transaction, the bank changed and
committed, then the SQLite transaction committed, then the checkpoint written. A crash between
two of those replays the batch from the previous checkpoint, which is harmless: adding a present
signal and removing an absent one change nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from raqib.errors import ConflictError, InputError

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
Signal = tuple[str, str]  # (Raqib signal type, canonical value)
T = TypeVar("T")


def state_name(kind: str, collab: str) -> str:
    """The file name stem of an exchange collaboration's state (safe on every filesystem)."""
    return _SAFE.sub("_", f"{kind}-{collab}").strip("._")[:120] or kind


class ExchangeState:
    """The checkpoint file and key memory of one exchange collaboration."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.json"
        folder.mkdir(parents=True, exist_ok=True)
        self._data = _load(self.path)
        self._keys = sqlite3.connect(folder / f"{name}.keys.sqlite", isolation_level="DEFERRED")
        self._keys.executescript(
            "CREATE TABLE IF NOT EXISTS key_signals ("
            " key TEXT NOT NULL, signal_type TEXT NOT NULL, value TEXT NOT NULL,"
            " PRIMARY KEY (key, signal_type, value));"
            "CREATE INDEX IF NOT EXISTS by_signal ON key_signals (signal_type, value);"
            "CREATE TABLE IF NOT EXISTS keys_seen (key TEXT PRIMARY KEY, run INTEGER NOT NULL);"
        )

    def close(self) -> None:
        self._keys.close()

    # --- the checkpoint file ------------------------------------------------------------------

    def claim_bank(self, bank: str) -> None:
        """Tie this state to a bank; fetching the same collaboration into another bank would
        skip everything already fetched, so it is refused."""
        held = self._data.get("bank")
        if held and held != bank:
            raise ConflictError(
                f"this exchange collaboration already feeds bank {held!r}: use --bank {held}, "
                f"or delete {self.path} (and its .keys.sqlite) to fetch it anew into {bank!r}"
            )
        self._data["bank"] = bank

    def checkpoint(self, cls: type[T]) -> T | None:
        """The saved checkpoint as the exchange's checkpoint dataclass, or None."""
        stored = self._data.get("checkpoint")
        if not isinstance(stored, dict):
            return None
        try:
            return _from_dict(cls, stored)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"checkpoint {self.path} does not fit {cls.__name__} ({exc}); delete it to "
                "fetch everything again"
            ) from None

    @property
    def last_run(self) -> int:
        """The number of the latest full refetch (0 before any)."""
        run = self._data.get("last_run")
        return run if isinstance(run, int) else 0

    @property
    def sweep_run(self) -> int | None:
        """The run number of a full refetch in progress (see start_sweep), else None."""
        run = self._data.get("sweep_run")
        return run if isinstance(run, int) else None

    def start_sweep(self) -> int:
        """Begin a full refetch: keys not seen again before end_sweep were deleted upstream."""
        run = self.last_run + 1
        self._data["sweep_run"] = run
        self._data["last_run"] = run
        self._data.pop("checkpoint", None)
        self._write()
        return run

    def save(self, checkpoint: Any) -> None:
        """Record the checkpoint of the last applied batch (atomically: temp file + replace)."""
        if checkpoint is not None:
            self._data["checkpoint"] = dataclasses.asdict(checkpoint)
        self._write()

    def _write(self) -> None:
        temporary = self.path.with_suffix(".json.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(self._data, handle, indent=1, sort_keys=True, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    # --- the key memory -----------------------------------------------------------------------

    def signals_of(self, key: str) -> set[Signal]:
        rows = self._keys.execute(
            "SELECT signal_type, value FROM key_signals WHERE key = ?", (key,)
        )
        return {(str(t), str(v)) for t, v in rows}

    def replace(self, key: str, signals: Iterable[Signal], run: int | None) -> None:
        """Stage what a key gives now, seen in `run`; run None: the key is gone upstream."""
        self._keys.execute("DELETE FROM key_signals WHERE key = ?", (key,))
        if run is None:
            self._keys.execute("DELETE FROM keys_seen WHERE key = ?", (key,))
            return
        self._keys.executemany(
            "INSERT OR IGNORE INTO key_signals (key, signal_type, value) VALUES (?, ?, ?)",
            [(key, t, v) for t, v in signals],
        )
        self._keys.execute(
            "INSERT INTO keys_seen (key, run) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET run = excluded.run",
            (key, run),
        )

    def held(self, signal: Signal) -> bool:
        """Whether any key still gives this signal (staged changes included)."""
        row = self._keys.execute(
            "SELECT 1 FROM key_signals WHERE signal_type = ? AND value = ? LIMIT 1", signal
        ).fetchone()
        return row is not None

    def keys_not_seen_in(self, run: int) -> list[str]:
        rows = self._keys.execute("SELECT key FROM keys_seen WHERE run <> ?", (run,))
        return [str(key) for (key,) in rows]

    def commit_keys(self) -> None:
        self._keys.commit()

    def rollback_keys(self) -> None:
        self._keys.rollback()

    def end_sweep(self) -> None:
        self._data.pop("sweep_run", None)
        self._write()


def key_text(key: object) -> str:
    """An update key (str, int or a (type, signal) pair) as one stable string."""
    return json.dumps(list(key) if isinstance(key, tuple) else key, ensure_ascii=False)


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable exchange checkpoint {path} ({exc}); delete it") from None
    return loaded if isinstance(loaded, dict) else {}


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass from `dataclasses.asdict` output, nested dataclasses included. (dacite does
    this too, but it is only python-threatexchange's dependency, not Raqib's.)"""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _value(hints.get(f.name), data[f.name])
        for f in dataclasses.fields(cls)
        if f.init and f.name in data
    }
    return cls(**values)


def _value(hint: Any, value: Any) -> Any:
    if isinstance(value, dict):
        for candidate in (hint, *typing.get_args(hint)):
            if isinstance(candidate, type) and dataclasses.is_dataclass(candidate):
                return _from_dict(candidate, value)
    return value
