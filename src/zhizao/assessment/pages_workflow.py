"""Pages of the diagnosis workflow: the team on an assessment page with the steps the caller may take now, and
the expert pool (专家库) page where officers and administrators list, add and (un)book experts as available.

Every step calls the existing services (``service_diagnosis``, ``service_pool``); the routes carry the same role
guards as the API's, and what the services refuse (a rule of the team, a step the status does not allow) is shown
on the page. This module does not import ``pages``: ``pages`` includes this router first, so that
``/assessment/experts`` is matched before ``/assessment/{assessment_id}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import service_pool
from zhizao.assessment.lifecycle import OPEN_DIAGNOSIS_STATUSES, AssessmentKind, AssessmentStatus
from zhizao.assessment.models import ExpertRecord, MemberStatus
from zhizao.assessment.schemas import AssessmentRead, ExpertCreate, ExpertUpdate
from zhizao.assessment.service_access import OVERSEERS
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

POOL = "/assessment/experts"
NAV = (NavItem(N_("Expert pool"), POOL, roles=frozenset(OVERSEERS), order=410),)
Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
MEMBER_LABELS = {
    MemberStatus.INVITED: N_("Invited"),
    MemberStatus.ACCEPTED: N_("Accepted"),
    MemberStatus.DECLINED: N_("Declined"),
}
FORMING_TEAM = frozenset({AssessmentStatus.OPENED, AssessmentStatus.TEAM_PROPOSED})
# Labels are typed with commas, Chinese commas or the enumeration comma (、) between them.
_LABEL_SEPARATORS = re.compile(r"[,，、;；\n]+")


def labels_from_form(text: str) -> list[str]:
    return [label.strip() for label in _LABEL_SEPARATORS.split(text) if label.strip()]


def ids_from_form(text: str) -> list[int]:
    """Expert ids typed lead first, separated by commas or spaces; anything not a number is -1 for the schema's
    ``ge=1`` to name."""
    return [optional_int(part) or -1 for part in re.split(r"[\s,，、]+", text) if part]


def team_context(principal: Principal, read: AssessmentRead) -> dict[str, Any]:
    """The team with each member's status and which workflow steps the caller is offered now; the services and
    the routes' role guards still decide (a stale page posting a step gets the service's answer)."""
    if read.kind != AssessmentKind.DIAGNOSIS:
        return {"workflow": None}
    overseer = principal.role in OVERSEERS
    own = next((member for member in read.team if member.user_id == principal.user_id), None)
    return {
        "workflow": {
            "team": read.team,
            "member_labels": MEMBER_LABELS,
            "can_respond": principal.role == Role.EXPERT
            and read.status == AssessmentStatus.TEAM_PROPOSED
            and own is not None
            and own.status == MemberStatus.INVITED,
            "can_form_team": overseer and read.status in FORMING_TEAM,
            "team_ids": ", ".join(str(m.expert_id) for m in read.team if m.status != MemberStatus.DECLINED),
            "can_start_consensus": read.status == AssessmentStatus.IN_PROGRESS
            and (overseer or (principal.role == Role.EXPERT and own is not None and own.lead)),
            "can_close": overseer and read.status == AssessmentStatus.CONSENSUS,
            "can_cancel": overseer and read.status in OPEN_DIAGNOSIS_STATUSES,
        }
    }


def _pool_view(request: Request, session: Session, problems: list[FieldProblem], status_code: int) -> Response:
    experts = service_pool.list_experts(session)
    employer_ids = {expert.employer_id for expert in experts if expert.employer_id is not None}
    employers = dict(
        session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(employer_ids))).all()
    )
    # Users of role expert not in the pool yet: the ones the form can add.
    candidates = session.execute(
        select(User.id, User.display_name, User.username)
        .where(User.role == Role.EXPERT, User.id.not_in(select(ExpertRecord.user_id)))
        .order_by(User.display_name)
    ).all()
    context = {
        "experts": experts,
        "employers": employers,
        "candidates": candidates,
        "organisations": session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name)).all(),
        "problems": problems,
    }
    return render(request, "assessment/experts.html", context, status_code=status_code)


@router.get(POOL)
def pool_page(request: Request, principal: Overseer, session: SessionDep) -> Response:
    return _pool_view(request, session, [], 200)


@router.post(POOL)
def add_expert(
    request: Request,
    principal: Overseer,
    session: SessionDep,
    user_id: Annotated[str, Form()] = "",
    industries: Annotated[str, Form()] = "",
    specialities: Annotated[str, Form()] = "",
    employer_id: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    available: Annotated[str | None, Form()] = None,
) -> Response:
    def run() -> object:
        data = ExpertCreate(
            user_id=optional_int(user_id) or -1,
            industries=labels_from_form(industries),
            specialities=labels_from_form(specialities),
            employer_id=optional_int(employer_id),
            region=region.strip() or None,
            available=available is not None,
        )
        return service_pool.create_expert(session, principal, data)

    session.rollback()  # the service opens its own transaction
    created, problems = attempt(run)
    if created is None:
        session.rollback()
        return _pool_view(request, session, problems, 422)
    return RedirectResponse(POOL, status_code=303)


@router.post(POOL + "/{expert_id}/availability")
def set_availability(
    request: Request, expert_id: IdPath, principal: Overseer, session: SessionDep, available: Annotated[bool, Form()]
) -> Response:
    session.rollback()  # the service opens its own transaction
    updated, problems = attempt(
        lambda: service_pool.update_expert(session, principal, expert_id, ExpertUpdate(available=available))
    )
    if updated is None:
        session.rollback()
        return _pool_view(request, session, problems, 422)
    return RedirectResponse(POOL, status_code=303)
