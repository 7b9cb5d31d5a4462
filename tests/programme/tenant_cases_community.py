"""Tenant cases of the programme's community routes for the route-walking test (see tests/web/test_route_authz.py),
and the builders the talent, events, support and work-plan tests share.

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields. A supply–demand
request of another organisation is reachable to read only while it is open, and never to change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.assessment.builders import admin, principal_of
from tests.conftest import Account, World
from tests.programme.builders import current_edition
from tests.programme.project_builders import BuiltProject, built_project
from zhizao.accounts.roles import Role
from zhizao.programme import service_events, service_support, service_talent
from zhizao.programme.models_community import MatchSide, SupportKind, TalentTrack
from zhizao.programme.schemas_community import CohortCreate, MatchRequestCreate, SupportCreate


def cohort(world: World, capacity: int = 30, name: str = "2021 年第一期智能制造咨询师培训班") -> int:
    """A consultant cohort of the current edition, created by an administrator."""
    data = CohortCreate(
        edition_id=current_edition(world), name=name, track=TalentTrack.CONSULTANT, provider="上海市智能制造研究院",
        starts_on=date(2021, 3, 1), ends_on=date(2021, 6, 30), capacity=capacity,
    )  # fmt: skip
    with world.database.session() as session:
        return service_talent.create_cohort(session, admin(world), data).id


def posted_request(
    world: World, side: MatchSide = MatchSide.DEMAND, poster: Account | None = None
) -> tuple[int, Account]:
    """An open request with contact details, posted by a user of an enterprise (a new one unless given)."""
    poster = poster or world.user(Role.ENTERPRISE)
    data = MatchRequestCreate(
        side=side, subject="MES 系统选型", description="需要面向离散制造的 MES 实施服务", contact_name="王工",
        contact_phone="13800138000", contact_email="wang@example.com",
    )  # fmt: skip
    with world.database.session() as session:
        return service_events.create_request(session, principal_of(poster), data).id, poster


def project_with_support(world: World) -> tuple[BuiltProject, int]:
    """A factory project of an enterprise with one subsidy recorded by an administrator."""
    project = built_project(world)
    data = SupportCreate(
        kind=SupportKind.SUBSIDY,
        amount_cny=Decimal("500000.00"),
        provider="市经济信息化委",
        granted_on=date(2021, 9, 1),
    )
    with world.database.session() as session:
        measure = service_support.record_measure(session, admin(world), project.id, data)
    return project, measure.id


def _closed_request_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    request_id, poster = posted_request(world)
    with world.database.session() as session:
        service_events.close_request(session, principal_of(poster), request_id)
    return world.user(Role.ENTERPRISE), {"request_id": request_id}


def _open_request_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    request_id, _ = posted_request(world)
    return world.user(Role.INTEGRATOR), {"request_id": request_id}


def _support_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    project, measure_id = project_with_support(world)
    return world.user(Role.ENTERPRISE), {"project_id": project.id, "measure_id": measure_id}


TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = {
    ("GET", "/api/programme/match-requests/{request_id}"): _closed_request_of_another_enterprise,
    ("PATCH", "/api/programme/match-requests/{request_id}"): _open_request_of_another_enterprise,
    ("POST", "/api/programme/match-requests/{request_id}/close"): _open_request_of_another_enterprise,
    ("GET", "/api/programme/projects/{project_id}/support"): _support_of_another_enterprise,
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {}
