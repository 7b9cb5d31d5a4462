"""The cockpit's queries, in one place: an edition's projects counted in SQL (GROUP BY industry and stage, district
and stage), the accepted projects' stored KPI results, and the drill-down tables behind each number.

A handful of queries whatever the number of projects (no query per project): the cockpit of an edition with a few
hundred enterprises renders in well under the 300 ms its page is allowed. The arithmetic is ``cockpit``'s.
Only the programme office (officers) and administrators see the cockpit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, func, null, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.errors import InputError, NotFound, PermissionDenied
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Kpi, KpiResult
from zhizao.programme import (
    cockpit,
    cockpit_kpis,
    service_directory,
    service_editions,
    service_platforms,
    service_support,
    service_talent,
)
from zhizao.programme.cockpit import (
    ACCEPTED_STAGES,
    CLOSED_STAGES,
    PIPELINE_STAGES,
    Cockpit,
    EditionRef,
    Integrators,
    Measured,
    Talent,
)
from zhizao.programme.cockpit_kpis import KpiMeasure, KpiOutcome, StoredKpis
from zhizao.programme.editions import EditionTargets
from zhizao.programme.kinds import FUNNEL_STAGES, SMART_FACTORY_STAGES, District, Industry, ProjectStage
from zhizao.programme.models import Edition, EnterpriseRecord, FactoryProject

# --- access and editions -------------------------------------------------------------------------------------


def require_overseer(principal: Principal) -> None:
    if not principal.sees_all_tenants:
        raise PermissionDenied(f"role {principal.role.value} may not see the programme cockpit")


def edition_for(session: Session, edition_id: int | None) -> Edition:
    """The chosen edition, or the current one when none is chosen."""
    if edition_id is None:
        return service_editions.current_edition(session)
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFound(f"programme edition {edition_id} not found")
    return edition


def edition_ref(edition: Edition) -> EditionRef:
    return EditionRef(id=edition.id, code=edition.code, name=edition.name)


def targets_of(edition: Edition) -> EditionTargets:
    return EditionTargets.model_validate(edition.targets)


def editions(session: Session) -> list[EditionRef]:
    """Every edition, newest first, for choosing one."""
    rows = session.scalars(select(Edition).order_by(Edition.start_year.desc(), Edition.id.desc()))
    return [edition_ref(row) for row in rows]


# --- stored KPI results --------------------------------------------------------------------------------------


def stored_kpis(project_id: int, verification_id: int | None, kpis: Any) -> StoredKpis:
    """The productivity and operating-cost results of a stored verification's ``result["kpis"]``, read as
    production's ``KpiResult`` (the verification is never recomputed)."""
    if verification_id is None or not isinstance(kpis, list):
        return StoredKpis(project_id=project_id)
    try:
        results = {result.kpi: result for result in (KpiResult.model_validate(item) for item in kpis)}
    except ValidationError as exc:  # a stored result that no longer reads is a bug, never silently a "no data"
        raise ValueError(f"verification {verification_id} holds a result production cannot read") from exc
    productivity, cost = results.get(Kpi.PRODUCTIVITY), results.get(Kpi.OPERATING_COST)
    return StoredKpis(
        project_id=project_id,
        verification_id=verification_id,
        productivity_change=productivity.change if productivity else None,
        productivity_verdict=productivity.verdict if productivity else None,
        cost_change=cost.change if cost else None,
        cost_verdict=cost.verdict if cost else None,
    )


# Only the KPI list of the stored result, extracted by the database: the inputs beside it can be large.
STORED_KPIS = KpiVerification.result["kpis"]


# --- the cockpit ---------------------------------------------------------------------------------------------


