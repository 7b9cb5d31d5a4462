"""Pages of the programme's community area: talent (人才培养) with its cohorts, events and supply–demand matchmaking
(供需对接), support measures (政策支持) and the annual work plan (年度工作计划).

Each form posts to a page route with the API's role guard and calls the same service as the API; what the service
refuses is shown on the page (422) with the field it names. Scope is the services': another organisation's closed
request is a 404 here as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import CROSS_TENANT_ROLES
from zhizao.errors import FieldProblem, NotFound
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import service_editions, service_events, service_support, service_talent, service_workplan
from zhizao.programme.api_community import MATCHMAKERS, OVERSEERS
from zhizao.programme.kinds import District, Industry
from zhizao.programme.models import Edition, FactoryProject
from zhizao.programme.models_community import (
    EVENT_KIND_LABELS,
    MATCH_SIDE_LABELS,
    MATCH_STATUS_LABELS,
    SUPPORT_KIND_LABELS,
    TASK_STATUS_LABELS,
    TRACK_LABELS,
    TRAINEE_STATUS_LABELS,
    EventKind,
    MatchSide,
    MatchStatus,
    SupportKind,
    TalentTrack,
    TaskStatus,
    TraineeStatus,
)
from zhizao.programme.schemas_community import (
    CertificationCreate,
    CohortCreate,
    EventCreate,
    ExcellentSelection,
    MatchCreate,
    MatchRequestCreate,
    MatchRequestRead,
    SupportCreate,
    TraineeCreate,
    TraineeUpdate,
    WorkTaskCreate,
    WorkTaskUpdate,
    Year,
)
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

TALENT, EVENTS, MATCHMAKING = "/programme/talent", "/programme/events", "/programme/matchmaking"
SUPPORT, WORK_PLAN = "/programme/support", "/programme/work-plan"
NAV = (
    NavItem(N_("Talent"), TALENT, roles=frozenset(OVERSEERS), order=660),
    NavItem(N_("Matchmaking"), MATCHMAKING, roles=frozenset(MATCHMAKERS), order=670),
    NavItem(N_("Support measures"), SUPPORT, roles=frozenset(OVERSEERS), order=675),
    NavItem(N_("Annual work plan"), WORK_PLAN, roles=frozenset(OVERSEERS), order=680),
)
Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
Matchmaker = Annotated[Principal, Depends(require_role(*MATCHMAKERS))]
View = Callable[[list[FieldProblem]], Response]
LABELS = {
    "tracks": TRACK_LABELS, "trainee_statuses": TRAINEE_STATUS_LABELS, "event_kinds": EVENT_KIND_LABELS,
    "sides": MATCH_SIDE_LABELS, "match_statuses": MATCH_STATUS_LABELS, "support_kinds": SUPPORT_KIND_LABELS,
    "task_statuses": TASK_STATUS_LABELS, "districts": list(District), "industries": list(Industry),
    "track_values": list(TalentTrack), "trainee_status_values": list(TraineeStatus), "kind_values": list(EventKind),
    "side_values": list(MatchSide), "support_kind_values": list(SupportKind), "task_status_values": list(TaskStatus),
}  # fmt: skip


async def form_fields(request: Request) -> dict[str, str]:
    """The form's filled-in text fields (blank ones left out, so the schema's defaults apply)."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str) and value.strip()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]
NO_CSRF = frozenset({"csrf_token"})


def _data(fields: dict[str, str], *drop: str) -> dict[str, str]:
    return {key: value for key, value in fields.items() if key not in NO_CSRF and key not in drop}


def _submit(session: Session, action: Callable[[], object], done: str, view: View) -> Response:
    """Run a form's action in the service's own transaction; on what the user got wrong, show the page again."""
    session.rollback()
    result, problems = attempt(action)
    if result is None:
        session.rollback()
        return view(problems)
    return RedirectResponse(done, status_code=303)


