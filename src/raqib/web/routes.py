"""The console's routers, mounted under /ui by raqib.api.app, and its static files."""

from __future__ import annotations

from fastapi import APIRouter

from raqib.web import routes_cases, routes_leads, routes_session, routes_wellbeing

UI_PREFIX = "/ui"
UI_ROUTERS: tuple[APIRouter, ...] = (
    routes_session.router,
    routes_cases.router,
    routes_wellbeing.router,
    routes_leads.router,
)
