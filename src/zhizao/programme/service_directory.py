"""The integrator directory (系统集成商推荐目录): applications, the programme office's review against the current
edition's criteria, the public directory, the cockpit's counts and the matching of integrators to a factory's gaps.

Capability keys live in assessment's ``assessment_integrator`` (the gap roadmap matches against them): an
application writes them through ``assessment.service_pool.put_integrator`` and every read takes them from
``service_pool.list_integrators``. Project outcomes are the stored KPI verifications, read, never recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.assessment import service_pool
from zhizao.assessment.schemas import IntegratorUpdate
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, NotFound
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Kpi, Verification
from zhizao.production.programme_service import verification_of
from zhizao.programme import directory, service_editions
from zhizao.programme.directory import (
    CRITERION_LABELS,
    IntegratorStatus,
    RevenueBand,
    ReviewDecision,
)
from zhizao.programme.editions import DirectoryRules, EditionRules, load_definition
from zhizao.programme.kinds import Industry
from zhizao.programme.models import Edition, FactoryProject
from zhizao.programme.models_directory import IntegratorEntry, IntegratorIndustry, IntegratorRevenue
from zhizao.programme.schemas_directory import (
    DeliveredProject,
    DirectoryEntry,
    IntegratorApplication,
    IntegratorRead,
    IntegratorReview,
    IntegratorSummary,
    RevenueEntry,
)

ENTRY_FIELDS = ("status", "description", "website", "contact_name", "contact_phone", "contact_email", "review_note")


@dataclass
class IntegratorFacts:
    """What the directory knows about one integrator beyond its entry row."""

    name: str
    revenues: dict[int, Decimal] = field(default_factory=dict)
    industries: list[Industry] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    projects: list[DeliveredProject] = field(default_factory=list)

    @property
    def verified_projects(self) -> int:
        return sum(project.verified for project in self.projects)


def integrator_facts(session: Session, ids: Iterable[int]) -> dict[int, IntegratorFacts]:
    ids = sorted(set(ids))
    names = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()
    facts = {org_id: IntegratorFacts(name) for org_id, name in names}
    revenues = select(IntegratorRevenue).where(IntegratorRevenue.integrator_id.in_(ids))
    for revenue in session.scalars(revenues.order_by(IntegratorRevenue.year)):
        facts[revenue.integrator_id].revenues[revenue.year] = revenue.revenue_cny
    industries = select(IntegratorIndustry).where(IntegratorIndustry.integrator_id.in_(ids))
    for served in session.scalars(industries.order_by(IntegratorIndustry.industry)):
        facts[served.integrator_id].industries.append(served.industry)
    for entry in service_pool.list_integrators(session):
        if entry.integrator_id in facts:
            facts[entry.integrator_id].capabilities = list(entry.capabilities)
    for integrator_id, project in delivered_projects(session, ids):
        facts[integrator_id].projects.append(project)
    return facts


def delivered_projects(session: Session, integrator_ids: Iterable[int]) -> list[tuple[int, DeliveredProject]]:
    """(integrator id, project) for each programme project of these integrators accepted or beyond, oldest first,
    with the verdicts of its stored KPI verification."""
    rows = session.execute(
        select(FactoryProject, Organisation.name)
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .where(
            FactoryProject.integrator_id.in_(list(integrator_ids)),
            FactoryProject.stage.in_(directory.DELIVERED_STAGES),
        )
        .order_by(FactoryProject.id)
    ).all()
    projects = list(rows)
    wanted = [project.verification_id for project, _ in projects if project.verification_id is not None]
    stored = {
        row.id: verification_of(row)
        for row in session.scalars(select(KpiVerification).where(KpiVerification.id.in_(wanted)))
    }
    return [
        (project.integrator_id or 0, _delivered(project, name, stored.get(project.verification_id or 0)))
        for project, name in projects
    ]


def _delivered(project: FactoryProject, enterprise_name: str, stored: Verification | None) -> DeliveredProject:
    productivity = stored.kpi(Kpi.PRODUCTIVITY) if stored else None
    cost = stored.kpi(Kpi.OPERATING_COST) if stored else None
    return DeliveredProject(
        project_id=project.id,
        enterprise_id=project.enterprise_id,
        enterprise_name=enterprise_name,
        title=project.title,
        stage=project.stage,
        verification_id=project.verification_id if stored else None,
        productivity_change=productivity.change if productivity else None,
        productivity_verdict=productivity.verdict if productivity else None,
        cost_change=cost.change if cost else None,
        cost_verdict=cost.verdict if cost else None,
        verified=directory.verified(productivity.verdict if productivity else None, cost.verdict if cost else None),
    )


def directory_rules(session: Session) -> tuple[str, DirectoryRules]:
    """The current edition's code and listing criteria; the bundled plan's until an edition is marked current."""
    try:
        edition = service_editions.current_edition(session)
    except NotFound:
        definition = load_definition()
        return definition.code, definition.rules.directory
    return edition.code, EditionRules.model_validate(edition.rules).directory


def _summary(entry: IntegratorEntry, facts: IntegratorFacts, rules: DirectoryRules) -> IntegratorSummary:
    latest = directory.latest_revenue(facts.revenues)
    return IntegratorSummary(
        integrator_id=entry.organisation_id,
        name=facts.name,
        status=entry.status,
        latest_revenue_year=latest[0] if latest else None,
        latest_revenue_cny=latest[1] if latest else None,
        revenue_band=directory.revenue_band(latest[1] if latest else None),
        delivered_projects=len(facts.projects),
        verified_projects=facts.verified_projects,
        criteria=directory.check_criteria(rules, facts.revenues, len(facts.projects)),
        applied_at=entry.applied_at,
        updated_at=entry.updated_at,
    )


# --- the programme office's and the integrator's views ------------------------------------------------------


def list_entries(session: Session, status: IntegratorStatus | None = None) -> list[IntegratorSummary]:
    """The review queue: every application (or those of one status), waiting ones first, then by name."""
    query = select(IntegratorEntry)
    if status is not None:
        query = query.where(IntegratorEntry.status == status)
    entries = session.scalars(query).all()
    facts = integrator_facts(session, (entry.organisation_id for entry in entries))
    _, rules = directory_rules(session)
    summaries = [_summary(entry, facts[entry.organisation_id], rules) for entry in entries]
    return sorted(summaries, key=lambda row: (row.status is not IntegratorStatus.APPLIED, row.name))


def _integrator_in_scope(session: Session, actor: Principal, integrator_id: int) -> Organisation:
    organisation = session.get(Organisation, integrator_id)
    if (
        organisation is None
        or organisation.kind != OrganisationKind.INTEGRATOR
        or not actor.may_access_tenant(integrator_id)
    ):
        raise NotFound(f"integrator {integrator_id} not found")
    return organisation


def read_entry(session: Session, actor: Principal, integrator_id: int) -> IntegratorRead:
    """An integrator's whole entry with its criteria check (officers and administrators any, integrators their own)."""
    found = find_entry(session, actor, integrator_id)
    if found is None:
        raise NotFound(f"integrator {integrator_id} has not applied to the directory")
    return found


