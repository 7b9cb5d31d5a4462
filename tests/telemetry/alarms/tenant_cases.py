"""Alarm resources of one enterprise and a caller of another, for the route-walking tests (tests/web):
``TENANT_CASES`` and ``TENANT_BODIES`` to merge into theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.telemetry.alarms.stored import alarms_for
from zhizao.accounts.roles import Role
from zhizao.telemetry.alarms import webhooks
from zhizao.telemetry.alarms.schemas import WebhookCreate


def alarms_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    with world.database.session() as session:
        hook, _ = webhooks.create_webhook(
            session, alarms.actor, WebhookCreate(name="ops", url="http://127.0.0.1:9/hook")
        )
    return world.user(Role.ENTERPRISE), {"rule_pk": rule, "webhook_id": hook.id}


ROUTES = [
    ("GET", "/api/alarms/rules/{rule_pk}"),
    ("PUT", "/api/alarms/rules/{rule_pk}"),
    ("DELETE", "/api/alarms/rules/{rule_pk}"),
    ("POST", "/api/alarms/rules/{rule_pk}/actions"),
    ("GET", "/api/alarms/webhooks/{webhook_id}"),
    ("PATCH", "/api/alarms/webhooks/{webhook_id}"),
    ("DELETE", "/api/alarms/webhooks/{webhook_id}"),
    ("GET", "/api/alarms/webhooks/{webhook_id}/deliveries"),
]
TENANT_CASES = dict.fromkeys(ROUTES, alarms_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/alarms/rules/{rule_pk}/actions"): {"action": "unshelve"},
}
