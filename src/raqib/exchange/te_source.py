"""python-threatexchange's signal exchanges as a Raqib source: fetch one into a bank.

Every `SignalExchangeAPI` the library ships runs here (see raqib.exchange.te_kinds): Meta's
ThreatExchange, NCMEC, StopNCII, Tech Against Terrorism and the local file exchange. A fetch
walks the exchange's `fetch_iter` batch by batch; per batch it maps the exchange's signal types
to Raqib's (`pdq`, `video_md5` -> `md5`, `video_sha256` -> `sha256`, `url`, `vpdq`, `raw_text`
-> the text's `text_sha256` and `text_minhash`), adds what is new, revokes
(raqib.banking.revoke_entries) what a deletion, a changed record or a negative opinion took
away, and checkpoints (raqib.exchange.te_state) so the next run resumes. An exchange whose
checkpoint records no progress (the local file) hands over its whole state every time: what it
no longer lists is revoked at the end of the run; so is what a stale checkpoint's full refetch
no longer finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from requests import RequestException
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.exchanges.fetch_state import (
    AggregateSignalOpinionCategory,
    FetchCheckpointBase,
    FetchedSignalMetadata,
    NoCheckpointing,
)
from threatexchange.exchanges.signal_exchange_api import AnySignalExchangeAPI
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.raw_text import RawTextSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal
from threatexchange.signal_type.signal_base import SignalType as PytxSignalType
from threatexchange.signal_type.url import URLSignal

from raqib import banking
from raqib.auth.principal import system_principal
from raqib.config import Settings
from raqib.errors import InputError, NotFoundError
from raqib.exchange.te_kinds import ExchangeKind, collab_config, connect, exchange_kind
from raqib.exchange.te_state import ExchangeState, Signal, key_text, state_name
from raqib.records import Labels, NewEntry
from raqib.signals import SignalRegistry
from raqib.signals.raw_text import RAW_TEXT, raw_text_signals
from raqib.store.banks import BankRepository
from raqib.store.db import Database

# The python-threatexchange signal types Raqib has a counterpart for (see SignalMapper).
PYTX_TYPES: tuple[type[PytxSignalType], ...] = (
    PdqSignal,
    VideoMD5Signal,
    VideoSHA256Signal,
    URLSignal,
    RawTextSignal,
    VPDQSignal,
)
MAX_TAGS = 16
MAX_TAG_CHARS = 64


# --- fetching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch: the exchange kind, the bank to fill (created when missing), and the
    collaboration, file and credentials file where the kind needs them."""

    kind: str
    bank: str
    collab: str | None = None
    file: Path | None = None
    credentials: Path | None = None


@dataclass
class FetchResult:
    """What one fetch did; `complete` is False when it stopped early (the next run resumes)."""

    exchange: str
    collab: str
    bank: str
    batches: int = 0
    updates: int = 0
    added: int = 0
    already_present: int = 0
    revoked: int = 0
    skipped: int = 0  # records with no signal Raqib can use (other signal types, bad values)
    full_refetch: bool = False
    complete: bool = False
    progress_time: int | None = None  # the exchange's checkpoint time, when it has one
    checkpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Progress = Callable[[FetchResult], None]


def fetch_into_bank(
    database: Database,
    settings: Settings,
    registry: SignalRegistry,
    request: FetchRequest,
    progress: Progress | None = None,
    max_batches: int | None = None,
) -> FetchResult:
    """Fetch an exchange into a bank, resuming from its checkpoint; `progress` is called after
    every batch; `max_batches`: stop after that many batches (the next run resumes)."""
    kind = exchange_kind(request.kind)
    collab = collab_config(kind, request.collab, request.file)
    api = connect(kind, collab, request.credentials)
    folder = settings.home / "exchanges"
    state = ExchangeState(folder, state_name(kind.name, collab.name))
    try:
        state.claim_bank(request.bank.strip())
        _ensure_bank(database, request.bank.strip(), kind, collab)
        result = FetchResult(
            kind.name, collab.name, request.bank.strip(), checkpoint=str(state.path)
        )
        fetch = _Fetch(database, registry, kind, collab, api, state, result)
        fetch.run(progress, max_batches)
        return result
    finally:
        state.close()


