"""Who may maintain which equipment: no consent → 404 everywhere; a consent → that equipment only; the owner's
own staff → their own; other roles → nothing; another tenant → 404."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.maintenance.sessions.support import consent, open_session, revoke, rig
from zhizao.accounts.roles import Role


def test_platform_without_consent_gets_404_on_equipment_and_session_creation(client: TestClient, world: World) -> None:
    r = rig(world)
    headers = bearer(client, r.operator)
    assert client.get("/api/maintenance/equipment", headers=headers).json() == []
    assert client.get(f"/api/maintenance/equipment/{r.equipment_id}", headers=headers).status_code == 404
    created = client.post(
        "/api/maintenance/sessions", json={"equipment_id": r.equipment_id, "purpose": "x"}, headers=headers
    )
    assert created.status_code == 404
    # A consent for remote commands alone is no consent for remote maintenance.
    consent(client, r.owner, r.operator, scope="remote_command", equipment_id=r.equipment_id)
    assert client.get(f"/api/maintenance/equipment/{r.equipment_id}", headers=headers).status_code == 404
    # Nor are unknown ids any different from other owners' ones.
    assert client.get("/api/maintenance/equipment/999999", headers=headers).status_code == 404


def test_a_consent_opens_only_the_consented_equipment(client: TestClient, world: World) -> None:
    r = rig(world)
    plant = r.cp.plant
    consent_id = consent(client, r.owner, r.operator, equipment_id=plant.equipment_id)
    headers = bearer(client, r.operator)
    listed = client.get("/api/maintenance/equipment", headers=headers).json()
    assert [e["equipment_id"] for e in listed] == [plant.equipment_id]
    assert listed[0]["consent_id"] == consent_id and listed[0]["consent_expires_at"] is None
    assert listed[0]["owner_name"] and listed[0]["may_command"] is False
    assert client.get(f"/api/maintenance/equipment/{plant.equipment_id}", headers=headers).status_code == 200
    # The owner's other machine stays invisible, and so does the same machine to another platform operator.
    assert client.get(f"/api/maintenance/equipment/{plant.robot_id}", headers=headers).status_code == 404
    other = client.post(
        "/api/maintenance/sessions", json={"equipment_id": plant.robot_id, "purpose": "x"}, headers=headers
    )
    assert other.status_code == 404
    stranger = bearer(client, r.stranger)
    assert client.get(f"/api/maintenance/equipment/{plant.equipment_id}", headers=stranger).status_code == 404
    # A consent for all of the owner's equipment covers the robot too, and the list shows the longest-lasting.
    consent(client, r.owner, r.operator, scope="remote_command")
    consent(client, r.owner, r.operator)
    listed = client.get("/api/maintenance/equipment", headers=headers).json()
    assert sorted(e["equipment_id"] for e in listed) == sorted([plant.equipment_id, plant.robot_id])
    assert all(e["may_command"] for e in listed)
    # Revoked: gone at once.
    revoke(client, r.owner, consent_id)
    assert len(client.get("/api/maintenance/equipment", headers=headers).json()) == 2  # the whole one remains


def test_enterprise_users_maintain_their_own_equipment_only(client: TestClient, world: World) -> None:
    r = rig(world)
    own = bearer(client, r.owner)
    listed = client.get("/api/maintenance/equipment", headers=own).json()
    assert {e["equipment_id"] for e in listed} == {r.cp.plant.equipment_id, r.cp.plant.robot_id}
    assert all(e["consent_id"] is None and e["may_command"] for e in listed)
    session_id = open_session(client, r.owner, r.equipment_id)
    # Another enterprise sees neither the equipment nor the session.
    other = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"/api/maintenance/equipment/{r.equipment_id}", headers=other).status_code == 404
    assert client.get(f"/api/maintenance/sessions/{session_id}", headers=other).status_code == 404
    assert client.get("/api/maintenance/sessions", headers=other).json()["total"] == 0
    live = client.get(f"/api/maintenance/sessions/{session_id}/live", headers=other)
    assert live.status_code == 404


def test_other_roles_hold_no_sessions(client: TestClient, world: World) -> None:
    r = rig(world)
    session_id = open_session(client, r.owner, r.equipment_id)
    for role in (Role.ADMIN, Role.OFFICER):
        headers = bearer(client, world.user(role))
        assert client.get("/api/maintenance/equipment", headers=headers).status_code == 403
        created = client.post(
            "/api/maintenance/sessions", json={"equipment_id": r.equipment_id, "purpose": "x"}, headers=headers
        )
        assert created.status_code == 403
        # Overseers read sessions, their reports and (as they read all telemetry) their live data; they act in none.
        assert client.get(f"/api/maintenance/sessions/{session_id}", headers=headers).status_code == 200
        assert client.get(f"/api/maintenance/sessions/{session_id}/report", headers=headers).status_code == 200
        assert client.get(f"/api/maintenance/sessions/{session_id}/live", headers=headers).status_code == 200
        finding = {"category": "cause", "text": "x"}
        assert (
            client.post(f"/api/maintenance/sessions/{session_id}/findings", json=finding, headers=headers).status_code
            == 403
        )
        assert client.post(f"/api/maintenance/sessions/{session_id}/end", json={}, headers=headers).status_code == 403
    for role in (Role.EXPERT, Role.INTEGRATOR, Role.CONSUMER):
        headers = bearer(client, world.user(role))
        assert client.get("/api/maintenance/equipment", headers=headers).status_code == 403
        assert client.get(f"/api/maintenance/sessions/{session_id}", headers=headers).status_code == 403
