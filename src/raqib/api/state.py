"""What the service keeps between requests: settings, the database, the signal registry, the
key cache, the rate limiter, the long-lived matcher and the text analyzer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from raqib.api.metrics import Metrics
from raqib.auth.keys import KeyCache
from raqib.auth.ratelimit import RateLimiter
from raqib.config import Settings
from raqib.review.queues import ensure_default_queue
from raqib.serving.matcher import ServiceMatcher
from raqib.signals import SignalRegistry, default_registry
from raqib.store.db import Database
from raqib.store.migrate import ensure_schema

if TYPE_CHECKING:
    from raqib.text.assess import TextAnalyzer


@dataclass
class ServiceState:
    settings: Settings
    database: Database
    registry: SignalRegistry
    keys: KeyCache
    limiter: RateLimiter
    matcher: ServiceMatcher
    metrics: Metrics
    jobs_event: threading.Event = field(default_factory=threading.Event)
    _analyzer: TextAnalyzer | None = None
    _analyzer_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings) -> ServiceState:
        database = Database.from_settings(settings)
        ensure_schema(database)
        with database.session(write=True) as session:
            ensure_default_queue(session)
        registry = default_registry()
        return cls(
            settings=settings,
            database=database,
            registry=registry,
            keys=KeyCache(database),
            limiter=RateLimiter(),
            matcher=ServiceMatcher(database, settings, registry),
            metrics=Metrics(),
        )

    @property
    def analyzer(self) -> TextAnalyzer:
        """The text analyzer, built on first use from the starter and enabled indicator lists."""
        with self._analyzer_lock:
            if self._analyzer is None:
                from raqib.text.loading import load_text_analyzer

                self._analyzer = load_text_analyzer(self.settings, self.database)
            return self._analyzer

    def wake_jobs(self) -> None:
        """Tell the batch worker that a job is waiting."""
        self.jobs_event.set()

    def reload_analyzer(self) -> None:
        with self._analyzer_lock:
            self._analyzer = None

    def close(self) -> None:
        self.matcher.close()
        self.database.dispose()


def service_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.raqib
    return state
