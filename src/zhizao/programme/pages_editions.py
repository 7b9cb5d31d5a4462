"""Pages of programme editions and their targets: every edition side by side, adding an edition (its targets and
rules copied from another, then edited), marking one current, and the targets form of one edition.

Targets are validated by ``editions.EditionTargets`` through the service, so the form reports the same field paths
as the API (``targets.industry_quotas.automotive``). Every signed-in user may read the targets; changing them is
the programme office's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import CurrentUser, SessionDep
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath
from zhizao.programme import service_editions
from zhizao.programme.deps import OVERSEERS, Overseer
from zhizao.programme.editions import EditionDefinition, EditionTargets, load_definition
from zhizao.programme.kinds import INDUSTRY_LABELS, Industry
from zhizao.programme.page_forms import PostedStrings, submit
from zhizao.programme.schemas_enterprises import EditionRead, EditionUpdate
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
HOME = "/programme/editions"
NAV = (NavItem(N_("Editions and targets"), HOME, roles=frozenset(OVERSEERS), order=690),)

QUOTA_FIELDS = ("industry_quotas", "benchmark_quotas")
# The targets other than the quotas, in the order the plan states them, with their labels.
TARGET_LABELS: dict[str, str] = {
    "smart_factories": N_("Smart factories"),
    "benchmark_factories": N_("Benchmark factories"),
    "robots": N_("New industrial robots"),
    "integrators_over_1bn": N_("Integrators with revenue over ¥1bn"),
    "integrators_over_10bn": N_("Integrators with revenue over ¥10bn"),
    "platforms": N_("Vertical industrial-internet platforms"),
    "platform_enterprises": N_("Enterprises served by the platforms"),
    "productivity_gain_pct": N_("Productivity gain (per cent)"),
    "cost_reduction_pct": N_("Operating cost reduction (per cent)"),
    "trained_talent": N_("Planners and consultants trained"),
}
assert set(TARGET_LABELS) | set(QUOTA_FIELDS) == set(EditionTargets.model_fields), "label every target"


def targets_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The targets a form sent, shaped as ``EditionTargets`` reads them; a blank quota is no quota (0), a blank
    target is left out so that the schema names it as missing."""
    targets: dict[str, Any] = {}
    for name in TARGET_LABELS:
        if form.get(name, "").strip():
            targets[name] = form[name].strip()
    for name in QUOTA_FIELDS:
        quotas = {industry.value: form.get(f"{name}.{industry.value}", "").strip() for industry in Industry}
        targets[name] = {industry: value for industry, value in quotas.items() if value}
    return targets


def _context(editions: list[EditionRead]) -> dict[str, Any]:
    return {
        "editions": editions,
        "target_labels": TARGET_LABELS,
        "industries": INDUSTRY_LABELS,
        "quota_fields": {"industry_quotas": N_("Smart-factory quota"), "benchmark_quotas": N_("Benchmark quota")},
    }


@router.get(HOME)
def editions_page(request: Request, principal: CurrentUser, session: SessionDep) -> Response:
    return _list_view(request, principal, session)


def _list_view(
    request: Request,
    principal: Principal,
    session: Session,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    editions = [service_editions.edition_read(row) for row in service_editions.list_editions(session)]
    context = {
        **_context(editions),
        "can_edit": principal.sees_all_tenants,
        "bundled_missing": load_definition().code not in {edition.code for edition in editions},
        "problems": problems or [],
        "form": form or {},
    }
    return render(request, "programme/editions_list.html", context, status_code=422 if problems else 200)


@router.post(HOME)
def add_edition(request: Request, principal: Overseer, session: SessionDep, form: PostedStrings) -> Response:
    """Add an edition whose targets and rules start as a copy of another's (then edited on its own page)."""

    def run() -> int:
        source_id = optional_int(form.get("copy_from"))
        source = service_editions.get_edition(session, source_id) if source_id is not None and source_id > 0 else None
        definition = EditionDefinition.model_validate(
            {
                **{name: form.get(name, "").strip() for name in ("code", "name", "start_year", "end_year")},
                "targets": source.targets if source else {},
                "rules": source.rules if source else {},
            }
        )
        session.rollback()  # the read above began a transaction; the service opens its own
        return service_editions.create_edition(session, principal, definition).id

    view = lambda problems: _list_view(request, principal, session, problems, form)  # noqa: E731
    return submit(session, run, lambda created: f"{HOME}/{created}", view)


@router.post(HOME + "/bundled")
def add_bundled_edition(principal: Overseer, session: SessionDep) -> Response:
    """Add the plan's own 2020–2022 edition, bundled with zhizao, when it is missing."""
    service_editions.ensure_default_edition(session, principal)
    return RedirectResponse(HOME, status_code=303)


@router.post(HOME + "/{edition_id}/current")
def make_current(edition_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    service_editions.make_current(session, principal, edition_id)
    return RedirectResponse(HOME, status_code=303)


@router.get(HOME + "/{edition_id}")
def edition_page(request: Request, edition_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _edit_view(request, session, edition_id)


def _edit_view(
    request: Request,
    session: Session,
    edition_id: int,
    problems: list[FieldProblem] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    edition = service_editions.edition_read(service_editions.get_edition(session, edition_id))
    values: dict[str, str] = {
        "name": edition.name,
        "start_year": str(edition.start_year),
        "end_year": str(edition.end_year),
        **{name: str(getattr(edition.targets, name)) for name in TARGET_LABELS},
    }
    for name in QUOTA_FIELDS:
        quotas: dict[Industry, int] = getattr(edition.targets, name)
        values |= {f"{name}.{industry.value}": str(quotas.get(industry, 0)) for industry in Industry}
    context = {**_context([edition]), "edition": edition, "form": values | dict(form or {}), "problems": problems or []}
    return render(request, "programme/editions_edit.html", context, status_code=422 if problems else 200)


@router.post(HOME + "/{edition_id}")
def update_edition(
    request: Request, edition_id: IdPath, principal: Overseer, session: SessionDep, form: PostedStrings
) -> Response:
    body = {name: form.get(name, "").strip() for name in ("name", "start_year", "end_year")}
    data = {**body, "targets": targets_from_form(form)}
    return submit(
        session,
        lambda: service_editions.update_edition(session, principal, edition_id, EditionUpdate.model_validate(data)),
        HOME,
        lambda problems: _edit_view(request, session, edition_id, problems, form),
    )
