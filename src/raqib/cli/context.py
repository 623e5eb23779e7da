"""What every command needs: settings, the database (schema brought up to date) and signals."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from raqib.config import Settings
from raqib.signals import SignalRegistry, default_registry
from raqib.store.db import Database
from raqib.store.migrate import ensure_schema


@dataclass
class AppContext:
    settings: Settings

    @classmethod
    def from_env(cls) -> AppContext:
        return cls(Settings.from_env())

    @cached_property
    def registry(self) -> SignalRegistry:
        return default_registry()

    @cached_property
    def database(self) -> Database:
        database = Database.from_settings(self.settings)
        ensure_schema(database)
        return database
