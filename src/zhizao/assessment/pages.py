"""Pages of maturity assessment («成熟度评估»): the assessments in the caller's scope (an enterprise starts a
self-assessment there, an officer opens a diagnosis), an assessment with its progress, result, radar chart of
domain scores, roadmap and downloads, and a questionnaire per domain saved through the rating service.

Scope is the services' (``service_access``): another enterprise's assessment, or a diagnosis an expert is not
on, is a 404 here as in the API. Model texts (domains, requirements) come from the model's own zh / en wording.
The diagnosis workflow steps (answer an invitation, propose or adjust the team, consensus, close, cancel) are plain
POST forms here with the API's role guards; the team view and the expert pool page are in ``pages_workflow``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import (
    pages_workflow,
    service,
    service_diagnosis,
    service_evidence,
    service_ratings,
    service_verify,
)
from zhizao.assessment.kinds import EvidenceGrade
from zhizao.assessment.lifecycle import AssessmentKind
from zhizao.assessment.model import Domain, MaturityModel, load_model
from zhizao.assessment.models import Assessment, EnterpriseProfile
from zhizao.assessment.report_input import radar_level
from zhizao.assessment.report_text import ReportLanguage, grade_label, level_label, model_text
from zhizao.assessment.schemas import DiagnosisCreate, RatingInput, ResultRead, SelfAssessmentCreate, TeamUpdate
from zhizao.assessment.service_access import OVERSEERS, SELF_ASSESSORS, VIEWERS, get_assessment, rater_for_read
from zhizao.assessment.service_report import FINAL_STATUS
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.fields import IdPath
from zhizao.ui import i18n
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
# First, so that /assessment/experts is not taken for an assessment id.
router.include_router(pages_workflow.router)

HOME = "/assessment"
NAV = (NavItem(N_("Maturity assessment"), HOME, roles=frozenset(VIEWERS), order=400), *pages_workflow.NAV)
Viewer = Annotated[Principal, Depends(require_role(*VIEWERS))]
Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
SelfAssessor = Annotated[Principal, Depends(require_role(*SELF_ASSESSORS))]
Expert = Annotated[Principal, Depends(require_role(Role.EXPERT))]
ConsensusMover = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.EXPERT))]
RATING_CHOICES = (("1", "1"), ("0.8", "0.8"), ("0.5", "0.5"), ("0", "0"), ("na", N_("Not applicable")))
KIND_LABELS = {AssessmentKind.SELF: N_("Self-assessment"), AssessmentKind.DIAGNOSIS: N_("On-site diagnosis")}


def _rating_choice(choice: str) -> float:
    """The chosen rating as a number; anything else is -1 for the schema to name (never an error page)."""
    try:
        return float(choice)
    except ValueError:
        return -1.0


def _lang() -> ReportLanguage:
    return ReportLanguage.ZH if i18n.current_locale().startswith("zh") else ReportLanguage.EN


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


@router.get(HOME)
def assessments_page(request: Request, principal: Viewer, session: SessionDep) -> Response:
    return _list_view(request, principal, session, [])


def _list_view(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    rows = service.list_assessments(session, principal)
    profiled: list[tuple[int, str]] = []
    if principal.sees_all_tenants:
        profiled = [
            (enterprise_id, name)
            for enterprise_id, name in session.execute(
                select(Organisation.id, Organisation.name)
                .join(EnterpriseProfile, EnterpriseProfile.enterprise_id == Organisation.id)
                .order_by(Organisation.name)
            ).all()
        ]
    context = {
        "assessments": rows,
        "names": _names(session, {row.enterprise_id for row in rows}),
        "kind_labels": KIND_LABELS,
        "can_self_assess": principal.role in SELF_ASSESSORS and principal.role == Role.ENTERPRISE,
        "can_open": principal.sees_all_tenants,
        "enterprises": profiled,
        "problems": problems,
    }
    return render(request, "assessment/list.html", context, status_code=422 if problems else 200)


@router.post(HOME + "/self-assessments")
def start_self_assessment(request: Request, principal: SelfAssessor, session: SessionDep) -> Response:
    created, problems = attempt(lambda: service.create_self_assessment(session, principal, SelfAssessmentCreate()))
    if created is None:
        session.rollback()
        return _list_view(request, principal, session, problems)
    return RedirectResponse(f"{HOME}/{created.id}", status_code=303)


@router.post(HOME + "/diagnoses")
def open_diagnosis(
    request: Request, principal: Overseer, session: SessionDep, enterprise_id: Annotated[int, Form()]
) -> Response:
    """Open a diagnosis and let the system propose its team (the officer adjusts it on the assessment page)."""

    def run() -> Assessment:
        row = service_diagnosis.open_diagnosis(session, principal, DiagnosisCreate(enterprise_id=enterprise_id))
        session.rollback()
        return service_diagnosis.propose_team(session, principal, row.id)

    created, problems = attempt(run)
    if created is None:
        session.rollback()
        return _list_view(request, principal, session, problems)
    return RedirectResponse(f"{HOME}/{created.id}", status_code=303)


def _result(session: Session, principal: Principal, assessment_id: int) -> ResultRead | None:
    try:
        return service_ratings.result(session, principal, assessment_id)
    except Conflict:  # an enterprise sees a diagnosis's result once it is closed
        return None


def _radar(model: MaturityModel, result: ResultRead, lang: ReportLanguage) -> dict[str, Any] | None:
    """Domain scores at the level the report's radar shows (the next level to reach)."""
    level = radar_level(result.score)
    found = next((entry for entry in result.score.levels if entry.level == level), None)
    if found is None or not found.domains:
        return None
    names = {domain.key: model_text(domain.name, lang) for domain in model.domains}
    return {
        "level": level,
        "names": [names[domain.key] for domain in found.domains],
        "scores": [round(domain.score, 3) for domain in found.domains],
        "threshold": result.score.threshold,
    }


