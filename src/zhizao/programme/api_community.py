"""JSON API of the programme's community area: talent cohorts and trainees, events and supply–demand requests,
support measures of factory projects and the annual work plan.

Talent, events, support records and the work plan are the office's (officers and administrators). Enterprises,
integrators and platforms post and read supply–demand requests (others' open ones without contacts); an enterprise
reads the support measures of its own projects. Another tenant's rows are a 404 (the services decide).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile, status

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import service_events, service_support, service_talent, service_workplan, talent_excel
from zhizao.programme.deps import Matchmaker, Overseer, SupportReader
from zhizao.programme.downloads import xlsx_download
from zhizao.programme.models_community import MatchSide, MatchStatus
from zhizao.programme.schemas_community import (
    CertificationCreate,
    CohortCreate,
    CohortRead,
    CohortUpdate,
    EventCreate,
    EventRead,
    EventUpdate,
    ExcellentSelection,
    MatchCreate,
    MatchRequestCreate,
    MatchRequestRead,
    MatchRequestUpdate,
    SupportCreate,
    SupportRead,
    SupportTotal,
    SupportUpdate,
    TalentSummary,
    TraineeCreate,
    TraineeImportReport,
    TraineeRead,
    TraineeUpdate,
    WorkPlanSummary,
    WorkTaskCreate,
    WorkTaskRead,
    WorkTaskUpdate,
    Year,
)
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES

router = APIRouter(prefix="/api/programme", tags=["programme community"])

EditionQuery = Annotated[int, Query(ge=1, le=2**31 - 1)]
YearQuery = Annotated[Year | None, Query(description="Defaults to the current year.")]
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT


# --- talent ------------------------------------------------------------------------------------------------


@router.get("/talent/summary")
def talent_summary(edition_id: EditionQuery, principal: Overseer, session: SessionDep) -> TalentSummary:
    """The edition's talent funnel against its trained_talent target (certified trainees count)."""
    return service_talent.talent_summary(session, edition_id)


@router.get("/talent/trainee-template.xlsx", response_class=Response)
def trainee_template(principal: Overseer) -> Response:
    return xlsx_download(talent_excel.import_template(), "zhizao-trainees.xlsx")


