"""The session lifecycle through the API: open, one open session per operator and equipment, findings, close,
the owner ends one, revocation and expiry end access mid-session; every step in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.conftest import World, bearer
from tests.maintenance.sessions.support import consent, open_session, revoke, rig
from tests.telemetry.builders import build_plant
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.maintenance.models_sessions import MaintenanceSession
from zhizao.maintenance.sessions import service
from zhizao.maintenance.sessions.lifecycle import SessionEnded, SessionStatus
from zhizao.maintenance.sessions.schemas import SessionCreate


def _audit(database: Database, session_id: int) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "maintenance_session", AuditEntry.entity_id == str(session_id))
            .order_by(AuditEntry.id)
        )
        return [(row.action, row.actor_role) for row in rows]


def test_open_findings_close_and_audit(client: TestClient, world: World, database: Database) -> None:
    r = rig(world)
    consent_id = consent(client, r.owner, r.operator, equipment_id=r.equipment_id)
    headers = bearer(client, r.operator)
    session_id = open_session(client, r.operator, r.equipment_id)
    read = client.get(f"/api/maintenance/sessions/{session_id}", headers=headers).json()
    assert read["status"] == "open" and read["consent_id"] == consent_id and read["equipment_code"] == "L1-CNC-01"
    assert read["operator_organisation_id"] == r.operator.organisation_id and read["owner_name"]
    # One open session per operator and equipment.
    again = client.post(
        "/api/maintenance/sessions", json={"equipment_id": r.equipment_id, "purpose": "again"}, headers=headers
    )
    assert again.status_code == 409
    listed = client.get("/api/maintenance/equipment", headers=headers).json()
    assert listed[0]["open_session_id"] == session_id
    for category, text in [
        ("observation", "主轴振动 6.2 mm/s"),
        ("cause", "轴承润滑不足"),
        ("action_taken", "补充润滑脂"),
    ]:
        added = client.post(
            f"/api/maintenance/sessions/{session_id}/findings",
            json={"category": category, "text": text},
            headers=headers,
        )
        assert added.status_code == 201, added.text
    bad = client.post(
        f"/api/maintenance/sessions/{session_id}/findings", json={"category": "guess", "text": ""}, headers=headers
    )
    assert bad.status_code == 422
    findings = client.get(f"/api/maintenance/sessions/{session_id}/findings", headers=headers).json()
    assert [f["category"] for f in findings] == ["observation", "cause", "action_taken"]
    # A colleague of the same platform operator sees the session but does not work in it.
    colleague = bearer(client, world.user(Role.PLATFORM, r.operator.organisation_id))
    assert client.get(f"/api/maintenance/sessions/{session_id}", headers=colleague).status_code == 200
    assert client.post(f"/api/maintenance/sessions/{session_id}/close", json={}, headers=colleague).status_code == 403
    closed = client.post(
        f"/api/maintenance/sessions/{session_id}/close", json={"summary": "润滑后振动恢复正常"}, headers=headers
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["end_reason"] == "closed" and closed.json()["summary"] == "润滑后振动恢复正常"
    # Closed is final: no findings, no live data, no second close; a new session may be opened.
    late = client.post(
        f"/api/maintenance/sessions/{session_id}/findings", json={"category": "cause", "text": "x"}, headers=headers
    )
    assert late.status_code == 409
    assert client.get(f"/api/maintenance/sessions/{session_id}/live", headers=headers).status_code == 409
    assert client.post(f"/api/maintenance/sessions/{session_id}/close", json={}, headers=headers).status_code == 409
    assert open_session(client, r.operator, r.equipment_id) != session_id
    assert _audit(database, session_id) == [
        ("maintenance_session.open", "platform"),
        ("maintenance_session.finding", "platform"),
        ("maintenance_session.finding", "platform"),
        ("maintenance_session.finding", "platform"),
        ("maintenance_session.close", "platform"),
    ]


def test_revocation_ends_access_mid_session(client: TestClient, world: World, database: Database) -> None:
    r = rig(world)
    consent_id = consent(client, r.owner, r.operator, equipment_id=r.equipment_id)
    headers = bearer(client, r.operator)
    session_id = open_session(client, r.operator, r.equipment_id)
    assert client.get(f"/api/maintenance/sessions/{session_id}/live", headers=headers).status_code == 200
    revoke(client, r.owner, consent_id)
    # The very next request: the live data is refused, saying why, and the equipment is gone.
    live = client.get(f"/api/maintenance/sessions/{session_id}/live", headers=headers)
    assert live.status_code == 409 and "consent revoked" in live.json()["error"]["message"]
    assert client.get(f"/api/maintenance/equipment/{r.equipment_id}", headers=headers).status_code == 404
    finding = client.post(
        f"/api/maintenance/sessions/{session_id}/findings", json={"category": "cause", "text": "x"}, headers=headers
    )
    assert finding.status_code == 409
    created = client.post(
        "/api/maintenance/sessions", json={"equipment_id": r.equipment_id, "purpose": "x"}, headers=headers
    )
    assert created.status_code == 404
    # The session shows how it ended, to its operator and to the owner; it ended when the consent was revoked.
    for account in (r.operator, r.owner):
        read = client.get(f"/api/maintenance/sessions/{session_id}", headers=bearer(client, account)).json()
        assert (read["status"], read["end_reason"]) == ("lapsed", "consent_revoked")
    consents = client.get("/api/consents", headers=bearer(client, r.owner)).json()
    revoked_at = next(c["revoked_at"] for c in consents if c["id"] == consent_id)
    assert datetime.fromisoformat(read["ended_at"]) == datetime.fromisoformat(revoked_at)
    assert ("maintenance_session.lapse", "system") in _audit(database, session_id)


def test_expiry_ends_the_session_at_the_expiry_time(client: TestClient, world: World, database: Database) -> None:
    r = rig(world)
    expires = datetime.now(UTC) + timedelta(hours=1)
    consent(client, r.owner, r.operator, equipment_id=r.equipment_id, expires_at=expires)
    session_id = open_session(client, r.operator, r.equipment_id)
    actor = Principal(r.operator.user_id, r.operator.username, "", Role.PLATFORM, r.operator.organisation_id)
    with database.session() as session:
        row = service.open_for(session, actor, session_id, operator_only=True, now=expires - timedelta(seconds=1))
        assert row.status.value == "open"
        later = expires + timedelta(minutes=5)
        try:
            service.open_for(session, actor, session_id, operator_only=True, now=later)
        except SessionEnded as exc:
            assert "consent expired" in exc.message
        else:
            raise AssertionError("the session outlived its consent")
        row = service.get_session(session, actor, session_id, now=later)
        assert (row.status.value, row.end_reason and row.end_reason.value) == ("lapsed", "consent_expired")
        assert row.ended_at is not None and abs((row.ended_at - expires).total_seconds()) < 1e-3


def test_the_owner_sees_all_sessions_and_ends_one(client: TestClient, world: World, database: Database) -> None:
    r = rig(world)
    consent(client, r.owner, r.operator)
    consent(client, r.owner, r.stranger)
    first = open_session(client, r.operator, r.equipment_id)
    second = open_session(client, r.stranger, r.cp.plant.robot_id)
    owner = bearer(client, r.owner)
    page = client.get("/api/maintenance/sessions", headers=owner).json()
    assert {s["id"] for s in page["items"]} == {first, second} and page["total"] == 2
    # Each platform operator sees only its own organisation's.
    mine = client.get("/api/maintenance/sessions", headers=bearer(client, r.operator)).json()
    assert [s["id"] for s in mine["items"]] == [first]
    assert client.get(f"/api/maintenance/sessions/{second}", headers=bearer(client, r.operator)).status_code == 404
    # Only the owner ends; the operator closes.
    assert (
        client.post(f"/api/maintenance/sessions/{first}/end", json={}, headers=bearer(client, r.operator)).status_code
        == 403
    )
    ended = client.post(f"/api/maintenance/sessions/{first}/end", json={"reason": "停机检修"}, headers=owner)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert ended.json()["end_reason"] == "ended_by_owner" and ended.json()["ended_by_name"]
    assert client.get(f"/api/maintenance/sessions/{first}/live", headers=bearer(client, r.operator)).status_code == 409
    assert client.post(f"/api/maintenance/sessions/{first}/end", json={}, headers=owner).status_code == 409
    # Another enterprise can end nothing of it.
    other = bearer(client, world.user(Role.ENTERPRISE))
    assert client.post(f"/api/maintenance/sessions/{second}/end", json={}, headers=other).status_code == 404
    assert _audit(database, first)[-1] == ("maintenance_session.end", "enterprise")
    open_only = client.get("/api/maintenance/sessions?status=open", headers=owner).json()
    assert [s["id"] for s in open_only["items"]] == [second]


def test_the_database_holds_one_open_session_per_operator_and_equipment(world: World, database: Database) -> None:
    """Even when two requests pass the service's check at once (two tabs, two replicas): a partial unique index."""
    owner = world.user(Role.ENTERPRISE)
    plant = build_plant(world, owner.organisation_id)
    actor = Principal(owner.user_id, owner.username, "", Role.ENTERPRISE, owner.organisation_id)
    with database.session() as session:
        first = service.open_session(session, actor, SessionCreate(equipment_id=plant.equipment_id, purpose="a"))
        session.rollback()
        duplicate = MaintenanceSession(
            enterprise_id=first.enterprise_id, equipment_id=first.equipment_id, operator_id=first.operator_id,
            operator_name="x", operator_organisation_id=first.operator_organisation_id, purpose="b",
            status=SessionStatus.OPEN,
        )  # fmt: skip
        with pytest.raises(IntegrityError), session.begin():
            session.add(duplicate)
        # A closed one beside an open one is fine.
        with session.begin():
            session.add(
                MaintenanceSession(
                    enterprise_id=first.enterprise_id,
                    equipment_id=first.equipment_id,
                    operator_id=first.operator_id,
                    operator_name="x",
                    operator_organisation_id=first.operator_organisation_id,
                    purpose="c",
                    status=SessionStatus.CLOSED,
                )
            )
