"""The OEE dashboard: enterprise → line → equipment drill-down, trend, loss waterfall, downtime Pareto."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.fields import IdQuery
from zhizao.production import downtime, kpi_service
from zhizao.production.api_kpi import Reader
from zhizao.production.kpi import kpis
from zhizao.production.kpi_schemas import Measured, WaterfallRead
from zhizao.production.kpi_service import Granularity, Scope
from zhizao.production.losses import waterfall
from zhizao.production.totals import Totals
from zhizao.telemetry.kinds import NodeLevel
from zhizao.telemetry.models import AssetNode
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (NavItem(N_("OEE"), "/production/oee", roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}), order=300),)
DEFAULT_DAYS = 7
ZONE = ZoneInfo("Asia/Shanghai")


def _default_period(start: date | None, end: date | None) -> tuple[date, date]:
    today = datetime.now(ZONE).date()
    end = end or today
    return start or end - timedelta(days=DEFAULT_DAYS - 1), end


def _children(session: Session, scope: Scope, per_equipment: dict[int, Totals]) -> list[dict[str, Any]]:
    """One row per line (an enterprise or site or area scope) or per piece of equipment (a line or smaller)."""
    if (scope.node is not None and scope.node.level in (NodeLevel.LINE, NodeLevel.CELL)) or len(scope.equipment) <= 1:
        return [
            {
                "name": row.name,
                "code": row.code,
                "href": f"?equipment_id={row.id}",
                "measured": Measured.of(per_equipment[row.id]),
            }
            for row in scope.equipment
        ]
    nodes = {
        node.id: node
        for node in session.scalars(select(AssetNode).where(AssetNode.enterprise_id == scope.enterprise_id))
    }
    line_totals: dict[int | None, Totals] = defaultdict(Totals)
    for row in scope.equipment:
        line_totals[_line_of(row.node_id, nodes)] += per_equipment[row.id]
    rows = []
    for line_id, totals in line_totals.items():
        line = nodes.get(line_id) if line_id is not None else None
        rows.append(
            {
                "name": line.name if line else N_("Not on a line"),
                "code": line.code if line else "",
                "href": f"?node_id={line.id}" if line else "",
                "measured": Measured.of(totals),
            }
        )
    return sorted(rows, key=lambda row: row["code"])


def _line_of(node_id: int | None, nodes: dict[int, AssetNode]) -> int | None:
    while node_id is not None:
        node = nodes[node_id]
        if node.level == NodeLevel.LINE:
            return node.id
        node_id = node.parent_id
    return None


@router.get("/production/oee")
def oee_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    node_id: IdQuery = None,
    equipment_id: IdQuery = None,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
    granularity: Granularity = Granularity.DAY,
) -> Response:
    start, end = _default_period(start, end)
    if principal.sees_all_tenants and enterprise_id is None and node_id is None and equipment_id is None:
        enterprises = session.scalars(
            select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE).order_by(Organisation.name)
        ).all()
        return render(request, "production/oee_choose.html", {"enterprises": enterprises})
    scope = kpi_service.resolve_scope(
        session, principal, enterprise_id=enterprise_id, node_id=node_id, equipment_id=equipment_id
    )
    total = kpi_service.overall(session, scope, start, end)
    per_equipment = kpi_service.by_equipment(session, scope, start, end)
    trend = kpi_service.buckets(session, scope, start, end, granularity)
    pareto_end = min(end, start + timedelta(days=downtime.MAX_PARETO_DAYS - 1))
    context = {
        "scope": scope,
        "scope_name": _scope_name(scope, equipment_id),
        "query": {"enterprise_id": enterprise_id, "node_id": node_id, "equipment_id": equipment_id},
        "start": start,
        "end": end,
        "granularity": granularity,
        "granularities": list(Granularity),
        "total": Measured.of(total),
        "waterfall": WaterfallRead.of(waterfall(total)),
        "trend": [{"key": bucket.key, **kpis(bucket.totals).as_dict()} for bucket in trend],
        "children": _children(session, scope, per_equipment),
        "pareto": downtime.lost_time_by_reason(session, scope, start, pareto_end),
        "pareto_end": pareto_end,
        "flags": kpis(total).flags,
    }
    return render(request, "production/oee.html", context)


def _scope_name(scope: Scope, equipment_id: int | None) -> str:
    if equipment_id is not None and scope.equipment:
        return scope.equipment[0].name
    if scope.node is not None:
        return scope.node.name
    return ""