def find_entry(session: Session, actor: Principal, integrator_id: int) -> IntegratorRead | None:
    """As ``read_entry``, but None for an integrator in scope that has not applied yet."""
    _integrator_in_scope(session, actor, integrator_id)
    entry = session.get(IntegratorEntry, integrator_id)
    if entry is None:
        return None
    facts = integrator_facts(session, [integrator_id])[integrator_id]
    edition_code, rules = directory_rules(session)
    reviewer = session.get(User, entry.reviewed_by) if entry.reviewed_by is not None else None
    return IntegratorRead(
        **_summary(entry, facts, rules).model_dump(),
        description=entry.description,
        website=entry.website,
        contact_name=entry.contact_name,
        contact_phone=entry.contact_phone,
        contact_email=entry.contact_email,
        industries=facts.industries,
        capabilities=facts.capabilities,
        revenues=[RevenueEntry(year=year, revenue_cny=value) for year, value in sorted(facts.revenues.items())],
        projects=facts.projects,
        edition_code=edition_code,
        reviewed_by=reviewer.display_name if reviewer else None,
        reviewed_at=entry.reviewed_at,
        review_note=entry.review_note,
        decisions=directory.decisions_from(entry.status) if actor.sees_all_tenants else [],
    )


def put_application(
    session: Session, actor: Principal, integrator_id: int, data: IntegratorApplication
) -> IntegratorRead:
    """Apply, or replace one's application whole (administrators for any integrator). A rejected application is
    resubmitted; a listed or suspended one keeps the status the programme office gave it."""
    # Capabilities first, through assessment's service, which checks the scope and every key in its own
    # transaction: what is left below (the entry) cannot fail on input the schema has accepted.
    service_pool.put_integrator(session, actor, integrator_id, IntegratorUpdate(capabilities=data.capabilities))
    with session.begin():
        _integrator_in_scope(session, actor, integrator_id)
        entry = session.get(IntegratorEntry, integrator_id, with_for_update=True)
        before = (
            None
            if entry is None
            else {**audit.snapshot(entry, ENTRY_FIELDS), **_children_snapshot(session, integrator_id)}
        )
        if entry is None:
            entry = IntegratorEntry(organisation_id=integrator_id, status=IntegratorStatus.APPLIED)
            session.add(entry)
        else:
            entry.status = directory.after_update(entry.status)
            entry.updated_at = utcnow()
        for name in ("description", "website", "contact_name", "contact_phone", "contact_email"):
            setattr(entry, name, getattr(data, name))
        session.flush()
        _replace_children(session, integrator_id, data)
        session.flush()
        audit.record(
            session, actor, action="programme_integrator.apply" if before is None else "programme_integrator.update",
            entity_type="programme_integrator", entity_id=integrator_id, organisation_id=integrator_id,
            before=before, after={**audit.snapshot(entry, ENTRY_FIELDS), **_children_snapshot(session, integrator_id)},
        )  # fmt: skip
    return read_entry(session, actor, integrator_id)


