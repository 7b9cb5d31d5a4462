"""JSON API of OEE and ISO 22400-2 KPIs and of the downtime Pareto, for any scope and period."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdQuery
from zhizao.production import downtime, kpi_service
from zhizao.production.kpi_schemas import (
    Measured,
    OeeBucketRead,
    OeeEquipmentRead,
    OeeReport,
    ParetoRead,
    WaterfallRead,
)
from zhizao.production.kpi_service import Granularity, Scope
from zhizao.production.losses import waterfall
from zhizao.telemetry.scope import ASSET_READERS

router = APIRouter(prefix="/api/production", tags=["production KPIs"])

Reader = Annotated[Principal, Depends(require_role(*ASSET_READERS))]
StartDate = Annotated[date, Query(description="first local day of the period")]
EndDate = Annotated[date, Query(description="last local day of the period (inclusive)")]


def scope_of(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    node_id: IdQuery = None,
    equipment_id: IdQuery = None,
) -> Scope:
    """The equipment a query covers: one piece, an asset node's subtree, or an enterprise (the caller's own)."""
    return kpi_service.resolve_scope(
        session, principal, enterprise_id=enterprise_id, node_id=node_id, equipment_id=equipment_id
    )


ScopeDep = Annotated[Scope, Depends(scope_of)]


@router.get("/oee")
def oee(
    scope: ScopeDep,
    session: SessionDep,
    start: StartDate,
    end: EndDate,
    granularity: Granularity = Granularity.DAY,
) -> OeeReport:
    """OEE, its factors and every ISO 22400-2 KPI of a piece of equipment, an asset node's subtree or an
    enterprise: the total, per shift / day / week / month, per piece of equipment, and the loss waterfall."""
    total = kpi_service.overall(session, scope, start, end)
    per_equipment = kpi_service.by_equipment(session, scope, start, end)
    return OeeReport(
        enterprise_id=scope.enterprise_id,
        node_id=scope.node.id if scope.node is not None else None,
        equipment_id=scope.equipment[0].id if scope.single else None,
        start=start,
        end=end,
        granularity=granularity,
        total=Measured.of(total),
        waterfall=WaterfallRead.of(waterfall(total)),
        buckets=[
            OeeBucketRead(key=bucket.key, start=bucket.start, **Measured.of(bucket.totals).model_dump())
            for bucket in kpi_service.buckets(session, scope, start, end, granularity)
        ],
        equipment=[
            OeeEquipmentRead(
                equipment_id=row.id, code=row.code, name=row.name, **Measured.of(per_equipment[row.id]).model_dump()
            )
            for row in scope.equipment
        ],
    )


@router.get("/downtime-pareto")
def downtime_pareto(scope: ScopeDep, session: SessionDep, start: StartDate, end: EndDate) -> list[ParetoRead]:
    """Lost time in planned busy time per downtime reason, largest first, with cumulative shares."""
    return [ParetoRead.of(row) for row in downtime.lost_time_by_reason(session, scope, start, end)]
