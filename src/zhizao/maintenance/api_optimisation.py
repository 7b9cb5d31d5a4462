"""JSON API of line optimisation: the figures of a period, and the monthly report as PDF.

Readers: administrators, programme officers and the line's own enterprise (another tenant's line: 404). Platform
operators are not admitted: a remote-maintenance consent lets them act on equipment, not read a line's figures
(see docs/maintenance-optimisation.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath
from zhizao.maintenance.optimisation import service
from zhizao.maintenance.optimisation.report import render_pdf
from zhizao.maintenance.optimisation.report_text import ReportLanguage
from zhizao.maintenance.optimisation.schemas import LineOptimisation
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.scope import ASSET_READERS
from zhizao.ui.forms import FIRST_FORM_DAY, LAST_FORM_DAY

router = APIRouter(prefix="/api/maintenance/optimisation", tags=["maintenance optimisation"])

Reader = Annotated[Principal, Depends(require_role(*ASSET_READERS))]
StartDay = Annotated[
    date | None, Query(ge=FIRST_FORM_DAY, le=LAST_FORM_DAY, description="first local day; default: 6 days before end")
]
EndDay = Annotated[
    date | None, Query(ge=FIRST_FORM_DAY, le=LAST_FORM_DAY, description="last local day (inclusive); default: today")
]
Tariff = Annotated[
    Decimal, Query(ge=0, le=100, max_digits=8, decimal_places=4, description="electricity price, CNY per kWh")
]
Recovery = Annotated[float, Query(gt=0, le=1, description="share of each loss a fix removes (1: all of it)")]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default: last month")]
PDF_MEDIA_TYPE = "application/pdf"


def period(start: date | None, end: date | None, timezone: str) -> tuple[date, date]:
    """The default period: the last ``DEFAULT_DAYS`` local days up to today."""
    end = end or datetime.now(ZoneInfo(timezone)).date()
    return start or end - timedelta(days=service.DEFAULT_DAYS - 1), end


@router.get("/lines/{node_id}")
def line_optimisation(
    node_id: IdPath,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    start: StartDay = None,
    end: EndDay = None,
    tariff: Tariff = service.DEFAULT_TARIFF,
    recovery: Recovery = 1.0,
) -> LineOptimisation:
    """Bottleneck (sole and shifting shares), throughput gain, energy per unit and idle waste, top OEE losses of a
    line over local days [start, end], each with the ledger intervals and counters it came from."""
    first, last = period(start, end, settings.timezone)
    return service.analyse(
        session, store, principal, node_id, first, last,
        timezone=settings.timezone, tariff=tariff, recovery=Fraction(str(recovery)),
    )  # fmt: skip


@router.get("/lines/{node_id}/report.pdf")
def line_report_pdf(
    node_id: IdPath,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    month: Month = None,
    tariff: Tariff = service.DEFAULT_TARIFF,
    lang: ReportLanguage = ReportLanguage.ZH,
) -> Response:
    """The monthly optimisation report of a line (PDF)."""
    if month is None:
        previous = datetime.now(ZoneInfo(settings.timezone)).date().replace(day=1) - timedelta(days=1)
        month = f"{previous.year}-{previous.month:02d}"
    first, last = service.month_period(month)
    result = service.analyse(session, store, principal, node_id, first, last, timezone=settings.timezone, tariff=tariff)
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.node_code).strip("_") or str(node_id)
    return Response(
        render_pdf(result, month, lang),
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="optimisation-{code}-{month}.pdf"'},
    )
