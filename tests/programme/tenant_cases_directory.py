"""Tenant cases of the programme's directory routes for the route-walking test (see tests/web/test_route_authz.py),
and the builders the directory's tests share: integrators with applications, delivered projects with stored KPI
verifications, and platforms.

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.assessment.builders import admin, principal_of
from tests.conftest import Account, World
from tests.programme.builders import current_edition, programme_enterprise, valid_credit_code
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Kpi, verify
from zhizao.production.programme_inputs import CostCategory, CostLine, Coverage, ProductOutput, WindowInputs
from zhizao.programme import service_directory, service_platforms
from zhizao.programme.directory import ReviewDecision
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.models import FactoryProject
from zhizao.programme.schemas_directory import (
    IntegratorApplication,
    IntegratorReview,
    PlatformCreate,
    RevenueEntry,
)

BILLION = Decimal(1_000_000_000)


def application(
    *,
    revenues: dict[int, Decimal] | None = None,
    capabilities: tuple[str, ...] = ("mes",),
    industries: tuple[Industry, ...] = (Industry.AUTOMOTIVE,),
    description: str = "智能制造系统集成",
) -> IntegratorApplication:
    return IntegratorApplication(
        description=description,
        website="https://integrator.example.cn",
        contact_name="张工",
        contact_phone="021-12345678",
        contact_email="contact@integrator.example.cn",
        industries=list(industries),
        capabilities=list(capabilities),
        revenues=[
            RevenueEntry(year=year, revenue_cny=value) for year, value in (revenues or {2023: 2 * BILLION}).items()
        ],
    )


def applied_integrator(world: World, data: IntegratorApplication | None = None, name: str | None = None) -> Account:
    """A user of role integrator whose organisation has applied to the directory."""
    account = world.user(Role.INTEGRATOR, world.organisation(OrganisationKind.INTEGRATOR, name) if name else None)
    assert account.organisation_id is not None
    with world.database.session() as session:
        service_directory.put_application(
            session, principal_of(account), account.organisation_id, data or application()
        )
    return account


def decide(world: World, integrator_id: int, decision: ReviewDecision, note: str | None = None) -> None:
    with world.database.session() as session:
        service_directory.review(session, admin(world), integrator_id, IntegratorReview(decision=decision, note=note))


def window(start: date, end: date, good: int, cost: str) -> WindowInputs:
    """One window of programme-KPI inputs: ``good`` units of one product in 1000 labour hours costing ``cost``."""
    return WindowInputs(
        start=start,
        end=end,
        products=(ProductOutput(product="A", good=good, scrap=0, rework=0, reference_value=Decimal(1)),),
        labour_hours=Decimal(1000),
        costs=(CostLine(category=CostCategory("materials"), amount=Decimal(cost), price_index=Decimal(100)),),
        energy_kwh=Decimal(10000),
        deliveries=(),
        coverage=Coverage(telemetry_days=(end - start).days + 1, equipment_reporting=10, equipment_total=10),
    )


def delivered_project(
    world: World,
    integrator_id: int,
    *,
    verified: bool | None = True,
    stage: ProjectStage = ProjectStage.ACCEPTED,
) -> int:
    """A programme project of a new enterprise carried out by the integrator, at ``stage``, with a stored KPI
    verification computed by production's maths (both targets met when ``verified``, productivity flat when not;
    none when None). The rows are written directly: the project lifecycle is another area's and slow to drive."""
    enterprise_id, _ = programme_enterprise(world)
    edition_id = current_edition(world)
    with world.database.session() as session, session.begin():
        verification_id = None
        if verified is not None:
            baseline = window(date(2021, 1, 1), date(2021, 3, 31), 1000, "100000")
            # +25 % output at the same cost: productivity +25 %, cost per unit −20 %; or nothing changes.
            evaluation = window(date(2021, 4, 1), date(2021, 6, 30), 1250 if verified else 1000, "100000")
            result = verify(baseline, evaluation)
            row = KpiVerification(
                enterprise_id=enterprise_id, baseline_start=baseline.start, baseline_end=baseline.end,
                evaluation_start=evaluation.start, evaluation_end=evaluation.end,
                formula_version=result.formula_version, productivity_verdict=result.kpi(Kpi.PRODUCTIVITY).verdict.value,
                cost_verdict=result.kpi(Kpi.OPERATING_COST).verdict.value, result=result.model_dump(mode="json"),
            )  # fmt: skip
            session.add(row)
            session.flush()
            verification_id = row.id
        project = FactoryProject(
            edition_id=edition_id, enterprise_id=enterprise_id, title="智能工厂建设项目", industry=Industry.AUTOMOTIVE,
            stage=stage, integrator_id=integrator_id, verification_id=verification_id, applied_on=date(2021, 1, 5),
        )  # fmt: skip
        session.add(project)
        session.flush()
        return project.id


def listed_integrator(world: World, data: IntegratorApplication | None = None, name: str | None = None) -> Account:
    """An integrator that applied, delivered one verified project (the bundled edition asks for one) and was listed."""
    account = applied_integrator(world, data, name)
    assert account.organisation_id is not None
    delivered_project(world, account.organisation_id)
    decide(world, account.organisation_id, ReviewDecision.LIST)
    return account


def platform(world: World, operator: Account | None = None, **fields: object) -> tuple[int, Account]:
    """A platform run by ``operator`` (a new platform user's organisation by default)."""
    operator = operator or world.user(Role.PLATFORM)
    data = PlatformCreate.model_validate(
        {
            "name": "电梯远程运维平台",
            "industry": Industry.HIGH_END_EQUIPMENT,
            "description": "电梯远程监测、故障预测与维保",
            "services": [{"name": "远程运维", "description": "7×24 远程监测"}],
            "enterprises_served": 120,
            "served_as_of": date(2022, 6, 30),
            **fields,
        }
    )
    with world.database.session() as session:
        created = service_platforms.create_platform(session, principal_of(operator), data)
    return created.id, operator


# --- tenant cases ------------------------------------------------------------------------------------------------


def _another_integrators_entry(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = applied_integrator(world)
    return world.user(Role.INTEGRATOR), {"integrator_id": owner.organisation_id}


def _another_enterprises_matches(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    enterprise_id, _ = programme_enterprise(world)  # scope is checked before anything about its diagnoses
    _, other = programme_enterprise(world)
    return other, {"enterprise_id": enterprise_id}


def _another_operators_platform(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    platform_id, _ = platform(world)
    enterprise_id, _ = programme_enterprise(world)
    return world.user(Role.PLATFORM), {"platform_id": platform_id, "enterprise_id": enterprise_id}


TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = {
    ("GET", "/api/programme/integrators/{integrator_id}"): _another_integrators_entry,
    ("PUT", "/api/programme/integrators/{integrator_id}"): _another_integrators_entry,
    ("GET", "/api/programme/enterprises/{enterprise_id}/integrator-matches"): _another_enterprises_matches,
    **dict.fromkeys(
        [
            ("GET", "/api/programme/platforms/{platform_id}"),
            ("PATCH", "/api/programme/platforms/{platform_id}"),
            ("DELETE", "/api/programme/platforms/{platform_id}"),
            ("GET", "/api/programme/platforms/{platform_id}/clients"),
            ("POST", "/api/programme/platforms/{platform_id}/clients"),
            ("DELETE", "/api/programme/platforms/{platform_id}/clients/{enterprise_id}"),
        ],
        _another_operators_platform,
    ),
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/programme/integrators/{integrator_id}"): application().model_dump(mode="json"),
    ("POST", "/api/programme/platforms/{platform_id}/clients"): {"credit_code": valid_credit_code(999_999)},
}
