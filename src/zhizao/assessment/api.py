"""JSON API of maturity assessment: profiles, the expert pool, integrators, self-assessments, diagnoses and their
teams, ratings, progress, results, agreement, evidence files and data-verified evidence.

Enterprise users reach their own enterprise's assessments, experts the diagnoses they are on, officers and
administrators all (``service_access``); anything else is a 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Response, UploadFile, status

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import (
    service,
    service_diagnosis,
    service_evidence,
    service_pool,
    service_ratings,
    service_report,
    service_verify,
)
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.report_text import ReportLanguage
from zhizao.assessment.schemas import (
    AgreementRead,
    AssessmentRead,
    DiagnosisCreate,
    EvidenceRead,
    ExpertCreate,
    ExpertRead,
    ExpertUpdate,
    IntegratorRead,
    IntegratorUpdate,
    ItemId,
    Label,
    Measurement,
    ProfileRead,
    ProfileUpdate,
    Progress,
    RatingRead,
    RatingsBatch,
    ResultRead,
    SelfAssessmentCreate,
    TeamResponse,
    TeamUpdate,
    VerificationReport,
)
from zhizao.assessment.service_access import (
    INTEGRATOR_EDITORS,
    INTEGRATOR_READERS,
    OVERSEERS,
    PROFILE_EDITORS,
    SELF_ASSESSORS,
    VIEWERS,
    get_assessment,
)
from zhizao.fields import IdPath, IdQuery

router = APIRouter(prefix="/api/assessment", tags=["maturity assessment"])

Viewer = Annotated[Principal, Depends(require_role(*VIEWERS))]
Overseer = Annotated[Principal, Depends(require_role(*OVERSEERS))]
SelfAssessor = Annotated[Principal, Depends(require_role(*SELF_ASSESSORS))]
ProfileEditor = Annotated[Principal, Depends(require_role(*PROFILE_EDITORS))]
IntegratorReader = Annotated[Principal, Depends(require_role(*INTEGRATOR_READERS))]
IntegratorEditor = Annotated[Principal, Depends(require_role(*INTEGRATOR_EDITORS))]
Expert = Annotated[Principal, Depends(require_role(Role.EXPERT))]
ConsensusMover = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.EXPERT))]
Language = Annotated[ReportLanguage, Query()]
PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# --- enterprise profile ------------------------------------------------------------------------------------


@router.get("/profile")
def read_profile(principal: ProfileEditor, session: SessionDep, enterprise_id: IdQuery = None) -> ProfileRead:
    """Industry, manufacturing type, integrators and listed competitors of an enterprise (its own for enterprise
    users; officers and administrators name it)."""
    return service_pool.read_profile(session, principal, enterprise_id)


@router.put("/profile")
def update_profile(
    data: ProfileUpdate, principal: ProfileEditor, session: SessionDep, enterprise_id: IdQuery = None
) -> ProfileRead:
    return service_pool.update_profile(session, principal, enterprise_id, data)


# --- expert pool -------------------------------------------------------------------------------------------


@router.get("/experts")
def list_experts(
    principal: Overseer, session: SessionDep, industry: Annotated[Label | None, Query()] = None
) -> list[ExpertRead]:
    return service_pool.list_experts(session, industry)


@router.post("/experts", status_code=CREATED)
def create_expert(data: ExpertCreate, principal: Overseer, session: SessionDep) -> ExpertRead:
    return service_pool.create_expert(session, principal, data)


@router.get("/experts/{expert_id}")
def read_expert(expert_id: IdPath, principal: Overseer, session: SessionDep) -> ExpertRead:
    return service_pool.read_expert(session, expert_id)


@router.patch("/experts/{expert_id}")
def update_expert(expert_id: IdPath, data: ExpertUpdate, principal: Overseer, session: SessionDep) -> ExpertRead:
    return service_pool.update_expert(session, principal, expert_id, data)


# --- integrators -------------------------------------------------------------------------------------------


@router.get("/integrators")
def list_integrators(
    principal: IntegratorReader, session: SessionDep, capability: Annotated[Label | None, Query()] = None
) -> list[IntegratorRead]:
    """Integrators and the capability keys of the model they cover (the roadmap matches gaps against them)."""
    return service_pool.list_integrators(session, capability)


@router.put("/integrators/{integrator_id}")
def put_integrator(
    integrator_id: IdPath, data: IntegratorUpdate, principal: IntegratorEditor, session: SessionDep
) -> IntegratorRead:
    """Administrators set any integrator's capabilities, integrators their own."""
    return service_pool.put_integrator(session, principal, integrator_id, data)


