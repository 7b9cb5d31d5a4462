"""The publications' queries: an edition's recognised smart factories and benchmarks, and their cases with the
stored verification of each. Public: no caller is needed, and only projects recognised (or benchmark) are ever read,
so nothing about a project on its way (or rejected) can reach the public. One query per page or file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.errors import NotFound
from zhizao.production.models import KpiVerification
from zhizao.programme.kinds import SMART_FACTORY_STAGES, ProjectStage
from zhizao.programme.models import Edition, EnterpriseRecord, FactoryProject
from zhizao.programme.publications import (
    Case,
    CaseCollection,
    ListedFactory,
    PublishedEdition,
    SmartFactoryList,
    listing_order,
    verified_result,
)
from zhizao.programme.service_cockpit import STORED_KPIS, edition_for, stored_kpis


def _published(edition: Edition) -> PublishedEdition:
    return PublishedEdition(id=edition.id, code=edition.code, name=edition.name)


def smart_factories(session: Session, edition_id: int | None = None) -> SmartFactoryList:
    """The edition's (the current one unless named) recognised smart factories and benchmarks."""
    edition = edition_for(session, edition_id)
    rows = session.execute(
        select(FactoryProject.id, Organisation.name, FactoryProject.industry, EnterpriseRecord.district,
               FactoryProject.recognised_on, FactoryProject.stage)
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == FactoryProject.enterprise_id)
        .where(FactoryProject.edition_id == edition.id, FactoryProject.stage.in_(SMART_FACTORY_STAGES))
    ).all()  # fmt: skip
    factories = [
        ListedFactory(
            project_id=project_id,
            enterprise_name=name,
            industry=industry,
            district=district,
            recognised_year=recognised_on.year if recognised_on else None,
            benchmark=stage is ProjectStage.BENCHMARK,
        )
        for project_id, name, industry, district, recognised_on, stage in rows
    ]
    factories.sort(key=lambda row: listing_order(row.industry, row.benchmark, row.enterprise_name))
    return SmartFactoryList(edition=_published(edition), factories=tuple(factories))


def _cases_query() -> Select[Any]:
    return (
        select(FactoryProject, Organisation.name, EnterpriseRecord.district, KpiVerification.baseline_start,
               KpiVerification.baseline_end, KpiVerification.evaluation_start, KpiVerification.evaluation_end,
               STORED_KPIS)
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == FactoryProject.enterprise_id)
        .outerjoin(KpiVerification, KpiVerification.id == FactoryProject.verification_id)
        .where(FactoryProject.stage.in_(SMART_FACTORY_STAGES))
    )  # fmt: skip


def _case(row: Any) -> Case:
    project, name, district, baseline_start, baseline_end, evaluation_start, evaluation_end, kpis = row
    kpis_read = stored_kpis(project.id, project.verification_id if baseline_start else None, kpis)
    windows = (baseline_start, baseline_end, evaluation_start, evaluation_end) if baseline_start else None
    return Case(
        project_id=project.id,
        enterprise_name=name,
        industry=project.industry,
        district=district,
        benchmark=project.stage is ProjectStage.BENCHMARK,
        recognised_on=project.recognised_on,
        title=project.case_title or project.title,
        summary_zh=project.case_summary_zh,
        summary_en=project.case_summary_en,
        result=verified_result(kpis_read, windows),
    )


def cases(session: Session, edition_id: int | None = None) -> CaseCollection:
    """The case collection of the edition (the current one unless named), in the list's order."""
    edition = edition_for(session, edition_id)
    found = [_case(row) for row in session.execute(_cases_query().where(FactoryProject.edition_id == edition.id))]
    found.sort(key=lambda case: listing_order(case.industry, case.benchmark, case.enterprise_name))
    return CaseCollection(edition=_published(edition), cases=tuple(found))


def case(session: Session, project_id: int) -> Case:
    """One published case; any project that is not recognised (or does not exist) is a 404."""
    row = session.execute(_cases_query().where(FactoryProject.id == project_id)).first()
    if row is None:
        raise NotFound(f"case {project_id} not found")
    return _case(row)
