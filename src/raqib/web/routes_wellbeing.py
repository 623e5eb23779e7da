"""Wellbeing pages: the reviewer's own display settings (/ui/settings), the organisation's
defaults (/ui/settings/org, leads), case media served from its own path (/ui/media/{id}),
"media revealed" reports from the case page's script, and "I took a break"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from raqib.api.state import service_state
from raqib.auth.principal import Principal
from raqib.auth.roles import Permission
from raqib.errors import InputError, NotFoundError
from raqib.review import audit
from raqib.review.media import open_media
from raqib.review.wellbeing import (
    BLUR_STEPS,
    WARNING_CATEGORIES,
    DisplayChoices,
    choices_from_form,
    display_for,
    org_display,
    own_overrides,
    record_break,
    record_exposure,
    reset_own_display,
    set_org_display,
    set_own_display,
)
from raqib.store.models_service import Case, CaseMedia
from raqib.web.auth import ui_require
from raqib.web.render import render

router = APIRouter(include_in_schema=False)
_READER = ui_require(Permission.CASES_READ)
_LEAD = ui_require(Permission.CASES_MANAGE)

# The media response may not run anything or load anything, even if a browser were to render
# it as a document (it is also served with nosniff and its type from our own detection).
MEDIA_CSP = "sandbox; default-src 'none'"


# --- media -------------------------------------------------------------------------------------


@router.get("/media/{media_id}")
def media_file(
    media_id: int,
    request: Request,
    principal: Principal = Depends(_READER),
) -> Response:
    """A case's file: inline for a safe image or video type, else an octet-stream attachment;
    always under a generated name, never cached."""
    state = service_state(request)
    with state.database.session() as session:
        view, path = open_media(session, state.settings, media_id)
    headers = {"Cache-Control": "private, no-store", "Content-Security-Policy": MEDIA_CSP}
    return FileResponse(
        path,
        media_type=view.mime,
        filename=view.download_name,
        content_disposition_type="inline" if view.inline else "attachment",
        headers=headers,
    )


@router.post("/cases/{case_id}/revealed", status_code=204)
async def media_revealed(
    case_id: int,
    request: Request,
    principal: Principal = Depends(_READER),
) -> Response:
    """The case page's script reports that the reviewer revealed a medium (form field
    `media_id`, optional): it counts towards today's exposure."""
    form = await request.form()
    raw = form.get("media_id")
    media_id = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    with service_state(request).database.session(write=True) as session:
        _check_media(session, case_id, media_id)
        record_exposure(session, principal.actor, case_id, media_revealed=1)
    return Response(status_code=204)


def _check_media(session: Session, case_id: int, media_id: int | None) -> None:
    if session.get(Case, case_id) is None:
        raise NotFoundError(f"no case {case_id}")
    if media_id is not None:
        row = session.get(CaseMedia, media_id)
        if row is None or row.case_id != case_id:
            raise NotFoundError(f"case {case_id} has no media {media_id}")


# --- breaks ------------------------------------------------------------------------------------


@router.post("/break")
async def took_break(request: Request, principal: Principal = Depends(_READER)) -> Response:
    """The reviewer dismissed the break prompt: the break clock starts again."""
    form = await request.form()
    with service_state(request).database.session(write=True) as session:
        record_break(session, principal.actor)
    return RedirectResponse(_local(str(form.get("next", "/ui/"))), status_code=303)


def _local(path: str) -> str:
    """Only a path of this console is a place to go back to (no open redirect)."""
    if path.startswith("/ui/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/ui/"


# --- settings ----------------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
def own_settings_page(request: Request, principal: Principal = Depends(_READER)) -> Response:
    with service_state(request).database.session() as session:
        context = _own_context(session, principal.actor)
    return render(request, "wb_settings.html", context)


@router.post("/settings", response_class=HTMLResponse)
async def save_own_settings(request: Request, principal: Principal = Depends(_READER)) -> Response:
    """Save the reviewer's choices, or (action=reset) go back to the organisation's."""
    form = dict(await request.form())
    database = service_state(request).database
    try:
        choices = None if form.get("action") == "reset" else choices_from_form(form)
    except InputError as exc:
        with database.session() as session:
            context = _own_context(session, principal.actor)
        return render(request, "wb_settings.html", {**context, "error": str(exc)}, 400)
    with database.session(write=True) as session:
        if choices is None:
            reset_own_display(session, principal.actor)
        else:
            set_own_display(session, principal.actor, choices)
    return RedirectResponse("/ui/settings?saved=1", status_code=303)


@router.get("/settings/org", response_class=HTMLResponse)
def org_settings_page(request: Request, principal: Principal = Depends(_LEAD)) -> Response:
    with service_state(request).database.session() as session:
        choices = org_display(session)
    return render(request, "wb_settings.html", _form_context(choices, org=True))


@router.post("/settings/org", response_class=HTMLResponse)
async def save_org_settings(request: Request, principal: Principal = Depends(_LEAD)) -> Response:
    """Replace the organisation's defaults (audited as settings.org)."""
    form = dict(await request.form())
    database = service_state(request).database
    try:
        choices = choices_from_form(form)
    except InputError as exc:
        with database.session() as session:
            context = _form_context(org_display(session), org=True)
        return render(request, "wb_settings.html", {**context, "error": str(exc)}, 400)
    with database.session(write=True) as session:
        set_org_display(session, choices)
        audit.append(
            session, principal.actor, "settings.org", "display_settings", "org", choices.as_dict()
        )
    return RedirectResponse("/ui/settings/org?saved=1", status_code=303)


def _own_context(session: Session, actor: str) -> dict[str, Any]:
    context = _form_context(display_for(session, actor), org=False)
    context["overrides"] = own_overrides(session, actor)
    return context


def _form_context(choices: DisplayChoices, org: bool) -> dict[str, Any]:
    return {
        "choices": choices,
        "org": org,
        "blur_steps": BLUR_STEPS,
        "categories": WARNING_CATEGORIES,
        "overrides": {},
    }
