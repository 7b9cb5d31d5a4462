"""Downloads of the shift report: ``/production/shift-report.pdf`` and ``.xlsx`` for a line (any asset node) or a
piece of equipment, one shift instance or one day."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.fields import IdQuery, NoNul
from zhizao.production import kpi_service
from zhizao.production.api import Reader
from zhizao.production.shift_report import Period, ShiftReport, check_shift_name, gather
from zhizao.production.shift_report_pdf import render_pdf
from zhizao.production.shift_report_text import ReportLanguage
from zhizao.production.shift_report_xlsx import render_xlsx
from zhizao.settings import Settings
from zhizao.ui.forms import FIRST_FORM_DAY, LAST_FORM_DAY
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

router = APIRouter(include_in_schema=False)

PDF_MEDIA_TYPE = "application/pdf"
ReportDay = Annotated[
    date, Query(alias="date", ge=FIRST_FORM_DAY, le=LAST_FORM_DAY, description="the local production day")
]
ShiftQuery = Annotated[str | None, Query(max_length=64, description="a shift name; the whole day when absent"), NoNul]


def _report(
    session: Session,
    principal: Principal,
    settings: Settings,
    day: date,
    node_id: int | None,
    equipment_id: int | None,
    shift: str | None,
) -> ShiftReport:
    if node_id is None and equipment_id is None:
        raise InputError.for_field("query.node_id", "name a line (node_id) or a piece of equipment (equipment_id)")
    scope = kpi_service.resolve_scope(session, principal, node_id=node_id, equipment_id=equipment_id)
    return gather(session, scope, Period(day, check_shift_name(shift)), timezone=settings.timezone)


def _filename(report: ShiftReport, suffix: str) -> str:
    """An ASCII file name (codes and shift names may be Chinese; browsers disagree on anything else)."""
    parts = ["shift-report", report.scope_code, report.period.day.isoformat(), report.period.shift or ""]
    slug = "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", part).strip("_") for part in parts if part)
    return f"{slug}.{suffix}"


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/production/shift-report.pdf")
def shift_report_pdf(
    session: SessionDep,
    principal: Reader,
    settings: SettingsDep,
    day: ReportDay,
    node_id: IdQuery = None,
    equipment_id: IdQuery = None,
    shift: ShiftQuery = None,
    lang: ReportLanguage = ReportLanguage.ZH,
) -> Response:
    report = _report(session, principal, settings, day, node_id, equipment_id, shift)
    return _download(render_pdf(report, lang), PDF_MEDIA_TYPE, _filename(report, "pdf"))


@router.get("/production/shift-report.xlsx")
def shift_report_xlsx(
    session: SessionDep,
    principal: Reader,
    settings: SettingsDep,
    day: ReportDay,
    node_id: IdQuery = None,
    equipment_id: IdQuery = None,
    shift: ShiftQuery = None,
    lang: ReportLanguage = ReportLanguage.ZH,
) -> Response:
    report = _report(session, principal, settings, day, node_id, equipment_id, shift)
    return _download(render_xlsx(report, lang), XLSX_MEDIA_TYPE, _filename(report, "xlsx"))
