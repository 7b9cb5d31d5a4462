"""Tenant cases of the programme's acceptance routes for the route-walking test (see tests/web/test_route_authz.py),
and the builders the acceptance and benchmark tests share.

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields. For an expert the
"tenant" is the set of acceptances they are assigned to review: another expert gets 404 on each of them.

The builders make a factory with measured windows and entered records whose verification comes out as asked
(see ``tests/production/programme_builders``: 800 → 960 equivalent units, baseline 1000 labour hours and
100 000 CNY), a programme project of it at any stage, and an acceptance through the service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.production.programme_builders import BASELINE, EVALUATION, build_factory, entered_records
from tests.programme.builders import current_edition
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.production import programme_service
from zhizao.production.programme_inputs import CostCategory, CostLine, EnteredRecords, LabourMonth
from zhizao.programme import service_acceptance
from zhizao.programme.kinds import District, EnterpriseSize, Industry, ProjectStage
from zhizao.programme.models import EnterpriseRecord, FactoryProject
from zhizao.programme.schemas_acceptance import AcceptanceCreate

EVALUATION_MONTHS = ("2025-04", "2025-05", "2025-06")


def principal_of(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def _split(total: int) -> list[int]:
    """``total`` over the three evaluation months in whole units, the remainder in the last."""
    return [total // 3, total // 3, total - 2 * (total // 3)]


def records(labour_hours: int, cost: int) -> EnteredRecords:
    """Baseline: 1000 h and 100 000 CNY; evaluation: ``labour_hours`` and ``cost`` (80 % materials, 20 % energy)
    at baseline prices. Productivity Δ = 1200 / labour_hours − 1, operating cost Δ = cost / 120 000 − 1."""
    baseline = entered_records()
    evaluation_costs = [
        CostLine(category=category, amount=Decimal(amount), price_index=Decimal(100), month=month)
        for category, share in ((CostCategory.MATERIALS, 4), (CostCategory.ENERGY, 1))
        for month, amount in zip(EVALUATION_MONTHS, _split(cost * share // 5), strict=True)
    ]
    return EnteredRecords(
        labour=(
            *(entry for entry in baseline.labour if entry.month < EVALUATION_MONTHS[0]),
            *(
                LabourMonth(month=m, hours=Decimal(h))
                for m, h in zip(EVALUATION_MONTHS, _split(labour_hours), strict=True)
            ),
        ),
        costs=(*(line for line in baseline.costs if (line.month or "") < EVALUATION_MONTHS[0]), *evaluation_costs),
    )


def registered_enterprise(world: World, industry: Industry = Industry.AUTOMOTIVE) -> int:
    """An enterprise with its programme record, and nothing measured."""
    enterprise_id = world.organisation()
    with world.database.session() as session, session.begin():
        session.add(
            EnterpriseRecord(
                enterprise_id=enterprise_id, industry=industry, district=District.MINHANG, size=EnterpriseSize.LARGE
            )
        )
    return enterprise_id


@dataclass(frozen=True)
class Verified:
    enterprise_id: int
    verification_id: int


def verified_enterprise(
    world: World, industry: Industry = Industry.AUTOMOTIVE, *, labour_hours: int = 1000, cost: int = 90_000
) -> Verified:
    """An enterprise registered with the programme and a stored verification of its data (by default productivity
    +20 % and cost −25 %: both meet the targets)."""
    factory = build_factory(world)
    with world.database.session() as session, session.begin():
        session.add(
            EnterpriseRecord(
                enterprise_id=factory.enterprise_id, industry=industry, district=District.PUDONG,
                size=EnterpriseSize.MEDIUM,
            )
        )  # fmt: skip
    with world.database.session() as session:
        programme_service.replace_entered_records(
            session, factory.admin, factory.enterprise_id, records(labour_hours, cost)
        )
    with world.database.session() as session:
        row = programme_service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    return Verified(factory.enterprise_id, row.id)


def project(
    world: World,
    enterprise_id: int,
    stage: ProjectStage = ProjectStage.IN_CONSTRUCTION,
    *,
    level: int | None = 3,
    verification_id: int | None = None,
    recognised_on: date | None = None,
) -> int:
    """A project of the current edition at ``stage``, as if driven there (level from its diagnosis)."""
    edition_id = current_edition(world)
    with world.database.session() as session, session.begin():
        record = session.get(EnterpriseRecord, enterprise_id)
        row = FactoryProject(
            edition_id=edition_id,
            enterprise_id=enterprise_id,
            title=f"智能工厂项目 {enterprise_id}",
            industry=record.industry if record else Industry.AUTOMOTIVE,
            stage=stage,
            maturity_level=level,
            verification_id=verification_id,
            recognised_on=recognised_on,
            applied_on=date(2025, 1, 1),
        )
        session.add(row)
        session.flush()
        return row.id


def open_acceptance(world: World, officer: Account, project_id: int, experts: Sequence[Account] = ()) -> int:
    with world.database.session() as session:
        data = AcceptanceCreate(project_id=project_id, expert_user_ids=[expert.user_id for expert in experts])
        return service_acceptance.open_acceptance(session, principal_of(officer), data).id


# --- tenant cases ------------------------------------------------------------------------------------------


def acceptance_of_another_expert(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """An acceptance reviewed by one expert, and another expert who is not assigned to it."""
    project_id = project(world, registered_enterprise(world, Industry.AEROSPACE))
    acceptance_id = open_acceptance(world, world.user(Role.OFFICER), project_id, [world.user(Role.EXPERT)])
    return world.user(Role.EXPERT), {"acceptance_id": acceptance_id}


ACCEPTANCE_ROUTES = [
    ("GET", "/api/programme/acceptances/{acceptance_id}"),
    ("PUT", "/api/programme/acceptances/{acceptance_id}/review"),
]

TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = dict.fromkeys(
    ACCEPTANCE_ROUTES, acceptance_of_another_expert
)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/programme/acceptances/{acceptance_id}/review"): {"opinion": "pass", "comment": "符合要求"},
}
