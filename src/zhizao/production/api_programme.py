"""JSON API of programme-KPI verification: the entered-data template and its import, and verifications."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdField, IdPath, IdQuery
from zhizao.production import programme_service as service
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Verdict, Verification, VerificationRules
from zhizao.production.programme_excel import MAX_BYTES, template_workbook
from zhizao.production.programme_inputs import CostLine, Delivery, LabourMonth
from zhizao.production.programme_service import DateWindow, WindowDate
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/api/production/programme", tags=["programme KPIs"])

Reader = Annotated[Principal, Depends(require_role(*service.READERS))]
Writer = Annotated[Principal, Depends(require_role(*service.WRITERS))]
TEMPLATE_NAME = "zhizao-programme-inputs.xlsx"


class InputsImportReport(BaseModel):
    enterprise_id: int
    labour_months: int
    cost_lines: int
    deliveries: int
    replaced_inputs: int
    replaced_deliveries: int


class EnteredInputsRead(BaseModel):
    """Everything the enterprise entered: labour hours and costs per month, and delivered orders."""

    enterprise_id: int
    labour: list[LabourMonth]
    costs: list[CostLine]
    deliveries: list[Delivery]


class VerificationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: IdField | None = None  # an enterprise user's own enterprise when left out
    baseline_start: WindowDate
    baseline_end: WindowDate
    evaluation_start: WindowDate
    evaluation_end: WindowDate
    rules: VerificationRules | None = None  # the plan's: 20 %, windows of 90 days, 90 % coverage


class VerificationSummary(BaseModel):
    id: int
    enterprise_id: int
    baseline_start: date
    baseline_end: date
    evaluation_start: date
    evaluation_end: date
    formula_version: str
    productivity_verdict: Verdict
    cost_verdict: Verdict
    created_by: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: KpiVerification) -> VerificationSummary:
        return cls.model_validate(row, from_attributes=True)


class VerificationRead(VerificationSummary):
    result: Verification  # every input, intermediate figure, formula, Δ, target, verdict and reason

    @classmethod
    def of(cls, row: KpiVerification) -> VerificationRead:
        return cls(**VerificationSummary.of(row).model_dump(), result=service.verification_of(row))


@router.get("/template", response_class=Response)
def inputs_template(principal: Reader) -> Response:
    """The Excel template for labour hours, costs with price indices, and deliveries (sheets 工时, 成本, 交付)."""
    headers = {"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'}
    return Response(template_workbook(), media_type=XLSX_MEDIA_TYPE, headers=headers)


@router.post("/import")
def import_inputs(
    file: UploadFile, principal: Writer, session: SessionDep, enterprise_id: IdQuery = None
) -> InputsImportReport:
    """Replace all of the enterprise's entered records with a filled template's: all or nothing. A bad file is a
    422 listing every bad cell as `<sheet>.rows[<row>].<column>`."""
    content = file.file.read(MAX_BYTES + 1)
    counts = service.import_workbook(session, principal, enterprise_id, content)
    return InputsImportReport(**asdict(counts))


@router.get("/inputs")
def read_inputs(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> EnteredInputsRead:
    """The enterprise's entered records (officers and administrators name the enterprise)."""
    enterprise, records = service.entered_records(session, principal, enterprise_id)
    return EnteredInputsRead(
        enterprise_id=enterprise,
        labour=list(records.labour),
        costs=list(records.costs),
        deliveries=list(records.deliveries),
    )


@router.post("/verifications", status_code=status.HTTP_201_CREATED)
def create_verification(data: VerificationCreate, principal: Reader, session: SessionDep) -> VerificationRead:
    """Measure both windows from telemetry totals and entered records, verify, and store the result."""
    row = service.run_verification(
        session,
        principal,
        data.enterprise_id,
        DateWindow(data.baseline_start, data.baseline_end),
        DateWindow(data.evaluation_start, data.evaluation_end),
        data.rules or VerificationRules(),
    )
    return VerificationRead.of(row)


@router.get("/verifications")
def list_verifications(
    principal: Reader, session: SessionDep, enterprise_id: IdQuery = None
) -> list[VerificationSummary]:
    """Stored verifications in the caller's scope, newest first (at most 200)."""
    return [VerificationSummary.of(row) for row in service.list_verifications(session, principal, enterprise_id)]


@router.get("/verifications/{verification_id}")
def read_verification(verification_id: IdPath, principal: Reader, session: SessionDep) -> VerificationRead:
    return VerificationRead.of(service.read_verification(session, principal, verification_id))
