"""The app factory: `create_app(settings)` builds the FastAPI app of `raqib serve`.

On start-up the service opens the database (bringing its schema up to date), warms the match
indexes and starts its background workers: webhook delivery from the outbox and batch jobs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from raqib import __version__
from raqib.api.errors import install_error_handlers
from raqib.api.metrics import MetricsMiddleware
from raqib.api.routes import (
    audit,
    banks,
    cases,
    evidence,
    health,
    items,
    quarantine,
    session,
    signals,
    taxii,
)
from raqib.api.state import ServiceState
from raqib.config import Settings
from raqib.evidence.retention import RetentionWorker
from raqib.exchange.sync_runs import SyncScheduler
from raqib.review.batches import JobRunner, requeue_running
from raqib.review.delivery import Deliverer
from raqib.web.auth import install_page_handlers
from raqib.web.render import STATIC
from raqib.web.routes import UI_PREFIX, UI_ROUTERS

API_PREFIX = "/api/v1"
# Every router of the app with its prefix (a test walks these to check each route's role).
ROUTERS = (
    ("", health.router),
    *(
        (API_PREFIX, module.router)
        for module in (signals, items, banks, cases, audit, session, quarantine, evidence)
    ),
    (taxii.PREFIX, taxii.router),
)


def create_app(settings: Settings, background: bool = True) -> FastAPI:
    """The service's app. `background=False` leaves out the delivery and batch workers (for a
    process that only answers requests while another runs `raqib deliver`)."""
    state = ServiceState.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.matcher.warm()
        workers = _start_workers(state) if background else _Workers()
        try:
            yield
        finally:
            workers.stop()
            state.close()

    app = FastAPI(
        title="Raqib",
        version=__version__,
        description="Find, review and share signals about terrorist and violent extremist content.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.raqib = state
    install_error_handlers(app)
    taxii.install_taxii_errors(app)
    # the hot path first: POST /api/v1/match answered without FastAPI's per-request machinery
    app.router.routes.insert(0, Route(f"{API_PREFIX}/match", signals.fast_match, methods=["POST"]))
    for prefix, router in ROUTERS:
        app.include_router(router, prefix=prefix)
    for router in UI_ROUTERS:
        app.include_router(router, prefix=UI_PREFIX)
    app.mount(f"{UI_PREFIX}/static", StaticFiles(directory=STATIC), name="static")
    install_page_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics, prefix=API_PREFIX)
    return app


class _Workers:
    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.closing: list[Callable[[], None]] = []

    def start(self, name: str, loop: Callable[[], None]) -> None:
        thread = threading.Thread(target=loop, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=10)
        for close in self.closing:
            close()


def _start_workers(state: ServiceState) -> _Workers:
    workers = _Workers()
    requeue_running(state.database)
    runner = JobRunner(state.database, state.settings, lambda: state.analyzer, state.matcher)
    deliverer = Deliverer(state.database, state.settings)
    workers.start("raqib-jobs", lambda: runner.run(workers.stop_event, state.jobs_event))
    workers.start("raqib-delivery", lambda: deliverer.run(workers.stop_event))
    workers.closing.append(deliverer.close)
    retention = RetentionWorker(state.database, state.settings)  # the daily evidence purge
    workers.start("raqib-retention", lambda: retention.run(workers.stop_event))
    if state.settings.sync_interval_seconds > 0:  # 0 turns the scheduled sync off
        syncer = SyncScheduler(state.database, state.settings, state.registry)
        workers.start("raqib-sync", lambda: syncer.run(workers.stop_event))
    return workers


def app_from_env() -> FastAPI:
    """The app with settings from the environment (uvicorn's factory for `raqib serve`)."""
    return create_app(Settings.from_env())