def _ensure_bank(
    database: Database, bank: str, kind: ExchangeKind, collab: CollaborationConfigBase
) -> None:
    with database.session(write=True) as session:
        try:
            BankRepository(session).get(bank)
        except NotFoundError:
            description = f"fetched from the {kind.name} exchange ({collab.name})"
            banking.create_bank(session, _actor(), bank, description, "amber", False)


def _actor() -> str:
    return system_principal("exchange").actor


class _Fetch:
    """One run of one exchange into one bank."""

    def __init__(
        self,
        database: Database,
        registry: SignalRegistry,
        kind: ExchangeKind,
        collab: CollaborationConfigBase,
        api: AnySignalExchangeAPI,
        state: ExchangeState,
        result: FetchResult,
    ) -> None:
        self.database, self.kind, self.collab, self.api = database, kind, collab, api
        self.state, self.result = state, result
        self.mapper = SignalMapper(registry, kind, collab, type(api))

    def run(self, progress: Progress | None, max_batches: int | None) -> None:
        checkpoint_cls = type(self.api).get_checkpoint_cls()
        checkpoint = self.state.checkpoint(checkpoint_cls)
        snapshot = checkpoint_cls is FetchCheckpointBase or issubclass(
            checkpoint_cls, NoCheckpointing
        )
        if snapshot or (checkpoint is not None and checkpoint.is_stale()):
            self.run_number, checkpoint = self.state.start_sweep(), None
        else:
            self.run_number = self.state.sweep_run or self.state.last_run
        self.result.full_refetch = self.state.sweep_run is not None
        for delta in self._deltas(checkpoint):
            self._apply(delta.updates)
            self.state.save(delta.checkpoint)
            self.result.batches += 1
            self.result.progress_time = _progress_time(delta.checkpoint)
            if progress is not None:
                progress(self.result)
            if max_batches is not None and self.result.batches >= max_batches:
                return
        if self.state.sweep_run is not None:
            self._sweep()
        self.result.complete = True

    def _deltas(self, checkpoint: Any) -> Iterator[Any]:
        """The exchange's batches; its failures become one actionable error line."""
        iterator = iter(self.api.fetch_iter(PYTX_TYPES, checkpoint))
        while True:
            try:
                delta = next(iterator)
            except StopIteration:
                return
            except RequestException as exc:
                raise InputError(self._failed(f"network or HTTP error: {exc}")) from exc
            except Exception as exc:  # third-party code: any failure is the exchange's
                raise InputError(self._failed(f"{type(exc).__name__}: {exc}")) from exc
            yield delta

    def _failed(self, why: str) -> str:
        return (
            f"the {self.kind.name} exchange failed ({why}); check its credentials and "
            f"settings; what was fetched is kept, and the next run resumes from {self.state.path}"
        )

    def _apply(self, updates: Mapping[Any, Any]) -> None:
        """Apply one batch: stage key changes, change the bank, then commit the keys."""
        adds: dict[Signal, NewEntry] = {}
        gone: set[Signal] = set()
        for key, value in updates.items():
            text = key_text(key)
            entries, deleted = self.mapper.entries(key, value)
            now = {(e.signal_type, e.value) for e in entries}
            gone |= self.state.signals_of(text) - now
            self.state.replace(text, now, None if deleted else self.run_number)
            for entry in entries:
                adds.setdefault((entry.signal_type, entry.value), entry)
        self.result.updates += len(updates)
        self._change_bank(adds, gone)

    def _sweep(self) -> None:
        """End a full refetch: keys it did not hand over again are gone upstream."""
        gone: set[Signal] = set()
        for text in self.state.keys_not_seen_in(self.run_number):
            gone |= self.state.signals_of(text)
            self.state.replace(text, (), None)
        self._change_bank({}, gone)
        self.state.end_sweep()

    def _change_bank(self, adds: dict[Signal, NewEntry], gone: set[Signal]) -> None:
        revoked = [NewEntry(t, v) for t, v in sorted(gone) if not self.state.held((t, v))]
        how = f"exchange:{self.kind.name}"
        try:
            with self.database.session(write=True) as session:
                if adds:
                    added = banking.add_to_bank(
                        session, _actor(), self.result.bank, list(adds.values()), how=how
                    )
                    self.result.added += added.added
                    self.result.already_present += added.already_present
                self.result.revoked += banking.revoke_entries(
                    session, _actor(), self.result.bank, revoked, how=how
                )
        except BaseException:
            self.state.rollback_keys()
            raise
        self.state.commit_keys()
        self.result.skipped += self.mapper.take_skipped()