@router.get(HOME + "/{assessment_id}")
def assessment_page(request: Request, assessment_id: IdPath, principal: Viewer, session: SessionDep) -> Response:
    return _assessment_view(request, principal, session, assessment_id, [], 200)


def _assessment_view(
    request: Request,
    principal: Principal,
    session: Session,
    assessment_id: int,
    problems: list[FieldProblem],
    status_code: int,
) -> Response:
    row = get_assessment(session, principal, assessment_id)
    model, lang = load_model(row.model_version), _lang()
    result = _result(session, principal, row.id)
    read = service.assessment_read(session, row)
    context = {
        "row": read,
        **pages_workflow.team_context(principal, read),
        "problems": problems,
        "enterprise": session.get(Organisation, row.enterprise_id),
        "kind_label": KIND_LABELS[row.kind],
        "progress": service_ratings.progress(session, principal, row.id),
        "domain_names": {domain.key: model_text(domain.name, lang) for domain in model.domains},
        "result": result,
        "level_label": level_label(model, result.score.level, lang) if result else "",
        "radar": _radar(model, result, lang) if result else None,
        "roadmap": [
            {
                "item": gap.item,
                "text": model_text(gap.text, lang),
                "gain": gap.gain,
                "impact": gap.impact_score,
                "integrators": [match.name for match in gap.integrators],
            }
            for gap in (result.gaps.items if result and result.gaps else [])
        ],
        "final": row.status == FINAL_STATUS[row.kind],
        "lang": lang.value,
    }
    return render(request, "assessment/assessment.html", context, status_code=status_code)


def _step(
    request: Request, principal: Principal, session: Session, assessment_id: int, action: Callable[[], object]
) -> Response:
    """Run one workflow step and go back to the assessment page; what the service refuses is shown there (409
    when the diagnosis's status does not allow the step, 422 for a team that breaks a rule). NotFound and
    PermissionDenied are the error page's, as for any page."""
    session.rollback()  # the services open their own transaction
    try:
        action()
    except Conflict as exc:
        session.rollback()
        problems = exc.fields or [FieldProblem("", exc.message)]
        return _assessment_view(request, principal, session, assessment_id, problems, 409)
    except InputError as exc:
        session.rollback()
        problems = exc.fields or [FieldProblem("", exc.message)]
        return _assessment_view(request, principal, session, assessment_id, problems, 422)
    return RedirectResponse(f"{HOME}/{assessment_id}", status_code=303)