def measure(session: Session, edition: Edition) -> Measured:
    in_edition = FactoryProject.edition_id == edition.id
    by_industry = session.execute(
        select(FactoryProject.industry, FactoryProject.stage, func.count(), func.sum(FactoryProject.robots_deployed),
               func.sum(FactoryProject.robots_planned))
        .where(in_edition)
        .group_by(FactoryProject.industry, FactoryProject.stage)
    ).all()  # fmt: skip
    by_district = session.execute(
        select(EnterpriseRecord.district, FactoryProject.stage, func.count())
        .select_from(FactoryProject)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == FactoryProject.enterprise_id)
        .where(in_edition)
        .group_by(EnterpriseRecord.district, FactoryProject.stage)
    ).all()
    kpi_rows = session.execute(
        select(FactoryProject.id, FactoryProject.verification_id, STORED_KPIS)
        .outerjoin(KpiVerification, KpiVerification.id == FactoryProject.verification_id)
        .where(in_edition, FactoryProject.stage.in_(ACCEPTED_STAGES))
        .order_by(FactoryProject.id)
    ).all()
    over_1bn, over_10bn, listed = service_directory.integrator_counts(session, edition)
    platforms, served = service_platforms.platform_counts(session)
    # Robots count in every project still in the programme; a rejected or withdrawn project is no longer reported.
    open_rows = [row for row in by_industry if row[1] not in CLOSED_STAGES]
    return Measured(
        projects={(industry, stage): count for industry, stage, count, _deployed, _planned in by_industry},
        districts={(district, stage): count for district, stage, count in by_district},
        robots_deployed=sum(int(row[3] or 0) for row in open_rows),
        robots_planned=sum(int(row[4] or 0) for row in open_rows),
        kpis=tuple(stored_kpis(project_id, verification_id, kpis) for project_id, verification_id, kpis in kpi_rows),
        talent=Talent(**service_talent.talent_counts(session, edition.id)._asdict()),
        integrators=Integrators(over_1bn=over_1bn, over_10bn=over_10bn, listed=listed),
        platforms=platforms,
        platform_enterprises=served,
        support=service_support.support_totals(session, edition.id),
    )


def read_cockpit(session: Session, principal: Principal, edition_id: int | None = None) -> Cockpit:
    require_overseer(principal)
    edition = edition_for(session, edition_id)
    return cockpit.assemble(edition_ref(edition), targets_of(edition), measure(session, edition), generated_at=utcnow())


# --- drill-down ----------------------------------------------------------------------------------------------


class DrillMetric(StrEnum):
    """The composite numbers of the cockpit that no list page filters for; each is a set of projects."""

    SMART_FACTORIES = "smart_factories"  # recognised or benchmark
    PIPELINE = "pipeline"  # applied … accepted
    REACHED = "reached"  # at ``stage`` or a later funnel stage
    CLOSED = "closed"  # rejected or withdrawn
    ROBOTS = "robots"  # projects still in the programme with robots deployed
    KPIS = "kpis"  # accepted projects and their stored KPI results


@dataclass(frozen=True, slots=True)
class DrillQuery:
    metric: DrillMetric
    industry: Industry | None = None
    district: District | None = None
    no_district: bool = False  # projects whose enterprise has no programme record (no district)
    stage: ProjectStage | None = None  # for REACHED
    outcome: KpiOutcome | None = None  # for KPIS
    # For KPIS, one histogram bucket: values of ``measure`` in [lower, upper), or those not verified (insufficient)
    measure: KpiMeasure | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None
    insufficient: bool = False


@dataclass(frozen=True, slots=True)
class DrillRow:
    project_id: int
    title: str
    enterprise_id: int
    enterprise_name: str
    industry: Industry
    district: District | None
    stage: ProjectStage
    robots_deployed: int
    robots_planned: int
    recognised_on: date | None
    kpis: StoredKpis | None  # for KPIS
    outcome: KpiOutcome | None


@dataclass(frozen=True, slots=True)
class Drill:
    edition: EditionRef
    query: DrillQuery
    rows: list[DrillRow]

    @property
    def robots_deployed(self) -> int:
        return sum(row.robots_deployed for row in self.rows)


