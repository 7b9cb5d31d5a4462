"""Every assessment route with an id, walked with two outsiders: an expert who is not on the diagnosis and a user
of another enterprise. Both get 404 wherever their role may call the route at all (the shared walk in
``tests/web/test_route_authz.py`` uses one caller per route)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment import tenant_cases
from tests.conftest import World, bearer
from tests.web.routes import OPERATIONS
from zhizao.accounts.roles import Role


def test_outsiders_get_404_on_every_diagnosis_route(client: TestClient, world: World) -> None:
    expert, params = tenant_cases.diagnosis_of_another_team(world, client)
    outsiders = {Role.EXPERT: bearer(client, expert), Role.ENTERPRISE: bearer(client, world.user(Role.ENTERPRISE))}
    operations = {(op.method, op.path): op for op in OPERATIONS}
    answered = []
    for key in tenant_cases.DIAGNOSIS_ROUTES:
        op = operations[key]
        assert op.allowed_roles is not None
        for role, headers in outsiders.items():
            if role not in op.allowed_roles:
                continue
            body = tenant_cases.TENANT_BODIES.get(key, {}) if op.has_body else None
            response = client.request(op.method, op.url(**params), headers=headers, json=body)
            assert response.status_code == 404, f"{role} {op.id}: {response.text}"
            answered.append((role, op.id))
    # Enterprise users neither answer invitations nor move a diagnosis to its consensus (403 by role).
    assert len(answered) == 2 * len(tenant_cases.DIAGNOSIS_ROUTES) - 2