@router.delete("/integrators/{integrator_id}", status_code=NO_CONTENT)
def delete_integrator(integrator_id: IdPath, principal: IntegratorEditor, session: SessionDep) -> Response:
    service_pool.delete_integrator(session, principal, integrator_id)
    return Response(status_code=NO_CONTENT)


# --- assessments -------------------------------------------------------------------------------------------


@router.get("/assessments")
def list_assessments(
    principal: Viewer,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    kind: AssessmentKind | None = None,
    status: AssessmentStatus | None = None,
) -> list[AssessmentRead]:
    """Assessments in the caller's scope, newest first (at most 200). A draft self-assessment is resumed from here."""
    rows = service.list_assessments(session, principal, enterprise_id=enterprise_id, kind=kind, status=status)
    return [service.assessment_read(session, row) for row in rows]


@router.get("/assessments/{assessment_id}")
def read_assessment(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> AssessmentRead:
    return service.assessment_read(session, get_assessment(session, principal, assessment_id))


@router.post("/self-assessments", status_code=CREATED)
def create_self_assessment(data: SelfAssessmentCreate, principal: SelfAssessor, session: SessionDep) -> AssessmentRead:
    """A draft on the newest model version; 409 naming the open draft when there is one."""
    return service.assessment_read(session, service.create_self_assessment(session, principal, data))


@router.post("/self-assessments/{assessment_id}/submit")
def submit_self_assessment(assessment_id: IdPath, principal: SelfAssessor, session: SessionDep) -> AssessmentRead:
    """Score and store; 422 listing each unrated applicable item as `ratings.<item id>`."""
    return service.assessment_read(session, service.submit_self_assessment(session, principal, assessment_id))


# --- diagnoses ---------------------------------------------------------------------------------------------


@router.post("/diagnoses", status_code=CREATED)
def open_diagnosis(data: DiagnosisCreate, principal: Overseer, session: SessionDep) -> AssessmentRead:
    return service.assessment_read(session, service_diagnosis.open_diagnosis(session, principal, data))


@router.post("/diagnoses/{assessment_id}/team/proposal")
def propose_team(assessment_id: IdPath, principal: Overseer, session: SessionDep) -> AssessmentRead:
    """The system's team from the pool (leaving out decliners); 409 naming the rule the pool cannot meet."""
    return service.assessment_read(session, service_diagnosis.propose_team(session, principal, assessment_id))


@router.put("/diagnoses/{assessment_id}/team")
def adjust_team(assessment_id: IdPath, data: TeamUpdate, principal: Overseer, session: SessionDep) -> AssessmentRead:
    """The officer's own team, lead first; 422 naming each broken rule."""
    row = service_diagnosis.adjust_team(session, principal, assessment_id, data.expert_ids)
    return service.assessment_read(session, row)


@router.post("/diagnoses/{assessment_id}/response")
def respond(assessment_id: IdPath, data: TeamResponse, principal: Expert, session: SessionDep) -> AssessmentRead:
    """An invited expert accepts or declines."""
    row = service_diagnosis.respond(session, principal, assessment_id, accept=data.accept)
    return service.assessment_read(session, row)


@router.post("/diagnoses/{assessment_id}/consensus")
def start_consensus(assessment_id: IdPath, principal: ConsensusMover, session: SessionDep) -> AssessmentRead:
    """Officer or lead expert: end the independent ratings and start recording the consensus."""
    return service.assessment_read(session, service_diagnosis.start_consensus(session, principal, assessment_id))


@router.post("/diagnoses/{assessment_id}/close")
def close_diagnosis(assessment_id: IdPath, principal: Overseer, session: SessionDep) -> AssessmentRead:
    """Score the consensus with the experts' agreement and the gap plan, store them, close."""
    return service.assessment_read(session, service_diagnosis.close(session, principal, assessment_id))


@router.post("/diagnoses/{assessment_id}/cancel")
def cancel_diagnosis(assessment_id: IdPath, principal: Overseer, session: SessionDep) -> AssessmentRead:
    return service.assessment_read(session, service_diagnosis.cancel(session, principal, assessment_id))


@router.get("/diagnoses/{assessment_id}/agreement")
def read_agreement(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> AgreementRead:
    """Inter-rater agreement per domain (experts see it from the consensus stage on)."""
    return service_diagnosis.agreement(session, principal, assessment_id)


# --- ratings, progress, results ----------------------------------------------------------------------------


@router.get("/assessments/{assessment_id}/ratings")
def read_ratings(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> list[RatingRead]:
    rows = service_ratings.visible_ratings(session, principal, assessment_id)
    return [RatingRead.model_validate(row) for row in rows]


@router.put("/assessments/{assessment_id}/ratings")
def save_ratings(assessment_id: IdPath, data: RatingsBatch, principal: Viewer, session: SessionDep) -> list[RatingRead]:
    """Save a batch of the caller's ratings, all or none: the enterprise's in a draft self-assessment, an expert's
    own while a diagnosis is in progress, the consensus in its consensus stage. Returns all of the caller's."""
    rows = service_ratings.save_ratings(session, principal, assessment_id, data.ratings)
    return [RatingRead.model_validate(row) for row in rows]


@router.get("/assessments/{assessment_id}/progress")
def read_progress(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> Progress:
    return service_ratings.progress(session, principal, assessment_id)


@router.get("/assessments/{assessment_id}/result")
def read_result(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> ResultRead:
    """The stored result, or before it a provisional one from the ratings so far."""
    return service_ratings.result(session, principal, assessment_id)


@router.get("/assessments/{assessment_id}/telemetry-checks")
def preview_telemetry_checks(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> list[Measurement]:
    """What the enterprise's telemetry shows for the verifiable items, changing nothing."""
    return service_verify.preview(session, principal, assessment_id)


@router.post("/assessments/{assessment_id}/telemetry-checks")
def verify_with_telemetry(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> VerificationReport:
    """Grade the caller's verifiable ratings data_verified where the measured figures support them."""
    return service_verify.verify(session, principal, assessment_id)


# --- evidence ----------------------------------------------------------------------------------------------


@router.get("/assessments/{assessment_id}/evidence")
def list_evidence(assessment_id: IdPath, principal: Viewer, session: SessionDep) -> list[EvidenceRead]:
    return [
        EvidenceRead.model_validate(row) for row in service_evidence.list_evidence(session, principal, assessment_id)
    ]


@router.post("/assessments/{assessment_id}/evidence", status_code=CREATED)
def upload_evidence(
    assessment_id: IdPath,
    principal: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile | None = None,
    item_id: Annotated[ItemId | None, Form()] = None,
) -> EvidenceRead:
    """A PDF, PNG, JPEG, .xlsx or .docx file (checked by content) of at most 10 MiB, optionally for one item."""
    content = file.file.read(service_evidence.MAX_EVIDENCE_BYTES + 1) if file is not None else None
    row = service_evidence.upload(
        session,
        principal,
        settings.data_dir,
        assessment_id,
        content=content,
        filename=file.filename if file is not None else None,
        item_id=item_id,
    )
    return EvidenceRead.model_validate(row)


@router.get("/assessments/{assessment_id}/evidence/{evidence_id}", response_class=Response)
def download_evidence(
    assessment_id: IdPath, evidence_id: IdPath, principal: Viewer, session: SessionDep, settings: SettingsDep
) -> Response:
    row, content = service_evidence.open_evidence(session, principal, settings.data_dir, assessment_id, evidence_id)
    disposition = f"attachment; filename*=UTF-8''{quote(row.original_name)}"
    return Response(content, media_type=row.content_type, headers={"Content-Disposition": disposition})


# --- report downloads --------------------------------------------------------------------------------------


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f"attachment; filename={filename}"})


@router.get("/assessments/{assessment_id}/report.pdf", response_class=Response)
def download_report(
    assessment_id: IdPath,
    principal: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    lang: Language = ReportLanguage.ZH,
) -> Response:
    """The diagnosis report of a closed diagnosis (409 before, and for a self-assessment, which has no team)."""
    content = service_report.report_pdf(session, principal, assessment_id, lang.value, settings.timezone)
    return _attachment(content, PDF_TYPE, f"assessment-{assessment_id}-report-{lang.value}.pdf")


@router.get("/assessments/{assessment_id}/ratings.xlsx", response_class=Response)
def download_ratings(
    assessment_id: IdPath, principal: Viewer, session: SessionDep, lang: Language = ReportLanguage.ZH
) -> Response:
    """Every rating of a closed diagnosis or a submitted self-assessment as a workbook (409 before)."""
    content = service_report.ratings_xlsx(session, principal, assessment_id, lang.value)
    return _attachment(content, XLSX_TYPE, f"assessment-{assessment_id}-ratings-{lang.value}.xlsx")