def _replace_children(session: Session, integrator_id: int, data: IntegratorApplication) -> None:
    """Make the stored revenues and industries those of the application, row by row (no bulk delete, so rows the
    session already holds stay consistent)."""
    revenues = {
        row.year: row
        for row in session.scalars(select(IntegratorRevenue).where(IntegratorRevenue.integrator_id == integrator_id))
    }
    wanted = {entry.year: entry.revenue_cny for entry in data.revenues}
    for year, row in revenues.items():
        if year not in wanted:
            session.delete(row)
    for year, value in wanted.items():
        if year in revenues:
            revenues[year].revenue_cny = value
        else:
            session.add(IntegratorRevenue(integrator_id=integrator_id, year=year, revenue_cny=value))
    industries = {
        row.industry: row
        for row in session.scalars(select(IntegratorIndustry).where(IntegratorIndustry.integrator_id == integrator_id))
    }
    for industry, served in industries.items():
        if industry not in data.industries:
            session.delete(served)
    session.add_all(
        IntegratorIndustry(integrator_id=integrator_id, industry=industry)
        for industry in set(data.industries) - set(industries)
    )


def _children_snapshot(session: Session, integrator_id: int) -> dict[str, object]:
    revenues = session.execute(
        select(IntegratorRevenue.year, IntegratorRevenue.revenue_cny)
        .where(IntegratorRevenue.integrator_id == integrator_id)
        .order_by(IntegratorRevenue.year)
    ).all()
    industries = session.scalars(
        select(IntegratorIndustry.industry).where(IntegratorIndustry.integrator_id == integrator_id)
    )
    return {
        "revenues": {str(year): str(value) for year, value in revenues},
        "industries": sorted(industry.value for industry in industries),
    }