@router.get("/cohorts")
def list_cohorts(principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> list[CohortRead]:
    return service_talent.list_cohorts(session, edition_id)


@router.post("/cohorts", status_code=CREATED)
def create_cohort(data: CohortCreate, principal: Overseer, session: SessionDep) -> CohortRead:
    return service_talent.create_cohort(session, principal, data)


@router.get("/cohorts/{cohort_id}")
def read_cohort(cohort_id: IdPath, principal: Overseer, session: SessionDep) -> CohortRead:
    return service_talent.read_cohort(session, cohort_id)


@router.patch("/cohorts/{cohort_id}")
def update_cohort(cohort_id: IdPath, data: CohortUpdate, principal: Overseer, session: SessionDep) -> CohortRead:
    return service_talent.update_cohort(session, principal, cohort_id, data)


@router.delete("/cohorts/{cohort_id}", status_code=NO_CONTENT)
def delete_cohort(cohort_id: IdPath, principal: Overseer, session: SessionDep) -> None:
    """Only a cohort without trainees is deleted."""
    service_talent.delete_cohort(session, principal, cohort_id)


@router.get("/cohorts/{cohort_id}/trainees")
def list_trainees(cohort_id: IdPath, principal: Overseer, session: SessionDep) -> list[TraineeRead]:
    return service_talent.list_trainees(session, cohort_id)


@router.post("/cohorts/{cohort_id}/trainees", status_code=CREATED)
def add_trainee(cohort_id: IdPath, data: TraineeCreate, principal: Overseer, session: SessionDep) -> TraineeRead:
    return service_talent.add_trainee(session, principal, cohort_id, data)


@router.post("/cohorts/{cohort_id}/trainees/import")
def import_trainees(
    cohort_id: IdPath, file: UploadFile, principal: Overseer, session: SessionDep
) -> TraineeImportReport:
    """Enrol trainees from an .xlsx (姓名, 工作单位, 证件号码, 手机号码): all rows or none."""
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    return talent_excel.import_trainees(session, principal, cohort_id, content)


@router.get("/cohorts/{cohort_id}/trainees.xlsx", response_class=Response)
def export_trainees(cohort_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return xlsx_download(talent_excel.export_trainees(session, cohort_id), f"zhizao-cohort-{cohort_id}.xlsx")


@router.get("/trainees/{trainee_id}")
def read_trainee(trainee_id: IdPath, principal: Overseer, session: SessionDep) -> TraineeRead:
    return TraineeRead.model_validate(service_talent.get_trainee(session, trainee_id))


@router.patch("/trainees/{trainee_id}")
def update_trainee(trainee_id: IdPath, data: TraineeUpdate, principal: Overseer, session: SessionDep) -> TraineeRead:
    """Change details or status (enrolled ⇄ completed, enrolled ⇄ dropped; a certified trainee's is final)."""
    return service_talent.update_trainee(session, principal, trainee_id, data)


@router.post("/trainees/{trainee_id}/certificate")
def certify_trainee(
    trainee_id: IdPath, data: CertificationCreate, principal: Overseer, session: SessionDep
) -> TraineeRead:
    """Only a trainee who completed the course is certified; certificate numbers are unique."""
    return service_talent.certify(session, principal, trainee_id, data)


@router.post("/trainees/{trainee_id}/excellent")
def select_excellent(
    trainee_id: IdPath, data: ExcellentSelection, principal: Overseer, session: SessionDep
) -> TraineeRead:
    """Select a certified trainee as an excellent consultant (优秀咨询师), with the rationale."""
    return service_talent.select_excellent(session, principal, trainee_id, data)


@router.delete("/trainees/{trainee_id}/excellent")
def withdraw_excellent(trainee_id: IdPath, principal: Overseer, session: SessionDep) -> TraineeRead:
    return service_talent.withdraw_excellent(session, principal, trainee_id)


# --- events and matchmaking --------------------------------------------------------------------------------


@router.get("/events")
def list_events(principal: Matchmaker, session: SessionDep) -> list[EventRead]:
    """Events, latest first, with the requests posted for each."""
    return service_events.list_events(session)


@router.post("/events", status_code=CREATED)
def create_event(data: EventCreate, principal: Overseer, session: SessionDep) -> EventRead:
    return service_events.create_event(session, principal, data)


@router.get("/events/{event_id}")
def read_event(event_id: IdPath, principal: Overseer, session: SessionDep) -> EventRead:
    return service_events.read_event(session, event_id)


@router.patch("/events/{event_id}")
def update_event(event_id: IdPath, data: EventUpdate, principal: Overseer, session: SessionDep) -> EventRead:
    return service_events.update_event(session, principal, event_id, data)


@router.delete("/events/{event_id}", status_code=NO_CONTENT)
def delete_event(event_id: IdPath, principal: Overseer, session: SessionDep) -> None:
    service_events.delete_event(session, principal, event_id)


@router.get("/match-requests")
def list_match_requests(
    principal: Matchmaker,
    session: SessionDep,
    status: MatchStatus | None = None,
    side: MatchSide | None = None,
    event_id: IdQuery = None,
) -> list[MatchRequestRead]:
    """The office sees all; an organisation its own and the open requests of others (without their contacts)."""
    return service_events.list_requests(session, principal, status=status, side=side, event_id=event_id)


@router.post("/match-requests", status_code=CREATED)
def create_match_request(data: MatchRequestCreate, principal: Matchmaker, session: SessionDep) -> MatchRequestRead:
    return service_events.create_request(session, principal, data)


@router.get("/match-requests/{request_id}")
def read_match_request(request_id: IdPath, principal: Matchmaker, session: SessionDep) -> MatchRequestRead:
    return service_events.read_request(session, principal, request_id)


@router.patch("/match-requests/{request_id}")
def update_match_request(
    request_id: IdPath, data: MatchRequestUpdate, principal: Matchmaker, session: SessionDep
) -> MatchRequestRead:
    return service_events.update_request(session, principal, request_id, data)


@router.post("/match-requests/{request_id}/close")
def close_match_request(request_id: IdPath, principal: Matchmaker, session: SessionDep) -> MatchRequestRead:
    return service_events.close_request(session, principal, request_id)


@router.post("/match-requests/{request_id}/match")
def match_requests(
    request_id: IdPath, data: MatchCreate, principal: Overseer, session: SessionDep, settings: SettingsDep
) -> MatchRequestRead:
    """Match this request with an open one of the other side; the two organisations then see each other."""
    today = service_workplan.programme_today(settings.timezone)
    return service_events.match(session, principal, request_id, data, today)


# --- support measures --------------------------------------------------------------------------------------


@router.get("/support/totals")
def support_totals(edition_id: EditionQuery, principal: Overseer, session: SessionDep) -> list[SupportTotal]:
    """Measures and amounts by kind over the edition's projects (every kind, zero when none)."""
    totals = service_support.support_totals(session, edition_id)
    return [SupportTotal(kind=kind, count=count, amount_cny=amount) for kind, (count, amount) in totals.items()]


@router.get("/projects/{project_id}/support")
def list_support(project_id: IdPath, principal: SupportReader, session: SessionDep) -> list[SupportRead]:
    return service_support.list_measures(session, principal, project_id)


@router.post("/projects/{project_id}/support", status_code=CREATED)
def record_support(project_id: IdPath, data: SupportCreate, principal: Overseer, session: SessionDep) -> SupportRead:
    return service_support.record_measure(session, principal, project_id, data)


@router.patch("/projects/{project_id}/support/{measure_id}")
def update_support(
    project_id: IdPath, measure_id: IdPath, data: SupportUpdate, principal: Overseer, session: SessionDep
) -> SupportRead:
    return service_support.update_measure(session, principal, project_id, measure_id, data)


@router.delete("/projects/{project_id}/support/{measure_id}", status_code=NO_CONTENT)
def delete_support(project_id: IdPath, measure_id: IdPath, principal: Overseer, session: SessionDep) -> None:
    service_support.delete_measure(session, principal, project_id, measure_id)


# --- annual work plan --------------------------------------------------------------------------------------


@router.get("/work-plan")
def list_tasks(
    principal: Overseer, session: SessionDep, settings: SettingsDep, year: YearQuery = None
) -> list[WorkTaskRead]:
    """The year's tasks by due date; ``overdue`` flags those due before today and not done."""
    today = service_workplan.programme_today(settings.timezone)
    return service_workplan.list_tasks(session, year or today.year, today)


@router.get("/work-plan/summary")
def work_plan_summary(
    principal: Overseer, session: SessionDep, settings: SettingsDep, year: YearQuery = None
) -> WorkPlanSummary:
    today = service_workplan.programme_today(settings.timezone)
    chosen = year or today.year
    return service_workplan.plan_summary(chosen, service_workplan.list_tasks(session, chosen, today))


@router.post("/work-plan", status_code=CREATED)
def create_task(data: WorkTaskCreate, principal: Overseer, session: SessionDep, settings: SettingsDep) -> WorkTaskRead:
    return service_workplan.create_task(session, principal, data, service_workplan.programme_today(settings.timezone))


@router.get("/work-plan/{task_id}")
def read_task(task_id: IdPath, principal: Overseer, session: SessionDep, settings: SettingsDep) -> WorkTaskRead:
    return service_workplan.read_task(session, task_id, service_workplan.programme_today(settings.timezone))


@router.patch("/work-plan/{task_id}")
def update_task(
    task_id: IdPath, data: WorkTaskUpdate, principal: Overseer, session: SessionDep, settings: SettingsDep
) -> WorkTaskRead:
    today = service_workplan.programme_today(settings.timezone)
    return service_workplan.update_task(session, principal, task_id, data, today)


@router.delete("/work-plan/{task_id}", status_code=NO_CONTENT)
def delete_task(task_id: IdPath, principal: Overseer, session: SessionDep) -> None:
    service_workplan.delete_task(session, principal, task_id)
