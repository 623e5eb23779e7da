"""Entry rows for index hits, kept in a bounded least-recently-used cache.

Entries are never edited and their ids are never reused, so a cached row stays true until the
entry is removed; a removed entry is also gone from the indexes, which are what ask for rows.
The matcher still forgets the ids the change log touches, to keep the cache tidy."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from raqib.serving.store import EntryRow, StoreReader

DEFAULT_SIZE = 65_536


class EntryCache:
    """Entry id -> (EntryRecord, bank id), read through `StoreReader.entries`. Thread-safe."""

    def __init__(self, store: StoreReader, size: int = DEFAULT_SIZE) -> None:
        self._store = store
        self._size = size
        self._rows: OrderedDict[int, EntryRow] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ids: Sequence[int]) -> dict[int, EntryRow]:
        """The rows of the entries of `ids` that exist."""
        found: dict[int, EntryRow] = {}
        missing: list[int] = []
        with self._lock:
            for entry_id in ids:
                row = self._rows.get(entry_id)
                if row is None:
                    missing.append(entry_id)
                else:
                    self._rows.move_to_end(entry_id)
                    found[entry_id] = row
        if missing:
            read = self._store.entries(missing)
            found.update(read)
            with self._lock:
                self._rows.update(read)
                while len(self._rows) > self._size:
                    self._rows.popitem(last=False)
        return found

    def forget(self, ids: Iterable[int]) -> None:
        with self._lock:
            for entry_id in ids:
                self._rows.pop(entry_id, None)

    def __len__(self) -> int:
        return len(self._rows)