def _page(request: Request, template: str, context: dict[str, Any], problems: list[FieldProblem]) -> Response:
    return render(request, template, {**LABELS, **context, "problems": problems}, status_code=422 if problems else 200)


def _edition(session: Session, edition_id: int | None) -> Edition | None:
    """The edition asked for, else the current one; None before any edition exists."""
    if edition_id is not None:
        return service_editions.get_edition(session, edition_id)
    try:
        return service_editions.current_edition(session)
    except NotFound:
        return None


# --- talent ------------------------------------------------------------------------------------------------


def _talent_view(request: Request, session: Session, edition_id: int | None, problems: list[FieldProblem]) -> Response:
    edition = _edition(session, edition_id)
    context: dict[str, Any] = {"edition": edition, "editions": service_editions.list_editions(session)}
    if edition is not None:
        context |= {
            "summary": service_talent.talent_summary(session, edition.id),
            "cohorts": service_talent.list_cohorts(session, edition.id),
            "excellent": service_talent.excellent_consultants(session, edition.id),
        }
    return _page(request, "programme/talent_list.html", context, problems)


@router.get(TALENT)
def talent_page(request: Request, principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Response:
    return _talent_view(request, session, edition_id, [])


@router.post(TALENT + "/cohorts")
def create_cohort(request: Request, principal: Overseer, session: SessionDep, fields: FormFields) -> Response:
    edition_id = optional_int(fields.get("edition_id"))
    view = partial(_talent_view, request, session, edition_id if edition_id is not None and edition_id > 0 else None)

    def action() -> object:
        return service_talent.create_cohort(session, principal, CohortCreate.model_validate(_data(fields)))

    return _submit(session, action, TALENT + (f"?edition_id={edition_id}" if edition_id else ""), view)


def _cohort_view(request: Request, session: Session, cohort_id: int, problems: list[FieldProblem]) -> Response:
    cohort = service_talent.read_cohort(session, cohort_id)
    context = {
        "cohort": cohort,
        "trainees": service_talent.list_trainees(session, cohort_id),
        "organisations": session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all(),
    }
    return _page(request, "programme/talent_cohort.html", context, problems)


@router.get(TALENT + "/cohorts/{cohort_id}")
def cohort_page(request: Request, cohort_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _cohort_view(request, session, cohort_id, [])


@router.post(TALENT + "/cohorts/{cohort_id}/trainees")
def add_trainee(
    request: Request, cohort_id: IdPath, principal: Overseer, session: SessionDep, fields: FormFields
) -> Response:
    data = _data(fields)

    def action() -> object:
        return service_talent.add_trainee(session, principal, cohort_id, TraineeCreate.model_validate(data))

    return _submit(session, action, f"{TALENT}/cohorts/{cohort_id}", partial(_cohort_view, request, session, cohort_id))


@router.post(TALENT + "/cohorts/{cohort_id}/import")
def import_trainees(
    request: Request,
    cohort_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    action = partial(service_talent.import_trainees, session, principal, cohort_id, content)
    return _submit(session, action, f"{TALENT}/cohorts/{cohort_id}", partial(_cohort_view, request, session, cohort_id))


TRAINEE_ACTIONS: dict[str, Callable[[Session, Principal, int, dict[str, str]], object]] = {
    "status": lambda s, p, t, d: service_talent.update_trainee(s, p, t, TraineeUpdate.model_validate(d)),
    "certificate": lambda s, p, t, d: service_talent.certify(s, p, t, CertificationCreate.model_validate(d)),
    "excellent": lambda s, p, t, d: service_talent.select_excellent(s, p, t, ExcellentSelection.model_validate(d)),
}


@router.post(TALENT + "/trainees/{trainee_id}/{step}")
def trainee_step(
    request: Request, trainee_id: IdPath, step: str, principal: Overseer, session: SessionDep, fields: FormFields
) -> Response:
    """Change a trainee's status, certify them or select them as excellent, then back to their cohort."""
    if step not in TRAINEE_ACTIONS:
        raise NotFound(f"no step {step!r}")
    cohort_id = service_talent.get_trainee(session, trainee_id).cohort_id
    action = partial(TRAINEE_ACTIONS[step], session, principal, trainee_id, _data(fields))
    return _submit(session, action, f"{TALENT}/cohorts/{cohort_id}", partial(_cohort_view, request, session, cohort_id))


# --- events and matchmaking --------------------------------------------------------------------------------


def _events_view(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    context = {"events": service_events.list_events(session), "can_edit": principal.role in CROSS_TENANT_ROLES}
    return _page(request, "programme/events_list.html", context, problems)


@router.get(EVENTS)
def events_page(request: Request, principal: Matchmaker, session: SessionDep) -> Response:
    return _events_view(request, principal, session, [])


@router.post(EVENTS)
def create_event(request: Request, principal: Overseer, session: SessionDep, fields: FormFields) -> Response:
    def action() -> object:
        return service_events.create_event(session, principal, EventCreate.model_validate(_data(fields)))

    return _submit(session, action, EVENTS, partial(_events_view, request, principal, session))


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
def post_request(request: Request, principal: Matchmaker, session: SessionDep, fields: FormFields) -> Response:
    data = _data(fields)

    def action() -> object:
        return service_events.create_request(session, principal, MatchRequestCreate.model_validate(data))

    return _submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


@router.post(MATCHMAKING + "/requests/{request_id}/close")
def close_request(request: Request, request_id: IdPath, principal: Matchmaker, session: SessionDep) -> Response:
    action = partial(service_events.close_request, session, principal, request_id)
    return _submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


@router.post(MATCHMAKING + "/requests/{request_id}/match")
def match_request(
    request: Request,
    request_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    settings: SettingsDep,
    fields: FormFields,
) -> Response:
    today = service_workplan.programme_today(settings.timezone)
    data = _data(fields)

    def action() -> object:
        return service_events.match(session, principal, request_id, MatchCreate.model_validate(data), today)

    return _submit(session, action, MATCHMAKING, partial(_matchmaking_view, request, principal, session))


# --- support measures --------------------------------------------------------------------------------------


def _support_view(request: Request, session: Session, edition_id: int | None, problems: list[FieldProblem]) -> Response:
    edition = _edition(session, edition_id)
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
def record_support(request: Request, principal: Overseer, session: SessionDep, fields: FormFields) -> Response:
    project = optional_int(fields.get("project_id"))
    view = partial(_support_view, request, session, None)
    if project is None or project < 1:
        return view([FieldProblem("project_id", "choose a project")])
    data = _data(fields, "project_id")

    def action() -> object:
        return service_support.record_measure(session, principal, project, SupportCreate.model_validate(data))

    return _submit(session, action, SUPPORT, view)


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
    request: Request, principal: Overseer, session: SessionDep, settings: SettingsDep, fields: FormFields
) -> Response:
    data = _data(fields)
    today = service_workplan.programme_today(settings.timezone)

    def action() -> object:
        return service_workplan.create_task(session, principal, WorkTaskCreate.model_validate(data), today)

    year = optional_int(data.get("year"))
    known_year = year if year is not None and year > 0 else None
    view = partial(_work_plan_view, request, session, settings.timezone, known_year)
    return _submit(session, action, f"{WORK_PLAN}?year={known_year}" if known_year else WORK_PLAN, view)


@router.post(WORK_PLAN + "/{task_id}")
def change_task(
    request: Request,
    task_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    settings: SettingsDep,
    fields: FormFields,
) -> Response:
    today = service_workplan.programme_today(settings.timezone)
    year = service_workplan.read_task(session, task_id, today).year
    data = _data(fields)

    def action() -> object:
        return service_workplan.update_task(session, principal, task_id, WorkTaskUpdate.model_validate(data), today)

    view = partial(_work_plan_view, request, session, settings.timezone, year)
    return _submit(session, action, f"{WORK_PLAN}?year={year}", view)
