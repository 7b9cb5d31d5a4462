"""Pages of talent (人才培养): an edition's talent funnel against its target, its cohorts and excellent consultants,
and a cohort with its trainees, the Excel import and each trainee's status, certificate and selection.

The programme office's only. Each form calls the same service as the API; what the service refuses is shown on the
page (422) with the field it names. Served by ``pages_community``'s router.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, NotFound
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import service_editions, service_talent, talent_excel
from zhizao.programme.deps import OVERSEERS, Overseer
from zhizao.programme.models_community import TRACK_LABELS, TRAINEE_STATUS_LABELS, TalentTrack, TraineeStatus
from zhizao.programme.page_forms import FilledFields, form_page, submit
from zhizao.programme.schemas_community import (
    CertificationCreate,
    CohortCreate,
    ExcellentSelection,
    TraineeCreate,
    TraineeUpdate,
)
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES

router = APIRouter(include_in_schema=False)

TALENT = "/programme/talent"
NAV = (NavItem(N_("Talent"), TALENT, roles=frozenset(OVERSEERS), order=660),)
LABELS = {
    "tracks": TRACK_LABELS,
    "trainee_statuses": TRAINEE_STATUS_LABELS,
    "track_values": list(TalentTrack),
    "trainee_status_values": list(TraineeStatus),
}


def _talent_view(request: Request, session: Session, edition_id: int | None, problems: list[FieldProblem]) -> Response:
    edition = service_editions.find_edition(session, edition_id)
    context: dict[str, Any] = {"edition": edition, "editions": service_editions.list_editions(session)}
    if edition is not None:
        context |= {
            "summary": service_talent.talent_summary(session, edition.id),
            "cohorts": service_talent.list_cohorts(session, edition.id),
            "excellent": service_talent.excellent_consultants(session, edition.id),
        }
    return form_page(request, "programme/talent_list.html", {**LABELS, **context}, problems)


@router.get(TALENT)
def talent_page(request: Request, principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Response:
    return _talent_view(request, session, edition_id, [])


@router.post(TALENT + "/cohorts")
def create_cohort(request: Request, principal: Overseer, session: SessionDep, fields: FilledFields) -> Response:
    edition_id = optional_int(fields.get("edition_id"))
    view = partial(_talent_view, request, session, edition_id if edition_id is not None and edition_id > 0 else None)

    def action() -> object:
        return service_talent.create_cohort(session, principal, CohortCreate.model_validate(fields))

    return submit(session, action, TALENT + (f"?edition_id={edition_id}" if edition_id else ""), view)


def _cohort_view(request: Request, session: Session, cohort_id: int, problems: list[FieldProblem]) -> Response:
    cohort = service_talent.read_cohort(session, cohort_id)
    context = {
        "cohort": cohort,
        "trainees": service_talent.list_trainees(session, cohort_id),
        "organisations": session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all(),
    }
    return form_page(request, "programme/talent_cohort.html", {**LABELS, **context}, problems)


def _on_cohort(request: Request, session: Session, cohort_id: int, action: Callable[[], object]) -> Response:
    """Run a step on the cohort or one of its trainees, then back to the cohort's page."""
    return submit(session, action, f"{TALENT}/cohorts/{cohort_id}", partial(_cohort_view, request, session, cohort_id))


@router.get(TALENT + "/cohorts/{cohort_id}")
def cohort_page(request: Request, cohort_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _cohort_view(request, session, cohort_id, [])


@router.post(TALENT + "/cohorts/{cohort_id}/trainees")
def add_trainee(
    request: Request, cohort_id: IdPath, principal: Overseer, session: SessionDep, fields: FilledFields
) -> Response:
    def action() -> object:
        return service_talent.add_trainee(session, principal, cohort_id, TraineeCreate.model_validate(fields))

    return _on_cohort(request, session, cohort_id, action)


@router.post(TALENT + "/cohorts/{cohort_id}/import")
def import_trainees(
    request: Request,
    cohort_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    action = partial(talent_excel.import_trainees, session, principal, cohort_id, content)
    return _on_cohort(request, session, cohort_id, action)


TRAINEE_ACTIONS: dict[str, Callable[[Session, Principal, int, dict[str, str]], object]] = {
    "status": lambda s, p, t, d: service_talent.update_trainee(s, p, t, TraineeUpdate.model_validate(d)),
    "certificate": lambda s, p, t, d: service_talent.certify(s, p, t, CertificationCreate.model_validate(d)),
    "excellent": lambda s, p, t, d: service_talent.select_excellent(s, p, t, ExcellentSelection.model_validate(d)),
}


@router.post(TALENT + "/trainees/{trainee_id}/{step}")
def trainee_step(
    request: Request, trainee_id: IdPath, step: str, principal: Overseer, session: SessionDep, fields: FilledFields
) -> Response:
    """Change a trainee's status, certify them or select them as excellent, then back to their cohort."""
    if step not in TRAINEE_ACTIONS:
        raise NotFound(f"no step {step!r}")
    cohort_id = service_talent.get_trainee(session, trainee_id).cohort_id
    return _on_cohort(
        request, session, cohort_id, partial(TRAINEE_ACTIONS[step], session, principal, trainee_id, fields)
    )
