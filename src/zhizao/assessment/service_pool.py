"""The expert pool (专家库), enterprise profiles and the integrators' capabilities, and the views of them the team
rules (``team.py``) and the gap analysis (``gaps.py``) take."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.assessment import gaps, team
from zhizao.assessment.lifecycle import OPEN_DIAGNOSIS_STATUSES, AssessmentKind
from zhizao.assessment.model import load_model
from zhizao.assessment.models import (
    Assessment,
    EnterpriseProfile,
    ExpertRecord,
    IntegratorCapability,
    TeamMember,
)
from zhizao.assessment.schemas import (
    ExpertCreate,
    ExpertRead,
    ExpertUpdate,
    IntegratorRead,
    IntegratorUpdate,
    ProfileRead,
    ProfileUpdate,
)
from zhizao.assessment.service_access import ON_TEAM, enterprise_in_scope
from zhizao.errors import FieldProblem, InputError, NotFound
from zhizao.telemetry.assets import flush_unique

PROFILE_FIELDS = ("enterprise_id", "industry", "enterprise_type", "integrator_ids", "competitor_ids")
EXPERT_FIELDS = ("user_id", "industries", "specialities", "employer_id", "region", "available")


# --- enterprise profiles -----------------------------------------------------------------------------------


def read_profile(session: Session, actor: Principal, enterprise_id: int | None) -> ProfileRead:
    enterprise = enterprise_in_scope(session, actor, enterprise_id, "query.enterprise_id")
    profile = session.get(EnterpriseProfile, enterprise)
    if profile is None:
        raise NotFound(f"enterprise {enterprise} has no assessment profile yet")
    return ProfileRead.model_validate(profile)


def _organisations_of_kind(
    session: Session, ids: Sequence[int], kind: OrganisationKind, field: str
) -> list[FieldProblem]:
    kinds = dict(session.execute(select(Organisation.id, Organisation.kind).where(Organisation.id.in_(ids))).all())
    return [
        FieldProblem(f"{field}[{index}]", f"organisation {org_id} is not of kind {kind.value}")
        for index, org_id in enumerate(ids)
        if kinds.get(org_id) != kind
    ]


def update_profile(session: Session, actor: Principal, enterprise_id: int | None, data: ProfileUpdate) -> ProfileRead:
    with session.begin():
        enterprise = enterprise_in_scope(session, actor, enterprise_id, "query.enterprise_id")
        problems = [
            *_organisations_of_kind(session, data.integrator_ids, OrganisationKind.INTEGRATOR, "body.integrator_ids"),
            *_organisations_of_kind(session, data.competitor_ids, OrganisationKind.ENTERPRISE, "body.competitor_ids"),
        ]
        if enterprise in data.competitor_ids:
            problems.append(FieldProblem("body.competitor_ids", "an enterprise is not its own competitor"))
        if problems:
            raise InputError(problems[0].message, fields=problems)
        profile = session.get(EnterpriseProfile, enterprise)
        before = audit.snapshot(profile, PROFILE_FIELDS) if profile else None
        if profile is None:
            profile = EnterpriseProfile(enterprise_id=enterprise)
            session.add(profile)
        profile.industry = data.industry
        profile.enterprise_type = data.enterprise_type
        profile.integrator_ids = sorted(set(data.integrator_ids))
        profile.competitor_ids = sorted(set(data.competitor_ids))
        session.flush()
        audit.record(
            session, actor, action="assessment_profile.update", entity_type="assessment_profile",
            entity_id=enterprise, organisation_id=enterprise, before=before,
            after=audit.snapshot(profile, PROFILE_FIELDS),
        )  # fmt: skip
    return ProfileRead.model_validate(profile)


def needs_of(session: Session, assessment: Assessment, profile: EnterpriseProfile) -> team.DiagnosisNeeds:
    organisation = session.get(Organisation, assessment.enterprise_id)
    return team.DiagnosisNeeds(
        enterprise_id=assessment.enterprise_id,
        industry=profile.industry,
        integrator_ids=frozenset(profile.integrator_ids),
        competitor_ids=frozenset(profile.competitor_ids),
        region=organisation.district if organisation else None,
        team_size=assessment.team_size,
    )


# --- experts -----------------------------------------------------------------------------------------------


def workloads(session: Session, *, excluding: int | None = None) -> dict[int, int]:
    """Expert id → open diagnoses the expert is on (invited or accepted), leaving out one diagnosis."""
    query = (
        select(TeamMember.expert_id, func.count())
        .join(Assessment, Assessment.id == TeamMember.assessment_id)
        .where(
            Assessment.kind == AssessmentKind.DIAGNOSIS,
            Assessment.status.in_(OPEN_DIAGNOSIS_STATUSES),
            TeamMember.status.in_(ON_TEAM),
        )
        .group_by(TeamMember.expert_id)
    )
    if excluding is not None:
        query = query.where(Assessment.id != excluding)
    return {int(expert_id): int(count) for expert_id, count in session.execute(query).all()}


def pool(session: Session, *, excluding: int | None = None) -> list[team.Expert]:
    """The whole expert pool as the team rules see it, with workloads apart from one diagnosis."""
    loads = workloads(session, excluding=excluding)
    return [
        team.Expert(
            id=row.id,
            industries=frozenset(row.industries),
            specialities=frozenset(row.specialities),
            employer_id=row.employer_id,
            region=row.region,
            available=row.available,
            workload=loads.get(row.id, 0),
        )
        for row in session.scalars(select(ExpertRecord).order_by(ExpertRecord.id))
    ]


def _expert_read(row: ExpertRecord, user: User, workload: int) -> ExpertRead:
    return ExpertRead(
        id=row.id,
        user_id=row.user_id,
        display_name=user.display_name,
        industries=list(row.industries),
        specialities=list(row.specialities),
        employer_id=row.employer_id,
        region=row.region,
        available=row.available,
        workload=workload,
    )


def list_experts(session: Session, industry: str | None = None) -> list[ExpertRead]:
    loads = workloads(session)
    rows = session.execute(
        select(ExpertRecord, User).join(User, User.id == ExpertRecord.user_id).order_by(ExpertRecord.id)
    ).all()
    return [
        _expert_read(row, user, loads.get(row.id, 0))
        for row, user in rows
        if industry is None or industry in row.industries
    ]


def read_expert(session: Session, expert_id: int) -> ExpertRead:
    row = session.get(ExpertRecord, expert_id)
    if row is None:
        raise NotFound(f"expert {expert_id} not found")
    user = session.get(User, row.user_id)
    assert user is not None
    return _expert_read(row, user, workloads(session).get(row.id, 0))


def _check_employer(session: Session, employer_id: int | None) -> None:
    if employer_id is not None and session.get(Organisation, employer_id) is None:
        raise InputError.for_field("body.employer_id", f"organisation {employer_id} does not exist")


def create_expert(session: Session, actor: Principal, data: ExpertCreate) -> ExpertRead:
    with session.begin():
        user = session.get(User, data.user_id)
        if user is None or user.role != Role.EXPERT:
            raise InputError.for_field("body.user_id", f"user {data.user_id} is not a user of role expert")
        _check_employer(session, data.employer_id)
        row = ExpertRecord(**data.model_dump())
        session.add(row)
        flush_unique(session, "body.user_id", f"user {data.user_id} is in the expert pool already")
        audit.record(
            session, actor, action="expert.create", entity_type="expert", entity_id=row.id,
            after=audit.snapshot(row, EXPERT_FIELDS),
        )  # fmt: skip
    return read_expert(session, row.id)


def update_expert(session: Session, actor: Principal, expert_id: int, data: ExpertUpdate) -> ExpertRead:
    with session.begin():
        row = session.get(ExpertRecord, expert_id)
        if row is None:
            raise NotFound(f"expert {expert_id} not found")
        before = audit.snapshot(row, EXPERT_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("industries", "specialities", "available"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        _check_employer(session, changes.get("employer_id"))
        for name, value in changes.items():
            setattr(row, name, value)
        audit.record(
            session, actor, action="expert.update", entity_type="expert", entity_id=row.id, before=before,
            after=audit.snapshot(row, EXPERT_FIELDS),
        )  # fmt: skip
    return read_expert(session, expert_id)


# --- integrators -------------------------------------------------------------------------------------------


def _integrator_read(row: IntegratorCapability, name: str) -> IntegratorRead:
    return IntegratorRead(
        integrator_id=row.integrator_id, name=name, capabilities=list(row.capabilities), updated_at=row.updated_at
    )


def list_integrators(session: Session, capability: str | None = None) -> list[IntegratorRead]:
    rows = session.execute(
        select(IntegratorCapability, Organisation.name)
        .join(Organisation, Organisation.id == IntegratorCapability.integrator_id)
        .order_by(IntegratorCapability.integrator_id)
    ).all()
    return [_integrator_read(row, name) for row, name in rows if capability is None or capability in row.capabilities]


def roadmap_integrators(session: Session) -> list[gaps.Integrator]:
    return [
        gaps.Integrator(id=entry.integrator_id, name=entry.name, capabilities=frozenset(entry.capabilities))
        for entry in list_integrators(session)
    ]


def _integrator_in_scope(session: Session, actor: Principal, integrator_id: int) -> Organisation:
    organisation = session.get(Organisation, integrator_id)
    own = actor.role == Role.ADMIN or actor.organisation_id == integrator_id
    if organisation is None or organisation.kind != OrganisationKind.INTEGRATOR or not own:
        raise NotFound(f"integrator {integrator_id} not found")
    return organisation


def put_integrator(session: Session, actor: Principal, integrator_id: int, data: IntegratorUpdate) -> IntegratorRead:
    """Set an integrator's capability keys (administrators any integrator, integrators their own entry)."""
    with session.begin():
        organisation = _integrator_in_scope(session, actor, integrator_id)
        known = set(load_model().capability_keys)
        problems = [
            FieldProblem(f"body.capabilities[{index}]", f"unknown capability key {key!r}")
            for index, key in enumerate(data.capabilities)
            if key not in known
        ]
        if problems:
            raise InputError(f"{problems[0].message}; the keys are {', '.join(sorted(known))}", fields=problems)
        row = session.get(IntegratorCapability, integrator_id)
        before = {"capabilities": list(row.capabilities)} if row else None
        if row is None:
            row = IntegratorCapability(integrator_id=integrator_id)
            session.add(row)
        row.capabilities = sorted(set(data.capabilities))
        session.flush()
        audit.record(
            session, actor, action="integrator_capability.update", entity_type="integrator_capability",
            entity_id=integrator_id, organisation_id=integrator_id, before=before,
            after={"capabilities": row.capabilities},
        )  # fmt: skip
    return _integrator_read(row, organisation.name)


def delete_integrator(session: Session, actor: Principal, integrator_id: int) -> None:
    with session.begin():
        _integrator_in_scope(session, actor, integrator_id)
        row = session.get(IntegratorCapability, integrator_id)
        if row is None:
            raise NotFound(f"integrator {integrator_id} has listed no capabilities")
        audit.record(
            session, actor, action="integrator_capability.delete", entity_type="integrator_capability",
            entity_id=integrator_id, organisation_id=integrator_id, before={"capabilities": list(row.capabilities)},
        )  # fmt: skip
        session.delete(row)