def _progress_time(checkpoint: Any) -> int | None:
    if isinstance(checkpoint, FetchCheckpointBase):
        moment = checkpoint.get_progress_timestamp()
        return int(moment) if moment else None
    return None


class SignalMapper:
    """Turns an exchange's update records into Raqib entries with labels."""

    def __init__(
        self,
        registry: SignalRegistry,
        kind: ExchangeKind,
        collab: CollaborationConfigBase,
        api_cls: type[AnySignalExchangeAPI],
    ) -> None:
        self.registry, self.collab, self.api_cls = registry, collab, api_cls
        self.source = f"{kind.name}:{collab.name}"
        self.skipped = 0

    def take_skipped(self) -> int:
        skipped, self.skipped = self.skipped, 0
        return skipped

    def entries(self, key: Any, value: Any) -> tuple[list[NewEntry], bool]:
        """The entries one record gives (none for a negative opinion), and whether the record
        is deleted upstream."""
        merged = None if value is None else self.api_cls.fetch_value_merge(None, value)
        if merged is None:
            return [], True
        entries: list[NewEntry] = []
        records = self._signal_records(key, merged)
        if not records:
            self.skipped += 1
        for name, signal, metadata in records:
            if _negative(metadata):
                continue
            try:
                signals = self._raqib_signals(name, signal)
            except (ValueError, InputError):
                self.skipped += 1
                continue
            labels = Labels(behaviours=_tags(metadata), source=self.source)
            entries.extend(NewEntry(t, v, labels) for t, v in signals)
        return entries, False

    def _signal_records(self, key: Any, value: Any) -> list[tuple[str, str, Any]]:
        """(python-threatexchange type name, signal, metadata) of a record: a `(type, signal)`
        key Raqib knows directly (this also reads Raqib's own names, e.g. `md5`, in a file),
        else whatever the exchange's own conversion finds."""
        if (
            isinstance(key, tuple)
            and isinstance(value, FetchedSignalMetadata)
            and self._known(str(key[0]))
        ):
            return [(str(key[0]), str(key[1]), value)]
        converted = self.api_cls.naive_convert_to_signal_type(
            list(PYTX_TYPES), self.collab, {key: value}
        )
        return [
            (signal_type.get_name(), signal, metadata)
            for signal_type, by_signal in converted.items()
            for signal, metadata in by_signal.items()
        ]

    def _known(self, name: str) -> bool:
        if name.strip().lower() == RAW_TEXT:
            return True
        try:
            self.registry.get(name)
        except ValueError:
            return False
        return True

    def _raqib_signals(self, name: str, value: str) -> list[Signal]:
        if name.strip().lower() == RAW_TEXT:
            return [(s.signal_type, s.value) for s in raw_text_signals(value)]
        signal_type = self.registry.get(name)
        return [(signal_type.name, signal_type.normalize(value))]


def _negative(metadata: Any) -> bool:
    """Whether the exchange's opinions say the signal is a false positive."""
    if not isinstance(metadata, FetchedSignalMetadata):
        return False
    category = metadata.get_as_aggregate_opinion().category
    return bool(category == AggregateSignalOpinionCategory.NEGATIVE_CLASS)


def _tags(metadata: Any) -> tuple[str, ...]:
    """The opinions' tags as behaviours (commas would split one; long ones are cut)."""
    if not isinstance(metadata, FetchedSignalMetadata):
        return ()
    tags = metadata.get_as_aggregate_opinion().tags
    cleaned = {
        " ".join(str(tag).replace(",", " ").replace(";", " ").split())[:MAX_TAG_CHARS]
        for tag in tags or ()
    }
    return tuple(sorted(t for t in cleaned if t))[:MAX_TAGS]
