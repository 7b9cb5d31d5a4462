"""JSON API of the sharing dashboards (``/api/sharing/dashboards/…``): the owner's (utilisation, revenue, wear, bookings
per machine), the lessee's (bookings, live status of running jobs, costs) and the programme office's (shared
machines, owners, SMEs served, billed hours). An enterprise user sees its own enterprise (another's id: 404);
administrators and officers any one (``enterprise_id``) or all; the programme figures are for them only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.fields import IdQuery
from zhizao.sharing import dashboards, dashboards_lessee
from zhizao.sharing.dashboard_schemas import LesseeDashboard, OwnerDashboard, ProgrammeDashboard
from zhizao.telemetry.api_data import StoreDep

router = APIRouter(prefix="/api/sharing/dashboards", tags=["capacity sharing"])

Party = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Overseer = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER))]
Months = Annotated[int, Query(ge=1, le=dashboards.MAX_MONTHS, description="Local months up to this one.")]


@router.get("/owner")
def owner_dashboard(
    principal: Party, session: SessionDep, settings: SettingsDep, enterprise_id: IdQuery = None, months: Months = 12
) -> OwnerDashboard:
    """Per machine and month: billed ÷ available hours, revenue net of credit notes; wear consumed and remaining
    life per component; bookings by status."""
    zone = ZoneInfo(settings.timezone)
    return dashboards.owner_dashboard(session, principal, enterprise_id, datetime.now(UTC), zone, months)


@router.get("/lessee")
def lessee_dashboard(
    principal: Party, session: SessionDep, settings: SettingsDep, store: StoreDep, enterprise_id: IdQuery = None,
    months: Months = 12,
) -> LesseeDashboard:  # fmt: skip
    """My bookings, the machine's state, mode and parts while my job runs (never outside it), my costs per month."""
    zone = ZoneInfo(settings.timezone)
    return dashboards_lessee.lessee_dashboard(session, store, principal, enterprise_id, datetime.now(UTC), zone, months)


@router.get("/programme")
def programme_dashboard(
    principal: Overseer, session: SessionDep, settings: SettingsDep, months: Months = 12
) -> ProgrammeDashboard:
    """Shared machines, owners, SMEs served (lessees with a completed booking) and billed machine hours per month."""
    return dashboards.programme_dashboard(session, datetime.now(UTC), ZoneInfo(settings.timezone), months)