def _stages(query: DrillQuery) -> Iterable[ProjectStage]:
    if query.metric is DrillMetric.SMART_FACTORIES:
        return SMART_FACTORY_STAGES
    if query.metric is DrillMetric.PIPELINE:
        return PIPELINE_STAGES
    if query.metric is DrillMetric.CLOSED:
        return CLOSED_STAGES
    if query.metric is DrillMetric.KPIS:
        return ACCEPTED_STAGES
    if query.metric is DrillMetric.ROBOTS:
        return set(ProjectStage) - CLOSED_STAGES
    if query.stage is None or query.stage not in FUNNEL_STAGES:
        raise InputError.for_field("query.stage", "name a funnel stage (applied … benchmark) for the reached count")
    return FUNNEL_STAGES[FUNNEL_STAGES.index(query.stage) :]


def _filters(query: DrillQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [FactoryProject.stage.in_(_stages(query))]
    if query.industry is not None:
        clauses.append(FactoryProject.industry == query.industry)
    if query.no_district:
        clauses.append(EnterpriseRecord.district.is_(None))
    elif query.district is not None:
        clauses.append(EnterpriseRecord.district == query.district)
    if query.metric is DrillMetric.ROBOTS:
        clauses.append(FactoryProject.robots_deployed > 0)
    return clauses


def _drill_select(edition_id: int, query: DrillQuery) -> Select[Any]:
    columns: list[Any] = [
        FactoryProject.id, FactoryProject.title, FactoryProject.enterprise_id, Organisation.name,
        FactoryProject.industry, EnterpriseRecord.district, FactoryProject.stage, FactoryProject.robots_deployed,
        FactoryProject.robots_planned, FactoryProject.recognised_on, FactoryProject.verification_id,
    ]  # fmt: skip
    statement = (
        select(*columns, STORED_KPIS if query.metric is DrillMetric.KPIS else null())
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == FactoryProject.enterprise_id)
    )
    if query.metric is DrillMetric.KPIS:
        statement = statement.outerjoin(KpiVerification, KpiVerification.id == FactoryProject.verification_id)
    return statement.where(FactoryProject.edition_id == edition_id, *_filters(query)).order_by(
        Organisation.name, FactoryProject.id
    )


def _wanted(kpis: StoredKpis, outcome: KpiOutcome | None, query: DrillQuery) -> bool:
    """Whether an accepted project's KPI results fall in the outcome or histogram bucket asked for."""
    if query.outcome is not None and outcome is not query.outcome:
        return False
    if query.measure is None:
        return True
    if kpis.verification_id is None:  # the histograms count verified projects only
        return False
    value = cockpit_kpis.kpi_value(kpis, query.measure)
    if query.insufficient:
        return value is None
    return value is not None and cockpit_kpis.in_bucket(value, query.lower, query.upper)


def read_drill(session: Session, principal: Principal, edition_id: int | None, query: DrillQuery) -> Drill:
    """The projects behind one cockpit number, with what the number counts of each."""
    require_overseer(principal)
    edition = edition_for(session, edition_id)
    targets = targets_of(edition)
    rows: list[DrillRow] = []
    for (project_id, title, enterprise_id, name, industry, district, stage, deployed, planned, recognised_on,
         verification_id, kpis_json) in session.execute(_drill_select(edition.id, query)):  # fmt: skip
        kpis = stored_kpis(project_id, verification_id, kpis_json) if query.metric is DrillMetric.KPIS else None
        outcome = cockpit_kpis.kpi_outcome(kpis, targets) if kpis is not None else None
        if kpis is not None and not _wanted(kpis, outcome, query):
            continue
        rows.append(
            DrillRow(project_id, title, enterprise_id, name, industry, district, stage, deployed, planned,
                     recognised_on, kpis, outcome)
        )  # fmt: skip
    return Drill(edition_ref(edition), query, rows)
