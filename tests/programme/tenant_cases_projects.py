"""Tenant cases of the programme's projects routes for the route-walking test (see tests/web/test_route_authz.py).

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.assessment.builders import principal_of
from tests.conftest import Account, World
from tests.programme.builders import current_edition, programme_enterprise
from zhizao.accounts.roles import Role
from zhizao.programme import service_plans, service_projects
from zhizao.programme.schemas_projects import PlanUpdate, ProjectCreate


def project_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """A project of one enterprise, with a draft plan, and a user of another enterprise."""
    _, owner = programme_enterprise(world)
    current_edition(world)
    with world.database.session() as session:
        project_id = service_projects.apply(session, principal_of(owner), ProjectCreate(title="A 的项目")).id
    with world.database.session() as session:
        service_plans.save_plan(session, principal_of(owner), project_id, PlanUpdate(summary="草案"))
    return world.user(Role.ENTERPRISE), {"project_id": project_id}


PROJECT = "/api/programme/projects/{project_id}"
PROJECT_ROUTES = [
    ("GET", PROJECT),
    ("GET", PROJECT + "/timeline"),
    ("POST", PROJECT + "/transitions"),
    ("PUT", PROJECT + "/robots"),
    ("PATCH", PROJECT + "/case"),
    ("GET", PROJECT + "/plan"),
    ("PUT", PROJECT + "/plan"),
    ("POST", PROJECT + "/plan/submit"),
]

TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = dict.fromkeys(
    PROJECT_ROUTES, project_of_another_enterprise
)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", PROJECT + "/transitions"): {"action": "withdraw"},
    ("PUT", PROJECT + "/robots"): {"robots_deployed": 1},
}
