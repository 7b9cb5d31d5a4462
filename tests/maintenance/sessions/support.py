"""A plant with writable points, an owner, platform operators and consents of either scope, for session tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from fastapi.testclient import TestClient

from tests.conftest import Account, World, bearer
from tests.pages import sign_in_page
from tests.telemetry.builders import Plant
from tests.telemetry.commands.support import CommandPlant, command_plant, platform_user
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.maintenance.sessions import service
from zhizao.maintenance.sessions.schemas import SessionCreate

__all__ = ["CommandPlant", "Rig", "consent", "login", "open_session", "platform_user", "rig", "seed_session"]


@dataclass(frozen=True)
class Rig:
    cp: CommandPlant
    operator: Account  # a platform operator's user, no consent yet
    stranger: Account  # another platform operator's user

    @property
    def equipment_id(self) -> int:
        return self.cp.plant.equipment_id

    @property
    def owner(self) -> Account:
        return self.cp.owner


def rig(world: World) -> Rig:
    return Rig(command_plant(world), platform_user(world), platform_user(world))


def consent(
    client: TestClient,
    owner: Account,
    grantee: Account,
    *,
    scope: str = "remote_maintenance",
    equipment_id: int | None = None,
    expires_at: datetime | None = None,
) -> int:
    body: dict[str, object] = {"grantee_id": grantee.organisation_id, "equipment_id": equipment_id, "scope": scope}
    if expires_at is not None:
        body["expires_at"] = expires_at.isoformat()
    response = client.post("/api/consents", json=body, headers=bearer(client, owner))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def revoke(client: TestClient, owner: Account, consent_id: int) -> None:
    response = client.post(f"/api/consents/{consent_id}/revoke", headers=bearer(client, owner))
    assert response.status_code == 200, response.text


def open_session(client: TestClient, account: Account, equipment_id: int, purpose: str = "主轴振动偏高") -> int:
    response = client.post(
        "/api/maintenance/sessions",
        json={"equipment_id": equipment_id, "purpose": purpose},
        headers=bearer(client, account),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def login(client: TestClient, account: Account, path: str = "/maintenance/sessions") -> str:
    """Sign in through the login page; the CSRF token of ``path`` for the forms that follow."""
    sign_in_page(client, account)
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def seed_session(world: World, plant: Plant) -> int:
    """An open session of the owner's own staff on the plant's equipment (for route walks needing a session id)."""
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    actor = Principal(owner.user_id, owner.username, owner.username, Role.ENTERPRISE, plant.enterprise_id)
    with world.database.session() as session:
        row = service.open_session(session, actor, SessionCreate(equipment_id=plant.equipment_id, purpose="巡检"))
        return row.id
