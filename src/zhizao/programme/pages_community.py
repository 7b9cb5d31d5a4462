"""Pages of the programme's community area: events and supply–demand matchmaking (供需对接), support measures
(政策支持) and the annual work plan (年度工作计划); the talent pages (人才培养) are ``pages_talent``'s, served by this
module's router.

Each form posts to a page route with the API's role guard and calls the same service as the API; what the service
refuses is shown on the page (422) with the field it names. Scope is the services': another organisation's closed
request is a 404 here as in the API.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import CROSS_TENANT_ROLES
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import pages_talent, service_editions, service_events, service_support, service_workplan
from zhizao.programme.deps import MATCHMAKERS, OVERSEERS, Matchmaker, Overseer
from zhizao.programme.kinds import District, Industry
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_community import (
    EVENT_KIND_LABELS,
    MATCH_SIDE_LABELS,
    MATCH_STATUS_LABELS,
    SUPPORT_KIND_LABELS,
    TASK_STATUS_LABELS,
    EventKind,
    MatchSide,
    MatchStatus,
    SupportKind,
    TaskStatus,
)
from zhizao.programme.page_forms import FilledFields, form_page, submit
from zhizao.programme.schemas_community import (
    EventCreate,
    MatchCreate,
    MatchRequestCreate,
    MatchRequestRead,
    SupportCreate,
    WorkTaskCreate,
    WorkTaskUpdate,
    Year,
)
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem

router = APIRouter(include_in_schema=False)
router.include_router(pages_talent.router)

EVENTS, MATCHMAKING = "/programme/events", "/programme/matchmaking"
SUPPORT, WORK_PLAN = "/programme/support", "/programme/work-plan"
NAV = (
    *pages_talent.NAV,
    NavItem(N_("Matchmaking"), MATCHMAKING, roles=frozenset(MATCHMAKERS), order=670),
    NavItem(N_("Support measures"), SUPPORT, roles=frozenset(OVERSEERS), order=675),
    NavItem(N_("Annual work plan"), WORK_PLAN, roles=frozenset(OVERSEERS), order=680),
)
LABELS = {
    "event_kinds": EVENT_KIND_LABELS, "sides": MATCH_SIDE_LABELS, "match_statuses": MATCH_STATUS_LABELS,
    "support_kinds": SUPPORT_KIND_LABELS, "task_statuses": TASK_STATUS_LABELS, "districts": list(District),
    "industries": list(Industry), "kind_values": list(EventKind), "side_values": list(MatchSide),
    "support_kind_values": list(SupportKind), "task_status_values": list(TaskStatus),
}  # fmt: skip


def _page(request: Request, template: str, context: dict[str, Any], problems: list[FieldProblem]) -> Response:
    return form_page(request, template, {**LABELS, **context}, problems)


# --- events and matchmaking --------------------------------------------------------------------------------


def _events_view(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    context = {"events": service_events.list_events(session), "can_edit": principal.role in CROSS_TENANT_ROLES}
    return _page(request, "programme/events_list.html", context, problems)


@router.get(EVENTS)
def events_page(request: Request, principal: Matchmaker, session: SessionDep) -> Response:
    return _events_view(request, principal, session, [])


@router.post(EVENTS)
def create_event(request: Request, principal: Overseer, session: SessionDep, fields: FilledFields) -> Response:
    def action() -> object:
        return service_events.create_event(session, principal, EventCreate.model_validate(fields))

    return submit(session, action, EVENTS, partial(_events_view, request, principal, session))


def _counterparts(requests: list[MatchRequestRead]) -> dict[int, list[MatchRequestRead]]:
    """Open request id → the open requests it could be matched with (other side, other organisation)."""
    open_ones = [row for row in requests if row.status == MatchStatus.OPEN]
    return {
        row.id: [o for o in open_ones if o.side != row.side and o.organisation_id != row.organisation_id]
        for row in open_ones
    }


def _matchmaking_view(
    request: Request, principal: Principal, session: Session, problems: list[FieldProblem]
) -> Response:
    requests = service_events.list_requests(session, principal)
    overseer = principal.role in CROSS_TENANT_ROLES
    posters = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind.in_(service_events.POSTING_KINDS))
        .order_by(Organisation.name)
    ).all()
    context = {
        "requests": requests,
        "events": service_events.list_events(session),
        "overseer": overseer,
        "counterparts": _counterparts(requests) if overseer else {},
        "posters": posters if overseer else [],
    }
    return _page(request, "programme/events_matchmaking.html", context, problems)


@router.get(MATCHMAKING)
def matchmaking_page(request: Request, principal: Matchmaker, session: SessionDep) -> Response:
    return _matchmaking_view(request, principal, session, [])


@router.post(MATCHMAKING + "/requests")
def post_request(request: Request, principal: Matchmaker, session: SessionDep, fields: FilledFields) -> Response:
    def action() -> object:
        return service_events.create_request(session, principal, MatchRequestCreate.model_validate(fields))

    return submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


@router.post(MATCHMAKING + "/requests/{request_id}/close")
def close_request(request: Request, request_id: IdPath, principal: Matchmaker, session: SessionDep) -> Response:
    action = partial(service_events.close_request, session, principal, request_id)
    return submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


@router.post(MATCHMAKING + "/requests/{request_id}/match")
def match_request(
    request: Request,
    request_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    settings: SettingsDep,
    fields: FilledFields,
) -> Response:
    today = service_workplan.programme_today(settings.timezone)

    def action() -> object:
        return service_events.match(session, principal, request_id, MatchCreate.model_validate(fields), today)

    return submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


# --- support measures --------------------------------------------------------------------------------------


def _support_view(request: Request, session: Session, edition_id: int | None, problems: list[FieldProblem]) -> Response:
    edition = service_editions.find_edition(session, edition_id)
    context: dict[str, Any] = {"edition": edition, "editions": service_editions.list_editions(session)}
    if edition is not None:
        context |= {
            "totals": service_support.support_totals(session, edition.id),
            "measures": service_support.recent_measures(session, edition.id),
            "projects": session.execute(
                select(FactoryProject.id, FactoryProject.title, Organisation.name)
                .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
                .where(FactoryProject.edition_id == edition.id)
                .order_by(Organisation.name)
            ).all(),
        }
    return _page(request, "programme/support_list.html", context, problems)


@router.get(SUPPORT)
def support_page(request: Request, principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Response:
    return _support_view(request, session, edition_id, [])


@router.post(SUPPORT)
def record_support(request: Request, principal: Overseer, session: SessionDep, fields: FilledFields) -> Response:
    project = optional_int(fields.get("project_id"))
    view = partial(_support_view, request, session, None)
    if project is None or project < 1:
        return view([FieldProblem("project_id", "choose a project")])
    data = {key: value for key, value in fields.items() if key != "project_id"}

    def action() -> object:
        return service_support.record_measure(session, principal, project, SupportCreate.model_validate(data))

    return submit(session, action, SUPPORT, view)


# --- annual work plan --------------------------------------------------------------------------------------


def _work_plan_view(
    request: Request, session: Session, timezone: str, year: int | None, problems: list[FieldProblem]
) -> Response:
    today = service_workplan.programme_today(timezone)
    chosen = year or today.year
    tasks = service_workplan.list_tasks(session, chosen, today)
    owners = session.execute(
        select(User.id, User.display_name).where(User.role.in_(CROSS_TENANT_ROLES)).order_by(User.display_name)
    ).all()
    context = {
        "year": chosen,
        "years": sorted({*service_workplan.plan_years(session), today.year, chosen}, reverse=True),
        "tasks": tasks,
        "summary": service_workplan.plan_summary(chosen, tasks),
        "owners": owners,
        "today": today,
    }
    return _page(request, "programme/workplan_list.html", context, problems)


@router.get(WORK_PLAN)
def work_plan_page(
    request: Request, principal: Overseer, session: SessionDep, settings: SettingsDep, year: Year | None = None
) -> Response:
    return _work_plan_view(request, session, settings.timezone, year, [])


@router.post(WORK_PLAN)
def add_task(
    request: Request, principal: Overseer, session: SessionDep, settings: SettingsDep, fields: FilledFields
) -> Response:
    today = service_workplan.programme_today(settings.timezone)

    def action() -> object:
        return service_workplan.create_task(session, principal, WorkTaskCreate.model_validate(fields), today)

    year = optional_int(fields.get("year"))
    known_year = year if year is not None and year > 0 else None
    view = partial(_work_plan_view, request, session, settings.timezone, known_year)
    return submit(session, action, f"{WORK_PLAN}?year={known_year}" if known_year else WORK_PLAN, view)


@router.post(WORK_PLAN + "/{task_id}")
def change_task(
    request: Request,
    task_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    settings: SettingsDep,
    fields: FilledFields,
) -> Response:
    today = service_workplan.programme_today(settings.timezone)
    year = service_workplan.read_task(session, task_id, today).year

    def action() -> object:
        return service_workplan.update_task(session, principal, task_id, WorkTaskUpdate.model_validate(fields), today)

    view = partial(_work_plan_view, request, session, settings.timezone, year)
    return submit(session, action, f"{WORK_PLAN}?year={year}", view)