@router.post(HOME + "/{assessment_id}/response")
def respond(
    request: Request, assessment_id: IdPath, principal: Expert, session: SessionDep, accept: Annotated[bool, Form()]
) -> Response:
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.respond(session, principal, assessment_id, accept=accept),
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/team/proposal")
def propose_team(request: Request, assessment_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.propose_team(session, principal, assessment_id),
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/team")
def adjust_team(
    request: Request,
    assessment_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    expert_ids: Annotated[str, Form()] = "",
) -> Response:
    data, problems = attempt(lambda: TeamUpdate(expert_ids=pages_workflow.ids_from_form(expert_ids)))
    if data is None:
        return _assessment_view(request, principal, session, assessment_id, problems, 422)
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.adjust_team(session, principal, assessment_id, data.expert_ids),
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/consensus")
def start_consensus(
    request: Request, assessment_id: IdPath, principal: ConsensusMover, session: SessionDep
) -> Response:
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.start_consensus(session, principal, assessment_id),
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/telemetry-checks")
def check_with_telemetry(request: Request, assessment_id: IdPath, principal: Viewer, session: SessionDep) -> Response:
    """Grade the caller's verifiable ratings data-verified where the enterprise's telemetry supports them."""
    return _step(
        request, principal, session, assessment_id, lambda: service_verify.verify(session, principal, assessment_id)
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/close")
def close_diagnosis(request: Request, assessment_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.close(session, principal, assessment_id),
    )  # fmt: skip


@router.post(HOME + "/{assessment_id}/cancel")
def cancel_diagnosis(request: Request, assessment_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _step(
        request, principal, session, assessment_id,
        lambda: service_diagnosis.cancel(session, principal, assessment_id),
    )  # fmt: skip


def _domain(model: MaturityModel, key: str) -> Domain:
    found = next((domain for domain in model.domains if domain.key == key), None)
    if found is None:
        raise NotFound(f"domain {key!r} not found in model {model.version}")
    return found


def _questionnaire_view(
    request: Request,
    principal: Principal,
    session: Session,
    assessment_id: int,
    domain_key: str,
    problems: list[FieldProblem],
) -> Response:
    row = get_assessment(session, principal, assessment_id)
    model, lang = load_model(row.model_version), _lang()
    domain = _domain(model, domain_key)
    rater = rater_for_read(principal, row)
    saved = {entry.item_id: entry for entry in service_ratings.stored_ratings(session, row.id, rater)}
    items = [
        {
            "id": requirement.id,
            "level": requirement.level,
            "subdomain": model_text(sub.name, lang),
            "text": model_text(requirement.text, lang),
            "saved": saved.get(requirement.id),
        }
        for sub in domain.subdomains
        for requirement in sub.requirements
        if requirement.applies_to.covers(row.enterprise_type)
    ]
    context = {
        "row": row,
        "domain": domain,
        "domain_name": model_text(domain.name, lang),
        "items": items,
        "choices": RATING_CHOICES,
        "grades": [(grade.value, grade_label(grade, lang)) for grade in EvidenceGrade],
        "evidence": [
            row
            for row in service_evidence.list_evidence(session, principal, assessment_id)
            if row.item_id is None or row.item_id in {item["id"] for item in items}
        ],
        "problems": problems,
    }
    return render(request, "assessment/questionnaire.html", context, status_code=422 if problems else 200)


@router.get(HOME + "/{assessment_id}/domains/{domain_key}")
def questionnaire_page(
    request: Request, assessment_id: IdPath, domain_key: str, principal: Viewer, session: SessionDep
) -> Response:
    return _questionnaire_view(request, principal, session, assessment_id, domain_key, [])


def ratings_from_form(items: list[str], form: dict[str, str]) -> list[RatingInput]:
    """One rating per item of the domain: a value, ``na`` (not applicable) or blank (cleared)."""
    ratings = []
    for item in items:
        choice = form.get(f"rating:{item}", "")
        grade = form.get(f"grade:{item}") or EvidenceGrade.SELF_DECLARED.value
        comment = form.get(f"comment:{item}", "")
        entry: dict[str, Any] = {"item": item, "evidence_grade": grade, "comment": comment}
        if choice == "na":
            entry["not_applicable"] = True
        elif choice:
            entry["rating"] = _rating_choice(choice)
        ratings.append(RatingInput.model_validate(entry))
    return ratings


@router.post(HOME + "/{assessment_id}/domains/{domain_key}")
async def save_questionnaire(
    request: Request, assessment_id: IdPath, domain_key: str, principal: Viewer, session: SessionDep
) -> Response:
    row = get_assessment(session, principal, assessment_id)
    domain = _domain(load_model(row.model_version), domain_key)
    items = [
        requirement.id
        for sub in domain.subdomains
        for requirement in sub.requirements
        if requirement.applies_to.covers(row.enterprise_type)
    ]
    session.rollback()  # the service opens its own transaction
    async with request.form() as posted:  # closed here: FastAPI closes only the forms it parses itself
        form = {key: value for key, value in posted.items() if isinstance(value, str)}
    saved, problems = attempt(
        lambda: service_ratings.save_ratings(session, principal, assessment_id, ratings_from_form(items, form))
    )
    if saved is None:
        session.rollback()
        return _questionnaire_view(request, principal, session, assessment_id, domain_key, problems)
    return RedirectResponse(f"{HOME}/{assessment_id}", status_code=303)


@router.post(HOME + "/{assessment_id}/domains/{domain_key}/evidence")
def upload_evidence_page(
    request: Request,
    assessment_id: IdPath,
    domain_key: str,
    principal: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    item_id: Annotated[str, Form()] = "",
) -> Response:
    """Keep one evidence file (type and size checked by the service), then back to the questionnaire."""
    content = file.file.read(service_evidence.MAX_EVIDENCE_BYTES + 1)
    _stored, problems = attempt(
        lambda: service_evidence.upload(
            session,
            principal,
            settings.data_dir,
            assessment_id,
            content=content,
            filename=file.filename,
            item_id=item_id or None,
        )
    )
    if problems:
        session.rollback()
        return _questionnaire_view(request, principal, session, assessment_id, domain_key, problems)
    return RedirectResponse(f"{HOME}/{assessment_id}/domains/{domain_key}#evidence", status_code=303)