def review(session: Session, actor: Principal, integrator_id: int, data: IntegratorReview) -> IntegratorRead:
    """List, reject or suspend an application, with a note; listing needs the current edition's criteria met."""
    with session.begin():
        entry = session.get(IntegratorEntry, integrator_id, with_for_update=True)
        if entry is None:
            raise NotFound(f"integrator {integrator_id} has not applied to the directory")
        target = directory.next_status(entry.status, data.decision)
        if data.decision is ReviewDecision.LIST:
            _require_criteria(session, entry)
        before = audit.snapshot(entry, ENTRY_FIELDS)
        entry.status = target
        entry.reviewed_by = actor.user_id
        entry.reviewed_at = utcnow()
        entry.review_note = data.note
        session.flush()
        audit.record(
            session, actor, action=f"programme_integrator.{data.decision.value}", entity_type="programme_integrator",
            entity_id=integrator_id, organisation_id=integrator_id, before=before,
            after=audit.snapshot(entry, ENTRY_FIELDS),
        )  # fmt: skip
    return read_entry(session, actor, integrator_id)


def _require_criteria(session: Session, entry: IntegratorEntry) -> None:
    edition_code, rules = directory_rules(session)
    summary = _summary(entry, integrator_facts(session, [entry.organisation_id])[entry.organisation_id], rules)
    if not summary.criteria.met:
        unmet = ", ".join(str(CRITERION_LABELS[criterion]) for criterion in summary.criteria.unmet)
        message = f"integrator {entry.organisation_id} does not meet edition {edition_code}'s criteria: {unmet}"
        raise Conflict(message, fields=[FieldProblem("body.decision", message)])


# --- the public directory and the cockpit ----------------------------------------------------------------------


def listed_entries(session: Session) -> dict[int, IntegratorEntry]:
    query = select(IntegratorEntry).where(IntegratorEntry.status == IntegratorStatus.LISTED)
    return {entry.organisation_id: entry for entry in session.scalars(query)}


def public_directory(
    session: Session,
    *,
    q: str | None = None,
    industry: Industry | None = None,
    capability: str | None = None,
    min_band: RevenueBand | None = None,
) -> list[DirectoryEntry]:
    """Listed integrators only, by name; ``q`` searches name and description, case-insensitively."""
    entries = listed_entries(session)
    found = []
    for integrator_id, facts in integrator_facts(session, entries).items():
        entry = entries[integrator_id]
        latest = directory.latest_revenue(facts.revenues)
        band = directory.revenue_band(latest[1] if latest else None)
        if (
            (q and q.casefold() not in f"{facts.name}\n{entry.description}".casefold())
            or (industry is not None and industry not in facts.industries)
            or (capability is not None and capability not in facts.capabilities)
            or (min_band is not None and not directory.band_at_least(band, min_band))
        ):
            continue
        found.append(
            DirectoryEntry(
                integrator_id=integrator_id,
                name=facts.name,
                description=entry.description,
                website=entry.website,
                industries=facts.industries,
                capabilities=facts.capabilities,
                revenue_band=band,
                revenue_year=latest[0] if latest else None,
                delivered_projects=len(facts.projects),
                verified_projects=facts.verified_projects,
            )
        )
    return sorted(found, key=lambda row: (row.name, row.integrator_id))


def integrator_counts(session: Session, edition: Edition) -> tuple[int, int, int]:
    """(over ¥1bn, over ¥10bn, listed) among listed integrators, each judged on its latest revenue reported for a
    year up to the edition's last; those over ¥10bn are counted in over ¥1bn too, as the plan's targets are."""
    revenues: dict[int, dict[int, Decimal]] = {integrator_id: {} for integrator_id in listed_entries(session)}
    query = select(IntegratorRevenue).where(IntegratorRevenue.integrator_id.in_(list(revenues)))
    for row in session.scalars(query):
        revenues[row.integrator_id][row.year] = row.revenue_cny
    latest = [directory.latest_revenue(by_year, edition.end_year) for by_year in revenues.values()]
    counts = directory.count_bands([pair[1] if pair else None for pair in latest])
    return counts.over_1bn, counts.over_10bn, counts.listed
