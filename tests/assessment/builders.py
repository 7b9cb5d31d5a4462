"""Builds enterprises with assessment profiles, an expert pool and diagnoses through the services, for tests."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.assessment import service_diagnosis, service_pool
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import load_model
from zhizao.assessment.schemas import DiagnosisCreate, ExpertCreate, ProfileUpdate, RatingInput

INDUSTRY = "汽车"


def principal_of(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


_ADMINS: weakref.WeakKeyDictionary[World, Principal] = weakref.WeakKeyDictionary()


def admin(world: World) -> Principal:
    """One administrator per world (creating users hashes passwords, which takes most of a test's time)."""
    if world not in _ADMINS:
        _ADMINS[world] = principal_of(world.user(Role.ADMIN))
    return _ADMINS[world]


@dataclass(frozen=True)
class Enterprise:
    id: int
    integrator_id: int
    competitor_id: int
    user: Account


def enterprise(world: World, enterprise_type: EnterpriseType = EnterpriseType.DISCRETE) -> Enterprise:
    """An enterprise with a profile: industry 汽车, one integrator and one listed competitor."""
    enterprise_id = world.organisation()
    integrator_id = world.organisation(OrganisationKind.INTEGRATOR)
    competitor_id = world.organisation()
    profile = ProfileUpdate(
        industry=INDUSTRY,
        enterprise_type=enterprise_type,
        integrator_ids=[integrator_id],
        competitor_ids=[competitor_id],
    )
    with world.database.session() as session:
        service_pool.update_profile(session, admin(world), enterprise_id, profile)
    return Enterprise(enterprise_id, integrator_id, competitor_id, world.user(Role.ENTERPRISE, enterprise_id))


@dataclass(frozen=True)
class PoolExpert:
    id: int
    user: Account


def expert(
    world: World, industries: tuple[str, ...] = (INDUSTRY,), employer_id: int | None = None, available: bool = True
) -> PoolExpert:
    account = world.user(Role.EXPERT)
    data = ExpertCreate(
        user_id=account.user_id, industries=list(industries), employer_id=employer_id, available=available
    )
    with world.database.session() as session:
        row = service_pool.create_expert(session, admin(world), data)
    return PoolExpert(row.id, account)


def diagnosis(world: World, target: Enterprise) -> int:
    with world.database.session() as session:
        return service_diagnosis.open_diagnosis(
            session, admin(world), DiagnosisCreate(enterprise_id=target.id, team_size=2)
        ).id


def running_diagnosis(world: World, target: Enterprise) -> tuple[int, list[PoolExpert]]:
    """A diagnosis in progress with a team of two who accepted (the industry expert leads)."""
    team = [expert(world), expert(world, ("电子信息",))]
    diagnosis_id = diagnosis(world, target)
    officer = admin(world)
    with world.database.session() as session:
        service_diagnosis.adjust_team(session, officer, diagnosis_id, [member.id for member in team])
    for member in team:
        with world.database.session() as session:
            service_diagnosis.respond(session, principal_of(member.user), diagnosis_id, accept=True)
    return diagnosis_id, team


def all_items(enterprise_type: EnterpriseType = EnterpriseType.DISCRETE, rating: float = 1.0) -> list[RatingInput]:
    """A rating for every applicable item of the newest model."""
    return [RatingInput(item=item.id, rating=rating) for item in load_model().applicable(enterprise_type)]
