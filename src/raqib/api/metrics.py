"""Prometheus metrics of one service process (its own registry, so apps never share one).

Request counts and latencies per route come from an ASGI middleware; the gauges (open cases,
deliveries by state, index freshness) are read from the database when /metrics is scraped."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "raqib_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "raqib_http_request_seconds",
            "Time to answer a request",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.lookups = Counter(
            "raqib_match_lookups", "Signals looked up in the banks", registry=self.registry
        )
        self.items = Counter("raqib_items", "Items assessed", ["outcome"], registry=self.registry)
        self.decisions = Counter(
            "raqib_decisions", "Decisions recorded", ["outcome"], registry=self.registry
        )
        self.gauges = Gauge(
            "raqib_state", "Counts read from the database", ["what", "key"], registry=self.registry
        )

    def render(self, read_gauges: Callable[[], dict[tuple[str, str], float]]) -> bytes:
        self.gauges.clear()
        for (what, key), value in read_gauges().items():
            self.gauges.labels(what, key).set(value)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, prefix: str) -> None:
        self.app = app
        self.metrics = metrics
        self.prefix = prefix  # routers included under it report their paths without it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                headers: list[Any] = message.setdefault("headers", [])
                headers.extend(_SECURITY_HEADERS)
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.2f}".encode()))
                if not str(scope["path"]).startswith("/api/docs"):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = self._route(scope)
            self.metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)

    def _route(self, scope: Scope) -> str:
        template = getattr(scope.get("route"), "path", None)
        if template is None:
            return "unmatched"
        if str(scope["path"]).startswith(self.prefix + "/") and not template.startswith(
            self.prefix
        ):
            return self.prefix + str(template)
        return str(template)


# Every page but the API's interactive docs (which load Swagger UI) gets this policy: scripts,
# styles, images and media from this origin only, no inline script or style, no plugins, no
# framing, forms posting only here. Ingested text is escaped anyway; this backs that up.
CONTENT_SECURITY_POLICY = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    b"media-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
