"""Dashboard pages of capacity sharing: the owner's (``/sharing/dashboards/owner``), the lessee's
(``/sharing/dashboards/lessee``) and the programme office's (``/sharing/dashboards/programme``), with ECharts
charts beside their tables. The figures come from the services the JSON API serves (``api_dashboards``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.fields import IdQuery
from zhizao.sharing import bookings, dashboards, dashboards_lessee
from zhizao.sharing.api_dashboards import Months
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/sharing/dashboards"
NAV = (
    NavItem(N_("Sharing: owner dashboard"), BASE + "/owner", roles=frozenset({Role.ENTERPRISE.value}), order=264),
    NavItem(N_("Sharing: lessee dashboard"), BASE + "/lessee", roles=frozenset({Role.ENTERPRISE.value}), order=265),
    NavItem(
        N_("Capacity sharing figures"), BASE + "/programme",
        roles=frozenset({Role.ADMIN.value, Role.OFFICER.value}), order=605,
    ),
)  # fmt: skip

Party = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Overseer = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER))]
STATE_LABELS = {
    MachineryItemState.NOT_AVAILABLE: N_("Not available"),
    MachineryItemState.OUT_OF_SERVICE: N_("Out of service"),
    MachineryItemState.NOT_EXECUTING: N_("Not executing"),
    MachineryItemState.EXECUTING: N_("Executing"),
}
MODE_LABELS = {
    OperationMode.NONE: N_("No mode"),
    OperationMode.MAINTENANCE: N_("Maintenance"),
    OperationMode.SETUP: N_("Setup"),
    OperationMode.PROCESSING: N_("Processing"),
}


def _labels() -> dict[str, Any]:
    return {"status_labels": bookings.STATUS_LABELS, "state_labels": STATE_LABELS, "mode_labels": MODE_LABELS}


@router.get(BASE + "/owner")
def owner_page(
    request: Request, principal: Party, session: SessionDep, settings: SettingsDep, enterprise_id: IdQuery = None,
    months: Months = 12,
) -> Response:  # fmt: skip
    board = dashboards.owner_dashboard(
        session, principal, enterprise_id, datetime.now(UTC), ZoneInfo(settings.timezone), months
    )
    context = {"board": board, "chooser": principal.sees_all_tenants, "months": months, **_labels()}
    return render(request, "sharing/dashboards/owner.html", context)


@router.get(BASE + "/lessee")
def lessee_page(
    request: Request, principal: Party, session: SessionDep, settings: SettingsDep, store: StoreDep,
    enterprise_id: IdQuery = None, months: Months = 12,
) -> Response:  # fmt: skip
    board = dashboards_lessee.lessee_dashboard(
        session, store, principal, enterprise_id, datetime.now(UTC), ZoneInfo(settings.timezone), months
    )
    context = {"board": board, "chooser": principal.sees_all_tenants, "months": months, **_labels()}
    return render(request, "sharing/dashboards/lessee.html", context)


@router.get(BASE + "/programme")
def programme_page(
    request: Request, principal: Overseer, session: SessionDep, settings: SettingsDep, months: Months = 12
) -> Response:
    board = dashboards.programme_dashboard(session, datetime.now(UTC), ZoneInfo(settings.timezone), months)
    return render(request, "sharing/dashboards/programme.html", {"board": board, "months": months})
