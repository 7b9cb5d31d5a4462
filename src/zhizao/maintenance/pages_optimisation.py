"""Pages of line optimisation: a list of lines, and a line's bottleneck, energy and loss figures for a period.

Production's line page links here with ``/maintenance/lines/{node_id}/optimisation`` (see
docs/maintenance-optimisation.md); the same figures as JSON come from ``/api/maintenance/optimisation``.
"""

from __future__ import annotations

from fractions import Fraction

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import Role
from zhizao.fields import IdPath
from zhizao.maintenance.api_optimisation import EndDay, Reader, Recovery, StartDay, Tariff, period
from zhizao.maintenance.optimisation import service
from zhizao.maintenance.optimisation.energy import EnergyUse
from zhizao.maintenance.optimisation.report_text import ReportLanguage, recommendations
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.models import AssetNode
from zhizao.telemetry.scope import tenant_clauses
from zhizao.ui import i18n
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (
    NavItem(
        N_("Line optimisation"),
        "/maintenance/optimisation",
        roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}),
        order=320,
    ),
)


@router.get("/maintenance/optimisation")
def choose_line(request: Request, principal: Reader, session: SessionDep) -> Response:
    """Every line and cell the caller may see, by enterprise."""
    rows = session.execute(
        select(AssetNode, Organisation.name)
        .join(Organisation, Organisation.id == AssetNode.enterprise_id)
        .where(AssetNode.level.in_(service.LINE_LEVELS), *tenant_clauses(principal, AssetNode.enterprise_id))
        .order_by(Organisation.name, AssetNode.code)
    ).all()
    return render(request, "maintenance/optimisation/choose.html", {"lines": rows})


@router.get("/maintenance/lines/{node_id}/optimisation")
def line_page(
    request: Request,
    node_id: IdPath,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    start: StartDay = None,
    end: EndDay = None,
    tariff: Tariff = service.DEFAULT_TARIFF,
    recovery: Recovery = 1.0,
) -> Response:
    first, last = period(start, end, settings.timezone)
    result = service.analyse(
        session, store, principal, node_id, first, last,
        timezone=settings.timezone, tariff=tariff, recovery=Fraction(str(recovery)),
    )  # fmt: skip
    lang = ReportLanguage.ZH if i18n.current_locale().startswith("zh") else ReportLanguage.EN
    context = {
        "result": result,
        "names": {row.equipment_id: f"{row.name} {row.code}" for row in result.machines},
        "uses": list(EnergyUse),
        "tariff": tariff,
        "recovery": recovery,
        "month": f"{last.year}-{last.month:02d}",
        "advice": recommendations(result, lang),
        "chart": {
            "machines": [row.equipment_id for row in result.machines],
            "names": [f"{row.name} {row.code}" for row in result.machines],
            "shares": [row.model_dump(mode="json") for row in result.bottleneck.machines],
            "days": [row.model_dump(mode="json") for row in result.bottleneck.days],
            "energy": [row.model_dump(mode="json") for row in result.energy.machines],
        },
    }
    return render(request, "maintenance/optimisation/line.html", context)
