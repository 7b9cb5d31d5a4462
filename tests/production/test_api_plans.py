"""Calendars, equipment settings and planned downtime through the API: validation, tenant scope, audit."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.production.builders import build_production
from tests.telemetry.builders import build_plant
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role

CALENDARS = "/api/production/calendars"
TWO_SHIFTS: dict[str, Any] = {
    "shifts": [
        {"name": "早班", "start": "08:00", "end": "16:00", "breaks": [{"start": "12:00", "end": "12:30"}]},
        {"name": "中班", "start": "16:00", "end": "24:00"},
    ]
}


def _audit_actions(world: World, enterprise_id: int | None) -> list[str]:
    with world.database.session() as session:
        rows = session.scalars(select(AuditEntry.action).where(AuditEntry.organisation_id == enterprise_id))
        return list(rows)


def test_calendar_lifecycle_with_holidays_and_make_up_days(client: TestClient, world: World) -> None:
    user = world.user(Role.ENTERPRISE)
    headers = bearer(client, user)
    created = client.post(CALENDARS, json={"name": "两班制", "definition": TWO_SHIFTS}, headers=headers)
    assert created.status_code == 201, created.text
    calendar = created.json()
    assert calendar["enterprise_id"] == user.organisation_id
    assert calendar["definition"]["timezone"] == "Asia/Shanghai"
    assert [shift["name"] for shift in calendar["definition"]["shifts"]] == ["早班", "中班"]
    url = f"{CALENDARS}/{calendar['id']}"

    # A company outing on a Friday, and a Saturday worked to catch up.
    client.post(f"{url}/days", json={"day": "2026-12-04", "kind": "holiday"}, headers=headers)
    made_up = client.post(f"{url}/days", json={"day": "2026-12-05", "kind": "makeup_day"}, headers=headers)
    assert made_up.json()["definition"]["holidays"] == ["2026-12-04"]
    assert made_up.json()["definition"]["working_days"] == ["2026-12-05"]
    # The same date the other way round moves it, it is never both.
    moved = client.post(f"{url}/days", json={"day": "2026-12-04", "kind": "makeup_day"}, headers=headers).json()
    assert moved["definition"]["holidays"] == []
    assert sorted(moved["definition"]["working_days"]) == ["2026-12-04", "2026-12-05"]
    removed = client.delete(f"{url}/days/2026-12-05", headers=headers)
    assert removed.status_code == 200 and removed.json()["definition"]["working_days"] == ["2026-12-04"]
    absent = client.delete(f"{url}/days/2026-12-06", headers=headers)
    assert absent.status_code == 422 and absent.json()["error"]["fields"][0]["field"] == "path.day"

    renamed = client.patch(url, json={"name": "三班制"}, headers=headers)
    assert renamed.json()["name"] == "三班制" and renamed.json()["definition"]["working_days"] == ["2026-12-04"]
    assert client.get(CALENDARS, headers=headers).json()[0]["id"] == calendar["id"]
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    actions = _audit_actions(world, user.organisation_id)
    assert actions.count("work_calendar.change_day") == 4
    assert {"work_calendar.create", "work_calendar.update", "work_calendar.delete"} <= set(actions)


def test_calendar_definitions_are_validated(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE))
    overlapping = {
        "shifts": [{"name": "a", "start": "08:00", "end": "17:00"}, {"name": "b", "start": "16:00", "end": "20:00"}]
    }
    refused = client.post(CALENDARS, json={"name": "x", "definition": overlapping}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"].startswith("body.definition")
    bad_zone = client.post(CALENDARS, json={"name": "x", "definition": {"timezone": "Mars/Olympus"}}, headers=headers)
    assert bad_zone.status_code == 422 and "time zone" in bad_zone.text
    # A folder of the zone database is not a zone either (zoneinfo itself raises IsADirectoryError there).
    folder = client.post(CALENDARS, json={"name": "x", "definition": {"timezone": "America"}}, headers=headers)
    assert folder.status_code == 422 and folder.json()["error"]["fields"][0]["field"] == "body.definition"
    first = client.post(CALENDARS, json={"name": "x", "definition": TWO_SHIFTS}, headers=headers)
    assert first.status_code == 201
    duplicate = client.post(CALENDARS, json={"name": "x", "definition": TWO_SHIFTS}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.name"


def test_micro_stop_threshold_and_calendar_per_equipment(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    url = f"/api/production/equipment/{plant.equipment_id}/settings"
    defaults = client.get(url, headers=headers).json()
    assert defaults == {
        "equipment_id": plant.equipment_id, "enterprise_id": plant.enterprise_id, "calendar_id": None,
        "micro_stop_s": 120,
    }  # fmt: skip
    for wrong in (0, 3601, None):
        refused = client.patch(url, json={"micro_stop_s": wrong}, headers=headers)
        assert refused.status_code == 422, wrong
        assert refused.json()["error"]["fields"][0]["field"] == "body.micro_stop_s"
    assert client.patch(url, json={"micro_stop_s": 30}, headers=headers).json()["micro_stop_s"] == 30
    assert client.patch(url, json={"micro_stop_s": 3600}, headers=headers).json()["micro_stop_s"] == 3600

    foreign = build_production(world)
    stolen = client.patch(url, json={"calendar_id": foreign.calendar_id}, headers=headers)
    assert stolen.status_code == 422 and stolen.json()["error"]["fields"][0]["field"] == "body.calendar_id"
    own = client.post(CALENDARS, json={"name": "白班", "definition": {}}, headers=headers).json()
    set_one = client.patch(url, json={"calendar_id": own["id"]}, headers=headers).json()
    assert set_one["calendar_id"] == own["id"] and set_one["micro_stop_s"] == 3600


def test_a_calendar_for_everything_under_a_node(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    calendar = client.post(CALENDARS, json={"name": "两班制", "definition": TWO_SHIFTS}, headers=headers).json()
    # From the site down: the CNC and the robot stand on a line two levels below.
    assigned = client.put(
        f"/api/production/nodes/{plant.site_id}/calendar", json={"calendar_id": calendar["id"]}, headers=headers
    )
    assert assigned.status_code == 200
    assert {row["equipment_id"] for row in assigned.json()} == {plant.equipment_id, plant.robot_id}
    listed = client.get("/api/production/equipment-settings", params={"node_id": plant.line_id}, headers=headers)
    assert [row["calendar_id"] for row in listed.json()] == [calendar["id"], calendar["id"]]
    # Removing the calendar leaves the equipment without one (and its thresholds as they were).
    assert client.delete(f"{CALENDARS}/{calendar['id']}", headers=headers).status_code == 204
    after = client.get("/api/production/equipment-settings", headers=headers).json()
    assert [row["calendar_id"] for row in after] == [None, None]
    assert "equipment_setting.assign_calendar" in _audit_actions(world, plant.enterprise_id)


def test_planned_downtime_windows(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    url = "/api/production/downtime"
    backwards = {"start": "2026-12-01T10:00:00+08:00", "end": "2026-12-01T09:00:00+08:00", "kind": "maintenance"}
    refused = client.post(url, json=backwards, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "body.end"
    naive = client.post(url, json={**backwards, "start": "2026-12-01T08:00:00"}, headers=headers)
    assert naive.status_code == 422 and naive.json()["error"]["fields"][0]["field"] == "body.start"
    unknown_kind = client.post(
        url, json={**backwards, "end": "2026-12-01T11:00:00+08:00", "kind": "nap"}, headers=headers
    )
    assert unknown_kind.status_code == 422

    machine = client.post(
        url,
        json={"equipment_id": plant.equipment_id, "start": "2026-12-01T14:00:00+08:00",
              "end": "2026-12-01T15:00:00+08:00", "kind": "maintenance", "note": "换主轴轴承"},
        headers=headers,
    )  # fmt: skip
    assert machine.status_code == 201, machine.text
    assert machine.json()["start"] == "2026-12-01T06:00:00Z"
    plant_wide = client.post(
        url,
        json={"start": "2026-12-24T00:00:00+08:00", "end": "2026-12-26T00:00:00+08:00", "kind": "no_orders"},
        headers=headers,
    ).json()
    assert plant_wide["equipment_id"] is None
    for_cnc = client.get(url, params={"equipment_id": plant.equipment_id}, headers=headers).json()
    assert [row["id"] for row in for_cnc] == [machine.json()["id"], plant_wide["id"]]
    for_robot = client.get(url, params={"equipment_id": plant.robot_id}, headers=headers).json()
    assert [row["id"] for row in for_robot] == [plant_wide["id"]]
    december_first = client.get(
        url, params={"start": "2026-12-01T00:00:00+08:00", "end": "2026-12-02T00:00:00+08:00"}, headers=headers
    ).json()
    assert [row["id"] for row in december_first] == [machine.json()["id"]]

    window = f"{url}/{machine.json()['id']}"
    moved = client.patch(window, json={"end": "2026-12-01T16:00:00+08:00", "note": None}, headers=headers).json()
    assert moved["end"] == "2026-12-01T08:00:00Z" and moved["note"] is None
    inverted = client.patch(window, json={"start": "2026-12-01T17:00:00+08:00"}, headers=headers)
    assert inverted.status_code == 422
    assert client.get(window, headers=headers).json()["start"] == "2026-12-01T06:00:00Z"
    assert client.delete(window, headers=headers).status_code == 204
    assert client.get(window, headers=headers).status_code == 404


def test_officers_read_and_other_enterprises_see_nothing(client: TestClient, world: World) -> None:
    production = build_production(world)
    officer = bearer(client, world.user(Role.OFFICER))
    assert len(client.get(CALENDARS, headers=officer).json()) == 1
    assert client.post(CALENDARS, json={"name": "x", "definition": {}}, headers=officer).status_code == 403
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(CALENDARS, headers=stranger).json() == []
    assert client.get("/api/production/downtime", headers=stranger).json() == []
    assert client.get("/api/production/equipment-settings", headers=stranger).json() == []
    assert client.get(f"{CALENDARS}/{production.calendar_id}", headers=stranger).status_code == 404
    foreign_equipment = client.get(
        "/api/production/downtime", params={"equipment_id": production.plant.equipment_id}, headers=stranger
    )
    assert foreign_equipment.status_code == 404
    admin = bearer(client, world.user(Role.ADMIN))
    nameless = client.post(CALENDARS, json={"name": "x", "definition": {}}, headers=admin)
    assert nameless.status_code == 422 and nameless.json()["error"]["fields"][0]["field"] == "body.enterprise_id"
