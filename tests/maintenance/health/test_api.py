"""The health API: learning a baseline (validated), current health and history, the registry (register, deploy with
a 422 naming missing signals, retire), on-demand prediction, cases (list, read, acknowledge, close); roles and
tenant isolation, platform operators only with the owner's remote-maintenance consent, read-only."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.maintenance.health.support import (
    MINUTE_US,
    HealthPlant,
    at,
    health_plant,
    recent_start,
    samples,
    write,
)
from zhizao.accounts.roles import Role
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope
from zhizao.telemetry.commands.schemas import ConsentCreate
from zhizao.telemetry.store.factory import open_store

API = "/api/maintenance"


def _learned(world: World, client: TestClient) -> tuple[HealthPlant, dict[str, str], int]:
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(60)
    write(store, samples(hp, start, 40, seed=1))
    headers = bearer(client, hp.owner)
    body = {"start": at(start).isoformat(), "end": at(start + 40 * MINUTE_US).isoformat()}
    response = client.post(f"{API}/health/{hp.equipment_id}/baseline", json=body, headers=headers)
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["kind"] == "health_baseline" and model["status"] == "deployed" and model["version"] == 1
    assert model["metrics"]["windows"] == 40 and model["created_by_name"] == hp.owner.username
    # Then degraded minutes through the observer: the health falls and a case opens.
    t = start + 40 * MINUTE_US
    batch = samples(hp, t, 12, seed=2, shift=4.0) + samples(hp, t + 12 * MINUTE_US, 1, seed=3, shift=4.0)
    write(store, batch)
    HealthObserver(world.database, store).committed(batch, [])
    return hp, headers, model["id"]


def test_baseline_learning_is_validated(client: TestClient, world: World) -> None:
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(30)
    write(store, samples(hp, start, 10, seed=1))
    headers = bearer(client, hp.owner)
    url = f"{API}/health/{hp.equipment_id}/baseline"
    cases = [
        ({"start": "2026-11-28T08:00:00", "end": "2026-11-28T09:00:00+08:00"}, "body.start", "time-zone"),
        ({"start": at(start).isoformat(), "end": at(start).isoformat()}, "body.end", "after start"),
        ({"start": "2026-01-01T00:00:00+08:00", "end": "2026-03-01T00:00:00+08:00"}, "body.end", "at most 31 days"),
        ({"start": at(start).isoformat(), "end": "2099-01-01T00:00:00+08:00"}, "body.end", "future"),
        ({"start": at(start).isoformat(), "end": at(start + 600_000_000).isoformat(), "signals": ["nope"]},
         "body.signals", "no numeric signal nope"),
        ({"start": at(start).isoformat(), "end": at(start + 600_000_000).isoformat()}, "body.start",
         "not enough data: 10 complete windows; at least 30 needed"),
    ]  # fmt: skip
    for body, field, message in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        problems = response.json()["error"]["fields"]
        assert problems[0]["field"] == field and message in problems[0]["message"], problems
    health = client.get(f"{API}/health/{hp.equipment_id}", headers=headers).json()
    assert health["assessment"]["status"] == "not_enough_data" and health["assessment"]["score"] is None


def test_health_registry_predictions_and_cases(client: TestClient, world: World) -> None:
    hp, headers, model_id = _learned(world, client)
    health = client.get(f"{API}/health/{hp.equipment_id}", headers=headers).json()
    assessment = health["assessment"]
    assert assessment["status"] in ("maintenance_required", "out_of_specification")
    assert assessment["score"] < 60
    assert {d["signal"] for d in assessment["drivers"]} == {"vibration_rms_mm_s", "temperature_c"}
    assert health["open_case_id"] is not None
    overview = client.get(f"{API}/health", headers=headers).json()
    assert {row["equipment_id"]: row["assessment"]["status"] for row in overview}[hp.plant.robot_id] == (
        "not_enough_data"
    )
    history = client.get(f"{API}/health/{hp.equipment_id}/history", headers=headers).json()
    assert len(history) == 12 and history[0]["window_end"] < history[-1]["window_end"]
    naive = client.get(f"{API}/health/{hp.equipment_id}/history?start=2026-11-28T08:00:00", headers=headers)
    assert naive.status_code == 422

    # The registry: the baseline's artefact registered again as a model of the enterprise, applied elsewhere.
    with world.database.session() as session:
        from zhizao.maintenance.models_health import MaintenanceModel

        artefact = session.get(MaintenanceModel, model_id).artefact  # type: ignore[union-attr]
    body = {
        "name": "cnc-baseline", "kind": "health_baseline", "artefact_format": "zhizao.health_baseline/1",
        "artefact_base64": base64.b64encode(artefact).decode(), "metrics": {"auc": 0.9},
    }  # fmt: skip
    registered = client.post(f"{API}/models", json=body, headers=headers)
    assert registered.status_code == 201, registered.text
    new_id = registered.json()["id"]
    assert registered.json()["signals"] == ["power_kw", "temperature_c", "vibration_rms_mm_s"]
    again = client.post(f"{API}/models", json=body, headers=headers)
    assert again.json()["version"] == 2
    bad = [
        ({**body, "artefact_base64": "not base64!"}, "body.artefact_base64"),
        ({**body, "artefact_format": "acme/9"}, "body.artefact_format"),
        ({**body, "artefact_base64": base64.b64encode(b"{}").decode()}, "body.artefact_base64"),
        ({**body, "kind": "rul"}, "body.kind"),
        ({**body, "signals": ["x"]}, "body.signals"),
        ({**body, "enterprise_id": hp.plant.enterprise_id + 1000}, None),
    ]
    for wrong, field in bad:
        response = client.post(f"{API}/models", json=wrong, headers=headers)
        assert response.status_code == (404 if field is None else 422), response.text
        if field:
            assert response.json()["error"]["fields"][0]["field"] == field
    missing = client.post(f"{API}/models/{new_id}/deploy", json={"equipment_id": hp.plant.robot_id}, headers=headers)
    assert missing.status_code == 422
    message = missing.json()["error"]["fields"][0]["message"]
    assert "lacks signals the model was trained on: power_kw, temperature_c, vibration_rms_mm_s" in message
    deployed = client.post(f"{API}/models/{new_id}/deploy", json={"equipment_id": hp.equipment_id}, headers=headers)
    assert deployed.status_code == 201, deployed.text
    deployments = client.get(f"{API}/deployments?equipment_id={hp.equipment_id}", headers=headers).json()
    assert [d["model_id"] for d in deployments] == [new_id]  # the learnt baseline's deployment was replaced
    assert client.get(f"{API}/models/{model_id}", headers=headers).json()["status"] == "registered"
    predicted = client.post(f"{API}/deployments/{deployments[0]['id']}/predict", headers=headers)
    assert predicted.status_code == 201, predicted.text
    assert predicted.json()["unit"] == "score" and predicted.json()["model_id"] == new_id
    listed = client.get(f"{API}/predictions?equipment_id={hp.equipment_id}", headers=headers).json()
    assert [p["id"] for p in listed] == [predicted.json()["id"]]
    retired = client.post(f"{API}/models/{new_id}/retire", headers=headers)
    assert retired.json()["status"] == "retired" and retired.json()["retired_by_name"] == hp.owner.username
    assert client.post(f"{API}/models/{new_id}/retire", headers=headers).status_code == 409
    assert client.get(f"{API}/deployments?equipment_id={hp.equipment_id}", headers=headers).json() == []

    # Cases.
    opened = client.get(f"{API}/cases?state=open", headers=headers).json()
    assert len(opened) == 1
    case = opened[0]
    assert case["evidence_chart"].startswith(f"/maintenance/health/equipment/{hp.equipment_id}?")
    assert case["recommended_action"].startswith("Inspect the spindle bearings")
    ack = client.post(f"{API}/cases/{case['id']}/acknowledge", json={"comment": "看一下"}, headers=headers)
    assert ack.json()["state"] == "acknowledged" and ack.json()["acknowledged_by"] == hp.owner.username
    assert client.post(f"{API}/cases/{case['id']}/acknowledge", json={}, headers=headers).status_code == 409
    assert client.post(f"{API}/cases/{case['id']}/close", json={"resolution": ""}, headers=headers).status_code == 422
    closed = client.post(f"{API}/cases/{case['id']}/close", json={"resolution": "更换主轴轴承"}, headers=headers)
    assert closed.json()["state"] == "closed" and closed.json()["resolution"] == "更换主轴轴承"
    assert client.post(f"{API}/cases/{case['id']}/close", json={"resolution": "x"}, headers=headers).status_code == 409


def test_tenants_officers_and_platform_operators(client: TestClient, world: World) -> None:
    hp, owner_headers, model_id = _learned(world, client)
    case_id = client.get(f"{API}/cases", headers=owner_headers).json()[0]["id"]
    reads = [
        f"{API}/health/{hp.equipment_id}", f"{API}/health/{hp.equipment_id}/history", f"{API}/models/{model_id}",
        f"{API}/cases/{case_id}",
    ]  # fmt: skip
    lists = [f"{API}/health", f"{API}/cases", f"{API}/models", f"{API}/deployments", f"{API}/predictions"]
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    for url in reads:
        assert client.get(url, headers=stranger).status_code == 404, url
    for url in lists:
        assert client.get(url, headers=stranger).json() == [], url
    writes = [
        (f"{API}/cases/{case_id}/acknowledge", {}), (f"{API}/models/{model_id}/retire", None),
        (f"{API}/models/{model_id}/deploy", {"equipment_id": hp.equipment_id}),
        (f"{API}/health/{hp.equipment_id}/baseline", {"start": "2026-11-28T08:00:00+08:00",
                                                      "end": "2026-11-28T09:00:00+08:00"}),
    ]  # fmt: skip
    for url, body in writes:
        assert client.post(url, json=body, headers=stranger).status_code == 404, url
    officer = bearer(client, world.user(Role.OFFICER))
    for url in reads:
        assert client.get(url, headers=officer).status_code == 200, url
    assert client.post(writes[0][0], json={}, headers=officer).status_code == 403

    operator = world.user(Role.PLATFORM)
    platform = bearer(client, operator)
    for url in reads:
        assert client.get(url, headers=platform).status_code == 404, url
    assert client.get(f"{API}/health", headers=platform).json() == []
    with world.database.session() as session:
        grant = ConsentCreate(
            grantee_id=operator.organisation_id, scope=ConsentScope.REMOTE_MAINTENANCE, equipment_id=hp.equipment_id
        )
        consent.grant(session, hp.actor, grant)
    for url in reads:
        assert client.get(url, headers=platform).status_code == 200, url
    assert [row["equipment_id"] for row in client.get(f"{API}/health", headers=platform).json()] == [hp.equipment_id]
    assert [row["id"] for row in client.get(f"{API}/cases", headers=platform).json()] == [case_id]
    assert client.get(f"{API}/health/{hp.plant.robot_id}", headers=platform).status_code == 404  # not consented
    assert client.post(writes[0][0], json={}, headers=platform).status_code == 403
