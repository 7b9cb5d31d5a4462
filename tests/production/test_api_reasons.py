"""Reason trees, stops, classification and suggestions through the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.production.builders import DAY, add_interval, build_production
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.production.models import LossCategory
from zhizao.production.reasons import DEFAULT_TREE
from zhizao.production.schemas import ReasonSpec
from zhizao.production.suggestions import reasons_for_alarm
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, TextPoint
from zhizao.telemetry.timeutil import to_us

API = "/api/production"
SMALL_TREE = [
    {"code": "BD", "name": "设备故障", "category": "breakdown"},
    {"code": "BD-HYD", "parent_code": "BD", "name": "液压故障", "category": "breakdown"},
    {"code": "WAIT", "name": "待料", "category": "waiting"},
]


def test_the_default_tree_is_seeded_once(client: TestClient, world: World) -> None:
    user = world.user(Role.ENTERPRISE)
    headers = bearer(client, user)
    assert client.get(f"{API}/reason-trees", headers=headers).json() == []
    current = client.get(f"{API}/reason-trees/current", headers=headers).json()
    assert current["version"] == 1 and current["is_current"]
    by_code = {reason["code"]: reason for reason in current["reasons"]}
    assert by_code["BD"]["name"] == "设备故障" and by_code["BD-ELEC"]["parent_code"] == "BD"
    assert {by_code[code]["name"] for code in ("SU", "MS", "WM", "WP", "QP", "OT")} == {
        "换型调整", "短暂停机", "待料", "待人", "质量问题", "其他",
    }  # fmt: skip
    assert by_code["MS"]["category"] == "minor_stop"
    assert client.get(f"{API}/reason-trees/current", headers=headers).json()["id"] == current["id"]
    versions = client.get(f"{API}/reason-trees", headers=headers).json()
    assert [(row["version"], row["reasons"]) for row in versions] == [(1, len(DEFAULT_TREE))]
    # Officers read a named enterprise's tree; they must name it.
    officer = bearer(client, world.user(Role.OFFICER))
    nameless = client.get(f"{API}/reason-trees/current", headers=officer)
    assert nameless.status_code == 422 and nameless.json()["error"]["fields"][0]["field"] == "query.enterprise_id"
    named = client.get(f"{API}/reason-trees/current", params={"enterprise_id": user.organisation_id}, headers=officer)
    assert named.json()["id"] == current["id"]
    government = world.organisation(OrganisationKind.GOVERNMENT, name="经信委")
    assert client.get(f"{API}/reason-trees/current", params={"enterprise_id": government},
                      headers=officer).status_code == 404  # fmt: skip


def test_a_new_version_is_checked_and_becomes_current(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE))
    broken = [
        {"code": "A", "name": "甲", "category": "other"},
        {"code": "A", "name": "甲2", "category": "other"},
        {"code": "B", "parent_code": "NOPE", "name": "乙", "category": "other"},
        {"code": "C", "parent_code": "D", "name": "丙", "category": "other"},
        {"code": "D", "parent_code": "C", "name": "丁", "category": "other"},
    ]
    refused = client.post(f"{API}/reason-trees", json={"reasons": broken}, headers=headers)
    assert refused.status_code == 422
    assert [problem["field"] for problem in refused.json()["error"]["fields"]] == [
        "body.reasons[1].code", "body.reasons[2].parent_code", "body.reasons[3].parent_code",
        "body.reasons[4].parent_code",
    ]  # fmt: skip
    first = client.post(f"{API}/reason-trees", json={"reasons": SMALL_TREE}, headers=headers)
    assert first.status_code == 201 and first.json()["version"] == 1
    second = client.post(f"{API}/reason-trees", json={"reasons": SMALL_TREE[:1]}, headers=headers).json()
    assert second["version"] == 2 and second["is_current"]
    old = client.get(f"{API}/reason-trees/{first.json()['id']}", headers=headers).json()
    assert not old["is_current"] and len(old["reasons"]) == 3
    assert client.get(f"{API}/reason-trees/current", headers=headers).json()["id"] == second["id"]


def test_stops_are_listed_with_flags_and_classified(client: TestClient, world: World) -> None:
    production = build_production(world)
    plant = production.plant
    database = world.database
    producing = add_interval(database, plant, DAY + timedelta(hours=8), DAY + timedelta(hours=9),
                             MachineryItemState.EXECUTING, OperationMode.PROCESSING)  # fmt: skip
    micro = add_interval(database, plant, DAY + timedelta(hours=10), DAY + timedelta(hours=10, seconds=40),
                         MachineryItemState.NOT_EXECUTING)  # fmt: skip
    lunch = add_interval(database, plant, DAY + timedelta(hours=12, minutes=5), DAY + timedelta(hours=12, minutes=25),
                         MachineryItemState.NOT_EXECUTING)  # fmt: skip
    weekend = add_interval(database, plant, DAY - timedelta(days=2, hours=3), DAY - timedelta(days=2, hours=1),
                         MachineryItemState.NOT_AVAILABLE)  # fmt: skip
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    headers = bearer(client, owner)
    url = f"{API}/equipment/{plant.equipment_id}/stops"
    window = {"start": (DAY - timedelta(days=3)).isoformat(), "end": (DAY + timedelta(days=1)).isoformat()}
    stops = {row["id"]: row for row in client.get(url, params=window, headers=headers).json()}
    assert list(stops) == [weekend, production.stop_id, micro, lunch]  # oldest first, production left out
    assert stops[production.stop_id]["in_planned_busy_time"] is True
    assert stops[production.stop_id]["state"] == int(MachineryItemState.OUT_OF_SERVICE)
    assert stops[production.stop_id]["duration_s"] == 1200
    assert stops[micro]["is_micro_stop"] and not stops[lunch]["is_micro_stop"]  # threshold 60 s
    assert stops[lunch]["in_planned_busy_time"] is False  # inside the 12:00–12:30 break
    assert stops[weekend]["in_planned_busy_time"] is False  # Saturday evening: no shift
    too_long = client.get(url, params={**window, "end": (DAY + timedelta(days=100)).isoformat()}, headers=headers)
    assert too_long.status_code == 422

    tree = client.get(f"{API}/reason-trees/current", headers=headers).json()
    hydraulic = next(reason["id"] for reason in tree["reasons"] if reason["code"] == "BD-HYD")
    stop_url = f"{API}/stops/{production.stop_id}"
    classified = client.put(f"{stop_url}/reason", json={"reason_id": hydraulic}, headers=headers)
    assert classified.status_code == 200, classified.text
    body = classified.json()
    assert body["reason"]["code"] == "BD-HYD" and body["classified_by"] == owner.user_id
    assert body["classified_at"] is not None
    assert client.get(stop_url, headers=headers).json()["reason"]["name"] == "液压气动故障"
    not_a_stop = client.put(f"{API}/stops/{producing}/reason", json={"reason_id": hydraulic}, headers=headers)
    assert not_a_stop.status_code == 409

    # A new version: the old reason stays on the stop, but new classifications use the new version.
    client.post(f"{API}/reason-trees", json={"reasons": SMALL_TREE}, headers=headers)
    assert client.get(stop_url, headers=headers).json()["reason"]["id"] == hydraulic
    kept = client.put(f"{stop_url}/reason", json={"reason_id": hydraulic}, headers=headers)
    assert kept.status_code == 200
    outdated = client.put(f"{API}/stops/{micro}/reason", json={"reason_id": hydraulic}, headers=headers)
    assert outdated.status_code == 422 and "version 1" in outdated.json()["error"]["message"]
    cleared = client.put(f"{stop_url}/reason", json={"reason_id": None}, headers=headers).json()
    assert cleared["reason"] is None and cleared["classified_by"] is None

    other = build_production(world)
    other_tree = client.get(
        f"{API}/reason-trees/current", params={"enterprise_id": other.plant.enterprise_id},
        headers=bearer(client, world.user(Role.ADMIN)),
    ).json()  # fmt: skip
    foreign = client.put(f"{stop_url}/reason", json={"reason_id": other_tree["reasons"][0]["id"]}, headers=headers)
    assert foreign.status_code == 422 and foreign.json()["error"]["fields"][0]["field"] == "body.reason_id"
    assert client.get(f"{API}/stops/{other.stop_id}", headers=headers).status_code == 404
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == "stop.classify").order_by(AuditEntry.id)
        audited = session.scalars(query).all()
    assert [(entry.before, (entry.after or {})["reason"]) for entry in audited] == [
        ({"reason": None}, "BD-HYD"), ({"reason": "BD-HYD"}, "BD-HYD"), ({"reason": "BD-HYD"}, None),
    ]  # fmt: skip


def _codes(client: TestClient, stop_id: int, headers: dict[str, str]) -> list[tuple[str, list[str]]]:
    response = client.get(f"{API}/stops/{stop_id}/suggestions", headers=headers)
    assert response.status_code == 200, response.text
    return [(row["reason"]["code"], row["basis"]) for row in response.json()]


def test_suggestions_from_state_history_and_alarm(client: TestClient, world: World, app: FastAPI) -> None:
    production = build_production(world)
    plant = production.plant
    database = world.database
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    breakdown = _codes(client, production.stop_id, headers)
    assert {code for code, _ in breakdown} == {"BD-MECH", "BD-ELEC", "BD-HYD", "BD-CTRL", "BD-TOOL"}
    setup = add_interval(database, plant, DAY + timedelta(hours=10), DAY + timedelta(hours=10, minutes=30),
                         MachineryItemState.EXECUTING, OperationMode.SETUP)  # fmt: skip
    assert {code for code, _ in _codes(client, setup, headers)} == {"SU-CHG", "SU-TOOL", "SU-FIRST"}
    micro = add_interval(database, plant, DAY + timedelta(hours=11), DAY + timedelta(hours=11, seconds=30),
                         MachineryItemState.NOT_EXECUTING)  # fmt: skip
    assert _codes(client, micro, headers)[0][0].startswith("MS-")

    # History: this machine's earlier breakdowns were mostly electrical.
    tree = client.get(f"{API}/reason-trees/current", headers=headers).json()
    electrical = next(reason["id"] for reason in tree["reasons"] if reason["code"] == "BD-ELEC")
    for hour in (13, 15):
        earlier = add_interval(database, plant, DAY + timedelta(hours=hour), DAY + timedelta(hours=hour, minutes=5),
                               MachineryItemState.OUT_OF_SERVICE)  # fmt: skip
        client.put(f"{API}/stops/{earlier}/reason", json={"reason_id": electrical}, headers=headers)
    assert _codes(client, production.stop_id, headers)[0] == ("BD-ELEC", ["state", "history"])

    # Alarm: the controller reported a hydraulic fault just before the stop.
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with database.session() as session:
        alarm = devices.create_signal(
            session, actor, SignalCreate(device_id=plant.device_id, name="alarm_text", kind=SignalKind.TEXT)
        )
    store = app.state.telemetry_store
    stop_start = to_us(DAY + timedelta(hours=9))
    store.prepare(stop_start)
    store.write(Batch(texts=[TextPoint(alarm.id, stop_start - 2_000_000, "1020 HYDRAULIC PRESSURE LOW")]))
    ranked = _codes(client, production.stop_id, headers)
    assert ranked[0] == ("BD-HYD", ["alarm", "state"])
    assert ranked[1][0] == "BD-ELEC"
    # A cleared alarm (empty text) before the stop suggests nothing from alarms.
    store.write(Batch(texts=[TextPoint(alarm.id, stop_start - 1_000_000, "")]))
    assert _codes(client, production.stop_id, headers)[0][0] == "BD-ELEC"


def test_alarm_texts_match_reasons_by_name_code_or_keyword() -> None:
    from zhizao.production.models import DowntimeReason

    reasons = [
        DowntimeReason(id=index, **ReasonSpec(code=code, parent_code=parent, name=name, category=category).model_dump())
        for index, (code, parent, name, category) in enumerate(DEFAULT_TREE, start=1)
    ]
    ids = {reason.code: reason.id for reason in reasons}
    assert reasons_for_alarm("SV0401 servo overload X axis", reasons) == {ids["BD-ELEC"]: 1.0, ids["BD-MECH"]: 1.0}
    assert reasons_for_alarm("报警: 液压气动故障", reasons) == {ids["BD-HYD"]: 1.0}
    assert reasons_for_alarm("operator message: part counter reached", reasons) == {}
    assert LossCategory.BREAKDOWN in {
        reason.category for reason in reasons if reason.id in reasons_for_alarm("tool broken", reasons)
    }
